"""Wall time of a paper-scale run of each network the library trains, on this machine's cores.

    .venv/bin/python benchmarks/bench_networks.py                  # every network, 10 tasks x 6 epochs
    .venv/bin/python benchmarks/bench_networks.py --only conv wide  # some of them
    .venv/bin/python benchmarks/bench_networks.py --tasks 2         # a shorter look

Each network runs ``python -m paper_code run`` (EWC-MAS at λ = 3 as in the study, every importance computed
after every task) into a fresh temporary folder, so nothing comes from a cache. With ``--tasks`` below 10 the
table also gives ``10 tasks (scaled)``: the measured time times 10/tasks, a rough figure, since the importance
phase grows with the tasks seen; the measured column is the only one to quote as measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The networks, by the CLI options that build each one (the paper's first).
NETWORKS: dict[str, list[str]] = {
    "paper": [],
    "relu": ["--leaky-slope", "0"],
    "wide": ["--hidden", "1000,1000"],
    "deep": ["--hidden", "300,300,150,150"],
    "conv": ["--network", "conv", "--hidden", "100"],
}


def time_run(options: list[str], tasks: int, epochs: int) -> tuple[float, dict[str, float]]:
    """Seconds of one run in a fresh folder (the process included) and its recorded phases."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        command = [sys.executable, "-m", "paper_code", "run", "--out", str(out), "--quiet", "--reg", "mas",
                   "--lam", "3", "--tasks", str(tasks), "--epochs", str(epochs), *options]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        return wall, json.loads((out / "config.json").read_text())["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=tuple(NETWORKS), default=list(NETWORKS))
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    print(f"{'network':8s} {'options':34s} {'wall s':>8s} {'train s':>8s} {'import. s':>9s}"
          + ("  10 tasks (scaled)" if args.tasks < 10 else ""))
    for name in args.only:
        wall, phases = time_run(NETWORKS[name], args.tasks, args.epochs)
        scaled = f"  {wall * 10 / args.tasks:8.0f} s" if args.tasks < 10 else ""
        print(f"{name:8s} {' '.join(NETWORKS[name]) or '(the paper’s)':34s} {wall:8.1f} "
              f"{phases.get('train', float('nan')):8.1f} {phases.get('importance', float('nan')):9.1f}{scaled}",
              flush=True)


if __name__ == "__main__":
    main()
