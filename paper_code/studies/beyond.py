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

from paper_code.config import Config
from paper_code.locations import STUDY_DIR
from paper_code.studies.grid import DEFAULT_REG, MAS_SEEDS, STABILITY_SEEDS, best_lambdas

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


#: The settings, cheapest first (the order they are computed in).
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("split", "split MNIST (5 two-digit tasks, task-incremental), the paper's MLP",
            dict(stream="split", tasks=5)),
    Setting("relu", "permuted MNIST, the paper's MLP with ReLU", dict(leaky_slope=0.0)),
    Setting("rotated", "rotated MNIST (10 rotations over 0°–162°), the paper's MLP", dict(stream="rotated")),
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
