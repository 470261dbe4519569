"""Compute the sensitivity study (``make sensitivity``) from the study's runs, which must keep their checkpoints.

    .venv/bin/python scripts/sensitivity.py [--root DIR]

1. the variants that need training: SI with the task-loss gradient (training identical to the default,
   only SI changes) and, where the optimizer-reset grid lacks them, fresh-Adam trials at the default λ;
2. for each default trial (EWC-MAS at the selected λ): the variants recomputed from its saved networks
   (``correlations_variants.csv``) and the eq. (1)-(3) check (``explanation_p.csv``,
   ``explanation_agreement.csv``), written into the trial's folder;
3. the key numbers of every variant and seed, ``study/sensitivity/key_numbers.csv``.

``--root`` is the checkout whose ``study/`` holds the runs with their checkpoints (default: this one).
Finished steps are skipped when rerun, except the key-number table, which is rebuilt every time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from paper_code.analysis.explanation import explanation_check, write_explanation
from paper_code.analysis.variants import write_variant_correlations
from paper_code.results import EXPLANATION_P_FILE, VARIANTS_FILE, write_csv
from paper_code.studies.grid import DEFAULT_REG, GRID_DIR, load_study
from paper_code.studies.sensitivity import (
    KEY_NUMBERS_FILE,
    RESET_DIR,
    SI_TASK_DIR,
    VARIANT_SEEDS,
    default_runs,
    key_number_table,
    paired_seeds,
    selected_lambda,
    si_task_configs,
    variant_tables,
)
from paper_code.sweep import plan_sweep, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="checkout whose study/ holds the runs")
    parser.add_argument("--engine", default="auto", choices=("auto", "ray", "sequential"))
    args = parser.parse_args()
    root, start = args.root.resolve(), time.perf_counter()
    grid = load_study(root / GRID_DIR)
    lam = selected_lambda(grid)
    base = grid.results(DEFAULT_REG, lam)[0].config
    print(f"default: EWC-{DEFAULT_REG.upper()} at λ = {lam:g}")

    # One torch thread per trial, as the study's trials ran: the thread count changes the rounding of the
    # importances' large matrix products, and training carries that difference forward. With the same thread
    # count the si_task trials train exactly like the default ones, so SI is the only thing that changes.
    run_sweep(plan_sweep(si_task_configs(lam, base), engine=args.engine, cpus_per_trial=1), root / SI_TASK_DIR)
    reset = [base.replace(optimizer_state="reset", seed=s) for s in VARIANT_SEEDS]
    run_sweep(plan_sweep(reset, engine=args.engine, cpus_per_trial=1), root / RESET_DIR)

    for results in default_runs(root):
        folder = Path(results.path)
        if not (folder / VARIANTS_FILE).is_file():
            print(f"variants of {folder.name} (seed {results.config.seed}) ...", flush=True)
            write_variant_correlations(results)
        if not (folder / EXPLANATION_P_FILE).is_file():
            print(f"eq. (1)-(3) check of {folder.name} ...", flush=True)
            write_explanation(folder, explanation_check(results))

    table = key_number_table(variant_tables(root), paired_seeds(root))
    target = root / KEY_NUMBERS_FILE
    write_csv(target, list(table.columns), table.to_dict("records"))
    print(f"{len(table)} key numbers in {target} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
