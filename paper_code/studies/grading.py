"""Grading a claim on seed bands: how much of it the data supports, not whether one run passed a threshold.

A claim of the paper is a condition on cells: "MAS–FIS above 0.8" is a condition on every
(layer, task) cell of that pair; "about 0.6 on the input layer and negative on the output
layer" is one condition on the layer-1 cells and another on the layer-3 cells. A rule (see
:mod:`paper_code.studies.claims`) turns a correlation table into such cells: one row per cell with
its ``value``, the ``threshold`` it is compared with and the comparison ``op``.

The grade is computed on the mean over seeds of each cell's value, with these rules, in order:

* **holds**: the condition holds in every judged cell;
* **holds in k of N cells**: in more than half of them (the worst cell is named);
* **direction only**: in half or fewer, but the claim's weaker form holds (for a threshold
  claim: the correlation is positive in every cell; for the SIG pattern: positive on the
  input layer, negative somewhere on the output layer);
* **does not hold**: otherwise;
* **not applicable**: the claim cannot be tested with this coefficient (for instance the
  Spearman ρ of FIS–MAS² equals that of FIS–MAS, because squaring a non-negative
  importance keeps its ranks);
* **not computed**: the data the claim needs is not there.

A cell whose value is undefined (NaN, a constant importance) for every seed is not judged and
is counted and shown; a cell undefined for some seeds is judged on the others. The evidence
also says in how many cells the condition holds for every single seed, so a grade resting on a
mean that some seeds contradict is visible, and, where the noise of the cells is known
(:mod:`paper_code.studies.noise`: rounding, and the draw of importance rows), in how many cells the seed mean lies
within :data:`NOISE_MULTIPLE` standard deviations of that noise from the threshold: a verdict there could flip on
another machine or another draw of rows.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Callable

import pandas as pd

HOLDS = "holds"
MOSTLY = "holds in most cells"
DIRECTION = "direction only"
FAILS = "does not hold"
NOT_APPLICABLE = "not applicable"
NOT_COMPUTED = "not computed"
#: Every grade, strongest first.
GRADES: tuple[str, ...] = (HOLDS, MOSTLY, DIRECTION, FAILS, NOT_APPLICABLE, NOT_COMPUTED)

_OPS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, "≥": operator.ge, "<": operator.lt, "≤": operator.le}
#: Columns of a rule's cell table, besides ``seed``.
CELL_COLUMNS = ("cell", "value", "threshold", "op")


@dataclass(frozen=True)
class Grade:
    """A claim's grade on the data, with the numbers behind it."""

    claim: str
    grade: str
    evidence: str
    held: int = 0
    judged: int = 0
    undefined: int = 0
    robust: int = 0
    seeds: int = 0
    worst: str = ""
    kind: str | None = None
    #: Cells whose seed mean lies within the rounding noise of the threshold (``None``: noise not known).
    fragile: int | None = None

    @property
    def label(self) -> str:
        """The grade as a reader sees it: "holds in 27 of 30 cells" rather than "holds in most cells"."""
        if self.grade == MOSTLY:
            return f"holds in {self.held} of {self.judged} cells"
        return self.grade

    @property
    def sentence(self) -> str:
        return f"{self.evidence}: **{self.label}**."

    def _repr_markdown_(self) -> str:
        return f"**Does the claim hold?** {self.sentence}"


def margin(cells: pd.DataFrame) -> pd.Series:
    """How far each cell's value lies on the right side of its threshold (negative: the condition fails)."""
    sign = cells["op"].map({">": 1.0, "≥": 1.0, "<": -1.0, "≤": -1.0})
    return (cells["value"] - cells["threshold"]) * sign


def holds(cells: pd.DataFrame) -> pd.Series:
    return pd.Series([_OPS[op](v, t) for v, t, op in zip(cells["value"], cells["threshold"], cells["op"])],
                     index=cells.index, dtype=bool)


