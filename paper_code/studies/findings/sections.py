"""The findings of the six section pages (3.1-3.6): each claim of the section graded on the seeds of the paper's
configuration, the seed-mean range of every pair the page draws, layer by layer, and for 3.1 the test of the
paper's explanation (eqs. 1-3) on the saved networks.

:func:`section_record` computes a record from any :class:`~paper_code.studies.claims.ClaimData`, so a page run
with other parameters states its own run's numbers in the same words; :func:`study_claim_data` is the data of the
committed study, which the committed records (``study/findings/s3_*.json``) are computed from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.analysis.explanation import EQ1_LITERAL, EQ3_LITERAL, EQ3_LITERAL_ABS, EQ23_IDS, LITERAL, OBSERVED
from paper_code.config import Config
from paper_code.studies.claim_data import claim_data
from paper_code.studies.claims import CLAIMS, CLAIMS_BY_ID, ClaimData
from paper_code.studies.findings.record import interval, labelled_grade
from paper_code.studies.grading import GRADES
from paper_code.studies.grid import committed_trial

#: Each section page: its section number, its claims (record key -> claim id) and the pairs it draws.
SECTIONS: dict[str, dict[str, Any]] = {
    "s3_1": dict(section="3.1", claims={"mas_fis": "3.1-mas-fis", "fis_mas2": "3.1-fis-mas2",
                                        "premise": "3.1-premise", "eq2_eq3": "3.1-eq2-eq3"},
                 pairs=("mas_fis", "fis_mas2")),
    "s3_2": dict(section="3.2", claims={"mas_si": "3.2-mas-si"}, pairs=("mas_si",)),
    "s3_3": dict(section="3.3", claims={"input": "3.3-mas-sig-input", "output": "3.3-mas-sig-output"},
                 pairs=("mas_sig",)),
    "s3_4": dict(section="3.4", claims={"fis_si": "3.4-fis-si"}, pairs=("fis_si",)),
    "s3_5": dict(section="3.5", claims={"input": "3.5-fis-sig-input", "output": "3.5-fis-sig-output"},
                 pairs=("fis_sig",)),
    "s3_6": dict(section="3.6", claims={"input": "3.6-si-sig-input", "output": "3.6-si-sig-output"},
                 pairs=("si_sig",)),
}


def claim_entry(data: ClaimData, claim_id: str) -> dict[str, Any]:
    """One claim: its statement and test, its Pearson grade's numbers, and its Spearman grade beside them."""
    claim = CLAIMS_BY_ID[claim_id]
    pearson, spearman = claim.grade(data, "pearson"), claim.grade(data, "spearman")
    entry = {"section": claim.section, "statement": claim.statement, "test": claim.test, **labelled_grade(pearson)}
    entry["spearman"] = {k: v for k, v in spearman.record().items() if k in ("grade", "held", "judged", "why")}
    return entry


def layer_ranges(correlations: pd.DataFrame, pair: str, kind: str = "pearson") -> dict[str, Any]:
    """Per layer, the seed means of ``pair`` after the first and the last task, and their lowest and highest."""
    rows = correlations[correlations["pair"] == pair]
    means = rows.groupby(["layer", "task"])[kind].mean()
    out = {}
    for layer, series in means.groupby(level="layer"):
        by_task = series.droplevel("layer")
        out[str(int(layer))] = {"first": float(by_task.iloc[0]), "last": float(by_task.iloc[-1]),
                                "low": float(by_task.min()), "high": float(by_task.max()),
                                "lowest_after": int(by_task.idxmin()), "highest_after": int(by_task.idxmax())}
    return out


def squaring_gain(correlations: pd.DataFrame, kind: str = "pearson") -> dict[str, Any]:
    """FIS–MAS² minus FIS–MAS: averaged over the cells, each seed's average as one value (so the interval is over
    seeds), and the same after the first and after the last task."""
    a = correlations[correlations["pair"] == "fis_mas2"].set_index(["seed", "layer", "task"])[kind]
    b = correlations[correlations["pair"] == "mas_fis"].set_index(["seed", "layer", "task"])[kind]
    gap = (a - b).dropna().reset_index()
    first, last = int(gap["task"].min()), int(gap["task"].max())
    by_seed = gap.groupby("seed")[kind].mean()
    return {"all_cells": interval(by_seed),
            "after_first": interval(gap[gap["task"] == first].groupby("seed")[kind].mean()),
            "after_last": interval(gap[gap["task"] == last].groupby("seed")[kind].mean()),
            "first_task": first, "last_task": last}


#: Every comparison of the eq. (1)-(3) check by a short name: the importances against the forms of eqs. (2)-(3),
#: summed and per sample, and both forms of FIS–MAS² (per sample as computed, and as the equations are written).
EXPLANATION_IDS: dict[str, str] = {
    **EQ23_IDS, "fis_mas2_per_sample": OBSERVED, "fis_mas2_as_written": LITERAL, "fis_eq1_as_written": EQ1_LITERAL,
    "mas_eq3_signed": EQ3_LITERAL, "mas_eq3_magnitude": EQ3_LITERAL_ABS,
}


