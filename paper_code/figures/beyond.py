"""The figures of "Beyond permuted MNIST", each read from the page's findings record (``study/findings/b8.json``):
what differs between the settings, not each setting's surfaces one after another."""

from __future__ import annotations

from typing import Any

from paper_code.extras import require
from paper_code.figures.style import CORRELATION_COLORSCALE, colorbar, title_below_modebar
from paper_code.labels import pair_label
from paper_code.studies.claims import SIG_INPUT_AT_LEAST

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

#: One colour per column of the comparison: the paper's configuration in black, the streams in warm colours, the
#: networks in cool ones.
SETTING_COLORS = {"paper": "#222222", "split": "#d95f02", "rotated": "#e7298a", "relu": "#1b9e77", "deep": "#7570b3"}
#: One colour per pair in the layer profiles: the gradient-based pairs in blues, the SIG pairs in reds.
PAIR_COLORS = {"mas_fis": "#08519c", "mas_si": "#3182bd", "fis_si": "#6baed6",
               "mas_sig": "#a50f15", "fis_sig": "#ef3b2c", "si_sig": "#fc9272"}


def _wrap(text: str, width: int = 30) -> str:
    """``text`` on lines of at most ``width`` characters, broken at spaces (plotly's ``<br>``)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def passing_heatmap(record: dict[str, Any], title: str) -> "go.Figure":
    """Every correlation claim (rows, by what the paper says) in every column (the paper's configuration, then the
    settings): the share of its cells whose seed mean passes, printed as "passing/judged", coloured around one
    half (more than half: "partly holds" at least)."""
    order, claims = record["order"], record["claims"]
    keys = list(claims)[::-1]  # plotly draws the first row at the bottom
    names = [record["columns"][name]["short"].replace(" ", "<br>") for name in order]
    z, text, custom = [], [], []
    for key in keys:
        grades = claims[key]["grades"]
        z.append([grades[n]["share"] for n in order])
        text.append([f"{grades[n]['held']}/{grades[n]['judged']}" for n in order])
        custom.append([grades[n]["grade"] for n in order])
    figure = go.Figure(go.Heatmap(
        x=names, y=[_wrap(claims[k]["statement"], 28) for k in keys], z=z, text=text, customdata=custom,
        texttemplate="%{text}", textfont=dict(size=12), zmin=0.0, zmax=1.0, colorscale=CORRELATION_COLORSCALE,
        xgap=2, ygap=2, colorbar=colorbar("share of cells passing (centred on ½)", tickformat=".0%", len=0.9),
        hovertemplate="%{y}<br>%{x}: %{text} cells pass<br>grade: %{customdata}<extra></extra>",
    ))
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(side="top", tickfont=dict(size=12)), yaxis=dict(tickfont=dict(size=12), automargin=True),
        height=140 + 46 * len(keys), margin=dict(l=10, r=110, t=110, b=20),
    )
    return figure


def sig_lines(record: dict[str, Any], title: str) -> "go.Figure":
    """The three SIG pairs (rows) on the input and the output layer (columns) after each task, one line per column
    of the comparison with its 95 % band over the seeds, and the claims' thresholds dashed (0.4 on the input layer,
    0 on the output layer)."""
    pairs = ("mas_sig", "fis_sig", "si_sig")
    figure = make_subplots(rows=len(pairs), cols=2, shared_xaxes=True, shared_yaxes=False, horizontal_spacing=0.1,
                           vertical_spacing=0.06,
                           column_titles=[f"input layer (threshold {SIG_INPUT_AT_LEAST:g})", "output layer (threshold 0)"],
                           row_titles=[pair_label(p) for p in pairs])
    for row, pair in enumerate(pairs, start=1):
        for col, side in enumerate(("input", "output"), start=1):
            for name in record["order"]:
                points = record["sig_lines"][name][pair][side]
                tasks = [p["task"] for p in points]
                means = [p["mean"] for p in points]
                halves = [p["half"] or 0.0 for p in points]
                color = SETTING_COLORS.get(name, "#555555")
                short = record["columns"][name]["short"]
                figure.add_scatter(x=tasks + tasks[::-1],
                                   y=[m + h for m, h in zip(means, halves)] + [m - h for m, h in zip(means, halves)][::-1],
                                   mode="lines", fill="toself", fillcolor=_rgba(color, 0.15), line=dict(width=0),
                                   hoverinfo="skip",
                                   showlegend=False, legendgroup=name, row=row, col=col)
                figure.add_scatter(x=tasks, y=means, mode="lines+markers", name=short, legendgroup=name,
                                   showlegend=row == 1 and col == 1, line=dict(color=color, width=2),
                                   marker=dict(size=4), customdata=halves,
                                   hovertemplate=f"{short}, {pair_label(pair)}, {side} layer<br>after task %{{x}}: "
                                                 "%{y:.3f} ± %{customdata:.3f}<extra></extra>", row=row, col=col)
            figure.add_hline(y=SIG_INPUT_AT_LEAST if side == "input" else 0.0,
                             line=dict(color="#555555", dash="dash", width=1), row=row, col=col)
    figure.update_xaxes(tickvals=list(range(1, 11)), row=len(pairs))
    figure.update_xaxes(title_text="tasks learned", row=len(pairs))
    figure.update_yaxes(title_text="Pearson r", col=1)
    figure.update_annotations(font_size=12)
    figure.update_layout(
        title=title_below_modebar(title), height=800, margin=dict(l=60, r=40, t=110, b=110),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.1, yanchor="top", font=dict(size=12)),
    )
    return figure


def layer_profiles(record: dict[str, Any], names: tuple[str, ...], title: str) -> "go.Figure":
    """Every pair on every layer after the last task, one panel per column named (the paper's network beside the
    deep one): seed means with their 95 % intervals, the agreement threshold dashed and zero drawn."""
    present = [n for n in names if n in record["layers_last"]]
    figure = make_subplots(rows=1, cols=len(present), shared_yaxes=True, horizontal_spacing=0.06,
                           column_titles=[f"{record['columns'][n]['short']} ({record['columns'][n]['layers']} layers)"
                                          for n in present])
    for col, name in enumerate(present, start=1):
        layers = record["layers_last"][name]
        for pair, color in PAIR_COLORS.items():
            if pair not in layers:
                continue
            numbers = sorted(int(layer) for layer in layers[pair])
            cells = [layers[pair][str(layer)] for layer in numbers]
            figure.add_scatter(x=numbers, y=[c["mean"] for c in cells], mode="lines+markers", name=pair_label(pair),
                               legendgroup=pair, showlegend=col == 1, line=dict(color=color, width=2),
                               error_y=dict(type="data", array=[c["half"] or 0.0 for c in cells], visible=True,
                                            thickness=1.2),
                               hovertemplate=f"{pair_label(pair)}, layer %{{x}}: %{{y:.3f}} ± %{{error_y.array:.3f}}"
                                             "<extra></extra>", row=1, col=col)
        figure.add_hline(y=record["high"], line=dict(color="#08519c", dash="dash", width=1), row=1, col=col)
        figure.add_hline(y=0.0, line=dict(color="#888888", width=1), row=1, col=col)
        figure.update_xaxes(tickvals=sorted(int(layer) for layer in layers["mas_fis"]), title_text="layer (1 = input)",
                            row=1, col=col)
    figure.update_yaxes(title_text="Pearson r after the last task", col=1)
    figure.update_annotations(font_size=12)
    figure.update_layout(
        title=title_below_modebar(title), height=520, margin=dict(l=60, r=20, t=110, b=110),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.2, yanchor="top", font=dict(size=12)),
    )
    return figure