def grade_cells(
    claim: str,
    per_seed: pd.DataFrame,
    describe: str,
    direction: Callable[[pd.DataFrame], bool] | None = None,
    kind: str | None = None,
) -> Grade:
    """Grade a claim from its cells, one table per seed stacked with a ``seed`` column.

    ``describe`` names the statistic in the evidence (e.g. "MAS–FIS (Pearson r) > 0.8").
    ``direction`` receives the seed-mean cells and says whether the claim's weaker form holds.
    """
    if per_seed.empty:
        return Grade(claim, NOT_COMPUTED, f"{describe}: no data", kind=kind)
    seeds = int(per_seed["seed"].nunique())
    keys = ["cell", "threshold", "op"]
    band = per_seed.groupby(keys, sort=False)["value"].agg(["mean", "std", "count"]).reset_index()
    for column in ("noise", "sampling"):
        if column in per_seed:
            band[column] = per_seed.groupby(keys, sort=False)[column].mean().to_numpy()
    undefined = int(band["mean"].isna().sum())
    band = band[band["mean"].notna()].reset_index(drop=True)
    if band.empty:
        return Grade(claim, NOT_COMPUTED, f"{describe}: every cell undefined", undefined=undefined, seeds=seeds, kind=kind)
    means = band.rename(columns={"mean": "value"})
    held_mask = holds(means)
    defined = per_seed[per_seed["value"].notna()]
    every_seed = holds(defined).groupby(defined["cell"].values).all()
    robust = int(every_seed.reindex(means["cell"]).fillna(False).astype(bool).sum())
    worst_row = means.loc[margin(means).idxmin()]
    spread = "" if seeds == 1 or pd.isna(worst_row["std"]) else f" ± {worst_row['std']:.2f}"
    worst = f"{worst_row['cell']}: {worst_row['value']:.2f}{spread}"
    held, judged = int(held_mask.sum()), len(means)
    if held == judged:
        grade = HOLDS
    elif 2 * held > judged:
        grade = MOSTLY
    elif direction is not None and direction(means):
        grade = DIRECTION
    else:
        grade = FAILS
    over = "1 run" if seeds == 1 else f"the mean of {seeds} seeds"
    fragile = within_noise(means, seeds)
    evidence = (
        f"{describe}, on {over}: in {held} of {judged} cells; worst {worst}"
        + ("" if seeds == 1 else f"; {robust} of {judged} cells hold for every seed")
        + (f"; {undefined} cell{'s' if undefined != 1 else ''} undefined (constant importance)" if undefined else "")
        + ("" if fragile is None else f"; {fragile} of {judged} cells lie within the "
           f"{'rounding and sampling' if 'sampling' in means else 'rounding'} noise of the threshold")
    )
    return Grade(claim, grade, evidence, held, judged, undefined, robust, seeds, worst, kind, fragile)


#: A seed mean lies "within the noise" of its threshold when it is no further from it than this many standard
#: deviations of the mean's noise: rounding, σ/√n for n seeds (each seed rounds on its own), and, where measured,
#: importance sampling, σ undivided (every seed estimates its importances on the same rows, so their sampling
#: errors need not average out): √(σ_rounding²/n + σ_sampling²).
NOISE_MULTIPLE = 2.0


def mean_noise(means: pd.DataFrame, seeds: int) -> pd.Series:
    """The standard deviation of each cell's seed mean under the noise measured for it (see :data:`NOISE_MULTIPLE`)."""
    variance = means["noise"] ** 2 / seeds
    if "sampling" in means:
        variance = variance + means["sampling"].fillna(0.0) ** 2
    return variance ** 0.5


def within_noise(means: pd.DataFrame, seeds: int) -> int | None:
    """How many cells' seed means lie within :data:`NOISE_MULTIPLE` deviations of their noise from the threshold:
    their verdict could flip on another machine or another draw of importance rows. ``None`` where the noise of
    the cells is not known."""
    if "noise" not in means or means["noise"].isna().all():
        return None
    return int((margin(means).abs() <= NOISE_MULTIPLE * mean_noise(means, seeds)).sum())


def combine(claim: str, grades: list[Grade], kind: str | None = None) -> Grade:
    """One grade for a claim made of parts (each pair of "MAS, FIS and SI agree"): the cells of all parts pooled."""
    if any(g.grade == NOT_COMPUTED for g in grades):
        missing = next(g for g in grades if g.grade == NOT_COMPUTED)
        return Grade(claim, NOT_COMPUTED, missing.evidence, kind=kind)
    held, judged = sum(g.held for g in grades), sum(g.judged for g in grades)
    if held == judged:
        grade = HOLDS
    elif 2 * held > judged:
        grade = MOSTLY
    elif all(g.grade in (HOLDS, MOSTLY, DIRECTION) for g in grades):
        grade = DIRECTION
    else:
        grade = FAILS
    fragile = None if any(g.fragile is None for g in grades) else sum(g.fragile for g in grades)
    return Grade(claim, grade, "; ".join(g.evidence for g in grades), held, judged,
                 sum(g.undefined for g in grades), sum(g.robust for g in grades), max(g.seeds for g in grades),
                 min(grades, key=lambda g: g.held / max(g.judged, 1)).worst, kind, fragile)


def not_applicable(claim: str, why: str, kind: str | None = None) -> Grade:
    return Grade(claim, NOT_APPLICABLE, why, kind=kind)


def not_computed(claim: str, why: str, kind: str | None = None) -> Grade:
    return Grade(claim, NOT_COMPUTED, why, kind=kind)
