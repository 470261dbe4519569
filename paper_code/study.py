"""The study beyond the paper: which λ, which importance, how stable the correlations are.

The paper says it used "the optimal λ found by grid search" but shows no grid,
never compares the importances inside EWC, and shows one run per surface.
This module defines the grid that answers those three points and the rules
that read it, so the script that runs it (``make sweep-full``), the book pages
that show it and the tests that check it agree on one definition.

The grid, at the paper's full scale (10 tasks, 6 epochs, all of MNIST):

* for each regularizing importance, four λ on a half-decade grid, each with
  :data:`GRID_SEEDS`; the grids are centred where that method's accumulated
  importances give about the same penalty as MAS at its best λ (the methods'
  importances differ by two orders of magnitude in size, so one shared λ grid
  would put most methods at an edge);
* fine-tuning (no regularizer) with the same seeds;
* EWC-MAS at its selected λ with :data:`STABILITY_SEEDS`, for the seed bands.

Every trial computes every importance method, so each one also says how the
correlations look under a regularizer other than MAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from paper_code.config import METHOD_NAMES, Config
from paper_code.errors import ResultsError

#: The committed study: small result files of every trial, read by the book.
STUDY_DIR = Path("study")
#: The full grid, written by ``make sweep-full``.
GRID_DIR = STUDY_DIR / "grid"
#: A cheap trial committed beside the grid; the tests rerun it and compare numbers.
REFERENCE_DIR = STUDY_DIR / "reference"

#: λ grid per regularizing method (half-decade steps, see the module docstring).
LAMBDA_GRID: dict[str, tuple[float, ...]] = {
    "mas": (1.0, 3.0, 10.0, 30.0),
    "fis": (3.0, 10.0, 30.0, 100.0),
    "fis_true": (1.0, 3.0, 10.0, 30.0),
    "si": (0.1, 0.3, 1.0, 3.0),
    "sig": (0.01, 0.03, 0.1, 0.3),
}
GRID_SEEDS: tuple[int, ...] = (0, 1, 2)
STABILITY_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: The regularizer whose λ becomes the default of ``python -m paper_code run`` (the paper's choice).
DEFAULT_REG = "mas"

#: The cheap reference trial: same code path as the grid, seconds instead of minutes.
REFERENCE_CONFIG = Config(
    tasks=2, epochs=1, train_size=2000, test_size=1000, importance_samples=500, lam=3.0, reg="mas", seed=0
)

#: Files of a trial that travel with the repository (checkpoints and importance tensors do not).
COMMITTED_FILES = ("config.json", "accuracy.csv", "correlations.csv", "correlations_per_task.csv", "training.csv")


def grid_configs(base: Config | None = None) -> list[Config]:
    """The λ grids and fine-tuning, in the order they are worth running (MAS and fine-tuning first)."""
    base = base or Config()
    order = [DEFAULT_REG] + [m for m in LAMBDA_GRID if m != DEFAULT_REG]
    configs = [base.replace(reg=DEFAULT_REG, lam=lam, seed=seed) for lam in LAMBDA_GRID[DEFAULT_REG] for seed in GRID_SEEDS]
    configs += [base.replace(reg="none", lam=0.0, seed=seed) for seed in GRID_SEEDS]
    for reg in order[1:]:
        configs += [base.replace(reg=reg, lam=lam, seed=seed) for lam in LAMBDA_GRID[reg] for seed in GRID_SEEDS]
    return configs


def stability_configs(lam: float, base: Config | None = None) -> list[Config]:
    base = base or Config()
    return [base.replace(reg=DEFAULT_REG, lam=lam, seed=seed) for seed in STABILITY_SEEDS]


@dataclass(frozen=True)
class LambdaChoice:
    reg: str
    lam: float
    mean_accuracy: float
    at_edge: bool


def lambda_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of accuracy and forgetting, per (reg, λ)."""
    grouped = table.groupby(["reg", "lam"])
    summary = grouped.agg(
        seeds=("seed", "nunique"),
        accuracy_mean=("final_accuracy", "mean"),
        accuracy_std=("final_accuracy", "std"),
        forgetting_mean=("average_forgetting", "mean"),
        forgetting_std=("average_forgetting", "std"),
    )
    return summary.reset_index()


def choose_lambda(table: pd.DataFrame, reg: str, seeds: tuple[int, ...] = GRID_SEEDS) -> LambdaChoice:
    """The λ of ``reg`` with the best mean final accuracy over ``seeds`` (only λ run with all of them count)."""
    rows = table[(table.reg == reg) & table.seed.isin(seeds)]
    if reg in LAMBDA_GRID:
        rows = rows[rows.lam.isin(LAMBDA_GRID[reg])]
    counts = rows.groupby("lam").seed.nunique()
    full = counts[counts == len(seeds)].index
    if len(full) == 0:
        raise ResultsError(f"no λ of reg={reg} has all seeds {seeds} in the sweep table: run `make sweep-full`")
    means = rows[rows.lam.isin(full)].groupby("lam").final_accuracy.mean()
    best = float(means.idxmax())
    return LambdaChoice(reg, best, float(means.max()), at_edge=best in (min(means.index), max(means.index)))


def read_grid(folder: Path = GRID_DIR) -> pd.DataFrame:
    """The committed sweep table, with a clear error when the study has not been run or copied."""
    path = Path(folder) / "sweep.csv"
    if not path.is_file():
        raise ResultsError(f"{path} is missing: run `make sweep-full` to compute the study (hours on 2 cores)")
    return pd.read_csv(path)


def methods_compared() -> tuple[str, ...]:
    """Regularizers on the "does the importance matter" page, in the library's method order, then fine-tuning."""
    return tuple(m for m in METHOD_NAMES if m in LAMBDA_GRID) + ("none",)
