"""The paper's claims, each with its rule, graded on seed bands (see :mod:`paper_code.studies.grading`).

A rule reads the data of one configuration over its seeds (:class:`ClaimData`) and returns the
claim's cells; the grading is shared. Each rule is a few lines, next to the words of the paper it
tests, so a reader can check that the test is the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from paper_code.analysis.explanation import EQ2, EQ3
from paper_code.analysis.spread import above_zero, paired_interval, reaches_zero_from_below
from paper_code.correlation import CORRELATION_KINDS
from paper_code.labels import KIND_LABELS, pair_label
from paper_code.studies.grading import (
    FAILS,
    HOLDS,
    MOSTLY,
    NOT_APPLICABLE,
    Grade,
    combine,
    grade_cells,
    not_applicable,
    not_computed,
)

#: "About 0.6 on the input layers": a layer-1 correlation counts as high from this value on.
SIG_INPUT_AT_LEAST = 0.4
#: The premise of eqs. (2)-(3): the labelled output p_k is "very close to 1" on average from here on.
P_CLOSE_TO_ONE = 0.9
#: Eqs. (2)-(3) explain the data when each formula correlates with its importance at least this much.
TRACKS_AT_LEAST = 0.8
EWC_METHODS = ("fis", "mas", "si", "sig")


@dataclass(frozen=True)
class ClaimData:
    """What the rules read, every table with a ``seed`` column (one seed or several).

    ``correlations``: pair, layer, task, pearson, spearman. ``p_summary`` and ``agreement``: the
    eq. (1)-(3) check (:mod:`paper_code.analysis.explanation`). ``accuracy``: reg, seed,
    final_accuracy of EWC with each importance at its selected λ and of fine-tuning (reg "none").
    """

    correlations: pd.DataFrame
    p_summary: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    accuracy: pd.DataFrame | None = None
    #: Why ``accuracy`` is missing, when it is.
    accuracy_missing: str = "needs EWC runs with every importance and a fine-tuning run (the study: make sweep-full)"
    #: Where each seed's run was found, by seed.
    sources: dict[int, str] = field(default_factory=dict)
    #: The noise bands of this configuration (:func:`paper_code.studies.noise.noise_for`: one seed's standard
    #: deviation under rounding alone, and under another draw of importance rows), where measured.
    noise: pd.DataFrame | None = None

    @property
    def seeds(self) -> int:
        return int(self.correlations["seed"].nunique()) if not self.correlations.empty else 0


def _cells(frame: pd.DataFrame, value: str, cell: Callable[[pd.Series], str], threshold: float, op: str,
           noise: pd.DataFrame | None = None) -> pd.DataFrame:
    cells = pd.DataFrame({
        "cell": [cell(row) for _, row in frame.iterrows()],
        "value": frame[value].to_numpy(dtype=float),
        "threshold": threshold,
        "op": op,
        "seed": frame["seed"].to_numpy(),
    })
    if noise is not None:
        for column in noise.columns:
            cells[column] = noise[column].to_numpy(dtype=float)
    return cells


def _noise(data: ClaimData, rows: pd.DataFrame, kind: str) -> pd.DataFrame | None:
    """The noise of each (pair, layer, task) row, where the bands of this configuration are known: ``noise``
    (rounding) and, where measured, ``sampling`` (importance rows), each the standard deviation of one run."""
    if data.noise is None or kind not in data.noise:
        return None
    keys = ["pair", "layer", "task"]
    columns = {kind: "noise", f"sampling_{kind}": "sampling"}
    present = [c for c in columns if c in data.noise]
    merged = rows[keys].merge(data.noise[[*keys, *present]], on=keys, how="left")
    return merged[present].rename(columns=columns)


def _where(row: pd.Series) -> str:
    return f"layer {int(row['layer'])}, after task {int(row['task'])}"


def _pair(data: ClaimData, pair: str) -> pd.DataFrame:
    return data.correlations[data.correlations["pair"] == pair]


def _all_positive(means: pd.DataFrame) -> bool:
    return bool((means["value"] > 0).all())


# --------------------------------------------------------------------------- the rule shapes
def above(claim: str, data: ClaimData, pair: str, threshold: float, kind: str) -> Grade:
    """Every (layer, task) correlation of ``pair`` above ``threshold``; direction: positive everywhere."""
    rows = _pair(data, pair)
    if rows.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    cells = _cells(rows, kind, _where, threshold, ">", _noise(data, rows, kind))
    label = f"{pair_label(pair)} ({KIND_LABELS[kind]}) > {threshold:g}"
    return grade_cells(claim, cells, label, _all_positive, kind)


def higher(claim: str, data: ClaimData, pair: str, other: str, kind: str) -> Grade:
    """``pair`` above ``other`` in each (layer, task) cell; direction: above on average over the cells."""
    a, b = _pair(data, pair), _pair(data, other)
    if a.empty or b.empty:
        return not_computed(claim, f"no {pair_label(pair if a.empty else other)} correlations", kind)
    both = a.merge(b, on=["layer", "task", "seed"], suffixes=("", "_other"))
    both = both.assign(difference=both[kind] - both[f"{kind}_other"])
    cells = _cells(both, "difference", _where, 0.0, ">")
    label = f"{pair_label(pair)} minus {pair_label(other)} ({KIND_LABELS[kind]}) > 0"
    return grade_cells(claim, cells, label, lambda means: bool(means["value"].mean() > 0), kind)


def input_high(claim: str, data: ClaimData, pair: str, kind: str) -> Grade:
    """The first half of the SIG pattern: layer 1 at least 0.4 ("about 0.6") after every task.

    Direction: positive on layer 1 in every cell."""
    rows = _pair(data, pair)
    first = rows[rows["layer"] == 1]
    if first.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    cells = _cells(first, kind, _where, SIG_INPUT_AT_LEAST, "≥", _noise(data, first, kind))
    label = f"{pair_label(pair)} ({KIND_LABELS[kind]}) ≥ {SIG_INPUT_AT_LEAST:g} on layer 1"
    return grade_cells(claim, cells, label, _all_positive, kind)


def output_negative(claim: str, data: ClaimData, pair: str, kind: str) -> Grade:
    """The second half of the SIG pattern: the output layer (layer 3 of the paper's network, the last layer of
    any other) below 0 after every task.

    Direction: negative on the output layer in at least one cell."""
    rows = _pair(data, pair)
    if rows.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    output = int(rows["layer"].max())
    last = rows[rows["layer"] == output]
    cells = _cells(last, kind, _where, 0.0, "<", _noise(data, last, kind))
    label = f"{pair_label(pair)} ({KIND_LABELS[kind]}) < 0 on layer {output}"
    return grade_cells(claim, cells, label, lambda means: bool((means["value"] < 0).any()), kind)


# --------------------------------------------------------------------------- claims that read more than correlations
def premise(claim: str, data: ClaimData, kind: str) -> Grade:
    """After each task, the mean labelled output p_k on its importance samples is at least 0.9."""
    if data.p_summary is None or data.p_summary.empty:
        return not_computed(claim, "needs the eq. (1)-(3) check on the saved networks", None)
    cells = _cells(data.p_summary, "mean", lambda row: f"after task {int(row['task'])}", P_CLOSE_TO_ONE, "≥")
    return grade_cells(claim, cells, f"mean labelled output p_k ≥ {P_CLOSE_TO_ONE:g}", None, None)


def formulas_track(claim: str, data: ClaimData, kind: str) -> Grade:
    """FIS against (Σ_k ∂p_k/∂θ)² (eq. 2) and MAS against |Σ_k ∂p_k/∂θ| (eq. 3), each at least 0.8."""
    if data.agreement is None or data.agreement.empty:
        return not_computed(claim, "needs the eq. (1)-(3) check on the saved networks", kind)
    rows = data.agreement[data.agreement["comparison"].isin([EQ2, EQ3])]
    cells = _cells(rows, kind, lambda r: f"{r['comparison'].split('  ')[0]}, {_where(r)}", TRACKS_AT_LEAST, "≥")
    return grade_cells(claim, cells, f"eq. 2 and eq. 3 ({KIND_LABELS[kind]}) ≥ {TRACKS_AT_LEAST:g}",
                       _all_positive, kind)


def sig_negative_somewhere(claim: str, data: ClaimData, kind: str) -> Grade:
    """Each of MAS–SIG, FIS–SIG and SI–SIG reaches a negative value (its lowest cell is below 0)."""
    rows = data.correlations[data.correlations["pair"].isin(["mas_sig", "fis_sig", "si_sig"])]
    if rows["pair"].nunique() < 3:
        return not_computed(claim, "needs MAS–SIG, FIS–SIG and SI–SIG", kind)
    lowest = rows.groupby(["pair", "seed"], as_index=False)[kind].min()
    cells = _cells(lowest, kind, lambda r: f"lowest {pair_label(r['pair'])}", 0.0, "<")
    return grade_cells(claim, cells, f"lowest value of each SIG pair ({KIND_LABELS[kind]}) < 0", None, kind)


def _shared_accuracy(data: ClaimData) -> pd.DataFrame | None:
    """Final accuracy by seed (rows) and regularizer (columns), on the seeds every importance and fine-tuning share."""
    table = data.accuracy
    if table is None or not set(EWC_METHODS + ("none",)) <= set(table["reg"]):
        return None
    wide = table.pivot_table(index="seed", columns="reg", values="final_accuracy")
    shared = wide[list(EWC_METHODS) + ["none"]].dropna()
    return None if shared.empty else shared


def _interval_grade(claim: str, parts: list[tuple[str, pd.Series]], holds, label: str, seeds: int) -> Grade:
    """A grade from paired differences, one part per importance: each part's mean and 95 % interval (Student's t
    over the seeds), judged by ``holds(mean, half_width)``; holds for every part, for most, or for at most half."""
    judged = []
    for name, differences in parts:
        mean, half, _ = paired_interval(differences)
        judged.append((name, mean, half, bool(holds(mean, half))))
    held = sum(ok for *_, ok in judged)
    grade = HOLDS if held == len(judged) else MOSTLY if 2 * held > len(judged) else FAILS
    listed = "; ".join(f"{name} {mean:+.4f} ± {half:.4f}" + ("" if ok else " ✗") for name, mean, half, ok in judged)
    worst = min(judged, key=lambda item: item[1])
    evidence = f"{label}, paired over {seeds} seeds (mean ± 95 % interval): {listed}"
    return Grade(claim, grade, evidence, held, len(judged), 0, held, seeds, f"{worst[0]}: {worst[1]:+.4f}", None)


def ewc_works(claim: str, data: ClaimData, kind: str) -> Grade:
    """Each importance beats fine-tuning: its final average accuracy minus fine-tuning's, paired by seed, has a
    95 % interval above 0."""
    shared = _shared_accuracy(data)
    if shared is None:
        return not_computed(claim, data.accuracy_missing, None)
    parts = [(f"{m.upper()} − fine-tuning", shared[m] - shared["none"]) for m in EWC_METHODS]
    return _interval_grade(claim, parts, above_zero, "final average accuracy gain",
                           len(shared))


def ewc_comparable(claim: str, data: ClaimData, kind: str) -> Grade:
    """No importance is measurably worse inside EWC than the best one: its final average accuracy minus the best
    importance's, paired by seed, has a 95 % interval that reaches 0."""
    shared = _shared_accuracy(data)
    if shared is None:
        return not_computed(claim, data.accuracy_missing, None)
    best = shared[list(EWC_METHODS)].mean().idxmax()
    parts = [(f"{m.upper()} − {best.upper()}", shared[m] - shared[best]) for m in EWC_METHODS if m != best]
    return _interval_grade(claim, parts, reaches_zero_from_below,
                           f"final average accuracy against the best, {best.upper()} (✗: measurably worse)",
                           len(shared))


