"""Exact per-sample gradient statistics for a network the one-pass formulas do not cover (the convolutional one).

A convolution's weight gradient for one sample is a sum over image positions, so the sum of its squares over
samples does not collapse into one matrix product as a linear layer's does (:mod:`.per_sample`). Here each
sample's gradient is computed outright, as a vector-Jacobian product of the network's logits with the
statistic's own output cotangent (so FIS, the true Fisher and MAS mean the same as in the MLP), vectorized over
the samples of a chunk with :mod:`torch.func`, then squared or taken in absolute value and summed.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, vjp, vmap

from paper_code.data.streams import restrict_logits
from paper_code.importance.per_sample import GradientStatistic, ParamStats

#: Samples per vectorized step: their per-sample gradients are held at once (the default ~62,000-parameter network: ~62 MB).
SUBCHUNK = 250


def functional_statistics(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                          statistics: list[GradientStatistic], mask: torch.Tensor | None = None) -> dict[str, ParamStats]:
    """Sums over ``inputs`` of every statistic, for every parameter, from per-sample gradients."""
    params = {name: p.detach() for name, p in model.named_parameters()}

    def sample_gradient(p: dict[str, torch.Tensor], x: torch.Tensor, cotangent: torch.Tensor) -> dict[str, torch.Tensor]:
        _, pullback = vjp(lambda q: functional_call(model, q, (x.unsqueeze(0),))[0], p)
        return pullback(cotangent)[0]

    per_sample = vmap(sample_gradient, in_dims=(None, 0, 0))
    totals = {s.name: {name: torch.zeros_like(p) for name, p in params.items()} for s in statistics}
    for start in range(0, inputs.shape[0], SUBCHUNK):
        x, y = inputs[start : start + SUBCHUNK], labels[start : start + SUBCHUNK]
        with torch.no_grad():
            logits = model(x)
        probs = torch.softmax(restrict_logits(logits, mask), dim=-1)
        raw = logits if mask is None else logits.masked_fill(~mask, 0.0)
        for statistic in statistics:
            cotangents, weights = statistic.cotangents(raw if statistic.differentiates == "logits" else probs, y)
            if mask is not None:
                cotangents = cotangents * mask
            for c in range(cotangents.shape[0]):
                grads = per_sample(params, x, cotangents[c])
                weight = weights[c] if weights is not None else torch.ones_like(y, dtype=x.dtype)
                for name, g in grads.items():
                    reduced = g.square() if statistic.reduction == "square" else g.abs()
                    totals[statistic.name][name] += torch.tensordot(weight, reduced, dims=1)
    return totals
