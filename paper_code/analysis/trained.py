"""A results folder's network and importances after one task, baselines included.

Runs keep ``checkpoints/task_XX.pt`` and ``importances/task_XX.pt`` (the study's
committed trials do not: only machines that ran them have those files). The
magnitude and random baselines need no data, so they are computed here from the
checkpoint and the run's seed, exactly as a run asked for them
(``--methods ...,magnitude,random``) would have stored them.
"""

from __future__ import annotations

import os
from typing import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from paper_code.config import BASELINE_METHODS, PAPER_HIDDEN, Config, check_method, is_method, ordered_methods
from paper_code.errors import ConfigError, ResultsError
from paper_code.importance.magnitude import magnitude_importance
from paper_code.importance.per_sample import ParamStats
from paper_code.importance.random_control import random_importance
from paper_code.model import LAYER_SIZES
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, Results, load_results, task_file

#: Layers of the paper's network, by number (1 = input layer).
LAYERS: tuple[int, ...] = tuple(range(1, len(LAYER_SIZES)))


def require_paper_network(config: Config, what: str) -> None:
    """Refuse, in one line, a run these analyses cannot rebuild yet: they rebuild the paper's network on
    permuted-MNIST rows."""
    if config.stream != "permuted" or tuple(config.hidden) != PAPER_HIDDEN or config.network != "mlp":
        raise ResultsError(f"{what} supports runs of the paper's network on permuted MNIST; this run has "
                           f"stream={config.stream}, network={config.network}, hidden={','.join(map(str, config.hidden))}")


def weight_name(layer: int) -> str:
    return f"fc{layer}.weight"


@dataclass(frozen=True)
class TrainedTask:
    """The network after ``task`` and the importances it was judged by.

    ``state``: the checkpoint (``state_dict``). ``accumulated`` and ``per_task``: every importance
    the run computed, plus the baselines, by method and parameter name.
    """

    results: Results
    task: int
    state: dict[str, torch.Tensor]
    accumulated: dict[str, ParamStats]
    per_task: dict[str, ParamStats]

    @property
    def methods(self) -> tuple[str, ...]:
        """The available importances, in the library's order."""
        return tuple(m for m in ordered_methods(self.accumulated) if is_method(m))


def baseline_importances(state: dict[str, torch.Tensor], seed: int, task: int) -> dict[str, ParamStats]:
    """Magnitude and random importances of a checkpoint: what a run with these methods stores after ``task``."""
    return {
        "magnitude": magnitude_importance(state),
        "random": random_importance({name: value.shape for name, value in state.items()}, seed, task),
    }


def open_results(folder: str | os.PathLike[str]) -> Results:
    """A results folder that may be unfinished: every completed task can be analysed."""
    results = load_results(Path(folder), require_complete=False)
    if results.completed_tasks < 1:
        raise ResultsError(f"{folder} has no completed task yet: let its run finish at least one task")
    return results


def check_task(results: Results, task: int | None) -> int:
    """``task`` (default: the last completed one), checked against what the folder holds."""
    last = results.completed_tasks
    if task is None:
        return last
    if isinstance(task, bool) or not isinstance(task, int) or not 1 <= task <= last:
        raise ConfigError(f"after_task={task!r} is out of range: {results.path} holds tasks 1..{last}")
    return task


def load_trained(results: Results, task: int | None = None) -> TrainedTask:
    require_paper_network(results.config, "pruning and the unit-structure analysis")
    """Checkpoint and importances after ``task`` (default: the last completed), with the baselines added.

    A folder without its checkpoint or importance file is refused with one line naming the missing
    file: the run must be redone with this library, which keeps them.
    """
    task = check_task(results, task)
    files = {name: task_file(results.path, name, task) for name in (CHECKPOINTS_DIR, IMPORTANCES_DIR)}
    for name, path in files.items():
        if not path.is_file():
            raise ResultsError(
                f"{path} is missing: pruning and the structure analysis need the run's {name} "
                f"(committed study trials keep only their CSV files); point at a folder written by "
                f"`python -m paper_code run`"
            )
    state = torch.load(files[CHECKPOINTS_DIR], weights_only=True)
    stored = torch.load(files[IMPORTANCES_DIR], weights_only=True)
    baselines = baseline_importances(state, results.config.seed, task)
    # A run that computed the baselines itself stored exactly these values; the fresh ones are used either way.
    accumulated = {**{m: v for m, v in stored["accumulated"].items() if m not in BASELINE_METHODS}, **baselines}
    per_task = {**{m: v for m, v in stored["per_task"].items() if m not in BASELINE_METHODS}, **baselines}
    return TrainedTask(results, task, state, accumulated, per_task)


def choose_methods(trained: TrainedTask, methods: Iterable[str] | None) -> tuple[str, ...]:
    """``methods`` (default: every importance of the run and both baselines), each one available."""
    if methods is None:
        return trained.methods
    chosen = tuple(methods)
    for name in chosen:
        check_method(name)
        if name not in trained.accumulated:
            raise ConfigError(
                f"method {name!r} was not computed by the run in {trained.results.path}: "
                f"choose from {', '.join(trained.methods)}"
            )
    if not chosen:
        raise ConfigError(f"no method given: choose from {', '.join(trained.methods)}")
    return chosen
