"""Who may start a run from the dashboard, and when.

A Voilà server gives every open page its own kernel, so two readers (or one
reader with two tabs) can ask for runs at the same moment. Two runs writing the
same results folder would corrupt it, and a paper-scale run (about two and a
half minutes of both cores of a laptop) next to another one slows both several
times over. The rules, in one place:

* one run at a time per results root, across every kernel of the server: an
  exclusive :func:`fcntl.flock` on a file in the results root, which the
  operating system releases if the kernel dies;
* a large run (at least :data:`LARGE_SHARE` of the training steps of the
  paper's run) is refused while the machine is busy, meaning its one-minute
  load average is at least its number of cores. Small runs are always
  admitted: they take seconds.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from paper_code.config import Config

#: The training steps of the paper's run (10 tasks × 6 epochs × 600 mini-batches).
PAPER_STEPS = Config().tasks * Config().epochs * -(-Config().train_size // Config().batch_size)
#: A run with at least this share of :data:`PAPER_STEPS` is "large" (about half a minute on two idle cores).
LARGE_SHARE = 0.2
#: The lock file, inside the results root.
LOCK_NAME = ".dashboard-run.lock"


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

    :meth:`acquire` never waits: it either takes the lock (and records what runs)
    or reports what holds it. The lock is released by :meth:`release`, or by the
    operating system when the process holding it ends.
    """

    def __init__(self, results_root: str | os.PathLike[str]) -> None:
        self.path = Path(results_root) / LOCK_NAME
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, description: str) -> str | None:
        """Take the lock for a run described by ``description``; on failure return the holder's description."""
        if self._handle is not None:
            return self.holder()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another run"
            handle.close()
            return holder
        handle.seek(0)
        handle.truncate()
        handle.write(description)
        handle.flush()
        self._handle = handle
        return None

    def holder(self) -> str:
        return self.path.read_text().strip() if self.path.is_file() else ""

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
