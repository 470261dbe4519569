"""Correlations under choices that do not change training, recomputed from a run's saved networks.

Which rows feed the importances, which output MAS differentiates, whether biases join the
correlated vectors: none of these changes what the network learns, so each is measured on
the networks a run already saved (``checkpoints/task_XX.pt``) instead of in a new training
run. Every variant gives the paper's seven pairs under their usual ids, so its numbers sit
beside the default ones:

* ``mas_logits``: MAS on the logits (Aljundi et al.'s "network output") instead of the
  softmax output of eq. (3); the pairs with MAS use it in MAS's place;
* ``all_rows``: FIS, the true Fisher, MAS and SIG averaged over all the training rows of each
  task instead of the last ``importance_samples`` (SI, a path integral, is unchanged);
* ``biases``: each layer's biases appended to its weights before correlating.

Importances are summed over tasks as the run summed them, and correlated after every task.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from paper_code.analysis.trained import require_paper_network
from paper_code.correlation import CORRELATION_COLUMNS, correlate
from paper_code.data import load_mnist, make_tasks
from paper_code.errors import PaperCodeError
from paper_code.importance import post_training_importances
from paper_code.importance.mas_logits import MAS_LOGITS
from paper_code.importance.per_sample import ParamStats, gradient_statistics
from paper_code.model import MLP, build_model
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, VARIANTS_FILE, Results, task_file, write_csv

#: The variants, in the order the sensitivity page shows them.
VARIANTS: tuple[str, ...] = ("mas_logits", "all_rows", "biases")
#: Columns of :data:`~paper_code.results.VARIANTS_FILE` in the run's folder: ``variant``, then those of
#: ``correlations.csv``.
VARIANT_COLUMNS: tuple[str, ...] = ("variant",) + CORRELATION_COLUMNS


@torch.no_grad()
def mas_on_logits(model: MLP, inputs: torch.Tensor, labels: torch.Tensor, chunk_size: int = 2500) -> ParamStats:
    """Mean over ``inputs`` of |∂‖z‖²/∂θ|, with the exact one-pass per-sample machinery of the other methods."""
    total: ParamStats = {}
    for start in range(0, inputs.shape[0], chunk_size):
        trace = model.trace(inputs[start : start + chunk_size])
        stats = gradient_statistics(model, trace, labels[start : start + chunk_size], [MAS_LOGITS])["mas_logits"]
        for key, value in stats.items():
            total[key] = total[key] + value if key in total else value.clone()
    return {k: v / inputs.shape[0] for k, v in total.items()}


def _check_saved(results: Results) -> None:
    missing = [n for n in range(1, results.completed_tasks + 1)
               if not task_file(results.path, CHECKPOINTS_DIR, n).is_file()
               or not task_file(results.path, IMPORTANCES_DIR, n).is_file()]
    if missing:
        raise PaperCodeError(
            f"{results.path} lacks the checkpoints or importances of task(s) {missing[:3]}: the variants are "
            "recomputed from a run's saved networks (a committed study trial keeps only its small files)"
        )


def variant_correlations(results: Results, data_root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The paper's pairs under every variant of :data:`VARIANTS`, after every task of ``results``."""
    _check_saved(results)
    config = results.config
    require_paper_network(config, "the sensitivity variants")
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    tasks = make_tasks(mnist, results.permutations(), config.train_size, 1)
    pairs = config.pair_objects
    mas_pairs = [p for p in pairs if "mas" in p.methods]
    recomputed = [m for m in ("fis", "fis_true", "mas", "sig") if m in config.methods]
    sums: dict[str, dict[str, ParamStats]] = {"mas_logits": {}, "all_rows": {}}
    rows: list[dict[str, Any]] = []
    for number in range(1, results.completed_tasks + 1):
        model = build_model(config.seed, config.leaky_slope)
        model.load_state_dict(torch.load(task_file(results.path, CHECKPOINTS_DIR, number), weights_only=True))
        stored = torch.load(task_file(results.path, IMPORTANCES_DIR, number), weights_only=True)
        task = tasks[number - 1]
        last = slice(task.train_x.shape[0] - config.importance_samples, None)
        per_task = {
            "mas_logits": {"mas": mas_on_logits(model, task.train_x[last], task.train_y[last])},
            "all_rows": post_training_importances(model, task.train_x, task.train_y, recomputed),
        }
        for variant, fresh in per_task.items():
            for method, stats in fresh.items():
                previous = sums[variant].get(method)
                sums[variant][method] = stats if previous is None else {k: previous[k] + v for k, v in stats.items()}
        accumulated = stored["accumulated"]
        logits_view = {**accumulated, "mas": sums["mas_logits"]["mas"]}
        rows_view = {**accumulated, **sums["all_rows"]}
        for variant, importances, chosen, biases in (
            ("mas_logits", logits_view, mas_pairs, False),
            ("all_rows", rows_view, pairs, False),
            ("biases", accumulated, pairs, True),
        ):
            rows += [dict(variant=variant, **vars(r)) for r in correlate(importances, chosen, number, include_biases=biases)]
    return pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))


def write_variant_correlations(results: Results, data_root: str | os.PathLike[str] | None = None) -> Path:
    """Compute :func:`variant_correlations` and write them into the run's folder."""
    table = variant_correlations(results, data_root)
    path = Path(results.path) / VARIANTS_FILE
    write_csv(path, VARIANT_COLUMNS, table.to_dict("records"))
    return path


def read_variant_correlations(folder: str | os.PathLike[str]) -> pd.DataFrame | None:
    path = Path(folder) / VARIANTS_FILE
    return pd.read_csv(path) if path.is_file() else None


