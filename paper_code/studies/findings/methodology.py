"""The findings of the page "The experiment": what was run, and how well the network learned and kept its tasks.

The page shows one run (the committed study trial of the paper's configuration, seed 0, unless its parameters
say otherwise) and states its accuracy numbers beside the same numbers over every seed of its configuration
found, so the reader sees which are one run's and which hold across seeds. The record is computed by
:func:`methodology_record` from the runs themselves: for the committed study (``study/findings/methodology.json``)
and, on a page run with other parameters, from that run and its seeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from paper_code.analysis.spread import paired_interval
from paper_code.config import Config
from paper_code.results import Results, load_results
from paper_code.studies.findings.record import statistic
from paper_code.studies.grid import GRID_DIR, base_identity, best_lambdas, committed_trial, load_study
from paper_code.sweep import SWEEP_FILE


def learned_and_kept(matrix: pd.DataFrame) -> dict[str, float]:
    """One run's accuracy matrix (rows: tasks learned, columns: task evaluated) in a few numbers: the final average
    accuracy (the last row's mean), the accuracy of each task right after it was learned (the diagonal's mean), task
    1 right after it was learned and at the end and what it lost, the average forgetting (over every task but the
    last, the best accuracy it reached once learned minus its accuracy at the end) and the task that forgot most."""
    last = int(matrix.index.max())
    tasks = [t for t in matrix.columns if t <= last]
    drops = {int(t): float(matrix.loc[t:, t].max() - matrix.loc[last, t]) for t in tasks if t < last}
    return {
        "final_accuracy": float(matrix.loc[last, tasks].mean()),
        "just_learned": float(np.mean([matrix.loc[t, t] for t in tasks])),
        "task1_fresh": float(matrix.loc[1, 1]),
        "task1_end": float(matrix.loc[last, 1]),
        "task1_lost": float(matrix.loc[1, 1] - matrix.loc[last, 1]),
        "average_forgetting": float(np.mean(list(drops.values()))) if drops else 0.0,
        "most_forgotten_task": max(drops, key=lambda t: drops[t]) if drops else int(last),
    }


#: How each number of :func:`learned_and_kept` is named in a statistic's label.
QUANTITIES = {"final_accuracy": "final average accuracy", "just_learned": "accuracy right after learning a task",
              "task1_lost": "accuracy task 1 lost by the end", "average_forgetting": "average forgetting"}


def methodology_record(runs: Sequence[Results], lambda_seeds: Sequence[int] | None = None,
                       committed: bool = False) -> dict[str, Any]:
    """Everything the page states: the configuration of ``runs[0]`` (the run shown), its accuracy numbers, and the
    same numbers over every run of ``runs`` (one per seed of that configuration) as mean ± half-width of the 95 %
    interval over seeds. ``lambda_seeds``: the seeds the study chose this λ on, where it did (``None``: the λ was
    given, not chosen by the study for this configuration); ``committed``: whether the runs are the committed
    study's trials (their labels say so)."""
    shown = runs[0]
    config = shown.config
    per_seed = pd.DataFrame({r.config.seed: learned_and_kept(r.accuracy_matrix()) for r in runs}).T.sort_index()
    seeds = [int(s) for s in per_seed.index]
    trials = "committed" if committed else "computed"
    qualifiers: dict[str, Any] = dict(reg=config.reg, lam=config.lam)
    if config.identity(without=("seed",)) != Config(seed=config.seed).identity(without=("seed",)):
        qualifiers["key"] = config.key  # another configuration than the paper's: the key tells it apart
    record: dict[str, Any] = {
        "page": "methodology",
        "committed": committed,
        "shown_seed": int(config.seed),
        "seeds": seeds,
        "reg": config.reg,
        "lam": float(config.lam),
        "tasks": int(config.tasks),
        "epochs": int(config.epochs),
        "train_size": int(config.train_size),
        "lambda_seeds": [int(s) for s in lambda_seeds] if lambda_seeds is not None else None,
        "shown": {},
        "over_seeds": {},
        "task1_most_forgotten_on": [s for s in seeds if int(per_seed.loc[s, "most_forgotten_task"]) == 1],
    }
    for name, value in learned_and_kept(shown.accuracy_matrix()).items():
        entry: dict[str, Any] = {"value": value}
        if name in QUANTITIES:
            entry["label"] = statistic(QUANTITIES[name], **qualifiers, seeds=[int(config.seed)], trials=trials)
        record["shown"][name] = entry
    for name, quantity in QUANTITIES.items():
        mean, half, n = paired_interval(per_seed[name])
        record["over_seeds"][name] = {"mean": mean, "half": half, "seeds": n,
                                      "label": statistic(quantity, **qualifiers, seeds=seeds, trials=trials)}
    return record


def chosen_on(study_dir: str | Path | None, config: Config) -> list[int] | None:
    """The seeds on which the study in ``study_dir`` chose ``config``'s λ for its regularizer, or ``None`` when that
    study was run with another configuration, holds no trial of the regularizer, or chose another λ."""
    if study_dir is None or not (Path(study_dir) / SWEEP_FILE).is_file() or config.reg == "none":
        return None
    study = load_study(study_dir)
    same = study.table[study.table.reg == config.reg]
    if same.empty:
        return None
    trial = study.folder / str(same.trial_dir.iloc[0])
    if base_identity(load_results(trial, require_complete=False).config) != base_identity(config):
        return None
    choice = best_lambdas(study.table).get(config.reg)
    return list(choice.chosen_on) if choice is not None and choice.lam == config.lam else None


def study_methodology(study: Path) -> dict[str, dict[str, Any]]:
    """The committed record: the paper's configuration in the study's grid, every seed of it."""
    grid = study / GRID_DIR.name
    shown = committed_trial(grid, Config())
    if shown is None:
        raise FileNotFoundError(f"{grid} holds no trial of the paper's configuration: run `make sweep-full`")
    runs = [shown] + [r for r in load_study(grid).results(shown.config.reg, shown.config.lam)
                      if r.config.seed != shown.config.seed]
    return {"methodology": methodology_record(runs, chosen_on(grid, shown.config), committed=True)}
