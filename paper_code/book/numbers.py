"""How the book writes a number: one rule for each kind of value, so every page writes the same number alike.

Formatting only (no statistics: the study layer computes every value, and no pandas or numpy: this layer reads
plain JSON records):

- an interval (a dict with ``mean`` and ``half``, the half-width of its 95 % interval) is "mean ± half", both to
  the decimal place of the half-width's leading digit, or of its second digit when that digit is 1 to 3 (the
  rounding the Particle Data Group uses), so "0.52 ± 0.06" and "−0.0056 ± 0.0024";
- a list of seeds is written as ranges: "0–4", "0–1 and 3";
- a minus sign is the typographic minus.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

MINUS = "−"


def signed(text: str) -> str:
    """A number's text with the typographic minus; a mean that rounds to zero carries no sign ("0.000", not
    "−0.000")."""
    head = text.split(" ")[0]
    if head.lstrip("+-").strip("0.") == "":
        text = head.lstrip("+-") + text[len(head):]
    return text.replace("-", MINUS)


def interval_decimals(half: float) -> int:
    """Decimal places that keep one significant digit of ``half`` (two when it starts with 1 to 3)."""
    if not math.isfinite(half) or half <= 0:
        return 2
    exponent = math.floor(math.log10(half))
    leading = half / 10 ** exponent
    return max(0, -exponent + (1 if leading < 3.55 else 0))


def interval(mean: float, half: float | None, percent: bool = False, plus: bool = False) -> str:
    """``mean ± half`` rounded by :func:`interval_decimals`; ``percent`` writes shares as percentages ("93 ± 2 %");
    ``plus`` writes the sign of a positive mean (a difference)."""
    scale = 100.0 if percent else 1.0
    mean, half = mean * scale, (half * scale if half is not None else None)
    if half is None or not math.isfinite(half):
        decimals = 0 if percent else 2
        text = f"{mean:{'+' if plus else ''}.{decimals}f}"
        return signed(text) + (" %" if percent else "")
    decimals = interval_decimals(half)
    text = f"{mean:{'+' if plus else ''}.{decimals}f} ± {half:.{decimals}f}"
    return signed(text) + (" %" if percent else "")


def number(value: float, decimals: int = 2, plus: bool = False) -> str:
    return signed(f"{value:{'+' if plus else ''}.{decimals}f}")


def seed_list(seeds: Iterable[int]) -> str:
    """Seeds as ranges: [0, 1, 2, 3, 4] → "0–4"; [0, 1, 3] → "0–1 and 3"; [2] → "2"."""
    values = sorted(set(int(s) for s in seeds))
    if not values:
        return "none"
    runs: list[list[int]] = [[values[0], values[0]]]
    for value in values[1:]:
        if value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def is_interval(value: Any) -> bool:
    return isinstance(value, dict) and "mean" in value and "half" in value
