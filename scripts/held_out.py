"""Compute the held-out study (``make held-out``): λ on seeds 0-2, the comparison on seeds 3-7; resumable.

    .venv/bin/python scripts/held_out.py                  # every part, in order
    .venv/bin/python scripts/held_out.py --part core      # one part (see paper_code.studies.held_out.PARTS)
    .venv/bin/python scripts/held_out.py --arm sig_activity --arm rank1:sig   # these arms only, λ grid and seeds

For each part: every λ of each arm's grid on the selection seeds, the grids widened where their best λ lies at an
edge, then each arm at its selected λ on the held-out seeds. Trials are ordinary results folders on one torch
thread (Ray Tune, one CPU each), written to ``study/held_out/``; a finished trial, of this study or of an earlier
one (``study/grid``, ``study/controls``), is never run again.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from paper_code.studies.held_out import ARMS, MAX_WIDENINGS, PARTS, Arm, held_out_configs, read_table, reusable, \
    selection, selection_configs, widening_configs
from paper_code.sweep import plan_sweep, run_sweep


def run(configs_by_folder: dict, engine: str) -> None:
    for folder, configs in configs_by_folder.items():
        if configs:
            run_sweep(plan_sweep(configs, engine=engine, cpus_per_trial=1), folder)


def by_folder(arms: tuple[Arm, ...], make) -> dict:
    """The trials ``make(arm, table)`` asks for that no earlier study holds, by the folder they are written to."""
    grouped: dict = defaultdict(list)
    for arm in arms:
        grouped[arm.folder] += [c for c in make(arm, read_table(arm)) if not reusable(arm, c)]
    return grouped


def run_part(arms: tuple[Arm, ...], engine: str) -> None:
    run(by_folder(arms, selection_configs), engine)
    for _ in range(MAX_WIDENINGS):
        extra = by_folder(arms, widening_configs)
        if not any(extra.values()):
            break
        print("best λ at an edge, widening: " + ", ".join(sorted({f"{c.reg} λ={c.lam:g}" for cs in extra.values()
                                                                  for c in cs})))
        run(extra, engine)
    for arm in arms:
        if arm.reg != "none":
            choice = selection(arm, read_table(arm))
            print(f"{arm.name}: λ = {choice.lam:g} (mean final accuracy {choice.mean_accuracy:.4f} on seeds "
                  f"{list(choice.chosen_on)})")
    run(by_folder(arms, held_out_configs), engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", *PARTS), default="all")
    parser.add_argument("--arm", action="append", choices=sorted(ARMS), metavar="ARM",
                        help="run only this arm (repeatable; overrides --part), e.g. sig_activity or split/uniform")
    parser.add_argument("--engine", default="auto", choices=("auto", "ray", "sequential"))
    args = parser.parse_args()
    start = time.perf_counter()
    if args.arm:
        # One arm finished whole (its grid, then its held-out seeds) says more than every arm's grid alone.
        run_part(tuple(ARMS[name] for name in dict.fromkeys(args.arm)), args.engine)
        print(f"arms written in {time.perf_counter() - start:.0f} s")
        return
    for name, arms in PARTS.items():
        if args.part in ("all", name):
            print(f"part {name}: {', '.join(a.name for a in arms)}")
            run_part(arms, args.engine)
    print(f"held-out study written in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
