"""Writing files so that a killed process never leaves half of one behind, readable as a plain ``open`` would
leave them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's umask: read from /proc where it can be, since setting it to read it is not thread-safe."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomically(path: Path, payload: bytes) -> None:
    """Temporary file in the same folder, fsync, rename: readers see the old file or the new one.

    ``mkstemp`` creates the temporary file readable by its owner only; it gets the mode a plain ``open`` would
    give under the user's umask (0644 under the usual 022) before it takes the file's name, so results and the
    rebuilt MNIST files can be shared on a server like any other file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
