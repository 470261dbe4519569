"""When a difference between two seed means is larger than the seeds themselves disagree: one rule for every page.

A gap between two seed means counts as "within the seed spread" when it is at most :data:`SPREAD_MULTIPLE`
pooled standard deviations; the pooled standard deviation of two groups is the root mean square of theirs.
"""

from __future__ import annotations

import math

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


def excludes_zero(mean: float, half_width: float) -> bool:
    """The 95 % interval leaves 0 out: a measurable difference, either way."""
    return bool(abs(mean) > half_width)


#: One-sided 95 % quantiles of Student's t (the two-sided 90 % ones) by degrees of freedom (1-30), from the standard
#: tables; past 30 the normal quantile 1.645 is used. Two one-sided tests at 5 % each read them.
T_95: dict[int, float] = {
    1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860, 9: 1.833, 10: 1.812,
    11: 1.796, 12: 1.782, 13: 1.771, 14: 1.761, 15: 1.753, 16: 1.746, 17: 1.740, 18: 1.734, 19: 1.729, 20: 1.725,
    21: 1.721, 22: 1.717, 23: 1.714, 24: 1.711, 25: 1.708, 26: 1.706, 27: 1.703, 28: 1.701, 29: 1.699, 30: 1.697,
}


def equivalence_interval(differences) -> tuple[float, float, int]:
    """Mean of paired differences and the half-width of its 90 % interval: the interval two one-sided t-tests at
    5 % each read (TOST). The difference is equivalent to 0 within a margin δ, at the 5 % level, when this
    interval lies inside (−δ, δ)."""
    values = np.asarray([d for d in differences if not np.isnan(d)], dtype=float)
    n = len(values)
    if n < 2:
        return (float(values[0]) if n else float("nan")), float("nan"), n
    t = T_95.get(n - 1, 1.645)
    return float(values.mean()), float(t * values.std(ddof=1) / np.sqrt(n)), n


def within_margin(mean: float, half_width: float, margin: float) -> bool:
    """TOST's verdict: the 90 % interval lies inside (−margin, margin)."""
    return bool(mean - half_width > -margin and mean + half_width < margin)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularized incomplete beta function (modified Lentz's method)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((qam + 2 * m) * (a + 2 * m)),
                          -(a + m) * (qab + m) * x / ((a + 2 * m) * (qap + 2 * m))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: int) -> float:
    """P(|T| ≥ |t|) for Student's t with ``df`` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2)."""
    return regularized_beta(df / 2.0, 0.5, df / (df + t * t))


def paired_p_value(differences) -> float:
    """Two-sided p-value of Student's paired t-test that the mean difference is 0 (NaN for fewer than two pairs or
    differences that do not vary)."""
    values = np.asarray([d for d in differences if not np.isnan(d)], dtype=float)
    if len(values) < 2 or np.all(values == values[0]):
        return float("nan")
    t = values.mean() / (values.std(ddof=1) / math.sqrt(len(values)))
    return t_two_sided_p(float(t), len(values) - 1)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values: the k-th smallest is multiplied by (m − k + 1), and the
    adjusted values are made non-decreasing in that order and capped at 1. A test is significant at level α when
    its adjusted p-value is at most α; the family's chance of any false positive then stays below α. NaN stays NaN
    and does not count in m."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = len(finite)
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted
