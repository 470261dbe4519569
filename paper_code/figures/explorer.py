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

The run is chosen with four small menus, one per level: the part of the study (the
paper's setup or a setting beyond it, and the page's own run where the study does not
hold it), the importance inside EWC, λ and the seed. Each menu offers only what the
levels above it hold (the script rewrites the lower menus when a higher one changes), so
a hundred and more runs never make one long list. The two task sliders offer the tasks of
the run chosen (a five-task stream such as split MNIST offers five), rewritten with the
run (:func:`kept_task_range`). The surface is coloured on a scale fitted to the values
shown, redrawn with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from paper_code.config import METHOD_NAMES, Config
from paper_code.correlation import CORRELATION_KINDS
from paper_code.extras import require
from paper_code.figures.renderer import PLOTLY_CONFIG, in_book_build
from paper_code.figures.style import colorbar, fitted_scale, surface_scene, title_below_modebar, zero_plane
from paper_code.labels import KIND_LABELS, describe, pair_label, reg_label, setting_label
from paper_code.results import Results
from paper_code.studies.grid import Study

go = require("plotly.graph_objects", "book")

#: Decimals kept in the embedded tables (the figures print two).
DECIMALS = 4
#: Indices of the controls in ``layout.updatemenus`` and ``layout.sliders``; the script relies on them. The run
#: is chosen by four menus, one per level of :attr:`ExplorerRun.levels`.
PART_MENU, REG_MENU, LAMBDA_MENU, SEED_MENU, PAIR_MENU, KIND_MENU = 0, 1, 2, 3, 4, 5
RUN_MENUS = (PART_MENU, REG_MENU, LAMBDA_MENU, SEED_MENU)
FROM_SLIDER, TO_SLIDER = 0, 1
#: The first level of the page's own run where the study does not hold it.
PAGE_RUN = "this page's run"
#: The first level of the paper's configuration (the main grid).
PAPER_SETUP = "paper's setup"


@dataclass(frozen=True)
class ExplorerRun:
    """One run the menus offer: its label (the figure's subtitle), its place in the menus (``levels``: part of the
    study, importance inside EWC, λ, seed) and its accumulated correlations (``pair, layer, task, pearson,
    spearman``)."""

    label: str
    correlations: pd.DataFrame
    levels: tuple[str, str, str, str] = ("", "", "", "")
    #: Its place in the menus' order (the study's order; the page's own run first): a run listed first because
    #: the page shows it keeps its place in the menus.
    rank: int = 0


def study_label(results: Results) -> str:
    config = results.config
    lam = "" if config.reg == "none" else f", λ = {config.lam:g}"
    setting = setting_label(config)
    return f"study: {setting + ', ' if setting else ''}{reg_label(config.reg)}{lam}, seed {config.seed}"


def part_label(config: Config) -> str:
    """The first menu's entry of a run: the paper's setup, or what sets its setting apart (short: a menu entry)."""
    setting = setting_label(config)
    if not setting:
        return PAPER_SETUP
    if setting == "ReLU":
        return "ReLU network"
    if setting.startswith("784-"):
        return "deeper network"
    return setting


def run_levels(config: Config, part: str | None = None) -> tuple[str, str, str, str]:
    """A run's entry in each of the four run menus."""
    reg = "fine-tuning" if config.reg == "none" else reg_label(config.reg)
    lam = "no penalty" if config.reg == "none" else f"λ = {config.lam:g}"
    return (part or part_label(config), reg, lam, f"seed {config.seed}")


def _reg_order(reg: str) -> int:
    return METHOD_NAMES.index(reg) if reg in METHOD_NAMES else len(METHOD_NAMES)


def explorer_runs(page: Results | None, study: Study | None, more: Sequence[Study] = ()) -> list[ExplorerRun]:
    """The page's run first, then every study trial ordered by importance (the library's order, fine-tuning
    last), λ and seed, then those of ``more`` (the settings beyond permuted MNIST) in the same order.

    A page that shows a study trial (the same key) lists it once, as that trial: a run of the same key computed
    on another machine differs by rounding and is not offered beside it under the same name. A page run the study
    does not hold comes first, under its own first-level entry."""
    runs, shown_key = [], None
    trials: list[Results] = []
    for each in ([study] if study is not None else []) + list(more):
        table = each.table.assign(order=each.table.reg.map(_reg_order)).sort_values(["order", "lam", "seed"])
        for reg, lam in table[["reg", "lam"]].drop_duplicates().itertuples(index=False):
            trials += each.results(reg, lam)
    if page is not None:
        same = next((r for r in trials if r.config.key == page.config.key), None)
        if same is not None:
            shown_key = same.config.key
            runs.append(ExplorerRun(f"{study_label(same)} (the run the book shows)", same.correlations,
                                    run_levels(same.config), trials.index(same)))
        else:
            runs.append(ExplorerRun(f"this page's run, computed on this machine: {describe(page.config)}",
                                    page.correlations, run_levels(page.config, PAGE_RUN), -1))
    runs += [ExplorerRun(study_label(r), r.correlations, run_levels(r.config), rank) for rank, r in enumerate(trials)
             if r.config.key != shown_key]
    return runs