def explanation_agreement(agreement: pd.DataFrame, kind: str = "pearson") -> dict[str, Any]:
    """The eq. (1)-(3) check: each comparison's mean over layers, tasks and seeds, and its lowest cell."""
    out = {}
    for key, comparison in EXPLANATION_IDS.items():
        values = agreement.loc[agreement["comparison"] == comparison, kind]
        out[key] = {"mean": float(values.mean()), "low": float(values.min())} if len(values) else None
    return out


def labelled_output(p_summary: pd.DataFrame) -> dict[str, Any]:
    """The premise of eqs. (2)-(3): the mean labelled output p_k and the share of samples above 0.9, per task
    averaged over the seeds, at their lowest."""
    by_task = p_summary.groupby("task")[["mean", "share_above_0.9"]].mean()
    return {"mean_low": float(by_task["mean"].min()), "mean_high": float(by_task["mean"].max()),
            "share_above_0_9_low": float(by_task["share_above_0.9"].min()),
            "lowest_after": int(by_task["mean"].idxmin())}


def section_record(page: str, data: ClaimData, config: Config, committed: bool) -> dict[str, Any]:
    """Everything a section page states, from the data of the configuration of ``config`` (the run shown) over
    every seed found."""
    spec = SECTIONS[page]
    correlations = data.correlations
    record: dict[str, Any] = {
        "page": page,
        "section": spec["section"],
        "committed": committed,
        "seeds": sorted(int(s) for s in correlations["seed"].unique()),
        "shown_seed": config.seed,
        "reg": config.reg,
        "lam": config.lam,
        "tasks": int(correlations["task"].max()),
        "layers": int(correlations["layer"].max()),
        "claims": {key: claim_entry(data, claim_id) for key, claim_id in spec["claims"].items()},
        "pairs": {pair: layer_ranges(correlations, pair) for pair in spec["pairs"]},
    }
    if page == "s3_1":
        record["squaring_gain"] = squaring_gain(correlations)
        if data.agreement is not None and not data.agreement.empty:
            record["explanation"] = explanation_agreement(data.agreement)
            record["check_seeds"] = sorted(int(s) for s in data.agreement["seed"].unique())
        if data.p_summary is not None and not data.p_summary.empty:
            record["labelled_output"] = labelled_output(data.p_summary)
    return record


#: The page that states each claim, by the section it is made in.
CLAIM_PAGES: dict[str, str] = {"3.1": "s3_1", "3.2": "s3_2", "3.3": "s3_3", "3.4": "s3_4", "3.5": "s3_5",
                               "3.6": "s3_6", "4": "discussion", "1, 4": "b2"}


def claim_key(claim_id: str) -> str:
    """A claim's key in a record: its id with only letters, digits and underscores ("3_1_mas_fis"), so a page can
    name it in a dotted path."""
    return claim_id.replace(".", "_").replace("-", "_").replace(", ", "_")


def discussion_record(data: ClaimData, by_regularizer: pd.DataFrame | None = None) -> dict[str, Any]:
    """The discussion's findings: every claim of the paper with its grades (the same entries its own page states),
    how many claims got each grade, the two claims of section 4 that pool the pairs, and, from the study's trials
    of every importance at its selected λ (``by_regularizer``, :func:`~paper_code.studies.claims.claims_by_regularizer`),
    the correlation claims whose grade changes with the importance inside the penalty."""
    table = {}
    for claim in CLAIMS:
        entry = claim_entry(data, claim.id)
        table[claim_key(claim.id)] = {
            "page": CLAIM_PAGES[claim.section], "section": claim.section, "statement": claim.statement,
            "grade": entry["grade"], "spearman": entry["spearman"]["grade"], "held": entry["held"],
            "judged": entry["judged"], "label": entry["label"]}
    counts = {grade: sum(row["grade"] == grade for row in table.values()) for grade in GRADES}
    record: dict[str, Any] = {
        "seeds": sorted(int(s) for s in data.correlations["seed"].unique()),
        "table": table,
        "counts": counts,
        "claims": {"agree": claim_entry(data, "4-agree"), "sig": claim_entry(data, "4-sig")},
    }
    if by_regularizer is not None:
        changes = by_regularizer[by_regularizer.depends]
        record["regularizers"] = {
            "seeds": {reg: int(n) for reg, n in by_regularizer.groupby("reg").seeds.max().items()},
            "claims": len(set(by_regularizer.claim)),
            "changing": {claim_key(claim): {"statement": CLAIMS_BY_ID[claim].statement,
                                            "grades": {r.reg: r.grade for r in rows.itertuples()}}
                         for claim, rows in changes.groupby("claim", sort=False)},
        }
    return record


def study_claim_data(study_dir: Path) -> tuple[ClaimData, Config]:
    """The claim data of the paper's configuration in the committed study: its seed-0 trial and every other seed,
    with the stored eq. (1)-(3) checks, the EWC comparison and the noise bands; and the seed shown."""
    shown = committed_trial(study_dir, Config())
    if shown is None:
        raise FileNotFoundError(f"{study_dir} holds no trial of the paper's configuration: run `make sweep-full`")
    return claim_data(shown, results_dir=study_dir, study_dir=study_dir), shown.config
