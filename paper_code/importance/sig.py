"""SIG: the signal importance of Kutalev (2020), the paper's ref. [11].

A weight matters in proportion to the signal it carries: ``|w_ij|`` times the
mean absolute activation ``|a_j|`` arriving at it. A bias matters in
proportion to the mean absolute activated output of its unit (LeakyReLU for
the hidden layers, softmax for the output layer). No gradient is involved.

In a convolution a weight meets a different input at every position of the image: its "arriving activation" is
the mean over samples and positions of the input it multiplies, and a bias's activated output is its channel's,
averaged over positions (before pooling).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from paper_code.importance.per_sample import ParamStats
from paper_code.model import MLP, ForwardTrace
from paper_code.data.streams import restrict_logits


def signal_sums(model: MLP, trace: ForwardTrace, mask: torch.Tensor | None = None) -> ParamStats:
    """Per-parameter sums over the batch; divide by the sample count for the importance. ``mask`` (a
    split-MNIST task's output units): the output softmax is over those units."""
    layers = model.layers
    hidden = trace.activated if trace.activated is not None else trace.inputs[1:]
    activated_outputs = list(hidden) + [torch.softmax(restrict_logits(trace.logits, mask), dim=-1)]
    stats: ParamStats = {}
    for name, layer, inputs, outputs in zip(model.layer_names, layers, trace.inputs, activated_outputs):
        if isinstance(layer, nn.Conv2d):
            # Each weight's input at every output position: [batch, c_in·k·k, positions] -> mean over positions.
            patches = F.unfold(inputs.abs(), layer.kernel_size, padding=layer.padding, stride=layer.stride)
            input_signal = patches.mean(2).sum(0).reshape(layer.weight.shape[1:])
            stats[f"{name}.weight"] = layer.weight.detach().abs() * input_signal
            stats[f"{name}.bias"] = outputs.abs().mean((2, 3)).sum(0)
            continue
        input_signal = inputs.abs().sum(0)  # Σ_k |a_kj|
        stats[f"{name}.weight"] = layer.weight.detach().abs() * input_signal
        stats[f"{name}.bias"] = outputs.abs().sum(0)
    return stats
