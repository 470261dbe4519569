"""Plotly figures of a results folder: correlation surfaces, heatmaps with values, the accuracy matrix.

Every builder takes the tidy tables of :func:`paper_code.load_results` (``results.correlations``,
``results.accuracy``) and returns a :class:`plotly.graph_objects.Figure`. Nothing here trains a
network or reads a checkpoint.

Conventions shared by every correlation figure, so pages compare at a glance:

- x is the layer (1 = input layer ... 3 = output layer), y the number of tasks learned so far;
- the colour scale is fixed on [-1, 1] (diverging, white at 0);
- hovering shows the layer, the task and both coefficients (Pearson's r and Spearman's rho);
- buttons on the figure switch between Pearson and Spearman without a kernel;
- titles sit below the band where plotly draws its modebar (:func:`title_below_modebar`), so hovering a
  figure never hides its title.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from paper_code.config import parse_pair
from paper_code.correlation import CORRELATION_KINDS
from paper_code.extras import require

go = require("plotly.graph_objects", "book")

KIND_LABELS = {"pearson": "Pearson r", "spearman": "Spearman ρ"}

#: Diverging colour scale: negative correlations blue, zero white, positive red.
CORRELATION_COLORSCALE = "RdBu_r"

METHOD_LABELS = {"fis": "FIS", "fis_true": "true Fisher", "mas": "MAS", "si": "SI", "sig": "SIG",
                 "magnitude": "|w|", "random": "random"}

#: Pixels kept free at the top of a figure for plotly's modebar (2 px from the top edge, 22-27 px high depending
#: on the page's styles), with a few to spare.
MODEBAR_CLEARANCE = 36
#: Plotly lifts a title of several lines (``<br>``) by this many pixels when it is anchored at its top.
MULTILINE_LIFT = 12

#: The layer axis of every correlation figure, spelled out once.
LAYER_AXIS = "layer (1 = input … 3 = output)"

#: Where every 3D correlation figure is seen from: far enough that the z axis keeps its title in view.
CAMERA_EYE = dict(x=1.8, y=-1.8, z=1.0)


def surface_scene(layers: Sequence[int], tasks: Sequence[int], z_title: str, pad_layers: bool = False) -> dict:
    """The 3D scene of every correlation surface: layers across, tasks learned along, the coefficient on [-1, 1].

    ``pad_layers`` leaves a tenth of a layer either side, so a surface drawn edge to edge is not clipped.
    """
    layer_axis = dict(title=dict(text=LAYER_AXIS), tickvals=list(layers))
    if pad_layers:
        layer_axis["range"] = [min(layers) - 0.1, max(layers) + 0.1]
    return dict(
        xaxis=layer_axis,
        yaxis=dict(title=dict(text="tasks learned"), tickvals=list(tasks)),
        zaxis=dict(title=dict(text=z_title), range=[-1, 1]),
        camera=dict(eye=CAMERA_EYE),
        aspectmode="manual",
        aspectratio=dict(x=1, y=1.3, z=0.8),
    )


def zero_plane(layers: Sequence[int], tasks: Sequence[int]) -> "go.Surface":
    """A translucent grey plane at z = 0 under a correlation surface, so a sign can be read at a glance."""
    return go.Surface(
        x=[min(layers), max(layers)],
        y=[min(tasks), max(tasks)],
        z=np.zeros((2, 2)),
        surfacecolor=np.zeros((2, 2)),
        colorscale=[[0, "rgb(90,90,90)"], [1, "rgb(90,90,90)"]],
        showscale=False,
        opacity=0.25,
        hoverinfo="skip",
        name="z = 0",
    )


def title_below_modebar(text: str, size: int | None = None) -> dict:
    """A centred title placed in pixels under the modebar's band.

    Plotly draws the modebar over the top right corner of the figure; a title
    placed in the top few pixels (plotly's default) disappears under it as soon as
    the pointer enters the figure, on narrow pages most of all.
    """
    lift = MULTILINE_LIFT if "<br>" in text else 0
    title = dict(text=text, x=0.5, xanchor="center", yref="container", y=1.0, yanchor="top",
                 pad=dict(t=MODEBAR_CLEARANCE + lift))
    if size is not None:
        title["font"] = dict(size=size)
    return title


def method_label(name: str, power: int = 1) -> str:
    label = METHOD_LABELS.get(name, name.upper())
    return label + ("²" if power == 2 else "" if power == 1 else f"^{power}")


def pair_label(pair_id: str) -> str:
    """``mas_fis`` -> ``MAS–FIS``; ``fis_mas2`` -> ``FIS–MAS²``."""
    pair = parse_pair(pair_id)
    return f"{method_label(pair.left, pair.left_power)}–{method_label(pair.right, pair.right_power)}"


def _check_kind(kind: str) -> None:
    if kind not in CORRELATION_KINDS:
        raise ValueError(f"correlation must be one of {', '.join(CORRELATION_KINDS)}, got {kind!r}")


def correlation_grid(
    correlations: pd.DataFrame, pair: str, kind: str, tasks: tuple[int, int] | None = None
) -> pd.DataFrame:
    """One pair's coefficients as a grid: rows = tasks learned, columns = layers."""
    _check_kind(kind)
    rows = correlations[correlations["pair"] == pair]
    if rows.empty:
        known = ", ".join(sorted(correlations["pair"].unique()))
        raise ValueError(f"pair {pair!r} is not in these results (pairs: {known})")
    if tasks is not None:
        rows = rows[(rows["task"] >= tasks[0]) & (rows["task"] <= tasks[1])]
        if rows.empty:
            raise ValueError(f"no results for tasks {tasks[0]}..{tasks[1]}")
    grid = rows.pivot(index="task", columns="layer", values=kind).sort_index().sort_index(axis=1)
    return grid


def _menu(labels: Sequence[str], visibility: Sequence[Sequence[bool]], active: int, extra: Sequence[dict],
          y: float = 1.0) -> dict:
    return dict(
        type="buttons",
        direction="right",
        active=active,
        x=0.0,
        xanchor="left",
        y=y,
        yanchor="bottom",
        pad=dict(b=4),
        showactive=True,
        buttons=[
            dict(label=label, method="update", args=[{"visible": list(vis)}, dict(update)])
            for label, vis, update in zip(labels, visibility, extra)
        ],
    )


def correlation_surface(
    correlations: pd.DataFrame,
    pair: str,
    kind: str = "pearson",
    tasks: tuple[int, int] | None = None,
    title: str | None = None,
) -> go.Figure:
    """The paper's 3D surface for ``pair``: z = correlation over (layer, tasks learned).

    Two surfaces (Pearson and Spearman) are drawn, one visible at a time, and a translucent
    plane at z = 0 makes negative regions obvious. ``kind`` selects the one shown first.
    """
    _check_kind(kind)
    grids = {k: correlation_grid(correlations, pair, k, tasks) for k in CORRELATION_KINDS}
    layers = [int(c) for c in grids["pearson"].columns]
    task_numbers = [int(t) for t in grids["pearson"].index]
    # customdata[i][j] = (pearson, spearman) at task i, layer j, for the hover text.
    both = np.stack([grids["pearson"].to_numpy(), grids["spearman"].to_numpy()], axis=-1)
    hover = (
        "layer %{x}<br>tasks learned %{y}<br>"
        "Pearson r = %{customdata[0]:.3f}<br>Spearman ρ = %{customdata[1]:.3f}<extra></extra>"
    )
    traces = []
    for k in CORRELATION_KINDS:
        traces.append(
            go.Surface(
                x=layers,
                y=task_numbers,
                z=grids[k].to_numpy(),
                customdata=both,
                hovertemplate=hover,
                colorscale=CORRELATION_COLORSCALE,
                cmin=-1.0,
                cmax=1.0,
                colorbar=dict(title=dict(text="corr."), tickvals=[-1, -0.5, 0, 0.5, 1], len=0.75),
                name=KIND_LABELS[k],
                visible=k == kind,
            )
        )
    traces.append(zero_plane(layers, task_numbers))
    label = pair_label(pair)
    heading = title or f"Correlation between {label} importances"
    figure = go.Figure(traces)
    buttons = _menu(
        [KIND_LABELS[k] for k in CORRELATION_KINDS],
        [[k == shown for k in CORRELATION_KINDS] + [True] for shown in CORRELATION_KINDS],
        CORRELATION_KINDS.index(kind),
        [{"title.text": f"{heading} ({KIND_LABELS[k]})", "scene.zaxis.title.text": KIND_LABELS[k]}
         for k in CORRELATION_KINDS],
    )
    figure.update_layout(
        title=title_below_modebar(f"{heading} ({KIND_LABELS[kind]})"),
        updatemenus=[buttons],
        scene=surface_scene(layers, task_numbers, KIND_LABELS[kind], pad_layers=True),
        height=580,
        margin=dict(l=0, r=0, t=96, b=0),
    )
    return figure


def correlation_heatmap(
    correlations: pd.DataFrame,
    pair: str,
    kind: str = "pearson",
    title: str | None = None,
) -> go.Figure:
    """The numbers behind the surface, printed in a layer-by-task grid (same colour scale)."""
    _check_kind(kind)
    grids = {k: correlation_grid(correlations, pair, k) for k in CORRELATION_KINDS}
    layers = [f"layer {int(c)}" for c in grids["pearson"].columns]
    task_numbers = [int(t) for t in grids["pearson"].index]
    heading = title or f"{pair_label(pair)} correlation by layer and tasks learned"
    traces = [
        go.Heatmap(
            x=layers,
            y=task_numbers,
            z=grids[k].to_numpy(),
            zmin=-1.0,
            zmax=1.0,
            colorscale=CORRELATION_COLORSCALE,
            texttemplate="%{z:.2f}",
            hovertemplate="%{x}<br>tasks learned %{y}<br>" + KIND_LABELS[k] + " = %{z:.3f}<extra></extra>",
            colorbar=dict(title=dict(text="corr."), tickvals=[-1, -0.5, 0, 0.5, 1]),
            name=KIND_LABELS[k],
            visible=k == kind,
        )
        for k in CORRELATION_KINDS
    ]
    figure = go.Figure(traces)
    figure.update_layout(
        title=title_below_modebar(f"{heading} ({KIND_LABELS[kind]})"),
        updatemenus=[
            _menu(
                [KIND_LABELS[k] for k in CORRELATION_KINDS],
                [[k == shown for k in CORRELATION_KINDS] for shown in CORRELATION_KINDS],
                CORRELATION_KINDS.index(kind),
                [{"title.text": f"{heading} ({KIND_LABELS[k]})"} for k in CORRELATION_KINDS],
                y=1.0 + 40 / max(260, 90 + 34 * len(task_numbers)),
            )
        ],
        xaxis=dict(title=dict(text=LAYER_AXIS), side="bottom"),
        yaxis=dict(title=dict(text="tasks learned"), tickvals=task_numbers, autorange="reversed"),
        height=max(260, 90 + 34 * len(task_numbers)),
        margin=dict(l=60, r=20, t=116, b=50),
    )
    return figure


def accuracy_heatmap(accuracy: pd.DataFrame, title: str = "Test accuracy on every task as tasks are learned") -> go.Figure:
    """The accuracy matrix: row = tasks learned so far, column = task evaluated, values printed."""
    matrix = accuracy.pivot(index="after_task", columns="eval_task", values="accuracy").sort_index().sort_index(axis=1)
    after = [int(t) for t in matrix.index]
    evaluated = [int(t) for t in matrix.columns]
    figure = go.Figure(
        go.Heatmap(
            x=evaluated,
            y=after,
            z=matrix.to_numpy(),
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            texttemplate="%{z:.2f}",
            hovertemplate="after task %{y}<br>evaluated on task %{x}<br>accuracy %{z:.4f}<extra></extra>",
            colorbar=dict(title=dict(text="accuracy")),
        )
    )
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text="task evaluated"), tickvals=evaluated),
        yaxis=dict(title=dict(text="tasks learned"), tickvals=after, autorange="reversed"),
        height=max(290, 110 + 36 * len(after)),
        margin=dict(l=60, r=20, t=70, b=50),
    )
    return figure


