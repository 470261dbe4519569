"""FIS, the true Fisher and MAS against naive per-sample autograd loops (float64)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from paper_code.importance import post_training_importances

RTOL = 1e-9


def naive_per_sample(model, inputs, labels):
    """Reference: one autograd call per sample (and per class for the true Fisher), no tricks."""
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())
    zero = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    fis, fis_true, mas = dict(zero), dict(zero), dict(zero)
    n = inputs.shape[0]
    for k in range(n):
        log_probs = torch.log_softmax(model(inputs[k : k + 1]), dim=-1)[0]
        grads = torch.autograd.grad(log_probs[labels[k]], params, retain_graph=True)
        for name, g in zip(names, grads):
            fis[name] = fis[name] + g.square() / n
        probs = log_probs.exp().detach()
        for c in range(log_probs.shape[0]):
            grads = torch.autograd.grad(log_probs[c], params, retain_graph=True)
            for name, g in zip(names, grads):
                fis_true[name] = fis_true[name] + probs[c] * g.square() / n
        squared_norm = torch.softmax(model(inputs[k : k + 1]), dim=-1).square().sum()
        grads = torch.autograd.grad(squared_norm, params)
        for name, g in zip(names, grads):
            mas[name] = mas[name] + g.abs() / n
    return {"fis": fis, "fis_true": fis_true, "mas": mas}


@pytest.mark.parametrize("pixels", [False, True], ids=["signed-inputs", "pixel-inputs"])
@pytest.mark.parametrize("chunk_size", [1, 10, 1000])
def test_gradient_methods_match_naive_loop(small_model, small_batch, chunk_size, pixels):
    inputs, labels = small_batch
    if pixels:  # non-negative inputs, like MNIST: the library then uses a for |a| on layer 1
        inputs = torch.sigmoid(inputs)
    expected = naive_per_sample(small_model, inputs, labels)
    got = post_training_importances(small_model, inputs, labels, ["fis", "fis_true", "mas"], chunk_size=chunk_size)
    for method, stats in expected.items():
        for name, value in stats.items():
            torch.testing.assert_close(got[method][name], value, rtol=RTOL, atol=1e-14, msg=f"{method} {name}")


def test_each_method_alone_equals_methods_together(small_model, small_batch):
    inputs, labels = small_batch
    together = post_training_importances(small_model, inputs, labels, ["fis", "fis_true", "mas", "sig"])
    for method in together:
        alone = post_training_importances(small_model, inputs, labels, [method])
        for name, value in together[method].items():
            torch.testing.assert_close(alone[method][name], value, rtol=1e-12, atol=0)


def test_fis_matches_backpack_sum_grad_squared(small_model, small_batch):
    backpack = pytest.importorskip("backpack")
    from backpack.extensions import SumGradSquared

    inputs, labels = small_batch
    layers = small_model.layers
    sequential = nn.Sequential(
        layers[0], nn.LeakyReLU(small_model.leaky_slope), layers[1], nn.LeakyReLU(small_model.leaky_slope), layers[2]
    )
    sequential = backpack.extend(sequential)
    loss_fn = backpack.extend(nn.CrossEntropyLoss(reduction="sum"))
    loss = loss_fn(sequential(inputs), labels)
    with backpack.backpack(SumGradSquared()):
        loss.backward()
    got = post_training_importances(small_model, inputs, labels, ["fis"])["fis"]
    n = inputs.shape[0]
    for name, param in sequential.named_parameters():
        ours = got[f"fc{int(name.split('.')[0]) // 2 + 1}.{name.split('.')[1]}"]
        torch.testing.assert_close(ours, param.sum_grad_squared / n, rtol=RTOL, atol=1e-14)


def test_si_is_rejected_after_training(small_model, small_batch):
    with pytest.raises(ValueError, match="during training"):
        post_training_importances(small_model, *small_batch, ["si"])
