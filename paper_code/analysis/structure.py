"""Unit-level structure: how close is each importance matrix to a row × column product?

FIS, MAS and SI are built from per-sample outer products ``δ aᵀ`` (the output unit's sensitivity
times the input unit's activity) and SIG is ``|w|`` times the input unit's mean activity. If an
importance matrix were an outer product ``r cᵀ`` of per-unit factors, two importances that share
those factors would correlate whatever else they measure. This module fits the best rank-1
approximation ``σ₁ u₁ v₁ᵀ`` (Eckart–Young: the leading singular triplet) to each importance matrix
and asks

- how much of the matrix it explains: ``energy_share`` = σ₁² / ‖M‖²_F (uncentred, high for any
  positive matrix) and ``variance_share`` = 1 − ‖M − R‖² / ‖M − mean(M)‖² (the share of the
  variation around the mean, the part a correlation sees);
- what two importances' correlation would be if each were its rank-1 fit (``pearson_rank1``),
  beside the observed one, what is left between the residuals (``pearson_residual``), and the
  share of their covariance that the rank-1 parts carry (``rank1_share`` = cov(R_A, R_B) / cov(A, B)).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd
import torch

from paper_code.analysis.trained import LAYERS, TrainedTask, weight_name
from paper_code.config import parse_pair
from paper_code.correlation import average_ranks, pearson

#: Which importances a structure row describes: the run's sums over tasks, or the task's own.
IMPORTANCE_KINDS: tuple[str, ...] = ("accumulated", "per_task")
STRUCTURE_COLUMNS: tuple[str, ...] = (
    "method", "layer", "task", "importances", "energy_share", "variance_share", "pearson_fit",
)
PAIR_STRUCTURE_COLUMNS: tuple[str, ...] = (
    "pair", "layer", "task", "importances", "pearson", "pearson_rank1", "pearson_residual", "rank1_share",
    "spearman", "spearman_rank1",
)


@dataclass(frozen=True)
class RankOne:
    """The best rank-1 approximation ``sigma · outer(row, column)`` of a matrix, in float64.

    ``row`` and ``column`` have unit norm and are oriented so that their sums are non-negative (for a
    non-negative matrix both are then non-negative, by Perron–Frobenius).
    """

    sigma: float
    row: torch.Tensor
    column: torch.Tensor
    energy_share: float
    variance_share: float

    @property
    def approximation(self) -> torch.Tensor:
        return self.sigma * torch.outer(self.row, self.column)


def rank_one(matrix: torch.Tensor) -> RankOne:
    """The leading singular triplet of ``matrix`` and how much of it the rank-1 product explains."""
    values = matrix.detach().to(torch.float64)
    u, s, vh = torch.linalg.svd(values, full_matrices=False)
    row, column, sigma = u[:, 0], vh[0], float(s[0])
    if float(row.sum()) < 0:  # the SVD's sign is arbitrary; flip both so the product is unchanged
        row, column = -row, -column
    total = float(values.square().sum())
    residual = values - sigma * torch.outer(row, column)
    spread = float((values - values.mean()).square().sum())
    return RankOne(
        sigma=sigma,
        row=row,
        column=column,
        energy_share=sigma**2 / total if total > 0 else float("nan"),
        variance_share=1.0 - float(residual.square().sum()) / spread if spread > 0 else float("nan"),
    )


def _covariance(x: torch.Tensor, y: torch.Tensor) -> float:
    x, y = x.reshape(-1), y.reshape(-1)
    return float(((x - x.mean()) * (y - y.mean())).mean())


def _quiet_pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson's r, NaN without a warning where a side is constant (a rank-1 fit of a constant matrix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pearson(x, y)


class _Sides:
    """Each (method, power, layer) matrix, its rank-1 fit and ranks, computed once however many pairs use it."""

    def __init__(self, importances: dict[str, dict[str, torch.Tensor]]) -> None:
        self.importances = importances
        self.cache: dict[tuple[str, int, int], tuple[torch.Tensor, RankOne]] = {}
        self.ranks: dict[tuple[str, int, int, bool], torch.Tensor] = {}

    def get(self, method: str, power: int, layer: int) -> tuple[torch.Tensor, RankOne]:
        key = (method, power, layer)
        if key not in self.cache:
            matrix = self.importances[method][weight_name(layer)].to(torch.float64).pow(power)
            self.cache[key] = (matrix, rank_one(matrix))
        return self.cache[key]

    def ranked(self, method: str, power: int, layer: int, fitted: bool) -> torch.Tensor:
        key = (method, power, layer, fitted)
        if key not in self.ranks:
            matrix, fit = self.get(method, power, layer)
            self.ranks[key] = average_ranks(fit.approximation if fitted else matrix)
        return self.ranks[key]


def side_id(method: str, power: int) -> str:
    return method if power == 1 else f"{method}{power}"


def structure_rows(trained: TrainedTask, sides: Sequence[tuple[str, int]], kind: str = "accumulated",
                   pairs: Iterable[str] = ()) -> tuple[list[dict], list[dict]]:
    """Rank-1 fits of every (method, power) side and layer, and the pair comparisons, after one task."""
    importances = trained.accumulated if kind == "accumulated" else trained.per_task
    cache = _Sides(importances)
    fits, pair_rows = [], []
    for method, power in sides:
        for layer in LAYERS:
            matrix, fit = cache.get(method, power, layer)
            fits.append(dict(method=side_id(method, power), layer=layer, task=trained.task, importances=kind,
                             energy_share=fit.energy_share, variance_share=fit.variance_share,
                             pearson_fit=_quiet_pearson(matrix, fit.approximation)))
    for pair_id in pairs:
        pair = parse_pair(pair_id)
        for layer in LAYERS:
            a, fit_a = cache.get(pair.left, pair.left_power, layer)
            b, fit_b = cache.get(pair.right, pair.right_power, layer)
            ra, rb = fit_a.approximation, fit_b.approximation
            covariance = _covariance(a, b)
            pair_rows.append(dict(
                pair=pair_id, layer=layer, task=trained.task, importances=kind,
                pearson=_quiet_pearson(a, b),
                pearson_rank1=_quiet_pearson(ra, rb),
                pearson_residual=_quiet_pearson(a - ra, b - rb),
                rank1_share=_covariance(ra, rb) / covariance if covariance != 0 else float("nan"),
                spearman=_quiet_pearson(cache.ranked(pair.left, pair.left_power, layer, False),
                                        cache.ranked(pair.right, pair.right_power, layer, False)),
                spearman_rank1=_quiet_pearson(cache.ranked(pair.left, pair.left_power, layer, True),
                                              cache.ranked(pair.right, pair.right_power, layer, True)),
            ))
    return fits, pair_rows


def pair_sides(pairs: Iterable[str]) -> list[tuple[str, int]]:
    """Every (method, power) a list of pairs uses, in first-use order."""
    seen: list[tuple[str, int]] = []
    for pair_id in pairs:
        pair = parse_pair(pair_id)
        for side in ((pair.left, pair.left_power), (pair.right, pair.right_power)):
            if side not in seen:
                seen.append(side)
    return seen


def structure_tables(trained: TrainedTask, pairs: Sequence[str], sides: Sequence[tuple[str, int]] | None = None,
                     kinds: Sequence[str] = IMPORTANCE_KINDS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fits, pair comparisons) after one task, for every importance kind; tidy, one row per side or pair and layer.

    ``sides``: the (method, power) matrices to fit (default: those the pairs use).
    """
    sides = list(sides) if sides is not None else pair_sides(pairs)
    fits, pair_rows = [], []
    for kind in kinds:
        if kind not in IMPORTANCE_KINDS:
            raise ValueError(f"importances must be one of {', '.join(IMPORTANCE_KINDS)}, got {kind!r}")
        f, p = structure_rows(trained, sides, kind, pairs)
        fits += f
        pair_rows += p
    return pd.DataFrame(fits, columns=list(STRUCTURE_COLUMNS)), pd.DataFrame(pair_rows, columns=list(PAIR_STRUCTURE_COLUMNS))
