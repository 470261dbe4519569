"""The tables of the page "Reproduce this", from its findings record (``study/findings/reproduce.json``): the noise
band of each pair beside its seed spread, and the members of the noise study."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import number

#: How a value the record does not hold is written in a table.
MISSING = "—"


def _value(value: float | None, decimals: int) -> str:
    return MISSING if value is None else number(value, decimals)


def _unbroken(name: str) -> str:
    """A pair's name kept on one line in a narrow column ("MAS–FIS", not "MAS–" over "FIS")."""
    return name.replace("–", "–\u2060")


def noise_pairs_table(record: dict[str, Any]) -> Markdown:
    """Per pair, the medians over its cells: the rounding σ of one run, the widest span of one seed's members (the
    largest over its cells), the seed spread σ, the ratio of the two σ, and the sampling σ (where the bootstrap was
    computed)."""
    sampled = record.get("sampling") is not None
    header = ["pair", "rounding σ", "widest span", "seed σ", "rounding / seed σ"]
    header += ["sampling σ"] if sampled else []
    rows = []
    for entry in record["pairs"].values():
        row = [_unbroken(entry["name"]), _value(entry["noise_std"], 3), _value(entry["noise_range"], 3),
               _value(entry["seed_std"], 3), _value(entry["ratio"], 2)]
        rows.append(row + ([_value(entry["sampling_std"], 3)] if sampled else []))
    return table(header, rows)


def _run_with(row: dict[str, Any]) -> str:
    threads = f"{row['threads']} thread{'s' if row['threads'] > 1 else ''}"
    environment = row["environment"]
    if "machine" in environment:
        how = f"on {environment['machine']} machine"
    else:
        # Spaces around "=" let a long variable name and its value wrap in a narrow column.
        how = ", ".join(f"{name} = {value}" for name, value in environment.items()) or "default kernels"
    nudge = ", task 1's importances nudged" if row["nudge"] else ""
    return f"{threads}, {how}{nudge}"


def noise_members_table(record: dict[str, Any]) -> Markdown:
    """One row per member of the noise study: its seed, its folder under ``study/noise/seed<k>/`` (the study trial's
    is in ``study/grid``), how it was run, and its final average accuracy (or the earlier member it repeated)."""
    rows = []
    for row in record["members"]["rows"]:
        accuracy = f"= `{row['same_as']}`" if row["same_as"] else _value(row["final_accuracy"], 4)
        rows.append([row["seed"], f"`{row['member']}`", _run_with(row), accuracy])
    return table(["seed", "folder", "run with", "final accuracy"], rows)
