"""Plotly figures of the committed analysis: pruning curves with seed bands, top-k overlap heatmaps,
correlation against overlap and pruning, correlations with the baselines, and the rank-1 structure.

The builders take the tables of :mod:`paper_code.analysis.across_seeds` (or the summaries of
:mod:`paper_code.analysis.summaries`) and follow the look of :mod:`paper_code.figures.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_code.analysis.summaries import pruning_summary
from paper_code.config import is_method, ordered_methods
from paper_code.extras import require
from paper_code.figures.style import METHOD_COLORS, colorbar, fitted_scale, title_below_modebar
from paper_code.labels import method_label, pair_label, side_label

go = require("plotly.graph_objects", "book")
make_subplots = require("plotly.subplots", "book").make_subplots

SCOPE_TITLES = {"layer": "each layer pruned by the fraction", "global": "all weights ranked together"}


#: The controls a pair may be made with: their pairs are drawn in grey.
BASELINES = ("magnitude", "random")
#: Colours of pairs of importances (a pair has no method colour of its own).
PAIR_PALETTE = ["#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#1f77b4", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                "#393b79", "#637939", "#7b4173"]


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _methods(frame: pd.DataFrame, column: str = "method") -> list[str]:
    present = set(frame[column])
    return [m for m in ordered_methods(present) if is_method(m)]


SCOPE_WORDS = {"layer": "each layer pruned by the fraction", "global": "all weights ranked together"}
RANKING_TITLES = {"importance": "Pruning by importance Ω", "saliency": "Pruning by saliency Ω·w²"}


def pruning_curves(pruning: pd.DataFrame, ranking: str = "importance") -> go.Figure:
    """Mean accuracy over the tasks learned against the fraction of weights removed, one line per importance,
    with a band of ± one standard deviation over seeds; one panel per scope; weights ordered by ``ranking``.

    The references (:data:`BASELINES`) are always ranked by themselves, as the page's tests compare them: random
    removal stays random (a random rank times w² would be partly |w|), and |w|·w² orders the weights as |w| does."""
    summary = pruning_summary(pruning, ranking)
    if ranking != "importance":
        references = pruning_summary(pruning)
        summary = pd.concat([summary[~summary.method.isin(BASELINES)], references[references.method.isin(BASELINES)]],
                            ignore_index=True)
    scopes = [s for s in ("layer", "global") if (summary.scope == s).any()]
    figure = make_subplots(rows=1, cols=len(scopes), shared_yaxes=True, horizontal_spacing=0.06,
                           subplot_titles=[SCOPE_TITLES[s] for s in scopes])
    seeds = int(summary.seeds.max())
    for col, scope in enumerate(scopes, start=1):
        for method in _methods(summary):
            rows = summary[(summary.scope == scope) & (summary.method == method)].sort_values("fraction")
            x = (100 * rows.fraction).tolist()
            color = METHOD_COLORS.get(method, "#333333")
            figure.add_scatter(x=x + x[::-1], y=(rows["mean"] + rows["std"]).tolist() + (rows["mean"] - rows["std"]).tolist()[::-1],
                               mode="lines", fill="toself", fillcolor=_rgba(color, 0.15), line=dict(width=0),
                               hoverinfo="skip",
                               legendgroup=method, showlegend=False, row=1, col=col)
            figure.add_scatter(x=x, y=rows["mean"], mode="lines+markers", line=dict(color=color),
                               name=method_label(method), legendgroup=method, showlegend=col == 1,
                               customdata=rows[["std"]].to_numpy(), row=1, col=col,
                               hovertemplate=f"{method_label(method)}<br>%{{x:g}}% removed<br>accuracy %{{y:.4f}} ± "
                                             "%{customdata[0]:.4f}<extra></extra>")
    figure.update_xaxes(title_text="weights removed (%)")
    figure.update_yaxes(title_text="mean accuracy over the tasks learned", row=1, col=1)
    figure.update_layout(
        title=title_below_modebar(f"{RANKING_TITLES[ranking]}: mean ± std over {seeds} seeds"),
        legend=dict(orientation="h", y=-0.2), height=480, margin=dict(l=60, r=20, t=80, b=100),
    )
    return figure


def task_profile_chart(profile: pd.DataFrame, scope: str, fraction: float) -> go.Figure:
    """Accuracy on each task learned (x) of the network pruned by ``fraction`` under ``scope``, one line per
    importance (seed means, error bars ± one standard deviation): which tasks the pruning takes first."""
    figure = go.Figure()
    for method in _methods(profile):
        rows = profile[profile.method == method].sort_values("task")
        figure.add_scatter(x=rows.task, y=rows["mean"], mode="lines+markers", name=method_label(method),
                           line=dict(color=METHOD_COLORS.get(method, "#333333")),
                           error_y=dict(type="data", array=rows["std"].fillna(0.0), visible=True, thickness=1),
                           hovertemplate=f"{method_label(method)}<br>task %{{x}}<br>accuracy %{{y:.4f}}<extra></extra>")
    figure.update_xaxes(title_text="task (1 = learned first)", dtick=1)
    figure.update_yaxes(title_text="accuracy on the task")
    figure.update_layout(
        title=title_below_modebar(f"{100 * fraction:g}% of the weights removed: accuracy on each task<br>"
                                  f"<sup>{SCOPE_WORDS[scope]}, by importance</sup>"),
        legend=dict(orientation="h", y=-0.2), height=440, margin=dict(l=60, r=20, t=80, b=100),
    )
    return figure


# --------------------------------------------------------------------------- figures read from a findings record
#: The importances of a "Why they agree" record, in the order its figures list them (MAS² beside MAS).
RECORD_ORDER = ("fis", "fis_true", "mas", "mas2", "si", "sig", "magnitude", "random")


def threshold_scale(low: float, high: float, threshold: float) -> list[list]:
    """Blues below ``threshold``, white at it, reds above, on the range [low, high] (the threshold inside it)."""
    at = min(max((threshold - low) / (high - low), 0.0), 1.0)
    return [[0.0, "#2166ac"], [at / 2, "#92c5de"], [at, "#f7f7f7"], [(1 + at) / 2, "#f4a582"], [1.0, "#b2182b"]]


def magnitude_heatmap(record: dict) -> go.Figure:
    """Each importance's correlation with the magnitude |w| of the weights, per layer, after the last task (seed
    means), from a "Why they agree" record; colours centred on 0 and stretched to the largest |r|."""
    methods = [m for m in RECORD_ORDER if m in record["magnitude"]]
    layers = sorted(record["magnitude"][methods[0]], key=int)
    z = [[record["magnitude"][m][layer] for layer in layers] for m in methods]
    scale, low, high = fitted_scale([v for row in z for v in row])
    figure = go.Figure(go.Heatmap(
        z=z, x=[f"layer {layer}" for layer in layers], y=[side_label(m) for m in methods], zmin=low, zmax=high,
        colorscale=scale, texttemplate="%{z:.2f}", textfont=dict(size=13),
        hovertemplate="%{y}, %{x}: r with |w| = %{z:.3f}<extra></extra>", colorbar=colorbar("Pearson r with |w|"),
    ))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=title_below_modebar(
        f"Correlation with the magnitude |w|<br><sup>Pearson r, mean of {len(record['seeds'])} seeds, after the last "
        "task; colours centred on 0</sup>"), height=330, margin=dict(l=100, r=20, t=90, b=40))
    return figure


def rank1_heatmap(record: dict) -> go.Figure:
    """The share of each importance's variation its best rank-1 (row × column) fit explains, per layer, from a "Why
    they agree" record; colours centred on the record's "most" threshold."""
    shares = record["rank1_share"]
    methods = [m for m in RECORD_ORDER if m in shares]
    layers = sorted(shares[methods[0]], key=int)
    z = [[shares[m][layer] for layer in layers] for m in methods]
    threshold = record["thresholds"]["most"]
    values = [v for row in z for v in row]
    low, high = 0.0, max(threshold + 0.05, float(np.ceil(max(values) / 0.05) * 0.05))
    figure = go.Figure(go.Heatmap(
        z=z, x=[f"layer {layer}" for layer in layers], y=[side_label(m) for m in methods], zmin=low, zmax=high,
        colorscale=threshold_scale(low, high, threshold), texttemplate="%{z:.2f}", textfont=dict(size=13),
        hovertemplate="%{y}, %{x}: the rank-1 fit explains %{z:.3f} of the variation<extra></extra>",
        colorbar=colorbar(f"share explained (white at {threshold:g})"),
    ))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=title_below_modebar(
        f"Variation explained by the rank-1 (row × column) fit<br><sup>mean of {len(record['seeds'])} seeds, "
        "accumulated importances after the last task</sup>"), height=420, margin=dict(l=100, r=20, t=90, b=40))
    return figure


