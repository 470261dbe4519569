"""SIG's activity factor alone: a weight matters in proportion to the mean |activation| arriving at it.

SIG (:mod:`.sig`) is ``|w_ij|`` times ``mean_k |a_j(x_k)|``. The magnitude baseline (:mod:`.magnitude`) is the first
factor; this is the second, ``Ω_ij = mean_k |a_j(x_k)|`` for every output unit ``i`` (the same for a whole column),
so that EWC with each factor alone says which of the two carries what SIG keeps. A bias has no weight factor in
SIG: its importance, the mean absolute activated output of its unit, is SIG's own.
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from paper_code.data.streams import restrict_logits
from paper_code.importance.per_sample import ParamStats
from paper_code.model import MLP, ForwardTrace


def layer_activity(model: MLP, trace: ForwardTrace,
                   mask: torch.Tensor | None = None) -> Iterator[tuple[str, nn.Module, torch.Tensor, torch.Tensor]]:
    """Per layer: its name, the layer, the summed |input| each weight meets (shaped like one output unit's
    weights) and the summed |activated output| of each unit (LeakyReLU inside, the softmax at the output,
    over the task's units where ``mask`` says so). Sums over the batch; the caller divides by the count."""
    hidden = trace.activated if trace.activated is not None else trace.inputs[1:]
    activated_outputs = list(hidden) + [torch.softmax(restrict_logits(trace.logits, mask), dim=-1)]
    for name, layer, inputs, outputs in zip(model.layer_names, model.layers, trace.inputs, activated_outputs):
        if isinstance(layer, nn.Conv2d):
            # Each weight's input at every output position: [batch, c_in·k·k, positions] -> mean over positions.
            patches = F.unfold(inputs.abs(), layer.kernel_size, padding=layer.padding, stride=layer.stride)
            yield name, layer, patches.mean(2).sum(0).reshape(layer.weight.shape[1:]), outputs.abs().mean((2, 3)).sum(0)
        else:
            yield name, layer, inputs.abs().sum(0), outputs.abs().sum(0)


def activity_sums(model: MLP, trace: ForwardTrace, mask: torch.Tensor | None = None) -> ParamStats:
    """Per-parameter sums over the batch of the activity factor; divide by the sample count."""
    stats: ParamStats = {}
    for name, layer, input_signal, output_signal in layer_activity(model, trace, mask):
        stats[f"{name}.weight"] = input_signal.expand_as(layer.weight).clone()
        stats[f"{name}.bias"] = output_signal
    return stats
