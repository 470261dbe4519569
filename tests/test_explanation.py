"""The eq. (1)-(3) check's gradients against naive per-sample autograd loops, and its rows against scipy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from paper_code.analysis.explanation import (
    EQ1_LITERAL,
    EQ3_LITERAL,
    LITERAL,
    OBSERVED,
    agreement_rows,
    labelled_output_gradients,
    literal_gradients,
)
from paper_code.importance import post_training_importances
from paper_code.model import build_model


@pytest.fixture
def network():
    torch.manual_seed(0)
    model = build_model(3).double()
    inputs = torch.rand(6, 784, dtype=torch.float64)
    labels = torch.tensor([0, 3, 5, 7, 9, 1])
    return model, inputs, labels


def per_sample_sum(model, inputs, labels, objective):
    """Σ_k of the weight gradients of one sample's objective, by a loop over samples."""
    total = [torch.zeros_like(layer.weight) for layer in model.layers]
    for k in range(inputs.shape[0]):
        model.zero_grad()
        objective(torch.softmax(model(inputs[k : k + 1]), -1)[0], labels[k]).backward()
        for t, layer in zip(total, model.layers):
            t += layer.weight.grad
    return total


def test_labelled_output_gradients_match_autograd_per_sample(network):
    model, inputs, labels = network
    p, deltas, layer_inputs = labelled_output_gradients(model, inputs, labels)
    for k in range(6):
        model.zero_grad()
        probability = torch.softmax(model(inputs[k : k + 1]), -1)[0, labels[k]]
        probability.backward()
        assert probability.item() == pytest.approx(float(p[k]), rel=1e-12)
        for layer, (delta, a) in enumerate(zip(deltas, layer_inputs), start=1):
            expected = getattr(model, f"fc{layer}").weight.grad
            torch.testing.assert_close(torch.outer(delta[k], a[k]), expected, rtol=1e-9, atol=1e-12)


def test_literal_gradients_are_the_summed_per_sample_gradients(network):
    model, inputs, labels = network
    literal = literal_gradients(model, inputs, labels)
    log_likelihood = per_sample_sum(model, inputs, labels, lambda p, y: torch.log(p[y]))
    squared_norm = per_sample_sum(model, inputs, labels, lambda p, y: p.square().sum())
    for got, expected in zip(literal["log_likelihood"], log_likelihood):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-13)
    for got, expected in zip(literal["squared_norm"], squared_norm):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-13)


def test_agreement_rows_against_scipy(network):
    model, inputs, labels = network
    importances = post_training_importances(model, inputs, labels, ["fis", "mas"])
    with torch.enable_grad():
        p, deltas, layer_inputs = labelled_output_gradients(model, inputs, labels)
        literal = literal_gradients(model, inputs, labels)
    rows = {(r["comparison"], r["layer"]): r for r in agreement_rows(1, importances, p, deltas, layer_inputs, literal)}
    layer = 2
    fis = importances["fis"]["fc2.weight"].flatten().numpy()
    mas = importances["mas"]["fc2.weight"].flatten().numpy()
    lit_fis = (literal["log_likelihood"][1].flatten().numpy()) ** 2
    lit_mas = literal["squared_norm"][1].flatten().numpy()
    expected = {
        OBSERVED: (fis, mas**2),
        LITERAL: (lit_fis, lit_mas**2),
        EQ1_LITERAL: (fis, lit_fis),
        EQ3_LITERAL: (mas, lit_mas),
    }
    for comparison, (x, y) in expected.items():
        row = rows[(comparison, layer)]
        assert row["pearson"] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9), comparison
        assert row["spearman"] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-9), comparison
    assert np.isfinite([r["pearson"] for r in rows.values()]).all()
