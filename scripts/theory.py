"""Compute the theory study (``make theory``): Benzing's √F prediction on the paper's configuration.

    .venv/bin/python scripts/theory.py

For each held-out seed, the paper's configuration and its twin with SI's task gradient (``si_grad="task"``, the
same networks) are found with their saved networks (a trial of ``study/held_out``
or ``study/grid`` run on this machine, or the library's cache ``results/<key>``) or run into the cache (about 2.5 minutes
on one core), then read task by task (:func:`paper_code.analysis.theory.theory_table`). Writes
``study/theory/theory.csv``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from paper_code.config import Config
from paper_code import run_experiment
from paper_code.analysis.theory import theory_table
from paper_code.atomic import write_bytes_atomically
from paper_code.results import CHECKPOINTS_DIR, OPTIMIZER_DIR, load_results, task_file
from paper_code.studies.grid import GRID_DIR
from paper_code.studies.held_out import HELD_OUT_DIR
from paper_code.studies.theory import THEORY_DIR, THEORY_FILE, theory_configs


def saved_run(config: Config) -> Path:
    for folder in (HELD_OUT_DIR / "trials" / config.key, GRID_DIR / "trials" / config.key, Path("results") / config.key):
        last = config.tasks
        if (task_file(folder, CHECKPOINTS_DIR, last).is_file() and task_file(folder, OPTIMIZER_DIR, last).is_file()):
            return folder
    folder = Path("results") / config.key
    print(f"seed {config.seed}: no saved networks here, running {folder}")
    run_experiment(config, folder, quiet=True)
    return folder


def main() -> None:
    start = time.perf_counter()
    tables = []
    for config in theory_configs():
        folder, si_task = saved_run(config), saved_run(config.replace(si_grad="task"))
        print(f"seed {config.seed}: reading {folder}, SI's task gradient from {si_task}")
        tables.append(theory_table(load_results(folder), si_task=load_results(si_task)))
    THEORY_DIR.mkdir(parents=True, exist_ok=True)
    write_bytes_atomically(THEORY_DIR / THEORY_FILE, pd.concat(tables, ignore_index=True).to_csv(index=False).encode())
    print(f"{THEORY_DIR / THEORY_FILE} written in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
