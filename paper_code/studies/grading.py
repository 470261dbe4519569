"""Grading a claim on seed bands: how much of it the data supports, not whether one run passed a threshold.

A claim of the paper is a condition on cells: "MAS–FIS above 0.8" is a condition on every (layer, task) cell of
that pair; "about 0.6 on the input layer and negative on the output layer" is one condition on the layer-1 cells
and another on the output layer's. A rule (see :mod:`paper_code.studies.claims`) turns a correlation table into
such cells: one row per cell and seed with its ``value``, the ``threshold`` it is compared with and the comparison
``op``.

Each cell is judged on its mean over the seeds. One vocabulary, four words, strongest first:

* **holds**: every judged cell passes, and passes by more than the noise band (where the noise is known: a
  verdict a rerun on another machine or another draw of importance rows is unlikely to flip; the band, measured
  on a few runs on one machine, covers somewhat less than it should, see the reproduce page);
* **mostly holds**: at least :data:`MOSTLY_SHARE` of the cells pass and no failing cell is *far off* (the 95 %
  interval of its seed mean lies wholly on the wrong side of the threshold);
* **partly holds**: more than half of the cells pass;
* **does not hold**: half of them or fewer.

Two more say why a claim has no grade: **not applicable** (the claim cannot be tested with this coefficient, e.g.
the Spearman ρ of FIS–MAS² equals that of FIS–MAS by construction) and **not computed** (the data is missing).

A :class:`Grade` holds numbers, never sentences: how many cells pass, pass clearly, pass for every seed, lie within
the noise, are far off; the worst cell with its seed spread; the range of the seed means. The pages say it in
their own words (:mod:`paper_code.book`).
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import pandas as pd

from paper_code.analysis.spread import T_975

HOLDS = "holds"
MOSTLY = "mostly holds"
PARTLY = "partly holds"
FAILS = "does not hold"
NOT_APPLICABLE = "not applicable"
NOT_COMPUTED = "not computed"
#: Every grade, strongest first.
GRADES: tuple[str, ...] = (HOLDS, MOSTLY, PARTLY, FAILS, NOT_APPLICABLE, NOT_COMPUTED)
#: The share of passing cells from which a claim "mostly holds" (when no failing cell is far off).
MOSTLY_SHARE = 0.9

_OPS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, "≥": operator.ge, "<": operator.lt, "≤": operator.le}
#: Columns of a rule's cell table, besides ``seed`` (and, where a cell is one of a layer and a task, ``layer`` and
#: ``task``).
CELL_COLUMNS = ("cell", "value", "threshold", "op")

#: A seed mean lies "within the noise" of its threshold when it is no further from it than this many standard
#: deviations of the mean's noise: rounding, σ/√n for n seeds (each seed rounds on its own), and, where measured,
#: importance sampling, σ undivided (every seed estimates its importances on the same rows, so their sampling
#: errors need not average out): √(σ_rounding²/n + σ_sampling²).
NOISE_MULTIPLE = 2.0


def decide(held: int, judged: int, clear: int, far_off: int) -> str:
    """The grade word from a claim's counts (see the module's docstring): the one rule every claim shares."""
    if judged == 0:
        return NOT_COMPUTED
    if clear == judged:
        return HOLDS
    if held >= MOSTLY_SHARE * judged and far_off == 0:
        return MOSTLY
    if 2 * held > judged:
        return PARTLY
    return FAILS


@dataclass(frozen=True)
class Grade:
    """A claim's grade on the data, with the numbers behind it (no sentence: the pages write those).

    ``held``: cells whose seed mean passes; ``clear``: of those, the ones passing by more than the noise band;
    ``robust``: cells passing for every single seed; ``far_off``: failing cells whose 95 % interval lies wholly on
    the wrong side; ``within_noise``: cells whose seed mean lies within the noise band of the threshold (``None``
    where the noise is not known). ``worst``: the cell closest to failing or furthest past failing, with its
    seed mean, standard deviation and number of seeds. ``low`` and ``high``: the range of the judged seed means.
    """

    claim: str
    grade: str
    kind: str | None = None
    held: int = 0
    judged: int = 0
    clear: int = 0
    robust: int = 0
    far_off: int = 0
    undefined: int = 0
    within_noise: int | None = None
    seeds: tuple[int, ...] = ()
    threshold: float | None = None
    op: str | None = None
    worst: dict[str, Any] | None = None
    low: float | None = None
    high: float | None = None
    #: The failing cells, closest to passing first: each cell's name (and layer and task), seed mean and whether
    #: it is far off.
    misses: tuple[dict[str, Any], ...] = ()
    #: For a claim made of parts (pooled pairs, paired comparisons): each part's own numbers.
    parts: tuple[dict[str, Any], ...] = ()
    #: Why a claim is not applicable or not computed.
    why: str = ""

    @property
    def label(self) -> str:
        return self.grade

    def record(self) -> dict[str, Any]:
        """The grade as a findings record's entry: plain JSON values."""
        out = asdict(self)
        out["seeds"] = list(self.seeds)
        out["parts"] = [dict(p) for p in self.parts]
        out["misses"] = [dict(m) for m in self.misses]
        return out


