"""Prune a trained network by an importance and measure what it still knows.

The procedure (defined here; it is not a transcription of any published script):

- only the weight matrices are pruned; biases are kept, as they are a small share of the
  parameters (460 of 282,160) and a unit without weights still passes its bias on;
- the importance that decides is the run's *accumulated* importance after the task, the sum over
  the tasks learned so far that EWC itself protects (the baselines use the network as it is:
  ``magnitude`` the current ``|w|``, ``random`` a draw seeded by run seed and task);
- two rankings (:data:`RANKINGS`): by the importance Ω alone, and by the **saliency** Ω·w² (the cost
  Optimal Brain Damage assigns to removing a weight, and EWC's own penalty for moving it from w to 0,
  up to ½λ). Zeroing a weight moves it by −w, so an importance that ranks small-|w| weights high keeps
  weights whose removal would cost little; the saliency asks what the removal costs;
- ``scope="layer"`` removes the same fraction of every layer's weights, each layer ranked on its own;
  ``scope="global"`` ranks all weights of the network together and removes the fraction of the
  total, so a layer whose importances are small loses more;
- exactly ⌊fraction·n + ½⌋ weights are removed, ties broken by position
  (:mod:`paper_code.analysis.ranking`);
- a pruned network is a copy of the checkpoint's tensors with the removed weights set to zero,
  evaluated like the run evaluates (same batches, same operations) on the permuted test set of
  every task learned so far; each task's accuracy is a row of the table, and
  :func:`task_means` gives the mean over those tasks.

Every (method, scope, fraction) is one masked copy; the permuted test set of each task is built
once and every copy is evaluated on it, so a table costs about one test pass per copy and task.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
import torch
from torch.nn import functional as F

from paper_code.analysis.ranking import ascending_order, check_fraction, pooled_order, prefix_mask, split_mask
from paper_code.analysis.trained import LAYERS, TrainedTask, choose_methods, weight_name
from paper_code.data import load_mnist
from paper_code.errors import ConfigError

#: How weights compete for removal: within each layer, or across the whole network.
SCOPES: tuple[str, ...] = ("layer", "global")
#: Fractions of weights removed by default: dense where accuracy starts to fall.
DEFAULT_FRACTIONS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
#: What orders the weights: the importance Ω, or the saliency Ω·w² (see the module's docstring).
RANKINGS: tuple[str, ...] = ("importance", "saliency")
PRUNING_COLUMNS: tuple[str, ...] = ("method", "ranking", "scope", "fraction", "after_task", "removed", "task",
                                    "accuracy")
#: Rows per forward pass: the run's own evaluation batch (``paper_code.train.accuracy``).
EVAL_BATCH = 10_000

Masks = dict[str, torch.Tensor]


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise ConfigError(f"scope {scope!r} is unknown: use layer, global or layer,global")
    return scope


def check_ranking(ranking: str) -> str:
    if ranking not in RANKINGS:
        raise ConfigError(f"ranking {ranking!r} is unknown: use importance, saliency or importance,saliency")
    return ranking


def saliency(importance: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Ω·w² of every weight matrix: what removing the weight costs under a quadratic penalty with importance Ω."""
    return {name: importance[name] * state[name].square() for name in (weight_name(layer) for layer in LAYERS)}


def task_means(pruning: pd.DataFrame) -> pd.DataFrame:
    """One row per pruned network (every column but ``task``): the mean accuracy over the tasks evaluated."""
    keys = [c for c in pruning.columns if c not in ("task", "accuracy")]
    return pruning.groupby(keys, sort=False, dropna=False).accuracy.mean().reset_index()


class RemovalOrder:
    """The order in which one importance removes weights under one scope, sorted once for every fraction."""

    def __init__(self, importance: dict[str, torch.Tensor], scope: str) -> None:
        self.scope = check_scope(scope)
        self.names = [weight_name(layer) for layer in LAYERS]
        self.tensors = [importance[name] for name in self.names]
        if self.scope == "layer":
            self.orders = [ascending_order(importance[name]) for name in self.names]
        else:
            self.orders = [pooled_order(self.tensors)]

    def masks(self, fraction: float) -> Masks:
        """True where a weight is removed at ``fraction``, by weight name (biases are never removed)."""
        if self.scope == "layer":
            parts = [prefix_mask(order, fraction).reshape(like.shape) for order, like in zip(self.orders, self.tensors)]
        else:
            parts = split_mask(prefix_mask(self.orders[0], fraction), self.tensors)
        return dict(zip(self.names, parts))


def removal_masks(importance: dict[str, torch.Tensor], fraction: float, scope: str) -> Masks:
    """True where a weight is removed, by weight name (biases are never removed)."""
    return RemovalOrder(importance, scope).masks(fraction)


