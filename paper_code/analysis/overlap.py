"""Do two importances pick the same weights? Jaccard overlap of their top-k% sets, layer by layer.

A correlation of 0.8 over 235,200 weights says little about the few weights that matter most.
The overlap of the top 1%, 10% and 50% sets asks directly whether two methods would protect
(or keep, when pruning) the same weights. Both sets have the same size m, so for two
independent rankings the expected Jaccard overlap is about q / (2 − q) with q = m / n:
0.005 for the top 1%, 0.053 for 10%, 0.333 for 50% (:func:`chance_jaccard`).
"""

from __future__ import annotations

from itertools import combinations
from typing import Iterable, Sequence

import pandas as pd
import torch

from paper_code.analysis.ranking import count_of, top_set
from paper_code.analysis.trained import LAYERS, TrainedTask, choose_methods, weight_name

#: Top-k percentages compared by default.
DEFAULT_TOP_PERCENTS: tuple[float, ...] = (1.0, 10.0, 50.0)
OVERLAP_COLUMNS: tuple[str, ...] = ("method_a", "method_b", "layer", "k", "after_task", "size", "intersection", "jaccard")


def jaccard(a: torch.Tensor, b: torch.Tensor, n: int) -> tuple[int, int]:
    """(|A ∩ B|, |A ∪ B|) of two sets of flat positions in ``0..n-1``."""
    in_a = torch.zeros(n, dtype=torch.bool)
    in_b = torch.zeros(n, dtype=torch.bool)
    in_a[a] = True
    in_b[b] = True
    return int((in_a & in_b).sum()), int((in_a | in_b).sum())


def chance_jaccard(percent: float, n: int) -> float:
    """Expected Jaccard overlap of two independent random top-``percent``% sets of ``n`` weights.

    With sets of size m drawn independently, |A ∩ B| is hypergeometric with mean m²/n, and
    |A ∪ B| = 2m − |A ∩ B|; the ratio of the means is a close approximation for large n.
    """
    m = count_of(percent / 100.0, n)
    if m == 0:
        return float("nan")
    shared = m * m / n
    return shared / (2 * m - shared)


def topk_overlap_table(
    trained: TrainedTask,
    percents: Sequence[float] = DEFAULT_TOP_PERCENTS,
    methods: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per (method pair, layer, k): set size, shared weights and Jaccard overlap of the top k%."""
    methods = choose_methods(trained, methods)
    rows = []
    for layer in LAYERS:
        name = weight_name(layer)
        n = trained.accumulated[methods[0]][name].numel()
        for percent in percents:
            tops = {m: top_set(trained.accumulated[m][name], percent) for m in methods}
            for a, b in combinations(methods, 2):
                shared, union = jaccard(tops[a], tops[b], n)
                rows.append(dict(method_a=a, method_b=b, layer=layer, k=float(percent), after_task=trained.task,
                                 size=int(tops[a].numel()), intersection=shared,
                                 jaccard=shared / union if union else float("nan")))
    return pd.DataFrame(rows, columns=list(OVERLAP_COLUMNS))
