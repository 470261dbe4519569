"""Compute the study "Beyond permuted MNIST" (``make beyond``): resumable, two trials at a time.

    .venv/bin/python scripts/beyond.py                   # every setting, everything missing
    .venv/bin/python scripts/beyond.py --setting split   # one setting

For each setting of :data:`paper_code.studies.beyond.SETTINGS`, into ``study/beyond/<setting>/``: EWC-MAS over
the λ grid on seeds 0-2, widened by half-decades while the best λ lies at an edge, then the selected λ on seeds
0-4. Each trial is an ordinary results folder on one torch thread; finished trials are skipped.
"""

from __future__ import annotations

import argparse
import time

from paper_code.studies.beyond import SETTINGS, final_configs, grid_configs, setting_dir
from paper_code.studies.grid import read_grid, widened_configs
from paper_code.sweep import plan_sweep, run_sweep

#: How many half-decade steps a setting's λ grid may grow beyond the planned one.
MAX_WIDENINGS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=tuple(SETTINGS), action="append", default=None,
                        help="a setting to compute (repeatable; default: all)")
    parser.add_argument("--engine", default="auto", choices=("auto", "ray", "sequential"))
    args = parser.parse_args()
    for name in args.setting or SETTINGS:
        start = time.perf_counter()
        folder = setting_dir(name)
        run_sweep(plan_sweep(grid_configs(name), engine=args.engine, cpus_per_trial=1), folder)
        for _ in range(MAX_WIDENINGS):
            extra = widened_configs(read_grid(folder), base=SETTINGS[name].config())
            if not extra:
                break
            print(f"{name}: best λ at an edge, widening to λ={extra[0].lam:g}")
            run_sweep(plan_sweep(extra, engine=args.engine, cpus_per_trial=1), folder)
        run_sweep(plan_sweep(final_configs(name, read_grid(folder)), engine=args.engine, cpus_per_trial=1), folder)
        print(f"{name}: done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
