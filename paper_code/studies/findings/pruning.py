"""The findings of "Do they prune alike?": how much accuracy each importance keeps when the weights it ranks lowest
are removed, whether ranking by EWC's own cost of removal (Ω·w²) changes that, which tasks the pruning takes first,
and whether two importances that correlate keep the same top weights and prune alike.

All on the networks of the committed analysis (``study/analysis/<key>``), which were retrained for it (a study trial
keeps no networks): the same configuration and seeds as the study's trials, whose final accuracy they match within
the rounding noise (:func:`~paper_code.studies.findings.analysed.retraining`).

Every paired comparison the page makes is one test of a single family (:func:`family`): against random removal,
between the two rankings, against pruning by |w|, and the oldest task against the newest. Their p-values (Student's
paired t over seeds) are corrected by Holm's method before a difference is called measurable. Whether two
importances *prune alike* is no test: their two accuracy curves lie within :data:`SPREAD_MULTIPLE` pooled seed
standard deviations of each other (:func:`paper_code.analysis.summaries.pruning_gaps`), a comparison with the seed
spread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from paper_code.analysis import summaries
from paper_code.analysis.across_seeds import Analysis
from paper_code.analysis.overlap import chance_jaccard
from paper_code.analysis.pruning import SCOPES, task_means
from paper_code.analysis.spread import SPREAD_MULTIPLE
from paper_code.analysis.pairs import unordered
from paper_code.model import LAYER_SIZES
from paper_code.studies.findings.analysed import (
    GRADIENT,
    analysed,
    configuration,
    correct,
    interval,
    paired_test,
    retraining,
    span,
)
from paper_code.studies.findings.structure import MODERATE

#: The references a pruning is measured against, each ranked by itself.
BASELINES = ("magnitude", "random")
#: The scope whose pruned network the task profile reads (all weights ranked together).
TASK_SCOPE = "global"
#: Below this |r| two rankings are "hardly related" (the weak correlation of the unit-structure split).
HARDLY_RELATED = summaries.WEAK_CORRELATION


def areas(pruning: pd.DataFrame) -> pd.DataFrame:
    """Each seed's accuracy (mean over the tasks evaluated) averaged over the pruned fractions: a frame indexed by
    (seed, method, scope) with one column per ranking."""
    pruned = task_means(pruning[pruning.fraction > 0])
    return pruned.groupby(["seed", "method", "scope", "ranking"]).accuracy.mean().unstack("ranking")


def _scope_record(at: pd.DataFrame) -> dict[str, Any]:
    """One scope: every method's mean accuracy over the pruned fractions by each ranking, and each importance's
    four comparisons, paired by seed."""
    methods = summaries.method_order(at.index.get_level_values("method").unique())
    by = {m: at.xs(m, level="method") for m in methods}
    random, magnitude = by["random"]["importance"], by["magnitude"]["importance"]
    importances = [m for m in methods if m not in BASELINES]
    return {
        "order": sorted(methods, key=lambda m: -float(by[m]["importance"].mean())),
        "importance": {m: interval(by[m]["importance"]) for m in methods},
        "saliency": {m: interval(by[m]["saliency"]) for m in importances},
        "tests": {m: {"versus_random": paired_test(by[m]["importance"] - random),
                      "change": paired_test(by[m]["saliency"] - by[m]["importance"]),
                      "saliency_versus_random": paired_test(by[m]["saliency"] - random),
                      "saliency_versus_magnitude": paired_test(by[m]["saliency"] - magnitude)}
                  for m in importances},
    }


def _tasks_record(pruning: pd.DataFrame, scope: str, fraction: float) -> dict[str, Any]:
    """The pruned network's accuracy on the task learned first minus that on the task learned last, per method,
    paired by seed, at ``fraction`` removed under ``scope`` (ranked by the importance)."""
    rows = pruning[(pruning.scope == scope) & (pruning.ranking == "importance") & np.isclose(pruning.fraction, fraction)]
    first, last = int(rows.task.min()), int(rows.task.max())
    tests = {}
    for method in summaries.method_order(rows.method.unique()):
        by_task = rows[rows.method == method].pivot_table(index="seed", columns="task", values="accuracy")
        tests[method] = paired_test(by_task[first] - by_task[last])
    return {"scope": scope, "fraction": fraction, "first": first, "last": last, "tests": tests}


def family(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every paired test of a record, in a fixed order: the family Holm's correction runs over."""
    for scope in record["pruning"].values():
        for tests in scope["tests"].values():
            yield from tests.values()
    yield from record["tasks"]["tests"].values()


def _pair_key(a: str, b: str) -> str:
    return f"{a}_{b}"


