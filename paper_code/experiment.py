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
import itertools
import os
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from paper_code._version import NUMERICS_VERSION, __version__, code_provenance
from paper_code.config import Config
from paper_code.correlation import CORRELATION_COLUMNS, correlate
from paper_code.data import RAW_MD5, Task, load_mnist
from paper_code.data.streams import stream_tasks
from paper_code.errors import ConfigError, ResultsError
from paper_code.importance import SITracker, adam_importance, method_info, post_training_importances
from paper_code.importance.per_sample import ParamStats
from paper_code.model import MLP, build_model
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
from paper_code.results.lock import locked
from paper_code.results.plan import clear_results, plan_folder
from paper_code.train import EWCPenalty, accuracy, make_optimizer, train_task

Importances = dict[str, ParamStats]


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


def add_task_importances(total: Importances, extra: Importances) -> Importances:
    """Running sums over tasks; a method that is not summed (the baselines) keeps its latest value."""
    return {
        m: {k: total[m][k] + v for k, v in stats.items()} if m in total and method_info(m).summed else dict(stats)
        for m, stats in extra.items()
    }


def _to_cpu(tree: Any) -> Any:
    """Every tensor of nested dicts and lists (importances, a state dict, an optimizer's state) on the CPU,
    so the files a run writes load on any machine."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {k: _to_cpu(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_to_cpu(v) for v in tree]
    return tree


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Run the block on one CPU thread.

    The importances are the only large matrix products whose result feeds back into training (through the
    penalty), and a CPU matmul rounds differently with another number of threads; training carries a
    difference of 1e-9 into a different network within a few tasks. On one thread, a run gives the same
    numbers whatever ``torch.set_num_threads`` says, so a run on the default threads reproduces a
    single-threaded sweep trial. On a GPU nothing changes.
    """
    if device.type != "cpu":
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


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


# --------------------------------------------------------------------------- the run, by phase
@dataclass
class RunState:
    """Everything a run carries from one task to the next; written to the folder after every task."""

    model: MLP
    optimizer: torch.optim.Optimizer | None
    accumulated: Importances
    meta: dict[str, Any]
    clock: _Stopwatch
    accuracy_rows: list[dict[str, Any]] = field(default_factory=list)
    correlation_rows: list[dict[str, Any]] = field(default_factory=list)
    per_task_rows: list[dict[str, Any]] = field(default_factory=list)
    training_rows: list[dict[str, Any]] = field(default_factory=list)


def _new_model(config: Config, device: torch.device) -> tuple[MLP, torch.optim.Optimizer | None]:
    model = build_model(config.seed, config.leaky_slope, hidden=config.hidden, network=config.network).to(device)
    # The author's scripts keep one Adam for the whole task sequence (README, "Choices the paper leaves open").
    optimizer = make_optimizer(model, config.lr) if config.optimizer_state == "kept" else None
    return model, optimizer


def _start(config: Config, out: Path, permutations: torch.Tensor, device: torch.device, clock: _Stopwatch) -> RunState:
    """A fresh run: the folder gets its permutations and a ``config.json`` with no task completed."""
    model, optimizer = _new_model(config, device)
    meta: dict[str, Any] = {
        "config": config.to_dict(),
        "key": config.key,
        "versions": _versions(),
        "code": code_provenance(),
        "data_md5": dict(RAW_MD5),
        "device": str(device),
        "created": _now(),
        "completed_tasks": 0,
        "complete": False,
        "seconds": {},
    }
    write_tensor_file(out / PERMUTATIONS_FILE, permutations)
    write_json(out / CONFIG_FILE, meta)
    return RunState(model, optimizer, {}, meta, clock)


def _resume(
    config: Config, out: Path, done: int, permutations: torch.Tensor, device: torch.device, clock: _Stopwatch
) -> RunState:
    """The state after task ``done``, read back from the folder, so the run continues exactly where it stopped."""
    meta = read_meta(out)
    stored_perms = torch.load(out / PERMUTATIONS_FILE, weights_only=True)
    if not torch.equal(stored_perms, permutations):
        raise ResultsError(f"{out / PERMUTATIONS_FILE} does not match this configuration: pass --force")
    model, optimizer = _new_model(config, device)
    model.load_state_dict(torch.load(task_file(out, CHECKPOINTS_DIR, done), weights_only=True))
    if optimizer is not None:
        optimizer.load_state_dict(torch.load(task_file(out, OPTIMIZER_DIR, done), weights_only=True))
    accumulated = torch.load(task_file(out, IMPORTANCES_DIR, done), weights_only=True)["accumulated"]
    accumulated = {m: {k: v.to(device) for k, v in s.items()} for m, s in accumulated.items()}
    seconds = dict(meta.get("seconds", {}))
    seconds["data"] = seconds.get("data", 0.0) + clock.seconds.get("data", 0.0)
    return RunState(
        model,
        optimizer,
        accumulated,
        meta,
        _Stopwatch(seconds),
        accuracy_rows=[r for r in read_csv_rows(out / ACCURACY_FILE) if int(r["after_task"]) <= done],
        correlation_rows=[r for r in read_csv_rows(out / CORRELATIONS_FILE) if int(r["task"]) <= done],
        per_task_rows=_per_task_rows_so_far(out, config, done),
        training_rows=[r for r in read_csv_rows(out / TRAINING_FILE) if int(r["task"]) <= done],
    )


