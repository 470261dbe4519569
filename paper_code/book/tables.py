"""Tables of the pages, built from findings records: one row per thing compared, numbers written the book's way."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval
from paper_code.labels import reg_label


def whole(text: str) -> str:
    """A table cell's interval kept on one line: "0.944 ± 0.005" breaks only where the cell has room."""
    return text.replace(" ± ", "\u00a0±\u00a0").replace(" %", "\u00a0%")


def controls_table(record: dict[str, Any]) -> Markdown:
    """Every regularizer of a "Does the importance matter?" record: its λ, its final accuracy and forgetting, its
    share of the reference's gain, and its difference to the reference with the verdict of the Holm-corrected
    family."""
    entries, reference = record["regularizers"], record["reference"]
    rows = [["fine-tuning", "–", whole(interval(**_plain(record["fine_tuning"]["accuracy"]))),
             whole(interval(**_plain(record["fine_tuning"]["forgetting"]))), "–", "–"]]
    for reg in record["importances_by_accuracy"] + record["controls_by_share"]:
        entry = entries[reg]
        if reg == reference:
            versus, share = "reference", "100 %"
        else:
            versus = whole(interval(entry["versus_reference"]["mean"], entry["versus_reference"]["half"], plus=True))
            versus += "" if entry["measurably_different"] else " (not measurable)"
            share = whole(interval(entry["share_kept"]["mean"], entry["share_kept"]["half"], percent=True))
        rows.append([reg_label(reg), f"{entry['lam']:g}", whole(interval(**_plain(entry["accuracy"]))),
                     whole(interval(**_plain(entry["forgetting"]))), share, versus])
    header = ["regularizer", "λ", "final accuracy", "forgetting", f"share of {reference.upper()}'s gain",
              f"− {reg_label(reference)}"]
    return table(header, rows)


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    return {"mean": value["mean"], "half": value["half"]}
