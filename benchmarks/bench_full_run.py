"""Wall time of the full paper-scale run (10 tasks x 6 epochs, every method), phase by phase.

Runs ``python -m paper_code run`` with the paper's defaults into a fresh
temporary folder (so nothing is reused from a cache) and prints the seconds
recorded in its ``config.json``. Pass ``--tasks``/``--epochs`` for a shorter look.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        command = [sys.executable, "-m", "paper_code", "run", "--out", str(out), "--quiet",
                   "--tasks", str(args.tasks), "--epochs", str(args.epochs)]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        wall = time.perf_counter() - start
        meta = json.loads((out / "config.json").read_text())
    steps = args.tasks * args.epochs * 600
    print(f"\nfull run: {args.tasks} tasks x {args.epochs} epochs, every method: {wall:.1f} s wall (process included)")
    for phase, seconds in meta["seconds"].items():
        print(f"  {phase:12s} {seconds:8.1f} s")
    print(f"  training steps per second: {steps / meta['seconds']['train']:.0f}")


if __name__ == "__main__":
    main()
