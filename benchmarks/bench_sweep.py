"""Ray Tune against the sequential fallback: the same sweep, both engines, one run, wall time and ratio.

Four trials (2 λ × 2 seeds) of 2 tasks × 1 epoch on all of MNIST, into fresh temporary folders so
nothing is reused. On Ray the trials run as many at a time as there are cores, one torch thread each;
sequentially they run in turn with all of torch's threads. The ratio includes Ray's start-up (tens of
seconds), which a long sweep amortizes; `--tasks`/`--epochs` make the trials longer.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from paper_code.config import Config
from paper_code.sweep import expand_grid, plan_sweep, ray_available, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    if not ray_available():
        raise SystemExit("Ray is not installed: `pip install -e .[sweep]` (make setup installs it)")
    configs = expand_grid(Config(tasks=args.tasks, epochs=args.epochs, methods=("mas",), pairs=()),
                          {"lam": [1.0, 3.0], "seed": [0, 1]})
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("sequential", "ray"):
            start = time.perf_counter()
            table = run_sweep(plan_sweep(configs, engine=engine), Path(tmp) / engine, quiet=True)
            seconds[engine] = time.perf_counter() - start
            print(f"{engine:10s} {len(table)} trials in {seconds[engine]:6.1f} s "
                  f"(mean final accuracy {table.final_accuracy.mean():.4f})", flush=True)
    print(f"\nRay speed-up over sequential: {seconds['sequential'] / seconds['ray']:.2f}x "
          f"({len(configs)} trials of {args.tasks} tasks x {args.epochs} epochs)")


if __name__ == "__main__":
    main()
