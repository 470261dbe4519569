"""Plotly figures of one run: correlation surfaces, heatmaps with values, the accuracy matrix, the eq. check.

Every builder takes the tidy tables of :func:`paper_code.load_results` (``results.correlations``,
``results.accuracy``) and returns a :class:`plotly.graph_objects.Figure`, in the look of
:mod:`paper_code.figures.style`. On every correlation figure hovering shows the layer, the task and both
coefficients (Pearson's r and Spearman's rho), and buttons switch between Pearson and Spearman without a kernel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_code.correlation import CORRELATION_KINDS
from paper_code.extras import require
from paper_code.figures.style import (
    LAYER_AXIS,
    colorbar,
    fitted_scale,
    surface_scene,
    title_below_modebar,
    zero_plane,
)
from paper_code.labels import KIND_LABELS, pair_label

go = require("plotly.graph_objects", "book")


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


def correlation_surface(
    correlations: pd.DataFrame,
    pair: str,
    kind: str = "pearson",
    tasks: tuple[int, int] | None = None,
    title: str | None = None,
) -> go.Figure:
    """The paper's 3D surface for ``pair``: z = the ``kind`` coefficient over (layer, tasks learned), coloured on a
    scale fitted to the data (:func:`~paper_code.figures.style.fitted_scale`), with a translucent plane at z = 0
    where the surface crosses it. Hovering shows both coefficients; the coefficient drawn is the one the caller
    chose (a page or the dashboard offers the choice, and it changes every view at once)."""
    _check_kind(kind)
    grids = {k: correlation_grid(correlations, pair, k, tasks) for k in CORRELATION_KINDS}
    layers = [int(c) for c in grids[kind].columns]
    task_numbers = [int(t) for t in grids[kind].index]
    values = grids[kind].to_numpy()
    # customdata[i][j] = (pearson, spearman) at task i, layer j, for the hover text.
    both = np.stack([grids["pearson"].to_numpy(), grids["spearman"].to_numpy()], axis=-1)
    hover = (
        "layer %{x}<br>tasks learned %{y}<br>"
        "Pearson r = %{customdata[0]:.3f}<br>Spearman ρ = %{customdata[1]:.3f}<extra></extra>"
    )
    colorscale, low, high = fitted_scale(values)
    traces = [go.Surface(x=layers, y=task_numbers, z=values, customdata=both, hovertemplate=hover,
                         colorscale=colorscale, cmin=low, cmax=high, colorbar=colorbar(KIND_LABELS[kind], len=0.75),
                         name=KIND_LABELS[kind])]
    if low < 0 < high:
        traces.append(zero_plane(layers, task_numbers))
    heading = title or f"Correlation between {pair_label(pair)} importances"
    figure = go.Figure(traces)
    scene = surface_scene(layers, task_numbers, KIND_LABELS[kind], pad_layers=True)
    scene["zaxis"] = dict(title=dict(text=KIND_LABELS[kind]), range=[min(low, 0.0) if low < 0 else low, high])
    figure.update_layout(
        title=title_below_modebar(f"{heading} ({KIND_LABELS[kind]})"),
        scene=scene,
        height=560,
        margin=dict(l=0, r=0, t=70, b=0),
    )
    return figure


def correlation_heatmap(
    correlations: pd.DataFrame,
    pair: str,
    kind: str = "pearson",
    title: str | None = None,
) -> go.Figure:
    """The numbers behind the surface, printed in a layer-by-task grid, on the same fitted colour scale."""
    _check_kind(kind)
    grid = correlation_grid(correlations, pair, kind)
    task_numbers = [int(t) for t in grid.index]
    heading = title or f"{pair_label(pair)} correlation by layer and tasks learned"
    colorscale, low, high = fitted_scale(grid.to_numpy())
    figure = go.Figure(go.Heatmap(
        x=[f"layer {int(c)}" for c in grid.columns], y=task_numbers, z=grid.to_numpy(), zmin=low, zmax=high,
        colorscale=colorscale, texttemplate="%{z:.2f}", name=KIND_LABELS[kind],
        hovertemplate="%{x}<br>tasks learned %{y}<br>" + KIND_LABELS[kind] + " = %{z:.3f}<extra></extra>",
        colorbar=colorbar(KIND_LABELS[kind]),
    ))
    figure.update_layout(
        title=title_below_modebar(f"{heading} ({KIND_LABELS[kind]})"),
        xaxis=dict(title=dict(text=LAYER_AXIS), side="bottom"),
        yaxis=dict(title=dict(text="tasks learned"), tickvals=task_numbers, autorange="reversed"),
        height=max(260, 90 + 34 * len(task_numbers)),
        margin=dict(l=60, r=20, t=80, b=50),
    )
    return figure


def accuracy_heatmap(accuracy: pd.DataFrame, title: str = "Test accuracy on every task as tasks are learned",
                     fit_colors: bool = False) -> go.Figure:
    """The accuracy matrix: row = tasks learned so far, column = task evaluated, values printed.

    Cells of tasks not learned yet (above the diagonal) sit near chance; they are printed in grey, outside the
    colour scale, so the scale spends its range on what the network learned and kept. With ``fit_colors`` the
    scale spans the learned cells' own range (rounded out to 0.05) instead of [0, 1], so accuracies of 0.91 and
    0.98 differ in colour; the title says the range.
    """
    matrix = accuracy.pivot(index="after_task", columns="eval_task", values="accuracy").sort_index().sort_index(axis=1)
    after = [int(t) for t in matrix.index]
    evaluated = [int(t) for t in matrix.columns]
    values = matrix.to_numpy()
    unseen = np.array([[task > learned for task in evaluated] for learned in after])
    low, high = 0.0, 1.0
    if fit_colors:
        learned = values[~unseen & np.isfinite(values)]
        low, high = float(np.floor(learned.min() * 20) / 20), float(min(1.0, np.ceil(learned.max() * 20) / 20))
        title += f" (colours from {low:.2f} to {high:.2f})"
    figure = go.Figure([
        go.Heatmap(
            x=evaluated, y=after, z=np.where(unseen, np.nan, values), zmin=low, zmax=high, colorscale="Viridis",
            texttemplate="%{z:.2f}", name="learned",
            hovertemplate="after task %{y}<br>evaluated on task %{x}<br>accuracy %{z:.4f}<extra></extra>",
            colorbar=colorbar("accuracy"),
        ),
        go.Heatmap(
            x=evaluated, y=after, z=np.where(unseen, values, np.nan), zmin=0.0, zmax=1.0,
            colorscale=[[0, UNSEEN_GREY], [1, UNSEEN_GREY]], showscale=False, texttemplate="%{z:.2f}",
            textfont=dict(color="#555555"), name="not learned yet",
            hovertemplate="after task %{y}<br>task %{x}, not learned yet<br>accuracy %{z:.4f}<extra></extra>",
        ),
    ])
    figure.update_layout(
        title=title_below_modebar(title + "<br><sup>grey: tasks not learned yet (chance is 0.10)</sup>"),
        xaxis=dict(title=dict(text="task evaluated"), tickvals=evaluated),
        yaxis=dict(title=dict(text="tasks learned"), tickvals=after, autorange="reversed"),
        height=max(300, 120 + 36 * len(after)),
        margin=dict(l=60, r=20, t=84, b=50),
    )
    return figure


#: The fill of the accuracy matrix's cells of tasks not learned yet.
UNSEEN_GREY = "#e6e6e6"


#: How each measure of the labelled output is named on the figure.
P_MEASURE_LABELS = {"mean": "mean pₖ", "share_above_0.9": "share of samples with pₖ > 0.9",
                    "share_above_0.99": "share of samples with pₖ > 0.99"}


#: How a comparison's name, stored with TeX-like subscripts ("Σ_k ∂p_k"), is written on an axis: plotly draws no
#: TeX in tick labels, and the Unicode subscript reads as the formula does.
SUBSCRIPTS = {"_k": "ₖ", "_j": "ⱼ", "_i": "ᵢ"}


def subscripts(name: str) -> str:
    """``name`` with its one-letter subscripts written as Unicode subscripts ("Σ_k ∂p_k/∂θ" → "Σₖ ∂pₖ/∂θ")."""
    for plain, small in SUBSCRIPTS.items():
        name = name.replace(plain, small)
    return name


def agreement_dots(table: pd.DataFrame, kind: str = "spearman", title: str | None = None) -> go.Figure:
    """Per-layer correlation between each importance and its approximation: one row per comparison, one dot per
    layer.

    ``table`` has columns ``comparison``, ``layer`` and ``pearson``/``spearman`` (one row per comparison and
    layer), as returned by :func:`paper_code.analysis.explanation.explanation_check`. Rows rather than grouped
    bars: ten comparisons in three groups leave bars too thin to label, and the comparisons' names fit on an axis
    where a legend would squeeze the plot.
    """
    _check_kind(kind)
    table = table.assign(comparison=table["comparison"].map(subscripts))
    comparisons = list(dict.fromkeys(table["comparison"]))
    lowest = float(table[kind].min()) if table[kind].notna().any() else 0.0
    low = min(0.0, float(np.floor((lowest - 0.05) * 10) / 10))
    figure = go.Figure()
    for layer, rows in table.groupby("layer"):
        figure.add_scatter(
            x=rows[kind], y=rows["comparison"].astype(str), mode="markers", name=f"layer {int(layer)}",
            marker=dict(size=11, symbol=LAYER_SYMBOLS.get(int(layer), "circle"), color=LAYER_COLORS.get(int(layer))),
            hovertemplate="%{y}<br>layer " + str(int(layer)) + ": " + KIND_LABELS[kind] + " = %{x:.3f}<extra></extra>",
        )
    figure.update_layout(
        title=title_below_modebar(title or f"How well the approximations track the importances ({KIND_LABELS[kind]})"),
        # From zero (or the lowest value) to 1: on [-1, 1] the dots of one row would sit on each other.
        xaxis=dict(title=dict(text=KIND_LABELS[kind]), range=[low, 1.02], zeroline=True),
        yaxis=dict(categoryorder="array", categoryarray=comparisons[::-1], automargin=True, ticklabelstandoff=6),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", title=dict(text=LAYER_AXIS + ":")),
        height=140 + 34 * len(comparisons),
        margin=dict(l=20, r=20, t=110, b=50),
    )
    return figure


#: Marker and colour of each layer in figures that set layers side by side (shades of one blue, so they are not
#: read as methods).
LAYER_SYMBOLS = {1: "circle", 2: "square", 3: "diamond"}
LAYER_COLORS = {1: "#9ecae1", 2: "#4292c6", 3: "#08306b"}
