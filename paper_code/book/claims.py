"""The claims' grades as a page shows them: the table, the sentence that sums it up, the check's consistency."""

from __future__ import annotations

import pandas as pd

from paper_code.analysis.explanation import (
    EQ1_LITERAL,
    EQ3_LITERAL,
    EQ3_LITERAL_ABS,
    LITERAL,
    OBSERVED,
    ExplanationCheck,
)
from paper_code.book.render import Markdown, markdown_table
from paper_code.book.sensitivity import claim_sensitivity
from paper_code.labels import method_label, pair_label, plural, reg_label
from paper_code.studies.claims import CLAIMS, ClaimData
from paper_code.studies.grading import FAILS, HOLDS, MOSTLY, NOT_APPLICABLE, NOT_COMPUTED, PARTLY

def claims_markdown(table: pd.DataFrame) -> Markdown:
    """The claims table as Markdown: grades in a compact table, then each test and its evidence."""
    compact = table[["section", "claim", "Pearson", "Spearman"]].copy()
    compact.insert(0, "#", range(1, len(table) + 1))
    lines = [markdown_table(compact).text, "", "How each grade was reached:", ""]
    for number, row in enumerate(table.itertuples(index=False), start=1):
        lines.append(f"{number}. *Test:* {row.test}.")
    return Markdown("\n".join(lines))


def grade_counts(table: pd.DataFrame, column: str = "Pearson") -> dict[str, int]:
    """How many claims got each grade; every "holds in k of N cells" counts as one "holds in most cells"."""
    counts = table[column].value_counts()
    order = (HOLDS, MOSTLY, PARTLY, FAILS, NOT_APPLICABLE, NOT_COMPUTED)
    return {grade: int(counts.get(grade, 0)) for grade in order}


def claims_summary(table: pd.DataFrame) -> Markdown:
    """One sentence per coefficient: how many claims hold everywhere, in most cells, in direction only, not at all."""
    parts = []
    for column in ("Pearson", "Spearman"):
        counts = grade_counts(table, column)
        words = [f"{counts[HOLDS]} {'holds' if counts[HOLDS] == 1 else 'hold'} in every cell",
                 f"{counts[MOSTLY]} mostly", f"{counts[PARTLY]} partly",
                 f"{counts[FAILS]} {'does' if counts[FAILS] == 1 else 'do'} not hold"]
        rest = [f"{counts[g]} {g}" for g in (NOT_APPLICABLE, NOT_COMPUTED) if counts[g]]
        parts.append(f"with {column}'s coefficient, of the {len(table)} claims " + ", ".join(words + rest))
    return Markdown("On the seed band of this configuration, " + "; ".join(parts) + ".")


def explanation_consistency(check: ExplanationCheck | None) -> Markdown:
    """Whether the eq. (1)-(3) check saw the run's own networks, or where its stored tables come from."""
    if check is None:
        return Markdown(
            "This trial's folder holds no eq. (1)-(3) check and a committed trial keeps no saved networks to compute "
            "one from: the tables and the two grades below that need the check rest on the other seeds that have it, "
            "or are not computed."
        )
    if check.stored_mismatch is None:
        return Markdown(
            "The check's tables were computed from this trial's saved networks on the machine that ran the study "
            "(`make sensitivity`) and are read here from `explanation_p.csv` and `explanation_agreement.csv` in "
            "the trial's folder: a committed trial keeps its small files only, not its networks."
        )
    ok = check.stored_mismatch < 1e-4
    return Markdown(
        f"FIS and MAS recomputed here from the saved networks differ from the importances the run stored by at "
        f"most {check.stored_mismatch:.1e} (relative to the largest value): "
        + ("the check sees the same networks and samples as the experiment." if ok else
           "**they do not match**, so this check does not see what the experiment saw.")
    )


