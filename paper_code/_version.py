"""Two versions: the library's, and the version of its numbers.

``__version__`` is read from the installed distribution's metadata, so ``pyproject.toml`` is its one source.
:data:`NUMERICS_VERSION` says what the numbers a run computes mean: it is bumped whenever a change alters them
(a formula, a default, a data choice, an order of operations that changes training beyond rounding), it is part
of every run's cache key, and ``CHANGELOG.md`` lists what each version changed. A change of rounding alone
(another CPU, another thread count) is not a new version: the study's noise band covers it.
"""

import subprocess
from importlib import metadata
from pathlib import Path

#: The distribution's name on PyPI (the import package is ``paper_code``).
DISTRIBUTION = "importance-correlations"

try:
    __version__ = metadata.version(DISTRIBUTION)
except metadata.PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"

#: The numerics of this code. Results folders written before versions were recorded carry none and were
#: computed with version 2 (see ``CHANGELOG.md`` for the exceptions).
NUMERICS_VERSION = 2


def code_provenance() -> dict:
    """Which code computed a result: library and numerics versions, the git commit of the checkout the package
    runs from (and whether its tracked files differ from that commit), and every installed distribution with its
    version, so the environment of a results folder can be rebuilt."""
    package = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    environment = {dist.metadata["Name"]: dist.version for dist in metadata.distributions() if dist.metadata["Name"]}
    return {
        "version": __version__,
        "numerics": NUMERICS_VERSION,
        "commit": commit,
        "dirty": bool(status) if status is not None else None,
        "environment": dict(sorted(environment.items(), key=lambda item: item[0].lower())),
    }
