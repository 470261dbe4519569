"""The live panel of the explore page: ipywidgets that redraw a correlation surface.

Redrawing needs a running kernel (JupyterLab); in the static book the panel shows its saved state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from paper_code.config import PAPER_PAIRS
from paper_code.correlation import CORRELATION_KINDS
from paper_code.pages import find_runs
from paper_code.plots import KIND_LABELS, pair_label
from paper_code.provenance import describe
from paper_code.results import Results


def explore_panel(results: Results, correlation: str = "pearson", pairs: Iterable[str] = PAPER_PAIRS) -> Any:
    """An ipywidgets panel that redraws a correlation surface: run, pair, coefficient, task range.

    The run menu lists every complete run next to ``results`` (other λ, seeds, penalties...).
    Redrawing needs a live kernel; in the static book the panel shows its saved state.
    """
    from paper_code.extras import require

    widgets = require("ipywidgets", "book")
    display = require("IPython.display", "book").display

    from paper_code.plots import correlation_surface

    runs = {r.meta.get("key", r.config.key): r for r in find_runs(Path(results.path).parent)}
    runs.setdefault(results.meta.get("key", results.config.key), results)
    current = results.meta.get("key", results.config.key)
    run_menu = widgets.Dropdown(
        options=[(f"{key}: {describe(run.config)}", key) for key, run in runs.items()],
        value=current, description="run", layout=widgets.Layout(width="95%"),
    )
    pair_menu = widgets.Dropdown(options=[(pair_label(p), p) for p in pairs], value=tuple(pairs)[0], description="pair")
    kind_menu = widgets.Dropdown(options=[(KIND_LABELS[k], k) for k in CORRELATION_KINDS], value=correlation,
                                 description="coefficient", style={"description_width": "initial"})
    last = results.completed_tasks
    task_range = widgets.IntRangeSlider(value=(1, last), min=1, max=max(last, 1), step=1, description="tasks",
                                        continuous_update=False)
    output = widgets.Output()

    def redraw(*_: Any) -> None:
        run = runs[run_menu.value]
        n = run.completed_tasks
        if task_range.max != n:
            task_range.max = max(n, 1)
        low, high = task_range.value
        with output:
            output.clear_output(wait=True)
            try:
                display(correlation_surface(run.correlations, pair_menu.value, kind_menu.value, tasks=(low, min(high, n))))
            except ValueError as exc:
                print(exc)

    for control in (run_menu, pair_menu, kind_menu, task_range):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([run_menu, widgets.HBox([pair_menu, kind_menu]), task_range, output])

