"""Per-layer correlations between importance methods: the numbers behind Figs. 1-7.

For each pair of methods, each layer and each task, the layer's importances
(the weight matrix flattened, optionally followed by the biases) of the two
methods are correlated with Pearson's r and Spearman's ρ. The result is a tidy
table, one row per (pair, layer, task).
"""

from __future__ import annotations

import re

import warnings
from dataclasses import dataclass

import torch

from paper_code.config import Pair

CORRELATION_COLUMNS: tuple[str, ...] = ("pair", "layer", "task", "pearson", "spearman")
#: The two coefficients reported for every pair.
CORRELATION_KINDS: tuple[str, ...] = ("pearson", "spearman")


class ConstantInputWarning(RuntimeWarning):
    """A correlation was asked of a constant vector; the result is NaN."""


@dataclass(frozen=True)
class CorrelationRow:
    pair: str
    layer: int
    task: int
    pearson: float
    spearman: float


def average_ranks(values: torch.Tensor) -> torch.Tensor:
    """1-based ranks with ties given their average rank (``scipy.stats.rankdata``'s default)."""
    flat = values.reshape(-1)
    n = flat.numel()
    sorted_values, order = torch.sort(flat, stable=True)
    starts_group = torch.ones(n, dtype=torch.bool, device=flat.device)
    starts_group[1:] = sorted_values[1:] != sorted_values[:-1]
    group = torch.cumsum(starts_group, 0) - 1
    starts = torch.nonzero(starts_group).squeeze(1)
    sizes = torch.diff(starts, append=torch.tensor([n], device=flat.device))
    mean_rank = starts.to(torch.float64) + (sizes.to(torch.float64) + 1.0) / 2.0
    ranks = torch.empty(n, dtype=torch.float64, device=flat.device)
    ranks[order] = mean_rank[group]
    return ranks


def _is_constant(x: torch.Tensor) -> bool:
    # All values equal, decided on the values themselves as scipy does: x - mean(x) need not be exactly 0
    # for a constant vector (the mean of 1000 copies of 0.1 is not 0.1 in float64).
    return bool((x == x[0]).all())


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson's r in float64; NaN (with a :class:`ConstantInputWarning`) when either input is constant."""
    x = x.reshape(-1).to(torch.float64)
    y = y.reshape(-1).to(torch.float64)
    if x.numel() != y.numel():
        raise ValueError(f"cannot correlate vectors of {x.numel()} and {y.numel()} elements")
    if x.numel() < 2 or _is_constant(x) or _is_constant(y):
        warnings.warn("correlation of a constant vector is undefined; reporting NaN", ConstantInputWarning, stacklevel=2)
        return float("nan")
    xc, yc = x - x.mean(), y - y.mean()
    denominator = torch.sqrt(xc.square().sum() * yc.square().sum())
    if denominator == 0 or not torch.isfinite(denominator):
        warnings.warn("correlation of a constant vector is undefined; reporting NaN", ConstantInputWarning, stacklevel=2)
        return float("nan")
    return float(((xc * yc).sum() / denominator).clamp(-1.0, 1.0))


def spearman(x: torch.Tensor, y: torch.Tensor) -> float:
    """Spearman's ρ: Pearson's r of the average ranks."""
    return pearson(average_ranks(x), average_ranks(y))


def layer_modules(importance: dict[str, torch.Tensor]) -> list[str]:
    """The weight layers an importance holds, layer 1 first: ``fc1``, ``fc2``, ... in the MLP, ``conv1``,
    ``conv2``, ``fc3``, ... in the convolutional network (every layer is numbered by its depth)."""
    numbered = [(int(m.group(2)), m.group(1)) for m in (re.fullmatch(r"(\w*?(\d+))\.weight", name) for name in importance)
                if m is not None]
    return [module for _, module in sorted(numbered)]


def layer_vector(importance: dict[str, torch.Tensor], layer: int, include_biases: bool = False) -> torch.Tensor:
    """A layer's importances as one vector: the flattened weights, then (optionally) the biases."""
    module = layer_modules(importance)[layer - 1]
    weight = importance[f"{module}.weight"].reshape(-1)
    if not include_biases:
        return weight
    return torch.cat([weight, importance[f"{module}.bias"].reshape(-1)])


def correlate(
    importances: dict[str, dict[str, torch.Tensor]],
    pairs: tuple[Pair, ...] | list[Pair],
    task: int,
    n_layers: int | None = None,
    include_biases: bool = False,
) -> list[CorrelationRow]:
    """Correlation rows for every pair and layer of one task's importances (``n_layers``: every ``fcN`` layer
    the importances hold, three in the paper's network)."""
    if n_layers is None:
        first = next(iter(importances.values()))
        n_layers = len(layer_modules(first))
    vectors: dict[tuple[str, int, int], torch.Tensor] = {}
    ranks: dict[tuple[str, int, int], torch.Tensor] = {}

    def side(method: str, power: int, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        # Each (method, power, layer) is ranked once, however many pairs use it: ranking dominates the cost.
        key = (method, power, layer)
        if key not in vectors:
            vectors[key] = layer_vector(importances[method], layer, include_biases).to(torch.float64).pow(power)
            ranks[key] = average_ranks(vectors[key])
        return vectors[key], ranks[key]

    rows = []
    for pair in pairs:
        for layer in range(1, n_layers + 1):
            left, left_ranks = side(pair.left, pair.left_power, layer)
            right, right_ranks = side(pair.right, pair.right_power, layer)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConstantInputWarning)
                r, rho = pearson(left, right), pearson(left_ranks, right_ranks)
            if r != r or rho != rho:
                warnings.warn(
                    f"pair {pair.id}, layer {layer}, task {task}: an importance is constant; correlation is NaN",
                    ConstantInputWarning,
                    stacklevel=2,
                )
            rows.append(CorrelationRow(pair.id, layer, task, r, rho))
    return rows
