"""Training one task with the EWC penalty, and evaluating on every task.

The EWC penalty ``λ Σ_i Ω_i (θ_i − θ*_i)²`` has the closed-form gradient
``2 λ Ω (θ − θ*)``; it is added to the task-loss gradient directly instead of
going through autograd, which keeps the step cheap and hands SI both
gradients (with and without the penalty) for free.

Shuffling uses a generator seeded by (seed, task, epoch), so a task replayed
after a restart sees exactly the same batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn import functional as F

from paper_code.data import Task
from paper_code.importance import SITracker
from paper_code.importance.per_sample import ParamStats
from paper_code.model import MLP
from paper_code.data.streams import active_mask, restrict_logits


class EWCPenalty:
    """``λ Σ_i Ω_i (θ_i − θ*_i)²`` around the parameters ``θ*`` left by the previous task."""

    def __init__(self, model: MLP, importance: ParamStats, lam: float) -> None:
        names = [name for name, _ in model.named_parameters()]
        self.lam = lam
        self.importance = [importance[name].detach().clone() for name in names]
        self.anchor = [p.detach().clone() for p in model.parameters()]
        self._scaled_importance = [2.0 * lam * omega for omega in self.importance]  # 2 λ Ω, reused every step

    def add_gradient_(self, model: MLP) -> None:
        """Add the penalty's gradient ``2 λ Ω (θ − θ*)`` to every ``p.grad``."""
        with torch.no_grad():
            params = list(model.parameters())
            shift = torch._foreach_sub(params, self.anchor)
            torch._foreach_addcmul_([p.grad for p in params], self._scaled_importance, shift)

    @torch.no_grad()
    def value(self, model: MLP) -> float:
        """``λ Σ_i Ω_i (θ_i − θ*_i)²`` at the current parameters."""
        total = 0.0
        for param, omega, anchor in zip(model.parameters(), self.importance, self.anchor):
            total += float((omega * (param - anchor).square()).sum())
        return self.lam * total


@dataclass(frozen=True)
class EpochLog:
    """One epoch: mean task loss and accuracy over its batches, EWC penalty at its end."""

    task: int
    epoch: int
    task_loss: float
    penalty: float
    train_accuracy: float


def shuffle_generator(seed: int, task: int, epoch: int) -> torch.Generator:
    """A generator that depends only on (seed, task, epoch): batches are replayable after a restart."""
    return torch.Generator().manual_seed(1_000_003 * seed + 1_009 * task + epoch + 17)


def make_optimizer(model: MLP, lr: float) -> torch.optim.Adam:
    """Adam as the paper's author used it; the fused kernel gives the same update as the default loop,
    in a fraction of the time on CPU."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=True)


def train_task(
    model: MLP,
    task: Task,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    optimizer: torch.optim.Optimizer | None = None,
    penalty: EWCPenalty | None = None,
    si: SITracker | None = None,
    si_grad: str = "total",
    on_batch: Callable[[int, torch.Tensor], None] | None = None,
) -> list[EpochLog]:
    """Train ``model`` on one task with Adam; return one log line per epoch.

    ``optimizer`` carries Adam's moments over from earlier tasks; without it a
    fresh Adam is made for this task. ``on_batch(epoch, loss)`` is called after
    every step with the batch loss as a 0-d tensor (progress bars convert it only
    when they display it).
    """
    if optimizer is None:
        optimizer = make_optimizer(model, lr)
    params = list(model.parameters())
    n = task.train_x.shape[0]
    # A split-MNIST task trains its own output units only (paper_code.data.streams); other streams use all ten.
    mask = active_mask(task.classes, model.sizes[-1], task.train_x.device)
    logs = []
    if si is not None:
        si.begin_task()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=shuffle_generator(seed, task.index, epoch)).to(task.train_x.device)
        # Running totals live where the batches are: an in-place add of a CUDA tensor into a CPU one fails.
        device = task.train_x.device
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            # index_select gathers rows several times faster than advanced indexing on CPU.
            inputs, labels = task.train_x.index_select(0, index), task.train_y.index_select(0, index)
            logits = restrict_logits(model(inputs), mask)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            task_gradients = [p.grad.clone() for p in params] if si is not None and si_grad == "task" else None
            if penalty is not None:
                penalty.add_gradient_(model)
            if si is not None:
                si.before_step()
            optimizer.step()
            if si is not None:
                si.after_step(task_gradients if task_gradients is not None else [p.grad for p in params])
            loss_sum += loss.detach().to(torch.float64) * labels.shape[0]
            correct += (logits.detach().argmax(1) == labels).sum()
            if on_batch is not None:
                on_batch(epoch, loss.detach())
        end_penalty = penalty.value(model) if penalty is not None else 0.0
        logs.append(EpochLog(task.index + 1, epoch + 1, float(loss_sum) / n, end_penalty, int(correct) / n))
    model.eval()
    return logs


@torch.no_grad()
def accuracy(model: MLP, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int = 10_000,
             classes: tuple[int, ...] | None = None) -> float:
    """Share of ``inputs`` classified as ``labels``; with ``classes`` (a split-MNIST task, whose identity the
    evaluation knows) the prediction is among those output units only."""
    mask = active_mask(classes, model.sizes[-1], inputs.device)
    correct = 0
    for start in range(0, inputs.shape[0], batch_size):
        logits = restrict_logits(model(inputs[start : start + batch_size]), mask)
        correct += int((logits.argmax(1) == labels[start : start + batch_size]).sum())
    return correct / inputs.shape[0]
