"""One continual-learning experiment, from a :class:`Config` to a results folder.

The loop follows section 2 of the paper: train on each permuted-MNIST task in
turn (SI accumulating during training), then evaluate on every task, compute
every method's importances on the task's last training samples, add them to
the running sums, correlate the sums layer by layer, and regularise the next
task with EWC around the current weights using the accumulated importances of
the chosen method.

The folder is committed task by task (see :mod:`paper_code.results`), so a
killed run restarted with ``resume=True`` continues from its last completed
task and ends with the same files as an uninterrupted run.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from paper_code import __version__
from paper_code.config import Config
from paper_code.correlation import CORRELATION_COLUMNS, correlate
from paper_code.data import RAW_MD5, load_mnist, make_permutations, make_tasks
from paper_code.errors import ConfigError, ResultsError
from paper_code.importance import METHODS, SITracker, post_training_importances
from paper_code.importance.per_sample import ParamStats
from paper_code.model import build_model
from paper_code.results import (
    ACCURACY_COLUMNS,
    ACCURACY_FILE,
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    CORRELATIONS_FILE,
    IMPORTANCES_DIR,
    OPTIMIZER_DIR,
    PER_TASK_CORRELATIONS_FILE,
    PERMUTATIONS_FILE,
    RESULT_ENTRIES,
    TRAINING_COLUMNS,
    TRAINING_FILE,
    Results,
    load_results,
    read_csv_rows,
    read_meta,
    task_file,
    write_csv,
    write_json,
    write_tensor_file,
)
from paper_code.train import EWCPenalty, accuracy, make_optimizer, train_task

Importances = dict[str, ParamStats]


# --------------------------------------------------------------------------- the folder
@dataclass(frozen=True)
class FolderPlan:
    """What to do with the output folder: start at ``start_task`` (0 = fresh), or nothing if complete."""

    start_task: int
    complete: bool = False


def _check_writable(folder: Path) -> None:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ResultsError(f"cannot write results to {folder}: {probe} is not a folder; choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ResultsError(f"cannot write results to {folder}: {probe} is not writable; choose another --out")


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    changed = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]
    return "; ".join(changed[:4]) + (" ..." if len(changed) > 4 else "")


def plan_folder(config: Config, out: Path, resume: bool = False, force: bool = False) -> FolderPlan:
    """Decide, without writing anything, whether ``out`` may hold this run and where to start."""
    _check_writable(out)
    if not out.exists():
        return FolderPlan(0)
    if not out.is_dir():
        raise ResultsError(f"--out {out} is a file, not a folder: choose another --out")
    entries = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    if not entries:
        return FolderPlan(0)
    if CONFIG_FILE not in entries:
        raise ResultsError(f"{out} is not empty and holds no results ({CONFIG_FILE} missing): choose another --out")
    if force:
        return FolderPlan(0)
    meta = read_meta(out)
    try:
        stored = Config.from_dict(meta["config"])
    except (KeyError, TypeError, ConfigError) as exc:
        raise ResultsError(f"{out / CONFIG_FILE} is unreadable ({exc}): pass --force to start over") from None
    if stored.identity() != config.identity():
        raise ResultsError(
            f"{out} holds a different configuration ({_differences(stored.identity(), config.identity())}): "
            "choose another --out, or pass --force to overwrite it"
        )
    if meta.get("complete"):
        return FolderPlan(config.tasks, complete=True)
    if not resume:
        raise ResultsError(
            f"{out} holds an unfinished run of this configuration ({meta.get('completed_tasks', 0)} of "
            f"{config.tasks} tasks): pass --resume to continue it, or --force to start over"
        )
    return FolderPlan(int(meta.get("completed_tasks", 0)))


def _clear_results(out: Path) -> None:
    """Remove the files this library writes (and nothing else) before a forced rerun."""
    for name in RESULT_ENTRIES:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for stale in out.glob(".*.tmp"):
        stale.unlink()


# --------------------------------------------------------------------------- helpers
def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={name!r} was asked for but CUDA is not available: use --device cpu or auto")
    return torch.device(name)


def _versions() -> dict[str, str]:
    return {
        "paper_code": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _add(total: Importances, extra: Importances) -> Importances:
    """Running sums over tasks; a method that is not summed (the baselines) keeps its latest value."""
    return {
        m: {k: total[m][k] + v for k, v in stats.items()} if m in total and METHODS[m].summed else dict(stats)
        for m, stats in extra.items()
    }


def _to_cpu(importances: Importances) -> Importances:
    return {m: {k: v.detach().to("cpu") for k, v in stats.items()} for m, stats in importances.items()}


class _Stopwatch:
    """Seconds spent in each phase of the run, cumulative over resumes."""

    def __init__(self, initial: dict[str, float] | None = None) -> None:
        self.seconds: dict[str, float] = dict(initial or {})

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


# --------------------------------------------------------------------------- the run
def run_experiment(
    config: Config,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    data_root: str | os.PathLike[str] | None = None,
) -> Results:
    """Run (or finish, or reuse) the experiment described by ``config`` in folder ``out``.

    A folder that already holds this configuration, complete, is returned as
    it is: results are cached by configuration. ``resume`` continues an
    unfinished run of the same configuration; ``force`` discards whatever
    results ``out`` holds and starts over.
    """
    out = Path(out)
    plan = plan_folder(config, out, resume=resume, force=force)
    if plan.complete:
        return load_results(out)
    device = resolve_device(config.device)

    clock = _Stopwatch()
    with clock.phase("data"):
        mnist = load_mnist(Path(data_root) if data_root is not None else None)
        permutations = make_permutations(config.tasks, config.seed, config.permute_first)
        tasks = make_tasks(mnist, permutations, config.train_size, config.test_size, device)

    model = build_model(config.seed, config.leaky_slope).to(device)
    # The author's scripts keep one Adam for the whole task sequence (see README, "Choices the paper leaves open").
    optimizer = make_optimizer(model, config.lr) if config.optimizer_state == "kept" else None
    accuracy_rows: list[dict[str, Any]] = []
    correlation_rows: list[dict[str, Any]] = []
    per_task_rows: list[dict[str, Any]] = []
    training_rows: list[dict[str, Any]] = []
    accumulated: Importances = {}

    if plan.start_task == 0:
        if force:
            _clear_results(out)
        out.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {
            "config": config.to_dict(),
            "key": config.key,
            "versions": _versions(),
            "data_md5": dict(RAW_MD5),
            "device": str(device),
            "created": _now(),
            "completed_tasks": 0,
            "complete": False,
            "seconds": {},
        }
        write_tensor_file(out / PERMUTATIONS_FILE, permutations)
        write_json(out / CONFIG_FILE, meta)
    else:
        meta = read_meta(out)
        done = plan.start_task
        stored_perms = torch.load(out / PERMUTATIONS_FILE, weights_only=True)
        if not torch.equal(stored_perms, permutations):
            raise ResultsError(f"{out / PERMUTATIONS_FILE} does not match this configuration: pass --force")
        model.load_state_dict(torch.load(task_file(out, CHECKPOINTS_DIR, done), weights_only=True))
        if optimizer is not None:
            optimizer.load_state_dict(torch.load(task_file(out, OPTIMIZER_DIR, done), weights_only=True))
        accumulated = torch.load(task_file(out, IMPORTANCES_DIR, done), weights_only=True)["accumulated"]
        accumulated = {m: {k: v.to(device) for k, v in s.items()} for m, s in accumulated.items()}
        accuracy_rows = [r for r in read_csv_rows(out / ACCURACY_FILE) if int(r["after_task"]) <= done]
        correlation_rows = [r for r in read_csv_rows(out / CORRELATIONS_FILE) if int(r["task"]) <= done]
        training_rows = [r for r in read_csv_rows(out / TRAINING_FILE) if int(r["task"]) <= done]
        per_task_rows = _per_task_rows_so_far(out, config, done)
        clock = _Stopwatch({**meta.get("seconds", {}), "data": meta.get("seconds", {}).get("data", 0.0) + clock.seconds["data"]})

    post_training = [m for m in config.methods if m != "si"]
    pairs = config.pair_objects
    for task in tasks[plan.start_task :]:
        number = task.index + 1
        penalty = (
            EWCPenalty(model, accumulated[config.reg], config.lam)
            if config.reg != "none" and accumulated and config.lam > 0
            else None
        )
        si = SITracker(model, config.si_xi) if "si" in config.methods else None

        steps = config.epochs * -(-task.train_x.shape[0] // config.batch_size)
        bar = tqdm(total=steps, desc=f"task {number}/{config.tasks}", disable=quiet, leave=False, unit="step")

        def on_batch(epoch: int, loss: torch.Tensor) -> None:
            bar.update(1)
            if bar.n % 50 == 0:
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(loss):.3f}")

        progress = None if quiet else on_batch

        with clock.phase("train"):
            logs = train_task(
                model,
                task,
                epochs=config.epochs,
                batch_size=config.batch_size,
                lr=config.lr,
                seed=config.seed,
                optimizer=optimizer,
                penalty=penalty,
                si=si,
                si_grad=config.si_grad,
                on_batch=progress,
            )
        bar.close()
        training_rows += [vars(log) for log in logs]

        with clock.phase("evaluate"):
            accuracies = [accuracy(model, t.test_x, t.test_y) for t in tasks]
        accuracy_rows += [
            {"after_task": number, "eval_task": t.index + 1, "accuracy": acc} for t, acc in zip(tasks, accuracies)
        ]

        with clock.phase("importance"):
            samples = slice(task.train_x.shape[0] - config.importance_samples, None)
            per_task = post_training_importances(
                model, task.train_x[samples], task.train_y[samples], post_training, seed=config.seed, task=number
            )
            if si is not None:
                per_task["si"] = si.end_task()
            per_task = {m: per_task[m] for m in config.methods}
            accumulated = _add(accumulated, per_task)

        with clock.phase("correlation"):
            rows = correlate(accumulated, pairs, number, include_biases=config.corr_biases)
            own_rows = correlate(per_task, pairs, number, include_biases=config.corr_biases)
        correlation_rows += [vars(r) for r in rows]
        per_task_rows += [vars(r) for r in own_rows]

        with clock.phase("write"):
            write_tensor_file(
                task_file(out, IMPORTANCES_DIR, number),
                {"per_task": _to_cpu(per_task), "accumulated": _to_cpu(accumulated)},
            )
            write_tensor_file(
                task_file(out, CHECKPOINTS_DIR, number), {k: v.detach().cpu() for k, v in model.state_dict().items()}
            )
            if optimizer is not None:
                write_tensor_file(task_file(out, OPTIMIZER_DIR, number), optimizer.state_dict())
            write_csv(out / ACCURACY_FILE, ACCURACY_COLUMNS, accuracy_rows)
            write_csv(out / CORRELATIONS_FILE, CORRELATION_COLUMNS, correlation_rows)
            write_csv(out / PER_TASK_CORRELATIONS_FILE, CORRELATION_COLUMNS, per_task_rows)
            write_csv(out / TRAINING_FILE, TRAINING_COLUMNS, training_rows)
        meta.update(
            completed_tasks=number,
            complete=number == config.tasks,
            seconds={k: round(v, 3) for k, v in clock.seconds.items()},
            updated=_now(),
        )
        write_json(out / CONFIG_FILE, meta)
        if not quiet:
            mean_seen = sum(accuracies[:number]) / number
            tqdm.write(
                f"task {number}/{config.tasks}: loss {logs[-1].task_loss:.4f}, "
                f"accuracy on this task {accuracies[task.index]:.4f}, mean over learned tasks {mean_seen:.4f}"
            )
    return load_results(out)


def _per_task_rows_so_far(out: Path, config: Config, done: int) -> list[dict[str, Any]]:
    """The per-task correlation rows of tasks 1..done; recomputed from the stored importances if the
    folder was written before that file existed, so resuming an older run still ends complete."""
    path = out / PER_TASK_CORRELATIONS_FILE
    if path.is_file():
        return [r for r in read_csv_rows(path) if int(r["task"]) <= done]
    rows: list[dict[str, Any]] = []
    for number in range(1, done + 1):
        per_task = torch.load(task_file(out, IMPORTANCES_DIR, number), weights_only=True)["per_task"]
        rows += [vars(r) for r in correlate(per_task, config.pair_objects, number, include_biases=config.corr_biases)]
    return rows


def cached_run(
    config: Config,
    results_root: str | os.PathLike[str] = "results",
    *,
    quiet: bool = True,
    data_root: str | os.PathLike[str] | None = None,
) -> Results:
    """The results of ``config`` from ``results_root/<config.key>``, computed (or finished) only when needed.

    This is how the book and other readers share one run per configuration:
    the first caller pays for it, every later caller reads it.
    """
    return run_experiment(config, Path(results_root) / config.key, resume=True, quiet=quiet, data_root=data_root)