def labelled_output_histogram(p_labelled: np.ndarray, title: str = "Labelled output p_k on the importance samples") -> go.Figure:
    """Histogram of the probability the trained network gives the true label (the premise of eqs. 2-3)."""
    values = np.asarray(p_labelled, dtype=float).reshape(-1)
    figure = go.Figure(
        go.Histogram(
            x=values,
            xbins=dict(start=0.0, end=1.0 + 1e-9, size=0.02),
            marker_color="rgb(70,110,170)",
            hovertemplate="p_k in %{x}<br>%{y} samples<extra></extra>",
        )
    )
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text="p_k = softmax output of the labelled class"), range=[0, 1.0]),
        yaxis=dict(title=dict(text="samples (log scale)"), type="log"),
        height=350,
        margin=dict(l=60, r=20, t=70, b=50),
        bargap=0.05,
    )
    return figure


def agreement_bars(table: pd.DataFrame, kind: str = "spearman", title: str | None = None) -> go.Figure:
    """Grouped bars of per-layer correlations between an importance and its approximation.

    ``table`` has columns ``comparison``, ``layer`` and ``pearson``/``spearman`` (one row per
    comparison and layer), as returned by :func:`paper_code.book.explanation_check`.
    """
    _check_kind(kind)
    figure = go.Figure()
    for comparison, rows in table.groupby("comparison", sort=False):
        figure.add_bar(
            x=[f"layer {int(layer)}" for layer in rows["layer"]],
            y=rows[kind],
            name=str(comparison),
            text=[f"{v:.2f}" for v in rows[kind]],
            textposition="outside",
            hovertemplate="%{x}<br>" + KIND_LABELS[kind] + " = %{y:.3f}<extra>" + str(comparison) + "</extra>",
        )
    figure.update_layout(
        title=title_below_modebar(title or f"How well the approximations track the importances ({KIND_LABELS[kind]})"),
        barmode="group",
        xaxis=dict(title=dict(text=LAYER_AXIS)),
        yaxis=dict(title=dict(text=KIND_LABELS[kind]), range=[-1, 1.15]),
        legend=dict(orientation="h", y=-0.2),
        height=450,
        margin=dict(l=60, r=20, t=70, b=80),
    )
    return figure


