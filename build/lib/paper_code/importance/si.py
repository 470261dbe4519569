"""SI: Synaptic Intelligence (Zenke, Poole & Ganguli 2017).

During a task every optimizer step adds ``−g_i Δθ_i`` to a running path
integral ``ω_i`` (``Δθ`` the change the optimizer actually made, ``g`` the
gradient that drove it). At the end of the task
``Ω_i += ω_i / (Δ_i² + ξ)``, with ``Δ_i`` the parameter's total change over
the task and ``ξ`` a damping term; ``ω`` then restarts.

Which gradient enters ``ω`` is a choice: the paper's author used the
gradient of the total loss, EWC penalty included (``si_grad="total"``, the
default here); Zenke et al. use the task loss alone (``"task"``). The trainer
passes whichever was selected to :meth:`SITracker.after_step`.
"""

from __future__ import annotations

import torch
from torch import nn

from paper_code.importance.per_sample import ParamStats


class SITracker:
    """Accumulates SI's path integral over the optimizer steps of one task."""

    def __init__(self, model: nn.Module, xi: float = 0.1) -> None:
        self.model = model
        self.xi = xi
        self._names = [name for name, _ in model.named_parameters()]
        self._task_start: list[torch.Tensor] = []
        self._before_step: list[torch.Tensor] = []
        self._omega: list[torch.Tensor] = []

    def _params(self) -> list[torch.Tensor]:
        return [p.detach() for p in self.model.parameters()]

    def begin_task(self) -> None:
        self._task_start = [p.clone() for p in self._params()]
        self._omega = [torch.zeros_like(p) for p in self._params()]

    def before_step(self) -> None:
        """Remember the parameters the optimizer is about to change."""
        if not self._before_step:
            self._before_step = [p.clone() for p in self._params()]
        else:
            torch._foreach_copy_(self._before_step, self._params())

    def after_step(self, gradients: list[torch.Tensor]) -> None:
        """Add ``−g·Δθ`` for the step just taken; ``gradients`` are in ``model.parameters()`` order."""
        torch._foreach_sub_(self._before_step, self._params())  # now holds −Δθ of this step
        torch._foreach_addcmul_(self._omega, gradients, self._before_step)

    def end_task(self) -> ParamStats:
        """This task's contribution ``ω / (Δ² + ξ)``, by parameter name."""
        return {
            name: omega / ((now - start).square() + self.xi)
            for name, omega, now, start in zip(self._names, self._omega, self._params(), self._task_start)
        }