def masked_state(state: dict[str, torch.Tensor], removed: Masks) -> dict[str, torch.Tensor]:
    """A copy of ``state`` whose removed weights are zero; the checkpoint itself is left as it is."""
    return {name: torch.where(removed[name], torch.zeros((), dtype=value.dtype), value) if name in removed else value
            for name, value in state.items()}


@torch.no_grad()
def predict(state: dict[str, torch.Tensor], inputs: torch.Tensor, leaky_slope: float) -> torch.Tensor:
    """Class predictions of the MLP with parameters ``state``: the operations of ``MLP.forward``."""
    hidden = inputs
    last = len(LAYERS)
    for layer in LAYERS:
        hidden = F.linear(hidden, state[f"fc{layer}.weight"], state[f"fc{layer}.bias"])
        if layer < last:
            hidden = F.leaky_relu(hidden, leaky_slope)
    return hidden.argmax(1)


@dataclass(frozen=True)
class TestSets:
    """The unpermuted test rows of a run and the permutations of the tasks learned so far."""

    inputs: torch.Tensor
    labels: torch.Tensor
    permutations: torch.Tensor

    def task_inputs(self, index: int) -> torch.Tensor:
        # The same operation make_tasks uses, so the pixels are the run's bit for bit.
        return self.inputs.index_select(1, self.permutations[index])


def test_sets(trained: TrainedTask, data_root: str | os.PathLike[str] | None = None) -> TestSets:
    config = trained.results.config
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    size = config.test_size
    return TestSets(mnist.test_x[:size], mnist.test_y[:size], trained.results.permutations()[: trained.task])


@torch.no_grad()
def task_accuracies(states: Sequence[dict[str, torch.Tensor] | Masks], tests: TestSets, leaky_slope: float,
                    base: dict[str, torch.Tensor] | None = None) -> list[list[float]]:
    """Test accuracy on each task of ``tests``, for each state: ``result[state][task]``.

    With ``base``, each entry of ``states`` is a removal mask applied to ``base`` at evaluation time,
    so only one masked copy exists at a time.
    """
    tasks = tests.permutations.shape[0]
    rows = tests.inputs.shape[0]
    result = [[0.0] * tasks for _ in states]
    for index in range(tasks):
        inputs = tests.task_inputs(index)
        for number, entry in enumerate(states):
            state = masked_state(base, entry) if base is not None else entry
            hits = 0
            for start in range(0, rows, EVAL_BATCH):
                predicted = predict(state, inputs[start : start + EVAL_BATCH], leaky_slope)
                hits += int((predicted == tests.labels[start : start + EVAL_BATCH]).sum())
            result[number][index] = hits / rows
    return result


def pruning_table(
    trained: TrainedTask,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    scopes: Sequence[str] = SCOPES,
    methods: Iterable[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    tests: TestSets | None = None,
    rankings: Sequence[str] = RANKINGS,
) -> pd.DataFrame:
    """One row per (method, ranking, scope, fraction, task evaluated): weights removed and that task's accuracy.
    The unpruned network is evaluated once for all."""
    fractions = [check_fraction(f) for f in fractions]
    scopes = [check_scope(s) for s in scopes]
    rankings = [check_ranking(r) for r in rankings]
    methods = choose_methods(trained, methods)
    if not fractions or not scopes or not rankings:
        raise ConfigError("give at least one fraction, one scope and one ranking")
    tests = tests if tests is not None else test_sets(trained, data_root)
    keys, masks, unpruned = [], [], None
    for method in methods:
        for ranking in rankings:
            importance = trained.accumulated[method]
            scores = importance if ranking == "importance" else saliency(importance, trained.state)
            for scope in scopes:
                order = RemovalOrder(scores, scope)
                for fraction in fractions:
                    removed = order.masks(fraction)
                    count = sum(int(m.sum()) for m in removed.values())
                    if count == 0 and unpruned is not None:
                        slot = unpruned
                    else:
                        slot = len(masks)
                        masks.append(removed)
                        unpruned = slot if count == 0 else unpruned
                    keys.append((method, ranking, scope, fraction, count, slot))
    accuracies = task_accuracies(masks, tests, trained.results.config.leaky_slope, base=trained.state)
    rows = [dict(method=m, ranking=r, scope=s, fraction=f, after_task=trained.task, removed=c, task=task + 1,
                 accuracy=value)
            for m, r, s, f, c, slot in keys for task, value in enumerate(accuracies[slot])]
    return pd.DataFrame(rows, columns=list(PRUNING_COLUMNS))
