"""Exact per-sample gradient statistics at about the cost of one backward pass.

For a linear layer ``z = W a + b`` the gradient of sample ``k``'s scalar
output with respect to ``W`` is the outer product ``δ_k a_kᵀ``, where
``δ_k = ∂out_k/∂z_k``. Sums over samples of elementwise functions of that
outer product therefore collapse into one matrix product:

    Σ_k (δ_k a_kᵀ)²   = (δ²)ᵀ (a²)
    Σ_k |δ_k a_kᵀ|    = |δ|ᵀ |a|

Only the gradients with respect to layer outputs (``δ``) are needed, never a
per-sample weight gradient. Several statistics (FIS, the true Fisher's ten
classes, MAS) share one forward pass: their output cotangents are stacked
along a leading axis and propagated back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import torch

from paper_code.model import MLP, ForwardTrace
from paper_code.data.streams import restrict_logits

Reduction = Literal["square", "abs"]

#: ``(probs [B, K], labels [B]) -> (cotangents [C, B, K], weights [C, B] or None)``
CotangentFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]

ParamStats = dict[str, torch.Tensor]


@dataclass(frozen=True)
class GradientStatistic:
    """A per-sample gradient statistic defined by what is differentiated and how it is reduced.

    ``cotangents`` gives ``∂f_k/∂logits`` for each sample's scalar ``f_k``; with
    ``C > 1`` cotangents per sample the statistic is the ``weights``-weighted
    sum over them (the true Fisher's expectation over classes). ``reduction``
    says whether each per-sample gradient is squared or taken in absolute value.
    """

    name: str
    reduction: Reduction
    cotangents: CotangentFn
    #: What ``cotangents`` receives as its first argument: the softmax output (every paper method) or the
    #: logits (MAS on the raw network output, as Aljundi et al. define it).
    differentiates: Literal["probs", "logits"] = "probs"


def backpropagate(model: MLP, trace: ForwardTrace, output_cotangents: torch.Tensor) -> list[torch.Tensor]:
    """Gradients of each sample's output with respect to every layer's pre-activation.

    ``output_cotangents`` is ``[C, B, K]``; the result holds one ``[C, B, n_l]``
    tensor per layer, layer 1 first.
    """
    layers = model.layers
    deltas = [output_cotangents]
    delta = output_cotangents
    for index in range(len(layers) - 2, -1, -1):
        # A 2-D matmul over all (cotangent, sample) rows: a batched 3-D product would copy the weight C times.
        shape = delta.shape
        delta = (delta.reshape(-1, shape[-1]) @ layers[index + 1].weight).reshape(*shape[:-1], -1)
        delta.mul_(trace.slopes[index])
        deltas.append(delta)
    deltas.reverse()
    return deltas


class InputPowers:
    """Each layer's input squared or in absolute value, computed once per chunk and shared by all statistics.

    The layer-1 input (784 pixels per sample) is the largest tensor of the
    pass, so transforming it once instead of once per statistic, and skipping
    ``|a|`` when the input is already non-negative (pixels are), is most of
    what separates the exact statistics from a plain backward pass. The
    squares are written into buffers kept across chunks (``workspace``):
    a fresh multi-megabyte tensor per chunk costs more in page faults than
    the multiplication itself.
    """

    def __init__(self, inputs: list[torch.Tensor], workspace: dict[int, torch.Tensor] | None = None) -> None:
        self.inputs = inputs
        self.workspace = workspace if workspace is not None else {}
        self._cache: dict[tuple[int, Reduction], torch.Tensor] = {}

    def _buffer(self, layer: int, like: torch.Tensor) -> torch.Tensor:
        buffer = self.workspace.get(layer)
        fits = buffer is not None and buffer.shape[0] >= like.shape[0] and buffer.shape[1:] == like.shape[1:]
        if not fits or buffer.dtype != like.dtype or buffer.device != like.device:
            buffer = self.workspace[layer] = torch.empty_like(like)
        return buffer[: like.shape[0]]

    def get(self, layer: int, reduction: Reduction) -> torch.Tensor:
        key = (layer, reduction)
        if key not in self._cache:
            a = self.inputs[layer]
            if reduction == "square":
                self._cache[key] = torch.mul(a, a, out=self._buffer(layer, a))
            elif layer == 0 and bool(a.min() >= 0):  # hidden inputs come from LeakyReLU: never all >= 0
                self._cache[key] = a
            else:
                self._cache[key] = a.abs()
        return self._cache[key]


def _reduce(
    deltas: torch.Tensor, weights: torch.Tensor | None, per_input: torch.Tensor, reduction: Reduction
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over samples (and cotangents) of squared or absolute outer products ``δ aᵀ``.

    ``deltas`` belongs to this statistic alone (a slice of the stacked
    backward pass), so it is transformed in place; ``per_input`` is ``a²`` or
    ``|a|`` already.
    """
    per_unit = deltas.square_() if reduction == "square" else deltas.abs_()
    if weights is None:
        per_unit = per_unit[0] if per_unit.shape[0] == 1 else per_unit.sum(0)
    else:
        per_unit = torch.einsum("cb,cbn->bn", weights, per_unit)
    return per_unit.T @ per_input, per_unit.sum(0)


def gradient_statistics(
    model: MLP,
    trace: ForwardTrace,
    labels: torch.Tensor,
    statistics: list[GradientStatistic],
    workspace: dict[int, torch.Tensor] | None = None,
    mask: torch.Tensor | None = None,
) -> dict[str, ParamStats]:
    """Sums over the batch of every statistic, for every weight and bias, from one shared forward.

    ``workspace`` (any dict, kept by the caller across chunks) lets the input squares reuse their memory.
    ``mask`` (a split-MNIST task's output units) restricts the output: the softmax is over those units, a
    statistic of the logits sees those logits only, and no cotangent reaches the other units.
    """
    probs = torch.softmax(restrict_logits(trace.logits, mask), dim=-1)
    logits = trace.logits if mask is None else trace.logits.masked_fill(~mask, 0.0)
    blocks, weights, spans, start = [], [], [], 0
    for statistic in statistics:
        cot, w = statistic.cotangents(logits if statistic.differentiates == "logits" else probs, labels)
        if mask is not None:
            cot = cot * mask
        blocks.append(cot)
        weights.append(w)
        spans.append(slice(start, start + cot.shape[0]))
        start += cot.shape[0]
    deltas = backpropagate(model, trace, torch.cat(blocks))
    powers = InputPowers(trace.inputs, workspace)
    result: dict[str, ParamStats] = {}
    for statistic, span, w in zip(statistics, spans, weights):
        stats: ParamStats = {}
        for layer, (name, delta) in enumerate(zip(model.layer_names, deltas)):
            per_input = powers.get(layer, statistic.reduction)
            stats[f"{name}.weight"], stats[f"{name}.bias"] = _reduce(delta[span], w, per_input, statistic.reduction)
        result[statistic.name] = stats
    return result
