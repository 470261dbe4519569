"""The sensitivity page's figure, read from its findings record (``study/findings/b7.json``): each key number under
each variant, with its 95 % interval over the seeds and the paper's threshold."""

from __future__ import annotations

from typing import Any

from paper_code.extras import require
from paper_code.figures.style import title_below_modebar

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

#: The default, a variant that meets the paper's condition, and one that does not.
DEFAULT_COLOR, MEETS_COLOR, MISSES_COLOR = "#1f77b4", "#2ca02c", "#7f7f7f"


def key_number_dots(record: dict[str, Any], title: str) -> "go.Figure":
    """One panel per key number: the default and every variant down the side, the mean over their seeds with its
    95 % interval across, the paper's threshold dashed. Each panel's axis is fitted to its values and threshold."""
    numbers = record["numbers"]
    order = ["default", *record["variant_order"]]
    variants = record["variants"]
    labels = [variants[v]["name"] for v in order][::-1]  # plotly draws the first category at the bottom
    columns = 2
    rows = -(-len(numbers) // columns)
    # Each panel's title on two lines (the pair, then the statistic), so two panels fit side by side.
    titles = [f"{n['section']}: {n['label']}".replace(", ", "<br>", 1) for n in numbers.values()]
    figure = make_subplots(rows=rows, cols=columns, shared_yaxes=True, horizontal_spacing=0.06, vertical_spacing=0.1,
                           subplot_titles=titles)
    for index, (key, number) in enumerate(numbers.items()):
        row, col = index // columns + 1, index % columns + 1
        xs, ys, halves, colors, texts = [], [], [], [], []
        for variant in order[::-1]:
            found = variants[variant]["numbers"][key]
            if found["value"] is None:
                continue
            value = found["value"]
            xs.append(value["mean"])
            ys.append(variants[variant]["name"])
            halves.append(value["half"] or 0.0)
            colors.append(DEFAULT_COLOR if variant == "default" else MEETS_COLOR if found["meets"] else MISSES_COLOR)
            texts.append(f"{value['seeds']} seeds")
        figure.add_scatter(x=xs, y=ys, mode="markers", marker=dict(color=colors, size=8), showlegend=False,
                           error_x=dict(type="data", array=halves, visible=True, thickness=1.2), text=texts,
                           hovertemplate="%{y}: %{x:.3f} ± %{error_x.array:.3f} (%{text})<extra></extra>",
                           row=row, col=col)
        figure.add_vline(x=number["threshold"], line_dash="dash", line_color="#d62728", row=row, col=col)
        reach = [x - h for x, h in zip(xs, halves)] + [x + h for x, h in zip(xs, halves)] + [number["threshold"]]
        pad = 0.08 * (max(reach) - min(reach) or 0.1)
        figure.update_xaxes(range=[min(reach) - pad, max(reach) + pad], title_text=f"paper: {number['paper']}",
                            title_font_size=11, title_standoff=4, row=row, col=col)
    figure.update_yaxes(categoryorder="array", categoryarray=labels, tickfont=dict(size=11))
    figure.update_annotations(font_size=12)
    figure.update_layout(
        height=270 * rows + 120, margin=dict(l=100, r=40, t=140, b=40),
        title=title_below_modebar(title),
    )
    return figure