def level_options(runs: Sequence[ExplorerRun], level: int, chosen: Sequence[str]) -> list[str]:
    """The entries of run menu ``level`` once the levels above it are ``chosen``, in the runs' order (the script
    computes the same)."""
    options: list[str] = []
    for run in sorted(runs, key=lambda r: r.rank):
        if tuple(run.levels[:level]) == tuple(chosen[:level]) and run.levels[level] not in options:
            options.append(run.levels[level])
    return options


def _grid(correlations: pd.DataFrame, pair: str, kind: str) -> pd.DataFrame:
    rows = correlations[correlations["pair"] == pair]
    return rows.pivot(index="task", columns="layer", values=kind).sort_index().sort_index(axis=1)


#: The colour scales of :func:`~paper_code.figures.style.fitted_scale`, as colour stops the script can apply.
SCALES = ("Reds", "Blues_r", "RdBu_r")
#: Where fitted colour ranges are rounded out to (the same step as :func:`~paper_code.figures.style.fitted_scale`).
SCALE_STEP = 0.05


def payload(runs: Sequence[ExplorerRun], pairs: Sequence[str]) -> dict[str, Any]:
    """What the page's script reads: per run, its menu levels and, per pair and coefficient, a task × layer grid
    (null where missing); the labels of the pairs and coefficients; the colour scales it fits to the values."""
    colors = require("plotly.colors", "book")
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
        entries.append({"label": run.label, "levels": list(run.levels), "rank": run.rank, "tasks": tasks,
                        "layers": layers, "values": values})
    return {
        "runs": entries,
        "pairs": list(pairs),
        "pairLabels": [pair_label(p) for p in pairs],
        "kinds": list(CORRELATION_KINDS),
        "kindLabels": [KIND_LABELS[k] for k in CORRELATION_KINDS],
        "scales": {name: [[float(stop), color] for stop, color in colors.get_colorscale(name)] for name in SCALES},
        "step": SCALE_STEP,
    }


def heading(label: str, pair: str, kind: str, low: int, high: int) -> str:
    """The figure's title; the script builds the same string (keep both in step)."""
    return f"{pair_label(pair)} ({KIND_LABELS[kind]}), tasks {low}–{high}<br><sup>{label}</sup>"


def _menu(labels: Sequence[str], x: float, y: float, kind: str = "dropdown", active: int = 0) -> dict:
    return dict(type=kind, direction="down" if kind == "dropdown" else "right", active=active, showactive=True,
                x=x, xanchor="left", y=y, yanchor="bottom", pad=dict(r=4, b=2),
                buttons=[dict(label=label, method="skip", args=[None]) for label in labels])


def task_steps(tasks: Sequence[int]) -> list[dict]:
    """The steps of a task slider for a run that learned ``tasks``: one per task, labelled with its number (the
    script builds the same steps when another run is chosen)."""
    return [dict(label=str(int(t)), method="skip", args=[None]) for t in tasks]


def kept_task_range(offered: Sequence[int], low: int, high: int, tasks: Sequence[int]) -> tuple[int, int]:
    """Where the two task sliders stand (indices into ``tasks``) once another run, of ``tasks``, is chosen, from
    sliders that ``offered`` the previous run's tasks and stood at tasks ``low`` (from) and ``high`` (up to).

    A range the reader narrowed is kept while the new run holds both its ends; a range that showed every task of
    the previous run, or one the new run does not hold, becomes every task of the new run (as the live dashboard
    does, :func:`paper_code.dashboard.selection.task_range`). The script computes the same."""
    offered, tasks = [int(t) for t in offered], [int(t) for t in tasks]
    if not tasks:
        raise ValueError("a run with no task has no task range")
    everything = bool(offered) and min(low, high) == offered[0] and max(low, high) == offered[-1]
    if not everything and low in tasks and high in tasks:
        return tasks.index(low), tasks.index(high)
    return 0, len(tasks) - 1


def _slider(prefix: str, tasks: Sequence[int], active: int, y: float) -> dict:
    return dict(active=active, x=0.0, len=1.0, y=y, yanchor="top", pad=dict(t=8, b=8),
                currentvalue=dict(prefix=prefix, xanchor="left", font=dict(size=13)), steps=task_steps(tasks))


