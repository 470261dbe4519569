"""Tables and sentences of the page "Beyond permuted MNIST", from :mod:`paper_code.studies.beyond`.

Every sentence is computed from the claims × settings table the page shows under it, so the two cannot drift
apart (``tests/test_beyond.py`` reads them against each other).
"""

from __future__ import annotations

import pandas as pd

from paper_code.book.render import Markdown
from paper_code.labels import pair_label, plural
from paper_code.locations import shown_path
from paper_code.studies.beyond import CLAIM_PAIRS, PAPER, SETTINGS, SettingRuns
from paper_code.studies.claims import CLAIMS_BY_ID
from paper_code.studies.grading import FAILS, HOLDS, MOSTLY, PARTLY
from paper_code.studies.grid import STABILITY_SEEDS

#: How each column is headed in the tables.
SHORT_NAMES = {PAPER: "paper", "split": "split MNIST", "rotated": "rotated MNIST", "relu": "ReLU", "deep": "deep"}
#: The settings that change the task stream, and those that change the network.
STREAM_SETTINGS = ("split", "rotated")
NETWORK_SETTINGS = ("relu", "deep")
#: Grades from the strongest down, to say whether a setting strengthens or weakens a claim.
GRADE_ORDER = (HOLDS, MOSTLY, PARTLY, FAILS)


def provenance(columns: dict[str, SettingRuns], root) -> Markdown:
    settings = [c for name, c in columns.items() if name != PAPER]
    trials = sum(c.trials for c in settings)
    hours = sum(c.hours for c in settings)
    return Markdown(
        f"**Study shown:** `{shown_path(root)}` · {plural(len(settings), 'setting')}, {plural(trials, 'trial')}, "
        f"{hours:.1f} compute-hours of trials · each setting a sweep folder of its own (`sweep.csv`, "
        f"`trials/<key>/`) · the paper's configuration from `study/grid` (EWC-MAS at λ = "
        f"{columns[PAPER].lam:g}, seeds {', '.join(map(str, columns[PAPER].seeds))})"
    )


def settings_table(columns: dict[str, SettingRuns]) -> pd.DataFrame:
    """One row per setting: what it changes, its selected λ, the seeds graded and the final accuracy."""
    rows = []
    for name, runs in columns.items():
        accuracy = runs.accuracy
        spread = "" if len(accuracy) < 2 else f" ± {accuracy.std():.4f}"
        rows.append({
            "setting": SHORT_NAMES.get(name, name),
            "what it is": runs.title,
            "λ (EWC-MAS)": f"{runs.lam:g}" + (" (at the edge of the grid)" if runs.at_edge else ""),
            "seeds": ", ".join(map(str, runs.seeds)),
            "final average accuracy": f"{accuracy.mean():.4f}{spread}",
        })
    return pd.DataFrame(rows)


def claims_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The claims (rows) × settings (columns) grade table, with each claim's test beside its id."""
    order = list(dict.fromkeys(frame["setting"]))
    wide = frame.pivot(index="claim", columns="setting", values="label").reindex(columns=order)
    wide = wide.reindex(list(dict.fromkeys(frame["claim"])))
    marked = frame.pivot(index="claim", columns="setting", values="changed").reindex(index=wide.index, columns=order)
    shown = wide.where(~marked.astype(bool), "**" + wide + "**")
    shown.columns = [SHORT_NAMES.get(c, c) for c in shown.columns]
    # The output-layer claims read a network's last layer, which is layer 3 only in the paper's network.
    shown.insert(0, "test", [CLAIMS_BY_ID[c].test.replace("layer 3", "the last layer") for c in shown.index])
    shown.index.name = "claim"
    return shown.reset_index()


def _names(settings: list[str]) -> str:
    return ", ".join(SHORT_NAMES.get(s, s) for s in settings)


def _rank(grade: str) -> int:
    return GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER)


