"""The sensitivity page's figure: each key number under each variant, with its seed spread and the paper's line."""

from __future__ import annotations

import pandas as pd

from paper_code.extras import require
from paper_code.figures.style import title_below_modebar
from paper_code.labels import variant_label
from paper_code.studies.sensitivity import KEY_NUMBERS

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

#: Where each key number's paper condition draws its line.
PAPER_LINES = {"> 0.8": 0.8, "> 0": 0.0, "> 0.75": 0.75, "about 0.6 (≥ 0.4)": 0.4, "< 0": 0.0}


def _wrap(label: str) -> str:
    """A panel title on two lines where it has a parenthesis, so two panels fit beside each other."""
    return label.replace(" (", "<br>(", 1)


def key_numbers_figure(frame: pd.DataFrame) -> "go.Figure":
    """One panel per key number: variants down the side, seed mean ± std across, the paper's threshold dashed."""
    numbers = [n for n in KEY_NUMBERS if (frame["key"] == n.key).any()]
    columns = 2
    rows = -(-len(numbers) // columns)
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=[f"{n.claim}: {_wrap(n.label)}" for n in numbers],
                           horizontal_spacing=0.2, vertical_spacing=0.08)
    variants = list(dict.fromkeys(frame["variant"]))
    for index, number in enumerate(numbers):
        row, col = index // columns + 1, index % columns + 1
        cells = frame[frame["key"] == number.key].set_index("variant").reindex(variants)
        colours = ["#1f77b4" if v == "default" else ("#2ca02c" if h else "#7f7f7f")
                   for v, h in zip(variants, cells["holds"].fillna(False))]
        figure.add_trace(go.Scatter(
            x=cells["mean"], y=[variant_label(v) for v in variants], mode="markers",
            marker=dict(color=colours, size=9), showlegend=False,
            error_x=dict(type="data", array=cells["std"].fillna(0.0), visible=True),
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        ), row=row, col=col)
        line = PAPER_LINES.get(number.paper)
        if line is not None:
            figure.add_vline(x=line, line_dash="dash", line_color="#d62728", row=row, col=col)
        figure.update_xaxes(title_text=f"Pearson r (paper: {number.paper})", title_font_size=11, row=row, col=col)
    figure.update_annotations(font_size=12)
    figure.update_layout(
        height=340 * rows + 40, margin=dict(l=110, r=20, t=140, b=40),
        title=title_below_modebar("Key numbers under each variant: seed mean ± std<br>"
                                  "<sup>blue: the default; green: meets the paper</sup>"),
    )
    return figure
