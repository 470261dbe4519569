"""The findings of the three pages that read the λ-grid study (``study/grid``) beyond the claims it grades:

- ``b1`` ("Choosing λ"): each importance's λ grid, the λ selected, how far it leads the next best measured against
  the seed spread (a paired interval over the seeds every λ of the grid ran with, the seeds that chose λ), how the
  selected λ does on the seeds that did not choose it, and the paper author's own finer grids beside them;
- ``b3`` ("How stable are the surfaces?"): the seed bands of the paper's configuration (EWC-MAS at its selected λ,
  every seed the study ran it with): how wide the 95 % interval of each cell's seed mean is, how far one run lies
  from the mean, and where the seeds disagree on a sign;
- ``b4`` ("Accumulated vs per-task importances"): the correlations of accumulated importances against those of
  each task's own, on the same runs, paired by seed; the 21 (pair, layer) comparisons are one family, corrected by
  Holm's method.

Every function takes a sweep folder (``study/grid``) or a loaded :class:`~paper_code.studies.grid.Study`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paper_code.analysis.spread import T_975, excludes_zero, holm, paired_interval, paired_p_value
from paper_code.config import DEFAULT_LAMBDA
from paper_code.locations import STUDY_DIR
from paper_code.studies.author_logs import AUTHOR_LOGS_FILE, SCRIPT_OF, author_summary, read_author_logs
from paper_code.studies.controls import COMPARISON_SEEDS
from paper_code.studies.findings.record import interval
from paper_code.studies.grid import DEFAULT_REG, GRID_DIR, LAMBDA_GRID, Study, best_lambdas, choose_lambda, load_study

#: The order the pages list the regularizers in: the paper's own first, then the other gradient importances.
PAGE_ORDER = ("mas", "fis", "fis_true", "si", "sig")
#: Family-wise error rate of the families of paired tests these pages make.
ALPHA = 0.05
#: The pairs of importances built from gradients (MAS, FIS, SI and FIS against MAS²), and those with SIG.
GRADIENT_PAIRS = ("mas_fis", "fis_mas2", "mas_si", "fis_si")
SIG_PAIRS = ("mas_sig", "fis_sig", "si_sig")


def as_study(study: Study | str | Path) -> Study:
    return study if isinstance(study, Study) else load_study(Path(study))


def _interval(values, signed: bool = False) -> dict[str, Any]:
    """Mean over the seeds (or runs) and the half-width of its 95 % interval (Student's t)."""
    return interval(pd.Series(values, dtype=float), **({"signed": True} if signed else {}))


def welch_interval(first, second) -> dict[str, Any]:
    """The difference of two independent means (``first`` − ``second``) and the half-width of its 95 % interval by
    Welch's t (unequal variances; the degrees of freedom rounded down, which widens the interval a little)."""
    a = np.asarray(pd.Series(first, dtype=float).dropna())
    b = np.asarray(pd.Series(second, dtype=float).dropna())
    mean = float(a.mean() - b.mean()) if len(a) and len(b) else float("nan")
    if len(a) < 2 or len(b) < 2:
        return {"mean": mean, "half": float("nan"), "signed": True}
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return {"mean": mean, "half": 0.0, "signed": True}
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = T_975.get(max(1, math.floor(df)), 1.96)
    return {"mean": mean, "half": float(t * math.sqrt(va + vb)), "df": float(df), "signed": True}


def _runs(values) -> dict[str, Any]:
    """Mean over the author's runs and the half-width of its 95 % interval, with the number of runs."""
    mean, half, n = paired_interval(pd.Series(values, dtype=float).dropna())
    return {"mean": mean, "half": half, "runs": n}


def _measurable(interval: dict[str, Any]) -> bool:
    return bool(interval["half"] == interval["half"] and excludes_zero(interval["mean"], interval["half"]))


def _where(frame: pd.DataFrame, index, *columns: str) -> dict[str, Any]:
    row = frame.loc[index]
    return {c: (int(row[c]) if c in ("layer", "task", "seed") else row[c]) for c in columns}


# --------------------------------------------------------------------------- b1: choosing λ
def nearest_on_log_scale(value: float, grid) -> float:
    """The λ of ``grid`` closest to ``value`` on a log scale (the ratio nearest 1)."""
    return float(min(grid, key=lambda lam: abs(math.log(lam / value))))


def _author_entry(reg: str, lam: float, grid: list[float], ours: pd.Series, logs: pd.DataFrame) -> dict[str, Any]:
    """The author's grid of ``reg``: his best λ, his accuracy there and at ``lam``, what ``lam`` costs on his runs,
    and this study's accuracy at ``lam`` (``ours``, by seed) against his."""
    script = SCRIPT_OF[reg]
    runs = logs[logs.script == script].assign(lam=lambda f: f.lam.astype(float))
    runs = runs[runs.lam > 0]  # λ = 0 (no penalty) has no place on a log scale
    summary = author_summary(logs)
    summary = summary[(summary.reg == reg) & (summary.lam > 0)].sort_values("lam")
    best = summary.loc[summary.accuracy_mean.idxmax()]
    at_best = runs[runs.lam == float(best.lam)].final_accuracy
    at_ours = runs[runs.lam == lam].final_accuracy
    entry: dict[str, Any] = {
        "best_lam": float(best.lam),
        "best": _runs(at_best),
        "nearest_grid_lam": nearest_on_log_scale(float(best.lam), grid),
        "lambdas": int(len(summary)), "most_runs": int(summary.runs.max()),
        "curve": {"lam": [float(v) for v in summary.lam], "accuracy": [float(v) for v in summary.accuracy_mean],
                  "runs": [int(v) for v in summary.runs]},
        "at_selected": None, "cost": None, "ours_minus_author": None,
    }
    entry["nearest_is_selected"] = entry["nearest_grid_lam"] == lam
    if len(at_ours):
        entry["at_selected"] = _runs(at_ours)
        cost = welch_interval(at_best, at_ours)
        entry["cost"] = {**cost, "measurable": _measurable(cost)} if float(best.lam) != lam else None
        gap = welch_interval(ours, at_ours)
        entry["ours_minus_author"] = {**gap, "measurable": _measurable(gap)}
    return entry


def lambda_record(study: Study | str | Path, author_logs: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything "Choosing λ" states (see the module's docstring); with the paper author's logs
    (:func:`~paper_code.studies.author_logs.read_author_logs`), his grids beside this study's."""
    study = as_study(study)
    table = study.table
    choices = best_lambdas(table)
    regs = [r for r in PAGE_ORDER if r in choices] + [r for r in choices if r not in PAGE_ORDER]
    entries: dict[str, dict[str, Any]] = {}
    for reg in regs:
        choice = choices[reg]
        rows = table[table.reg == reg]
        shared = rows[rows.seed.isin(choice.chosen_on)]
        accuracy = shared.pivot(index="seed", columns="lam", values="final_accuracy").sort_index(axis=1)
        forgetting = shared.pivot(index="seed", columns="lam", values="average_forgetting")
        grid = [float(v) for v in accuracy.columns]
        selected = accuracy[choice.lam]
        points = []
        for lam in grid:
            versus = None if lam == choice.lam else _interval(accuracy[lam] - selected, signed=True)
            points.append({"lam": lam, "accuracy": float(accuracy[lam].mean()),
                           "forgetting": float(forgetting[lam].mean()),
                           "by_seed": {str(int(s)): float(v) for s, v in accuracy[lam].items()},
                           "all_seeds": sorted(int(s) for s in rows[rows.lam == lam].seed),
                           "versus_selected": versus,
                           "measurably_worse": versus is not None and _measurable(versus)})
        means = accuracy.mean().sort_values(ascending=False)
        runner_up = float(means.index[1]) if len(means) > 1 else None
        lead = _interval(selected - accuracy[runner_up], signed=True) if runner_up is not None else None
        at_selected = rows[rows.lam == choice.lam].set_index("seed").final_accuracy
        fresh = at_selected[~at_selected.index.isin(choice.chosen_on)]
        planned = [float(v) for v in LAMBDA_GRID.get(reg, ())]
        entry: dict[str, Any] = {
            "lam": choice.lam, "lambda_seeds": list(choice.chosen_on), "grid": grid, "planned": planned,
            "widened": [lam for lam in grid if planned and lam not in planned], "at_edge": choice.at_edge,
            "points": points, "runner_up": runner_up, "lead": lead,
            "lead_p": paired_p_value(selected - accuracy[runner_up]) if runner_up is not None else None,
            "measurably_worse": [p["lam"] for p in points if p["measurably_worse"]],
            "selected": {"choosing": _interval(selected), "all": _interval(at_selected),
                         "all_seeds": sorted(int(s) for s in at_selected.index),
                         "fresh": _interval(fresh) if len(fresh) else None,
                         "fresh_seeds": sorted(int(s) for s in fresh.index),
                         "fresh_minus_choosing": welch_interval(fresh, selected) if len(fresh) else None},
        }
        if author_logs is not None and reg in SCRIPT_OF:
            entry["author"] = _author_entry(reg, choice.lam, grid, at_selected, author_logs)
        entries[reg] = entry
    leads = [r for r in regs if entries[r]["lead"] is not None]
    for reg, adjusted in zip(leads, holm([entries[r]["lead_p"] for r in leads])):
        entries[reg]["lead_p_holm"] = float(adjusted)
        entries[reg]["lead_measurable"] = bool(adjusted <= ALPHA)
    none = table[table.reg == "none"]
    fresh = [entries[r]["selected"]["fresh_minus_choosing"] for r in regs
             if entries[r]["selected"]["fresh_minus_choosing"] is not None]
    record: dict[str, Any] = {
        "seeds": sorted(int(s) for s in table.seed.unique()),
        "regularizers": entries,
        "order": regs,
        "alpha": ALPHA,
        "leads": len(leads),
        "leads_measurable": sum(entries[r]["lead_measurable"] for r in leads),
        "lead_intervals_hold_zero": sum(not _measurable(entries[r]["lead"]) for r in leads),
        "at_edge": [r for r in regs if entries[r]["at_edge"]],
        "fresh": {"compared": len(fresh), "lower": sum(g["mean"] < 0 for g in fresh),
                  "measurable": sum(_measurable(g) for g in fresh),
                  "drop": {"low": float(min(-g["mean"] for g in fresh)), "high": float(max(-g["mean"] for g in fresh))}}
        if fresh else None,
        "widened": [r for r in regs if entries[r]["widened"]],
        "fine_tuning": {"accuracy": _interval(none.final_accuracy), "seeds": sorted(int(s) for s in none.seed)}
        if not none.empty else None,
        # The seeds "Does the importance matter?" compares every regularizer on.
        "comparison_seeds": sorted(set(COMPARISON_SEEDS).intersection(
            *[entries[r]["selected"]["all_seeds"] for r in regs])),
        "default_lambda": DEFAULT_LAMBDA,
        "default_is_selected": DEFAULT_REG in entries and entries[DEFAULT_REG]["lam"] == DEFAULT_LAMBDA,
        "trials": int(len(table)),
        "compute_hours": float(table.wall_seconds.sum() / 3600) if "wall_seconds" in table else None,
    }
    if author_logs is not None:
        compared = [r for r in regs if "author" in entries[r]]
        costs = [(entries[r]["author"]["cost"] or {"mean": 0.0})["mean"] for r in compared]
        gaps = {r: entries[r]["author"]["ours_minus_author"] for r in compared
                if entries[r]["author"]["ours_minus_author"] is not None}
        record["author"] = {
            "regularizers": compared,
            "runs": int(len(author_logs)),
            "most_runs": max(entries[r]["author"]["most_runs"] for r in compared) if compared else None,
            "nearest_is_selected": all(entries[r]["author"]["nearest_is_selected"] for r in compared),
            "largest_cost": float(max(costs)) if costs else None,
            "ours_lower": sum(g["mean"] < 0 for g in gaps.values()),
            "ours_measurably_lower": sum(g["mean"] < 0 and g["measurable"] for g in gaps.values()),
            "shortfall": {"low": float(min(-g["mean"] for g in gaps.values())),
                          "high": float(max(-g["mean"] for g in gaps.values()))} if gaps else None,
        }
    return record


# --------------------------------------------------------------------------- b3: seed stability
def cell_table(correlations: pd.DataFrame, kind: str = "pearson") -> pd.DataFrame:
    """``pair, layer, task, mean, std, half, low, high, seeds`` of every cell: its seed mean, the half-width of that
    mean's 95 % interval, and the lowest and highest seed."""
    rows = []
    for (pair, layer, task), values in correlations.groupby(["pair", "layer", "task"], sort=False)[kind]:
        mean, half, n = paired_interval(values.dropna())
        rows.append(dict(pair=pair, layer=int(layer), task=int(task), mean=mean, std=float(values.std()), half=half,
                         low=float(values.min()), high=float(values.max()), seeds=n))
    return pd.DataFrame(rows)


def _paper_configuration(study: Study, reg: str) -> tuple[float, list[int]]:
    choice = choose_lambda(study.table, reg)
    return choice.lam, list(choice.chosen_on)


def stability_record(study: Study | str | Path, reg: str = DEFAULT_REG, kind: str = "pearson") -> dict[str, Any]:
    """Everything "How stable are the surfaces?" states (see the module's docstring)."""
    study = as_study(study)
    lam, lambda_seeds = _paper_configuration(study, reg)
    correlations = study.correlations(reg, lam)
    cells = cell_table(correlations, kind)
    pairs = list(dict.fromkeys(cells.pair))
    first = int(cells.task.min())
    widest = cells.half.idxmax()
    gaps = correlations.merge(cells[["pair", "layer", "task", "mean"]], on=["pair", "layer", "task"])
    gaps["gap"] = (gaps[kind] - gaps["mean"]).abs()
    furthest = gaps.gap.idxmax()
    unstable = cells[(cells.low <= 0) & (cells.high >= 0)].sort_values(["pair", "layer", "task"])
    relief = {}
    for pair, rows in cells.groupby("pair", sort=False):
        span = float(rows["mean"].max() - rows["mean"].min())
        relief[pair] = {"low": float(rows["mean"].min()), "high": float(rows["mean"].max()), "span": span,
                        "half_median": float(rows.half.median()), "half_max": float(rows.half.max()),
                        "ratio": span / float(rows.half.median())}
    flattest = min(relief, key=lambda p: relief[p]["ratio"])
    last_layer = int(cells.layer.max())
    output = correlations[(correlations.layer == last_layer) & correlations.pair.isin(SIG_PAIRS)]
    sig_output = {}
    for pair, rows in output.groupby("pair", sort=False):
        by_task = rows.groupby("task")[kind]
        negative = [int(t) for t, v in by_task if (v < 0).all()]
        sig_output[pair] = {"negative_for_every_seed": len(negative), "tasks": int(by_task.ngroups),
                            "not_negative_for_every_seed": [int(t) for t, v in by_task if not (v < 0).all()],
                            "positive_for_every_seed": [int(t) for t, v in by_task if (v > 0).all()]}
    later = cells[cells.task > first]
    return {
        "reg": reg, "lam": lam, "lambda_seeds": lambda_seeds,
        "seeds": sorted(int(s) for s in correlations.seed.unique()),
        "pairs": pairs, "layers": int(cells.layer.nunique()), "tasks": int(cells.task.nunique()),
        "cells": int(len(cells)),
        "half": {"median": float(cells.half.median()), "max": float(cells.half.max()),
                 "widest": _where(cells, widest, "pair", "layer", "task", "mean"),
                 "first_task_median": float(cells[cells.task == first].half.median()),
                 "later_median": float(later.half.median()),
                 "later_max": float(later.half.max()),
                 "share_under_0_03": float((cells.half < 0.03).mean())},
        "std": {"median": float(cells["std"].median()), "max": float(cells["std"].max())},
        "one_seed": {**_where(gaps, furthest, "pair", "layer", "task", "seed"), "gap": float(gaps.gap.max())},
        "relief": relief,
        "flattest": {"pair": flattest, "ratio": relief[flattest]["ratio"]},
        "unstable": {"count": int(len(unstable)),
                     "cells": [{"pair": r.pair, "layer": int(r.layer), "task": int(r.task), "mean": r.mean,
                                "low": r.low, "high": r.high} for r in unstable.itertuples()],
                     "reach": float(unstable[["low", "high"]].abs().to_numpy().max()) if len(unstable) else None},
        "sig_output": sig_output,
        "output_layer": last_layer,
        "grid": {pair: {str(layer): {"means": [float(v) for v in rows["mean"]], "halves": [float(v) for v in rows.half],
                                     "tasks": [int(t) for t in rows.task]}
                        for layer, rows in cells[cells.pair == pair].sort_values("task").groupby("layer")}
                 for pair in pairs},
        "seed_lines": {pair: {str(int(seed)): [float(v) for v in rows.sort_values("task")[kind]]
                              for seed, rows in output[output.pair == pair].groupby("seed")}
                       for pair in SIG_PAIRS if pair in set(output.pair)},
    }


# --------------------------------------------------------------------------- b4: accumulated vs per-task
def per_task_record(study: Study | str | Path, reg: str = DEFAULT_REG, kind: str = "pearson") -> dict[str, Any]:
    """Everything "Accumulated vs per-task importances" states (see the module's docstring). Differences are
    accumulated − per-task: positive where the running sums agree more than each task's own importances."""
    study = as_study(study)
    lam, lambda_seeds = _paper_configuration(study, reg)
    keys = ["pair", "layer", "task", "seed"]
    accumulated = study.correlations(reg, lam).set_index(keys)[kind].rename("accumulated")
    per_task = study.correlations(reg, lam, per_task=True).set_index(keys)[kind].rename("per_task")
    frame = pd.concat([accumulated, per_task], axis=1, join="inner").reset_index()
    frame["difference"] = frame.accumulated - frame.per_task
    first = int(frame.task.min())
    later = frame[frame.task > first]
    by_seed = later.groupby(["pair", "layer", "seed"], sort=False)[["accumulated", "per_task", "difference"]].mean()
    pairs = list(dict.fromkeys(frame.pair))
    entries: dict[str, dict[str, Any]] = {}
    tests = []
    for (pair, layer), rows in by_seed.groupby(level=["pair", "layer"], sort=False):
        entry = {"accumulated": _interval(rows.accumulated), "per_task": _interval(rows.per_task),
                 "difference": _interval(rows.difference, signed=True), "p": paired_p_value(rows.difference)}
        entries.setdefault(pair, {})[str(int(layer))] = entry
        tests.append(entry)
    for entry, adjusted in zip(tests, holm([e["p"] for e in tests])):
        entry["p_holm"] = float(adjusted)
        entry["measurable"] = bool(adjusted <= ALPHA)
    cell_means = frame.groupby(["pair", "layer", "task"], sort=False)[["accumulated", "per_task", "difference"]].mean()
    cell_means = cell_means.reset_index()
    later_means = cell_means[cell_means.task > first]
    flips = later_means[later_means.accumulated * later_means.per_task < 0]
    layers = sorted(int(v) for v in frame.layer.unique())

    last_task = int(frame.task.max())

    def _sizes(present: list[str], layer: int, task: int) -> dict[str, float]:
        """The smallest and largest size of the seed-mean differences of ``present`` in one layer after ``task``."""
        rows = cell_means[cell_means.pair.isin(present) & (cell_means.layer == layer) & (cell_means.task == task)]
        return {"low": float(rows.difference.abs().min()), "high": float(rows.difference.abs().max()),
                "all_negative": bool((rows.difference < 0).all())}

    def group(members: tuple[str, ...]) -> dict[str, Any]:
        present = [p for p in members if p in entries]
        out: dict[str, Any] = {"pairs": present}
        for layer in layers:
            found = [entries[p][str(layer)] for p in present if str(layer) in entries[p]]
            means = [e["difference"]["mean"] for e in found]
            out[str(layer)] = {"low": float(min(means)), "high": float(max(means)),
                               "size": {"low": float(min(np.abs(means))), "high": float(max(np.abs(means)))},
                               "per_task": {"low": float(min(e["per_task"]["mean"] for e in found)),
                                            "high": float(max(e["per_task"]["mean"] for e in found))},
                               "after_second": _sizes(present, layer, first + 1),
                               "after_last": _sizes(present, layer, last_task),
                               "measurable": sum(e["measurable"] for e in found), "count": len(found),
                               "all_negative": all(m < 0 for m in means), "all_positive": all(m > 0 for m in means)}
        found = [entries[p][str(layer)]["difference"]["mean"] for p in present for layer in layers]
        out["largest"] = float(max(np.abs(found))) if found else None
        cells = later_means[later_means.pair.isin(present)]
        out["largest_cell"] = ({**_where(cells, cells.difference.abs().idxmax(), "pair", "layer", "task", "difference"),
                                "size": float(cells.difference.abs().max())} if len(cells) else None)
        return out

    return {
        "reg": reg, "lam": lam, "lambda_seeds": lambda_seeds,
        "seeds": sorted(int(s) for s in frame.seed.unique()),
        "pairs": entries,
        "pair_order": pairs,
        "layers": len(layers), "layer_ids": layers, "output_layer": max(layers), "tasks": int(frame.task.nunique()),
        "first_task": first, "later": {"first": first + 1, "last": int(frame.task.max())},
        "first_task_largest": float(frame[frame.task == first].difference.abs().max()),
        "family": len(tests), "alpha": ALPHA,
        "measurable": sum(e["measurable"] for e in tests),
        "gradient": group(GRADIENT_PAIRS),
        "sig": group(SIG_PAIRS),
        "largest_cell": {**_where(later_means, later_means.difference.abs().idxmax(), "pair", "layer", "task",
                                  "difference")},
        "sign_flips": [{"pair": r.pair, "layer": int(r.layer), "task": int(r.task), "accumulated": r.accumulated,
                        "per_task": r.per_task} for r in flips.itertuples()],
        "grid": {pair: {str(layer): [float(v) for v in rows.sort_values("task").difference]
                        for layer, rows in cell_means[cell_means.pair == pair].groupby("layer")}
                 for pair in pairs},
        "grid_tasks": sorted(int(t) for t in frame.task.unique()),
    }


# --------------------------------------------------------------------------- the group
def grid_page_records(study_root: Path) -> dict[str, dict[str, Any]]:
    """The records of b1, b3 and b4 from a study folder laid out like ``study/`` (its ``grid/`` sweep and, when
    present, ``author_logs/``)."""
    grid = load_study(Path(study_root) / GRID_DIR.name)
    logs = Path(study_root) / AUTHOR_LOGS_FILE.relative_to(STUDY_DIR)
    return {"b1": lambda_record(grid, read_author_logs(logs) if logs.is_file() else None),
            "b3": stability_record(grid),
            "b4": per_task_record(grid)}
