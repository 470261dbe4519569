"""Where the library keeps files it was not told where to put: one rule, stated once.

Kept free of torch and numpy so that ``python -m paper_code --help`` can quote it
without paying for those imports.
"""

from __future__ import annotations

import os
from pathlib import Path

from paper_code._version import DISTRIBUTION

#: The committed study (the λ grid, the sensitivity study, the analyses, the author's logs), relative to the
#: checkout: small result files that travel with the repository and that the book reads.
STUDY_DIR = Path("study")

#: Environment variable that overrides where MNIST lives.
DATA_ENV = "PAPER_CODE_DATA"

#: The one rule for where MNIST lives, in the words README and ``--help`` use too.
DATA_ROOT_RULE = (
    "MNIST lives in $PAPER_CODE_DATA when it is set, else in the user cache folder "
    "(~/.cache/paper_code on Linux, ~/Library/Caches/paper_code on macOS), shared by every checkout "
    "and installed copy"
)


def default_data_root() -> Path:
    """Where MNIST lives: ``$PAPER_CODE_DATA`` when it is set, else the user cache folder.

    The user cache folder (``~/.cache/paper_code`` on Linux, ``~/Library/Caches/paper_code``
    on macOS, from :mod:`platformdirs`) is the same for a checkout, an editable install and a
    plain ``pip install``, whatever the working directory: one 55 MB copy per user, never
    inside ``site-packages`` and never one per folder a notebook happens to run in.
    """
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # noqa: PLC0415

    return platformdirs.user_cache_path("paper_code", appauthor=False)


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The checkout the working directory lies in, else the working directory itself.

    Relative paths a page is given (``results_dir="results"``, ``study_dir="study/grid"``) mean the
    same folder whether the page runs under papermill from the checkout's root or in JupyterLab
    from ``book/``; for an installed package outside any checkout they are plain relative paths.
    The checkout is recognised by its ``pyproject.toml`` naming this distribution, never by where the
    package's own files are installed.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        manifest = folder / "pyproject.toml"
        try:
            if manifest.is_file() and f'name = "{DISTRIBUTION}"' in manifest.read_text():
                return folder
        except OSError:
            continue
    return here


def checkout_path(path: str | os.PathLike[str]) -> Path:
    """The folder a page parameter or a dashboard option names: an absolute path as given, a relative one
    taken from the checkout (:func:`project_root`), so ``"study/grid"`` is the same folder from any working
    directory inside it."""
    given = Path(path).expanduser()
    return given if given.is_absolute() else project_root() / given


def shown_path(path: str | os.PathLike[str]) -> str:
    """A folder as a reader should see it: relative to the checkout when it lies inside, else as given."""
    try:
        return Path(path).resolve().relative_to(project_root()).as_posix()
    except ValueError:  # outside the checkout
        return Path(path).as_posix()


#: Files of a results folder that the built book offers for download beside the page that shows the run.
DOWNLOAD_FILES: tuple[str, ...] = ("config.json", "accuracy.csv", "correlations.csv", "training.csv")
#: Where the built book keeps each shown run's downloadable files (``runs/<key>/``), and the findings records,
#: relative to the book's source root: ``book/build.py`` copies them there and the pages link them.
RUN_DOWNLOADS = "runs"
FINDINGS_DOWNLOADS = "findings"
#: Where the built book keeps one archive per part of the committed study (``data/<part>.zip``: every CSV and JSON
#: file of ``study/<part>/``), so each page offers the data behind its verdict, every seed it grades included.
DATA_DOWNLOADS = "data"
STUDY_PARTS: tuple[str, ...] = ("grid", "controls", "held_out", "theory", "beyond", "analysis", "sensitivity", "noise", "optimizer_reset",
                                "author_logs", "findings")
#: The files an archive of the study holds: its tables and records, never a machine's local checkpoints or tensors.
ARCHIVED_SUFFIXES: tuple[str, ...] = (".csv", ".json")