#: The width, in pixels, of the plot area the menus are placed in (their x is a share of it): the figure in the
#: book's text column at 1280 px is 688 px wide, less its margins and the colour bar's room.
PLOT_WIDTH = 580
#: How wide plotly draws a dropdown, in pixels: about this much per character of its longest entry, plus the
#: padding and the arrow; and the gap left between two menus of a row.
CHAR_PX, MENU_PAD_PX, MENU_GAP_PX = 6.5, 40, 12
RUN_ROW, VIEW_ROW = 1.12, 1.03


def menu_starts(entries: Sequence[Sequence[str]], width: float = PLOT_WIDTH) -> list[float]:
    """Where each menu of one row starts (a share of the plot's width), each as wide as its longest entry may make
    it (``entries``: every entry a menu can show, also those it shows only after another menu changes)."""
    starts, x = [], 0.0
    for labels in entries:
        starts.append(round(x / width, 3))
        x += CHAR_PX * max(len(label) for label in labels) + MENU_PAD_PX + MENU_GAP_PX
    return starts


def explorer_figure(runs: Sequence[ExplorerRun], pairs: Sequence[str], kind: str = "pearson") -> go.Figure:
    """The figure in its first state (first run, first pair, ``kind``, every task), with its controls."""
    if not runs:
        raise ValueError("the explorer needs at least one run")
    first, pair = runs[0], pairs[0]
    pearson, spearman = _grid(first.correlations, pair, "pearson"), _grid(first.correlations, pair, "spearman")
    shown = (pearson if kind == "pearson" else spearman).to_numpy()
    layers = [int(c) for c in pearson.columns]
    tasks = [int(t) for t in pearson.index]
    scale, low, high = fitted_scale(shown, SCALE_STEP)
    surface = go.Surface(
        x=layers, y=tasks, z=shown,
        customdata=np.stack([pearson.to_numpy(), spearman.to_numpy()], axis=-1),
        hovertemplate=("layer %{x}<br>tasks learned %{y}<br>Pearson r = %{customdata[0]:.3f}"
                       "<br>Spearman ρ = %{customdata[1]:.3f}<extra></extra>"),
        colorscale=scale, cmin=low, cmax=high, name="correlation",
        colorbar=colorbar("corr.", len=0.6, y=0.55),
    )
    figure = go.Figure([surface, zero_plane(layers, [1, max(tasks)])])
    menus: list[dict | None] = [None] * 6
    run_x = menu_starts([[run.levels[level] for run in runs] for level in range(len(RUN_MENUS))])
    for level, menu in enumerate(RUN_MENUS):
        options = level_options(runs, level, first.levels)
        menus[menu] = _menu(options, x=run_x[level], y=RUN_ROW, active=options.index(first.levels[level]))
    pair_labels = [pair_label(p) for p in pairs]
    view_x = menu_starts([pair_labels, ["Pearson r"]])
    menus[PAIR_MENU] = _menu(pair_labels, x=view_x[0], y=VIEW_ROW)
    menus[KIND_MENU] = _menu([KIND_LABELS[k] for k in CORRELATION_KINDS], x=view_x[1], y=VIEW_ROW,
                             kind="buttons", active=CORRELATION_KINDS.index(kind))
    sliders = [None, None]
    # The sliders offer the first run's tasks; the script rewrites them to the tasks of each run chosen.
    run_tasks = sorted(int(t) for t in first.correlations["task"].unique())
    sliders[FROM_SLIDER] = _slider("from task ", run_tasks, 0, y=0.0)
    sliders[TO_SLIDER] = _slider("up to task ", run_tasks, len(run_tasks) - 1, y=-0.17)
    figure.update_layout(
        title=title_below_modebar(heading(first.label, pair, kind, 1, max(tasks)), size=15),
        updatemenus=menus,
        sliders=sliders,
        scene=surface_scene(layers, tasks, KIND_LABELS[kind]),
        height=840,
        margin=dict(l=10, r=10, t=190, b=170),
    )
    return figure