# --------------------------------------------------------------------------- the claims
@dataclass(frozen=True)
class Claim:
    id: str
    section: str
    text: str
    test: str
    rule: Callable[[ClaimData, str], Grade] = field(repr=False)

    def grade(self, data: ClaimData, kind: str = "pearson") -> Grade:
        if kind not in CORRELATION_KINDS:
            raise ValueError(f"correlation={kind!r} is unknown: use 'pearson' or 'spearman'")
        return self.rule(data, kind)


def _fis_mas2(data: ClaimData, kind: str) -> Grade:
    if kind == "spearman":
        return not_applicable("3.1-fis-mas2", "MAS ≥ 0, so squaring it keeps its ranks: the Spearman ρ of FIS–MAS² "
                              "equals that of FIS–MAS by construction", kind)
    return higher("3.1-fis-mas2", data, "fis_mas2", "mas_fis", kind)


def _sig_claims(section: str, pair: str, names: str) -> tuple[Claim, Claim]:
    """A SIG pair's pattern as two claims, each graded on its own layer: high on the input layer ("about 0.6"),
    negative on the output layer. Pooling their cells would let one half's cells decide the other's grade."""
    stem = f"{section}-{pair.replace('_', '-')}"
    return (
        Claim(f"{stem}-input", section, f"{names} agree on the input layer: about 0.6 there.",
              f"layer 1 ≥ {SIG_INPUT_AT_LEAST:g} after every task",
              lambda d, k: input_high(f"{stem}-input", d, pair, k)),
        Claim(f"{stem}-output", section, f"{names} disagree on the output layer, down to negative correlation.",
              "layer 3 < 0 after every task", lambda d, k: output_negative(f"{stem}-output", d, pair, k)),
    )


