"""The look every figure shares: colours, the 3D scene of a correlation surface, the zero plane, titles.

Conventions of every correlation figure, so pages compare at a glance:

- x is the layer (1 = input layer ... 3 = output layer), y the number of tasks learned so far;
- the colour scale is fitted to the data (:func:`fitted_scale`): two values a few hundredths apart differ in shade,
  and where the data cross zero the scale diverges from white at 0;
- titles sit below the band where plotly draws its modebar (:func:`title_below_modebar`), so hovering a
  figure never hides its title.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from paper_code.extras import require

go = require("plotly.graph_objects", "book")

#: Diverging colour scale: negative correlations blue, zero white, positive red.
CORRELATION_COLORSCALE = "RdBu_r"

#: One colour per importance, as a method or inside EWC, the same on every page; the baselines in black and
#: grey, fine-tuning (no penalty) in grey.
METHOD_COLORS: dict[str, str] = {
    "fis": "#1f77b4",
    "fis_true": "#17becf",
    "mas": "#d62728",
    "si": "#2ca02c",
    "sig": "#9467bd",
    "magnitude": "#000000",
    "random": "#8c8c8c",
    "uniform": "#bcbd22",
    "shuffled": "#ff7f0e",
    "rank1": "#8c564b",
    "fis_sample": "#6baed6",
    "fis_batch": "#08306b",
    "adam": "#e377c2",
    "sig_activity": "#c5b0d5",
    "si_task": "#98df8a",
    "none": "#7f7f7f",
}

#: Pixels kept free at the top of a figure for plotly's modebar (2 px from the top edge, 22-27 px high depending
#: on the page's styles), with a few to spare.
MODEBAR_CLEARANCE = 36
#: Plotly lifts a title of several lines (``<br>``) by this many pixels when it is anchored at its top.
MULTILINE_LIFT = 12

#: The layer axis of every correlation figure, spelled out once.
LAYER_AXIS = "layer (1 = input … 3 = output)"
#: The 3D scenes name the layer axis briefly and put "input"/"output" on its end ticks instead: a long title
#: there is drawn across the first tick label.
SCENE_LAYER_TITLE = "layer"

#: Where every 3D correlation figure is seen from: far enough that the z axis keeps its title in view.
CAMERA_EYE = dict(x=1.8, y=-1.8, z=1.0)


def surface_scene(layers: Sequence[int], tasks: Sequence[int], z_title: str, pad_layers: bool = False) -> dict:
    """The 3D scene of every correlation surface: layers across, tasks learned along, the coefficient on [-1, 1].

    ``pad_layers`` leaves a tenth of a layer either side, so a surface drawn edge to edge is not clipped.
    """
    ends = {min(layers): f"{min(layers)} input", max(layers): f"{max(layers)} output"}
    layer_axis = dict(title=dict(text=SCENE_LAYER_TITLE), tickvals=list(layers),
                      ticktext=[ends.get(layer, str(layer)) for layer in layers])
    if pad_layers:
        layer_axis["range"] = [min(layers) - 0.1, max(layers) + 0.1]
    return dict(
        xaxis=layer_axis,
        yaxis=dict(title=dict(text="tasks learned"), tickvals=list(tasks)),
        # No tick at −1: it sits on the corner where the layer axis's first tick label is drawn.
        zaxis=dict(title=dict(text=z_title), range=[-1, 1], tickvals=[-0.5, 0, 0.5, 1]),
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


def colorbar(title: str, **settings) -> dict:
    """A colour bar whose title runs down its right side: on top (plotly's default) a title wider than the bar
    is drawn over the first tick label."""
    return dict(title=dict(text=title, side="right"), **settings)


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


def fitted_scale(values, step: float = 0.05) -> tuple[str, float, float]:
    """A colour scale and its range fitted to ``values`` (ends rounded out to ``step``): reds from the smallest to
    the largest value when all are positive, blues when all are negative, and red-blue centred on zero (white) when
    they cross it. A scale fixed on [-1, 1] would paint 0.70 and 0.92 in one dark red."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return CORRELATION_COLORSCALE, -1.0, 1.0
    low, high = float(np.floor(finite.min() / step) * step), float(np.ceil(finite.max() / step) * step)
    if high - low < step:
        high = low + step
    if low >= 0:
        return "Reds", low, high
    if high <= 0:
        return "Blues_r", low, high
    reach = max(-low, high)
    return CORRELATION_COLORSCALE, -reach, reach
