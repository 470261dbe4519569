"""The statistics the pages "Do they prune alike?" and "Why they agree" quote, as tidy frames.

Every function reads the committed tables of one configuration across its seeds
(:mod:`paper_code.analysis.across_seeds`) and returns numbers only; the findings records of the two pages
(:mod:`paper_code.studies.findings.pruning`, :mod:`paper_code.studies.findings.structure`) gather what the pages
state. Seed means are taken first, then any mean over layers or fractions. The rules
that turn numbers into words ("prune alike", "unit structure") are here too, so a page cannot apply them
differently from the tables.
"""

from __future__ import annotations

from itertools import combinations
from typing import Iterable

import numpy as np
import pandas as pd

from paper_code.analysis.across_seeds import Analysis
from paper_code.analysis.pairs import unordered
from paper_code.analysis.pruning import task_means
from paper_code.analysis.spread import pooled_std, within_spread
from paper_code.config import DEFAULT_METHODS, PAPER_PAIRS, is_method, ordered_methods

#: Top-k percentage used when one number has to stand for the overlap of two importances.
HEADLINE_K = 10.0
#: Below this |r| a pair's agreement is too weak to be split into a unit-level part and the rest.
WEAK_CORRELATION = 0.2
#: "Most of the agreement": a covariance share at least this large.
MOST = 0.8
#: Residuals correlated at least this much: the two importances also agree weight by weight.
RESIDUAL_AGREEMENT = 0.5
#: Pairs correlated at least this much are expected to prune alike.
HIGH_CORRELATION = 0.7


def sample_std(values: pd.Series) -> float:
    """The standard deviation over seeds, 0 where it is undefined (a single seed)."""
    value = values.std()
    return 0.0 if pd.isna(value) else float(value)


def method_order(methods: Iterable[str]) -> list[str]:
    """``methods`` in the library's reporting order."""
    present = set(methods)
    return [m for m in ordered_methods(present) if is_method(m)]


def at_last_task(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.task == frame.task.max()]


def rank_correlation(x: pd.Series, y: pd.Series) -> float:
    """Spearman's ρ of two columns (Pearson's r of their average ranks)."""
    return float(x.rank().corr(y.rank()))


# --------------------------------------------------------------------------- pruning
def pruning_summary(pruning: pd.DataFrame, ranking: str = "importance") -> pd.DataFrame:
    """Mean and standard deviation over seeds of the pruned accuracy (each seed's mean over the tasks evaluated),
    per method, scope and fraction, with the weights ranked by ``ranking``."""
    grouped = task_means(pruning[pruning.ranking == ranking]).groupby(["method", "scope", "fraction"])
    summary = grouped.accuracy.agg(mean="mean", std="std", seeds="count").reset_index()
    summary["std"] = summary["std"].fillna(0.0)
    return summary


def widest_fraction(summary: pd.DataFrame, scope: str) -> float:
    """The pruned fraction at which the methods' seed means lie furthest apart."""
    rows = summary[(summary.scope == scope) & (summary.fraction > 0)]
    return float(rows.groupby("fraction")["mean"].agg(lambda v: v.max() - v.min()).idxmax())


SCOPE_ORDER = ("layer", "global")
RANKING_CHANGE_COLUMNS = ("method", "scope", "importance", "saliency", "change", "change_ci", "seeds",
                          "importance_vs_random", "importance_vs_random_ci", "saliency_vs_random",
                          "saliency_vs_random_ci", "saliency_vs_magnitude", "saliency_vs_magnitude_ci")


def task_profile(pruning: pd.DataFrame, scope: str, fraction: float, ranking: str = "importance") -> pd.DataFrame:
    """Accuracy on each task evaluated, per method, with ``fraction`` of the weights removed (seed means and
    standard deviations): which tasks a pruned network forgets first."""
    rows = pruning[(pruning.scope == scope) & (pruning.ranking == ranking) & np.isclose(pruning.fraction, fraction)]
    return rows.groupby(["method", "task"]).accuracy.agg(mean="mean", std="std").reset_index()


