"""Adam's Fisher: the optimizer's second-moment estimate at the end of a task (Li et al. 2025).

Adam keeps ``v ← β₂ v + (1 − β₂) g²`` for every parameter, an exponential average of the squared mini-batch
gradients it trained with; divided by its bias ``1 − β₂ᵗ`` it is an estimate of the batched Fisher that costs
nothing to compute. The gradients are those training used, the EWC penalty's included, and with one Adam for
the whole sequence (the paper's) the average still holds a little of the tasks before (β₂ = 0.999 over a task's
3,600 steps leaves 3 % of them). Summed over tasks like the other importances.
"""

from __future__ import annotations

import torch

from paper_code.importance.per_sample import ParamStats


def adam_importance(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> ParamStats:
    """``v / (1 − β₂ᵗ)`` of every parameter, by name; a parameter Adam never stepped has importance 0."""
    beta2 = optimizer.param_groups[0]["betas"][1]
    stats: ParamStats = {}
    for name, parameter in model.named_parameters():
        state = optimizer.state.get(parameter, {})
        if "exp_avg_sq" not in state:
            stats[name] = torch.zeros_like(parameter.detach())
            continue
        step = float(state["step"])
        stats[name] = state["exp_avg_sq"].detach().clone() / (1.0 - beta2 ** step)
    return stats
