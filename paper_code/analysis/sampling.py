"""Importance-sampling noise: how far a correlation surface moves when the importance rows are drawn again.

A run estimates its data-based importances (FIS, MAS, SIG, the true Fisher) on one fixed set of rows, the last
``importance_samples`` training rows of each task, and every seed uses the same rows: the seed band holds
different networks but not different rows. Another draw of rows would give other importances on the very same
networks. The bootstrap here redraws them (with replacement, as many as the run used) on the networks the run
saved after each task, sums them over the tasks as the run does, and correlates every pair again. SI,
accumulated during training, and the baselines, which read no rows, are the same in every draw, so a pair's
spread over the draws is the noise of estimating its importances from a sample, nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import torch

from paper_code.analysis.trained import require_paper_network
from paper_code.correlation import correlate
from paper_code.data import MNISTArrays, load_mnist, make_tasks
from paper_code.errors import PaperCodeError
from paper_code.experiment import add_task_importances
from paper_code.importance import method_info, post_training_importances
from paper_code.model import build_model
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, Results, task_file

#: Columns of a bootstrap table: one row per draw, pair, layer and task.
SAMPLING_COLUMNS = ("seed", "draw", "pair", "layer", "task", "pearson", "spearman")


def row_draws(count: int, draws: int, seed: int) -> list[torch.Tensor]:
    """``draws`` bootstrap index sets over ``count`` rows (with replacement), from a generator of their own: the
    draws do not depend on the run's random state, and a seed gives the same draws on every machine."""
    generator = torch.Generator().manual_seed(10_007 * seed + 1)
    return [torch.randint(0, count, (count,), generator=generator) for _ in range(draws)]


def drawn_correlations(results: Results, draws: list[torch.Tensor],
                       data_root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The run's correlation rows (:data:`SAMPLING_COLUMNS`) recomputed once per draw of importance rows.

    Each draw indexes the run's importance rows of every task (the same positions in each task, whose pixels are
    permuted differently); an identity draw reproduces the run's own ``correlations.csv``.
    """
    config = results.config
    require_paper_network(config, "the sampling band")
    tasks = results.completed_tasks
    if not task_file(results.path, CHECKPOINTS_DIR, tasks).is_file():
        raise PaperCodeError(f"{results.path} keeps no checkpoints (a committed study trial keeps only its small "
                             "files): the sampling noise needs the run itself; rerun it with `python -m paper_code run`")
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    lo, hi = config.train_size - config.importance_samples, config.train_size
    rows_only = MNISTArrays(mnist.train_x[lo:hi], mnist.train_y[lo:hi], mnist.test_x[:1], mnist.test_y[:1])
    task_data = make_tasks(rows_only, results.permutations())
    drawn_methods = [m for m in config.methods if not method_info(m).during_training]
    accumulated: list[dict] = [{} for _ in draws]
    rows = []
    for number in range(1, tasks + 1):
        model = build_model(config.seed, config.leaky_slope)
        model.load_state_dict(torch.load(task_file(results.path, CHECKPOINTS_DIR, number), weights_only=True))
        stored = torch.load(task_file(results.path, IMPORTANCES_DIR, number), weights_only=True)["per_task"]
        samples = task_data[number - 1]
        for index, draw in enumerate(draws):
            per_task = post_training_importances(model, samples.train_x[draw], samples.train_y[draw], drawn_methods,
                                                 seed=config.seed, task=number)
            per_task.update({m: stored[m] for m in config.methods if method_info(m).during_training})
            accumulated[index] = add_task_importances(accumulated[index], {m: per_task[m] for m in config.methods})
            rows += [dict(seed=config.seed, draw=index, **vars(row)) for row in
                     correlate(accumulated[index], config.pair_objects, number, include_biases=config.corr_biases)]
    return pd.DataFrame(rows, columns=list(SAMPLING_COLUMNS))
