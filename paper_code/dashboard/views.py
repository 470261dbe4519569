"""The four views of the dashboard, built from loaded results: no widgets, no state.

Kept apart from :mod:`paper_code.dashboard.panel` (which owns the controls) so
that what a reader sees for a given run, pair, coefficient and task range is a
plain function of them, and so that the panel's code stays about the panel.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

import pandas as pd

from paper_code.figures.grid import band_surfaces
from paper_code.figures.run import accuracy_heatmap, correlation_heatmap, correlation_surface
from paper_code.figures.style import title_below_modebar
from paper_code.labels import KIND_LABELS, describe, pair_label
from paper_code.results import Results
from paper_code.studies.grid import seed_band

#: The views, in the order the panel lays them out.
VIEWS: tuple[str, ...] = ("surface", "heatmap", "accuracy", "band")

#: What the band view says when it has nothing to draw.
NO_BAND = ("Seed band: only one seed of this configuration is finished. A band needs two or more; the study holds "
           "several seeds at each method's selected λ (EWC-MAS at λ = 3 has five).")


def _without_menus(figure: Any) -> Any:
    """The panel's own controls choose the coefficient and the pair: the figure's menus would contradict them."""
    figure.layout.updatemenus = ()  # (update_layout(updatemenus=[]) would keep the existing menus)
    return figure


def _titled(figure: Any, text: str, run: str) -> Any:
    """A view without its own menus, titled with what it shows and, in small type, which run."""
    figure = _without_menus(figure)
    figure.layout.title = title_below_modebar(f"{text}<br><sup>{run}</sup>")
    figure.layout.margin.t = max(figure.layout.margin.t or 0, 84)
    return figure


def _within(correlations: pd.DataFrame, window: tuple[int, int]) -> pd.DataFrame:
    return correlations[(correlations["task"] >= window[0]) & (correlations["task"] <= window[1])]


def build_views(shown: Results, seeds: Sequence[Results], pair: str, kind: str,
                window: tuple[int, int]) -> dict[str, Any]:
    """Each view of ``shown`` for ``pair``, ``kind`` and the tasks of ``window``: a plotly figure, or a sentence.

    ``seeds`` are the finished runs of the same configuration with other seeds (``shown`` included); the
    band view needs two of them.
    """
    low, high = window
    rows = _within(shown.correlations, window)
    run = html.escape(describe(shown.config))
    views: dict[str, Any] = {
        "surface": _titled(correlation_surface(rows, pair, kind),
                           f"{pair_label(pair)} correlation ({KIND_LABELS[kind]}), tasks {low}–{high}", run),
        "heatmap": _titled(correlation_heatmap(rows, pair, kind),
                           f"{pair_label(pair)} by layer and tasks learned ({KIND_LABELS[kind]})", run),
        "accuracy": _titled(accuracy_heatmap(shown.accuracy), "Test accuracy on every task as tasks are learned", run),
    }
    if len(seeds) < 2:
        views["band"] = NO_BAND
    else:
        table = pd.concat([r.correlations.assign(seed=r.config.seed) for r in seeds], ignore_index=True)
        figure = band_surfaces(seed_band(_within(table, window), kind), [pair], kind)
        views["band"] = _titled(figure, figure.layout.title.text,
                                "seeds " + ", ".join(str(r.config.seed) for r in seeds))
    return views


def output_entry(view: Any) -> dict[str, Any]:
    """An Output-widget entry for a view, in the format of plotly's current renderer.

    In a kernel that is plotly's own JSON (drawn by the page's plotly extension); while the book is built it
    is the book renderer's HTML, which the static page draws with its plotly.js. A sentence becomes a paragraph.
    """
    if isinstance(view, str):
        return {"output_type": "display_data", "metadata": {},
                "data": {"text/html": f'<p class="pc-note">{html.escape(view)}</p>', "text/plain": view}}
    data = dict(view._repr_mimebundle_())
    data.setdefault("text/plain", str(view.layout.title.text or "figure"))
    return {"output_type": "display_data", "data": data, "metadata": {}}
