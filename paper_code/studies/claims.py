"""The paper's claims, each with its rule, graded on seed bands (see :mod:`paper_code.studies.grading`).

A rule reads the data of one configuration over its seeds (:class:`ClaimData`) and returns the
claim's cells; the grading is shared. Each rule is a few lines, next to the words of the paper it
tests, so a reader can check that the test is the claim. A claim's ``statement`` says what the paper says in a
few words (the discussion's table lists them); everything else a page says about a claim it writes itself, from
the numbers of its :class:`~paper_code.studies.grading.Grade`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from paper_code.analysis.explanation import EQ2, EQ3
from paper_code.analysis.spread import above_zero, equivalence_interval, paired_interval, within_margin
from paper_code.correlation import CORRELATION_KINDS
from paper_code.labels import pair_label
from paper_code.studies.grading import (
    Grade,
    PairedPart,
    combine,
    grade_cells,
    interval_grade,
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
    for column in ("layer", "task"):
        if column in frame:
            cells[column] = frame[column].to_numpy()
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


# --------------------------------------------------------------------------- the rule shapes
def above(claim: str, data: ClaimData, pair: str, threshold: float, kind: str) -> Grade:
    """Every (layer, task) correlation of ``pair`` above ``threshold``."""
    rows = _pair(data, pair)
    if rows.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    return grade_cells(claim, _cells(rows, kind, _where, threshold, ">", _noise(data, rows, kind)), kind)


def higher(claim: str, data: ClaimData, pair: str, other: str, kind: str) -> Grade:
    """``pair`` above ``other`` in each (layer, task) cell: their difference above 0."""
    a, b = _pair(data, pair), _pair(data, other)
    if a.empty or b.empty:
        return not_computed(claim, f"no {pair_label(pair if a.empty else other)} correlations", kind)
    both = a.merge(b, on=["layer", "task", "seed"], suffixes=("", "_other"))
    both = both.assign(difference=both[kind] - both[f"{kind}_other"])
    return grade_cells(claim, _cells(both, "difference", _where, 0.0, ">"), kind)


def input_high(claim: str, data: ClaimData, pair: str, kind: str) -> Grade:
    """The first half of the SIG pattern: layer 1 at least :data:`SIG_INPUT_AT_LEAST` ("about 0.6") after every
    task."""
    rows = _pair(data, pair)
    first = rows[rows["layer"] == 1]
    if first.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    return grade_cells(claim, _cells(first, kind, _where, SIG_INPUT_AT_LEAST, "≥", _noise(data, first, kind)), kind)


def output_negative(claim: str, data: ClaimData, pair: str, kind: str) -> Grade:
    """The second half of the SIG pattern: the output layer (layer 3 of the paper's network, the last layer of
    any other) below 0 after every task."""
    rows = _pair(data, pair)
    if rows.empty:
        return not_computed(claim, f"no {pair_label(pair)} correlations", kind)
    last = rows[rows["layer"] == int(rows["layer"].max())]
    return grade_cells(claim, _cells(last, kind, _where, 0.0, "<", _noise(data, last, kind)), kind)


# --------------------------------------------------------------------------- claims that read more than correlations
def premise(claim: str, data: ClaimData, kind: str) -> Grade:
    """After each task, the mean labelled output p_k on its importance samples is at least 0.9."""
    if data.p_summary is None or data.p_summary.empty:
        return not_computed(claim, "needs the eq. (1)-(3) check on the saved networks", None)
    cells = _cells(data.p_summary, "mean", lambda row: f"after task {int(row['task'])}", P_CLOSE_TO_ONE, "≥")
    return grade_cells(claim, cells, None)


def formulas_track(claim: str, data: ClaimData, kind: str) -> Grade:
    """FIS against (Σ_k ∂p_k/∂θ)² (eq. 2) and MAS against |Σ_k ∂p_k/∂θ| (eq. 3), each at least 0.8."""
    if data.agreement is None or data.agreement.empty:
        return not_computed(claim, "needs the eq. (1)-(3) check on the saved networks", kind)
    rows = data.agreement[data.agreement["comparison"].isin([EQ2, EQ3])]
    cells = _cells(rows, kind, lambda r: f"{r['comparison'].split('  ')[0]}, {_where(r)}", TRACKS_AT_LEAST, "≥")
    return grade_cells(claim, cells, kind)


def sig_negative_somewhere(claim: str, data: ClaimData, kind: str) -> Grade:
    """Each of MAS–SIG, FIS–SIG and SI–SIG reaches a negative value (its lowest cell is below 0)."""
    rows = data.correlations[data.correlations["pair"].isin(["mas_sig", "fis_sig", "si_sig"])]
    if rows["pair"].nunique() < 3:
        return not_computed(claim, "needs MAS–SIG, FIS–SIG and SI–SIG", kind)
    lowest = rows.groupby(["pair", "seed"], as_index=False)[kind].min()
    cells = _cells(lowest, kind, lambda r: f"lowest {pair_label(r['pair'])}", 0.0, "<")
    return grade_cells(claim, cells, kind)


#: "Comparable quality" as an equivalence: an importance is comparable to the best when the 90 % interval of its
#: paired accuracy difference (two one-sided tests at 5 %) lies within this share of the best importance's gain
#: over fine-tuning. 10 %: an importance that keeps at least nine tenths of what the best adds over fine-tuning
#: protects the old tasks on the scale EWC works at; the controls page measures the shares that fall short.
COMPARABLE_SHARE = 0.1


def _shared_accuracy(data: ClaimData) -> pd.DataFrame | None:
    """Final accuracy by seed (rows) and regularizer (columns), on the seeds every importance and fine-tuning share."""
    table = data.accuracy
    if table is None or not set(EWC_METHODS + ("none",)) <= set(table["reg"]):
        return None
    wide = table.pivot_table(index="seed", columns="reg", values="final_accuracy")
    shared = wide[list(EWC_METHODS) + ["none"]].dropna()
    return None if shared.empty else shared


def _seeds(shared: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(s) for s in shared.index)


def ewc_works(claim: str, data: ClaimData, kind: str) -> Grade:
    """Each importance beats fine-tuning: its final average accuracy minus fine-tuning's, paired by seed, has a
    95 % interval above 0."""
    shared = _shared_accuracy(data)
    if shared is None:
        return not_computed(claim, data.accuracy_missing, None)
    parts = []
    for method in EWC_METHODS:
        mean, half, n = paired_interval(shared[method] - shared["none"])
        parts.append(PairedPart(method, mean, half, n, above_zero(mean, half)))
    return interval_grade(claim, parts, _seeds(shared))


def ewc_comparable(claim: str, data: ClaimData, kind: str) -> Grade:
    """Every importance equivalent to the best inside EWC: its final average accuracy minus the best's, paired by
    seed, within ± :data:`COMPARABLE_SHARE` of the best's gain over fine-tuning (TOST at 5 %). The claim needs
    every comparison to pass, so no correction for their number is due (an intersection-union test)."""
    shared = _shared_accuracy(data)
    if shared is None:
        return not_computed(claim, data.accuracy_missing, None)
    best = str(shared[list(EWC_METHODS)].mean().idxmax())
    gain = float((shared[best] - shared["none"]).mean())
    equivalence_margin = COMPARABLE_SHARE * gain
    parts = []
    for method in EWC_METHODS:
        if method == best:
            continue
        difference = shared[method] - shared[best]
        mean, half, n = equivalence_interval(difference)
        share = ((shared[method] - shared["none"]) / (shared[best] - shared["none"]))
        share_mean, share_half, _ = paired_interval(share)
        parts.append(PairedPart(method, mean, half, n, within_margin(mean, half, equivalence_margin),
                                extra=dict(share_of_best=share_mean, share_half=share_half)))
    return interval_grade(claim, parts, _seeds(shared), threshold=equivalence_margin, op="±",
                          why=f"best: {best}")


# --------------------------------------------------------------------------- the claims
@dataclass(frozen=True)
class Claim:
    """One claim of the paper: where it is made, what it says (in a few words), the test applied, and its rule."""

    id: str
    section: str
    statement: str
    test: str
    rule: Callable[[ClaimData, str], Grade] = field(repr=False)
    #: Whether the test reads a correlation coefficient; a claim about accuracies or outputs has one grade, and
    #: asking for it "with Spearman's ρ" is not applicable.
    correlation: bool = True

    def grade(self, data: ClaimData, kind: str = "pearson") -> Grade:
        if kind not in CORRELATION_KINDS:
            raise ValueError(f"correlation={kind!r} is unknown: use 'pearson' or 'spearman'")
        if kind == "spearman" and not self.correlation:
            return not_applicable(self.id, "the test reads no correlation coefficient", kind)
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
        Claim(f"{stem}-input", section, f"{names} agree on the input layer, about 0.6",
              f"layer 1 ≥ {SIG_INPUT_AT_LEAST:g} after every task",
              lambda d, k: input_high(f"{stem}-input", d, pair, k)),
        Claim(f"{stem}-output", section, f"{names} turn negative on the output layer",
              "the output layer < 0 after every task", lambda d, k: output_negative(f"{stem}-output", d, pair, k)),
    )


CLAIMS: tuple[Claim, ...] = (
    Claim("3.1-mas-fis", "3.1", "MAS and FIS correlate above 0.8",
          "every (layer, task) cell > 0.8", lambda d, k: above("3.1-mas-fis", d, "mas_fis", 0.8, k)),
    Claim("3.1-fis-mas2", "3.1", "FIS correlates better with MAS² than with MAS",
          "FIS–MAS² above FIS–MAS in every cell", _fis_mas2),
    Claim("3.1-premise", "3.1", "after a task, the output of the true label pₖ is close to 1",
          f"mean pₖ ≥ {P_CLOSE_TO_ONE:g} on each task's importance samples, right after that task",
          lambda d, k: premise("3.1-premise", d, k), correlation=False),
    Claim("3.1-eq2-eq3", "3.1", "FIS behaves like (Σₖ ∂pₖ/∂θ)², MAS like Σₖ ∂pₖ/∂θ",
          f"both correlations ≥ {TRACKS_AT_LEAST:g} in every (layer, task) cell",
          lambda d, k: formulas_track("3.1-eq2-eq3", d, k)),
    Claim("3.2-mas-si", "3.2", "MAS and SI correlate above 0.8",
          "every (layer, task) cell > 0.8", lambda d, k: above("3.2-mas-si", d, "mas_si", 0.8, k)),
    *_sig_claims("3.3", "mas_sig", "MAS and SIG"),
    Claim("3.4-fis-si", "3.4", "FIS and SI correlate above 0.75",
          "every (layer, task) cell > 0.75", lambda d, k: above("3.4-fis-si", d, "fis_si", 0.75, k)),
    *_sig_claims("3.5", "fis_sig", "FIS and SIG"),
    *_sig_claims("3.6", "si_sig", "SI and SIG"),
    Claim("4-agree", "4", "MAS, FIS and SI give about the same importances",
          "MAS–FIS, MAS–SI and FIS–SI > 0.75 in every cell",
          lambda d, k: combine("4-agree", [above("4-agree", d, p, 0.75, k) for p in ("mas_fis", "mas_si", "fis_si")],
                               ["mas_fis", "mas_si", "fis_si"], k)),
    Claim("4-sig", "4", "SIG differs from the other three, down to negative correlations",
          "each of MAS–SIG, FIS–SIG, SI–SIG reaches a negative value", lambda d, k: sig_negative_somewhere("4-sig", d, k)),
    Claim("4-ewc", "1, 4", "all four importances let EWC overcome forgetting",
          "each importance's gain over fine-tuning, paired by seed, has a 95 % interval above 0",
          lambda d, k: ewc_works("4-ewc", d, k), correlation=False),
    Claim("4-ewc-comparable", "1, 4", "… with comparable quality",
          f"each importance within ± {COMPARABLE_SHARE:.0%} of the best one's gain over fine-tuning (two one-sided "
          "tests at 5 %, paired by seed)", lambda d, k: ewc_comparable("4-ewc-comparable", d, k), correlation=False),
)

CLAIMS_BY_ID: dict[str, Claim] = {claim.id: claim for claim in CLAIMS}


def grade(data: ClaimData, claim_id: str, kind: str = "pearson") -> Grade:
    """The grade of one claim (see :data:`CLAIMS`)."""
    return CLAIMS_BY_ID[claim_id].grade(data, kind)


def claims_table(data: ClaimData, kind: str = "pearson") -> pd.DataFrame:
    """Every claim, its test, and its grade under Pearson and Spearman."""
    rows = []
    for claim in CLAIMS:
        grades = {k: claim.grade(data, k) for k in CORRELATION_KINDS}
        rows.append((claim.section, claim.statement, claim.test, grades["pearson"].label, grades["spearman"].label))
    return pd.DataFrame(rows, columns=["section", "claim", "test", "Pearson", "Spearman"])


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
            rows.append(dict(claim=claim_id, reg=reg, grade=result.grade, label=result.label, seeds=len(result.seeds)))
    frame = pd.DataFrame(rows)
    frame["depends"] = frame.groupby("claim").grade.transform("nunique") > 1
    return frame
