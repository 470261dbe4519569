"""Plotly figures of the committed analysis: pruning curves with seed bands, top-k overlap heatmaps,
correlation against overlap and pruning, correlations with the baselines, and the rank-1 structure.

The builders take the tables of :mod:`paper_code.analysis.across_seeds` (or the summaries of
:mod:`paper_code.analysis.summaries`) and follow the look of :mod:`paper_code.figures.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_code.analysis.summaries import at_last_task, pruning_summary
from paper_code.config import METHOD_NAMES
from paper_code.extras import require
from paper_code.figures.style import CORRELATION_COLORSCALE, METHOD_COLORS, colorbar, fitted_scale, title_below_modebar
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
    return [m for m in METHOD_NAMES if m in present]


SCOPE_WORDS = {"layer": "each layer pruned by the fraction", "global": "all weights ranked together"}
RANKING_TITLES = {"importance": "Pruning by importance Ω", "saliency": "Pruning by saliency Ω·w²"}


def pruning_curves(pruning: pd.DataFrame, ranking: str = "importance") -> go.Figure:
    """Mean accuracy over the tasks learned against the fraction of weights removed, one line per importance,
    with a band of ± one standard deviation over seeds; one panel per scope; weights ordered by ``ranking``."""
    summary = pruning_summary(pruning, ranking)
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


def overlap_heatmaps(overlap: pd.DataFrame) -> go.Figure:
    """Jaccard overlap of the top-k% weights of every two importances, one heatmap per layer (seed means);
    buttons pick k."""
    means = overlap.groupby(["method_a", "method_b", "layer", "k"]).jaccard.mean().reset_index()
    methods = [m for m in METHOD_NAMES if m in set(means.method_a) | set(means.method_b)]
    labels = [method_label(m) for m in methods]
    layers = sorted(means.layer.unique())
    ks = sorted(means.k.unique())
    # One layer per row, each as wide as the page: three heatmaps side by side leave cells too small to print in.
    figure = make_subplots(rows=len(layers), cols=1, subplot_titles=[f"layer {int(layer)}" for layer in layers],
                           vertical_spacing=0.12 / max(1, len(layers) - 1) * 2, shared_xaxes=True)
    for k in ks:
        for row, layer in enumerate(layers, start=1):
            matrix = np.eye(len(methods))
            rows = means[(means.k == k) & (means.layer == layer)]
            for r in rows.itertuples():
                i, j = methods.index(r.method_a), methods.index(r.method_b)
                matrix[i, j] = matrix[j, i] = r.jaccard
            figure.add_heatmap(z=matrix, x=labels, y=labels, zmin=0, zmax=1, colorscale="Viridis",
                               texttemplate="%{z:.2f}", textfont=dict(size=12), showscale=row == 1,
                               visible=k == ks[0], colorbar=colorbar("Jaccard", len=0.5, y=1, yanchor="top"),
                               row=row, col=1,
                               hovertemplate="%{y} and %{x}<br>top " + f"{k:g}" + "%: Jaccard %{z:.3f}<extra></extra>")
    per_k = len(layers)
    buttons = [dict(label=f"top {k:g}%", method="update",
                    args=[{"visible": [index // per_k == n for index in range(len(ks) * per_k)]},
                          {"title.text": f"Shared top {k:g}% of weights (Jaccard, mean over seeds)"}])
               for n, k in enumerate(ks)]
    panel = 40 + 30 * len(methods)
    figure.update_layout(
        title=title_below_modebar(f"Shared top {ks[0]:g}% of weights (Jaccard, mean over seeds)"),
        updatemenus=[dict(type="buttons", direction="right", active=0, x=0.0, xanchor="left", y=1.0,
                          yanchor="bottom", pad=dict(b=30), buttons=buttons)],
        height=150 + panel * len(layers), margin=dict(l=20, r=20, t=130, b=40),
    )
    figure.update_yaxes(automargin=True, ticklabelstandoff=4)
    figure.update_yaxes(autorange="reversed")
    return figure


def agreement_scatter(agreement: pd.DataFrame, k: float = 10.0) -> go.Figure:
    """Each pair of importances: correlation (x) against top-k% overlap and against the pruning gap (y)."""
    panels = [(f"jaccard_{k:g}", f"top {k:g}% Jaccard overlap")]
    panels += [(f"gap_{s}", f"pruning gap, {name}") for s, name in (("layer", "layer-wise"), ("global", "global"))
               if f"gap_{s}" in agreement]
    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for _, t in panels], horizontal_spacing=0.08)
    names = np.array([f"{method_label(a)}–{method_label(b)}" for a, b in zip(agreement.method_a, agreement.method_b)])
    baseline = (agreement.method_a.isin(BASELINES) | agreement.method_b.isin(BASELINES)).to_numpy()
    # Each pair of two importances is its own legend entry (its label); the pairs with a baseline share one grey
    # entry, and hovering names them.
    groups = [(name, names == name, PAIR_PALETTE[index % len(PAIR_PALETTE)])
              for index, name in enumerate(names[~baseline])]
    if baseline.any():
        groups.append(("a pair with |w| or random (hover for its name)", baseline, "#8c8c8c"))
    for col, (column, title) in enumerate(panels, start=1):
        for name, rows, color in groups:
            figure.add_scatter(x=agreement.pearson[rows], y=agreement[column][rows], mode="markers", text=names[rows],
                               row=1, col=col, name=name, legendgroup=name, showlegend=col == 1,
                               marker=dict(size=9, color=color),
                               hovertemplate="%{text}<br>r = %{x:.2f}<br>" + title + " %{y:.3f}<extra></extra>")
    # Every pair inside the axis: some pairs correlate negatively (SIG on the output layer).
    low = min(-0.1, float(agreement.pearson.min()) - 0.05)
    figure.update_xaxes(title_text="Pearson r", range=[low, 1.05])
    figure.update_layout(title=title_below_modebar("Correlation against shared top weights and pruning gap, one point per pair"),
                         legend=dict(orientation="h", y=-0.22), height=520, margin=dict(l=60, r=20, t=80, b=60))
    return figure


def baseline_heatmap(correlations: pd.DataFrame) -> go.Figure:
    """Each importance's correlation with |w| and with the random control, per layer, after the last task."""
    last = at_last_task(correlations)
    methods = [m for m in METHOD_NAMES if m not in ("magnitude", "random") and (last.pair == f"{m}_magnitude").any()]
    layers = sorted(last.layer.unique())
    figure = make_subplots(rows=1, cols=2, subplot_titles=("with the magnitude |w|", "with the random control"),
                           horizontal_spacing=0.12)
    for col, baseline in enumerate(("magnitude", "random"), start=1):
        z = [[last[(last.pair == f"{m}_{baseline}") & (last.layer == layer)].pearson.mean() for layer in layers] for m in methods]
        figure.add_heatmap(z=z, x=[f"layer {int(layer)}" for layer in layers], y=[method_label(m) for m in methods],
                           zmin=-1, zmax=1, colorscale=CORRELATION_COLORSCALE, texttemplate="%{z:.2f}",
                           showscale=col == 2, row=1, col=col,
                           hovertemplate="%{y}, %{x}: r = %{z:.3f}<extra></extra>")
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=title_below_modebar("Correlation with the baselines (Pearson, seed mean, after the last task)"),
                         height=360, margin=dict(l=90, r=20, t=80, b=40))
    return figure


