"""Tables of the theory page and of the split of each importance's gain, from their findings records."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval, number
from paper_code.book.tables import whole
from paper_code.labels import method_label


def _value(entry: dict[str, Any], **style: Any) -> str:
    return whole(interval(entry["mean"], entry["half"], **style))


#: How a slope's verdict is marked in a table cell: within the margin by both estimates, outside by both, or not
#: agreed on.
VERDICT_MARKS: dict[str, str] = {"within": "\u00a0✓", "outside": "\u00a0✗", "depends on the estimator": "\u00a0~"}


def slopes_table(record: dict[str, Any], pairs: list[str], kind: str = "own") -> Markdown:
    """One row per pair: its predicted slope, then on each layer its log-log slope by the major axis and by least
    squares (means over seeds), marked by what the two say together (:data:`VERDICT_MARKS`)."""
    layers = [str(layer) for layer in record["layers"]]
    rows = []
    for pair in pairs:
        y, x = record["pair_methods"][pair]
        entries = record["pairs"][kind][pair]
        rows.append([f"{method_label(y)} vs {method_label(x)}", f"{entries[layers[0]]['predicted']:g}",
                     *(f"{number(entries[layer]['slope']['mean'], 2)} / {number(entries[layer]['ols_slope']['mean'], 2)}"
                       + VERDICT_MARKS[entries[layer]["verdict"]] for layer in layers)])
    return table(["pair", "predicted", *(f"layer {layer}" for layer in layers)], rows)


def coefficients_table(record: dict[str, Any], pair: str, kind: str = "own") -> Markdown:
    """One pair's correlations on each layer read on four scales: raw, with √x, with y², and by rank."""
    y, x = record["pair_methods"][pair]
    ly, lx = method_label(y), method_label(x)
    names = (("pearson", f"r({ly}, {lx})"), ("pearson_sqrt_x", f"r({ly}, √{lx})"),
             ("pearson_y_squared", f"r({ly}², {lx})"), ("spearman", "Spearman ρ"))
    rows = [[f"layer {layer}", *(_value(entry[key]) for key, _ in names)]
            for layer, entry in record["pairs"][kind][pair].items()]
    return table(["", *(title for _, title in names)], rows)


#: The parts of an importance's gain, as the split table names them.
SPLIT_COLUMNS: tuple[tuple[str, str], ...] = (("anchoring", "uniform Ω"), ("shuffled", "its values, shuffled"),
                                              ("units", "its rank-1 fit"))


def split_table(record: dict[str, Any]) -> Markdown:
    """What each control keeps of the gain over fine-tuning of the importance it is made of, on held-out seeds; a
    control marked ≈ passes the equivalence test with that importance, † differs measurably (Holm)."""
    rows = []
    for source, parts in record["split"].items():
        cells = []
        for part, _ in SPLIT_COLUMNS:
            if part not in parts:
                cells.append("pending")
                continue
            entry = parts[part]
            mark = "\u00a0≈" if entry["equivalent"] else ("\u00a0†" if entry["measurably_different"] else "")
            cells.append(_value(entry["share"], percent=True) + mark)
        rows.append([f"EWC-{method_label(source)}", _value(record["regularizers"][source]["gain"], plus=True), *cells])
    return table(["importance", "its gain over fine-tuning", *(f"kept by {name}" for _, name in SPLIT_COLUMNS)],
                 rows)


def pending_table(record: dict[str, Any]) -> Markdown:
    """The arms of the held-out study not finished yet: what each has and what it still needs."""
    rows = []
    for name, status in record["pending"].items():
        if status.get("lam") is None:
            has, needs = "no trial yet", "its λ grid on seeds 0–2, then seeds 3–7"
        elif status.get("at_edge"):
            has = f"λ {', '.join(f'{v:g}' for v in status['lambdas'])}; best so far {status['lam']:g}, at an edge"
            needs = "a wider λ grid on seeds 0–2, then seeds 3–7"
        else:
            held = status["held_out"]
            has = f"λ = {status['lam']:g} chosen; held-out seeds {', '.join(map(str, held)) or 'none'}"
            needs = "the remaining held-out seeds"
        rows.append([method_label(name) if name != "none" else "fine-tuning", has, needs])
    return table(["inside EWC", "computed so far", "still to run"], rows)


def spearman_table(record: dict[str, Any], pairs: list[str], kind: str = "own") -> Markdown:
    """Spearman's ρ of each pair on each layer (mean over seeds and its interval): how alike two importances rank
    the weights, whatever power either is raised to."""
    layers = [str(layer) for layer in record["layers"]]
    rows = []
    for pair in pairs:
        y, x = record["pair_methods"][pair]
        rows.append([f"{method_label(y)} vs {method_label(x)}",
                     *(_value(record["pairs"][kind][pair][layer]["spearman"]) for layer in layers)])
    return table(["pair", *(f"layer {layer}" for layer in layers)], rows)
