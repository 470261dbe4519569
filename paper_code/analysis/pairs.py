"""Which pairs of importances the analysis compares.

The paper's seven pairs (Figs. 1-7) keep their ids; every other pair of the methods at hand follows
once, in the library's method order, so the baselines are compared with every method and the
pages can relate correlation, top-k overlap and pruning across all pairs.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

from paper_code.config import PAPER_PAIRS, parse_pair


def analysis_pairs(methods: Sequence[str]) -> tuple[str, ...]:
    """The paper's pairs whose methods are all present, then every other unordered pair of ``methods``."""
    present = set(methods)
    chosen = [p for p in PAPER_PAIRS if set(parse_pair(p).methods) <= present]
    covered = {frozenset(parse_pair(p).methods) for p in chosen if parse_pair(p).left_power == parse_pair(p).right_power == 1}
    for a, b in combinations(methods, 2):
        if frozenset((a, b)) not in covered:
            chosen.append(f"{a}_{b}")
    return tuple(chosen)


def unordered(pair_id: str) -> frozenset[str]:
    """The two methods of a pair, whichever order and power the id gives them."""
    return frozenset(parse_pair(pair_id).methods)
