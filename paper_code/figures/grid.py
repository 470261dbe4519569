"""Plotly figures of a study (a sweep folder): λ curves, the method comparison, seed bands, per-task correlations.

The builders take the tables of :mod:`paper_code.studies.grid` and follow the look of
:mod:`paper_code.figures.style` (layer on x, tasks learned on y, correlation colours fixed on [-1, 1]).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from paper_code.extras import require
from paper_code.figures.style import CORRELATION_COLORSCALE, colorbar, surface_scene, title_below_modebar
from paper_code.labels import KIND_LABELS, pair_label

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

def _grid(frame: pd.DataFrame, pair: str, value: str) -> pd.DataFrame:
    rows = frame[frame.pair == pair]
    if rows.empty:
        raise ValueError(f"pair {pair!r} is not in this table (pairs: {', '.join(sorted(frame.pair.unique()))})")
    return rows.pivot(index="task", columns="layer", values=value).sort_index().sort_index(axis=1)


def _pair_menu(pairs: Sequence[str], owners: Sequence[str], titles: Sequence[str]) -> dict:
    return dict(
        type="dropdown", active=0, x=0.0, xanchor="left", y=1.0, yanchor="bottom", pad=dict(b=4),
        buttons=[
            dict(label=pair_label(pair), method="update",
                 args=[{"visible": [owner == pair for owner in owners]}, {"title.text": title}])
            for pair, title in zip(pairs, titles)
        ],
    )


def _pair_figure(traces: list, owners: list[str], pairs: Sequence[str], titles: Sequence[str],
                 frame: pd.DataFrame, title_size: int | None = None, z_title: str = "correlation") -> go.Figure:
    """One 3D figure holding every pair's traces, the first pair shown, the others a menu choice away."""
    figure = go.Figure(traces)
    for trace, owner in zip(figure.data, owners):
        trace.visible = owner == pairs[0]
    first = frame[frame.pair == pairs[0]]
    figure.update_layout(
        title=title_below_modebar(titles[0], size=title_size),
        updatemenus=[_pair_menu(pairs, owners, titles)],
        scene=surface_scene(sorted(first.layer.unique()), sorted(first.task.unique()), z_title),
        showlegend=False,
        height=600,
        margin=dict(l=0, r=0, t=96, b=0),
    )
    return figure


def band_surfaces(band: pd.DataFrame, pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """Each pair's seed-mean surface between two translucent surfaces at mean ± std; a dropdown picks the pair.

    Black dots mark the cells where the seeds disagree on the sign.
    """
    pairs = [p for p in pairs if (band.pair == p).any()]
    traces, owners, titles = [], [], []
    for pair in pairs:
        mean, std = _grid(band, pair, "mean"), _grid(band, pair, "std").fillna(0.0)
        stable = _grid(band, pair, "sign_stable").astype(bool)
        layers, tasks = [int(c) for c in mean.columns], [int(t) for t in mean.index]
        seeds = int(band[band.pair == pair].seeds.min())
        hover = ("layer %{x}<br>tasks learned %{y}<br>mean %{customdata[0]:.3f} ± %{customdata[1]:.3f}"
                 "<extra></extra>")
        custom = np.stack([mean.to_numpy(), std.to_numpy()], axis=-1)
        traces.append(go.Surface(x=layers, y=tasks, z=mean.to_numpy(), customdata=custom, hovertemplate=hover,
                                 colorscale=CORRELATION_COLORSCALE, cmin=-1, cmax=1, name="mean",
                                 colorbar=colorbar("corr.", len=0.75)))
        for sign in (-1, 1):
            traces.append(go.Surface(x=layers, y=tasks, z=(mean + sign * std).to_numpy(), opacity=0.3,
                                     colorscale=[[0, "rgb(80,80,80)"], [1, "rgb(80,80,80)"]], showscale=False,
                                     name=f"mean {'+' if sign > 0 else '−'} std", hoverinfo="skip"))
        unstable = [(layer, task, float(mean.loc[task, layer])) for task in tasks for layer in layers
                    if not stable.loc[task, layer]]
        traces.append(go.Scatter3d(x=[u[0] for u in unstable], y=[u[1] for u in unstable], z=[u[2] for u in unstable],
                                   mode="markers", marker=dict(size=4, color="black"), name="sign differs by seed",
                                   hovertemplate="layer %{x}, task %{y}: seeds disagree on the sign<extra></extra>"))
        owners += [pair] * 4
        titles.append(f"{pair_label(pair)}: mean ± std over {seeds} seeds ({KIND_LABELS[kind]})")
    return _pair_figure(traces, owners, pairs, titles, band, z_title=KIND_LABELS[kind])


