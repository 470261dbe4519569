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


def test_agreement_dots_write_subscripts_as_the_formula_does():
    agreement = pd.DataFrame([dict(comparison="FIS vs (Σ_k ∂p_k/∂θ)²", layer=1, pearson=0.5, spearman=0.5)])
    figure = plots.agreement_dots(agreement, "pearson")
    assert list(figure.data[0].y) == ["FIS vs (Σₖ ∂pₖ/∂θ)²"]


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


