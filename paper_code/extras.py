"""Optional dependencies, imported where they are needed and named when they are missing.

The core package (data, model, importances, training, results, the ``run`` command)
needs only its ``dependencies``; the book's figures and pages need the ``book``
extra, sweeps on Ray the ``sweep`` extra. A module that needs an extra imports it
through :func:`require`, so a plain ``pip install`` that reaches it gets one line
saying which extra to install instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from paper_code._version import DISTRIBUTION
from paper_code.errors import PaperCodeError


class MissingExtraError(PaperCodeError, ImportError):
    """A module of an optional extra is not installed."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{top} is not installed: it comes with the '{extra}' extra, "
            f"`pip install '{DISTRIBUTION}[{extra}]'` (a checkout's `make setup` installs every extra)"
        ) from None
