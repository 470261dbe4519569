"""The book's figure builders, on small synthetic tables: the right numbers in the right places."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from paper_code.figures import run as plots
from paper_code.figures.renderer import setup_plotly
from paper_code.labels import pair_label


def correlations_table(pairs=("mas_fis", "mas_sig"), tasks=4) -> pd.DataFrame:
    rows = []
    for pair, layer, task in itertools.product(pairs, (1, 2, 3), range(1, tasks + 1)):
        # Distinct values per cell; Spearman is minus half of Pearson.
        base = (0.5 if pair == pairs[0] else -0.2) - layer / 10 + task / 100
        rows.append(dict(pair=pair, layer=layer, task=task, pearson=base, spearman=-base / 2))
    return pd.DataFrame(rows)


def accuracy_table(tasks=3) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(after_task=a, eval_task=e, accuracy=0.9 if e <= a else 0.1 + e / 100) for a in range(1, tasks + 1)
         for e in range(1, tasks + 1)]
    )


def test_pair_labels():
    assert pair_label("mas_fis") == "MAS–FIS"
    assert pair_label("fis_mas2") == "FIS–MAS²"
    assert pair_label("si_sig") == "SI–SIG"


def test_surface_draws_the_chosen_coefficient_on_a_fitted_scale():
    table = correlations_table()
    figure = plots.correlation_surface(table, "mas_fis", "spearman")
    # mas_fis: Pearson 0.41 to 0.44 ... 0.21 to 0.24 (all positive), Spearman minus half of it (all negative).
    (surface,) = figure.data  # no zero plane: the Spearman values never cross 0
    assert list(surface.x) == [1, 2, 3] and list(surface.y) == [1, 2, 3, 4]
    rows = table[table.pair == "mas_fis"]
    expected = rows.pivot(index="task", columns="layer", values="pearson").to_numpy()
    np.testing.assert_allclose(np.asarray(surface.z, dtype=float), -expected / 2)
    # Fitted to the data, not fixed on [-1, 1]: Spearman spans -0.22 to -0.105, so blues from -0.25 to -0.10.
    assert surface.colorscale[0][1] != surface.colorscale[-1][1]
    assert (surface.cmin, surface.cmax) == (pytest.approx(-0.25), pytest.approx(-0.10))
    custom = np.asarray(surface.customdata, dtype=float)
    assert custom.shape == (4, 3, 2)
    np.testing.assert_allclose(custom[..., 0], expected)
    np.testing.assert_allclose(custom[..., 1], -expected / 2)
    assert "customdata[0]" in surface.hovertemplate and "tasks learned" in surface.hovertemplate
    assert not figure.layout.updatemenus  # no toggle: the caller chooses the coefficient for every view
    # A pair whose values cross zero gets a diverging scale centred on 0 and the translucent zero plane.
    crossing = table.assign(pearson=table.pearson - 0.3)
    surface, plane = plots.correlation_surface(crossing, "mas_fis", "pearson").data
    assert surface.cmin == -surface.cmax and np.all(np.asarray(plane.z, dtype=float) == 0)
    assert 0 < plane.opacity < 1 and plane.showscale is False and plane.hoverinfo == "skip"


def test_surface_task_range_and_errors():
    table = correlations_table()
    figure = plots.correlation_surface(table, "mas_sig", tasks=(2, 3))
    assert list(figure.data[0].y) == [2, 3]
    with pytest.raises(ValueError, match="not in these results"):
        plots.correlation_surface(table, "fis_si")
    with pytest.raises(ValueError, match="pearson, spearman"):
        plots.correlation_surface(table, "mas_fis", "kendall")
    with pytest.raises(ValueError, match="no results for tasks"):
        plots.correlation_surface(table, "mas_fis", tasks=(7, 9))


def test_heatmap_prints_values_on_the_same_fitted_scale():
    table = correlations_table()
    figure = plots.correlation_heatmap(table, "mas_sig", "pearson")
    (heatmap,) = figure.data
    expected = table[table.pair == "mas_sig"].pivot(index="task", columns="layer", values="pearson").to_numpy()
    np.testing.assert_allclose(np.asarray(heatmap.z, dtype=float), expected)
    assert heatmap.texttemplate == "%{z:.2f}"
    # mas_sig's Pearson values run from -0.5 to -0.26: blues from -0.50 to -0.25.
    assert (heatmap.zmin, heatmap.zmax) == (pytest.approx(-0.5), pytest.approx(-0.25))
    assert list(heatmap.x) == ["layer 1", "layer 2", "layer 3"]
    assert not figure.layout.updatemenus


def test_accuracy_heatmap_is_the_accuracy_matrix():
    accuracy = accuracy_table(3)
    figure = plots.accuracy_heatmap(accuracy)
    learned, unseen = figure.data
    z = np.asarray(learned.z, dtype=float)
    assert z.shape == (3, 3)
    assert z[0, 0] == 0.9 and z[2, 0] == 0.9
    # Tasks not learned yet (above the diagonal) are in their own grey trace, outside the colour scale.
    grey = np.asarray(unseen.z, dtype=float)
    assert np.isnan(z[0, 2]) and grey[0, 2] == pytest.approx(0.13)
    assert np.isnan(grey[np.tril_indices(3)]).all() and not np.isnan(z[np.tril_indices(3)]).any()
    assert unseen.showscale is False
    assert list(learned.x) == [1, 2, 3] and list(learned.y) == [1, 2, 3]
    assert learned.texttemplate == "%{z:.2f}" and (learned.zmin, learned.zmax) == (0.0, 1.0)


def test_agreement_dots_one_row_per_comparison_one_trace_per_layer():
    agreement = pd.DataFrame(
        [dict(comparison=c, layer=l, pearson=0.1 * l, spearman=0.2 * l) for c in ("a", "b") for l in (1, 2, 3)]
    )
    figure = plots.agreement_dots(agreement, "spearman")
    assert [t.name for t in figure.data] == ["layer 1", "layer 2", "layer 3"]
    np.testing.assert_allclose(figure.data[1].x, [0.4, 0.4])
    assert list(figure.data[1].y) == ["a", "b"]
    # The first comparison is drawn at the top.
    assert list(figure.layout.yaxis.categoryarray) == ["b", "a"]


def test_labelled_output_shares_show_the_seed_band():
    from paper_code.analysis.explanation import p_band

    p_summary = pd.DataFrame({"task": [1, 2, 1, 2], "seed": [0, 0, 1, 1], "mean": [0.99, 0.97, 0.97, 0.95],
                              "share_above_0.9": [0.98, 0.95, 0.96, 0.93], "share_above_0.99": [0.9, 0.8, 0.8, 0.7]})
    figure = plots.labelled_output_shares(p_band(p_summary))
    assert [t.name for t in figure.data] == ["mean p_k", "share of samples with p_k > 0.9",
                                             "share of samples with p_k > 0.99"]
    # Task 1's mean p_k over the two seeds: (0.99 + 0.97) / 2, std |0.99 - 0.97| / √2.
    np.testing.assert_allclose(figure.data[0].y, [0.98, 0.96])
    np.testing.assert_allclose(figure.data[0].error_y.array, [0.02 / np.sqrt(2)] * 2)
    assert "2 seeds" in figure.layout.title.text


def test_book_renderer_emits_html_only_without_plotly_js():
    import plotly.io as pio

    previous = pio.renderers.default
    try:
        assert setup_plotly(book=True) == "book"
        bundle = pio.renderers["book"].to_mimebundle(plots.correlation_surface(correlations_table(), "mas_fis").to_dict())
        assert list(bundle) == ["text/html"]
        html = bundle["text/html"]
        assert "Plotly.newPlot" in html and "plotly-graph-div" in html
        assert "<script src=" not in html and "cdn.plot.ly" not in html
        assert len(html) < 200_000  # plotly.js alone is about 4.8 MB
    finally:
        pio.renderers.default = previous


def test_analysis_figures_open_where_the_text_starts_and_show_every_pair():
    from paper_code.figures.analysis import agreement_scatter, overlap_heatmaps

    overlap = pd.DataFrame([dict(seed=0, method_a="fis", method_b="mas", layer=layer, k=k, jaccard=0.1 * k / 50)
                            for layer in (1, 2) for k in (1.0, 10.0, 50.0)])
    figure = overlap_heatmaps(overlap)
    shown = [trace for trace in figure.data if trace.visible]
    assert len(shown) == 2 and shown[0].z[0][1] == pytest.approx(0.1 / 50)  # the top 1 % first, as the page's text
    assert figure.layout.updatemenus[0].active == 0 and "top 1%" in figure.layout.title.text

    agreement = pd.DataFrame(dict(method_a=["fis", "mas"], method_b=["sig", "sig"], pearson=[-0.45, 0.6],
                                  jaccard_10=[0.02, 0.2]))
    low, high = agreement_scatter(agreement).layout.xaxis.range
    assert low < -0.45 and high >= 1.0  # a negatively correlated pair is inside the axis, not clipped


def test_difference_heatmap_rows_are_pair_and_layer_and_its_scale_ends_at_the_largest_difference():
    from paper_code.figures.grid import difference_heatmap

    frame = pd.DataFrame([dict(pair=pair, layer=layer, task=task, difference=0.01 * task * (1 if pair == "mas_fis" else -2))
                          for pair in ("mas_fis", "mas_sig") for layer in (1, 2) for task in (1, 2, 3)])
    (heatmap,) = difference_heatmap(frame, ["mas_fis", "mas_sig", "fis_si"]).data
    assert list(heatmap.x) == [1, 2, 3]
    assert list(heatmap.y) == [f"{pair_label('mas_fis')} L1", f"{pair_label('mas_fis')} L2",
                               f"{pair_label('mas_sig')} L1", f"{pair_label('mas_sig')} L2"]
    np.testing.assert_allclose(np.asarray(heatmap.z, dtype=float)[2], [-0.02, -0.04, -0.06])
    # The largest |difference| is 0.06: the scale is ±0.1, not ±1.
    assert (heatmap.zmin, heatmap.zmax) == (-0.1, 0.1)


def test_lambda_curves_keep_fine_tuning_off_the_axes_and_name_its_numbers():
    from paper_code.figures.grid import lambda_curves
    from paper_code.studies.grid import LambdaChoice

    summary = pd.DataFrame([
        dict(reg="mas", lam=1.0, accuracy_mean=0.93, accuracy_std=0.01, forgetting_mean=0.03, forgetting_std=0.005, seeds=3),
        dict(reg="mas", lam=10.0, accuracy_mean=0.95, accuracy_std=0.01, forgetting_mean=0.01, forgetting_std=0.005, seeds=3),
        dict(reg="none", lam=0.0, accuracy_mean=0.47, accuracy_std=0.02, forgetting_mean=0.55, forgetting_std=0.02, seeds=3),
    ])
    figure = lambda_curves(summary, {"mas": LambdaChoice("mas", 10.0, 0.95, 3, at_edge=True)})
    assert {trace.legendgroup for trace in figure.data} == {"mas"}
    titles = [a.text for a in figure.layout.annotations]
    assert "fine-tuning (no penalty): 0.470" in titles[0] and "fine-tuning (no penalty): 0.550" in titles[1]
    low, high = figure.layout.yaxis.range
    assert 0.47 < low < 0.92 and high > 0.96
