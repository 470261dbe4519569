"""The results folder: the contract between an experiment and everything that reads it.

Layout of a results folder::

    config.json            parameters, cache key, versions, data checksums, progress
    accuracy.csv           after_task, eval_task, accuracy
    correlations.csv       pair, layer, task, pearson, spearman  (accumulated importances, as in the paper)
    correlations_per_task.csv  the same, on each task's own importances
    training.csv           task, epoch, task_loss, penalty, train_accuracy
    permutations.pt        [tasks, 784] pixel permutations
    importances/task_XX.pt {"per_task": {method: {param: tensor}}, "accumulated": {...}}
    checkpoints/task_XX.pt model state after task XX
    optimizer/task_XX.pt   Adam's state after task XX (only when it is kept across tasks)
    pruning.csv            method, ranking, scope, fraction, after_task, removed, task, accuracy  (python -m paper_code prune)
    topk_overlap.csv       method_a, method_b, layer, k, after_task, size, intersection, jaccard  (idem)

Tasks are numbered from 1 (the number of tasks learned so far). Every file is
written to a temporary name and renamed, and ``config.json``'s
``completed_tasks`` is updated last, so a run killed at any moment leaves a
folder that is consistent up to its last completed task.
"""

from __future__ import annotations

import csv
import io
import json
import os
import dataclasses
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import torch

from paper_code.atomic import write_bytes_atomically
from paper_code.config import Config
from paper_code.errors import ConfigError, ResultsError

CONFIG_FILE = "config.json"
ACCURACY_FILE = "accuracy.csv"
CORRELATIONS_FILE = "correlations.csv"
PER_TASK_CORRELATIONS_FILE = "correlations_per_task.csv"
TRAINING_FILE = "training.csv"
PERMUTATIONS_FILE = "permutations.pt"
IMPORTANCES_DIR = "importances"
CHECKPOINTS_DIR = "checkpoints"
#: Adam's state after each task, written only when it is kept across tasks (needed to resume exactly).
OPTIMIZER_DIR = "optimizer"
#: Written by ``python -m paper_code prune`` (paper_code.analysis): pruned accuracy and top-k overlap.
PRUNING_FILE = "pruning.csv"
TOPK_OVERLAP_FILE = "topk_overlap.csv"
#: Written afterwards from the saved networks: the eq. (1)-(3) check (paper_code.analysis.explanation) and
#: the correlations of the sensitivity variants (paper_code.analysis.variants).
EXPLANATION_P_FILE = "explanation_p.csv"
EXPLANATION_AGREEMENT_FILE = "explanation_agreement.csv"
VARIANTS_FILE = "correlations_variants.csv"

ACCURACY_COLUMNS = ("after_task", "eval_task", "accuracy")
TRAINING_COLUMNS = ("task", "epoch", "task_loss", "penalty", "train_accuracy")

RESULT_ENTRIES = (
    CONFIG_FILE,
    ACCURACY_FILE,
    CORRELATIONS_FILE,
    PER_TASK_CORRELATIONS_FILE,
    TRAINING_FILE,
    PERMUTATIONS_FILE,
    IMPORTANCES_DIR,
    CHECKPOINTS_DIR,
    OPTIMIZER_DIR,
    PRUNING_FILE,
    TOPK_OVERLAP_FILE,
    EXPLANATION_P_FILE,
    EXPLANATION_AGREEMENT_FILE,
    VARIANTS_FILE,
)


def task_file(folder: Path, subdir: str, task: int) -> Path:
    return Path(folder) / subdir / f"task_{task:02d}.pt"


