"""Plotly figures of a study (a sweep folder): λ curves, the method comparison, seed bands, per-task correlations.

The builders take the tables of :mod:`paper_code.studies.grid` and follow the look of
:mod:`paper_code.figures.style` (layer on x, tasks learned on y, correlation colours fixed on [-1, 1]).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from paper_code.extras import require
from paper_code.figures.style import CORRELATION_COLORSCALE, METHOD_COLORS, colorbar, surface_scene, title_below_modebar
from paper_code.labels import KIND_LABELS, pair_label, reg_label
from paper_code.studies.grid import LambdaChoice

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

def lambda_curves(summary: pd.DataFrame, choices: Mapping[str, LambdaChoice]) -> go.Figure:
    """Final average accuracy and average forgetting against λ (log axis), mean ± std over seeds.

    The selected λ of each regularizer is drawn as a large open marker. The axes span the EWC runs only:
    fine-tuning (no λ) sits far below in accuracy and far above in forgetting, and a line at its value would
    squeeze every EWC curve into a thin band; its numbers are given under the panels' titles instead.
    """
    ewc = summary[summary.reg != "none"]
    none = summary[summary.reg == "none"]
    titles = []
    for metric, name in (("accuracy", "final average accuracy"), ("forgetting", "average forgetting")):
        below = "" if none.empty else f"<br><sup>fine-tuning (no penalty): {float(none.iloc[0][f'{metric}_mean']):.3f}</sup>"
        titles.append(name + below)
    figure = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)
    regs = [r for r in METHOD_COLORS if r in set(ewc.reg)]
    for reg in regs:
        rows = ewc[ewc.reg == reg].sort_values("lam")
        for col, metric in ((1, "accuracy"), (2, "forgetting")):
            figure.add_scatter(
                x=rows.lam, y=rows[f"{metric}_mean"], mode="lines+markers", row=1, col=col,
                error_y=dict(type="data", array=rows[f"{metric}_std"].fillna(0), visible=True),
                line=dict(color=METHOD_COLORS[reg]), name=reg_label(reg), legendgroup=reg, showlegend=col == 1,
                customdata=rows[["seeds"]].to_numpy(),
                hovertemplate=f"{reg_label(reg)}<br>λ = %{{x:g}}<br>{metric} %{{y:.4f}} ± %{{error_y.array:.4f}}"
                "<br>%{customdata[0]} seeds<extra></extra>",
            )
            if reg in choices:
                chosen = rows[rows.lam == choices[reg].lam]
                figure.add_scatter(
                    x=chosen.lam, y=chosen[f"{metric}_mean"], mode="markers", row=1, col=col,
                    marker=dict(size=16, symbol="circle-open", color=METHOD_COLORS[reg],  # open symbols stroke in marker.color
                                line=dict(width=3, color=METHOD_COLORS[reg])),
                    legendgroup=reg, showlegend=False, hoverinfo="skip",
                )
    for col, metric in ((1, "accuracy"), (2, "forgetting")):
        if ewc.empty:
            continue
        spread = ewc[f"{metric}_std"].fillna(0)
        low, high = float((ewc[f"{metric}_mean"] - spread).min()), float((ewc[f"{metric}_mean"] + spread).max())
        pad = 0.08 * max(high - low, 1e-3)
        figure.update_yaxes(range=[low - pad, high + pad], row=1, col=col)
    figure.update_xaxes(type="log", title_text="λ (log scale)")
    figure.update_yaxes(title_text="final average accuracy", row=1, col=1)
    figure.update_yaxes(title_text="average forgetting", row=1, col=2)
    figure.update_layout(
        title=title_below_modebar("EWC strength λ: mean ± std over seeds (open circle: selected λ)"),
        legend=dict(orientation="h", y=-0.25),
        height=490,
        margin=dict(l=60, r=20, t=110, b=110),
    )
    return figure


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


def per_task_surfaces(frame: pd.DataFrame, pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """For each pair, the correlation of accumulated importances (coloured) and of each task's own
    importances (grey wireframe-like, translucent); a dropdown picks the pair."""
    pairs = [p for p in pairs if (frame.pair == p).any()]
    traces, owners, titles = [], [], []
    for pair in pairs:
        accumulated, per_task = _grid(frame, pair, "accumulated"), _grid(frame, pair, "per_task")
        layers, tasks = [int(c) for c in accumulated.columns], [int(t) for t in accumulated.index]
        custom = np.stack([accumulated.to_numpy(), per_task.to_numpy()], axis=-1)
        hover = ("layer %{x}<br>tasks learned %{y}<br>accumulated %{customdata[0]:.3f}"
                 "<br>this task only %{customdata[1]:.3f}<extra></extra>")
        traces.append(go.Surface(x=layers, y=tasks, z=accumulated.to_numpy(), customdata=custom, hovertemplate=hover,
                                 colorscale=CORRELATION_COLORSCALE, cmin=-1, cmax=1, name="accumulated",
                                 colorbar=colorbar("corr.", len=0.75)))
        traces.append(go.Surface(x=layers, y=tasks, z=per_task.to_numpy(), customdata=custom, hovertemplate=hover,
                                 colorscale=[[0, "rgb(40,40,40)"], [1, "rgb(40,40,40)"]], showscale=False,
                                 opacity=0.45, name="per task"))
        owners += [pair, pair]
        titles.append(f"{pair_label(pair)}: accumulated (coloured) vs this task's own importances (grey), "
                      f"{KIND_LABELS[kind]}")
    return _pair_figure(traces, owners, pairs, titles, frame, title_size=14, z_title=KIND_LABELS[kind])


def difference_heatmap(frame: pd.DataFrame, pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """Per-task minus accumulated correlation: one row per pair and layer, one column per task learned.

    The colour scale is symmetric about zero and ends at the largest difference (rounded up to a tenth), not at
    ±1: the differences are small, and on ±1 they would all look white.
    """
    pairs = [p for p in pairs if (frame.pair == p).any()]
    rows = [(pair, layer) for pair in pairs for layer in sorted(frame[frame.pair == pair].layer.unique())]
    tasks = sorted(frame.task.unique())
    indexed = frame.set_index(["pair", "layer", "task"]).difference
    z = np.array([[indexed.get((pair, layer, task), np.nan) for task in tasks] for pair, layer in rows])
    labels = [f"{pair_label(pair)} L{layer}" for pair, layer in rows]
    largest = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.1
    bound = max(0.1, float(np.ceil(largest * 10 - 1e-9) / 10))
    figure = go.Figure(go.Heatmap(
        x=tasks, y=labels, z=z, zmin=-bound, zmax=bound, colorscale=CORRELATION_COLORSCALE, texttemplate="%{z:.2f}",
        textfont=dict(size=11),
        hovertemplate="%{y}<br>tasks learned %{x}<br>per-task − accumulated = %{z:.3f}<extra></extra>",
        colorbar=colorbar("difference"),
    ))
    figure.update_layout(
        title=title_below_modebar(f"Per-task minus accumulated correlation ({KIND_LABELS[kind]}, seed mean)<br>"
                                  f"<sup>colour scale ±{bound:g}; rows: pair and layer (L1 = input … L3 = output)</sup>"),
        xaxis=dict(title=dict(text="tasks learned"), tickvals=tasks, side="bottom"),
        yaxis=dict(autorange="reversed", automargin=True, ticklabelstandoff=4),
        height=150 + 26 * len(rows),
        margin=dict(l=20, r=20, t=84, b=50),
    )
    return figure
