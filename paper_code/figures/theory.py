"""The theory page's figures: log-log slopes against their prediction, and what squaring MAS does task by task."""

from __future__ import annotations

from paper_code.extras import require
from paper_code.figures.style import METHOD_COLORS, title_below_modebar
from paper_code.labels import method_label

go = require("plotly.graph_objects", "book")


def slope_dots(record: dict, pairs: list[str], title: str, kind: str = "own") -> "go.Figure":
    """Each pair's log-log slope per layer (mean over seeds, 95 % interval), a band of ± the record's margin around
    each prediction: one row per pair and layer, the layers of a pair together."""
    figure = go.Figure()
    rows, margin, values = [], record["margin"], []
    for pair in pairs:
        y, x = record["pair_methods"][pair]
        entries = record["pairs"][kind][pair]
        labels = [f"{method_label(y)} vs {method_label(x)}, layer {layer}" for layer in entries]
        rows += labels
        values += [entries[layer]["slope"]["mean"] for layer in entries]
        figure.add_scatter(
            x=[entries[layer]["slope"]["mean"] for layer in entries], y=labels, mode="markers", name=method_label(y)
            + " vs " + method_label(x),
            error_x=dict(type="data", array=[entries[layer]["slope"]["half"] or 0 for layer in entries], visible=True),
            marker=dict(size=10, color=METHOD_COLORS.get(y, "#333333"),
                        symbol="circle" if x == "fis" else "diamond"),
            hovertemplate="%{y}<br>slope %{x:.3f} ± %{error_x.array:.3f}<extra></extra>")
    predictions = sorted({record["pairs"][kind][p][layer]["predicted"] for p in pairs for layer in record["pairs"][kind][p]})
    for predicted in predictions:
        figure.add_vrect(x0=predicted - margin, x1=predicted + margin, fillcolor="#999999", opacity=0.18, line_width=0)
        figure.add_vline(x=predicted, line=dict(color="#555555", dash="dash", width=1),
                         annotation_text="√F predicts 0.5" if predicted == 0.5 else f"predicted {predicted:g}",
                         annotation_position="top")
    figure.update_layout(
        title=title_below_modebar(title), showlegend=False,
        xaxis=dict(title=dict(text="log-log slope (reduced major axis), mean over seeds and 95 % interval"),
                   range=[min(values + [p - margin for p in predictions]) - 0.05,
                          max(values + [p + margin for p in predictions]) + 0.05]),
        yaxis=dict(automargin=True, categoryorder="array", categoryarray=rows[::-1]),
        height=150 + 30 * len(rows), margin=dict(l=20, r=40, t=90, b=60))
    return figure


def squaring_by_task(record: dict, title: str) -> "go.Figure":
    """corr(FIS, MAS²) − corr(FIS, MAS) on the accumulated importances after each task, mean over seeds and layers
    with its 95 % interval over seeds, and the zero line the paper's claim must clear."""
    tasks = sorted(record["mas_squared_by_task"], key=int)
    values = [record["mas_squared_by_task"][t] for t in tasks]
    figure = go.Figure()
    figure.add_scatter(x=[int(t) for t in tasks], y=[v["mean"] for v in values], mode="lines+markers",
                       error_y=dict(type="data", array=[v["half"] or 0 for v in values], visible=True),
                       line=dict(color=METHOD_COLORS["mas"]),
                       hovertemplate="after task %{x}: %{y:+.3f} ± %{error_y.array:.3f}<extra></extra>")
    figure.add_hline(y=0, line=dict(color="#555555", dash="dash", width=1))
    figure.update_layout(title=title_below_modebar(title), showlegend=False,
                         xaxis=dict(title=dict(text="after task"), dtick=1),
                         yaxis=dict(title=dict(text="r(FIS, MAS²) − r(FIS, MAS)"), zeroline=False),
                         height=420, margin=dict(l=20, r=30, t=90, b=60))
    return figure
