"""The figures of a claim: what its grade is computed on, drawn so the difference the text talks about shows.

A claim is graded on the seed means of its cells, so every figure here draws seed means (one run's values are
a seed mean of one). Colours are centred on the claim's threshold and stretched to the data, not fixed on
[-1, 1]: 0.70 and 0.92 are two colours, and a cell's side of the threshold is its hue. A translucent plane marks
the threshold in the 3D surfaces. Hovering shows each cell's mean, the half-width of its 95 % interval over the
seeds and their number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from paper_code.analysis.spread import T_975
from paper_code.extras import require
from paper_code.figures.style import (
    CORRELATION_COLORSCALE,
    LAYER_AXIS,
    colorbar,
    surface_scene,
    title_below_modebar,
)
from paper_code.labels import KIND_LABELS, pair_label

go = require("plotly.graph_objects", "book")


def cell_band(correlations: pd.DataFrame, pair: str, kind: str = "pearson") -> pd.DataFrame:
    """``layer, task, mean, half, seeds`` of ``pair``: the seed mean of each cell and its 95 % half-width."""
    rows = correlations[correlations["pair"] == pair]
    if rows.empty:
        raise ValueError(f"pair {pair!r} is not in these results")
    band = rows.groupby(["layer", "task"])[kind].agg(mean="mean", std="std", seeds="count").reset_index()
    band["half"] = [T_975.get(int(n) - 1, 1.96) * s / math.sqrt(n) if n > 1 else np.nan
                    for s, n in zip(band["std"], band["seeds"])]
    return band


def difference_band(correlations: pd.DataFrame, pair: str, other: str, kind: str = "pearson") -> pd.DataFrame:
    """The same band for ``pair`` minus ``other``, cell by cell and seed by seed."""
    keys = ["seed", "layer", "task"]
    a = correlations[correlations["pair"] == pair].set_index(keys)[kind]
    b = correlations[correlations["pair"] == other].set_index(keys)[kind]
    gap = (a - b).dropna().rename(kind).reset_index().assign(pair="difference")
    return cell_band(gap, "difference", kind)


def centred_range(values: np.ndarray, centre: float, step: float = 0.05) -> tuple[float, float]:
    """A colour range centred on ``centre`` that just holds every value, its half-width rounded up to ``step``."""
    finite = values[np.isfinite(values)]
    reach = float(np.max(np.abs(finite - centre))) if finite.size else step
    reach = max(step, math.ceil(reach / step - 1e-9) * step)
    return centre - reach, centre + reach


def _grid(band: pd.DataFrame, column: str) -> pd.DataFrame:
    return band.pivot(index="task", columns="layer", values=column).sort_index().sort_index(axis=1)


def _hover(kind_label: str) -> str:
    return ("layer %{x}<br>tasks learned %{y}<br>" + kind_label
            + " = %{customdata[0]:.3f} ± %{customdata[1]:.3f}<br>(mean over %{customdata[2]:.0f} seeds, "
            "95 % interval)<extra></extra>")


def threshold_plane(layers: list[int], tasks: list[int], level: float) -> "go.Surface":
    """A translucent grey plane at the claim's threshold."""
    return go.Surface(x=[min(layers), max(layers)], y=[min(tasks), max(tasks)], z=np.full((2, 2), level),
                      surfacecolor=np.zeros((2, 2)), colorscale=[[0, "rgb(90,90,90)"], [1, "rgb(90,90,90)"]],
                      showscale=False, opacity=0.18, hoverinfo="skip", name=f"threshold {level:g}")


def claim_surface(band: pd.DataFrame, threshold: float, title: str, kind: str = "pearson",
                  z_title: str | None = None) -> go.Figure:
    """The seed-mean surface over (layer, tasks learned), coloured around ``threshold``, with its plane."""
    means = _grid(band, "mean")
    layers, tasks = [int(c) for c in means.columns], [int(t) for t in means.index]
    custom = np.stack([means.to_numpy(), _grid(band, "half").to_numpy(), _grid(band, "seeds").to_numpy()], axis=-1)
    low, high = centred_range(means.to_numpy(), threshold)
    figure = go.Figure([
        go.Surface(x=layers, y=tasks, z=means.to_numpy(), customdata=custom, hovertemplate=_hover(KIND_LABELS[kind]),
                   colorscale=CORRELATION_COLORSCALE, cmin=low, cmax=high, name=KIND_LABELS[kind],
                   colorbar=colorbar(f"{KIND_LABELS[kind]} (centred on {threshold:g})", len=0.75)),
        threshold_plane(layers, tasks, threshold),
    ])
    scene = surface_scene(layers, tasks, z_title or KIND_LABELS[kind], pad_layers=True)
    finite = means.to_numpy()[np.isfinite(means.to_numpy())]
    z_low = math.floor((min(finite.min(), threshold) - 0.05) * 10) / 10
    z_high = math.ceil((max(finite.max(), threshold) + 0.05) * 10) / 10
    # No tick at the bottom of the range: it sits on the corner where the layer axis's first tick label is drawn.
    ticks = [round(z_low + 0.1 * i, 1) for i in range(1, int(round((z_high - z_low) * 10)) + 1)]
    scene["zaxis"] = dict(title=dict(text=z_title or KIND_LABELS[kind]), range=[z_low, z_high],
                          tickvals=ticks if len(ticks) <= 6 else ticks[1::2])
    figure.update_layout(title=title_below_modebar(title), scene=scene, height=560, margin=dict(l=0, r=0, t=70, b=0))
    return figure


