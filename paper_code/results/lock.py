"""One writer per results folder.

Two processes writing one folder (two ``run`` commands, two notebook kernels
asking for the same cached run, two sweeps sharing ``--out``) would interleave
task files and leave a folder that no longer describes one run. A lock file
inside the folder, held for the whole run or resume, makes the second writer
either stop at once with a message naming the first, or wait for it and then
reuse what it wrote. The lock is an OS-level file lock (``filelock``), so it is
released when its process ends, even by ``kill -9``; no stale lock survives.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from paper_code.errors import ResultsError

#: Hidden names, so that a folder holding only them still counts as empty.
LOCK_FILE = ".lock"
OWNER_FILE = ".lock-owner.json"


def make_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents), turning the OS error into a one-line message."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ResultsError(f"cannot create results folder {folder} ({reason}): choose another --out") from None


def _owner(folder: Path) -> str:
    try:
        data = json.loads((folder / OWNER_FILE).read_text())
        return f"pid {data['pid']} on {data['host']}, started {data['started']}: {data['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "owner unknown"


@contextmanager
def locked(folder: str | os.PathLike[str], *, wait: bool) -> Iterator[None]:
    """Hold ``folder``'s lock for the duration of the block.

    With ``wait=False`` a folder locked by another process raises
    :class:`ResultsError` at once, naming that process; with ``wait=True``
    the call blocks until the other process is done.
    """
    folder = Path(folder)
    make_folder(folder)
    lock = FileLock(str(folder / LOCK_FILE))
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise ResultsError(
            f"{folder} is being written by another run ({_owner(folder)}): wait for it to finish, "
            f"or choose another --out (lock file {folder / LOCK_FILE})"
        ) from None
    except OSError as exc:
        raise ResultsError(f"cannot lock results folder {folder} ({exc.strerror}): choose another --out") from None
    try:
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv) or sys.executable,
        }
        (folder / OWNER_FILE).write_text(json.dumps(owner) + "\n")
        yield
    finally:
        (folder / OWNER_FILE).unlink(missing_ok=True)
        lock.release()
