"""The noise band beside the seed band: one point per correlation cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_code.extras import require
from paper_code.figures.style import title_below_modebar
from paper_code.labels import KIND_LABELS, pair_label

go = require("plotly.graph_objects", "book")

#: One colour per paper pair, in the paper's order.
PAIR_COLORS = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#1f77b4", "#8c564b", "#e377c2"]


def noise_scatter(both: pd.DataFrame, kind: str = "pearson") -> "go.Figure":
    """Rounding noise (y) against seed spread (x) of every (pair, layer, task) cell (the table of
    :func:`paper_code.studies.noise.noise_against_seeds`): on the diagonal, rounding alone moves a run as much
    as another seed does."""
    figure = go.Figure()
    top = float(np.nanmax([both.noise_std.max(), both.seed_std.max()])) * 1.05
    figure.add_scatter(x=[0, top], y=[0, top], mode="lines", line=dict(color="#999999", dash="dash"),
                       name="rounding = seeds", hoverinfo="skip")
    figure.add_scatter(x=[0, top], y=[0, top / 2], mode="lines", line=dict(color="#cccccc", dash="dot"),
                       name="rounding = half the seeds", hoverinfo="skip")
    for index, pair in enumerate(both.pair.unique()):
        rows = both[both.pair == pair]
        figure.add_scatter(
            x=rows.seed_std, y=rows.noise_std, mode="markers", name=pair_label(pair),
            marker=dict(size=7, color=PAIR_COLORS[index % len(PAIR_COLORS)], opacity=0.8),
            customdata=np.stack([rows.layer, rows.task, rows.noise_range], axis=-1),
            hovertemplate=pair_label(pair) + ", layer %{customdata[0]:.0f}, after task %{customdata[1]:.0f}"
                          "<br>seed spread σ %{x:.3f}<br>rounding noise σ %{y:.3f}"
                          "<br>widest span of one seed's members %{customdata[2]:.3f}<extra></extra>",
        )
    figure.update_layout(
        title=title_below_modebar(f"Rounding noise against seed spread, one point per cell ({KIND_LABELS[kind]})"),
        xaxis=dict(title=dict(text="σ over the study's seeds"), range=[0, top]),
        yaxis=dict(title=dict(text="σ of one seed under rounding alone"), range=[0, top], ticklabelstandoff=6),
        legend=dict(orientation="h", y=-0.2),
        height=520,
        margin=dict(l=60, r=20, t=70, b=110),
    )
    return figure


#: The three spreads of a correlation cell, as :func:`bands_by_task_lines` draws them.
BAND_STYLES = {
    "seed_std": ("seed spread (other seeds)", "#333333", "solid"),
    "noise_std": ("rounding (same seed, other kernels and threads)", "#d62728", "dash"),
    "sampling_std": ("sampling (same networks, other importance rows)", "#1f77b4", "dot"),
}


def bands_by_task_lines(frame: pd.DataFrame, kind: str = "pearson") -> "go.Figure":
    """The median σ of each spread against the number of tasks learned (a table of
    :func:`paper_code.studies.noise.bands_by_task`)."""
    figure = go.Figure()
    for column, (name, color, dash) in BAND_STYLES.items():
        if column not in frame or frame[column].isna().all():
            continue
        figure.add_scatter(x=frame.task, y=frame[column], mode="lines+markers", name=name,
                           line=dict(color=color, dash=dash), marker=dict(size=7),
                           hovertemplate=name + "<br>after task %{x}: median σ %{y:.4f}<extra></extra>")
    figure.update_layout(
        title=title_below_modebar(f"Three spreads of one cell, median over pairs and layers ({KIND_LABELS[kind]})"),
        xaxis=dict(title=dict(text="tasks learned"), dtick=1),
        yaxis=dict(title=dict(text="median σ of a cell"), rangemode="tozero"),
        legend=dict(orientation="h", y=-0.22),
        height=440,
        margin=dict(l=60, r=20, t=70, b=110),
    )
    return figure