CLAIMS: tuple[Claim, ...] = (
    Claim("3.1-mas-fis", "3.1", "MAS and FIS importances correlate strongly: above 0.8 on every layer, whatever the number of tasks.",
          "every (layer, task) cell > 0.8", lambda d, k: above("3.1-mas-fis", d, "mas_fis", 0.8, k)),
    Claim("3.1-fis-mas2", "3.1", "Squaring MAS makes its correlation with FIS higher still.",
          "FIS–MAS² above FIS–MAS in every cell", _fis_mas2),
    Claim("3.1-premise", "3.1", "After training on a task, the network's output for the true label, p_k, is close to 1 (the premise of eqs. 2-3).",
          f"mean p_k ≥ {P_CLOSE_TO_ONE:g} on each task's importance samples, right after that task",
          lambda d, k: premise("3.1-premise", d, k)),
    Claim("3.1-eq2-eq3", "3.1", "FIS behaves like the square of Σ_k ∂p_k/∂θ (eq. 2) and MAS like Σ_k ∂p_k/∂θ itself (eq. 3), which would explain FIS–MAS².",
          f"both correlations ≥ {TRACKS_AT_LEAST:g} in every (layer, task) cell", lambda d, k: formulas_track("3.1-eq2-eq3", d, k)),
    Claim("3.2-mas-si", "3.2", "MAS and SI importances correlate strongly: above 0.8.",
          "every (layer, task) cell > 0.8", lambda d, k: above("3.2-mas-si", d, "mas_si", 0.8, k)),
    *_sig_claims("3.3", "mas_sig", "MAS and SIG"),
    Claim("3.4-fis-si", "3.4", "FIS and SI importances correlate strongly: above 0.75.",
          "every (layer, task) cell > 0.75", lambda d, k: above("3.4-fis-si", d, "fis_si", 0.75, k)),
    *_sig_claims("3.5", "fis_sig", "FIS and SIG"),
    *_sig_claims("3.6", "si_sig", "SI and SIG"),
    Claim("4-agree", "4", "MAS, FIS and SI give approximately the same importances.",
          "MAS–FIS, MAS–SI and FIS–SI > 0.75 in every cell",
          lambda d, k: combine("4-agree", [above("4-agree", d, p, 0.75, k) for p in ("mas_fis", "mas_si", "fis_si")], k)),
    Claim("4-sig", "4", "SIG importances differ from the other three, down to negative correlations.",
          "each of MAS–SIG, FIS–SIG, SI–SIG reaches a negative value", lambda d, k: sig_negative_somewhere("4-sig", d, k)),
    Claim("4-ewc", "1, 4", "Despite the differences, all four importances let EWC overcome catastrophic forgetting.",
          "EWC with FIS, MAS, SI, SIG each beats fine-tuning in final average accuracy: the 95 % interval of the "
          "gain, paired by seed, lies above 0", lambda d, k: ewc_works("4-ewc", d, k)),
    Claim("4-ewc-comparable", "1, 4", "… and with comparable quality.",
          "no importance measurably worse than the best inside EWC: the 95 % interval of its difference to the "
          "best, paired by seed, reaches 0", lambda d, k: ewc_comparable("4-ewc-comparable", d, k)),
)

