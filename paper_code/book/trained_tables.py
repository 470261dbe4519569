"""Tables of the pages on trained networks ("Do they prune alike?", "Why they agree"), built from their findings
records (``b5``, ``b6``): formatting only. A difference marked † is not measurable once Holm's correction for the
page's family of tests is applied."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval, number
from paper_code.book.tables import whole
from paper_code.labels import method_label, side_label

#: How the pruning scopes are named in a table.
SCOPE_WORDS = {"layer": "layer-wise", "global": "global"}
#: Marks a difference Holm's correction does not keep.
NOT_MEASURABLE = "\u00a0†"


def _value(entry: dict[str, Any]) -> str:
    return whole(interval(entry["mean"], entry["half"]))


def difference(test: dict[str, Any]) -> str:
    """A paired difference, signed, with † where Holm's correction leaves it not measurable."""
    return whole(interval(test["mean"], test["half"], plus=True)) + ("" if test["measurable"] else NOT_MEASURABLE)


def pruning_table(record: dict[str, Any]) -> Markdown:
    """Ranked by the importance Ω: each method's accuracy averaged over the pruned fractions, per scope, and each
    importance's difference from random removal, paired by seed (the baselines, ranked by themselves, are the
    references)."""
    rows = []
    for scope, found in record["pruning"].items():
        for method in found["order"]:
            test = found["tests"].get(method)
            rows.append([method_label(method), SCOPE_WORDS[scope], _value(found["importance"][method]),
                         difference(test["versus_random"]) if test else "–"])
    return table(["ranked by", "scope", "mean accuracy", "− random removal"], rows)


def saliency_table(record: dict[str, Any]) -> Markdown:
    """Ranked by the saliency Ω·w²: each importance's accuracy averaged over the pruned fractions, per scope, its
    change from ranking by Ω, and its difference from pruning by |w|, paired by seed."""
    rows = []
    for scope, found in record["pruning"].items():
        for method, tests in found["tests"].items():
            rows.append([method_label(method), SCOPE_WORDS[scope], _value(found["saliency"][method]),
                         difference(tests["change"]), difference(tests["saliency_versus_magnitude"])])
    return table(["Ω of", "scope", "mean accuracy by Ω·w²", "− by Ω", "− by |w|"], rows)


def agreement_table(record: dict[str, Any]) -> Markdown:
    """Every two methods, most correlated first: their correlation, the Jaccard overlap of their top-k % weights,
    and the gap between their pruning curves per scope (✓: within the seed spread, they prune alike)."""
    agreement = record["agreement"]
    scopes = list(record["pruning"])
    rows = []
    for key in agreement["order"]:
        pair = agreement["pairs"][key]
        rows.append([f"{method_label(pair['a'])}–{method_label(pair['b'])}", number(pair["pearson"]),
                     *(number(pair["jaccard"][k]) for k in agreement["k"]),
                     *(number(pair["gap"][s], 3) + ("\u00a0✓" if pair["alike"][s] else "") for s in scopes)])
    header = ["pair", "r", *(f"top\u00a0{k}\u00a0%" for k in agreement["k"]), *(f"gap, {SCOPE_WORDS[s]}" for s in scopes)]
    return table(header, rows)


def eq23_table(record: dict[str, Any]) -> Markdown:
    """FIS and MAS per layer: how closely each reading of eqs. (2)–(3) and the rank-1 fit reproduce them (Pearson r,
    seed means), and two differences paired by seed."""
    rows = []
    for method, layers in record["eq23"]["cells"].items():
        for layer, cell in layers.items():
            rows.append([side_label(method), layer, number(cell["summed"]), number(cell["per_sample"], 3),
                         number(cell["rank1"], 3), difference(cell["per_sample_minus_rank1"]),
                         difference(cell["rank1_minus_summed"])])
    return table(["", "layer", "summed", "per sample", "rank-1 fit", "per sample − rank-1", "rank-1 − summed"], rows)
