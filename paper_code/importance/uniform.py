"""The uniform control: every weight equally important, ``Ω = 1``.

Inside EWC it turns the penalty into plain L2 anchoring to the previous task's weights, ``λ Σ_i (θ_i − θ*_i)²``
(summed over tasks like every importance, so the anchor stiffens as tasks accumulate). Whatever EWC gains with
it, it gains without any information about which weight matters: the control for "does the importance matter".
"""

from __future__ import annotations

from typing import Mapping

import torch

from paper_code.importance.per_sample import ParamStats


def uniform_importance(parameters: Mapping[str, torch.Tensor]) -> ParamStats:
    """``1`` for every parameter entry, by name, on the parameters' device."""
    return {name: torch.ones_like(value.detach()) for name, value in parameters.items()}
