"""When a difference between two seed means is larger than the seeds themselves disagree: one rule for every page.

A gap between two seed means counts as "within the seed spread" when it is at most :data:`SPREAD_MULTIPLE`
pooled standard deviations; the pooled standard deviation of two groups is the root mean square of theirs.
"""

from __future__ import annotations

import numpy as np

#: A seed-mean gap no larger than this many pooled standard deviations is "within the seed spread".
SPREAD_MULTIPLE = 2.0


def pooled_std(first, second):
    """√((s₁² + s₂²) / 2), elementwise for arrays; an undefined deviation (a single seed) counts as 0."""
    return np.sqrt((np.square(np.nan_to_num(first)) + np.square(np.nan_to_num(second))) / 2)


def within_spread(gap: float, pooled: float) -> bool:
    """Whether ``gap`` (a non-negative distance between seed means) is within the seed spread ``pooled``."""
    return bool(gap <= SPREAD_MULTIPLE * pooled)


#: Two-sided 95 % quantiles of Student's t by degrees of freedom (1-30), from the standard tables; past 30 the
#: normal quantile is within 0.05 of them.
T_975: dict[int, float] = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
    21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042,
}


def paired_interval(differences) -> tuple[float, float, int]:
    """Mean of paired differences (one per seed) and the half-width of its 95 % confidence interval
    (Student's t, n − 1 degrees of freedom); the half-width is NaN for fewer than two pairs."""
    values = np.asarray([d for d in differences if not np.isnan(d)], dtype=float)
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), 0
    if n == 1:
        return float(values[0]), float("nan"), 1
    t = T_975.get(n - 1, 1.96)
    return float(values.mean()), float(t * values.std(ddof=1) / np.sqrt(n)), n


# The verdicts read from a paired interval (mean ± half-width); a NaN half-width (one seed) decides nothing.
def above_zero(mean: float, half_width: float) -> bool:
    """The 95 % interval lies above 0: measurably positive."""
    return bool(mean - half_width > 0)


def reaches_zero_from_below(mean: float, half_width: float) -> bool:
    """The 95 % interval reaches 0 or lies above it: not measurably negative."""
    return bool(mean + half_width >= 0)


def excludes_zero(mean: float, half_width: float) -> bool:
    """The 95 % interval leaves 0 out: a measurable difference, either way."""
    return bool(abs(mean) > half_width)
