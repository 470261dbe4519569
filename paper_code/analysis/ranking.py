"""One ordering of weights by importance, shared by pruning and by the top-k sets.

Weights are sorted by importance, ascending, with a stable sort over their
position (row-major within a matrix; layer 1 before layer 2 before layer 3 when
layers are pooled). Equal importances therefore keep their positional order: of
two weights with the same importance the one that comes first counts as less
important. Importances often tie (every weight leaving an input pixel that is 0
in all samples has importance 0 under FIS, MAS and SIG), so this rule decides
which of them go first, and it lets every count be exact:

- pruning a fraction ``f`` of ``n`` weights removes the first :func:`count_of`
  ``(f, n)`` = ⌊f·n + ½⌋ weights of the order;
- the top ``k``% are the last :func:`count_of` ``(k/100, n)`` weights of the order.
"""

from __future__ import annotations

import math

import torch

from paper_code.errors import ConfigError


def count_of(fraction: float, n: int) -> int:
    """``fraction · n`` rounded half up (``round`` would round halves to even)."""
    return int(math.floor(fraction * n + 0.5))


def check_fraction(fraction: float) -> float:
    """A pruning fraction in [0, 1); 1 would remove every weight and leave nothing to evaluate."""
    value = float(fraction)
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"fraction {fraction!r} is outside [0, 1): give fractions such as 0,0.5,0.9 (1 would remove every weight)")
    return value


def ascending_order(importance: torch.Tensor) -> torch.Tensor:
    """Flat positions of ``importance`` from least to most important (stable: ties keep their position order)."""
    flat = importance.reshape(-1)
    if not bool(torch.isfinite(flat).all()):
        raise ValueError("importances must be finite to be ranked")
    return torch.sort(flat, stable=True).indices


def prefix_mask(order: torch.Tensor, fraction: float) -> torch.Tensor:
    """Flat boolean mask, true on the first ⌊f·n + ½⌋ positions of ``order`` (an :func:`ascending_order`)."""
    fraction = check_fraction(fraction)
    mask = torch.zeros(order.numel(), dtype=torch.bool)
    mask[order[: count_of(fraction, order.numel())]] = True
    return mask


def lowest_mask(importance: torch.Tensor, fraction: float) -> torch.Tensor:
    """Boolean mask, shaped like ``importance``, true on the ⌊f·n + ½⌋ least important entries."""
    return prefix_mask(ascending_order(importance), fraction).reshape(importance.shape)


def check_percent(percent: float) -> float:
    """A top-k percentage in (0, 100]."""
    value = float(percent)
    if not 0.0 < value <= 100.0:
        raise ConfigError(f"top-k percentage {percent!r} is outside (0, 100]: give values such as 1,10,50")
    return value


def top_set(importance: torch.Tensor, percent: float) -> torch.Tensor:
    """Flat positions of the top ``percent``% entries (the last ⌊n·percent/100 + ½⌋ of the order), sorted."""
    percent = check_percent(percent)
    order = ascending_order(importance)
    count = count_of(percent / 100.0, order.numel())
    chosen = order[order.numel() - count :] if count else order[:0]
    return torch.sort(chosen).values


def pooled_order(importances: list[torch.Tensor]) -> torch.Tensor:
    """:func:`ascending_order` of several tensors taken as one (global pruning), layer 1's entries first.

    Ties between layers therefore go to the earlier layer first.
    """
    return ascending_order(torch.cat([value.reshape(-1) for value in importances]))


def split_mask(mask: torch.Tensor, like: list[torch.Tensor]) -> list[torch.Tensor]:
    """A flat mask over pooled tensors, cut back into their shapes."""
    sizes = [value.numel() for value in like]
    return [part.reshape(value.shape) for part, value in zip(torch.split(mask, sizes), like)]


def pooled_lowest_masks(importances: list[torch.Tensor], fraction: float) -> list[torch.Tensor]:
    """:func:`lowest_mask` over several tensors taken as one, split back into their shapes."""
    return split_mask(prefix_mask(pooled_order(importances), fraction), importances)
