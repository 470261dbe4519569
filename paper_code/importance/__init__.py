"""The registry of importance methods: name → how it is computed.

Four methods from the paper (FIS, MAS, SI, SIG), the true Fisher and the Fishers the field computes besides it
(sampled labels, mini-batch gradients, Adam's second moment), two baselines (the weight magnitude and a seeded
random control), SIG's activity factor alone, and the controls for EWC's penalty (uniform, and any importance
shuffled or reduced to its rank-1 fit: ``shuffled:fis``, ``rank1:sig``; the bare ``shuffled`` and ``rank1`` are
MAS's). All but SI and Adam's are computed after a task, the data-based ones on a set of training samples in one
shared forward pass (:func:`post_training_importances`); SI is accumulated by :class:`SITracker` during
training, Adam's read from the optimizer when the task ends (:func:`adam_importance`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from paper_code.config import METHOD_NAMES, check_method, derived_parts
from paper_code.importance.adam import adam_importance
from paper_code.importance.fis import FIS
from paper_code.importance.fis_batch import batch_fisher_sums
from paper_code.importance.fis_sample import FIS_SAMPLE, label_uniforms, sampled_labels
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
from paper_code.importance.sig_activity import activity_sums
from paper_code.importance.uniform import uniform_importance
from paper_code.model import MLP
from paper_code.data.streams import active_mask, restrict_logits


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
    "fis_sample": ImportanceMethod("fis_sample", "Fisher with labels sampled from the network",
                                   "van de Ven 2025 (SAMPLE)", False),
    "fis_batch": ImportanceMethod("fis_batch", "Fisher of mini-batch gradients", "van de Ven 2025 (BATCHED); Avalanche",
                                  False),
    "adam": ImportanceMethod("adam", "Adam's second-moment estimate", "Li et al. 2025", True),
    "sig_activity": ImportanceMethod("sig_activity", "SIG's activity factor (mean |a| in, no |w|)",
                                     "control: SIG without the weight", False),
}
assert tuple(METHODS) == METHOD_NAMES

_DERIVED_TITLES = {"shuffled": ("{} shuffled within each tensor", "control: {}'s values, no placement"),
                   "rank1": ("{}'s rank-1 fit", "control: {}'s unit structure only")}


def method_info(name: str) -> ImportanceMethod:
    """What the library knows about ``name``, a derived control (``rank1:fis``) included."""
    check_method(name)
    if name in METHODS:
        return METHODS[name]
    control, source = derived_parts(name)
    title, reference = _DERIVED_TITLES[control]
    label = METHODS[source].title
    return ImportanceMethod(name, title.format(label), reference.format(source.upper()), False)


def control_source(name: str) -> str | None:
    """The importance a control is made of: ``mas`` for ``shuffled`` and ``rank1``, ``fis`` for ``rank1:fis``."""
    if name in ("shuffled", "rank1"):
        return "mas"
    parts = derived_parts(name)
    return parts[1] if parts else None


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
    reads the weights, ``random`` is drawn from (``seed``, ``task``) alone; a control ``shuffled``/``rank1``
    is made from this task's MAS, ``shuffled:X``/``rank1:X`` from its X (computed for it if not asked for),
    ``uniform`` is all ones. ``fis_sample`` draws its labels from (``seed``, ``task``) and the rows' order.
    ``classes`` (a split-MNIST task) restricts the output to the task's units, as its training did.
    """
    for name in methods:
        if method_info(name).during_training:
            raise ValueError(f"{name!r} is accumulated during training, not computed afterwards")
    sources = [control_source(m) for m in methods if control_source(m)]
    wanted = list(dict.fromkeys(list(methods) + sources))
    statistics = [_GRADIENT_STATISTICS[m] for m in wanted if m in _GRADIENT_STATISTICS]
    totals: dict[str, ParamStats] = {}
    workspace: dict[int, torch.Tensor] = {}  # memory for the input squares, reused by every chunk
    mask = active_mask(classes, model.sizes[-1], inputs.device)
    uniforms = label_uniforms(seed, task, inputs.shape[0]) if "fis_sample" in wanted else None

    def accumulate(method: str, stats: ParamStats) -> None:
        target = totals.setdefault(method, {k: torch.zeros_like(v) for k, v in stats.items()})
        for key, value in stats.items():
            target[key] += value

    def gradient_sums(chunk: slice, trace, chunk_labels: torch.Tensor, chosen: list[GradientStatistic]) -> None:
        found = (gradient_statistics(model, trace, chunk_labels, chosen, workspace, mask)
                 if isinstance(model, MLP) else
                 functional_statistics(model, inputs[chunk], chunk_labels, chosen, mask))
        for method, stats in found.items():
            accumulate(method, stats)

    for start in range(0, inputs.shape[0], chunk_size):
        chunk = slice(start, start + chunk_size)
        trace = model.trace(inputs[chunk])
        if statistics:
            gradient_sums(chunk, trace, labels[chunk], statistics)
        if uniforms is not None:
            probs = torch.softmax(restrict_logits(trace.logits, mask), dim=-1)
            gradient_sums(chunk, trace, sampled_labels(probs, uniforms[chunk]), [FIS_SAMPLE])
        if "sig" in wanted:
            accumulate("sig", signal_sums(model, trace, mask))
        if "sig_activity" in wanted:
            accumulate("sig_activity", activity_sums(model, trace, mask))
    count = inputs.shape[0]
    means = {m: {k: v / count for k, v in totals[m].items()} for m in totals}
    if "fis_batch" in wanted:
        sums, batches = batch_fisher_sums(model, inputs, labels, mask)
        means["fis_batch"] = {k: v / batches for k, v in sums.items()}
    parameters = dict(model.named_parameters())
    if "magnitude" in wanted:
        means["magnitude"] = magnitude_importance(parameters)
    if "random" in wanted:
        shapes = {name: p.shape for name, p in parameters.items()}
        means["random"] = {k: v.to(parameters[k].device) for k, v in random_importance(shapes, seed, task).items()}
    if "uniform" in wanted:
        means["uniform"] = uniform_importance(parameters)
    for name in methods:
        source = control_source(name)
        if source is not None:
            means[name] = (shuffled_importance(means[source], seed, task) if name.startswith("shuffled")
                           else rank1_importance(means[source]))
    return {m: means[m] for m in methods}


__all__ = ["METHODS", "ImportanceMethod", "SITracker", "adam_importance", "control_source", "method_info",
           "post_training_importances"]
