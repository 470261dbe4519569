"""Every run a reader can look at without computing anything: the committed study and the local cache.

The dashboard offers λ, seed, penalty, tasks and epochs as free controls, so it
needs to know, for any configuration, whether its results already exist. Two
places hold finished runs: the trials of the committed study
(``study/grid/trials/<key>/``, small files only) and the folders
:func:`~paper_code.cached_run` writes (``results/<key>/``). Both are results
folders keyed by :attr:`Config.key`, so one lookup by key answers the question.

Only ``config.json`` is read here (the tables are loaded when a run is shown),
so listing some sixty runs costs a few milliseconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

from paper_code.config import Config
from paper_code.errors import ConfigError, ResultsError
from paper_code.results import CONFIG_FILE, read_meta
from paper_code.studies.grid import read_grid

Source = Literal["study", "results"]


@dataclass(frozen=True)
class RunEntry:
    """A finished run: where it lies, what produced it, and which collection it belongs to."""

    config: Config
    path: Path
    source: Source

    @property
    def key(self) -> str:
        return self.config.key


def _entry(folder: Path, source: Source) -> RunEntry | None:
    """The entry of a complete results folder; ``None`` for an unfinished, foreign or unreadable one."""
    try:
        meta = read_meta(folder)
        config = Config.from_dict(meta["config"])
    except (ResultsError, ConfigError, KeyError, TypeError):
        return None
    if not meta.get("complete"):
        return None
    return RunEntry(config, folder, source)


def study_runs(study_dir: str | os.PathLike[str]) -> list[RunEntry]:
    """Every trial listed in the study's ``sweep.csv``, in the table's order; none if there is no study."""
    folder = Path(study_dir)
    try:
        table = read_grid(folder)
    except ResultsError:
        return []
    entries = (_entry(folder / str(trial), "study") for trial in table.trial_dir)
    return [entry for entry in entries if entry is not None]


def cached_runs(results_root: str | os.PathLike[str]) -> list[RunEntry]:
    """Every complete run directly under ``results_root`` (one folder per configuration), by folder name."""
    root = Path(results_root)
    if not root.is_dir():
        return []
    folders = sorted(p for p in root.iterdir() if (p / CONFIG_FILE).is_file())
    entries = (_entry(folder, "results") for folder in folders)
    return [entry for entry in entries if entry is not None]


@dataclass(frozen=True)
class Catalog:
    """The runs of the study and of the cache, one per configuration key.

    A configuration present in both is taken from the study: it is the copy the
    book's study pages show, and it travels with the repository.
    """

    entries: tuple[RunEntry, ...]

    @classmethod
    def scan(cls, results_root: str | os.PathLike[str], study_dir: str | os.PathLike[str] | None,
             more_studies: Iterable[str | os.PathLike[str]] = ()) -> "Catalog":
        """The study's trials, then those of ``more_studies`` (the settings beyond permuted MNIST), then the
        cache."""
        found = study_runs(study_dir) if study_dir is not None else []
        for folder in more_studies:
            found += study_runs(folder)
        return cls.of(found + cached_runs(results_root))

    @classmethod
    def of(cls, entries: Iterable[RunEntry]) -> "Catalog":
        unique: dict[str, RunEntry] = {}
        for entry in entries:
            unique.setdefault(entry.key, entry)
        return cls(tuple(unique.values()))

    def find(self, config: Config) -> RunEntry | None:
        """The finished run of exactly this configuration, if any."""
        return next((entry for entry in self.entries if entry.key == config.key), None)

    def seeds_of(self, config: Config) -> list[RunEntry]:
        """Every finished run that differs from ``config`` in its seed only (``config``'s own run included), by seed."""
        same = config.identity(without=("seed",))
        matches = [entry for entry in self.entries if entry.config.identity(without=("seed",)) == same]
        return sorted(matches, key=lambda entry: entry.config.seed)

    def lambdas_of(self, config: Config) -> list[float]:
        """The λ values with a finished run that differs from ``config`` in λ and seed only, ascending."""
        same = config.identity(without=("seed", "lam"))
        return sorted({entry.config.lam for entry in self.entries
                       if entry.config.identity(without=("seed", "lam")) == same})