def _pearson_by_layer(analysis: Analysis) -> dict[str, dict[str, float]]:
    """Every two methods' Pearson r after the last task on each layer (mean over seeds), by pair key: the values
    whose mean over the layers :func:`~paper_code.analysis.summaries.pair_agreement` reports."""
    last = summaries.at_last_task(analysis.correlations)
    last = last[~last.pair.str.endswith("2")]  # squared sides are not method pairs
    out: dict[str, dict[str, float]] = {}
    for (pair, layer), value in last.groupby(["pair", "layer"]).pearson.mean().items():
        out.setdefault(_pair_key(*summaries.method_order(unordered(pair))), {})[str(int(layer))] = float(value)
    return out


def _jaccard_by_layer(analysis: Analysis, k: float) -> dict[str, dict[str, float]]:
    """Every two methods' top-``k`` % Jaccard overlap on each layer (mean over seeds), by pair key."""
    rows = analysis.topk_overlap[np.isclose(analysis.topk_overlap.k, k)]
    out: dict[str, dict[str, float]] = {}
    for (a, b, layer), value in rows.groupby(["method_a", "method_b", "layer"]).jaccard.mean().items():
        out.setdefault(_pair_key(*summaries.method_order((a, b))), {})[str(int(layer))] = float(value)
    return out


def _by_layer_span(rows: list[dict[str, Any]], field: str) -> dict[str, dict[str, float]]:
    """Per layer, the lowest and highest of a per-layer field over some pairs."""
    layers = sorted({layer for p in rows for layer in p[field]}, key=int)
    return {layer: span([p[field][layer] for p in rows if layer in p[field]]) for layer in layers}


def random_scopes(pruning: pd.DataFrame) -> dict[str, Any] | None:
    """Random removal under the two scopes: the largest difference between the two accuracies of one seed, fraction
    and task (ranked by the importance). The random control ranks each layer's weights as ``rank / n``
    (:func:`~paper_code.importance.random_control.random_importance`), uniform on (0, 1] in every layer, so ranked
    together its lowest fraction of all weights is that fraction of every layer: the weights the layer-wise ranking
    removes, wherever the fraction of each layer is a whole number of weights (``whole_per_layer``: at every fraction
    pruned, for the paper's layer sizes). ``None`` without both scopes."""
    rows = pruning[(pruning.method == "random") & (pruning.ranking == "importance")]
    if not set(SCOPES) <= set(rows.scope):
        return None
    wide = rows.pivot_table(index=["seed", "fraction", "task"], columns="scope", values="accuracy")
    weights = [LAYER_SIZES[i] * LAYER_SIZES[i + 1] for i in range(len(LAYER_SIZES) - 1)]
    return {"largest_difference": float((wide["layer"] - wide["global"]).abs().max()),
            "whole_per_layer": all(abs(f * n - round(f * n)) < 1e-6 for f in rows.fraction.unique() for n in weights)}


def _agreement(analysis: Analysis) -> dict[str, Any]:
    """Every two methods: their correlation after the last task (seed mean, then over layers, and per layer), their
    top-k overlaps (mean over seeds and layers, and per layer for the headline k), their pruning gaps and whether they
    prune alike; and how the correlation orders the overlaps and the gaps across the pairs."""
    agreement = summaries.pair_agreement(analysis)
    ks = sorted(float(k) for k in analysis.topk_overlap.k.unique())
    scopes = [s for s in summaries.SCOPE_ORDER if f"gap_{s}" in agreement]
    by_layer = _pearson_by_layer(analysis)
    jaccard_by_layer = _jaccard_by_layer(analysis, summaries.HEADLINE_K)
    pairs = {}
    for r in agreement.itertuples():
        key = _pair_key(r.method_a, r.method_b)
        pairs[key] = {
            "a": r.method_a, "b": r.method_b, "pearson": float(r.pearson),
            "pearson_by_layer": by_layer.get(key, {}),
            "jaccard": {f"{k:g}": float(getattr(r, f"jaccard_{k:g}")) for k in ks},
            "jaccard_by_layer": jaccard_by_layer.get(key, {}),
            "gap": {s: float(getattr(r, f"gap_{s}")) for s in scopes},
            "alike": {s: bool(getattr(r, f"alike_{s}")) for s in scopes},
        }

    def among(first: tuple[str, ...], second: tuple[str, ...]) -> list[dict[str, Any]]:
        return [p for p in pairs.values() if p["a"] != p["b"]
                and ((p["a"] in first and p["b"] in second) or (p["a"] in second and p["b"] in first))]

    headline = f"{summaries.HEADLINE_K:g}"
    groups = {"gradient": among(GRADIENT, GRADIENT),
              "sig_gradient": among(("sig",), GRADIENT), "magnitude_gradient": among(("magnitude",), GRADIENT)}
    summary = {name: {"pairs": len(rows), "pearson": span([p["pearson"] for p in rows]),
                      "pearson_by_layer": _by_layer_span(rows, "pearson_by_layer"),
                      "jaccard": span([p["jaccard"][headline] for p in rows]),
                      "jaccard_by_layer": _by_layer_span(rows, "jaccard_by_layer"),
                      "jaccard_layer_span": span([v for p in rows for v in p["jaccard_by_layer"].values()]),
                      "gap": span([p["gap"][s] for p in rows for s in scopes]),
                      **{f"gap_{s}": span([p["gap"][s] for p in rows]) for s in scopes},
                      **{f"alike_{s}": sum(p["alike"][s] for p in rows) for s in scopes}}
               for name, rows in groups.items()}
    sig_magnitude = pairs[_pair_key(*summaries.method_order(("sig", "magnitude")))]
    return {
        "pairs": pairs,
        "order": list(pairs),
        "count": len(pairs),
        "k": [f"{k:g}" for k in ks],
        "chance": {f"{k:g}": chance_jaccard(k, LAYER_SIZES[0] * LAYER_SIZES[1]) for k in ks},
        "overlap_rho": summaries.rank_correlation(agreement.pearson, agreement[f"jaccard_{headline}"]),
        "gap_rho": {s: summaries.rank_correlation(agreement.pearson, agreement[f"gap_{s}"]) for s in scopes},
        "alike": {s: [k for k, p in pairs.items() if p["alike"][s]] for s in scopes},
        "apart_above_high": [k for k, p in pairs.items()
                             if p["pearson"] >= summaries.HIGH_CORRELATION and not all(p["alike"].values())],
        "groups": summary,
        "sig_magnitude": sig_magnitude,
    }


