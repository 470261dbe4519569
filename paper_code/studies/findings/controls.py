"""The findings of "Does the importance matter?": every regularizer inside EWC at its selected λ, against
fine-tuning and against EWC-MAS, paired by seed, with the controls that carry no information or only part of MAS's.

Every comparison with EWC-MAS is one test of a family (nine regularizers): their p-values are corrected by Holm's
method before a difference is called measurable. Whether a control is *as good as* MAS is an equivalence question,
tested as one (two one-sided tests within the margin the paper's "comparable quality" uses,
:data:`~paper_code.studies.claims.COMPARABLE_SHARE` of MAS's gain).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.studies.findings.record import interval, labelled_grade, statistic
from paper_code.analysis.spread import equivalence_interval, holm, paired_p_value, within_margin
from paper_code.studies.author_logs import author_best
from paper_code.studies.claims import COMPARABLE_SHARE, EWC_METHODS, ClaimData, ewc_comparable, ewc_works
from paper_code.studies.controls import COMPARISON_SEEDS, REFERENCE_REG, group_of
from paper_code.studies.grid import Study, best_lambdas
from paper_code.config import ordered_methods

#: Family-wise error rate of the comparisons with EWC-MAS.
ALPHA = 0.05


def _labelled(values: pd.Series, quantity: str, reg: str, lam: float, **extra: Any) -> dict[str, Any]:
    seeds = sorted(int(s) for s in values.dropna().index)
    return interval(values, **extra, label=statistic(quantity, reg=reg, lam=lam, seeds=seeds, trials="committed"))


def selected_table(study: Study, seeds: tuple[int, ...]) -> pd.DataFrame:
    """Final accuracy and forgetting of every regularizer at its selected λ (fine-tuning at 0), by seed: a frame
    with a (reg, seed) index."""
    chosen = {reg: choice.lam for reg, choice in best_lambdas(study.table).items()}
    chosen["none"] = 0.0
    table = study.table[study.table.seed.isin(seeds)]
    mask = pd.Series(False, index=table.index)
    for reg, lam in chosen.items():
        mask |= (table.reg == reg) & (table.lam == lam)
    return table[mask].set_index(["reg", "seed"])[["final_accuracy", "average_forgetting"]].sort_index()


def rankings(entries: dict[str, dict[str, Any]], author_logs: pd.DataFrame | None) -> dict[str, Any]:
    """The orders a "Does the importance matter?" page states: its importances by final accuracy (the paper's four
    among them), its controls by the share of the reference's gain they keep, and, with the paper author's logs
    (:func:`~paper_code.studies.author_logs.read_author_logs`), the order his best λ give the paper's four."""
    by_accuracy = sorted((r for r in entries if entries[r]["group"] == "importance"),
                         key=lambda r: -entries[r]["accuracy"]["mean"])
    return {
        "importances_by_accuracy": by_accuracy,
        "controls_by_share": sorted((r for r in entries if entries[r]["group"] == "control"),
                                    key=lambda r: -entries[r]["share_kept"]["mean"]),
        "paper_importances": list(EWC_METHODS),
        "paper_importances_by_accuracy": [r for r in by_accuracy if r in EWC_METHODS],
        "author_order": (None if author_logs is None else
                         list(author_best(author_logs).sort_values("accuracy_mean", ascending=False).reg)),
    }


def controls_record(study: Study, seeds: tuple[int, ...] = COMPARISON_SEEDS, reference: str = REFERENCE_REG,
                    author_logs: pd.DataFrame | None = None) -> dict:
    """Everything the page states (see the module's docstring); with the paper author's logs
    (:func:`~paper_code.studies.author_logs.read_author_logs`), the order his best λ give the paper's importances."""
    choices = best_lambdas(study.table)
    table = selected_table(study, seeds)
    accuracy = table.final_accuracy.unstack("reg")
    forgetting = table.average_forgetting.unstack("reg")
    base = accuracy["none"]
    reference_gain = accuracy[reference] - base
    margin = COMPARABLE_SHARE * float(reference_gain.mean())
    regs = [r for r in ordered_methods(accuracy.columns) if r != "none"]
    entries: dict[str, dict[str, Any]] = {}
    for reg in regs:
        gain = accuracy[reg] - base
        entry: dict[str, Any] = {
            "group": group_of(reg), "lam": choices[reg].lam, "lambda_seeds": list(choices[reg].chosen_on),
            "at_edge": choices[reg].at_edge, "seeds": [int(s) for s in accuracy[reg].dropna().index],
            "accuracy": _labelled(accuracy[reg], "final average accuracy", reg, choices[reg].lam),
            "forgetting": _labelled(forgetting[reg], "average forgetting", reg, choices[reg].lam),
            "gain": _labelled(gain, "gain over fine-tuning", reg, choices[reg].lam),
        }
        if reg != reference:
            difference = (accuracy[reg] - accuracy[reference]).dropna()
            mean, half, _ = equivalence_interval(difference)
            entry.update({
                "share_kept": interval(gain / reference_gain, percent=True),
                "versus_reference": interval(difference, signed=True),
                "p_value": paired_p_value(difference),
                "equivalent": within_margin(mean, half, margin),
                # The smallest margin, as a share of the reference's gain, at which the two one-sided tests pass:
                # how much the verdict leans on the margin chosen.
                "margin_needed_share": float((abs(mean) + half) / reference_gain.mean()),
                "forgetting_ratio": float(forgetting[reg].mean() / forgetting[reference].mean()),
            })
        entries[reg] = entry
    compared = [r for r in regs if r != reference]
    for reg, adjusted in zip(compared, holm([entries[r]["p_value"] for r in compared])):
        entries[reg]["p_holm"] = float(adjusted)
        entries[reg]["measurably_different"] = bool(adjusted <= ALPHA)
    data = ClaimData(pd.DataFrame(columns=["seed"]), accuracy=table.reset_index()[["reg", "seed", "final_accuracy"]])
    return {
        "seeds": sorted(int(s) for s in accuracy.index),
        "reference": reference,
        "alpha": ALPHA,
        "margin": margin,
        "margin_share": COMPARABLE_SHARE,
        "fine_tuning": {"accuracy": _labelled(base, "final average accuracy", "none", 0.0),
                        "forgetting": _labelled(forgetting["none"], "average forgetting", "none", 0.0)},
        "regularizers": entries,
        **rankings(entries, author_logs),
        "compared": len(compared),
        "claims": {"ewc_works": labelled_grade(ewc_works("4-ewc", data, "pearson")),
                   "comparable": labelled_grade(ewc_comparable("4-ewc-comparable", data, "pearson"))},
        "trials": int(len(study.table)),
        "compute_hours": float(study.table.wall_seconds.sum() / 3600) if "wall_seconds" in study.table else None,
    }