def claim_findings(frame: pd.DataFrame) -> Markdown:
    """One line per claim: where its grade is the paper configuration's, where it is stronger, where weaker."""
    lines = []
    for claim_id, rows in frame.groupby("claim", sort=False):
        reference = rows[rows.setting == PAPER].iloc[0]
        others = rows[rows.setting != PAPER]
        if others.empty:
            continue
        stronger = [r.setting for r in others.itertuples() if r.changed and _rank(r.grade) < _rank(reference.grade)]
        weaker = [r.setting for r in others.itertuples() if r.changed and _rank(r.grade) >= _rank(reference.grade)]
        parts = [f"**{claim_id}** ({reference.label} in the paper's configuration):"]
        # One grade, "holds in most cells", spans just over half of the cells to all but one: where a setting
        # keeps it over other counts, its counts follow its name.
        kept = others[~others.changed]
        named = ", ".join(SHORT_NAMES.get(r.setting, r.setting)
                          + ("" if r.label == reference.label else f" ({r.label.removeprefix('holds in ')})")
                          for r in kept.itertuples())
        if not stronger and not weaker:
            counted = (kept.label != reference.label).any()
            parts.append("the same grade in every setting" + (f": {named}." if counted else "."))
        else:
            if not kept.empty:
                parts.append(f"the same grade in {named};")
            if stronger:
                parts.append(f"stronger in {_names(stronger)};")
            if weaker:
                parts.append(f"weaker in {_names(weaker)};")
            parts[-1] = parts[-1].rstrip(";") + "."
        lines.append("- " + " ".join(parts))
    return Markdown("\n".join(lines))


def classify(frame: pd.DataFrame) -> tuple[list[str], list[str], list[str], list[str]]:
    """The claims that keep the paper configuration's grade in every setting, that change with the task stream
    only, with the network only, and with both."""
    general, stream, network, both = [], [], [], []
    for claim_id, rows in frame.groupby("claim", sort=False):
        changed = set(rows.loc[rows.changed, "setting"])
        by_stream, by_network = bool(changed & set(STREAM_SETTINGS)), bool(changed & set(NETWORK_SETTINGS))
        (both if by_stream and by_network else stream if by_stream else network if by_network else general).append(claim_id)
    return general, stream, network, both


def discussion_sentence(frame: pd.DataFrame) -> Markdown:
    """The discussion's summary of the page: how many of the correlation claims carry over, in one sentence."""
    present = [s for s in SETTINGS if s in set(frame.setting)]
    if not present:
        return Markdown("Whether these claims hold beyond permuted MNIST is not known yet: the study holds no other "
                        "setting (`make beyond`).")
    general, stream, network, both = classify(frame)
    total = len(general) + len(stream) + len(network) + len(both)
    return Markdown(
        f"Beyond permuted MNIST ({_names(present)}; {{ref}}`beyond`), {len(general)} of the {total} correlation "
        f"claims keep their grade" + (f" ({', '.join(general)})" if general else "")
        + f"; {len(stream)} change with the task stream, {len(network)} with the network and {len(both)} with both. "
        "Where a grade changes, the paper's observation describes permuted MNIST and its network rather than EWC's "
        "importances in general." + _provisional(frame, present)
    )


def _provisional(frame: pd.DataFrame, present: list[str]) -> str:
    seeds = frame.drop_duplicates("setting").set_index("setting")["seeds"]
    few = [name for name in present if seeds[name] < len(STABILITY_SEEDS)]
    if not few:
        return ""
    return (f" Provisional: {_names(few)} {'has' if len(few) == 1 else 'have'} fewer than {len(STABILITY_SEEDS)} "
            "seeds at the selected λ so far.")