def pruning_record(analysis: Analysis, study_accuracy: pd.Series | None = None,
                   rounding_sd: float | None = None) -> dict[str, Any]:
    """Everything the page states (see the module's docstring). ``study_accuracy``: the final accuracy, by seed, of
    the study's trials of the analysed configuration, set beside the retrained networks'; ``rounding_sd``: the
    rounding noise of one run's final accuracy (the noise study), which their differences are held to."""
    pruning = analysis.pruning
    by_seed = areas(pruning)
    scopes = [s for s in summaries.SCOPE_ORDER if s in by_seed.index.get_level_values("scope")]
    summary = summaries.pruning_summary(pruning)
    fraction = summaries.widest_fraction(summary, TASK_SCOPE)
    fractions = sorted(float(f) for f in pruning.fraction.unique() if f > 0)
    record: dict[str, Any] = {
        "seeds": analysis.seeds,
        "key": analysis.key,
        "configuration": configuration(analysis),
        **retraining(analysis, study_accuracy, rounding_sd),
        "after_task": int(pruning.after_task.max()),
        "fractions": fractions,
        "fraction_range": span(fractions),
        "pruning": {s: _scope_record(by_seed.xs(s, level="scope")) for s in scopes},
        "random_scopes": random_scopes(pruning),
        "tasks": _tasks_record(pruning, TASK_SCOPE, fraction),
        "agreement": _agreement(analysis),
        "thresholds": {"hardly_related": HARDLY_RELATED, "moderate": MODERATE, "high": summaries.HIGH_CORRELATION,
                       "spread": SPREAD_MULTIPLE, "headline_k": summaries.HEADLINE_K},
    }
    record["family"] = correct(list(family(record)))
    record["ranges"] = _ranges(record)
    return record


def _ranges(record: dict[str, Any]) -> dict[str, Any]:
    """The spans the prose quotes: over the importances and both scopes, what ranking by Ω·w² adds, and how far the
    Ω·w² ranking lies from random removal and from |w|; per scope, the gradient importances against random."""
    tests = [t for scope in record["pruning"].values() for t in scope["tests"].values()]
    gradient = {s: [scope["tests"][m]["versus_random"] for m in GRADIENT if m in scope["tests"]]
                for s, scope in record["pruning"].items()}
    return {
        "change": span([t["change"]["mean"] for t in tests]),
        "saliency_versus_random": span([t["saliency_versus_random"]["mean"] for t in tests]),
        "saliency_versus_magnitude": span([t["saliency_versus_magnitude"]["mean"] for t in tests]),
        "gradient_versus_random": {s: span([t["mean"] for t in rows]) for s, rows in gradient.items()},
    }


def pruning_records(study: Path) -> dict[str, dict[str, Any]]:
    """The page's record from a study folder laid out like ``study/`` (its ``analysis/``, ``grid/`` and ``noise/``)."""
    return {"b5": pruning_record(*analysed(study))}
