"""The registry of importance methods: name → how it is computed.

Four methods from the paper (FIS, MAS, SI, SIG), the true Fisher, two
baselines (the weight magnitude and a seeded random control) and three controls
for EWC's penalty (uniform, MAS shuffled, MAS's rank-1 fit). All but SI are
computed after a task, the data-based ones on a set of training samples in one
shared forward pass (:func:`post_training_importances`); SI is accumulated by
:class:`SITracker` during training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from paper_code.config import METHOD_NAMES, check_method
from paper_code.importance.fis import FIS
from paper_code.importance.fis_true import FIS_TRUE
from paper_code.importance.functional import functional_statistics
from paper_code.importance.magnitude import magnitude_importance
from paper_code.importance.mas import MAS
from paper_code.importance.per_sample import GradientStatistic, ParamStats, gradient_statistics
from paper_code.importance.random_control import random_importance
from paper_code.importance.rank1 import rank1_importance
from paper_code.importance.shuffled import shuffled_importance
from paper_code.importance.si import SITracker
from paper_code.importance.sig import signal_sums
from paper_code.importance.uniform import uniform_importance
from paper_code.model import MLP
from paper_code.data.streams import active_mask


@dataclass(frozen=True)
class ImportanceMethod:
    """What the library knows about one method.

    ``summed``: whether a run adds the method's importances over tasks (the paper's
    accumulated importances). The baselines describe the network as it is, not what a
    task taught it, so their "accumulated" importance is the current one.
    """

    name: str
    title: str
    reference: str
    during_training: bool
    summed: bool = True


METHODS: dict[str, ImportanceMethod] = {
    "fis": ImportanceMethod("fis", "empirical Fisher information", "Kirkpatrick et al. 2017 (EWC)", False),
    "fis_true": ImportanceMethod("fis_true", "true Fisher information", "Martens 2014; Kunstner et al. 2019", False),
    "mas": ImportanceMethod("mas", "Memory Aware Synapses", "Aljundi et al. 2018", False),
    "si": ImportanceMethod("si", "Synaptic Intelligence", "Zenke et al. 2017", True),
    "sig": ImportanceMethod("sig", "signal importance", "Kutalev 2020", False),
    "magnitude": ImportanceMethod("magnitude", "weight magnitude |w|", "baseline (magnitude pruning)", False, summed=False),
    "random": ImportanceMethod("random", "random control", "baseline (seeded by run seed and task)", False, summed=False),
    "uniform": ImportanceMethod("uniform", "uniform importance (Ω = 1)", "control: plain L2 anchoring", False),
    "shuffled": ImportanceMethod("shuffled", "MAS shuffled within each tensor", "control: MAS's values, no placement",
                                 False),
    "rank1": ImportanceMethod("rank1", "MAS's rank-1 fit", "control: MAS's unit structure only", False),
}
#: The controls derived from each task's MAS importances.
_FROM_MAS = ("shuffled", "rank1")
assert tuple(METHODS) == METHOD_NAMES

_GRADIENT_STATISTICS: dict[str, GradientStatistic] = {s.name: s for s in (FIS, FIS_TRUE, MAS)}


@torch.no_grad()
def post_training_importances(
    model: MLP,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    methods: list[str] | tuple[str, ...],
    chunk_size: int = 2500,
    *,
    seed: int = 0,
    task: int = 1,
    classes: tuple[int, ...] | None = None,
) -> dict[str, ParamStats]:
    """Mean over ``inputs`` of each requested post-training importance, by parameter name.

    Samples are processed in chunks so memory stays bounded; every method
    shares each chunk's forward pass. The baselines need no samples: ``magnitude``
    reads the weights, ``random`` is drawn from (``seed``, ``task``) alone; the controls ``shuffled`` and
    ``rank1`` are made from this task's MAS (computed for them if not asked for), ``uniform`` is all ones.
    ``classes`` (a split-MNIST task) restricts the output to the task's units, as its training did.
    """
    for name in methods:
        check_method(name)
        if METHODS[name].during_training:
            raise ValueError(f"{name!r} is accumulated during training (SITracker), not computed afterwards")
    wanted = list(methods) + (["mas"] if set(methods) & set(_FROM_MAS) and "mas" not in methods else [])
    statistics = [_GRADIENT_STATISTICS[m] for m in wanted if m in _GRADIENT_STATISTICS]
    totals: dict[str, ParamStats] = {}
    workspace: dict[int, torch.Tensor] = {}  # memory for the input squares, reused by every chunk
    mask = active_mask(classes, model.sizes[-1], inputs.device)

    def accumulate(method: str, stats: ParamStats) -> None:
        target = totals.setdefault(method, {k: torch.zeros_like(v) for k, v in stats.items()})
        for key, value in stats.items():
            target[key] += value

    for start in range(0, inputs.shape[0], chunk_size):
        trace = model.trace(inputs[start : start + chunk_size])
        if statistics:
            chunk_labels = labels[start : start + chunk_size]
            found = (gradient_statistics(model, trace, chunk_labels, statistics, workspace, mask)
                     if isinstance(model, MLP) else
                     functional_statistics(model, inputs[start : start + chunk_size], chunk_labels, statistics, mask))
            for method, stats in found.items():
                accumulate(method, stats)
        if "sig" in methods:
            accumulate("sig", signal_sums(model, trace, mask))
    count = inputs.shape[0]
    means = {m: {k: v / count for k, v in totals[m].items()} for m in totals}
    parameters = dict(model.named_parameters())
    if "magnitude" in methods:
        means["magnitude"] = magnitude_importance(parameters)
    if "random" in methods:
        shapes = {name: p.shape for name, p in parameters.items()}
        means["random"] = {k: v.to(parameters[k].device) for k, v in random_importance(shapes, seed, task).items()}
    if "uniform" in methods:
        means["uniform"] = uniform_importance(parameters)
    if "shuffled" in methods:
        means["shuffled"] = shuffled_importance(means["mas"], seed, task)
    if "rank1" in methods:
        means["rank1"] = rank1_importance(means["mas"])
    return {m: means[m] for m in methods}


__all__ = ["METHODS", "ImportanceMethod", "SITracker", "post_training_importances"]