LAYER_SYMBOLS = {1: "circle", 2: "square", 3: "diamond"}


def unit_share_map(record: dict) -> go.Figure:
    """Each (pair, layer) of a "Why they agree" record strong enough to split (|r| at least the record's "weak"):
    the share of its covariance the two rank-1 fits carry (x) against the correlation of what the fits leave out
    (y), with the record's thresholds as lines: right of the vertical one the fits carry most of the agreement,
    above the horizontal one the two importances also agree weight by weight."""
    thresholds = record["thresholds"]
    figure = go.Figure()
    xs = []
    for index, (pair, layers) in enumerate(record["pairs"].items()):
        cells = [(int(layer), cell) for layer, cell in layers.items() if abs(cell["pearson"]) >= thresholds["weak"]]
        if not cells:
            continue
        xs += [100 * cell["rank1_share"] for _, cell in cells]
        color = PAIR_PALETTE[index % len(PAIR_PALETTE)]
        # The legend names the pair by its colour (a plain dot); the points' shapes name their layers.
        figure.add_scatter(x=[None], y=[None], mode="markers", name=pair_label(pair), legendgroup=pair,
                           marker=dict(size=11, color=color, symbol="circle"))
        figure.add_scatter(
            x=[100 * cell["rank1_share"] for _, cell in cells], y=[cell["pearson_residual"] for _, cell in cells],
            mode="markers", name=pair_label(pair), legendgroup=pair, showlegend=False,
            marker=dict(size=12, color=color, line=dict(width=1, color="white"),
                        symbol=[LAYER_SYMBOLS.get(layer, "circle") for layer, _ in cells]),
            customdata=[[layer, cell["pearson"], cell["pearson_rank1"]] for layer, cell in cells],
            hovertemplate=pair_label(pair) + ", layer %{customdata[0]}<br>observed r %{customdata[1]:.2f}, rank-1 fits "
                          "r %{customdata[2]:.2f}<br>covariance in the rank-1 parts %{x:.0f} %<br>residuals r %{y:.2f}"
                          "<extra></extra>")
    most, residual = 100 * thresholds["most"], thresholds["residual"]
    figure.add_vline(x=most, line=dict(color="#555555", dash="dash", width=1))
    figure.add_hline(y=residual, line=dict(color="#555555", dash="dash", width=1))
    low = min(40.0, float(np.floor(min(xs) / 10) * 10)) if xs else 40.0
    high = max(110.0, float(np.ceil(max(xs) / 10) * 10) + 5) if xs else 110.0
    for x, y, text in ((most + 1, -0.25, "the units alone"), (most + 1, 1.02, "units, and weight by weight"),
                       (low + 1, 1.02, "partly units, and weight by weight")):
        figure.add_annotation(x=x, y=y, text=text, showarrow=False, xanchor="left", font=dict(size=12, color="#555555"))
    figure.update_layout(
        title=title_below_modebar("How much of each agreement the rank-1 fits carry<br><sup>pairs and layers with "
                                  f"|r| ≥ {thresholds['weak']:g}; ● layer 1, ■ layer 2, ◆ layer 3; "
                                  f"mean of {len(record['seeds'])} seeds</sup>"),
        xaxis=dict(title=dict(text="share of the covariance in the rank-1 parts (%)"), range=[low, high]),
        yaxis=dict(title=dict(text="Pearson r of the residuals"), range=[-0.35, 1.08]),
        legend=dict(orientation="h", y=-0.18), height=520, margin=dict(l=60, r=20, t=90, b=110),
    )
    return figure
