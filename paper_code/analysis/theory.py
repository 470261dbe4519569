"""Benzing's theory, tested: is MAS (and SI) the square root of the Fisher?

Benzing (AISTATS 2022) shows that MAS's mean absolute gradient and SI's path integral both approximate the square
root of the Fisher information, ``Ω ∝ √F``. On a log-log plot of one importance against the Fisher, weight by
weight, the theory predicts a straight line of slope 0.5; two estimates of one Fisher predict slope 1. The paper's
claim that FIS correlates better with MAS² than with MAS is the same prediction seen through Pearson's r, a
statistic that heavy tails can swing either way, so the correlations of MAS, √FIS and MAS² are given beside it.

Everything here is computed from a run's saved networks, task by task, on the weights of each layer (biases are
few and on another scale): each task's *own* importances, computed on its rows right after it was learned
(the quantity the theory describes), and the *accumulated* sums the paper correlates.

Two slopes are given because the two variables are both noisy: ``slope`` is ordinary least squares of log y on
log x (biased towards 0 when log x is noisy), ``sd_slope`` the standardized major axis, sign(r)·sd(log y)/sd(log x),
symmetric in x and y. A weight with a non-positive value on either side (SI's path integral can be negative; a
dead unit's Fisher is 0) has no logarithm and is left out of both; ``share_used`` says how many remained.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from paper_code.analysis.trained import require_paper_network
from paper_code.data.mnist import load_mnist
from paper_code.data.permuted import make_tasks
from paper_code.errors import PaperCodeError
from paper_code.importance import adam_importance, post_training_importances
from paper_code.importance.per_sample import ParamStats
from paper_code.model import build_model
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, OPTIMIZER_DIR, Results, task_file
from paper_code.train import make_optimizer

#: (x, y): the Fisher on the x axis, the importance whose power law is measured on the y axis. The first four
#: test Benzing's √F (slope 0.5); the rest compare the Fishers the field computes with the empirical one (slope 1).
THEORY_PAIRS: tuple[tuple[str, str], ...] = (
    ("fis", "mas"), ("fis_true", "mas"), ("fis", "si"), ("fis_true", "si"),
    ("fis", "fis_true"), ("fis", "fis_sample"), ("fis", "fis_batch"), ("fis", "adam"),
    ("fis_true", "fis_sample"), ("fis_batch", "adam"),
)
#: SI with the gradient of the task's loss alone (``si_grad="task"``, Zenke et al.'s), read from a run that trains
#: the same networks: the paper's SI follows the total gradient, EWC-MAS's penalty included, so from task 2 on it
#: carries some of MAS, whose law is the one under test.
SI_TASK_PAIRS: tuple[tuple[str, str], ...] = (("fis", "si_task"), ("fis_true", "si_task"))
#: What each pair's slope is predicted to be: Benzing's √F, or one Fisher against another.
PREDICTED_SLOPE: dict[str, float] = {"mas": 0.5, "si": 0.5, "si_task": 0.5}
#: The importances the theory reads, recomputed from the saved networks where the run did not store them.
THEORY_METHODS: tuple[str, ...] = ("fis", "fis_true", "fis_sample", "fis_batch", "mas", "si", "adam")
#: Recomputed from a checkpoint on the task's importance rows (SI and Adam come from training).
RECOMPUTED: tuple[str, ...] = ("fis", "fis_true", "fis_sample", "fis_batch", "mas")
KINDS: tuple[str, ...] = ("own", "accumulated")

THEORY_COLUMNS: tuple[str, ...] = (
    "seed", "task", "layer", "kind", "x", "y", "predicted", "share_used", "slope", "sd_slope", "pearson",
    "pearson_sqrt_x", "pearson_y_squared", "pearson_log", "spearman",
)


def predicted_slope(y: str) -> float:
    return PREDICTED_SLOPE.get(y, 1.0)


def loglog_fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The log-log slopes of ``y`` against ``x`` over the entries positive in both, and the share of such entries."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    used = (x > 0) & (y > 0)
    lx, ly = np.log(x[used]), np.log(y[used])
    if used.sum() < 3 or lx.std() == 0 or ly.std() == 0:
        return dict(share_used=float(used.mean()), slope=np.nan, sd_slope=np.nan, pearson_log=np.nan)
    r = float(np.corrcoef(lx, ly)[0, 1])
    slope = float(np.cov(lx, ly, ddof=1)[0, 1] / lx.var(ddof=1))
    return dict(share_used=float(used.mean()), slope=slope, sd_slope=float(np.sign(r) * ly.std() / lx.std()),
                pearson_log=r)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r of the ranks, ties sharing their mean rank (scipy's spearmanr, without the dependency)."""
    return _pearson(pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy())


