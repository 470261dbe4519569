"""The figures of the pages that read the λ-grid study beyond its claims ("Choosing λ", "How stable are the
surfaces?", "Accumulated vs per-task importances"), each drawn from the page's findings record
(:mod:`paper_code.studies.findings.grid`), so a page shows exactly the numbers its prose states.

Colour scales are fitted to the data: a half-width of 0.01 and one of 0.05 differ in shade, and a difference
scale is centred on zero and ends at the largest difference, not at ±1.
"""

from __future__ import annotations

import math

import numpy as np

from paper_code.extras import require
from paper_code.figures.style import CORRELATION_COLORSCALE, METHOD_COLORS, colorbar, title_below_modebar
from paper_code.labels import pair_label, reg_label

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

#: The colour of everything that is the paper author's, and of one seed's dots, where no method colour applies.
AUTHOR_GREY = "#555555"
#: One colour per seed in the seed-by-seed figures (a sequential set, so no seed reads as a method).
SEED_COLORS = ("#08306b", "#2171b5", "#6baed6", "#fd8d3c", "#a63603", "#54278f", "#238b45")


def _rows(record: dict, grid_key: str = "grid") -> list[tuple[str, str]]:
    """(pair, layer) of every row of a pair-by-layer heatmap, in the record's pair order."""
    grid = record[grid_key]
    return [(pair, layer) for pair in grid for layer in sorted(grid[pair], key=int)]


def _row_label(pair: str, layer: str, last: int) -> str:
    where = " (input)" if int(layer) == 1 else " (output)" if int(layer) == last else ""
    return f"{pair_label(pair)}, layer {layer}{where}"


def lambda_panels(record: dict, title: str) -> "go.Figure":
    """One panel per importance inside EWC: final accuracy against λ (log axis), the mean over the seeds that chose
    λ (line), each of those seeds (dots), the selected λ (open circle) and, dotted, the paper author's mean over his
    runs at every λ of his grid within the panel's range."""
    entries = record["regularizers"]
    regs = record["order"]
    cols = 2
    rows = math.ceil((len(regs) + 1) / cols)
    titles = [f"{reg_label(r)}: λ = {entries[r]['lam']:g}" for r in regs]
    figure = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.12,
                           vertical_spacing=0.16 if rows > 2 else 0.2)
    for index, reg in enumerate(regs):
        entry = entries[reg]
        row, col = index // cols + 1, index % cols + 1
        color = METHOD_COLORS.get(reg, "#333333")
        points = entry["points"]
        lams = [p["lam"] for p in points]
        low_lam, high_lam = min(lams) / 1.6, max(lams) * 1.6
        shown = []
        author = entry.get("author")
        if author:
            curve = [(lam, acc, n) for lam, acc, n in zip(author["curve"]["lam"], author["curve"]["accuracy"],
                                                           author["curve"]["runs"]) if low_lam <= lam <= high_lam]
            figure.add_scatter(
                x=[c[0] for c in curve], y=[c[1] for c in curve], mode="lines", row=row, col=col,
                line=dict(color=AUTHOR_GREY, dash="dot", width=1.5), name="author's logs, mean of runs",
                legendgroup="author", showlegend=index == 0, customdata=[[c[2]] for c in curve],
                hovertemplate="the author's logs<br>λ = %{x:g}<br>accuracy %{y:.4f} (%{customdata[0]} runs)"
                              "<extra></extra>")
            shown += [c[1] for c in curve]
        seeds = sorted({s for p in points for s in p["by_seed"]}, key=int)
        figure.add_scatter(
            x=[p["lam"] for p in points for s in seeds if s in p["by_seed"]],
            y=[p["by_seed"][s] for p in points for s in seeds if s in p["by_seed"]],
            mode="markers", row=row, col=col, marker=dict(size=6, color=color, opacity=0.45),
            name="one seed that chose λ", legendgroup="seed", showlegend=index == 0,
            customdata=[[s] for p in points for s in seeds if s in p["by_seed"]],
            hovertemplate="seed %{customdata[0]}<br>λ = %{x:g}<br>accuracy %{y:.4f}<extra></extra>")
        figure.add_scatter(
            x=lams, y=[p["accuracy"] for p in points], mode="lines+markers", row=row, col=col,
            line=dict(color=color, width=2.5), marker=dict(size=7, color=color),
            name="their mean", legendgroup="mean", showlegend=index == 0,
            hovertemplate=f"{reg_label(reg)}<br>λ = %{{x:g}}<br>mean accuracy %{{y:.4f}}<extra></extra>")
        chosen = next(p for p in points if p["lam"] == entry["lam"])
        figure.add_scatter(
            x=[chosen["lam"]], y=[chosen["accuracy"]], mode="markers", row=row, col=col,
            marker=dict(size=17, symbol="circle-open", color=color, line=dict(width=3, color=color)),
            name="selected λ", legendgroup="selected", showlegend=index == 0, hoverinfo="skip")
        shown += [p["accuracy"] for p in points] + [v for p in points for v in p["by_seed"].values()]
        bottom, top = min(shown), max(shown)
        pad = 0.08 * max(top - bottom, 0.005)
        figure.update_yaxes(range=[bottom - pad, top + pad], row=row, col=col, tickformat=".2f", nticks=5)
        figure.update_xaxes(type="log", range=[math.log10(low_lam), math.log10(high_lam)], row=row, col=col,
                            tickvals=lams, ticktext=[f"{lam:g}" for lam in lams])
    figure.update_xaxes(title_text="λ (log scale)", title_standoff=4)
    figure.update_yaxes(title_text="final accuracy", title_standoff=4)
    # The legend takes the free panel at the bottom right.
    figure.update_layout(
        title=title_below_modebar(title),
        legend=dict(x=1.0, xanchor="right", y=0.0, yanchor="bottom", font=dict(size=12)),
        height=280 * rows + 90,
        margin=dict(l=60, r=20, t=90, b=50),
    )
    return figure


