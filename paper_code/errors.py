"""Errors a user can cause and fix.

Each carries a one-line message that names the problem and the fix; the CLI
prints it and exits with status 2 instead of showing a traceback.
"""


class PaperCodeError(Exception):
    """Base class of every error the CLI reports as a single line."""


class ConfigError(PaperCodeError, ValueError):
    """A parameter is out of range, unknown, or inconsistent with another one."""


class DataError(PaperCodeError, RuntimeError):
    """MNIST files are missing, corrupt or foreign, or cannot be rebuilt."""


class ResultsError(PaperCodeError, RuntimeError):
    """A results folder is missing, incomplete, unwritable, or holds another experiment."""


class UnresumableRun(ResultsError):
    """An unfinished run whose saved state (permutations, checkpoint, importances) is gone, so it cannot go on.

    Such a folder is what remains when only a run's small files were kept (a committed study trial that had not
    finished): its tables alone cannot continue training, so the run starts over with ``--force``."""
