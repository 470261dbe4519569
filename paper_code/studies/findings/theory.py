"""The findings of "The theory: why the importances agree": Benzing's √F prediction and the Fishers side by side.

Benzing (2022) predicts that MAS and SI grow as the square root of the Fisher: a log-log slope of 0.5 of either
against the Fisher, weight by weight. The paper's claim that FIS correlates better with MAS² than with MAS is that
same power law (MAS² ∝ F), read through Pearson's r. Two estimates of one Fisher predict a slope of 1.

The slope is graded as an equivalence: within ± :data:`SLOPE_MARGIN` of its prediction when the 90 % interval over
seeds (two one-sided t-tests at 5 %) lies inside that band; *does not hold* when the 95 % interval lies wholly
outside it. A seed's slope is its mean over the tasks, so the seeds are the independent units. The slope graded is
the standardized major axis (symmetric in the two importances, neither taken as exact); ordinary least squares is
given beside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.analysis.spread import equivalence_interval, paired_interval
from paper_code.studies.findings.record import interval, statistic
from paper_code.studies.theory import summarize

#: How far a slope may lie from its prediction and still count as the predicted power law.
SLOPE_MARGIN = 0.1
#: The pairs that test Benzing's prediction, and the Fishers compared with the empirical one.
BENZING_PAIRS: tuple[tuple[str, str], ...] = (("fis", "mas"), ("fis", "si"), ("fis_true", "mas"), ("fis_true", "si"))
FISHER_PAIRS: tuple[tuple[str, str], ...] = (("fis", "fis_true"), ("fis", "fis_sample"), ("fis", "fis_batch"),
                                             ("fis", "adam"), ("fis_true", "fis_sample"), ("fis_batch", "adam"))


def slope_verdict(per_seed: pd.Series, predicted: float) -> dict[str, Any]:
    """Whether the seeds' slopes are equivalent to ``predicted`` within :data:`SLOPE_MARGIN` (TOST), and whether
    they clearly miss it (95 % interval outside the band)."""
    mean, half90, _ = equivalence_interval(per_seed - predicted)
    centre, half95, _ = paired_interval(per_seed.to_numpy())
    equivalent = bool(abs(mean) + half90 < SLOPE_MARGIN)
    missed = bool(centre - half95 > predicted + SLOPE_MARGIN or centre + half95 < predicted - SLOPE_MARGIN)
    return {"equivalent": equivalent, "missed": missed,
            "grade": "holds" if equivalent else ("does not hold" if missed else "undecided")}


def _entry(group: pd.DataFrame, x: str, y: str, layer: int, kind: str, seeds: list[int]) -> dict[str, Any]:
    per_seed = group.groupby("seed")[["slope", "sd_slope", "pearson", "pearson_sqrt_x", "pearson_y_squared",
                                      "spearman", "pearson_log", "share_used"]].mean()
    predicted = float(group.predicted.iloc[0])

    def labelled(column: str, quantity: str, **extra: Any) -> dict[str, Any]:
        return interval(per_seed[column], **extra, label=statistic(quantity, x=x, y=y, layer=layer, kind=kind,
                                                                   seeds=seeds, tasks="1-10"))

    return {
        "predicted": predicted,
        "slope": labelled("sd_slope", "log-log slope (major axis)"),
        "ols_slope": labelled("slope", "log-log slope (least squares)"),
        "pearson": labelled("pearson", "Pearson r"),
        "pearson_sqrt_x": labelled("pearson_sqrt_x", "Pearson r with the square root of x"),
        "pearson_y_squared": labelled("pearson_y_squared", "Pearson r with y squared"),
        "pearson_log": labelled("pearson_log", "Pearson r of the logarithms"),
        "spearman": labelled("spearman", "Spearman rho"),
        "squaring_gain": interval(per_seed.pearson_y_squared - per_seed.pearson, signed=True),
        "root_gain": interval(per_seed.pearson_sqrt_x - per_seed.pearson, signed=True),
        "share_used": float(per_seed.share_used.mean()),
        **slope_verdict(per_seed.sd_slope, predicted),
    }


def theory_record(table: pd.DataFrame) -> dict[str, Any]:
    """Everything the page states, from the committed theory table (:data:`~paper_code.analysis.theory.THEORY_COLUMNS`)."""
    seeds = sorted(int(s) for s in table.seed.unique())
    layers = sorted(int(v) for v in table.layer.unique())
    pairs: dict[str, dict[str, Any]] = {}
    for kind in ("own", "accumulated"):
        for (x, y, layer), group in table[table.kind == kind].groupby(["x", "y", "layer"]):
            pairs.setdefault(kind, {}).setdefault(f"{y}_{x}", {})[str(layer)] = _entry(group, x, y, int(layer), kind,
                                                                                        seeds)
    own = pairs["own"]
    # Where Pearson's r is highest with √x, the transform the law names, rather than with x or with y².
    root_best = {pair: [int(layer) for layer, e in own[pair].items()
                        if e["pearson_sqrt_x"]["mean"] > max(e["pearson"]["mean"], e["pearson_y_squared"]["mean"])]
                 for pair in (f"{y}_{x}" for x, y in BENZING_PAIRS)}
    benzing = {f"{y}_{x}": sum(own[f"{y}_{x}"][str(layer)]["grade"] == "holds" for layer in layers)
               for x, y in BENZING_PAIRS}
    # The paper's Fig. 2 claim, cell by cell on the accumulated importances: after which tasks squaring MAS helps.
    mas = table[(table.kind == "accumulated") & (table.x == "fis") & (table.y == "mas")]
    by_task = mas.assign(gain=mas.pearson_y_squared - mas.pearson).groupby(["task", "seed"]).gain.mean()
    task_gain = {int(task): interval(group.to_numpy(), signed=True)
                 for task, group in by_task.groupby(level="task")}
    summary = summarize(table[table.kind == "own"], by=("x", "y"))
    pooled = {f"{row.y}_{row.x}": {"slope": row.sd_slope, "half": row.sd_slope_ci, "ols": row.slope}
              for row in summary.itertuples()}
    return {
        "seeds": seeds,
        "layers": layers,
        "tasks": int(table.task.max()),
        "margin": SLOPE_MARGIN,
        "pairs": pairs,
        "benzing_layers_holding": benzing,
        "mas_squared_by_task": task_gain,
        "mas_squared_helps_tasks": [t for t, v in task_gain.items() if v["mean"] - v["half"] > 0],
        "mas_squared_hurts_tasks": [t for t, v in task_gain.items() if v["mean"] + v["half"] < 0],
        "pooled": pooled,
        "root_best_layers": root_best,
        "fisher_batch_spearman_low": min(e["spearman"]["mean"] for e in own["fis_batch_fis"].values()),
        "pair_methods": {f"{y}_{x}": [y, x] for x, y in BENZING_PAIRS + FISHER_PAIRS},
        "benzing_pairs": [f"{y}_{x}" for x, y in BENZING_PAIRS],
        "fisher_pairs": [f"{y}_{x}" for x, y in FISHER_PAIRS],
    }
