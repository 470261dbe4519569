"""The findings of "Why they agree": how close each importance is to a row × column product (its unit structure),
how much of each pair's agreement those products carry, and how each importance relates to |w| and to a random
control. All on the networks of the committed analysis, which were retrained for it (a study trial keeps no
networks): the same configuration and seeds as the study's trials, whose numbers they match up to rounding.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.analysis import summaries
from paper_code.analysis.across_seeds import Analysis
from paper_code.analysis.spread import paired_interval
from paper_code.studies.findings.record import statistic


#: The pairs of the three importances built from gradients (MAS, FIS, SI), whose agreement the paper explains.
GRADIENT_PAIRS = ("mas_fis", "mas_si", "fis_si")


def _interval(values: pd.Series, label: str | None = None) -> dict[str, Any]:
    mean, half, n = paired_interval(values)
    return {"mean": mean, "half": half, "seeds": n, **({"label": label} if label else {})}


def _by_layer(frame: pd.DataFrame, value: str) -> dict[str, float]:
    return {str(int(layer)): float(v) for layer, v in zip(frame.layer, frame[value])}


def structure_record(analysis: Analysis, study_accuracy: pd.Series | None = None) -> dict[str, Any]:
    """Everything the page states. ``study_accuracy``: the final accuracy, by seed, of the study's trials of the
    analysed configuration, set beside the retrained networks' (they differ by rounding only)."""
    structure = summaries.structure_summary(analysis.structure)
    share = summaries.unit_share(analysis.structure_pairs)
    baselines = summaries.baseline_summary(analysis.correlations)
    counts = summaries.unit_share_counts(share)
    retrained = analysis.runs.set_index("seed").final_accuracy
    gradient = share[share.pair.isin(GRADIENT_PAIRS)]
    record: dict[str, Any] = {
        "seeds": analysis.seeds,
        "key": analysis.key,
        "retrained_accuracy": _interval(retrained, statistic(
            "final average accuracy", reg=analysis.config.reg, lam=analysis.config.lam,
            seeds=sorted(int(s) for s in retrained.index), trials="retrained for the analysis")),
        "rank1_share": {m: _by_layer(rows, "variance_share") for m, rows in structure.groupby("method", sort=False)},
        "rank1_share_range": {m: {"low": float(rows.variance_share.min()), "high": float(rows.variance_share.max())}
                              for m, rows in structure.groupby("method", sort=False)},
        "pairs": {pair: {str(int(r.layer)): {"pearson": r.pearson, "pearson_rank1": r.pearson_rank1,
                                             "pearson_residual": r.pearson_residual, "rank1_share": r.rank1_share,
                                             "reading": summaries.unit_share_reading(r.pearson, r.rank1_share,
                                                                                     r.pearson_residual)}
                         for r in rows.itertuples()} for pair, rows in share.groupby("pair", sort=False)},
        "residual_range": {"low": float(gradient.pearson_residual.min()), "high": float(gradient.pearson_residual.max()),
                           "pairs": list(GRADIENT_PAIRS)},
        "cells": {"judged": len(share), **{name: len(rows) for name, rows in counts.items()}},
        "magnitude": {m: _by_layer(rows, "pearson_mean")
                      for m, rows in baselines[baselines.baseline == "magnitude"].groupby("method", sort=False)},
        "magnitude_range": {m: {"low": float(rows.pearson_mean.min()), "high": float(rows.pearson_mean.max())}
                            for m, rows in baselines[baselines.baseline == "magnitude"].groupby("method", sort=False)},
        "random_floor": summaries.random_floor(analysis.correlations),
        "thresholds": {"weak": summaries.WEAK_CORRELATION, "most": summaries.MOST,
                       "residual": summaries.RESIDUAL_AGREEMENT},
    }
    if study_accuracy is not None:
        shared = retrained.index.intersection(study_accuracy.index)
        record["study_accuracy"] = _interval(study_accuracy.loc[shared], statistic(
            "final average accuracy", reg=analysis.config.reg, lam=analysis.config.lam,
            seeds=sorted(int(s) for s in shared), trials="committed"))
        record["retrained_minus_study"] = _interval(retrained.loc[shared] - study_accuracy.loc[shared])
    return record
