"""The findings of "Beyond permuted MNIST": the paper's correlation claims graded, by the rules of every page, in
settings that each change one thing of the paper's configuration (the task stream or the network), beside the
paper's configuration itself.

A claim *keeps its grade* in a setting when it gets the same grade word there; since one word spans different
counts of passing cells (23 of 45 and 84 of 90 are both "partly holds"), every grade is kept with its counts. The
record also holds what the page's figures draw: the SIG pairs on the input and the output layer after every task,
and every pair on every layer after the last task, as seed means with their 95 % intervals; and, on the input
layer, each SIG pair's change from the first task to the last, paired by seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.studies.findings.record import interval
from paper_code.studies.beyond import BEYOND_DIR, CORRELATION_CLAIMS, PAPER, SETTINGS, SettingRuns, all_runs
from paper_code.studies.claims import CLAIMS_BY_ID
from paper_code.studies.findings.sections import CLAIM_PAGES, claim_key
from paper_code.studies.grading import FAILS, HOLDS, MOSTLY, PARTLY
from paper_code.studies.grid import GRID_DIR

#: How each column is named in prose and tables.
SHORT_NAMES = {PAPER: "paper", "split": "split MNIST", "rotated": "rotated MNIST", "relu": "ReLU", "deep": "deep"}
#: The settings that change the task stream, and those that change the network.
STREAM_SETTINGS = ("split", "rotated")
NETWORK_SETTINGS = ("relu", "deep")
#: Grades from the strongest down.
GRADE_ORDER = (HOLDS, MOSTLY, PARTLY, FAILS)
#: The pairs of SIG, and the pairs of the three gradient-based importances.
SIG_PAIRS = ("mas_sig", "fis_sig", "si_sig")
GRADIENT_PAIRS = ("mas_fis", "mas_si", "fis_si")
#: Chance accuracy of a task: a split task has two classes.
CHANCE = {"split": 0.5}


def _rank(grade: str) -> int:
    return GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER)


def permuted(name: str) -> bool:
    """Whether a column's tasks are pixel permutations of MNIST (the paper's stream)."""
    return name == PAPER or "stream" not in SETTINGS[name].changes


def column_entry(runs: SettingRuns) -> dict[str, Any]:
    table = runs.data.correlations
    return {
        "short": SHORT_NAMES.get(runs.name, runs.name), "title": runs.title, "lam": runs.lam,
        "at_edge": bool(runs.at_edge), "lambda_seeds": list(runs.chosen_on), "seeds": runs.seeds,
        "tasks": int(table.task.max()), "layers": int(table.layer.max()), "permuted": permuted(runs.name),
        "accuracy": interval(runs.accuracy), "chance": CHANCE.get(runs.name, 0.1),
        "trials": runs.trials, "hours": runs.hours,
    }


def grade_entry(runs: SettingRuns, claim_id: str) -> dict[str, Any]:
    grade = CLAIMS_BY_ID[claim_id].grade(runs.data, "pearson")
    worst = grade.worst or {}
    return {"grade": grade.grade, "held": grade.held, "judged": grade.judged,
            "share": grade.held / grade.judged if grade.judged else None, "far_off": grade.far_off,
            "low": grade.low, "high": grade.high, "worst": worst.get("mean"), "worst_cell": worst.get("cell")}


def by_task(correlations: pd.DataFrame, pair: str, layer: int) -> list[dict[str, Any]]:
    """The seed mean of ``pair`` on ``layer`` after each task, with its 95 % interval."""
    rows = correlations[(correlations.pair == pair) & (correlations.layer == layer)]
    return [{"task": int(task), **interval(group.pearson)} for task, group in rows.groupby("task")]


def input_change(correlations: pd.DataFrame, pair: str) -> dict[str, Any]:
    """``pair`` on layer 1 after the first task, after the last, and the change between them paired by seed."""
    rows = correlations[(correlations.pair == pair) & (correlations.layer == 1)]
    first, last = int(rows.task.min()), int(rows.task.max())
    values = rows.pivot_table(index="seed", columns="task", values="pearson")
    return {"first": interval(values[first]), "last": interval(values[last]),
            "change": interval(values[last] - values[first], signed=True), "first_task": first, "last_task": last}


def last_task_layers(correlations: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Every pair on every layer after the last task: seed mean and 95 % interval."""
    last = correlations[correlations.task == correlations.task.max()]
    return {pair: {str(int(layer)): interval(group.pearson) for layer, group in rows.groupby("layer")}
            for pair, rows in last.groupby("pair", sort=False)}


