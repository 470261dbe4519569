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

from paper_code.importance.per_sample import ParamStats
from paper_code.importance.sig_activity import layer_activity
from paper_code.model import MLP, ForwardTrace


def signal_sums(model: MLP, trace: ForwardTrace, mask: torch.Tensor | None = None) -> ParamStats:
    """Per-parameter sums over the batch; divide by the sample count for the importance. ``mask`` (a
    split-MNIST task's output units): the output softmax is over those units."""
    stats: ParamStats = {}
    for name, layer, input_signal, output_signal in layer_activity(model, trace, mask):
        stats[f"{name}.weight"] = layer.weight.detach().abs() * input_signal
        stats[f"{name}.bias"] = output_signal
    return stats