def generality(frame: pd.DataFrame) -> Markdown:
    """Which of the paper's conclusions carry over to every setting the study holds, which change with the task
    stream, and which with the network; provisional where a setting has fewer seeds than the paper's."""
    present = [s for s in SETTINGS if s in set(frame.setting)]
    if not present:
        return Markdown("The study holds no setting beyond the paper's yet (`make beyond`).")
    general, stream, network, both = classify(frame)
    lines = [f"Over the settings the study holds ({_names(present)}):"]
    for claims, words in ((general, "keep the paper configuration's grade in every setting"),
                          (stream, "change with the task stream only"),
                          (network, "change with the network only"),
                          (both, "change with both the stream and the network")):
        if claims:
            verb = words if len(claims) > 1 else words.replace("keep ", "keeps ", 1).replace("change ", "changes ", 1)
            lines.append(f"- {plural(len(claims), 'claim')} {verb}: {', '.join(claims)}.")
    note = _provisional(frame, present)
    if note:
        lines.append("\n" + note.strip())
    return Markdown("\n".join(lines))


def changed_pairs(frame: pd.DataFrame, setting: str) -> list[str]:
    """The pairs behind the claims whose grade changes in ``setting``, in the paper's pair order."""
    claims = frame[(frame.setting == setting) & frame.changed].claim
    wanted = {pair for claim in claims for pair in CLAIM_PAIRS[claim]}
    return [pair for pair in ("mas_fis", "fis_mas2", "mas_si", "mas_sig", "fis_si", "fis_sig", "si_sig") if pair in wanted]


def surfaces_caption(frame: pd.DataFrame, setting: str) -> Markdown:
    """The line above a setting's surfaces: which claims change there and which pairs the menu offers."""
    claims = list(frame[(frame.setting == setting) & frame.changed].claim)
    pairs = changed_pairs(frame, setting)
    return Markdown(f"**{SHORT_NAMES.get(setting, setting)}** ({plural(len(claims), 'claim')} change: "
                    f"{', '.join(claims)}); the menu picks {', '.join(pair_label(p) for p in pairs)}.")


def layer_story(means: pd.DataFrame, high: float = 0.8) -> Markdown:
    """The per-layer story of a network after the last task: on which layers the three gradient-based methods
    agree (every one of MAS–FIS, MAS–SI, FIS–SI above ``high``), and on which each SIG pair is negative."""
    layers = sorted(means.layer.unique())
    indexed = means.set_index(["pair", "layer"])["mean"]
    agree = [layer for layer in layers
             if all(indexed.get((p, layer), float("nan")) > high for p in ("mas_fis", "mas_si", "fis_si"))]
    lines = [f"After the last task (seed means), MAS–FIS, MAS–SI and FIS–SI all exceed {high:g} on "
             + (f"layer{'s' if len(agree) > 1 else ''} {', '.join(map(str, agree))}" if agree else "no layer")
             + f" of {len(layers)}."]
    nowhere = []
    for pair in ("mas_sig", "fis_sig", "si_sig"):
        negative = [layer for layer in layers if indexed.get((pair, layer), float("nan")) < 0]
        if negative:
            lines.append(f"{pair_label(pair)} is negative on layer{'s' if len(negative) > 1 else ''} "
                         f"{', '.join(map(str, negative))}.")
        else:
            nowhere.append(pair)
    if nowhere:
        labels = [pair_label(p) for p in nowhere]
        subject = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        lowest = ", ".join(f"{pair_label(p)} {indexed[p].min():.2f} on layer {indexed[p].idxmin()}" for p in nowhere)
        lines.append(f"{subject} {'is' if len(labels) == 1 else 'are'} negative on no layer (lowest: {lowest}).")
    return Markdown(" ".join(lines))


def layer_table(means: pd.DataFrame) -> pd.DataFrame:
    """Pairs (rows) × layers (columns): seed mean ± std after the last task."""
    cell = means.assign(text=[f"{m:.2f} ± {0.0 if pd.isna(s) else s:.2f}" for m, s in zip(means["mean"], means["std"])])
    wide = cell.pivot(index="pair", columns="layer", values="text")
    wide = wide.reindex([p for p in dict.fromkeys(means.pair)])
    wide.index = [pair_label(p) for p in wide.index]
    wide.columns = [f"layer {int(c)}" for c in wide.columns]
    wide.index.name = "pair"
    return wide.reset_index()