def pair_row(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Every statistic of one (x, y) pair of weight matrices."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    return dict(**loglog_fit(x, y), pearson=_pearson(x, y), pearson_sqrt_x=_pearson(np.sqrt(np.clip(x, 0, None)), y),
                pearson_y_squared=_pearson(x, y * y), spearman=_spearman(x, y))


def task_importances(results: Results, number: int, model: torch.nn.Module, rows: tuple[torch.Tensor, torch.Tensor]
                     ) -> dict[str, ParamStats]:
    """Task ``number``'s own importances of :data:`THEORY_METHODS`: recomputed on its rows from the checkpoint,
    SI as the run stored it, Adam's from the optimizer the run saved."""
    config = results.config
    fresh = post_training_importances(model, *rows, list(RECOMPUTED), seed=config.seed, task=number)
    stored = torch.load(task_file(results.path, IMPORTANCES_DIR, number), weights_only=True)["per_task"]
    optimizer = make_optimizer(model, config.lr)
    optimizer.load_state_dict(torch.load(task_file(results.path, OPTIMIZER_DIR, number), weights_only=True))
    return {**fresh, "si": stored["si"], "adam": adam_importance(model, optimizer)}


def _check_saved(results: Results) -> None:
    needed = (CHECKPOINTS_DIR, IMPORTANCES_DIR, OPTIMIZER_DIR)
    missing = [f"{name}/task {n}" for n in range(1, results.completed_tasks + 1) for name in needed
               if not task_file(results.path, name, n).is_file()]
    if missing or "si" not in results.config.methods or results.config.optimizer_state != "kept":
        raise PaperCodeError(
            f"{results.path} cannot be read for the theory: it needs every task's checkpoint, importances (SI "
            f"among them) and the optimizer one Adam kept for the whole run{'; missing ' + missing[0] if missing else ''}"
        )


def theory_table(results: Results, data_root: str | os.PathLike[str] | None = None,
                 si_task: Results | None = None) -> pd.DataFrame:
    """:data:`THEORY_COLUMNS` for every task, layer, kind and pair of :data:`THEORY_PAIRS` of one run; with
    ``si_task`` (the same configuration with ``si_grad="task"``, which trains the very same networks), the pairs of
    :data:`SI_TASK_PAIRS` too."""
    _check_saved(results)
    if si_task is not None and si_task.config.replace(si_grad=results.config.si_grad) != results.config:
        raise PaperCodeError(f"{si_task.path} is not {results.path}'s configuration with SI's task gradient")
    pairs = THEORY_PAIRS + (SI_TASK_PAIRS if si_task is not None else ())
    config = results.config
    require_paper_network(config, "the theory test")
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    tasks = make_tasks(mnist, results.permutations(), config.train_size, 1)
    accumulated: dict[str, ParamStats] = {}
    rows: list[dict[str, Any]] = []
    for number in range(1, results.completed_tasks + 1):
        model = build_model(config.seed, config.leaky_slope)
        model.load_state_dict(torch.load(task_file(results.path, CHECKPOINTS_DIR, number), weights_only=True))
        task = tasks[number - 1]
        last = slice(task.train_x.shape[0] - config.importance_samples, None)
        own = task_importances(results, number, model, (task.train_x[last], task.train_y[last]))
        if si_task is not None:
            # SI never touches training, so the two runs hold the same networks; a difference means another run.
            other = torch.load(task_file(si_task.path, CHECKPOINTS_DIR, number), weights_only=True)
            if not all(torch.equal(other[k], v) for k, v in model.state_dict().items()):
                raise PaperCodeError(f"{si_task.path} trained other networks than {results.path} (task {number})")
            own["si_task"] = torch.load(task_file(si_task.path, IMPORTANCES_DIR, number), weights_only=True)["per_task"]["si"]
        accumulated = {m: {k: accumulated[m][k] + v for k, v in s.items()} if m in accumulated else dict(s)
                       for m, s in own.items()}
        for kind, importances in (("own", own), ("accumulated", accumulated)):
            for layer in range(1, len(model.layers) + 1):
                name = f"fc{layer}.weight"
                for x, y in pairs:
                    rows.append(dict(seed=config.seed, task=number, layer=layer, kind=kind, x=x, y=y,
                                     predicted=predicted_slope(y),
                                     **pair_row(importances[x][name].numpy(), importances[y][name].numpy())))
    return pd.DataFrame(rows, columns=list(THEORY_COLUMNS))
