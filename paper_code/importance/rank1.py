"""The rank-1 control: MAS reduced to its unit structure.

Each weight matrix of a task's MAS importances is replaced by its best rank-1 approximation in the least-squares
sense, ``σ₁ u₁ v₁ᵀ`` (the leading singular triple): a row factor per output unit times a column factor per input
unit. Biases, one per unit already, are kept. A non-negative matrix has non-negative leading singular vectors,
so the fit is an importance; rounding below zero is clipped. What EWC keeps with this control is what "which
units matter" buys without "which weight between them".
"""

from __future__ import annotations

import torch

from paper_code.importance.per_sample import ParamStats


def rank_one(matrix: torch.Tensor) -> torch.Tensor:
    """The best rank-1 approximation of a non-negative matrix, computed in float64, clipped at 0."""
    u, s, vh = torch.linalg.svd(matrix.double(), full_matrices=False)
    # u₁ and v₁ share their sign (both may come out negative): their product is the non-negative fit.
    return (s[0] * torch.outer(u[:, 0], vh[0])).clamp_min(0.0).to(matrix.dtype)


def rank1_importance(mas: ParamStats) -> ParamStats:
    """Every weight matrix of ``mas`` by its rank-1 fit; every vector (bias) as it is."""
    return {name: rank_one(values) if values.dim() == 2 else values.clone() for name, values in mas.items()}
