"""The findings of "Does the importance matter?" on held-out seeds: every regularizer at the λ its own grid chose on
seeds 0-2, compared on seeds 3-7 with fine-tuning and EWC-MAS, and each importance's gain split by its controls.

The split asks of one importance X (MAS, FIS, SIG) how much of its own gain over fine-tuning EWC keeps with less
of X's information: with none (``uniform``, the same Ω for every weight: plain anchoring), with X's values but not
their places (``shuffled:X``), with X's unit structure alone (``rank1:X``, one number per unit and input). Each share
is the mean over held-out seeds of the per-seed ratio, with its 95 % interval; whether a control is as good as X is
an equivalence test (TOST) within a tenth of X's gain, the margin of the paper's "comparable quality".

Both families of tests are declared before their arms finish (every arm against EWC-MAS; the controls of FIS and
SIG against their own importance) and corrected by Holm's method over the whole declared family, an arm not yet
finished counting as a test that rejects nothing: a difference called measurable now stays so as arms finish.

An arm enters the record once it is finished: its λ grid complete on the selection seeds with the best λ inside it,
and every held-out seed run at that λ. The others are listed as pending with what they have, so a page never
states a number of an arm half done.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.analysis.spread import equivalence_interval, holm, paired_p_value, within_margin
from paper_code.config import DEFAULT_METHODS, FISHER_METHODS, ordered_methods
from paper_code.errors import ResultsError
from paper_code.studies.claims import COMPARABLE_SHARE, EWC_METHODS, ClaimData, ewc_comparable, ewc_works
from paper_code.studies.findings.controls import rankings
from paper_code.studies.findings.record import interval, labelled_grade, statistic
from paper_code.studies.held_out import ARMS, HELD_OUT_DIR, HELD_OUT_SEEDS, PARTS, SELECTION_SEEDS, Arm, arm_rows, read_table, \
    selection

#: Family-wise error rate of the comparisons with EWC-MAS (Holm).
ALPHA = 0.05
#: The regularizer the others are measured against.
REFERENCE = "mas"
#: Plain anchoring: the regularizer every other one is read against for what it adds.
ANCHORING = "uniform"
#: The importances whose gain the controls split, and the controls that split it: what each keeps of X.
SPLIT_SOURCES: tuple[str, ...] = ("mas", "fis", "sig")
SPLIT_PARTS: tuple[tuple[str, str], ...] = (("anchoring", "uniform"), ("shuffled", "shuffled"), ("units", "rank1"))
#: SIG's two factors, each alone inside EWC.
SIG_FACTORS: tuple[tuple[str, str], ...] = (("weight", "magnitude"), ("activity", "sig_activity"))
#: The Fishers the field computes, each read against the empirical one (FIS: the paper's and EWC's original), a
#: third declared family: does the way the Fisher is computed change what EWC keeps?
EMPIRICAL_FISHER = "fis"
OTHER_FISHERS: tuple[str, ...] = ("fis_true", *FISHER_METHODS)


def group(reg: str) -> str:
    """``importance`` (one a method computes to protect a task: the paper's, the true Fisher, the field's Fishers)
    or ``control`` (made to take information away: uniform, random, |w|, SIG's activity, shuffled, rank-1)."""
    return "importance" if reg in DEFAULT_METHODS + FISHER_METHODS else "control"


def control_of(control: str, source: str) -> str:
    """The regularizer name of ``control`` made of ``source``: MAS's keep their bare names."""
    if control == "uniform":
        return "uniform"
    return control if source == "mas" else f"{control}:{source}"


def arm_status(arm: Arm, table: pd.DataFrame) -> dict[str, Any]:
    """How far an arm is: its choice of λ (if it has one), the held-out seeds it has there, and whether it is done."""
    rows = arm_rows(arm, table)
    if arm.reg == "none":
        held = sorted(int(s) for s in rows[rows.seed.isin(HELD_OUT_SEEDS)].seed)
        return dict(lam=0.0, held_out=held, done=held == list(HELD_OUT_SEEDS))
    try:
        choice = selection(arm, table)
    except ResultsError:
        return dict(lam=None, held_out=[], done=False, trials=int(len(rows)))
    at = rows[(rows.lam == choice.lam) & rows.seed.isin(HELD_OUT_SEEDS)]
    held = sorted(int(s) for s in at.seed)
    return dict(lam=choice.lam, lambda_seeds=list(choice.chosen_on), at_edge=choice.at_edge,
                lambdas=sorted(float(v) for v in rows.lam.unique()), held_out=held, trials=int(len(rows)),
                done=bool(not choice.at_edge and held == list(HELD_OUT_SEEDS)))


def held_out_values(arms: dict[str, Arm], tables: dict[str, pd.DataFrame], status: dict[str, dict[str, Any]],
                    names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Final accuracy and average forgetting of each finished arm of ``names`` at its selected λ, one row per
    held-out seed (the seeds pair the arms)."""
    accuracy, forgetting = {}, {}
    for name in names:
        rows = arm_rows(arms[name], tables[name])
        rows = rows[(rows.lam == status[name]["lam"]) & rows.seed.isin(HELD_OUT_SEEDS)].set_index("seed")
        accuracy[name], forgetting[name] = rows.final_accuracy, rows.average_forgetting
    return pd.DataFrame(accuracy).sort_index(), pd.DataFrame(forgetting).sort_index()


def own_trials(rows: pd.DataFrame) -> dict[str, Any]:
    """How many of ``rows`` the held-out study ran itself (in ``study/held_out``), and their hours of compute."""
    own = rows[rows.trial_dir.str.contains(HELD_OUT_DIR.name)].drop_duplicates("key")
    return {"new_trials": int(len(own)), "new_hours": float(own.wall_seconds.sum() / 3600) if len(own) else 0.0}


def correct_declared(tests: list[dict[str, Any]], declared: int) -> None:
    """Holm's correction over a family declared before its arms finish: ``tests`` (each with its ``p_value``) are
    the finished ones of ``declared`` comparisons, the rest counted as p = 1 (they reject nothing), so finishing an
    arm can only relax the others' correction. Writes ``p_holm`` and ``measurably_different`` into each test."""
    for test, adjusted in zip(tests, holm([t["p_value"] for t in tests] + [1.0] * (declared - len(tests)))):
        test["p_holm"] = float(adjusted)
        test["measurably_different"] = bool(adjusted <= ALPHA)


def _label(quantity: str, reg: str, lam: float, seeds: list[int]) -> str:
    return statistic(quantity, reg=reg, lam=lam, seeds=seeds, lambda_seeds=list(SELECTION_SEEDS), trials="held-out")


def held_out_record(arms: dict[str, Arm] = ARMS, author_logs: pd.DataFrame | None = None) -> dict[str, Any]:
    """Everything the page states (see the module's docstring), on the paper's setting (the arms of other settings
    are compared within their own); with the paper author's logs, the order his best λ give the paper's
    importances."""
    arms = {name: arm for name, arm in arms.items() if arm.setting == "paper"}
    tables = {name: read_table(arm) for name, arm in arms.items()}
    status = {name: arm_status(arm, tables[name]) for name, arm in arms.items()}
    done = [name for name in ordered_methods(arms) if status[name]["done"]]
    if "none" not in done or REFERENCE not in done:
        raise ResultsError("the held-out study lacks fine-tuning or EWC-MAS on seeds 3-7: run `make held-out`")
    accuracy, forgetting = held_out_values(arms, tables, status, done)
    base = accuracy["none"]
    gain = accuracy.sub(base, axis=0)
    margin = COMPARABLE_SHARE * float(gain[REFERENCE].mean())
    seeds = [int(s) for s in accuracy.index]
    entries: dict[str, dict[str, Any]] = {}
    for name in done:
        if name == "none":
            continue
        lam = status[name]["lam"]
        entry: dict[str, Any] = {
            "group": group(name),
            "lam": lam, "lambdas": status[name]["lambdas"], "lambda_seeds": status[name]["lambda_seeds"],
            "accuracy": interval(accuracy[name], label=_label("final average accuracy", name, lam, seeds)),
            "forgetting": interval(forgetting[name], label=_label("average forgetting", name, lam, seeds)),
            "gain": interval(gain[name], signed=True, label=_label("gain over fine-tuning", name, lam, seeds)),
        }
        if name != REFERENCE:
            difference = accuracy[name] - accuracy[REFERENCE]
            mean, half, _ = equivalence_interval(difference)
            entry.update({
                "share_kept": interval(gain[name] / gain[REFERENCE], percent=True),
                "versus_reference": interval(difference, signed=True),
                "p_value": paired_p_value(difference),
                "equivalent": within_margin(mean, half, margin),
                "margin_needed_share": float((abs(mean) + half) / gain[REFERENCE].mean()),
                "forgetting_ratio": float(forgetting[name].mean() / forgetting[REFERENCE].mean()),
            })
        if ANCHORING in accuracy and name != ANCHORING:
            # What the regularizer adds to plain anchoring, paired by seed (an interval, not a test of a family).
            entry["versus_anchoring"] = interval(accuracy[name] - accuracy[ANCHORING], signed=True)
        entries[name] = entry
    compared = [n for n in entries if n != REFERENCE]
    declared = [n for n in arms if n not in ("none", REFERENCE)]
    correct_declared([entries[n] for n in compared], len(declared))
    split = {source: _split(source, accuracy, gain) for source in SPLIT_SOURCES if source in accuracy}
    if "sig" in accuracy:
        split["sig"].update(gain_parts("sig", accuracy, gain, SIG_FACTORS))
    # Each part also says what its control adds to plain anchoring: the arm's own interval, read where the page
    # reads the part (a page cannot name an arm such as "shuffled:fis" in a glue role, whose colon starts a format).
    for parts in split.values():
        for part in parts.values():
            if "versus_anchoring" in entries.get(part["reg"], {}):
                part["versus_anchoring"] = entries[part["reg"]]["versus_anchoring"]
    # MAS's controls against MAS are comparisons of the family above; the others' controls against their own
    # importance are a second declared family (FIS's three, SIG's three and its two factors).
    for part in split.get(REFERENCE, {}).values():
        part.update(p_holm=entries[part["reg"]]["p_holm"],
                    measurably_different=entries[part["reg"]]["measurably_different"])
    tests = [part for source, parts in split.items() if source != REFERENCE for part in parts.values()]
    split_declared = (len(SPLIT_SOURCES) - 1) * len(SPLIT_PARTS) + len(SIG_FACTORS)
    correct_declared(tests, split_declared)
    fishers = gain_parts(EMPIRICAL_FISHER, accuracy, gain, tuple((n, n) for n in OTHER_FISHERS)) \
        if EMPIRICAL_FISHER in accuracy else {}
    fishers_declared = [n for n in OTHER_FISHERS if n in arms]
    correct_declared(list(fishers.values()), len(fishers_declared))
    for fisher in fishers.values():
        # The λ a Fisher needs against FIS's: a Fisher that is FIS times a constant needs λ divided by it.
        fisher["lambda_ratio"] = entries[fisher["reg"]]["lam"] / entries[EMPIRICAL_FISHER]["lam"]
    fisher_shares = [fisher["share"]["mean"] for fisher in fishers.values()]
    claims: dict[str, Any] = {}
    if all(m in accuracy for m in EWC_METHODS):
        long = accuracy[["none", *EWC_METHODS]].rename_axis(index="seed", columns="reg").stack()
        data = ClaimData(pd.DataFrame(columns=["seed"]), accuracy=long.rename("final_accuracy").reset_index())
        claims = {"ewc_works": labelled_grade(ewc_works("4-ewc", data, "pearson")),
                  "comparable": labelled_grade(ewc_comparable("4-ewc-comparable", data, "pearson"))}
    trials = pd.concat(tables.values()).drop_duplicates("key")
    # What each part of the study cost: the trials it ran itself (in study/held_out) and their compute.
    parts = {}
    for part, members in PARTS.items():
        names = [arm.name for arm in members if arm.name in arms]  # the paper's setting only
        if not names:
            continue
        parts[part] = {"arms": names, "done": all(status[n]["done"] for n in names),
                       **own_trials(pd.concat([arm_rows(arms[n], tables[n]) for n in names]))}
    return {
        "seeds": seeds,
        "lambda_seeds": list(SELECTION_SEEDS),
        "reference": REFERENCE,
        "alpha": ALPHA,
        "margin": margin,
        "margin_share": COMPARABLE_SHARE,
        "fine_tuning": {"accuracy": interval(base, label=_label("final average accuracy", "none", 0.0, seeds)),
                        "forgetting": interval(forgetting["none"], label=_label("average forgetting", "none", 0.0,
                                                                                 seeds))},
        "regularizers": entries,
        "split": split,
        **rankings(entries, author_logs),
        "claims": claims,
        "compared": len(declared),
        "compared_done": len(compared),
        "split_compared": split_declared,
        "split_done": len(tests),
        "fishers": fishers,
        "fishers_compared": len(fishers_declared),
        "fishers_share_range": {"low": min(fisher_shares), "high": max(fisher_shares)} if fisher_shares else None,
        "done": [n for n in done if n != "none"],
        "pending": {name: status[name] for name in ordered_methods(arms) if not status[name]["done"]},
        "trials": int(len(trials)),
        "parts": parts,
        "compute_hours": float(trials.wall_seconds.sum() / 3600) if "wall_seconds" in trials else None,
    }


def gain_parts(source: str, accuracy: pd.DataFrame, gain: pd.DataFrame,
               parts: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """What each control of ``parts`` keeps of ``source``'s own gain, and whether it is as good as ``source``
    within ``margin`` (a tenth of that gain, in accuracy), which each part carries so a page can state it."""
    found: dict[str, Any] = {}
    margin = COMPARABLE_SHARE * float(gain[source].mean())
    for part, control in parts:
        if control not in accuracy:
            continue
        difference = accuracy[control] - accuracy[source]
        mean, half, _ = equivalence_interval(difference)
        found[part] = {"reg": control, "share": interval(gain[control] / gain[source], percent=True),
                       "versus_source": interval(difference, signed=True),
                       "equivalent": within_margin(mean, half, margin), "margin": margin,
                       "p_value": paired_p_value(difference)}
    return found


def _split(source: str, accuracy: pd.DataFrame, gain: pd.DataFrame) -> dict[str, Any]:
    return gain_parts(source, accuracy, gain, tuple((part, control_of(c, source)) for part, c in SPLIT_PARTS))
