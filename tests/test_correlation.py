"""Correlations against scipy, and the per-layer table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from paper_code.config import parse_pair
from paper_code.correlation import ConstantInputWarning, average_ranks, correlate, pearson, spearman


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pearson_and_spearman_match_scipy(seed):
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=500)
    y = x**2 + rng.normal(scale=0.5, size=500)
    x[:50] = 0.0  # ties, as in the many zero importances of always-black pixels
    y[100:130] = 1.0
    assert pearson(torch.tensor(x), torch.tensor(y)) == pytest.approx(stats.pearsonr(x, y)[0], rel=1e-12)
    assert spearman(torch.tensor(x), torch.tensor(y)) == pytest.approx(stats.spearmanr(x, y)[0], rel=1e-12)


def test_average_ranks_match_scipy_rankdata():
    values = torch.tensor([3.0, 1.0, 3.0, 2.0, 1.0, 1.0, 7.0])
    np.testing.assert_array_equal(average_ranks(values).numpy(), stats.rankdata(values.numpy()))


def test_float32_inputs_are_correlated_in_float64():
    x = torch.linspace(0, 1, 1001, dtype=torch.float32)
    assert pearson(x, 3 * x + 1) == pytest.approx(1.0, abs=1e-12)
    assert spearman(x, -x) == pytest.approx(-1.0, abs=1e-12)


def test_constant_vector_gives_nan_and_warning():
    with pytest.warns(ConstantInputWarning):
        assert math.isnan(pearson(torch.ones(10), torch.arange(10.0)))


@pytest.mark.parametrize("value", [0.1, 1 / 3, 7.3e-5, 0.0])
def test_constant_vector_is_undefined_as_scipy_decides(value):
    # A constant whose mean is not exact in float64 (0.1 * 1000 / 1000 != 0.1) must not slip through as r = 0.
    constant = np.full(1000, value)
    other = np.random.default_rng(0).random(1000)
    with pytest.warns(stats.ConstantInputWarning):
        expected = stats.pearsonr(constant, other)[0]
    assert math.isnan(expected)
    with pytest.warns(ConstantInputWarning):
        assert math.isnan(pearson(torch.from_numpy(constant), torch.from_numpy(other)))
    with pytest.warns(ConstantInputWarning):
        assert math.isnan(spearman(torch.from_numpy(other), torch.from_numpy(constant)))


def _importances(generator):
    def layer_stats():
        return {
            "fc1.weight": torch.rand(4, 6, generator=generator),
            "fc1.bias": torch.rand(4, generator=generator),
            "fc2.weight": torch.rand(3, 4, generator=generator),
            "fc2.bias": torch.rand(3, generator=generator),
            "fc3.weight": torch.rand(2, 3, generator=generator),
            "fc3.bias": torch.rand(2, generator=generator),
        }

    return {"fis": layer_stats(), "mas": layer_stats()}


def test_correlate_builds_one_row_per_pair_and_layer():
    imp = _importances(torch.Generator().manual_seed(0))
    rows = correlate(imp, [parse_pair("mas_fis"), parse_pair("fis_mas2")], task=4)
    assert [(r.pair, r.layer, r.task) for r in rows] == [
        ("mas_fis", 1, 4), ("mas_fis", 2, 4), ("mas_fis", 3, 4),
        ("fis_mas2", 1, 4), ("fis_mas2", 2, 4), ("fis_mas2", 3, 4),
    ]
    w1 = imp["fis"]["fc1.weight"].flatten().numpy(), imp["mas"]["fc1.weight"].flatten().numpy()
    assert rows[0].pearson == pytest.approx(stats.pearsonr(w1[1], w1[0])[0], rel=1e-6)
    assert rows[3].pearson == pytest.approx(stats.pearsonr(w1[0], w1[1] ** 2)[0], rel=1e-6)
    assert rows[3].spearman == pytest.approx(rows[0].spearman, rel=1e-12)  # squaring keeps the ranks


def test_correlate_with_biases_appends_them():
    imp = _importances(torch.Generator().manual_seed(1))
    row = correlate(imp, [parse_pair("mas_fis")], task=1, include_biases=True)[1]
    x = np.concatenate([imp["mas"]["fc2.weight"].flatten().numpy(), imp["mas"]["fc2.bias"].numpy()])
    y = np.concatenate([imp["fis"]["fc2.weight"].flatten().numpy(), imp["fis"]["fc2.bias"].numpy()])
    assert row.pearson == pytest.approx(stats.pearsonr(x, y)[0], rel=1e-6)


def test_constant_layer_warns_with_its_location():
    imp = _importances(torch.Generator().manual_seed(2))
    imp["fis"]["fc3.weight"] = torch.zeros(2, 3)
    with pytest.warns(ConstantInputWarning, match="pair mas_fis, layer 3, task 2"):
        rows = correlate(imp, [parse_pair("mas_fis")], task=2)
    assert math.isnan(rows[2].pearson) and not math.isnan(rows[0].pearson)