# --------------------------------------------------------------------------- atomic writes
def write_json(path: Path, data: dict[str, Any]) -> None:
    write_bytes_atomically(path, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode())


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict[str, Any] | Any]) -> None:
    columns = list(columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = row if isinstance(row, dict) else asdict(row)
        writer.writerow({key: _format(record[key]) for key in columns})
    write_bytes_atomically(path, buffer.getvalue().encode())


def _format(value: Any) -> Any:
    # repr() of a float round-trips exactly, so a resumed run can be compared bit for bit.
    if isinstance(value, float):
        return repr(value)
    return value


def write_tensor_file(path: Path, obj: Any) -> None:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomically(path, buffer.getvalue())


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Results:
    """A loaded results folder. Tables are tidy :class:`pandas.DataFrame` objects."""

    path: Path
    config: Config
    meta: dict[str, Any]
    accuracy: pd.DataFrame
    correlations: pd.DataFrame
    training: pd.DataFrame
    #: Correlations of each task's own (not accumulated) importances; empty for folders written before it existed.
    per_task_correlations: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    @property
    def complete(self) -> bool:
        return bool(self.meta.get("complete"))

    @property
    def completed_tasks(self) -> int:
        return int(self.meta.get("completed_tasks", 0))

    def accuracy_matrix(self) -> pd.DataFrame:
        """Rows: tasks learned so far; columns: the task evaluated."""
        return self.accuracy.pivot(index="after_task", columns="eval_task", values="accuracy")

    def final_average_accuracy(self) -> float:
        """Mean test accuracy over all tasks after the last one."""
        last = self.accuracy[self.accuracy.after_task == self.accuracy.after_task.max()]
        return float(last.accuracy.mean())

    def average_forgetting(self) -> float:
        """Mean over all but the last task of (best accuracy reached on it after learning it − final accuracy)."""
        matrix = self.accuracy_matrix()
        last = int(matrix.index.max())
        drops = [matrix.loc[task:, task].max() - matrix.loc[last, task] for task in matrix.columns if task < last]
        return float(sum(drops) / len(drops)) if drops else 0.0

    def importances(self, task: int) -> dict[str, dict[str, dict[str, torch.Tensor]]]:
        """``{"per_task": ..., "accumulated": ...}`` after ``task`` (1-based)."""
        path = task_file(self.path, IMPORTANCES_DIR, task)
        if not path.is_file():
            raise ResultsError(f"{path} is missing: task {task} has not been completed in {self.path}")
        return torch.load(path, weights_only=True)

    def permutations(self) -> torch.Tensor:
        return torch.load(self.path / PERMUTATIONS_FILE, weights_only=True)


def read_meta(folder: Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(
            f"{folder} is not a results folder (no {CONFIG_FILE}): run `python -m paper_code run --out {folder}` first"
        ) from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}): rerun with --force") from None


def load_results(folder: str | os.PathLike[str], require_complete: bool = True) -> Results:
    """Read a results folder written by :func:`paper_code.run_experiment`.

    Only the rows of completed tasks are returned. ``require_complete=False``
    accepts a run that stopped early (for example to inspect a killed run).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"results folder {folder} does not exist: run `python -m paper_code run --out {folder}`")
    meta = read_meta(folder)
    try:
        config = Config.from_dict(meta["config"])
    except (KeyError, TypeError, ConfigError) as exc:
        raise ResultsError(f"{folder / CONFIG_FILE} does not describe a valid run ({exc}): rerun with --force") from None
    if require_complete and not meta.get("complete"):
        raise ResultsError(
            f"{folder} holds an unfinished run ({meta.get('completed_tasks', 0)} of {config.tasks} tasks): "
            f"finish it with `python -m paper_code run --out {folder} --resume` and the same parameters"
        )
    done = int(meta.get("completed_tasks", 0))

    def table(name: str, column: str, optional: bool = False) -> pd.DataFrame:
        path = folder / name
        if not path.is_file():
            if optional:
                return pd.DataFrame()
            raise ResultsError(f"{path} is missing: rerun with --force")
        frame = pd.read_csv(path)
        return frame[frame[column] <= done].reset_index(drop=True)

    return Results(
        path=folder,
        config=config,
        meta=meta,
        accuracy=table(ACCURACY_FILE, "after_task"),
        correlations=table(CORRELATIONS_FILE, "task"),
        training=table(TRAINING_FILE, "task"),
        per_task_correlations=table(PER_TASK_CORRELATIONS_FILE, "task", optional=True),
    )
