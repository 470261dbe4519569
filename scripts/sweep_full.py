"""Compute the committed study (``make sweep-full``): the λ grids, fine-tuning, the follow-up seeds, the reference.

Runs on Ray Tune when the sweep extra is installed (one single-threaded trial
per core), otherwise one trial after another. A killed run is resumed by
running it again: finished trials are skipped, unfinished ones continue.
The heavy files (checkpoints, importance tensors, permutations) stay on disk
but are ignored by git; only the small files of :data:`COMMITTED_FILES` are
committed.

    .venv/bin/python scripts/sweep_full.py            # everything (hours on 2 cores)
    .venv/bin/python scripts/sweep_full.py --part reference
"""

from __future__ import annotations

import argparse
import time

from paper_code.studies.grid import (
    GRID_DIR,
    REFERENCE_CONFIG,
    REFERENCE_DIR,
    best_lambdas,
    followup_configs,
    grid_configs,
    read_grid,
    widened_configs,
)
from paper_code.sweep import plan_sweep, run_sweep

#: How many half-decade steps a λ grid may grow beyond the planned one.
MAX_WIDENINGS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "grid", "followup", "reference"), default="all")
    parser.add_argument("--engine", default="auto", choices=("auto", "ray", "sequential"))
    args = parser.parse_args()
    start = time.perf_counter()
    if args.part in ("all", "grid"):
        run_sweep(plan_sweep(grid_configs(), engine=args.engine), GRID_DIR)
    if args.part in ("all", "followup"):
        for _ in range(MAX_WIDENINGS):
            extra = widened_configs(read_grid(GRID_DIR))
            if not extra:
                break
            print("best λ at an edge, widening: " + ", ".join(sorted({f"{c.reg} λ={c.lam:g}" for c in extra})))
            run_sweep(plan_sweep(extra, engine=args.engine), GRID_DIR)
        choices = best_lambdas(read_grid(GRID_DIR))
        for choice in choices.values():
            print(f"selected λ for {choice.reg}: {choice.lam:g} (mean final accuracy {choice.mean_accuracy:.4f})")
        run_sweep(plan_sweep(followup_configs(choices), engine=args.engine), GRID_DIR)
    if args.part in ("all", "reference"):
        # One torch thread, as in the test that reruns it: results depend on the thread count.
        run_sweep(plan_sweep([REFERENCE_CONFIG], engine="sequential", cpus_per_trial=1), REFERENCE_DIR)
    print(f"study written in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