def _train(
    config: Config, state: RunState, task: Task, quiet: bool, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Any], dict[str, ParamStats]]:
    """Train on one task with the EWC penalty of the tasks before it; this task's importances that training
    itself yields (SI's path integral, Adam's second moment), of the methods the run computes.

    ``progress(done, total)`` gets the steps done and the steps of the whole run after every step."""
    number = task.index + 1
    penalty = (
        EWCPenalty(state.model, state.accumulated[config.reg], config.lam)
        if config.reg != "none" and state.accumulated and config.lam > 0
        else None
    )
    si = SITracker(state.model, config.si_xi) if "si" in config.methods else None
    steps = config.epochs * -(-task.train_x.shape[0] // config.batch_size)
    bar = tqdm(total=steps, desc=f"task {number}/{config.tasks}", disable=quiet, leave=False, unit="step")
    steps_done = itertools.count(task.index * steps + 1)

    def on_batch(epoch: int, loss: torch.Tensor) -> None:
        if not quiet:
            bar.update(1)
            if bar.n % 50 == 0:
                bar.set_postfix(epoch=epoch + 1, loss=f"{float(loss):.3f}")
        if progress is not None:
            progress(next(steps_done), config.tasks * steps)

    # A fresh Adam per task (optimizer_state="reset") is made here rather than inside train_task, so that its
    # second moment can be read once the task ends.
    optimizer = state.optimizer if state.optimizer is not None else make_optimizer(state.model, config.lr)
    with state.clock.phase("train"):
        logs = train_task(
            state.model,
            task,
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            seed=config.seed,
            optimizer=optimizer,
            penalty=penalty,
            si=si,
            si_grad=config.si_grad,
            on_batch=None if quiet and progress is None else on_batch,
        )
    bar.close()
    state.training_rows += [vars(log) for log in logs]
    during: dict[str, ParamStats] = {}
    if si is not None:
        during["si"] = si.end_task()
    if "adam" in config.methods:
        during["adam"] = adam_importance(state.model, optimizer)
    return logs, during


def _evaluate(state: RunState, tasks: list[Task], number: int) -> list[float]:
    with state.clock.phase("evaluate"):
        accuracies = [accuracy(state.model, t.test_x, t.test_y, classes=t.classes) for t in tasks]
    state.accuracy_rows += [
        {"after_task": number, "eval_task": t.index + 1, "accuracy": acc} for t, acc in zip(tasks, accuracies)
    ]
    return accuracies


def _importances(config: Config, state: RunState, task: Task, during: dict[str, ParamStats]) -> Importances:
    """This task's importances of every method, on its last ``importance_samples`` training rows; adds them
    to the running sums the penalty and the paper's correlations use."""
    with state.clock.phase("importance"), one_thread(task.train_x.device):
        samples = slice(max(0, task.train_x.shape[0] - config.importance_samples), None)
        post_training = [m for m in config.methods if not method_info(m).during_training]
        per_task = post_training_importances(
            state.model, task.train_x[samples], task.train_y[samples], post_training,
            seed=config.seed, task=task.index + 1, classes=task.classes,
        )
        per_task.update(during)
        per_task = {m: per_task[m] for m in config.methods}
        state.accumulated = add_task_importances(state.accumulated, per_task)
    return per_task


def _correlate(config: Config, state: RunState, per_task: Importances, number: int) -> None:
    with state.clock.phase("correlation"):
        pairs = config.pair_objects
        rows = correlate(state.accumulated, pairs, number, include_biases=config.corr_biases)
        own_rows = correlate(per_task, pairs, number, include_biases=config.corr_biases)
    state.correlation_rows += [vars(r) for r in rows]
    state.per_task_rows += [vars(r) for r in own_rows]


def _commit_task(config: Config, state: RunState, out: Path, per_task: Importances, number: int) -> None:
    """Write task ``number``'s files, then mark it completed in ``config.json`` (last, so a crash in between
    leaves a folder that is consistent up to the task before)."""
    with state.clock.phase("write"):
        write_tensor_file(
            task_file(out, IMPORTANCES_DIR, number),
            {"per_task": _to_cpu(per_task), "accumulated": _to_cpu(state.accumulated)},
        )
        write_tensor_file(
            task_file(out, CHECKPOINTS_DIR, number), _to_cpu(state.model.state_dict())
        )
        if state.optimizer is not None:
            write_tensor_file(task_file(out, OPTIMIZER_DIR, number), _to_cpu(state.optimizer.state_dict()))
        write_csv(out / ACCURACY_FILE, ACCURACY_COLUMNS, state.accuracy_rows)
        write_csv(out / CORRELATIONS_FILE, CORRELATION_COLUMNS, state.correlation_rows)
        write_csv(out / PER_TASK_CORRELATIONS_FILE, CORRELATION_COLUMNS, state.per_task_rows)
        write_csv(out / TRAINING_FILE, TRAINING_COLUMNS, state.training_rows)
    state.meta.update(
        completed_tasks=number,
        complete=number == config.tasks,
        seconds={k: round(v, 3) for k, v in state.clock.seconds.items()},
        updated=_now(),
    )
    write_json(out / CONFIG_FILE, state.meta)


def run_experiment(
    config: Config,
    out: str | os.PathLike[str],
    *,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    data_root: str | os.PathLike[str] | None = None,
    wait: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Run (or finish, or reuse) the experiment described by ``config`` in folder ``out``.

    A folder that already holds this configuration, complete, is returned as
    it is: results are cached by configuration. ``resume`` continues an
    unfinished run of the same configuration; ``force`` replaces this
    library's results in ``out`` (and nothing else) and starts over.
    ``progress(done, total)`` is called after every training step with the
    steps done and the steps of the whole run (a resumed run starts past
    zero), so a caller other than a terminal (the dashboard) can show how far
    the run is.

    The folder is locked for the whole run: another process writing it makes
    this call fail at once with a message naming that process, or, with
    ``wait``, wait for it and then reuse or continue what it wrote.
    """
    out = Path(out)
    if config.numerics != NUMERICS_VERSION:
        raise ConfigError(
            f"numerics version {config.numerics} is not what this library computes ({NUMERICS_VERSION}): results "
            "of an older version can be read with load_results, not recomputed (CHANGELOG.md says what changed)"
        )
    # Every refusal that does not depend on another writer's progress comes before anything is written;
    # an unfinished run is judged under the lock, where a run still going on is reported as such.
    plan_folder(config, out, resume=True, force=force)
    with locked(out, wait=wait):
        plan = plan_folder(config, out, resume=resume, force=force)
        if plan.complete:
            return load_results(out)
        if force:
            clear_results(out)
        _run_tasks(config, out, plan.start_task, quiet=quiet, data_root=data_root, progress=progress)
    return load_results(out)


def _run_tasks(
    config: Config, out: Path, start_task: int, *, quiet: bool, data_root: str | os.PathLike[str] | None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Tasks ``start_task + 1`` to ``config.tasks``, each ending with its files written to ``out``."""
    device = resolve_device(config.device)
    clock = _Stopwatch()
    with clock.phase("data"):
        mnist = load_mnist(Path(data_root) if data_root is not None else None)
        tasks, permutations = stream_tasks(mnist, config.stream, config.tasks, config.seed,
                                           permute_first=config.permute_first, train_size=config.train_size,
                                           test_size=config.test_size, device=device)
    if start_task == 0:
        state = _start(config, out, permutations, device, clock)
    else:
        state = _resume(config, out, start_task, permutations, device, clock)

    for task in tasks[start_task:]:
        number = task.index + 1
        logs, during = _train(config, state, task, quiet, progress)
        accuracies = _evaluate(state, tasks, number)
        per_task = _importances(config, state, task, during)
        _correlate(config, state, per_task, number)
        _commit_task(config, state, out, per_task, number)
        if not quiet:
            mean_seen = sum(accuracies[:number]) / number
            tqdm.write(
                f"task {number}/{config.tasks}: loss {logs[-1].task_loss:.4f}, "
                f"accuracy on this task {accuracies[task.index]:.4f}, mean over learned tasks {mean_seen:.4f}"
            )


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
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """The results of ``config`` from ``results_root/<config.key>``, computed (or finished) only when needed.

    This is how the book and other readers share one run per configuration:
    the first caller pays for it, every later caller reads it. A caller that
    finds the run being computed by another process waits for it.
    """
    return run_experiment(
        config, Path(results_root) / config.key, resume=True, quiet=quiet, data_root=data_root, wait=True,
        progress=progress,
    )
