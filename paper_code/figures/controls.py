"""The controls beside the paper's importances inside EWC: each regularizer's gain over fine-tuning."""

from __future__ import annotations


from paper_code.extras import require
from paper_code.figures.style import METHOD_COLORS, title_below_modebar
from paper_code.labels import reg_label

go = require("plotly.graph_objects", "book")

#: How each group of regularizers is drawn: importances as filled dots, controls as open diamonds.
GROUP_SYMBOLS = {"importance": "circle", "control": "diamond-open"}


def share_dots(record: dict, title: str) -> "go.Figure":
    """Each regularizer's share of the reference's gain over fine-tuning, with its 95 % interval: one row per
    regularizer of a "Does the importance matter?" findings record, the importances above the controls, a solid
    line at the reference (100 %) and a dashed one at the margin of "comparable quality"."""
    reference = record["reference"]
    entries = record["regularizers"]
    order = record["importances_by_accuracy"] + record["controls_by_share"]
    rows = [r for r in order if r != reference][::-1]  # plotly draws the first category at the bottom
    figure = go.Figure()
    for group, symbol in GROUP_SYMBOLS.items():
        part = [r for r in rows if entries[r]["group"] == group]
        if not part:
            continue
        colors = [METHOD_COLORS.get(r, "#333333") for r in part]
        figure.add_scatter(
            x=[100 * entries[r]["share_kept"]["mean"] for r in part],
            y=[f"{reg_label(r)}, λ = {entries[r]['lam']:g}" for r in part], mode="markers",
            name=f"{group}s", showlegend=False,
            error_x=dict(type="data", array=[100 * (entries[r]["share_kept"]["half"] or 0) for r in part],
                         visible=True, thickness=1.5),
            marker=dict(size=11, symbol=symbol, color=colors, line=dict(width=2, color=colors)),
            hovertemplate="%{y}<br>%{x:.1f} ± %{error_x.array:.1f} % of the gain<extra></extra>",
        )
        # The legend names the symbol; each importance's marker has its own colour, so the key is drawn in grey.
        figure.add_scatter(x=[None], y=[None], mode="markers", name=f"{group}s",
                           marker=dict(size=11, symbol=symbol, color="#777777", line=dict(width=2, color="#777777")))
    figure.add_vline(x=100, line=dict(color=METHOD_COLORS.get(reference, "#333333"), width=1.5),
                     annotation_text=reg_label(reference), annotation_position="top")
    figure.add_vline(x=100 * (1 - record["margin_share"]), line=dict(color="#555555", dash="dash", width=1),
                     annotation_text="comparable from here", annotation_position="bottom left")
    figure.update_layout(
        title=title_below_modebar(title),
        xaxis=dict(title=dict(text=f"share of {reg_label(reference)}'s gain over fine-tuning (%)"), ticksuffix=""),
        yaxis=dict(automargin=True),
        # Just below the axis title, whatever the number of rows (the plot area is the height less the margins).
        legend=dict(orientation="h", y=-75 / (42 * len(rows) - 40), yanchor="top"),
        height=140 + 42 * len(rows),
        margin=dict(l=20, r=30, t=80, b=100),
    )
    return figure