def margin(cells: pd.DataFrame) -> pd.Series:
    """How far each cell's value lies on the right side of its threshold (negative: the condition fails)."""
    sign = cells["op"].map({">": 1.0, "≥": 1.0, "<": -1.0, "≤": -1.0})
    return (cells["value"] - cells["threshold"]) * sign


def holds(cells: pd.DataFrame) -> pd.Series:
    return pd.Series([_OPS[op](v, t) for v, t, op in zip(cells["value"], cells["threshold"], cells["op"])],
                     index=cells.index, dtype=bool)


def t_half_width(std: float, count: int) -> float:
    """Half-width of the 95 % interval of a mean of ``count`` values with standard deviation ``std`` (Student's t);
    NaN for a single value."""
    if count < 2 or not math.isfinite(std):
        return math.nan
    return T_975.get(count - 1, 1.96) * std / math.sqrt(count)


def mean_noise(means: pd.DataFrame, seeds: int) -> pd.Series:
    """The standard deviation of each cell's seed mean under the noise measured for it (see :data:`NOISE_MULTIPLE`)."""
    variance = means["noise"] ** 2 / seeds
    if "sampling" in means:
        variance = variance + means["sampling"].fillna(0.0) ** 2
    return variance ** 0.5


def _noise_known(means: pd.DataFrame) -> bool:
    return "noise" in means and not means["noise"].isna().all()


def within_noise(means: pd.DataFrame, seeds: int) -> int | None:
    """How many cells' seed means lie within :data:`NOISE_MULTIPLE` deviations of their noise from the threshold:
    their verdict could flip on another machine or another draw of importance rows. ``None`` where the noise of
    the cells is not known."""
    if not _noise_known(means):
        return None
    return int(_noise_mask(means, seeds).sum())


def _noise_mask(means: pd.DataFrame, seeds: int) -> pd.Series:
    return margin(means).abs() <= NOISE_MULTIPLE * mean_noise(means, seeds).fillna(0.0)


def _far_off(means: pd.DataFrame, passed: pd.Series, seeds: int) -> pd.Series:
    """Failing cells whose 95 % interval lies wholly on the wrong side of the threshold. The interval is Student's
    over the seeds; with a single seed it is the noise band where known, else the cell's value alone."""
    half = pd.Series([t_half_width(s, int(n)) for s, n in zip(means["std"], means["count"])], index=means.index)
    if _noise_known(means):
        half = half.fillna(NOISE_MULTIPLE * mean_noise(means, seeds))
    half = half.fillna(0.0)
    return ~passed & (-margin(means) > half)


def _cell(row: pd.Series) -> dict[str, Any]:
    cell = {"cell": str(row["cell"]), "mean": float(row["value"])}
    for column in ("layer", "task"):
        if column in row and pd.notna(row[column]):
            cell[column] = int(row[column])
    return cell


def _worst(means: pd.DataFrame) -> dict[str, Any]:
    row = means.loc[margin(means).idxmin()]
    std = None if pd.isna(row["std"]) else float(row["std"])
    half = None if std is None else t_half_width(std, int(row["count"]))
    return {**_cell(row), "std": std, "half": half, "seeds": int(row["count"])}


def _misses(means: pd.DataFrame, passed: pd.Series, far: pd.Series) -> tuple[dict[str, Any], ...]:
    order = margin(means)[~passed].sort_values(ascending=False).index
    return tuple({**_cell(means.loc[i]), "far_off": bool(far.loc[i])} for i in order)


