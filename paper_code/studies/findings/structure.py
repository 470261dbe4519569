"""The findings of "Why they agree": how close each importance is to a row × column product (its unit structure),
how much of each pair's agreement those products carry, how each importance relates to |w| and to a random
control, and how closely the paper's eqs. (2)–(3), read as written and read per sample, reproduce FIS and MAS.

All on the networks of the committed analysis, which were retrained for it (a study trial keeps no networks): the
same configuration and seeds as the study's trials, whose final accuracy they match within the rounding noise
(:func:`~paper_code.studies.findings.analysed.retraining`). The paired comparisons of eqs. (2)–(3) with the rank-1
fits are one family, corrected by Holm's method.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.analysis import summaries
from paper_code.analysis.across_seeds import Analysis
from paper_code.studies.findings.analysed import GRADIENT, configuration, correct, paired_test, retraining, span

#: The pairs of the three importances built from gradients (MAS, FIS, SI), whose agreement the paper explains.
GRADIENT_PAIRS = ("mas_fis", "mas_si", "fis_si")
#: The paper's pairs with SIG.
SIG_PAIRS = ("mas_sig", "fis_sig", "si_sig")
#: Below this |r| two importances are "hardly related"; below :data:`MODERATE` (and above the first) "weakly".
HARDLY_RELATED = summaries.WEAK_CORRELATION
MODERATE = 0.5


def _by_layer(frame: pd.DataFrame, value: str) -> dict[str, float]:
    return {str(int(layer)): float(v) for layer, v in zip(frame.layer, frame[value])}


def _cells(frame: pd.DataFrame) -> list[list[Any]]:
    """(pair, layer) cells as ``[pair, layer]`` lists."""
    return [[str(r.pair), int(r.layer)] for r in frame.itertuples()]


def _eq23(analysis: Analysis) -> dict[str, Any]:
    """Per importance (FIS, MAS) and layer: how closely each reading of eqs. (2)–(3) and the rank-1 fit reproduce it
    (seed means), and two paired comparisons per cell, Holm-corrected together: per sample − rank-1, rank-1 −
    summed."""
    by_seed = summaries.eq23_by_seed(analysis)
    cells: dict[str, dict[str, Any]] = {}
    for (method, layer), group in by_seed.groupby(["method", "layer"], sort=False):
        cells.setdefault(str(method), {})[str(int(layer))] = {
            "summed": float(group.summed.mean()), "per_sample": float(group.per_sample.mean()),
            "rank1": float(group.rank1.mean()),
            "per_sample_minus_rank1": paired_test(group.per_sample - group.rank1),
            "rank1_minus_summed": paired_test(group.rank1 - group.summed),
        }
    tests = [cell[name] for layers in cells.values() for cell in layers.values()
             for name in ("per_sample_minus_rank1", "rank1_minus_summed")]
    family = correct(tests)
    ranges = {method: {reading: span(cell[reading] for cell in layers.values())
                       for reading in ("summed", "per_sample", "rank1")} for method, layers in cells.items()}
    return {"cells": cells, "family": family, "range": ranges,
            "summed": span(cell["summed"] for layers in cells.values() for cell in layers.values()),
            "per_sample": span(cell["per_sample"] for layers in cells.values() for cell in layers.values())}


def structure_record(analysis: Analysis, study_accuracy: pd.Series | None = None,
                     rounding_sd: float | None = None) -> dict[str, Any]:
    """Everything the page states. ``study_accuracy``: the final accuracy, by seed, of the study's trials of the
    analysed configuration, set beside the retrained networks'; ``rounding_sd``: the rounding noise of one run's
    final accuracy (the noise study), which their differences are held to."""
    structure = summaries.structure_summary(analysis.structure)
    share = summaries.unit_share(analysis.structure_pairs)
    baselines = summaries.baseline_summary(analysis.correlations)
    counts = summaries.unit_share_counts(share)
    gradient = share[share.pair.isin(GRADIENT_PAIRS)]
    magnitude = baselines[baselines.baseline == "magnitude"]
    last_layer = int(share.layer.max())
    inner = magnitude[magnitude.method.isin(GRADIENT) & (magnitude.layer < last_layer)]
    output = magnitude[magnitude.method.isin(GRADIENT) & (magnitude.layer == last_layer)]
    sig = share[share.pair.isin(SIG_PAIRS)]
    sig_inner, sig_output = sig[sig.layer < last_layer], sig[sig.layer == last_layer]
    shares = structure.groupby("method", sort=False).variance_share
    record: dict[str, Any] = {
        "seeds": analysis.seeds,
        "key": analysis.key,
        "configuration": configuration(analysis),
        **retraining(analysis, study_accuracy, rounding_sd),
        "rank1_share": {m: _by_layer(rows, "variance_share") for m, rows in structure.groupby("method", sort=False)},
        "rank1_share_range": {m: {"low": float(v.min()), "high": float(v.max())} for m, v in shares},
        "rank1_everywhere": [str(m) for m, v in shares if v.min() >= summaries.MOST],
        "rank1_gradient": span(structure[structure.method.isin(GRADIENT)].variance_share),
        "pairs": {pair: {str(int(r.layer)): {"pearson": r.pearson, "pearson_rank1": r.pearson_rank1,
                                             "pearson_residual": r.pearson_residual, "rank1_share": r.rank1_share,
                                             "reading": summaries.unit_share_reading(r.pearson, r.rank1_share,
                                                                                     r.pearson_residual)}
                         for r in rows.itertuples()} for pair, rows in share.groupby("pair", sort=False)},
        "residual_range": {"low": float(gradient.pearson_residual.min()), "high": float(gradient.pearson_residual.max()),
                           "pairs": list(GRADIENT_PAIRS)},
        "gradient_share": span(gradient.rank1_share),
        "beyond": {"residual": span(counts["beyond"].pearson_residual), "share": span(counts["beyond"].rank1_share)},
        "cells": {"judged": len(share), **{name: len(rows) for name, rows in counts.items()},
                  "too_weak": int((share.pearson.abs() < summaries.WEAK_CORRELATION).sum())},
        "cell_lists": {"only": _cells(counts["only"]), "beyond": _cells(counts["beyond"]),
                       "too_weak": _cells(share[share.pearson.abs() < summaries.WEAK_CORRELATION])},
        "sig": {"last_layer": last_layer, "inner_rank1": span(sig_inner.pearson_rank1),
                "inner_pearson": span(sig_inner.pearson), "output_pearson": span(sig_output.pearson),
                "inner_residual": span(sig_inner.pearson_residual)},
        "magnitude": {m: _by_layer(rows, "pearson_mean") for m, rows in magnitude.groupby("method", sort=False)},
        "magnitude_range": {m: {"low": float(rows.pearson_mean.min()), "high": float(rows.pearson_mean.max())}
                            for m, rows in magnitude.groupby("method", sort=False)},
        "magnitude_gradient": {"inner": span(inner.pearson_mean), "inner_largest": float(inner.pearson_mean.abs().max()),
                               "output": span(output.pearson_mean)},
        "random_floor": summaries.random_floor(analysis.correlations),
        "eq23": _eq23(analysis),
        "thresholds": {"weak": summaries.WEAK_CORRELATION, "most": summaries.MOST,
                       "residual": summaries.RESIDUAL_AGREEMENT, "hardly_related": HARDLY_RELATED,
                       "moderate": MODERATE},
    }
    return record