def pruning_gaps(pruning: pd.DataFrame, ranking: str = "importance") -> pd.DataFrame:
    """For every two methods and scope: the mean absolute gap between their seed-mean curves over the pruned
    fractions, the pooled seed standard deviation, and whether they prune alike (the gap within the seed spread,
    :mod:`paper_code.analysis.spread`)."""
    summary = pruning_summary(pruning, ranking)
    summary = summary[summary.fraction > 0]
    rows = []
    for scope, part in summary.groupby("scope"):
        means = part.pivot(index="fraction", columns="method", values="mean")
        stds = part.pivot(index="fraction", columns="method", values="std")
        for a, b in combinations(method_order(means.columns), 2):
            gap = float((means[a] - means[b]).abs().mean())
            spread = float(pooled_std(stds[a], stds[b]).mean())
            rows.append(dict(method_a=a, method_b=b, scope=scope, gap=gap, spread=spread,
                             alike=within_spread(gap, spread)))
    return pd.DataFrame(rows)


def pair_agreement(analysis: Analysis) -> pd.DataFrame:
    """One row per two methods: their correlation after the last task (seed mean, then the mean over layers),
    their top-k overlaps (mean over seeds and layers) and how far apart they prune, per scope."""
    correlations = at_last_task(analysis.correlations)
    correlations = correlations[~correlations.pair.str.endswith("2")]  # squared sides are not method pairs
    by_pair = correlations.groupby(["pair", "layer"])[["pearson", "spearman"]].mean().groupby("pair").mean()
    overlap = analysis.topk_overlap.groupby(["method_a", "method_b", "k", "layer"]).jaccard.mean()
    overlap = overlap.groupby(["method_a", "method_b", "k"]).mean()
    gaps = pruning_gaps(analysis.pruning).set_index(["method_a", "method_b", "scope"])
    rows = []
    for pair, values in by_pair.iterrows():
        a, b = method_order(unordered(pair))
        row = dict(pair=pair, method_a=a, method_b=b, pearson=float(values.pearson), spearman=float(values.spearman))
        for k in sorted(analysis.topk_overlap.k.unique()):
            row[f"jaccard_{k:g}"] = float(overlap.get((a, b, k), np.nan))
        for scope in ("layer", "global"):
            if (a, b, scope) in gaps.index:
                row[f"gap_{scope}"] = float(gaps.loc[(a, b, scope), "gap"])
                row[f"alike_{scope}"] = bool(gaps.loc[(a, b, scope), "alike"])
        rows.append(row)
    return pd.DataFrame(rows).sort_values("pearson", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------- baselines
def baseline_summary(correlations: pd.DataFrame) -> pd.DataFrame:
    """Each importance's correlation with |w| and with the random control after the last task, per layer:
    ``method, baseline, layer, pearson_mean, pearson_std, spearman_mean``."""
    last = at_last_task(correlations)
    rows = []
    for method in DEFAULT_METHODS:
        for layer in sorted(last.layer.unique()):
            for baseline in ("magnitude", "random"):
                values = last[(last.pair == f"{method}_{baseline}") & (last.layer == layer)]
                if values.empty:
                    continue
                rows.append(dict(method=method, baseline=baseline, layer=int(layer),
                                 pearson_mean=float(values.pearson.mean()), pearson_std=sample_std(values.pearson),
                                 spearman_mean=float(values.spearman.mean())))
    return pd.DataFrame(rows, columns=["method", "baseline", "layer", "pearson_mean", "pearson_std", "spearman_mean"])


def mean_at_last(correlations: pd.DataFrame, pair: str, column: str = "pearson") -> pd.Series:
    """The seed mean of ``pair`` after the last task, per layer."""
    last = at_last_task(correlations)
    return last[last.pair == pair].groupby("layer")[column].mean()


def random_floor(correlations: pd.DataFrame) -> float | None:
    """The largest |r| (seed mean) of any importance with the random control after the last task."""
    last = at_last_task(correlations)
    random_pairs = last[last.pair.str.endswith("_random")]
    if random_pairs.empty:
        return None
    return float(random_pairs.groupby(["pair", "layer"]).pearson.mean().abs().max())


# --------------------------------------------------------------------------- unit structure
def structure_summary(structure: pd.DataFrame, kind: str = "accumulated") -> pd.DataFrame:
    """Seed means of the rank-1 shares per method and layer after the last task."""
    rows = at_last_task(structure[structure.importances == kind])
    return rows.groupby(["method", "layer"])[["energy_share", "variance_share", "pearson_fit"]].mean().reset_index()


def unit_share(structure_pairs: pd.DataFrame, pairs=PAPER_PAIRS, kind: str = "accumulated") -> pd.DataFrame:
    """Per pair and layer after the last task (seed means): observed r, the r of the rank-1 fits, the r of
    what the fits leave out, and the share of the covariance in the rank-1 parts."""
    rows = at_last_task(structure_pairs[structure_pairs.importances == kind])
    rows = rows[rows.pair.isin(pairs)]
    columns = ["pearson", "pearson_rank1", "pearson_residual", "rank1_share", "spearman", "spearman_rank1"]
    frame = rows.groupby(["pair", "layer"])[columns].mean().reset_index()
    order = {p: i for i, p in enumerate(pairs)}
    return frame.sort_values(["pair", "layer"], key=lambda c: c.map(order) if c.name == "pair" else c).reset_index(drop=True)


#: How much of a (pair, layer) agreement the rank-1 parts carry; see :func:`unit_share_reading`.
TOO_WEAK, UNIT_ONLY, UNIT_AND_WEIGHTS, MOSTLY_BEYOND, PARTLY_UNIT = (
    "too weak", "unit structure", "unit structure and weight by weight", "mostly beyond", "partly")


def unit_share_reading(pearson: float, rank1_share: float, residual: float) -> str:
    """Which part of an agreement is unit structure: too weak to split (|r| below :data:`WEAK_CORRELATION`),
    the unit structure alone (≥ :data:`MOST` of the covariance, residuals below :data:`RESIDUAL_AGREEMENT`),
    unit structure and weight by weight, mostly beyond it (under half), or partly."""
    if abs(pearson) < WEAK_CORRELATION:
        return TOO_WEAK
    if rank1_share >= MOST:
        return UNIT_ONLY if residual < RESIDUAL_AGREEMENT else UNIT_AND_WEIGHTS
    if rank1_share < 0.5:
        return MOSTLY_BEYOND
    return PARTLY_UNIT


def unit_share_counts(share: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The (pair, layer) cells strong enough to split, those whose covariance the rank-1 parts carry, those
    carried by the units alone, and those whose residuals agree."""
    strong = share[share.pearson.abs() >= WEAK_CORRELATION]
    carried = strong[strong.rank1_share >= MOST]
    return {
        "strong": strong,
        "carried": carried,
        "only": carried[carried.pearson_residual < RESIDUAL_AGREEMENT],
        "beyond": strong[strong.pearson_residual >= RESIDUAL_AGREEMENT],
    }


# --------------------------------------------------------------------------- against eqs. (2)-(3)
#: The two readings of eqs. (2)–(3) per importance (ids of ``eq23.csv``): the derivatives summed over the samples
#: before squaring (or taking the magnitude), as the equations are written, and per sample, as the importances
#: are computed.
EQ23_READINGS: dict[str, tuple[str, str]] = {"fis": ("eq2", "eq2_per_sample"), "mas": ("eq3", "eq3_per_sample")}


def eq23_by_seed(analysis: Analysis) -> pd.DataFrame:
    """Per seed, importance (FIS, MAS) and layer, after the last task, on each task's own importances: how closely
    each description reproduces the importance (Pearson r): ``summed`` and ``per_sample``, the two readings of
    eqs. (2)–(3), and ``rank1``, the rank-1 fit."""
    eq = at_last_task(analysis.eq23).set_index(["seed", "layer", "comparison"]).pearson.unstack("comparison")
    fits = at_last_task(analysis.structure[analysis.structure.importances == "per_task"])
    frames = []
    for method, (summed, per_sample) in EQ23_READINGS.items():
        if summed not in eq.columns or per_sample not in eq.columns:
            continue
        fit = fits[fits.method == method].set_index(["seed", "layer"]).pearson_fit
        joined = eq[[summed, per_sample]].join(fit.rename("rank1"), how="inner")
        joined = joined.rename(columns={summed: "summed", per_sample: "per_sample"}).reset_index()
        frames.append(joined.assign(method=method)[["method", "seed", "layer", "summed", "per_sample", "rank1"]])
    columns = ["method", "seed", "layer", "summed", "per_sample", "rank1"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


