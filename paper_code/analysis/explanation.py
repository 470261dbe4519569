"""The paper's explanation of FIS–MAS², eqs. (1)–(3), tested on the networks a run saved after each task.

Section 3.1 argues: after training, the labelled output p_k of each sample is close to 1, so
FIS (eq. 1) is roughly (Σ_k ∂p_k/∂θ)² (eq. 2) while MAS is roughly 2 Σ_k ∂p_k/∂θ (eq. 3),
hence FIS ≈ MAS² up to a factor. Two readings of those formulas exist, and this module
checks both on every saved network and its importance samples:

* **per sample**, as the library (and the paper author's scripts) compute the importances:
  FIS = Σ_k (∂log p_k/∂θ)², MAS = Σ_k |∂‖p_k‖²/∂θ|. The comparisons then set FIS beside
  Σ_k (∂p_k/∂θ)² and MAS beside Σ_k |∂p_k/∂θ|, and the sums of eqs. (2)–(3) beside them;
* **literally**, as eqs. (1)–(3) are written: the square of the summed log-gradient
  (Σ_k ∂log p_k/∂θ)² and the signed sum Σ_k ∂‖p_k‖²/∂θ. Their FIS–MAS² correlation is set
  beside the one the per-sample importances show, which says which form the paper's
  correlations follow.

Nothing is trained: checkpoints and permutations are read, the samples rebuilt through the
public data functions, and the recomputed FIS and MAS compared with the stored ones first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from paper_code.analysis.trained import require_paper_network
from paper_code.correlation import average_ranks, pearson
from paper_code.data import MNISTArrays, load_mnist, make_tasks
from paper_code.errors import PaperCodeError
from paper_code.importance import post_training_importances
from paper_code.model import MLP, build_model
from paper_code.results import (
    CHECKPOINTS_DIR,
    EXPLANATION_AGREEMENT_FILE,
    EXPLANATION_P_FILE,
    IMPORTANCES_DIR,
    Results,
    task_file,
    write_csv,
)

EQ2 = "FIS vs (Σ_k ∂p_k/∂θ)²  [eq. 2]"
EQ2_PER_SAMPLE = "FIS vs Σ_k (∂p_k/∂θ)²"
EQ3 = "MAS vs |Σ_k ∂p_k/∂θ|  [eq. 3]"
EQ3_PER_SAMPLE = "MAS vs Σ_k |∂p_k/∂θ|"
DROP_INVERSE_P = "(Σ_k ∂log p_k/∂θ)² vs (Σ_k ∂p_k/∂θ)²"
#: Per-sample importances against the formulas of eqs. (2)–(3).
COMPARISONS = (EQ2, EQ2_PER_SAMPLE, EQ3, EQ3_PER_SAMPLE, DROP_INVERSE_P)
#: Short ids of those comparisons, as the committed analysis names them (``eq23.csv``).
EQ23_IDS: dict[str, str] = {
    "eq2": EQ2, "eq2_per_sample": EQ2_PER_SAMPLE, "eq3": EQ3, "eq3_per_sample": EQ3_PER_SAMPLE,
    "drop_inverse_p": DROP_INVERSE_P,
}

EQ1_LITERAL = "FIS vs (Σ_k ∂log p_k/∂θ)²  [eq. 1 as written]"
EQ3_LITERAL = "MAS vs Σ_k ∂‖p_k‖²/∂θ  [eq. 3 as written, signed]"
EQ3_LITERAL_ABS = "MAS vs |Σ_k ∂‖p_k‖²/∂θ|"
OBSERVED = "FIS vs MAS²  [per sample, as computed]"
LITERAL = "(Σ_k ∂log p_k/∂θ)² vs (Σ_k ∂‖p_k‖²/∂θ)²  [as written]"
#: The literal forms against the per-sample importances, and FIS–MAS² in both forms.
LITERAL_COMPARISONS = (EQ1_LITERAL, EQ3_LITERAL, EQ3_LITERAL_ABS, OBSERVED, LITERAL)


@dataclass(frozen=True)
class ExplanationCheck:
    """Eqs. (1)–(3) tested on each task's trained network and importance samples.

    ``p_summary``: one row per task (``task``, ``mean``, ``median``, ``min``, ``share_above_0.9``,
    ``share_above_0.99``) of the labelled output p_k. ``p_last``: every p_k of the last task.
    ``agreement``: one row per task, layer and comparison (:data:`COMPARISONS` and
    :data:`LITERAL_COMPARISONS`), with ``pearson`` and ``spearman``. ``stored_mismatch``: the
    largest relative difference between the FIS/MAS recomputed here and the per-task
    importances the run stored (the check sees the same networks and samples as the run).

    A check read back from a results folder (:func:`stored_check`) has no ``p_last`` and no
    ``stored_mismatch``: only its two tables are stored.
    """

    p_summary: pd.DataFrame
    p_last: np.ndarray | None
    agreement: pd.DataFrame
    stored_mismatch: float | None


def labelled_output_gradients(
    model: MLP, inputs: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """p_k, and per layer δ_k = ∂p_k/∂z_k (pre-activations) and the layer inputs a_k.

    The per-sample weight gradient of p_k is the outer product δ_k a_kᵀ; it is never formed.
    """
    layer_inputs, pre_activations = [], []
    hidden = inputs
    layers = model.layers
    for index, layer in enumerate(layers):
        layer_inputs.append(hidden.detach())
        z = layer(hidden)
        z.retain_grad()
        pre_activations.append(z)
        hidden = F.leaky_relu(z, model.leaky_slope) if index < len(layers) - 1 else z
    probabilities = torch.softmax(hidden, dim=-1)
    p = probabilities.gather(1, labels[:, None]).squeeze(1)
    # Sample k only reaches p_k, so the gradient of Σ_k p_k at sample k's pre-activations is ∂p_k/∂z_k.
    p.sum().backward()
    deltas = [z.grad.detach() for z in pre_activations]
    return p.detach(), deltas, layer_inputs


def literal_gradients(model: MLP, inputs: torch.Tensor, labels: torch.Tensor) -> dict[str, list[torch.Tensor]]:
    """The summed (whole-set) weight gradients that eqs. (1) and (3) write: one backward pass each.

    ``log_likelihood``: Σ_k ∂log p_k/∂W (eq. 1 before squaring); ``squared_norm``: Σ_k ∂‖p_k‖²/∂W
    (eq. 3, signed). One list entry per layer.
    """
    out: dict[str, list[torch.Tensor]] = {}
    for name in ("log_likelihood", "squared_norm"):
        model.zero_grad(set_to_none=True)
        logits = model(inputs)
        if name == "log_likelihood":
            objective = F.log_softmax(logits, dim=-1).gather(1, labels[:, None]).sum()
        else:
            objective = torch.softmax(logits, dim=-1).square().sum()
        objective.backward()
        out[name] = [layer.weight.grad.detach().clone() for layer in model.layers]
    model.zero_grad(set_to_none=True)
    return out


def _rows(task: int, layer: int, values: dict[str, torch.Tensor], pairs: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    ranks: dict[str, torch.Tensor] = {}

    def ranked(name: str) -> torch.Tensor:
        if name not in ranks:
            ranks[name] = average_ranks(values[name])
        return ranks[name]

    return [
        dict(task=task, layer=layer, comparison=comparison,
             pearson=pearson(values[x], values[y]), spearman=pearson(ranked(x), ranked(y)))
        for comparison, (x, y) in pairs.items()
    ]


def agreement_rows(task: int, importances: dict[str, dict[str, torch.Tensor]], p: torch.Tensor,
                   deltas: list[torch.Tensor], inputs: list[torch.Tensor],
                   literal: dict[str, list[torch.Tensor]]) -> list[dict[str, Any]]:
    """Every comparison of :data:`COMPARISONS` and :data:`LITERAL_COMPARISONS`, for each layer."""
    rows = []
    for layer, (delta, a) in enumerate(zip(deltas, inputs), start=1):
        delta, a = delta.double(), a.double()
        summed = delta.T @ a                             # Σ_k ∂p_k/∂W
        summed_log = (delta / p.double()[:, None]).T @ a  # Σ_k ∂log p_k/∂W
        fis = importances["fis"][f"fc{layer}.weight"].double()
        mas = importances["mas"][f"fc{layer}.weight"].double()
        log_likelihood = literal["log_likelihood"][layer - 1].double()
        squared_norm = literal["squared_norm"][layer - 1].double()
        values = {
            "fis": fis, "mas": mas, "mas2": mas.square(),
            "summed": summed.abs(), "summed2": summed.square(),
            "squares": delta.square().T @ a.square(),    # Σ_k (∂p_k/∂W)²
            "magnitudes": delta.abs().T @ a.abs(),       # Σ_k |∂p_k/∂W|
            "summed_log2": summed_log.square(),
            "literal_fis": log_likelihood.square(),
            "literal_mas": squared_norm, "literal_mas_abs": squared_norm.abs(), "literal_mas2": squared_norm.square(),
        }
        rows += _rows(task, layer, values, {
            EQ2: ("fis", "summed2"),
            EQ2_PER_SAMPLE: ("fis", "squares"),
            EQ3: ("mas", "summed"),
            EQ3_PER_SAMPLE: ("mas", "magnitudes"),
            DROP_INVERSE_P: ("summed_log2", "summed2"),
            EQ1_LITERAL: ("fis", "literal_fis"),
            EQ3_LITERAL: ("mas", "literal_mas"),
            EQ3_LITERAL_ABS: ("mas", "literal_mas_abs"),
            OBSERVED: ("fis", "mas2"),
            LITERAL: ("literal_fis", "literal_mas2"),
        })
    return rows


def explanation_check(results: Results, tasks: Iterable[int] | None = None,
                      data_root: str | os.PathLike[str] | None = None) -> ExplanationCheck:
    """Test eqs. (1)–(3) on the network saved after each task, on that task's importance samples.

    Loads ``checkpoints/task_XX.pt`` and rebuilds the importance samples (the last
    ``importance_samples`` training rows of the task, permuted as in the run) through the public
    data functions. Nothing is trained.
    """
    config = results.config
    require_paper_network(config, "the eq. (1)-(3) check")
    if "fis" not in config.methods or "mas" not in config.methods:
        raise PaperCodeError("the eq. (1)-(3) check needs a run that computed both FIS and MAS")
    numbers = list(tasks) if tasks is not None else list(range(1, results.completed_tasks + 1))
    if not task_file(results.path, CHECKPOINTS_DIR, numbers[-1]).is_file():
        raise PaperCodeError(
            f"{results.path} keeps no checkpoints (a committed study trial keeps only its small files): "
            "the eq. (1)-(3) check needs the run itself; rerun it with `python -m paper_code run`"
        )
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    lo, hi = config.train_size - config.importance_samples, config.train_size
    rows_only = MNISTArrays(mnist.train_x[lo:hi], mnist.train_y[lo:hi], mnist.test_x[:1], mnist.test_y[:1])
    task_data = make_tasks(rows_only, results.permutations())

    summaries, agreement, mismatch, p_last = [], [], 0.0, np.array([])
    for number in numbers:
        model = build_model(config.seed, config.leaky_slope)
        model.load_state_dict(torch.load(task_file(results.path, CHECKPOINTS_DIR, number), weights_only=True))
        samples = task_data[number - 1]
        fresh = post_training_importances(model, samples.train_x, samples.train_y, ["fis", "mas"])
        stored = torch.load(task_file(results.path, IMPORTANCES_DIR, number), weights_only=True)["per_task"]
        for method in ("fis", "mas"):
            for name, value in fresh[method].items():
                reference = stored[method][name]
                scale = float(reference.abs().max()) or 1.0
                mismatch = max(mismatch, float((value - reference).abs().max()) / scale)
        with torch.enable_grad():
            p, deltas, inputs = labelled_output_gradients(model, samples.train_x, samples.train_y)
            literal = literal_gradients(model, samples.train_x, samples.train_y)
        values = p.numpy()
        summaries.append(dict(task=number, mean=float(values.mean()), median=float(np.median(values)),
                              min=float(values.min()), **{"share_above_0.9": float((values > 0.9).mean()),
                                                          "share_above_0.99": float((values > 0.99).mean())}))
        agreement += agreement_rows(number, fresh, p, deltas, inputs, literal)
        p_last = values
    return ExplanationCheck(pd.DataFrame(summaries), p_last, pd.DataFrame(agreement), mismatch)


def write_explanation(folder: str | os.PathLike[str], check: ExplanationCheck) -> None:
    """The check's tables, written into the run's folder: small files a study commits, so the seed band of the
    premise and of eqs. (2)-(3) can be shown where the checkpoints are not kept."""
    folder = Path(folder)
    write_csv(folder / EXPLANATION_P_FILE, list(check.p_summary.columns), check.p_summary.to_dict("records"))
    write_csv(folder / EXPLANATION_AGREEMENT_FILE, list(check.agreement.columns), check.agreement.to_dict("records"))


def read_explanation(folder: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The check's ``p_summary`` and ``agreement`` tables stored in ``folder``, or None if it holds none."""
    folder = Path(folder)
    if not (folder / EXPLANATION_P_FILE).is_file() or not (folder / EXPLANATION_AGREEMENT_FILE).is_file():
        return None
    return pd.read_csv(folder / EXPLANATION_P_FILE), pd.read_csv(folder / EXPLANATION_AGREEMENT_FILE)


def stored_check(folder: str | os.PathLike[str]) -> ExplanationCheck | None:
    """The check as stored in ``folder`` (its two tables only), or None if it holds none."""
    stored = read_explanation(folder)
    if stored is None:
        return None
    return ExplanationCheck(stored[0], None, stored[1], None)


#: The columns of ``p_summary`` a page sets side by side over seeds.
P_MEASURES = ("mean", "share_above_0.9", "share_above_0.99")