def beyond_record(columns: dict[str, SettingRuns], high: float = 0.75) -> dict[str, Any]:
    """Everything the page states, from the paper's column and every setting's (:func:`~paper_code.studies.beyond.
    all_runs`). ``high``: the agreement the layer-by-layer reading asks of the three gradient-based pairs (the
    threshold of "MAS, FIS and SI give about the same importances")."""
    order = [name for name in (PAPER, *SETTINGS) if name in columns]
    settings = [name for name in order if name != PAPER]
    claims: dict[str, dict[str, Any]] = {}
    carry: dict[str, list[str]] = {"general": [], "stream": [], "network": [], "both": []}
    for claim_id in CORRELATION_CLAIMS:
        claim = CLAIMS_BY_ID[claim_id]
        grades = {name: grade_entry(columns[name], claim_id) for name in order}
        reference = grades[PAPER]["grade"]
        same = [s for s in settings if grades[s]["grade"] == reference]
        stronger = [s for s in settings if _rank(grades[s]["grade"]) < _rank(reference)]
        weaker = [s for s in settings if _rank(grades[s]["grade"]) > _rank(reference)]
        changed = set(stronger) | set(weaker)
        by_stream, by_network = bool(changed & set(STREAM_SETTINGS)), bool(changed & set(NETWORK_SETTINGS))
        where = "both" if by_stream and by_network else "stream" if by_stream else "network" if by_network \
            else "general"
        key = claim_key(claim_id)
        carry[where].append(key)
        shares = [grades[s]["share"] for s in order if grades[s]["share"] is not None]
        claims[key] = {"statement": claim.statement, "section": claim.section, "page": CLAIM_PAGES[claim.section],
                       "test": claim.test, "grades": grades, "same": same, "stronger": stronger, "weaker": weaker,
                       "changes_with": where, "share_low": min(shares), "share_high": max(shares)}
    sig_input = {name: {pair: input_change(columns[name].data.correlations, pair) for pair in SIG_PAIRS}
                 for name in order}
    lines = {}
    for name in order:
        table = columns[name].data.correlations
        output = int(table.layer.max())
        lines[name] = {pair: {"input": by_task(table, pair, 1), "output": by_task(table, pair, output)}
                       for pair in SIG_PAIRS}
    layers = {name: last_task_layers(columns[name].data.correlations) for name in order}
    record: dict[str, Any] = {
        "order": order,
        "settings": settings,
        "streams": [s for s in settings if s in STREAM_SETTINGS],
        "networks": [s for s in settings if s in NETWORK_SETTINGS],
        "permuted": [name for name in order if permuted(name)],
        "columns": {name: column_entry(columns[name]) for name in order},
        "claims": claims,
        "carry": carry,
        "counts": {"claims": len(claims), "settings": len(settings), **{k: len(v) for k, v in carry.items()}},
        "sig_input": sig_input,
        "sig_lines": lines,
        "layers_last": layers,
        "trials": sum(columns[s].trials for s in settings),
        "hours": sum(columns[s].hours for s in settings),
        "high": high,
    }
    record["sig_input_change"] = _change_ranges(sig_input, order)
    record["sig_output"] = {name: _output_range(lines[name]) for name in order}
    record["layer_reading"] = {name: _layer_reading(layers[name], high) for name in order}
    return record


def _output_range(lines: dict[str, Any]) -> dict[str, Any]:
    """The SIG pairs on the output layer: the lowest and highest seed mean over the pairs and tasks, and over the
    pairs after the first and after the last task."""
    output = [point for pair in SIG_PAIRS for point in lines[pair]["output"]]
    first = [lines[pair]["output"][0]["mean"] for pair in SIG_PAIRS]
    last = [lines[pair]["output"][-1]["mean"] for pair in SIG_PAIRS]
    return {"low": min(p["mean"] for p in output), "high": max(p["mean"] for p in output),
            "first_low": min(first), "first_high": max(first), "last_low": min(last), "last_high": max(last)}


def _change_ranges(sig_input: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """The lowest and highest change of the SIG pairs' input-layer agreement over the permuted columns and over
    the others, and whether every permuted change is measurably negative (its 95 % interval below 0)."""
    out: dict[str, Any] = {}
    for group, names in (("permuted", [n for n in order if permuted(n)]),
                         ("other", [n for n in order if not permuted(n)])):
        changes = [sig_input[n][p]["change"] for n in names for p in SIG_PAIRS]
        if not changes:
            continue
        means = [c["mean"] for c in changes]
        out[group] = {"low": min(means), "high": max(means),
                      "all_measurably_negative": all(c["half"] is not None and c["mean"] + c["half"] < 0
                                                     for c in changes),
                      "largest_drop": -min(means), "smallest_drop": -max(means)}
        lasts = [sig_input[n][p]["last"]["mean"] for n in names for p in SIG_PAIRS]
        firsts = [sig_input[n][p]["first"]["mean"] for n in names for p in SIG_PAIRS]
        out[group].update(last_low=min(lasts), last_high=max(lasts), first_low=min(firsts), first_high=max(firsts))
    return out


def _layer_reading(layers: dict[str, Any], high: float) -> dict[str, Any]:
    """After the last task: the layers where every gradient-based pair exceeds ``high``, and each SIG pair's
    negative layers and lowest layer."""
    numbers = sorted(int(layer) for layer in layers["mas_fis"])
    agree = [layer for layer in numbers if all(layers[p][str(layer)]["mean"] > high for p in GRADIENT_PAIRS)]
    sig = {}
    for pair in SIG_PAIRS:
        means = {layer: layers[pair][str(layer)]["mean"] for layer in numbers}
        lowest = min(means, key=means.get)
        sig[pair] = {"negative": [layer for layer, m in means.items() if m < 0], "lowest_layer": lowest,
                     "lowest": means[lowest]}
    return {"layers": len(numbers), "agree": agree, "disagree": [layer for layer in numbers if layer not in agree],
            "sig": sig, "sig_negative_anywhere": any(s["negative"] for s in sig.values()),
            "sig_lowest": min(s["lowest"] for s in sig.values())}


def beyond_records(study: Path) -> dict[str, dict[str, Any]]:
    """The record of the page, from a study folder laid out like ``study/`` (``beyond/<setting>/`` and ``grid/``)."""
    study = Path(study)
    return {"b8": beyond_record(all_runs(study / BEYOND_DIR.name, study / GRID_DIR.name))}
