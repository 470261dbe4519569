"""The findings of "The theory: why the importances agree": Benzing's √F prediction and the Fishers side by side.

Benzing (2022) predicts that MAS and SI grow as the square root of the Fisher: a log-log slope of 0.5 of either
against the Fisher, weight by weight. The paper's claim that FIS correlates better with MAS² than with MAS is that
same power law (MAS² ∝ F), read through Pearson's r. Two estimates of one Fisher predict a slope of 1.

A slope is estimated two ways, because which is right depends on where the noise lies: least squares of log y on
log x (the Fisher taken as exact) and the standardized major axis (both noisy; least squares divided by |r|). Each
is checked as an equivalence: within ± :data:`SLOPE_MARGIN` of its prediction when the 90 % interval over seeds
(two one-sided t-tests at 5 %) lies inside that band, clearly outside when the 95 % interval lies wholly beyond it.
A slope is *within* only when both estimates are, *outside* only when both are. A seed's slope is its mean over
the tasks, so the seeds are the independent units; the intervals say how well five seeds pin that mean down, and
the spread over the tasks, which is larger, is given beside them. The paper's SI follows the gradient of the total
loss, EWC-MAS's penalty included, so it carries some of MAS from task 2 on; SI with its task gradient alone
(``si_task``, same networks) is the clean test of Benzing's claim about SI.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.analysis.spread import equivalence_interval, holm, paired_interval, paired_p_value
from paper_code.studies.findings.record import interval, statistic

#: How far a slope may lie from its prediction and still count as the predicted power law.
SLOPE_MARGIN = 0.1
#: Family-wise error rate of the task-by-task test of squaring MAS (Holm over the tasks).
ALPHA = 0.05
#: The pairs that test Benzing's prediction (SI with its task gradient where the table has it), and the Fishers
#: compared with the empirical one.
BENZING_PAIRS: tuple[tuple[str, str], ...] = (("fis", "mas"), ("fis", "si"), ("fis", "si_task"), ("fis_true", "mas"),
                                              ("fis_true", "si"), ("fis_true", "si_task"))
FISHER_PAIRS: tuple[tuple[str, str], ...] = (("fis", "fis_true"), ("fis", "fis_sample"), ("fis", "fis_batch"),
                                             ("fis", "adam"), ("fis_true", "fis_sample"), ("fis_batch", "adam"))
#: What a slope's two estimates say together: both within the margin, both clearly outside, or one each.
VERDICTS: tuple[str, ...] = ("within", "outside", "depends on the estimator")


def slope_check(per_seed: pd.Series, predicted: float) -> dict[str, bool]:
    """Whether the seeds' slopes are equivalent to ``predicted`` within :data:`SLOPE_MARGIN` (TOST, 90 % interval
    inside the band), and whether they clearly miss it (95 % interval wholly outside)."""
    mean, half90, _ = equivalence_interval(per_seed - predicted)
    centre, half95, _ = paired_interval(per_seed.to_numpy())
    return {"equivalent": bool(abs(mean) + half90 < SLOPE_MARGIN),
            "missed": bool(centre - half95 > predicted + SLOPE_MARGIN or centre + half95 < predicted - SLOPE_MARGIN)}


def slope_verdict(major: pd.Series, least_squares: pd.Series, predicted: float) -> str:
    """The two estimates of one slope together (:data:`VERDICTS`): the reduced major axis treats both importances as noisy,
    least squares the Fisher as exact; which is right depends on where the noise lies, so a slope counts as the
    predicted one only when both say so."""
    checks = [slope_check(major, predicted), slope_check(least_squares, predicted)]
    if all(c["equivalent"] for c in checks):
        return "within"
    if all(c["missed"] for c in checks):
        return "outside"
    return "depends on the estimator"


STATISTICS: tuple[str, ...] = ("slope", "sd_slope", "pearson", "pearson_sqrt_x", "pearson_y_squared", "spearman",
                               "pearson_log", "share_used")


def _entry(group: pd.DataFrame, x: str, y: str, layer: int, kind: str, seeds: list[int]) -> dict[str, Any]:
    per_seed = group.groupby("seed")[list(STATISTICS)].mean()
    by_task = group.groupby("task")[["sd_slope", "slope"]].mean()
    predicted = float(group.predicted.iloc[0])
    tasks = f"{group.task.min()}-{group.task.max()}"

    def labelled(column: str, quantity: str, **extra: Any) -> dict[str, Any]:
        return interval(per_seed[column], **extra, label=statistic(quantity, x=x, y=y, layer=layer, kind=kind,
                                                                   seeds=seeds, tasks=tasks))

    return {
        "predicted": predicted,
        "slope": labelled("sd_slope", "log-log slope (reduced major axis)"),
        "ols_slope": labelled("slope", "log-log slope (least squares)"),
        "pearson": labelled("pearson", "Pearson r"),
        "pearson_sqrt_x": labelled("pearson_sqrt_x", "Pearson r with the square root of x"),
        "pearson_y_squared": labelled("pearson_y_squared", "Pearson r with y squared"),
        "pearson_log": labelled("pearson_log", "Pearson r of the logarithms"),
        "spearman": labelled("spearman", "Spearman rho"),
        "squaring_gain": interval(per_seed.pearson_y_squared - per_seed.pearson, signed=True),
        "root_gain": interval(per_seed.pearson_sqrt_x - per_seed.pearson, signed=True),
        "share_used": float(per_seed.share_used.mean()),
        # The slope task by task (mean over seeds, both estimators): the spread the task means average away.
        "task_low": float(by_task.min().min()), "task_high": float(by_task.max().max()),
        "first_task": float(by_task.sd_slope.iloc[0]), "last_task": float(by_task.sd_slope.iloc[-1]),
        "verdict": slope_verdict(per_seed.sd_slope, per_seed.slope, predicted),
    }


def theory_record(table: pd.DataFrame) -> dict[str, Any]:
    """Everything the page states, from the committed theory table (:data:`~paper_code.analysis.theory.THEORY_COLUMNS`)."""
    seeds = sorted(int(s) for s in table.seed.unique())
    layers = sorted(int(v) for v in table.layer.unique())
    present = {(x, y) for x, y in zip(table.x, table.y)}
    benzing = [(x, y) for x, y in BENZING_PAIRS if (x, y) in present]
    pairs: dict[str, dict[str, Any]] = {}
    for kind in ("own", "accumulated"):
        for (x, y, layer), group in table[table.kind == kind].groupby(["x", "y", "layer"]):
            pairs.setdefault(kind, {}).setdefault(f"{y}_{x}", {})[str(layer)] = _entry(group, x, y, int(layer), kind,
                                                                                        seeds)
    own = pairs["own"]
    within = {f"{y}_{x}": sum(own[f"{y}_{x}"][str(layer)]["verdict"] == "within" for layer in layers)
              for x, y in benzing}
    # Where Pearson's r is highest with √x, the transform the law names, rather than with x or with y².
    root_best = {f"{y}_{x}": [int(layer) for layer, e in own[f"{y}_{x}"].items()
                              if e["pearson_sqrt_x"]["mean"] > max(e["pearson"]["mean"], e["pearson_y_squared"]["mean"])]
                 for x, y in benzing}
    # The paper's Fig. 2 claim task by task on the accumulated importances, one test per task, Holm over the tasks.
    mas = table[(table.kind == "accumulated") & (table.x == "fis") & (table.y == "mas")]
    by_task = mas.assign(gain=mas.pearson_y_squared - mas.pearson).groupby(["task", "seed"]).gain.mean()
    task_gain = {int(task): interval(group.to_numpy(), signed=True) for task, group in by_task.groupby(level="task")}
    p_values = [paired_p_value(by_task.xs(task, level="task").to_numpy()) for task in task_gain]
    for (task, entry), p, adjusted in zip(task_gain.items(), p_values, holm(p_values)):
        entry.update(p_value=float(p), p_holm=float(adjusted))
    layer_gain = mas[mas.task == 1].assign(gain=lambda t: t.pearson_y_squared - t.pearson).groupby("layer").gain.mean()
    pooled = {}
    for (x, y), group in table[table.kind == "own"].groupby(["x", "y"]):
        per_layer = group.groupby("layer")[["sd_slope", "slope"]].mean()
        first = group[group.task == group.task.min()].groupby("layer")[["sd_slope", "slope"]].mean()
        later = group[group.task > group.task.min()].groupby("layer")[["sd_slope", "slope"]].mean()
        pooled[f"{y}_{x}"] = {"slope": float(per_layer.sd_slope.mean()), "ols": float(per_layer.slope.mean()),
                              "low": float(per_layer.min().min()), "high": float(per_layer.max().max()),
                              # the first task, learned from random weights, and the tasks after it, both estimators
                              "first_low": float(first.min().min()), "first_high": float(first.max().max()),
                              "later_low": float(later.min().min()), "later_high": float(later.max().max())}
    # SI with the task gradient alone against the paper's SI (total gradient, EWC-MAS's penalty included): the
    # largest difference of their slopes in any layer, both estimators, means over seeds.
    si_gap = None
    if "si_task_fis" in pooled:
        slopes = table[(table.kind == "own") & (table.x == "fis") & table.y.isin(["si", "si_task"])]
        means = slopes.groupby(["y", "layer"])[["sd_slope", "slope"]].mean()
        si_gap = float((means.loc["si_task"] - means.loc["si"]).abs().max().max())
    return {
        "seeds": seeds,
        "layers": layers,
        "tasks": int(table.task.max()),
        "margin": SLOPE_MARGIN,
        "alpha": ALPHA,
        "pairs": pairs,
        "layers_within": within,
        "mas_squared_by_task": task_gain,
        "mas_squared_helps_tasks": [t for t, v in task_gain.items() if v["mean"] > 0 and v["p_holm"] <= ALPHA],
        "mas_squared_hurts_tasks": [t for t, v in task_gain.items() if v["mean"] < 0 and v["p_holm"] <= ALPHA],
        "mas_squared_task1_by_layer": {str(int(k)): float(v) for k, v in layer_gain.items()},
        "pooled": pooled,
        "si_task_gap": si_gap,
        "root_best_layers": root_best,
        "fisher_batch_spearman_low": min(e["spearman"]["mean"] for e in own["fis_batch_fis"].values()),
        "pair_methods": {f"{y}_{x}": [y, x] for x, y in benzing + list(FISHER_PAIRS)},
        "benzing_pairs": [f"{y}_{x}" for x, y in benzing],
        "fisher_pairs": [f"{y}_{x}" for x, y in FISHER_PAIRS],
    }
