"""What a results folder may hold, decided before a run writes into it, and what ``--force`` may remove.

A folder is written by one configuration only: a run reuses it when it holds that configuration
complete, continues it on ``--resume`` when it holds it unfinished, and refuses it otherwise. A
folder whose ``config.json`` this library cannot read as its own is never resumed, reused or
cleared, with or without ``--force``; a forced rerun removes this library's files and nothing else.
Every decision here reads the folder and writes nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paper_code.config import Config
from paper_code.errors import ConfigError, ResultsError, UnresumableRun
from paper_code.results.folder import (
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    IMPORTANCES_DIR,
    OPTIMIZER_DIR,
    PERMUTATIONS_FILE,
    RESULT_ENTRIES,
    task_file,
)


@dataclass(frozen=True)
class FolderPlan:
    """What to do with the output folder: start at ``start_task`` (0 = fresh), or nothing if complete."""

    start_task: int
    complete: bool = False


#: Task files this library writes inside its sub-folders; nothing else there is ever removed.
_TASK_FILE = re.compile(r"task_\d{2,}\.pt")


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


def owned_config(out: Path) -> tuple[dict[str, Any], Config]:
    """``config.json`` of ``out`` and its configuration, if the folder is one of this library's results folders.

    Anything else (a foreign ``config.json``, an unreadable one, one written by
    a newer version) raises :class:`ResultsError`: such a folder is never
    resumed, reused or cleared, with or without ``--force``.
    """
    not_ours = (
        f"{out / CONFIG_FILE} is not a paper_code results file ({{why}}): choose another --out; "
        "nothing in the folder was changed"
    )
    try:
        meta = json.loads((out / CONFIG_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(not_ours.format(why=type(exc).__name__)) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict) or not isinstance(meta.get("key"), str):
        raise ResultsError(not_ours.format(why="no 'config' and 'key' entries"))
    try:
        config = Config.from_dict(meta["config"])
    except (TypeError, ConfigError) as exc:
        raise ResultsError(not_ours.format(why=str(exc))) from None
    return meta, config


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
    meta, stored = owned_config(out)
    if force:
        return FolderPlan(0)
    if stored.numerics != config.numerics and stored.identity(without=("numerics",)) == config.identity(
            without=("numerics",)):
        raise ResultsError(
            f"{out} holds this configuration computed by numerics version {stored.numerics}, and this library "
            f"computes version {config.numerics} (CHANGELOG.md says what changed): it is not reused as current; "
            "pass --force to recompute it, or choose another --out"
        )
    if stored.identity() != config.identity():
        raise ResultsError(
            f"{out} holds a different configuration ({_differences(stored.identity(), config.identity())}): "
            "choose another --out, or pass --force to replace those results"
        )
    if meta.get("complete"):
        return FolderPlan(config.tasks, complete=True)
    if not resume:
        raise ResultsError(
            f"{out} holds an unfinished run of this configuration ({meta.get('completed_tasks', 0)} of "
            f"{config.tasks} tasks): pass --resume to continue it, or --force to start over"
        )
    done = int(meta.get("completed_tasks", 0))
    missing = _missing_state(config, out, done)
    if missing:
        raise UnresumableRun(
            f"{out} holds an unfinished run of this configuration ({done} of {config.tasks} tasks) without the "
            f"state to continue it ({', '.join(missing)} missing): pass --force to start over"
        )
    return FolderPlan(done)


def _missing_state(config: Config, out: Path, done: int) -> list[str]:
    """The files a resume after task ``done`` reads that ``out`` lacks, relative to ``out``."""
    if done == 0:
        return []  # nothing to continue: the run starts afresh
    needed = [out / PERMUTATIONS_FILE, task_file(out, CHECKPOINTS_DIR, done), task_file(out, IMPORTANCES_DIR, done)]
    if config.optimizer_state == "kept":
        needed.append(task_file(out, OPTIMIZER_DIR, done))
    return [str(path.relative_to(out)) for path in needed if not path.is_file()]


def clear_results(out: Path) -> None:
    """Remove the files this library writes, and nothing else, before a forced rerun.

    Inside ``importances/``, ``checkpoints/`` and ``optimizer/`` only
    ``task_XX.pt`` files (and their temporary siblings) go; a folder is removed
    only once it is empty, so a user's own file there survives.
    """
    for name in RESULT_ENTRIES:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                if child.is_file() and (_TASK_FILE.fullmatch(child.name) or _is_temporary(child.name)):
                    child.unlink()
            if not any(path.iterdir()):
                path.rmdir()
        elif path.is_file():
            path.unlink()
    for stale in out.iterdir():
        if stale.is_file() and _is_temporary(stale.name):
            stale.unlink()


def _is_temporary(name: str) -> bool:
    """A temporary file left by :func:`paper_code.atomic.write_bytes_atomically` (``.<name>.<random>.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp")
