"""A correlation explorer that needs no kernel: plotly's own menus and sliders, for the static book.

Plotly's menus and sliders work in a static page, but each button of a menu can
only apply a fixed change; four independent controls (run × pair × coefficient
× task range) would need one fixed state per combination, thousands of them.
Here every control is a plotly control whose buttons do nothing by themselves
(method ``"skip"``), and a short script attached to the figure listens to
plotly's ``plotly_buttonclicked`` and ``plotly_sliderchange`` events, reads the
state of all controls from the figure's layout and redraws the one surface from
the correlation tables embedded in the page (rounded to 4 decimals, a few
hundred kilobytes for the whole study). No request is made and no Python runs.

The run menu lists the page's own run first (the study trial it shows, or a run
computed on this machine, named as such), then every other trial of the committed
study.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from paper_code.correlation import CORRELATION_KINDS
from paper_code.extras import require
from paper_code.figures.renderer import PLOTLY_CONFIG, in_book_build
from paper_code.figures.style import CORRELATION_COLORSCALE, colorbar, surface_scene, title_below_modebar, zero_plane
from paper_code.labels import KIND_LABELS, describe, pair_label, reg_label, setting_label
from paper_code.results import Results
from paper_code.studies.grid import Study

go = require("plotly.graph_objects", "book")

#: Decimals kept in the embedded tables (the figures print two).
DECIMALS = 4
#: Indices of the controls in ``layout.updatemenus`` and ``layout.sliders``; the script relies on them.
RUN_MENU, PAIR_MENU, KIND_MENU = 0, 1, 2
FROM_SLIDER, TO_SLIDER = 0, 1


@dataclass(frozen=True)
class ExplorerRun:
    """One entry of the run menu: its label and its accumulated correlations (``pair, layer, task, pearson, spearman``)."""

    label: str
    correlations: pd.DataFrame


def study_label(results: Results) -> str:
    config = results.config
    lam = "" if config.reg == "none" else f", λ = {config.lam:g}"
    setting = setting_label(config)
    return f"study: {setting + ', ' if setting else ''}{reg_label(config.reg)}{lam}, seed {config.seed}"


def explorer_runs(page: Results | None, study: Study | None, more: Sequence[Study] = ()) -> list[ExplorerRun]:
    """The page's run first, then every study trial ordered by regularizer, λ and seed, then those of ``more``
    (the settings beyond permuted MNIST) in the same order.

    A page that shows a study trial (the same key) lists it once, as that trial: a run of the same key computed
    on another machine differs by rounding and is not offered beside it under the same name."""
    runs, shown_key = [], None
    trials = []
    for each in ([study] if study is not None else []) + list(more):
        table = each.table.sort_values(["reg", "lam", "seed"])
        for reg, lam in table[["reg", "lam"]].drop_duplicates().itertuples(index=False):
            trials += each.results(reg, lam)
    if page is not None:
        same = next((r for r in trials if r.config.key == page.config.key), None)
        if same is not None:
            shown_key = same.config.key
            runs.append(ExplorerRun(f"{study_label(same)} (the run the book shows)", same.correlations))
        else:
            runs.append(ExplorerRun(f"this page's run, computed on this machine: {describe(page.config)}",
                                    page.correlations))
    runs += [ExplorerRun(study_label(r), r.correlations) for r in trials if r.config.key != shown_key]
    return runs


def _grid(correlations: pd.DataFrame, pair: str, kind: str) -> pd.DataFrame:
    rows = correlations[correlations["pair"] == pair]
    return rows.pivot(index="task", columns="layer", values=kind).sort_index().sort_index(axis=1)


def payload(runs: Sequence[ExplorerRun], pairs: Sequence[str]) -> dict[str, Any]:
    """What the page's script reads: per run, per pair and coefficient, a task × layer grid (null where missing)."""
    entries = []
    for run in runs:
        tasks = sorted(int(t) for t in run.correlations["task"].unique())
        layers = sorted(int(layer) for layer in run.correlations["layer"].unique())
        values: dict[str, dict[str, list]] = {}
        for pair in pairs:
            values[pair] = {}
            for kind in CORRELATION_KINDS:
                grid = _grid(run.correlations, pair, kind).reindex(index=tasks, columns=layers)
                rounded = grid.round(DECIMALS).to_numpy(dtype=float)
                values[pair][kind] = [[None if np.isnan(v) else float(v) for v in row] for row in rounded]
        entries.append({"label": run.label, "tasks": tasks, "layers": layers, "values": values})
    return {
        "runs": entries,
        "pairs": list(pairs),
        "pairLabels": [pair_label(p) for p in pairs],
        "kinds": list(CORRELATION_KINDS),
        "kindLabels": [KIND_LABELS[k] for k in CORRELATION_KINDS],
    }