def seeds_note(data: ClaimData, shown_seed: int, subject: str = "The grades") -> Markdown:
    """Which seeds ``subject`` (the page's grades, named) rests on, where each came from, and where the rules that
    make a grade are set out."""
    rules = "; how a grade is reached: {ref}`glossary-grades`."
    seeds = sorted(data.sources)
    others = [s for s in seeds if s != shown_seed]
    if not others:
        return Markdown(
            f"{subject} rest on **one run** (seed {shown_seed}, the one shown): no other seed of this configuration "
            "was found in the results folder or the study, so no seed band can be drawn and a single run's "
            "numbers stand for the configuration" + rules
        )
    folders = sorted({data.sources[s].rsplit("/", 1)[0] for s in others})
    return Markdown(
        f"{subject} rest on **{plural(len(seeds), 'seed')}** of this configuration: seed {shown_seed} (the run shown "
        f"in the figures) and seed{'s' if len(others) > 1 else ''} {', '.join(map(str, others))} "
        f"(from {', '.join(f'`{f}`' for f in folders)})" + rules
    )


def literal_forms_findings(check: ExplanationCheck, kind: str = "pearson") -> Markdown:
    """Which form of eqs. (1)-(3) the correlations follow, from the check's numbers (means over layers and tasks)."""
    table = check.agreement

    def mean(comparison: str) -> float:
        return float(table.loc[table["comparison"] == comparison, kind].mean())

    def low(comparison: str) -> float:
        return float(table.loc[table["comparison"] == comparison, kind].min())

    observed, literal = mean(OBSERVED), mean(LITERAL)
    follows = "the per-sample forms" if observed > literal else "the literal forms"
    return Markdown(
        f"Computed per sample, as the library and the paper author's scripts compute them, FIS and MAS² correlate "
        f"at {observed:.2f} on average over layers and tasks (lowest {low(OBSERVED):.2f}). Written literally, as "
        f"eqs. (1) and (3) state them (the square of the summed log-gradient, and the signed sum of output "
        f"derivatives), the same pair correlates at {literal:.2f} (lowest {low(LITERAL):.2f}). FIS agrees with its "
        f"literal form at {mean(EQ1_LITERAL):.2f}, MAS with the literal sum at {mean(EQ3_LITERAL):.2f} signed and "
        f"{mean(EQ3_LITERAL_ABS):.2f} in magnitude. The paper's strong FIS–MAS² agreement therefore follows "
        f"**{follows}**: near a minimum the per-sample gradients largely cancel in a sum over samples, so the summed "
        "quantities of the equations as written are a different, much noisier object than the importances."
        if observed > literal else
        f"Written literally, as eqs. (1) and (3) state them, FIS and MAS² correlate at {literal:.2f} on average, "
        f"above the {observed:.2f} of the per-sample forms the library computes: the correlations follow "
        f"**{follows}** here."
    )


#: The sensitivity study's sections (key numbers) that bear on each claim.
#: The sensitivity study's key numbers each claim turns on (one claim, its own numbers: claim 3.1's squaring
#: test turns on the FIS–MAS² excess, not on the smallest MAS–FIS).
SENSITIVITY_KEYS: dict[str, tuple[str, ...]] = {
    "3.1-mas-fis": ("min_mas_fis",), "3.1-fis-mas2": ("fis_mas2_excess",), "3.2-mas-si": ("min_mas_si",),
    "3.3-mas-sig-input": ("mas_sig_layer1",), "3.3-mas-sig-output": ("mas_sig_layer3",),
    "3.4-fis-si": ("min_fis_si",),
    "3.5-fis-sig-input": ("fis_sig_layer1",), "3.5-fis-sig-output": ("fis_sig_layer3",),
    "3.6-si-sig-input": ("si_sig_layer1",), "3.6-si-sig-output": ("si_sig_layer3",),
    "4-agree": ("min_mas_fis", "min_mas_si", "min_fis_si"),
    "4-sig": ("mas_sig_layer3", "fis_sig_layer3", "si_sig_layer3"),
}