def claim_heatmap(band: pd.DataFrame, threshold: float, title: str, kind: str = "pearson",
                  value_label: str | None = None) -> go.Figure:
    """The seed means cell by cell, printed, coloured around ``threshold`` (the numbers behind the surface)."""
    means = _grid(band, "mean")
    tasks = [int(t) for t in means.index]
    custom = np.stack([means.to_numpy(), _grid(band, "half").to_numpy(), _grid(band, "seeds").to_numpy()], axis=-1)
    low, high = centred_range(means.to_numpy(), threshold)
    label = value_label or KIND_LABELS[kind]
    figure = go.Figure(go.Heatmap(
        x=[f"layer {int(c)}" for c in means.columns], y=tasks, z=means.to_numpy(), customdata=custom,
        zmin=low, zmax=high, colorscale=CORRELATION_COLORSCALE, texttemplate="%{z:.2f}",
        hovertemplate=_hover(label).replace("layer %{x}", "%{x}"),
        colorbar=colorbar(f"{label} (centred on {threshold:g})"),
    ))
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text=LAYER_AXIS), side="bottom"),
        yaxis=dict(title=dict(text="tasks learned"), tickvals=tasks, autorange="reversed"),
        height=max(260, 90 + 34 * len(tasks)), margin=dict(l=60, r=20, t=70, b=50),
    )
    return figure


def pair_title(pair: str, seeds: int, what: str = "", centre: str | None = "the claim's threshold") -> str:
    """A figure title naming the pair and how many seeds its means are over, and, for a coloured figure, what its
    colours are centred on (``centre``; ``None`` for a figure of lines, whose bands are named instead)."""
    over = "one run" if seeds == 1 else f"mean of {seeds} seeds" + ("" if centre else ", bands: 95 % intervals")
    return f"{what or pair_label(pair)}<br><sup>{over}" + (f"; colours centred on {centre}" if centre else "") + "</sup>"


#: Colour of each layer in the layer-line figures: three hues that stay apart for colour-blind readers (the first
#: three of ColorBrewer's Dark2), where shades of one blue left the input and middle layers hard to tell apart.
LAYER_LINE_COLORS = {1: "#1b9e77", 2: "#d95f02", 3: "#7570b3"}


def layer_lines(band: pd.DataFrame, title: str, thresholds: dict[int, float] | None = None,
                kind: str = "pearson") -> go.Figure:
    """One line per layer over the tasks learned, with its 95 % band over the seeds: the surface read layer by
    layer. ``thresholds`` draws each layer's claim threshold as a dashed line in the layer's colour."""
    figure = go.Figure()
    layers = sorted(int(layer) for layer in band["layer"].unique())
    last = max(layers)
    for layer in layers:
        rows = band[band["layer"] == layer].sort_values("task")
        color = LAYER_LINE_COLORS.get(layer, "#4292c6") if last <= 3 else None
        name = f"layer {layer}" + (" (input)" if layer == 1 else " (output)" if layer == last else "")
        half = rows["half"].fillna(0.0)
        figure.add_scatter(x=list(rows["task"]) + list(rows["task"])[::-1],
                           y=list(rows["mean"] + half) + list(rows["mean"] - half)[::-1],
                           fill="toself", fillcolor=color, opacity=0.2, line=dict(width=0), hoverinfo="skip",
                           showlegend=False, legendgroup=name)
        figure.add_scatter(x=rows["task"], y=rows["mean"], mode="lines+markers", name=name, legendgroup=name,
                           line=dict(color=color, width=2.5), customdata=np.stack([rows["half"], rows["seeds"]], -1),
                           hovertemplate=name + ", after task %{x}<br>" + KIND_LABELS[kind]
                           + " = %{y:.3f} ± %{customdata[0]:.3f} (%{customdata[1]:.0f} seeds)<extra></extra>")
        if thresholds and layer in thresholds:
            figure.add_hline(y=thresholds[layer], line=dict(color=color, dash="dash", width=1.5))
    figure.add_hline(y=0.0, line=dict(color="#888888", width=1))
    tasks = sorted(int(t) for t in band["task"].unique())
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text="tasks learned"), tickvals=tasks),
        yaxis=dict(title=dict(text=KIND_LABELS[kind]), zeroline=False),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        height=420, margin=dict(l=60, r=20, t=110, b=50),
    )
    return figure
