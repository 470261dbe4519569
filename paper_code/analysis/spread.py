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
