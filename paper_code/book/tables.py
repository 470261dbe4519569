"""Tables of the pages, built from findings records: one row per thing compared, numbers written the book's way."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval
from paper_code.labels import method_label


def whole(text: str) -> str:
    """A table cell's interval kept on one line: "0.944 ± 0.005" breaks only where the cell has room."""
    return text.replace(" ± ", "\u00a0±\u00a0").replace(" %", "\u00a0%")


def comparison_marks(entry: dict[str, Any], difference: str = "versus_source") -> str:
    """How a regularizer compares with the one it is read against: ≈ equivalent within the margin, ↓ measurably
    behind it, ↑ measurably ahead (a control can be both equivalent and measurably ahead: a small, sure lead).
    Arrows, not daggers: elsewhere in the book † marks a difference that is *not* measurable. ``difference``
    names the entry's paired difference (``versus_reference`` for a regularizer against EWC-MAS). The marks come
    bare; :func:`marked` sets them beside a value."""
    marks = "≈" if entry["equivalent"] else ""
    if entry["measurably_different"]:
        marks += "↓" if entry[difference]["mean"] < 0 else "↑"
    return marks


def marked(value: str, marks: str, *, wrap: bool = False) -> str:
    """``value`` followed by its marks, bound to it by a no-break space unless ``wrap`` lets a narrow column put
    them on a line of their own."""
    return f"{value}{' ' if wrap else chr(0xA0)}{marks}" if marks else value


def controls_table(record: dict[str, Any]) -> Markdown:
    """Every regularizer of a "Does the importance matter?" record: its λ, its final accuracy and forgetting, its
    share of the reference's gain, and its difference to the reference, marked by :func:`comparison_marks` as the
    tables of the importances' own controls are, so one page reads one set of marks."""
    entries, reference = record["regularizers"], record["reference"]
    rows = [["fine-tuning", "–", whole(interval(**_plain(record["fine_tuning"]["accuracy"]))),
             whole(interval(**_plain(record["fine_tuning"]["forgetting"]))), "–", "–"]]
    for reg in record["importances_by_accuracy"] + record["controls_by_share"]:
        entry = entries[reg]
        if reg == reference:
            versus, share = "reference", "100 %"
        else:
            # The marks may wrap below the interval: the column is the table's narrowest once they do.
            versus = marked(whole(interval(entry["versus_reference"]["mean"], entry["versus_reference"]["half"],
                                           plus=True)), comparison_marks(entry, "versus_reference"), wrap=True)
            share = whole(interval(entry["share_kept"]["mean"], entry["share_kept"]["half"], percent=True))
        rows.append([method_label(reg), f"{entry['lam']:g}", whole(interval(**_plain(entry["accuracy"]))),
                     whole(interval(**_plain(entry["forgetting"]))), share, versus])
    header = ["inside EWC", "λ", "final accuracy", "forgetting", f"share of {method_label(reference)}'s gain",
              f"− {method_label(reference)}"]
    return table(header, rows)


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    return {"mean": value["mean"], "half": value["half"]}


#: The label of the page that states each record's claims, for the links of the discussion's tables.
PAGE_LABELS: dict[str, str] = {"s3_1": "sec-3-1", "s3_2": "sec-3-2", "s3_3": "sec-3-3", "s3_4": "sec-3-4",
                               "s3_5": "sec-3-5", "s3_6": "sec-3-6", "discussion": "discussion",
                               "b2": "importance-matters"}


def _cells(row: dict[str, Any]) -> str:
    return f"{row['held']} of {row['judged']}"


def claims_table(record: dict[str, Any]) -> Markdown:
    """Every claim of the discussion's record: where it is made (linked to the page that shows it), what it says,
    its grade, the cells or comparisons that pass, and its grade with Spearman's ρ."""
    rows = []
    for row in record["table"].values():
        where = f"{{ref}}`{row['section']} <{PAGE_LABELS[row['page']]}>`"
        rows.append([where, row["statement"], f"**{row['grade']}**", _cells(row), row["spearman"]])
    return table(["§", "the paper says", "grade", "passing", "with Spearman's ρ"], rows)


#: The order of the regularizers in the discussion's second table, and their column names.
REGULARIZER_COLUMNS: dict[str, str] = {"mas": "MAS", "fis": "FIS", "fis_true": "true Fisher", "si": "SI", "sig": "SIG",
                                       "none": "none"}


def regularizer_grades_table(record: dict[str, Any]) -> Markdown:
    """The correlation claims whose grade changes with the importance inside the penalty, one column per
    regularizer (*none*: fine-tuning)."""
    changing = record["regularizers"]["changing"]
    regs = [r for r in REGULARIZER_COLUMNS if any(r in row["grades"] for row in changing.values())]
    rows = [[row["statement"], *(row["grades"].get(r, "–") for r in regs)] for row in changing.values()]
    return table(["the paper says", *(REGULARIZER_COLUMNS[r] for r in regs)], rows)
