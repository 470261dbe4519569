"""Compute the controls of "Does the importance matter?" (``make controls``): resumable, two trials at a time.

    .venv/bin/python scripts/controls.py                 # everything that is missing
    .venv/bin/python scripts/controls.py --part grid     # the controls' λ grids only

1. ``grid``: every control of :data:`paper_code.studies.controls.CONTROL_GRID` at its four λ on seeds 0 and 1,
   into ``study/controls/``, widened by half-decades where the best λ lies at an edge;
2. ``comparison``: every control at its selected λ on seeds 0-4 (``study/controls/``), and the paper's
   regularizers and fine-tuning at theirs on the seeds they lack (``study/grid/``), so every regularizer is
   compared on the same five seeds.

Each trial is an ordinary results folder on one torch thread (Ray Tune, one CPU each); finished trials are skipped.
"""

from __future__ import annotations

import argparse
import time

from paper_code.config import Config
from paper_code.studies.controls import COMPARISON_SEEDS, CONTROLS_DIR, comparison_configs, control_grid_configs
from paper_code.studies.grid import GRID_DIR, best_lambdas, read_grid, widened_configs
from paper_code.sweep import plan_sweep, run_sweep

#: How many half-decade steps a control's λ grid may grow beyond the planned one.
MAX_WIDENINGS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "grid", "comparison"), default="all")
    parser.add_argument("--engine", default="auto", choices=("auto", "ray", "sequential"))
    args = parser.parse_args()
    start = time.perf_counter()
    if args.part in ("all", "grid"):
        run_sweep(plan_sweep(control_grid_configs(), engine=args.engine, cpus_per_trial=1), CONTROLS_DIR)
        for _ in range(MAX_WIDENINGS):
            extra = widened_configs(read_grid(CONTROLS_DIR))
            if not extra:
                break
            print("best λ at an edge, widening: " + ", ".join(sorted({f"{c.reg} λ={c.lam:g}" for c in extra})))
            run_sweep(plan_sweep(extra, engine=args.engine, cpus_per_trial=1), CONTROLS_DIR)
    if args.part in ("all", "comparison"):
        controls = best_lambdas(read_grid(CONTROLS_DIR))
        for choice in controls.values():
            print(f"selected λ for {choice.reg}: {choice.lam:g} (mean final accuracy {choice.mean_accuracy:.4f})")
        run_sweep(plan_sweep(comparison_configs(controls), engine=args.engine, cpus_per_trial=1), CONTROLS_DIR)
        # The paper's regularizers and fine-tuning at their selected λ, on the seeds they lack.
        papers = best_lambdas(read_grid(GRID_DIR))
        others = [Config().replace(reg=reg, lam=choice.lam, seed=seed) for reg, choice in papers.items()
                  for seed in COMPARISON_SEEDS]
        others += [Config().replace(reg="none", lam=0.0, seed=seed) for seed in COMPARISON_SEEDS]
        run_sweep(plan_sweep(others, engine=args.engine, cpus_per_trial=1), GRID_DIR)
    print(f"controls written in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