CLAIMS_BY_ID: dict[str, Claim] = {claim.id: claim for claim in CLAIMS}


def grade(data: ClaimData, claim_id: str, kind: str = "pearson") -> Grade:
    """The grade of one claim (see :data:`CLAIMS`)."""
    return CLAIMS_BY_ID[claim_id].grade(data, kind)


def claims_table(data: ClaimData, kind: str = "pearson") -> pd.DataFrame:
    """Every claim, its test, its grade under Pearson and Spearman, and the evidence for ``kind``."""
    rows = []
    for claim in CLAIMS:
        grades = {k: claim.grade(data, k) for k in CORRELATION_KINDS}
        evidence = grades[kind] if grades[kind].grade != NOT_APPLICABLE else grades["pearson"]
        rows.append((claim.section, claim.text, claim.test, grades["pearson"].label, grades["spearman"].label,
                     evidence.evidence))
    return pd.DataFrame(rows, columns=["section", "claim", "test", "Pearson", "Spearman", "evidence"])


#: The claims a change of regularizer can be read on: those graded on the importances' correlations alone.
CORRELATION_CLAIMS: tuple[str, ...] = tuple(c.id for c in CLAIMS if c.id not in ("3.1-premise", "3.1-eq2-eq3", "4-ewc",
                                                                                   "4-ewc-comparable"))


def claims_by_regularizer(data: dict[str, ClaimData], kind: str = "pearson") -> pd.DataFrame:
    """``claim, reg, grade, label, seeds``: every correlation claim graded under every regularizer's runs, and
    ``depends``: whether the claim's grade (holds, most cells, direction only, does not hold) changes with it."""
    rows = []
    for reg, claim_data in data.items():
        for claim_id in CORRELATION_CLAIMS:
            result = CLAIMS_BY_ID[claim_id].grade(claim_data, kind)
            rows.append(dict(claim=claim_id, reg=reg, grade=result.grade, label=result.label, seeds=result.seeds))
    frame = pd.DataFrame(rows)
    frame["depends"] = frame.groupby("claim").grade.transform("nunique") > 1
    return frame
