"""Tables of the theory page and of the held-out study (the split of each importance's gain, the settings beyond
permuted MNIST, the arms still running), from their findings records."""

from __future__ import annotations

from typing import Any

from paper_code.book.markdown import Markdown, table
from paper_code.book.numbers import interval, number
from paper_code.book.tables import comparison_marks, marked, whole
from paper_code.labels import method_label


def _value(entry: dict[str, Any], **style: Any) -> str:
    return whole(interval(entry["mean"], entry["half"], **style))


#: How a slope's verdict is marked in a table cell: within the margin by both estimates, outside by both, or not
#: agreed on.
VERDICT_MARKS: dict[str, str] = {"within": "✓", "outside": "✗", "depends on the estimator": "~"}


def slopes_table(record: dict[str, Any], pairs: list[str], kind: str = "own") -> Markdown:
    """One row per pair: its predicted slope, then on each layer its log-log slope by the reduced major axis and by least
    squares (means over seeds), marked by what the two say together (:data:`VERDICT_MARKS`)."""
    layers = [str(layer) for layer in record["layers"]]
    rows = []
    for pair in pairs:
        y, x = record["pair_methods"][pair]
        entries = record["pairs"][kind][pair]
        rows.append([f"{method_label(y)} vs {method_label(x)}", f"{entries[layers[0]]['predicted']:g}",
                     *(marked(f"{number(entries[layer]['slope']['mean'], 2)} / "
                              f"{number(entries[layer]['ols_slope']['mean'], 2)}", VERDICT_MARKS[entries[layer]["verdict"]])
                       for layer in layers)])
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
    """What each control keeps of the gain over fine-tuning of the importance it is made of, on held-out seeds,
    marked by :func:`comparison_marks`."""
    rows = []
    for source, parts in record["split"].items():
        cells = []
        for part, _ in SPLIT_COLUMNS:
            if part not in parts:
                cells.append("pending")
                continue
            cells.append(marked(_value(parts[part]["share"], percent=True), comparison_marks(parts[part])))
        rows.append([f"EWC-{method_label(source)}", _value(record["regularizers"][source]["gain"], plus=True), *cells])
    return table(["importance", "its gain over fine-tuning", *(f"kept by {name}" for _, name in SPLIT_COLUMNS)],
                 rows)


def _pending_row(name: str, status: dict[str, Any]) -> list[str]:
    if name == "none":
        has = f"held-out seeds {', '.join(map(str, status['held_out']))}" if status["held_out"] else "no held-out seed yet"
        needs = "the remaining held-out seeds"
    elif status.get("lam") is None:
        trials = status.get("trials", 0)
        has = f"{trials} trials of its λ grid" if trials else "no trial yet"
        needs = "its λ grid on seeds 0–2, then seeds 3–7"
    elif status.get("at_edge"):
        has = f"λ {', '.join(f'{v:g}' for v in status['lambdas'])}; best so far {status['lam']:g}, at an edge"
        needs = "a wider λ grid on seeds 0–2, then seeds 3–7"
    else:
        held = status["held_out"]
        has = f"λ = {status['lam']:g} chosen; " + (f"held-out seeds {', '.join(map(str, held))}" if held
                                                   else "no held-out seed yet")
        needs = "the remaining held-out seeds"
    return [method_label(name) if name != "none" else "fine-tuning", has, needs]


#: How the settings beyond permuted MNIST are named in tables.
SETTING_NAMES = {"split": "split MNIST", "rotated": "rotated MNIST"}


def pending_table(record: dict[str, Any]) -> Markdown:
    """The arms of the held-out study not finished yet, on permuted MNIST and in the other settings: what each
    has and what it still needs."""
    rows = [["permuted MNIST", *_pending_row(name, status)] for name, status in record["pending"].items()]
    for setting, entry in record.get("beyond", {}).get("settings", {}).items():
        rows += [[SETTING_NAMES.get(setting, setting), *_pending_row(name, status)]
                 for name, status in entry["pending"].items()]
    return table(["setting", "inside EWC", "computed so far", "still to run"], rows)


def pending_section(record: dict[str, Any]) -> Markdown | None:
    """While the held-out study is still running (a reader's own, stopped part-way): a paragraph that says so and
    :func:`pending_table`. Once every arm is finished, ``None``, so the cell shows no output at all."""
    if not record["pending"] and record.get("beyond", {}).get("complete", True):
        return None
    return Markdown("**Still running.** The arms below are not finished, and this page states none of their numbers "
                    "until they are (`make held-out` continues where it stopped).\n\n"
                    + pending_table(record)._repr_markdown_())


def settings_table(record: dict[str, Any]) -> Markdown:
    """Each setting beyond permuted MNIST (and permuted MNIST itself, for comparison): fine-tuning's and EWC-MAS's
    final accuracy, and the shares of MAS's gain kept by uniform anchoring and by MAS's rank-1 fit, each at its
    own selected λ, marked by :func:`comparison_marks`."""
    def row(name: str, fine_tuning: dict[str, Any], regs: dict[str, Any], parts: dict[str, Any]) -> list[str]:
        shares = [marked(_value(parts[part]["share"], percent=True), comparison_marks(parts[part]))
                  + f" (λ {regs[reg]['lam']:g})" if part in parts else "pending"
                  for part, reg in (("anchoring", "uniform"), ("units", "rank1"))]
        return [name, _value(fine_tuning), f"{_value(regs['mas']['accuracy'])} (λ {regs['mas']['lam']:g})", *shares]

    rows = [row("permuted MNIST", record["fine_tuning"]["accuracy"], record["regularizers"], record["split"]["mas"])]
    for setting, entry in record["beyond"]["settings"].items():
        name = SETTING_NAMES.get(setting, setting)
        rows.append(row(name, entry["fine_tuning"], entry["regularizers"], entry["controls"]) if "controls" in entry
                    else [name, "pending", "pending", "pending", "pending"])
    return table(["setting", "fine-tuning", "EWC-MAS", "kept by uniform Ω", "kept by MAS rank-1"], rows)


def fishers_table(record: dict[str, Any]) -> Markdown:
    """The Fishers inside EWC on held-out seeds (from the held-out record): each one's selected λ, final accuracy,
    share of FIS's gain over fine-tuning and paired difference from FIS, marked by :func:`comparison_marks`; an arm
    still running says how far it is."""
    regs, fishers, pending = record["regularizers"], record["fishers"], record["pending"]
    fis = regs["fis"]
    rows = [[method_label("fis"), f"{fis['lam']:g}", _value(fis["accuracy"]), "–", "–"]]
    for name in ("fis_true", "fis_sample", "fis_batch", "adam"):
        if name in fishers:
            entry = fishers[name]
            rows.append([method_label(name), f"{regs[name]['lam']:g}", _value(regs[name]["accuracy"]),
                         _value(entry["share"], percent=True),
                         marked(_value(entry["versus_source"], plus=True), comparison_marks(entry))])
        elif name in pending:
            _, has, _ = _pending_row(name, pending[name])
            rows.append([method_label(name), "–", f"running: {has}", "–", "–"])
    return table(["Fisher inside EWC", "λ (seeds 0–2)", "final accuracy", "share of FIS's gain", "minus FIS, paired"],
                 rows)


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