def heading(label: str, pair: str, kind: str, low: int, high: int) -> str:
    """The figure's title; the script builds the same string (keep both in step)."""
    return f"{pair_label(pair)} ({KIND_LABELS[kind]}), tasks {low}–{high}<br><sup>{label}</sup>"


def _menu(labels: Sequence[str], x: float, y: float, kind: str = "dropdown", active: int = 0) -> dict:
    return dict(type=kind, direction="down" if kind == "dropdown" else "right", active=active, showactive=True,
                x=x, xanchor="left", y=y, yanchor="bottom", pad=dict(r=4, b=2),
                buttons=[dict(label=label, method="skip", args=[None]) for label in labels])


def _slider(prefix: str, tasks: int, active: int, y: float) -> dict:
    return dict(active=active, x=0.0, len=1.0, y=y, yanchor="top", pad=dict(t=8, b=8),
                currentvalue=dict(prefix=prefix, xanchor="left", font=dict(size=13)),
                steps=[dict(label=str(t), method="skip", args=[None]) for t in range(1, tasks + 1)])


def explorer_figure(runs: Sequence[ExplorerRun], pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """The figure in its first state (first run, first pair, ``kind``, every task), with its controls."""
    if not runs:
        raise ValueError("the explorer needs at least one run")
    first, pair = runs[0], pairs[0]
    pearson, spearman = _grid(first.correlations, pair, "pearson"), _grid(first.correlations, pair, "spearman")
    layers = [int(c) for c in pearson.columns]
    tasks = [int(t) for t in pearson.index]
    most = max(int(r.correlations["task"].max()) for r in runs)
    surface = go.Surface(
        x=layers, y=tasks, z=(pearson if kind == "pearson" else spearman).to_numpy(),
        customdata=np.stack([pearson.to_numpy(), spearman.to_numpy()], axis=-1),
        hovertemplate=("layer %{x}<br>tasks learned %{y}<br>Pearson r = %{customdata[0]:.3f}"
                       "<br>Spearman ρ = %{customdata[1]:.3f}<extra></extra>"),
        colorscale=CORRELATION_COLORSCALE, cmin=-1.0, cmax=1.0, name="correlation",
        colorbar=colorbar("corr.", tickvals=[-1, -0.5, 0, 0.5, 1], len=0.6, y=0.55),
    )
    figure = go.Figure([surface, zero_plane(layers, [1, max(tasks)])])
    menus = [None, None, None]
    menus[RUN_MENU] = _menu([r.label for r in runs], x=0.0, y=1.02)
    menus[PAIR_MENU] = _menu([pair_label(p) for p in pairs], x=0.0, y=1.10)
    menus[KIND_MENU] = _menu([KIND_LABELS[k] for k in CORRELATION_KINDS], x=0.2, y=1.10, kind="buttons",
                             active=CORRELATION_KINDS.index(kind))
    sliders = [None, None]
    sliders[FROM_SLIDER] = _slider("from task ", most, 0, y=0.0)
    sliders[TO_SLIDER] = _slider("up to task ", most, most - 1, y=-0.17)  # every task of whichever run is picked
    figure.update_layout(
        title=title_below_modebar(heading(first.label, pair, kind, 1, max(tasks)), size=15),
        updatemenus=menus,
        sliders=sliders,
        scene=surface_scene(layers, tasks, KIND_LABELS[kind]),
        height=820,
        margin=dict(l=10, r=10, t=170, b=170),
    )
    return figure


#: The script that redraws the figure from the state of its controls. ``{plot_id}`` and ``__PAYLOAD__`` are
#: filled in by :func:`explorer_html`.
SCRIPT = """
(function () {
  var gd = document.getElementById("{plot_id}");
  var data = __PAYLOAD__;
  var RUN = %(run)d, PAIR = %(pair)d, KIND = %(kind)d, FROM = %(from)d, TO = %(to)d;
  function active(list, index) { return (list && list[index] && list[index].active) || 0; }
  function redraw() {
    var menus = gd.layout.updatemenus, sliders = gd.layout.sliders;
    var run = data.runs[active(menus, RUN)], pair = data.pairs[active(menus, PAIR)];
    var kindIndex = active(menus, KIND), kind = data.kinds[kindIndex];
    var a = active(sliders, FROM) + 1, b = active(sliders, TO) + 1;
    var last = run.tasks[run.tasks.length - 1];
    var low = Math.min(Math.min(a, b), last), high = Math.min(Math.max(a, b), last);
    if (low === high) {  // a surface needs two tasks: widen a one-task range where the run allows it
      if (high < last) { high += 1; } else if (low > run.tasks[0]) { low -= 1; }
    }
    var rows = [], tasks = [];
    run.tasks.forEach(function (task, i) { if (task >= low && task <= high) { rows.push(i); tasks.push(task); } });
    var grids = run.values[pair], shown = grids[kind];
    var z = rows.map(function (i) { return shown[i]; });
    var custom = rows.map(function (i) {
      return run.layers.map(function (_, j) { return [grids.pearson[i][j], grids.spearman[i][j]]; });
    });
    var title = data.pairLabels[data.pairs.indexOf(pair)] + " (" + data.kindLabels[kindIndex] + "), tasks " +
      low + "\\u2013" + high + "<br><sup>" + run.label + "</sup>";
    var flat = tasks.length === 1;
    Plotly.update(gd, {x: [run.layers], y: [flat ? [low, low + 0.001] : tasks],
                       z: [flat ? [z[0], z[0]] : z], customdata: [flat ? [custom[0], custom[0]] : custom]},
                  {"title.text": title, "scene.yaxis.tickvals": tasks,
                   "scene.zaxis.title.text": data.kindLabels[kindIndex]}, [0]);
    Plotly.restyle(gd, {x: [[run.layers[0], run.layers[run.layers.length - 1]]],
                        y: [[low, flat ? low + 0.001 : high]]}, [1]);
  }
  gd.on("plotly_buttonclicked", redraw);
  gd.on("plotly_sliderchange", redraw);
})();
""" % {"run": RUN_MENU, "pair": PAIR_MENU, "kind": KIND_MENU, "from": FROM_SLIDER, "to": TO_SLIDER}


@dataclass(frozen=True)
class StaticExplorer:
    """The figure and its tables; displayed as HTML that carries its own small script."""

    figure: go.Figure
    data: dict[str, Any]

    def to_html(self, include_plotlyjs: bool | str = False) -> str:
        script = SCRIPT.replace("__PAYLOAD__", json.dumps(self.data, separators=(",", ":"), allow_nan=False))
        pio = require("plotly.io", "book")

        return pio.to_html(self.figure, full_html=False, include_plotlyjs=include_plotlyjs, include_mathjax=False,
                           post_script=script, config=PLOTLY_CONFIG)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # The book loads plotly.js once per page; elsewhere (JupyterLab) the figure brings its own copy.
        html = self.to_html(include_plotlyjs=not in_book_build())
        return {"text/html": html, "text/plain": "static correlation explorer"}


def static_explorer(page: Results | None, study: Study | None, pairs: Sequence[str] | None = None,
                    kind: str = "pearson", more: Sequence[Study] = ()) -> StaticExplorer:
    """The kernel-free explorer of the page's run and the study's trials, then those of ``more`` (``pairs``: the
    page run's by default)."""
    runs = explorer_runs(page, study, more)
    if not runs:
        raise ValueError("no run to explore: neither a page run nor a study was given")
    if pairs is None:
        pairs = list(page.config.pairs) if page is not None else list(runs[0].correlations["pair"].unique())
    pairs = [p for p in pairs if all((r.correlations["pair"] == p).any() for r in runs)]
    if not pairs:
        raise ValueError("no correlation pair is present in every run")
    return StaticExplorer(explorer_figure(runs, pairs, kind), payload(runs, pairs))
