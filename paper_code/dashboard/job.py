"""A run started from the dashboard: who may start one and when, the thread it runs in, and its progress.

A Voilà server gives every open page its own kernel, so two readers (or one reader with two tabs) can ask for
runs at the same moment. Two runs writing the same results folder would corrupt it, and a paper-scale run
(about two and a half minutes of both cores of a laptop) next to another one slows both several times over.
The rules, in one place:

* one run at a time per results root, across every kernel of the server: an exclusive file lock
  (``filelock``, released by the operating system if the kernel dies) on a file in the results root, with a
  small file beside it naming the run that holds it;
* a large run (at least :data:`LARGE_SHARE` of the training steps of the paper's run) is refused while the
  machine is busy, meaning its one-minute load average is at least its number of cores. Small runs are always
  admitted: they take seconds.

Nothing here knows about widgets: :class:`RunJob` reports progress and the outcome through two callbacks, so
the rules and the thread are tested without ipywidgets.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from filelock import FileLock, Timeout

from paper_code.config import Config
from paper_code.errors import PaperCodeError
from paper_code.labels import describe
from paper_code.results import Results

#: The training steps of the paper's run (10 tasks × 6 epochs × 600 mini-batches).
PAPER_STEPS = Config().tasks * Config().epochs * -(-Config().train_size // Config().batch_size)
#: A run with at least this share of :data:`PAPER_STEPS` is "large" (about half a minute on two idle cores).
LARGE_SHARE = 0.2
#: The lock file, inside the results root, and the file naming the run that holds it.
LOCK_NAME = ".dashboard-run.lock"
HOLDER_NAME = ".dashboard-run.holder"
#: Resolution of the progress reports (per mille).
PROGRESS_STEPS = 1000


def training_steps(config: Config) -> int:
    """Optimizer steps of the whole run: the measure of its cost used by the admission rule."""
    return config.tasks * config.epochs * -(-config.train_size // config.batch_size)


def is_large(config: Config) -> bool:
    return training_steps(config) >= LARGE_SHARE * PAPER_STEPS


@dataclass(frozen=True)
class Load:
    """How busy the machine is: one-minute load average and number of cores."""

    average: float
    cores: int

    @property
    def busy(self) -> bool:
        return self.average >= self.cores

    @classmethod
    def now(cls) -> "Load":
        return cls(os.getloadavg()[0], os.cpu_count() or 1)


def refusal(config: Config, load: Load) -> str | None:
    """Why ``config`` may not start now, as one sentence for the page; ``None`` when it may."""
    if is_large(config) and load.busy:
        steps = training_steps(config)
        return (
            f"This run has {steps:,} training steps ({steps / PAPER_STEPS:.0%} of the paper's run) and the server is "
            f"busy (load {load.average:.1f} on {load.cores} cores): it is not started now. Try again when the server "
            f"is idle, choose fewer tasks, epochs or training rows, or run it from a terminal with "
            f"`python -m paper_code run`."
        )
    return None


class RunLock:
    """The server-wide "a run is in progress" flag of one results root.

    :meth:`acquire` never waits: it either takes the lock (and records what runs) or reports what holds it.
    The lock is released by :meth:`release`, or by the operating system when the process holding it ends.
    """

    def __init__(self, results_root: str | os.PathLike[str]) -> None:
        self.path = Path(results_root) / LOCK_NAME
        self.holder_path = Path(results_root) / HOLDER_NAME
        self._lock: FileLock | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def acquire(self, description: str) -> str | None:
        """Take the lock for a run described by ``description``; on failure return the holder's description."""
        if self._lock is not None:
            return self.holder()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return self.holder() or "another run"
        self.holder_path.write_text(description)
        self._lock = lock
        return None

    def holder(self) -> str:
        try:
            return self.holder_path.read_text().strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._lock is None:
            return
        lock, self._lock = self._lock, None
        self.holder_path.unlink(missing_ok=True)
        lock.release()


class Runner(Protocol):
    """What computes a run: :func:`~paper_code.cached_run`, or a stand-in with the same signature."""

    def __call__(self, config: Config, results_root: Path, *, quiet: bool,
                 progress: Callable[[int, int], None]) -> Results: ...


def progress_report(done: int, total: int, tasks: int) -> tuple[int, str]:
    """The per-mille value of ``done`` training steps of ``total``, and the line shown beside the bar."""
    mark = done * PROGRESS_STEPS // max(total, 1)
    task = min((max(done, 1) - 1) * tasks // max(total, 1) + 1, tasks)
    return mark, f"task {task} of {tasks}: {mark / 10:.0f}% of the training steps"


#: ``on_progress(mark, line)``: a new per-mille value and its line. ``on_done(config, message, level)``: the run
#: ended, ``config`` is ``None`` when it failed; ``level`` is ``success`` or ``error``.
ProgressCallback = Callable[[int, str], None]
DoneCallback = Callable[["Config | None", str, str], None]


class RunJob:
    """At most one run at a time from one page, admitted by the rules above and computed in a background thread
    (the page stays live), reporting progress in per mille and its outcome as one message."""

    def __init__(self, results_root: Path, runner: Runner, load: Callable[[], Load] = Load.now) -> None:
        self.results_root = Path(results_root)
        self.runner = runner
        self.load = load
        self.gate = RunLock(self.results_root)
        self.last_seconds: float | None = None
        self._worker: threading.Thread | None = None
        self._reporting = False
        self._mark = -1

    @property
    def running(self) -> bool:
        """A run is being computed; false again once its outcome is being reported."""
        return self._worker is not None and self._worker.is_alive() and not self._reporting

    def start(self, config: Config, on_progress: ProgressCallback, on_done: DoneCallback,
              on_start: Callable[[], None] | None = None) -> str | None:
        """Start computing ``config``; returns why it may not start (one sentence), or ``None`` once started.

        ``on_start`` is called once the run is admitted, before its thread reports anything."""
        if self.running:
            return "A run started from this page is still in progress: wait for it to finish."
        reason = refusal(config, self.load())
        if reason is not None:
            return reason
        holder = self.gate.acquire(f"{describe(config)} (run {config.key})")
        if holder is not None:
            return (f"Another run is in progress on this server ({holder}): one run at a time. "
                    "Press Run again when it has finished.")
        self._mark = -1
        self._reporting = False
        if on_start is not None:
            on_start()
        self._worker = threading.Thread(target=self._work, args=(config, on_progress, on_done),
                                        name=f"run-{config.key}", daemon=True)
        self._worker.start()
        return None

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress (if any) has finished: for scripts and tests."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _work(self, config: Config, on_progress: ProgressCallback, on_done: DoneCallback) -> None:
        def progress(done: int, total: int) -> None:
            # A run makes tens of thousands of steps: report only when the per-mille value changes.
            mark, line = progress_report(done, total, config.tasks)
            if mark != self._mark:
                self._mark = mark
                on_progress(mark, line)

        start = time.perf_counter()
        try:
            self.runner(config, self.results_root, quiet=True, progress=progress)
        except PaperCodeError as exc:
            outcome: tuple[Config | None, str, str] = (None, f"The run stopped: {exc}", "error")
        except Exception as exc:  # noqa: BLE001 - reported in the page
            outcome = (None, f"The run stopped with an unexpected error ({type(exc).__name__}): {exc}", "error")
        else:
            self.last_seconds = time.perf_counter() - start
            outcome = (config, f"Finished {describe(config)} (run {config.key}) in {self.last_seconds:.0f} s.",
                       "success")
        finally:
            self.gate.release()
        self._reporting = True
        on_done(*outcome)