def halfwidth_heatmap(record: dict, title: str) -> "go.Figure":
    """The half-width of the 95 % interval of every cell's seed mean: one row per pair and layer, one column per
    task learned, colours from 0 to the widest; the cells whose seeds disagree on the sign are ringed."""
    rows = _rows(record)
    last = int(record["output_layer"])
    tasks = record["grid"][rows[0][0]][rows[0][1]]["tasks"]
    labels = [_row_label(pair, layer, last) for pair, layer in rows]
    z = np.array([record["grid"][pair][layer]["halves"] for pair, layer in rows], dtype=float)
    means = np.array([record["grid"][pair][layer]["means"] for pair, layer in rows], dtype=float)
    top = max(0.01, math.ceil(float(np.nanmax(z)) * 100 - 1e-9) / 100)
    figure = go.Figure(go.Heatmap(
        x=tasks, y=labels, z=z, zmin=0.0, zmax=top, colorscale="Blues", texttemplate="%{z:.3f}",
        textfont=dict(size=10), customdata=means,
        hovertemplate="%{y}<br>after task %{x}<br>seed mean %{customdata:.3f} ± %{z:.3f}<extra></extra>",
        colorbar=colorbar("± half-width"),
    ))
    unstable = record["unstable"]["cells"]
    if unstable:
        figure.add_scatter(
            x=[c["task"] for c in unstable], y=[_row_label(c["pair"], str(c["layer"]), last) for c in unstable],
            mode="markers", marker=dict(symbol="square-open", size=30, color="#d62728", line=dict(width=2.5)),
            name="seeds disagree on the sign", hoverinfo="skip")
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text="tasks learned"), tickvals=tasks, side="bottom"),
        yaxis=dict(autorange="reversed", automargin=True, ticklabelstandoff=4),
        legend=dict(orientation="h", x=0.0, y=-0.08, yanchor="top"),
        height=150 + 27 * len(rows),
        margin=dict(l=20, r=20, t=90, b=70),
    )
    return figure


def seed_lines(record: dict, title: str) -> "go.Figure":
    """The output layer of each SIG pair, one line per seed over the tasks learned, with zero marked: where a sign
    rests on the seed."""
    lines = record["seed_lines"]
    pairs = list(lines)
    figure = make_subplots(rows=1, cols=len(pairs), shared_yaxes=True, horizontal_spacing=0.04,
                           subplot_titles=[pair_label(p) for p in pairs])
    values = [v for pair in pairs for seed in lines[pair] for v in lines[pair][seed]]
    for col, pair in enumerate(pairs, start=1):
        for index, (seed, series) in enumerate(sorted(lines[pair].items(), key=lambda item: int(item[0]))):
            tasks = list(range(1, len(series) + 1))
            figure.add_scatter(
                x=tasks, y=series, mode="lines+markers", row=1, col=col,
                line=dict(color=SEED_COLORS[index % len(SEED_COLORS)], width=1.5), marker=dict(size=4),
                name=f"seed {seed}", legendgroup=seed, showlegend=col == 1,
                hovertemplate=f"{pair_label(pair)}, seed {seed}<br>after task %{{x}}<br>r = %{{y:.3f}}<extra></extra>")
        figure.add_hline(y=0.0, line=dict(color="#222222", width=1.2), row=1, col=col)
        figure.update_xaxes(tickvals=[1, 5, 10] if len(tasks) >= 10 else tasks, row=1, col=col)
    bottom, top = min(values + [0.0]), max(values + [0.0])
    pad = 0.08 * (top - bottom)
    figure.update_yaxes(range=[bottom - pad, top + pad])
    figure.update_yaxes(title_text="Pearson r, output layer", row=1, col=1)
    figure.update_xaxes(title_text="tasks learned")
    figure.update_layout(
        title=title_below_modebar(title),
        legend=dict(orientation="h", x=0.0, y=-0.22, yanchor="top"),
        height=400, margin=dict(l=60, r=20, t=90, b=100),
    )
    return figure


def difference_heatmap(record: dict, title: str) -> "go.Figure":
    """Accumulated minus per-task correlation, seed means: one row per pair and layer, one column per task
    learned, a diverging scale centred on zero that ends at the largest difference (rounded up to 0.05)."""
    rows = _rows(record)
    last = int(record["output_layer"])
    tasks = record["grid_tasks"]
    labels = [_row_label(pair, layer, last) for pair, layer in rows]
    z = np.array([record["grid"][pair][layer] for pair, layer in rows], dtype=float)
    bound = max(0.05, math.ceil(float(np.nanmax(np.abs(z))) * 20 - 1e-9) / 20)
    figure = go.Figure(go.Heatmap(
        x=tasks, y=labels, z=z, zmin=-bound, zmax=bound, colorscale=CORRELATION_COLORSCALE,
        texttemplate="%{z:.2f}", textfont=dict(size=10),
        hovertemplate="%{y}<br>after task %{x}<br>accumulated − per-task = %{z:.3f}<extra></extra>",
        colorbar=colorbar(f"accumulated − per-task (±{bound:g})"),
    ))
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text="tasks learned"), tickvals=tasks, side="bottom"),
        yaxis=dict(autorange="reversed", automargin=True, ticklabelstandoff=4),
        height=150 + 27 * len(rows),
        margin=dict(l=20, r=20, t=90, b=50),
    )
    return figure
