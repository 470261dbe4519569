"""Tables of the theory page and of the split of each importance's gain, from their findings records."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval
from paper_code.book.tables import whole
from paper_code.labels import method_label


def _value(entry: dict[str, Any], **style: Any) -> str:
    return whole(interval(entry["mean"], entry["half"], **style))


def slopes_table(record: dict[str, Any], pairs: list[str], kind: str = "own") -> Markdown:
    """Per pair and layer: the log-log slope (major axis, then least squares), its prediction and grade, and the
    coefficients that read the same relation on other scales."""
    rows = []
    for pair in pairs:
        y, x = record["pair_methods"][pair]
        for layer, entry in record["pairs"][kind][pair].items():
            rows.append([f"{method_label(y)} vs {method_label(x)}", layer, _value(entry["slope"]),
                         _value(entry["ols_slope"]), f"{entry['predicted']:g}", entry["grade"],
                         _value(entry["pearson"]), _value(entry["pearson_sqrt_x"]),
                         _value(entry["pearson_y_squared"]), _value(entry["spearman"])])
    return table(["pair", "layer", "slope", "slope (least squares)", "predicted", "grade", "r", "r with √x",
                  "r with y²", "Spearman ρ"], rows)


#: The parts of an importance's gain, as the split table names them.
SPLIT_COLUMNS: tuple[tuple[str, str], ...] = (("anchoring", "uniform Ω"), ("values", "its values, shuffled"),
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
