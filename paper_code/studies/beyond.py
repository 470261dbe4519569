"""The study "Beyond permuted MNIST": the paper's question on other task streams and other networks.

Each setting changes one thing of the paper's configuration (EWC-MAS, 6 epochs, all of MNIST): the task stream
(rotated or split MNIST, :mod:`paper_code.data.streams`) or the network (deeper, or ReLU instead of LeakyReLU). Its
λ is chosen by the study's rule (:func:`~paper_code.studies.grid.choose_lambda`): the grid
:data:`LAMBDA_GRID` on :data:`~paper_code.studies.grid.MAS_SEEDS`, widened by half-decades where the best λ lies
at an edge, then the selected λ is run on every seed of :data:`~paper_code.studies.grid.STABILITY_SEEDS`. Every
setting is a sweep folder of its own, ``study/beyond/<setting>/``, so each is read like the main grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.config import Config
from paper_code.locations import STUDY_DIR, checkout_path, shown_path
from paper_code.studies.claims import CLAIMS_BY_ID, ClaimData
from paper_code.studies.grid import (
    DEFAULT_REG,
    GRID_DIR,
    MAS_SEEDS,
    STABILITY_SEEDS,
    Study,
    best_lambdas,
    load_study,
)
from paper_code.sweep import SWEEP_FILE

BEYOND_DIR = STUDY_DIR / "beyond"

#: The λ tried first in every setting: the half-decades around the paper configuration's selected λ (3).
LAMBDA_GRID: tuple[float, ...] = (1.0, 3.0, 10.0)


@dataclass(frozen=True)
class Setting:
    """One departure from the paper's configuration, named for the pages."""

    name: str
    title: str
    changes: dict[str, Any] = field(default_factory=dict)

    def config(self, **more: Any) -> Config:
        return Config().regularized(DEFAULT_REG, **self.changes, **more)


#: The settings, in the order they are computed and shown: the two streams, then the two networks.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("split", "split MNIST (5 two-digit tasks, task-incremental), the paper's MLP",
            dict(stream="split", tasks=5)),
    Setting("rotated", "rotated MNIST (10 rotations over 0°–162°), the paper's MLP", dict(stream="rotated")),
    Setting("relu", "permuted MNIST, the paper's MLP with ReLU", dict(leaky_slope=0.0)),
    Setting("deep", "permuted MNIST, four hidden layers (784-300-300-150-150-10)", dict(hidden=(300, 300, 150, 150))),
)}


def setting_dir(name: str, root: Path = BEYOND_DIR) -> Path:
    return Path(root) / name


def grid_configs(name: str) -> list[Config]:
    """The first λ grid of a setting, on the seeds λ is chosen with."""
    setting = SETTINGS[name]
    return [setting.config(lam=lam, seed=seed) for lam in LAMBDA_GRID for seed in MAS_SEEDS]


def final_configs(name: str, table) -> list[Config]:
    """The setting at its selected λ on every stability seed (the ones the grid ran are skipped by the sweep)."""
    lam = best_lambdas(table)[DEFAULT_REG].lam
    return [SETTINGS[name].config(lam=lam, seed=seed) for seed in STABILITY_SEEDS]


# --------------------------------------------------------------------------- reading the study
#: The paper's configuration, as the main grid holds it: the column every setting is compared with.
PAPER = "paper"
#: The claims that read correlations alone, the ones every setting can be graded on (the eq. check needs the
#: saved networks, the EWC comparison the other importances' runs).
CORRELATION_CLAIMS: tuple[str, ...] = (
    "3.1-mas-fis", "3.1-fis-mas2", "3.2-mas-si", "3.3-mas-sig-input", "3.3-mas-sig-output", "3.4-fis-si",
    "3.5-fis-sig-input", "3.5-fis-sig-output", "3.6-si-sig-input", "3.6-si-sig-output", "4-agree", "4-sig",
)
assert set(CORRELATION_CLAIMS) <= set(CLAIMS_BY_ID)


def load_settings(root: str | Path = BEYOND_DIR) -> dict[str, Study]:
    """Every setting the study holds a sweep of, in :data:`SETTINGS` order."""
    root = checkout_path(root)
    return {name: load_study(root / name) for name in SETTINGS if (root / name / SWEEP_FILE).is_file()}


@dataclass(frozen=True)
class SettingRuns:
    """One column of the comparison: EWC-MAS at the setting's selected λ, over every seed run there."""

    name: str
    title: str
    lam: float
    at_edge: bool
    data: ClaimData
    accuracy: pd.Series  # final average accuracy by seed
    trials: int
    hours: float
    #: The seeds the setting's λ was chosen on.
    chosen_on: tuple[int, ...] = ()

    @property
    def seeds(self) -> list[int]:
        return sorted(self.data.sources)


def setting_runs(name: str, study: Study, title: str | None = None) -> SettingRuns:
    choice = best_lambdas(study.table)[DEFAULT_REG]
    runs = study.results(DEFAULT_REG, choice.lam)
    rows = study.table[(study.table.reg == DEFAULT_REG) & (study.table.lam == choice.lam)]
    data = ClaimData(correlations=study.correlations(DEFAULT_REG, choice.lam),
                     sources={r.config.seed: shown_path(Path(r.path)) for r in runs})
    seconds = float(study.table["wall_seconds"].sum()) if "wall_seconds" in study.table else float("nan")
    return SettingRuns(name, title or SETTINGS[name].title, choice.lam, choice.at_edge, data,
                       rows.set_index("seed").final_accuracy.sort_index(), len(study.table), seconds / 3600,
                       tuple(int(s) for s in choice.chosen_on))


def paper_runs(grid_dir: str | Path = GRID_DIR) -> SettingRuns:
    """The paper's configuration from the main study, at its selected EWC-MAS λ, read the same way."""
    study = load_study(checkout_path(grid_dir))
    mas = study.table[study.table.reg == DEFAULT_REG]
    runs = setting_runs(PAPER, Study(study.folder, mas), "permuted MNIST, the paper's MLP (784-300-150-10)")
    return runs


def all_runs(root: str | Path = BEYOND_DIR, grid_dir: str | Path = GRID_DIR) -> dict[str, SettingRuns]:
    """The paper's column, then every setting the study holds."""
    columns = {PAPER: paper_runs(grid_dir)}
    for name, study in load_settings(root).items():
        columns[name] = setting_runs(name, study)
    return columns