def structure_heatmap(summary: pd.DataFrame) -> go.Figure:
    """Share of each importance's variation that its best rank-1 (row × column) fit explains, per layer."""
    order = [m for m in list(METHOD_NAMES) + [f"{m}2" for m in METHOD_NAMES] if m in set(summary.method)]
    layers = sorted(summary.layer.unique())
    indexed = summary.set_index(["method", "layer"]).variance_share
    z = [[float(indexed.get((m, layer), np.nan)) for layer in layers] for m in order]
    labels = [side_label(m) for m in order]
    figure = go.Figure(go.Heatmap(z=z, x=[f"layer {int(layer)}" for layer in layers], y=labels, zmin=0, zmax=1,
                                  colorscale="Viridis", texttemplate="%{z:.2f}",
                                  hovertemplate="%{y}, %{x}: rank-1 fit explains %{z:.3f} of the variation<extra></extra>",
                                  colorbar=colorbar("share")))
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=title_below_modebar("Variation explained by the rank-1 (row × column) fit"),
                         height=420, margin=dict(l=110, r=20, t=70, b=40))
    return figure


def rank1_scatter(share: pd.DataFrame) -> go.Figure:
    """Observed correlation (x) against the correlation of the two rank-1 fits (y): one colour per pair, one
    marker shape per layer. Points on the diagonal are pairs whose agreement the unit structure reproduces."""
    figure = go.Figure()
    figure.add_scatter(x=[-1, 1], y=[-1, 1], mode="lines", line=dict(color="#999999", dash="dash"),
                       name="fits = observed", hoverinfo="skip")
    symbols = {1: "circle", 2: "square", 3: "diamond"}
    palette = PAIR_PALETTE
    for index, pair in enumerate(share.pair.unique()):
        rows = share[share.pair == pair]
        figure.add_scatter(
            x=rows.pearson, y=rows.pearson_rank1, mode="markers", name=pair_label(pair),
            marker=dict(size=11, color=palette[index % len(palette)],
                        symbol=[symbols.get(int(layer), "circle") for layer in rows.layer]),
            customdata=np.stack([rows.layer, rows.rank1_share, rows.pearson_residual], axis=-1),
            hovertemplate=pair_label(pair) + ", layer %{customdata[0]:.0f}<br>observed r %{x:.3f}"
                          "<br>rank-1 fits r %{y:.3f}<br>covariance in rank-1 parts %{customdata[1]:.0%}"
                          "<br>residuals r %{customdata[2]:.3f}<extra></extra>",
        )
    figure.update_layout(
        title=title_below_modebar("Correlation of the rank-1 fits against the observed one (● layer 1, ■ layer 2, ◆ layer 3)"),
        xaxis=dict(title=dict(text="observed Pearson r"), range=[-0.25, 1.05]),
        yaxis=dict(title=dict(text="Pearson r of the rank-1 fits"), range=[-0.25, 1.05]),
        height=520, margin=dict(l=60, r=20, t=70, b=60),
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