def conclusions_markdown(table: pd.DataFrame, sensitivity: pd.DataFrame | None) -> Markdown:
    """Each claim: what the data supports (its grades) beside what the sensitivity study found for its numbers."""
    lines = []
    for claim, row in zip(CLAIMS, table.itertuples(index=False)):
        keys = SENSITIVITY_KEYS.get(claim.id, ())
        found = claim_sensitivity(sensitivity, keys) if sensitivity is not None and keys else ""
        lines.append(f"- **{row.section}: {row.claim}** The data: {row.Pearson} (Pearson), {row.Spearman} (Spearman)."
                     + (f" Its numbers by default, and the choices that would meet the paper: {found}." if found else ""))
    return Markdown("\n".join(lines))


def regularizer_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Claims (rows) against the regularizer whose trials they are graded on (columns)."""
    wide = frame.pivot(index="claim", columns="reg", values="label").reindex(
        [c.id for c in CLAIMS if c.id in set(frame.claim)])
    regs = list(dict.fromkeys(frame.reg))
    texts = {c.id: f"{c.section}: {c.statement}" for c in CLAIMS}
    table = pd.DataFrame({"claim": [texts[c] for c in wide.index]})
    for reg in regs:
        # "holds in 28 of 30 cells" as "28 of 30": six columns must fit a page.
        table["none" if reg == "none" else method_label(reg)] = [
            label.removeprefix("holds in ").removesuffix(" cells") for label in wide[reg]]
    return table


def regularizer_findings(frame: pd.DataFrame) -> Markdown:
    """Which claims change grade with the regularizer, and under which."""
    seeds = frame.groupby("reg").seeds.max()
    depends = frame[frame.depends]
    counts = ", ".join(f"{reg_label(r)}: {plural(int(n), 'seed')}" for r, n in seeds.items())
    lines = [f"Graded on each regularizer's trials at its selected λ ({counts}), "
             f"{depends.claim.nunique()} of the {frame.claim.nunique()} correlation claims change grade with the "
             "importance inside the penalty:"]
    texts = {c.id: f"{c.section} {c.statement}" for c in CLAIMS}
    for claim, rows in depends.groupby("claim", sort=False):
        grades = "; ".join(f"{reg_label(r.reg)}: {r.label}" for r in rows.itertuples())
        lines.append(f"- {texts[claim]} — {grades}.")
    if depends.empty:
        lines = [lines[0].replace(":", ".")]
    return Markdown("\n".join(lines))


def shallow_network_reading(profile: pd.DataFrame, pair: str = "mas_sig") -> Markdown:
    """The paper's closing inference (SIG suits shallow networks, since it agrees with MAS on the first layers)
    set against where the agreement actually sits, task by task (a :func:`~paper_code.studies.grid.layer_profile`)."""
    first, last = int(profile.index.min()), int(profile.index.max())
    later = profile[profile.index > first]
    top = later.top_layer.value_counts()
    layer, count = int(top.index[0]), int(top.iloc[0])
    spans = "; ".join(f"layer {int(c)} {profile.loc[first, c]:.2f} → {profile.loc[last, c]:.2f}"
                      for c in profile.columns if c != "top_layer")
    top_first = int(profile.loc[first, "top_layer"])
    decays = profile.loc[last, 1] < profile.loc[first, 1]
    text = (f"In this study's data the {pair_label(pair)} agreement (seed means, after task {first} → after task "
            f"{last}) is: {spans}. After task {first} layer {top_first} agrees most; after the later tasks, layer "
            f"{layer} does in {count} of {len(later)}. ")
    if decays and layer != 1:
        text += ("The first layer's agreement falls as tasks accumulate: the inference that a SIG-like plasticity "
                 "rule would suit shallow networks best rests on the first task's picture, not on the accumulated "
                 "importances EWC works with.")
    else:
        text += "The first layer keeps the closest agreement as tasks accumulate, as the inference assumes."
    return Markdown(text)