def surface_explorer(correlations: pd.DataFrame, pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """Every pair's surface in one figure, chosen from a dropdown (pair × coefficient); works without a kernel."""
    _check_kind(kind)
    pairs = [p for p in pairs if (correlations["pair"] == p).any()]
    if not pairs:
        raise ValueError("none of the requested pairs is in these results")
    figures = {pair: correlation_surface(correlations, pair, kind) for pair in pairs}
    traces, owners = [], []
    for pair, figure in figures.items():
        for index, trace in enumerate(figure.data):
            traces.append(trace)
            owners.append((pair, CORRELATION_KINDS[index] if index < len(CORRELATION_KINDS) else None))
    choices = [(pair, k) for pair in pairs for k in CORRELATION_KINDS]

    def visible(pair: str, k: str) -> list[bool]:
        return [owner == pair and (which is None or which == k) for owner, which in owners]

    explorer = go.Figure(traces)
    for trace, flag in zip(explorer.data, visible(pairs[0], kind)):
        trace.visible = flag
    base = figures[pairs[0]].layout
    explorer.update_layout(
        scene=base.scene,
        height=base.height,
        margin=base.margin,
        title=title_below_modebar(f"{pair_label(pairs[0])} ({KIND_LABELS[kind]})"),
        updatemenus=[
            dict(
                type="dropdown",
                active=choices.index((pairs[0], kind)),
                x=0.0,
                xanchor="left",
                y=1.0,
                yanchor="bottom",
                pad=dict(b=4),
                buttons=[
                    dict(
                        label=f"{pair_label(pair)} · {KIND_LABELS[k]}",
                        method="update",
                        args=[{"visible": visible(pair, k)}, {"title.text": f"{pair_label(pair)} ({KIND_LABELS[k]})",
                                                              "scene.zaxis.title.text": KIND_LABELS[k]}],
                    )
                    for pair, k in choices
                ],
            )
        ],
    )
    return explorer