def grade_cells(claim: str, per_seed: pd.DataFrame, kind: str | None = None) -> Grade:
    """Grade a claim from its cells, one table per seed stacked with a ``seed`` column (see the module's rules)."""
    if per_seed.empty:
        return not_computed(claim, "no data", kind)
    seeds = tuple(sorted(int(s) for s in per_seed["seed"].unique()))
    keys = ["cell", "threshold", "op"] + [c for c in ("layer", "task") if c in per_seed]
    band = per_seed.groupby(keys, sort=False, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()
    for column in ("noise", "sampling"):
        if column in per_seed:
            band[column] = per_seed.groupby(keys, sort=False, dropna=False)[column].mean().to_numpy()
    undefined = int(band["mean"].isna().sum())
    means = band[band["mean"].notna()].reset_index(drop=True).rename(columns={"mean": "value"})
    if means.empty:
        return Grade(claim, NOT_COMPUTED, kind, undefined=undefined, seeds=seeds, why="every cell undefined")
    passed = holds(means)
    defined = per_seed[per_seed["value"].notna()]
    every_seed = holds(defined).groupby(defined["cell"].values).all()
    robust = int(every_seed.reindex(means["cell"]).fillna(False).astype(bool).sum())
    noisy = _noise_mask(means, len(seeds)) if _noise_known(means) else pd.Series(False, index=means.index)
    held, judged = int(passed.sum()), len(means)
    clear = int((passed & ~noisy).sum())
    far = _far_off(means, passed, len(seeds))
    far_off = int(far.sum())
    return Grade(
        claim, decide(held, judged, clear, far_off), kind, held, judged, clear, robust, far_off, undefined,
        within_noise(means, len(seeds)), seeds, float(means["threshold"].iloc[0]), str(means["op"].iloc[0]),
        _worst(means), float(means["value"].min()), float(means["value"].max()), _misses(means, passed, far),
    )


def combine(claim: str, grades: list[Grade], names: list[str], kind: str | None = None) -> Grade:
    """One grade for a claim made of parts (each pair of "MAS, FIS and SI agree"): the cells of all parts pooled,
    each part's own grade kept under ``parts``."""
    if any(g.grade == NOT_COMPUTED for g in grades):
        missing = next(g for g in grades if g.grade == NOT_COMPUTED)
        return not_computed(claim, missing.why, kind)
    held, judged = sum(g.held for g in grades), sum(g.judged for g in grades)
    clear, far_off = sum(g.clear for g in grades), sum(g.far_off for g in grades)
    noise = None if any(g.within_noise is None for g in grades) else sum(g.within_noise for g in grades)
    worst_index = min(range(len(grades)), key=lambda i: grades[i].held / max(grades[i].judged, 1))
    worst = grades[worst_index]
    return Grade(
        claim, decide(held, judged, clear, far_off), kind, held, judged, clear, sum(g.robust for g in grades),
        far_off, sum(g.undefined for g in grades), noise, tuple(sorted(set().union(*(g.seeds for g in grades)))),
        grades[0].threshold, grades[0].op, {**(worst.worst or {}), "part": names[worst_index]},
        min(g.low for g in grades), max(g.high for g in grades),
        misses=tuple({**miss, "part": name} for name, g in zip(names, grades) for miss in g.misses),
        parts=tuple(dict(name=name, **g.record()) for name, g in zip(names, grades)),
    )


@dataclass(frozen=True)
class PairedPart:
    """One paired comparison inside an interval claim: its name, the mean of the paired differences over the seeds
    and its interval half-width, and whether it passes the claim's test."""

    name: str
    mean: float
    half: float
    seeds: int
    passes: bool
    extra: dict[str, Any] = field(default_factory=dict)


def interval_grade(claim: str, parts: list[PairedPart], seeds: tuple[int, ...], **fields: Any) -> Grade:
    """A grade from paired comparisons, one part per comparison: holds when every part passes, partly when more
    than half do, else does not hold (a failing part is a measured failure: "far off")."""
    held = sum(p.passes for p in parts)
    judged = len(parts)
    worst = min(parts, key=lambda p: p.mean)
    return Grade(
        claim, decide(held, judged, held, judged - held), None, held, judged, held, held, judged - held,
        seeds=seeds, worst={"cell": worst.name, "mean": worst.mean, "half": worst.half, "seeds": worst.seeds},
        low=min(p.mean for p in parts), high=max(p.mean for p in parts),
        parts=tuple(dict(name=p.name, mean=p.mean, half=p.half, seeds=p.seeds, passes=p.passes, **p.extra)
                    for p in parts),
        **fields,
    )


def not_applicable(claim: str, why: str, kind: str | None = None) -> Grade:
    return Grade(claim, NOT_APPLICABLE, kind, why=why)


def not_computed(claim: str, why: str, kind: str | None = None) -> Grade:
    return Grade(claim, NOT_COMPUTED, kind, why=why)
