"""The tables of the pages that read the λ-grid study ("Choosing λ", "How stable are the surfaces?",
"Accumulated vs per-task importances"), built from their findings records; every cell names the seeds (or runs)
its number is over."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval, number, seed_list
from paper_code.book.tables import whole
from paper_code.labels import method_label, pair_label, reg_label


#: Keeps a short cell on one line: a word joiner on both sides of an en dash ("0–4", "MAS–SI"), and no-break
#: spaces.
WORD_JOINER = "\u2060"


def keep(text: str) -> str:
    """``text`` that a table cell does not break: "seeds 0–4", "FIS–MAS²", "± 0.032"."""
    return text.replace("–", f"{WORD_JOINER}–{WORD_JOINER}").replace(" ", "\u00a0")


def signed_texts(record: dict[str, Any], paths: list[str], decimals: int = 3) -> dict[str, str]:
    """Each value at a dotted ``path`` of ``record`` written with its sign and a typographic minus ("−0.016",
    "+0.003"), under the name ``path + ".signed"`` (a page glues them beside the record's own values)."""
    out = {}
    for path in paths:
        value: Any = record
        for key in path.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]
        out[f"{path}.signed"] = number(value, decimals, plus=True)
    return out


def _interval(value: dict[str, Any] | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return whole(interval(value["mean"], value["half"], percent=percent, plus=bool(value.get("signed"))))


def _seeds(seeds: list[int]) -> str:
    return keep(f"seed{'s' if len(seeds) != 1 else ''} {seed_list(seeds)}")


def lead_table(record: dict[str, Any]) -> Markdown:
    """Each importance's selected λ against its runner-up, paired over the seeds that chose λ, and the selected λ's
    accuracy on those seeds and on the seeds that took no part in the choice."""
    rows = []
    for reg in record["order"]:
        entry = record["regularizers"][reg]
        if entry["lead"] is None:
            continue
        selected = entry["selected"]
        rows.append([
            method_label(reg), f"{entry['lam']:g} ({entry['runner_up']:g})",
            f"{_interval(entry['lead'])} ({_seeds(entry['lambda_seeds'])})",
            f"{_interval(selected['choosing'])}",
            f"{_interval(selected['fresh'])} ({_seeds(selected['fresh_seeds'])})" if selected["fresh"] else "–",
        ])
    return table(["importance", "λ (next best)", "lead over the next best, paired",
                  "selected λ, on the seeds that chose it", "on the other seeds"], rows)


def author_table(record: dict[str, Any]) -> Markdown:
    """The paper author's best λ beside the one selected here, his mean accuracy at both (over his runs), and this
    study's at the selected λ."""
    rows = []
    for reg in record["author"]["regularizers"]:
        entry = record["regularizers"][reg]
        author = entry["author"]
        at = author["at_selected"]
        rows.append([
            method_label(reg), f"{entry['lam']:g} / {author['best_lam']:g}",
            f"{_interval(author['best'])} ({author['best']['runs']} runs)",
            f"{_interval(at)} ({at['runs']} runs)" if at else "not run",
            f"{_interval(entry['selected']['all'])} ({_seeds(entry['selected']['all_seeds'])})",
        ])
    return table(["importance", "λ here / author's best", "author, at his best λ", "author, at the λ here",
                  "this study, at the λ here"], rows)


def grid_table(record: dict[str, Any]) -> Markdown:
    """Every λ of every grid: final accuracy and forgetting over the seeds that chose λ, and its difference to the
    selected λ, paired over those seeds."""
    rows = []
    for reg in record["order"]:
        entry = record["regularizers"][reg]
        for index, point in enumerate(entry["points"]):
            name = f"{reg_label(reg)} ({_seeds(entry['lambda_seeds'])})" if index == 0 else ""
            lam = f"**{point['lam']:g}**" if point["lam"] == entry["lam"] else f"{point['lam']:g}"
            versus = "selected" if point["versus_selected"] is None else _interval(point["versus_selected"])
            rows.append([name, lam, number(point["accuracy"], 4), versus, number(point["forgetting"], 4)])
    return table(["regularizer (seeds that chose λ)", "λ", "final accuracy", "− selected λ, paired",
                  "forgetting"], rows)


def stability_table(record: dict[str, Any]) -> Markdown:
    """Per pair: the range its seed means span over layers and tasks, against the median and the widest
    half-width of a cell."""
    rows = []
    for pair in record["pairs"]:
        relief = record["relief"][pair]
        rows.append([keep(pair_label(pair)), f"{number(relief['low'])} to {number(relief['high'])}",
                     keep(f"± {number(relief['half_median'], 3)}"), keep(f"± {number(relief['half_max'], 3)}"),
                     f"{relief['ratio']:.0f}"])
    return table(["pair", "seed means, lowest to highest", "median half-width", "widest", "range ÷ median"], rows)


#: The mark of a difference that does not survive Holm's correction (the page says what it means).
NOT_MEASURABLE = "†"


def per_task_table(record: dict[str, Any]) -> Markdown:
    """Accumulated minus per-task correlation of every pair and layer, averaged over the later tasks, paired by
    seed; a difference that does not survive Holm's correction is marked."""
    layers = [str(layer) for layer in record["layer_ids"]]
    rows = []
    for pair in record["pair_order"]:
        cells = []
        for layer in layers:
            entry = record["pairs"][pair][layer]
            cells.append(_interval(entry["difference"]) + ("" if entry["measurable"] else f"\u00a0{NOT_MEASURABLE}"))
        rows.append([keep(pair_label(pair)), *cells])
    last = layers[-1]
    names = [f"layer {layer}" + (" (input)" if layer == "1" else " (output)" if layer == last else "")
             for layer in layers]
    return table(["pair", *names], rows)