#: The script that redraws the figure from the state of its controls. ``{plot_id}`` and ``__PAYLOAD__`` are
#: filled in by :func:`explorer_html`. A change of a run menu rewrites the menus below it to what the levels above
#: hold, keeping each one's entry where it still exists (seed 2 stays seed 2 when λ changes).
SCRIPT = """
(function () {
  var gd = document.getElementById("{plot_id}");
  var data = __PAYLOAD__;
  var RUN_MENUS = %(runs)s, PAIR = %(pair)d, KIND = %(kind)d, FROM = %(from)d, TO = %(to)d;
  function active(list, index) { return (list && list[index] && list[index].active) || 0; }
  function label(menu) { var m = gd.layout.updatemenus[menu]; return m.buttons[m.active || 0].label; }
  var ranked = data.runs.slice().sort(function (a, b) { return a.rank - b.rank; });
  function options(level, chosen) {
    var found = [];
    ranked.forEach(function (run) {
      for (var k = 0; k < level; k++) { if (run.levels[k] !== chosen[k]) { return; } }
      if (found.indexOf(run.levels[level]) < 0) { found.push(run.levels[level]); }
    });
    return found;
  }
  function chooseRun() {
    var chosen = [], layout = {};
    RUN_MENUS.forEach(function (menu, level) {
      var offered = options(level, chosen), current = label(menu);
      if (offered.indexOf(current) < 0) { current = offered[0]; }
      chosen.push(current);
      var before = gd.layout.updatemenus[menu].buttons.map(function (b) { return b.label; });
      if (before.join("|") !== offered.join("|") || (gd.layout.updatemenus[menu].active || 0) !== offered.indexOf(current)) {
        layout["updatemenus[" + menu + "].buttons"] = offered.map(function (text) {
          return {label: text, method: "skip", args: [null]};
        });
        layout["updatemenus[" + menu + "].active"] = offered.indexOf(current);
      }
    });
    var index = 0;
    data.runs.some(function (run, i) { if (run.levels.join("|") === chosen.join("|")) { index = i; return true; } return false; });
    return {run: data.runs[index], layout: layout};
  }
  function fitted(values) {
    var step = data.step, low = Math.min.apply(null, values), high = Math.max.apply(null, values);
    if (!values.length) { return [data.scales.RdBu_r, -1, 1]; }
    low = Math.floor(low / step) * step; high = Math.ceil(high / step) * step;
    if (high - low < step) { high = low + step; }
    if (low >= 0) { return [data.scales.Reds, low, high]; }
    if (high <= 0) { return [data.scales.Blues_r, low, high]; }
    var reach = Math.max(-low, high);
    return [data.scales.RdBu_r, -reach, reach];
  }
  function keptRange(offered, low, high, tasks) {  // kept_task_range in explorer.py: keep both in step
    var everything = offered.length > 0 && Math.min(low, high) === offered[0] &&
      Math.max(low, high) === offered[offered.length - 1];
    if (!everything && tasks.indexOf(low) >= 0 && tasks.indexOf(high) >= 0) {
      return [tasks.indexOf(low), tasks.indexOf(high)];
    }
    return [0, tasks.length - 1];
  }
  function followTasks(run, layout) {  // the sliders offer the tasks of the run chosen, and say which are shown
    var sliders = gd.layout.sliders;
    var offered = sliders[FROM].steps.map(function (step) { return Number(step.label); });
    var a = offered[active(sliders, FROM)], b = offered[active(sliders, TO)];
    if (offered.join("|") === run.tasks.join("|")) { return [a, b]; }
    var kept = keptRange(offered, a, b, run.tasks);
    var steps = run.tasks.map(function (task) { return {label: String(task), method: "skip", args: [null]}; });
    [FROM, TO].forEach(function (slider, k) {
      layout["sliders[" + slider + "].steps"] = steps;
      layout["sliders[" + slider + "].active"] = kept[k];
    });
    return [run.tasks[kept[0]], run.tasks[kept[1]]];
  }
  function redraw() {
    var menus = gd.layout.updatemenus;
    var choice = chooseRun(), run = choice.run, pair = data.pairs[active(menus, PAIR)];
    var kindIndex = active(menus, KIND), kind = data.kinds[kindIndex];
    var range = followTasks(run, choice.layout), a = range[0], b = range[1];
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
    var values = [];
    z.forEach(function (row) { row.forEach(function (v) { if (v !== null && isFinite(v)) { values.push(v); } }); });
    var scale = fitted(values);
    var title = data.pairLabels[data.pairs.indexOf(pair)] + " (" + data.kindLabels[kindIndex] + "), tasks " +
      low + "\\u2013" + high + "<br><sup>" + run.label + "</sup>";
    var flat = tasks.length === 1;
    var layout = choice.layout;
    layout["title.text"] = title;
    layout["scene.yaxis.tickvals"] = tasks;
    layout["scene.zaxis.title.text"] = data.kindLabels[kindIndex];
    Plotly.update(gd, {x: [run.layers], y: [flat ? [low, low + 0.001] : tasks],
                       z: [flat ? [z[0], z[0]] : z], customdata: [flat ? [custom[0], custom[0]] : custom],
                       colorscale: [scale[0]], cmin: [scale[1]], cmax: [scale[2]]},
                  layout, [0]);
    Plotly.restyle(gd, {x: [[run.layers[0], run.layers[run.layers.length - 1]]],
                        y: [[low, flat ? low + 0.001 : high]]}, [1]);
  }
  gd.on("plotly_buttonclicked", redraw);
  gd.on("plotly_sliderchange", redraw);
})();
""" % {"runs": json.dumps(list(RUN_MENUS)), "pair": PAIR_MENU, "kind": KIND_MENU, "from": FROM_SLIDER,
       "to": TO_SLIDER}


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
