"""Tables of the two pages that vary the paper's setup, built from their findings records: "What would it take?"
(one choice at a time, ``b7``) and "Beyond permuted MNIST" (another stream or network, ``b8``). Formatting only."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval, seed_list
from paper_code.book.tables import PAGE_LABELS, whole


# --------------------------------------------------------------------------- b7: the choices the paper leaves open
def _how(entry: dict[str, Any]) -> str:
    if entry["group"] == "measured":
        return "recomputed on the default's networks"
    if not entry["paired"]:
        return "trained anew; not paired (its runs differ from the default's on task 1)"
    return f"trained anew; change from task {entry['from_task']} on"


def variants_table(record: dict[str, Any]) -> Markdown:
    """Every variant of a sensitivity record: the one choice it changes, its seeds and how it was measured."""
    rows = []
    for key in record["variant_order"]:
        entry = record["variants"][key]
        rows.append([f"*{entry['name']}*", entry["choice"], seed_list(entry["seeds"]), _how(entry)])
    return table(["variant", "the choice it changes", "seeds", "how"], rows)


def _change_cell(found: dict[str, Any]) -> str:
    """A variant's change from the default (its value is on the figure): Δ ± its 95 % half-width, "unchanged"
    where the choice does not enter the number, "|Δ| < 0.001" where the change is below the table's precision,
    "not paired" where the runs cannot be set against the default's; ✓ where the variant meets the paper."""
    if found["value"] is None:
        return "–"
    change = found.get("change")
    if found.get("unchanged"):
        text = "unchanged"
    elif change is None:
        text = "not paired"
    elif abs(change["mean"]) + (change["half"] or 0.0) < 0.001:
        text = "|Δ| < 0.001"
    else:
        text = interval(change["mean"], change["half"], plus=True)
    return text + (" ✓" if found["meets"] else "")


def key_numbers_table(record: dict[str, Any], group: str) -> Markdown:
    """The key numbers (rows) under the default and the variants of ``group`` ("measured" or "trained"): the
    default's mean ± 95 % half-width and each variant's change from it, paired by seed over the tasks the variant
    can move; ✓ where the paper's condition holds on the mean (the default's or the variant's)."""
    variants = record[f"{group}_variants"]
    header = ["key number (paper)", "default", *(record["variants"][v]["name"] for v in variants)]
    rows = []
    for key, entry in record["numbers"].items():
        default = record["variants"]["default"]["numbers"][key]
        first = whole(interval(default["value"]["mean"], default["value"]["half"])) + (" ✓" if default["meets"] else "")
        rows.append([f"{entry['section']} {entry['label']} ({entry['paper']})", first,
                     *(_change_cell(record["variants"][v]["numbers"][key]) for v in variants)])
    return table(header, rows)


# --------------------------------------------------------------------------- b8: other streams and networks
def settings_table(record: dict[str, Any]) -> Markdown:
    """Every column of a Beyond record: what it is, its selected λ and its final average accuracy over all tasks
    (mean ± 95 % half-width over its seeds) beside chance."""
    rows = []
    for name in record["order"]:
        column = record["columns"][name]
        lam = f"{column['lam']:g}" + (" (edge of the grid)" if column["at_edge"] else "")
        accuracy = whole(interval(column["accuracy"]["mean"], column["accuracy"]["half"]))
        rows.append([f"**{column['short']}**", column["title"], lam, f"{accuracy} (chance {column['chance']:g})"])
    return table(["setting", "what it is", "λ", "final average accuracy"], rows)


def grades_table(record: dict[str, Any]) -> Markdown:
    """Every correlation claim (linked to the page that owns it) with its grade in every column; **bold** marks a
    grade word other than the paper configuration's."""
    order = record["order"]
    rows = []
    for entry in record["claims"].values():
        reference = entry["grades"][order[0]]["grade"]
        cells = []
        for name in order:
            grade = entry["grades"][name]["grade"]
            cells.append(grade if grade == reference or name == order[0] else f"**{grade}**")
        rows.append([f"{{ref}}`{entry['statement']} <{PAGE_LABELS[entry['page']]}>`", *cells])
    return table(["the paper says", *(record["columns"][n]["short"] for n in order)], rows)
