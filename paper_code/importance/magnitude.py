"""The magnitude baseline: a weight matters in proportion to its size, ``|w|``.

Magnitude pruning starts from this quantity, and SIG (``|w|`` times the input
activity) contains it, so it is the natural yardstick for the other importances:
an importance that mostly restates ``|w|`` needs no data to compute. It depends on
the network alone, not on any task's samples.
"""

from __future__ import annotations

from typing import Mapping

import torch

from paper_code.importance.per_sample import ParamStats


def magnitude_importance(parameters: Mapping[str, torch.Tensor]) -> ParamStats:
    """``|θ|`` for every parameter (weights and biases), by name, detached, on the parameters' device."""
    return {name: value.detach().abs() for name, value in parameters.items()}
