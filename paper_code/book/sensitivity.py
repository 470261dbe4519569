"""The sensitivity page's table and sentences, computed from ``study/sensitivity/key_numbers.csv``."""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from paper_code.book.render import Markdown
from paper_code.labels import variant_label
from paper_code.studies.sensitivity import KEY_NUMBERS, MEASUREMENT_VARIANTS, VARIANT_CHOICES, toward_paper


def _pm(row: pd.Series) -> str:
    spread = "" if pd.isna(row["std"]) else f" ± {row['std']:.3f}"
    return f"{row['mean']:.3f}{spread}"


def _change(row: pd.Series) -> str:
    """The paired change from the default, with its 95 % interval, or why there is none (the page's text says
    what "not paired" and "unchanged" mean)."""
    if pd.isna(row.get("change", float("nan"))):
        return " (not paired)" if row.get("unpaired") else ""
    if row["change"] == 0 and row.get("change_ci", 0) == 0:
        return " (unchanged)"
    interval = "" if pd.isna(row.get("change_ci", float("nan"))) else f" ± {row['change_ci']:.3f}"
    tasks = "" if pd.isna(row.get("from_task")) or row["from_task"] == 1 else f", tasks {int(row['from_task'])}+"
    return f" (Δ {row['change']:+.3f}{interval}{tasks})"


#: The two halves of the key-number table: a variant of what is measured, or of how the network is trained. One
#: table of every variant would be 13 columns, too wide for a page.
TABLE_GROUPS = ("measured", "trained")


def _cell(row: pd.Series, default: bool) -> str:
    """A table cell: the default's mean ± std; a variant's mean and its paired change (its spread is on the
    figure above, and its first task in the column's header); ✓ where the paper's condition holds."""
    if default:
        text = _pm(row)
    elif pd.isna(row.get("change", float("nan"))):
        text = f"{row['mean']:.3f}" + _change(row)
    elif row["change"] == 0 and row.get("change_ci", 0) == 0:
        text = f"{row['mean']:.3f} (unchanged)"
    else:
        interval = "" if pd.isna(row.get("change_ci", float("nan"))) else f" ± {row['change_ci']:.3f}"
        text = f"{row['mean']:.3f} (Δ {row['change']:+.3f}{interval})"
    return text + (" ✓" if row["holds"] else "")


def _column(frame: pd.DataFrame, variant: str) -> str:
    """A variant's column header, with the first task its change is measured from where that is not task 1."""
    first = frame.loc[frame["variant"] == variant, "from_task"].max() if "from_task" in frame else float("nan")
    return variant_label(variant) + ("" if pd.isna(first) or first <= 1 else f" (Δ from task {int(first)})")


def key_table(frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """Key numbers (rows) under the default and each variant of ``group`` (columns; every variant when None):
    the default's mean ± std over seeds; a variant's mean and its change from the default paired by seed, with its
    95 % interval, on the tasks the variant can move; ✓ where the paper's condition holds."""
    if group is not None and group not in TABLE_GROUPS:
        raise ValueError(f"group must be one of {', '.join(TABLE_GROUPS)}, got {group!r}")
    variants = [v for v in dict.fromkeys(frame["variant"])
                if group is None or v == "default" or (v in MEASUREMENT_VARIANTS) == (group == "measured")]
    rows = []
    for number in KEY_NUMBERS:
        cells = frame[frame["key"] == number.key].set_index("variant")
        row = {"key number": f"{number.claim} {number.label}", "paper": number.paper}
        for variant in variants:
            has = variant in cells.index and pd.notna(cells.loc[variant, "mean"])
            row[_column(frame, variant)] = _cell(cells.loc[variant], variant == "default") if has else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def variants_described(frame: pd.DataFrame) -> Markdown:
    seeds = frame.groupby("variant", sort=False)["seeds"].max()
    unpaired = frame.groupby("variant", sort=False)["unpaired"].all() if "unpaired" in frame else {}
    lines = []
    for variant, count in seeds.items():
        what = VARIANT_CHOICES.get(variant, f"EWC strength {variant_label(variant)} instead of the selected λ")
        if unpaired.get(variant, False):
            what += (". **Not paired with the default:** its runs trained differently from the default's already on "
                     "task 1, before the variant acts, so a difference would mix rounding with the variant; its "
                     "numbers are shown without a change")
        lines.append(f"- **{variant_label(variant)}** ({int(count)} seeds): {what}")
    return Markdown("\n".join(lines))


def _variants(names: list[str]) -> str:
    """Variant names read as names, not as words of the sentence ("under the variant *all rows*")."""
    return ("the variant " if len(names) == 1 else "the variants ") + ", ".join(f"*{n}*" for n in names)


def findings(frame: pd.DataFrame) -> Markdown:
    """Claim by claim: the default's number, the paper's condition, which choice moves it most toward the paper,
    and under which variants (if any) the condition holds on the seed mean."""
    lines = []
    for number in KEY_NUMBERS:
        rows = frame[frame["key"] == number.key]
        default = rows[rows["variant"] == "default"]
        if default.empty:
            continue
        base = default.iloc[0]
        others = rows[rows["variant"] != "default"].copy()
        others["toward"] = [toward_paper(r) for _, r in others.iterrows()]
        helpful = others[others["toward"] == True]  # noqa: E712  (None means "not comparable")
        holding = [variant_label(v) for v in others.loc[others["holds"], "variant"]]
        state = "meets" if base["holds"] else "misses"
        sentence = (f"- **{number.claim}, {number.label}**: {_pm(base)} by default, which {state} the paper's "
                    f"“{number.paper}”. ")
        if helpful.empty:
            sentence += "No choice moves it toward the paper's value. "
        else:
            best = helpful.loc[helpful["change"].abs().idxmax()]
            sentence += (f"The choice that moves it furthest toward the paper's value is *{variant_label(best['variant'])}*"
                         f"{_change(best)}, to {best['mean']:.3f}. ")
        if base["holds"]:
            measured = others[others["mean"].notna()]  # a variant that cannot compute the number says nothing of it
            broken = [variant_label(v) for v in measured.loc[~measured["holds"], "variant"]]
            sentence += ("It holds under every variant." if not broken else
                         f"It no longer holds under {_variants(broken)}.")
        else:
            sentence += (f"It holds under {_variants(holding)}." if holding else "No single choice reproduces it.")
        lines.append(sentence)
    return Markdown("\n".join(lines))


def claim_sensitivity(frame: pd.DataFrame, keys: Iterable[str]) -> str:
    """One line for the discussion: the given key numbers (:data:`KEY_NUMBERS` keys) and whether any variant
    reproduces them."""
    parts = []
    wanted = set(keys)
    for number in (n for n in KEY_NUMBERS if n.key in wanted):
        rows = frame[frame["key"] == number.key]
        default = rows[rows["variant"] == "default"]
        if default.empty:
            continue
        holding = [variant_label(v) for v in rows.loc[rows["holds"] & (rows["variant"] != "default"), "variant"]]
        parts.append(f"{number.label} {_pm(default.iloc[0])} (paper {number.paper}"
                     + (f"; met under {_variants(holding)}" if holding and not default.iloc[0]["holds"] else "")
                     + ")")
    return "; ".join(parts)
