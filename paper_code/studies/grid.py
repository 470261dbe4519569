"""The study beyond the paper: which λ, which importance, how stable the correlations are.

The paper says it used "the optimal λ found by grid search" but shows no grid,
never compares the importances inside EWC, and shows one run per surface.
This module defines the grid that answers those three points and the rules
that read it, so the script that runs it (``make sweep-full``), the book pages
that show it and the tests that check it agree on one definition.

The grid, at the paper's full scale (10 tasks, 6 epochs, all of MNIST):

* for each regularizing importance, four λ on a half-decade grid; the grids
  are centred where that method's accumulated importances give about the
  same penalty as MAS at its best λ (the methods' importances differ by two
  orders of magnitude in size, so one shared λ grid would put most methods at
  an edge). MAS, the paper's regularizer, is run with :data:`MAS_SEEDS` at
  every λ, the others with :data:`LAMBDA_SEEDS` (compute is the limit: each
  trial takes about four minutes on one core);
* fine-tuning (no regularizer) with :data:`COMPARISON_SEEDS`;
* where a method's best λ lies at an edge of its grid, the grid is widened
  by one half-decade step on that side (:func:`widened_configs`) until the
  best λ is inside it;
* then, at each regularizer's selected λ, the seeds still missing: up to
  :data:`COMPARISON_SEEDS` for the method comparison, and for MAS up to
  :data:`STABILITY_SEEDS` for the seed bands.

Every trial computes every importance method, so each one also says how the
correlations look under a regularizer other than MAS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from paper_code.config import Config, is_method, ordered_methods
from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.results import CONFIG_FILE, Results, load_results
from paper_code.sweep import SWEEP_FILE, SWEEP_PARAMETERS, TRIALS_DIR

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
MAS_SEEDS: tuple[int, ...] = (0, 1, 2)
LAMBDA_SEEDS: tuple[int, ...] = (0, 1)
COMPARISON_SEEDS: tuple[int, ...] = (0, 1, 2)
STABILITY_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
#: The regularizer whose λ becomes the default of ``python -m paper_code run`` (the paper's choice).
DEFAULT_REG = "mas"

#: The cheap reference trial: same code path as the grid, seconds instead of minutes.
REFERENCE_CONFIG = Config(
    tasks=2, epochs=1, train_size=2000, test_size=1000, importance_samples=500, lam=3.0, reg="mas", seed=0
)

#: Files of a trial that travel with the repository (checkpoints and importance tensors do not).
COMMITTED_FILES = (
    "config.json", "accuracy.csv", "correlations.csv", "correlations_per_task.csv", "training.csv",
    # computed afterwards from the trial's saved networks (scripts/sensitivity.py)
    "correlations_variants.csv", "explanation_p.csv", "explanation_agreement.csv",
)


def grid_configs(base: Config | None = None) -> list[Config]:
    """The λ grids and fine-tuning, in the order they are worth running (MAS and fine-tuning first)."""
    base = base or Config()
    configs = [base.replace(reg=DEFAULT_REG, lam=lam, seed=seed) for lam in LAMBDA_GRID[DEFAULT_REG] for seed in MAS_SEEDS]
    configs += [base.replace(reg="none", lam=0.0, seed=seed) for seed in COMPARISON_SEEDS]
    for reg in (m for m in LAMBDA_GRID if m != DEFAULT_REG):
        configs += [base.replace(reg=reg, lam=lam, seed=seed) for lam in LAMBDA_GRID[reg] for seed in LAMBDA_SEEDS]
    return configs


def next_lambda(lam: float, up: bool) -> float:
    """The neighbour of ``lam`` on the half-decade sequence …, 0.1, 0.3, 1, 3, 10, … (``up``: the larger one)."""
    mantissa = lam / 10 ** math.floor(math.log10(lam))
    is_one = abs(mantissa - 1) < abs(mantissa - 3)
    step = (3.0 if is_one else 10 / 3) if up else (1 / 3 if not is_one else 3 / 10)
    return float(f"{lam * step:.6g}")


def widened_configs(table: pd.DataFrame, base: Config | None = None) -> list[Config]:
    """One more λ, beyond the edge, for every regularizer whose best λ is the smallest or largest it tried."""
    base = base or Config()
    configs = []
    for reg, choice in best_lambdas(table).items():
        if not choice.at_edge:
            continue
        tried = table[table.reg == reg].lam
        lam = next_lambda(choice.lam, up=choice.lam == tried.max())
        seeds = MAS_SEEDS if reg == DEFAULT_REG else LAMBDA_SEEDS
        configs += [base.regularized(reg, lam=lam, seed=seed) for seed in seeds]
    return configs


def followup_configs(choices: dict[str, "LambdaChoice"], base: Config | None = None) -> list[Config]:
    """Every regularizer at its selected λ with the comparison seeds; MAS with the stability seeds."""
    base = base or Config()
    configs = []
    for reg, choice in choices.items():
        seeds = STABILITY_SEEDS if reg == DEFAULT_REG else COMPARISON_SEEDS
        configs += [base.replace(reg=reg, lam=choice.lam, seed=seed) for seed in seeds]
    return configs


@dataclass(frozen=True)
class LambdaChoice:
    """The λ a study selects for one regularizer, and whether it lies at the edge of the λ tried."""

    reg: str
    lam: float
    mean_accuracy: float
    seeds: int
    at_edge: bool
    #: The seeds every λ of the grid ran with, which chose it (a comparison on them is not a held-out one).
    chosen_on: tuple[int, ...] = ()


def choose_lambda(table: pd.DataFrame, reg: str) -> LambdaChoice:
    """The λ of ``reg`` with the best mean final accuracy over the seeds that every λ of ``reg`` was run with.

    Comparing on common seeds only keeps the choice fair once extra seeds
    are added at the selected λ (for the comparison and the seed bands).
    """
    rows = table[table.reg == reg]
    if rows.empty:
        raise ResultsError(f"the sweep table has no trial with reg={reg}: run `make sweep-full` or sweep --reg {reg}")
    seed_sets = [set(group.seed) for _, group in rows.groupby("lam")]
    common = set.intersection(*seed_sets)
    if not common:
        raise ResultsError(f"no seed of reg={reg} was run at every λ, so the λ cannot be compared fairly")
    means = rows[rows.seed.isin(common)].groupby("lam").final_accuracy.mean()
    best = float(means.idxmax())
    edge = best in (float(means.index.min()), float(means.index.max()))  # no interior optimum shown
    return LambdaChoice(reg, best, float(means.max()), len(common), at_edge=edge,
                        chosen_on=tuple(sorted(int(s) for s in common)))


def best_lambdas(table: pd.DataFrame) -> dict[str, LambdaChoice]:
    """The selected λ of every regularizer in the table, in the library's method order."""
    present = set(table.reg)
    return {reg: choose_lambda(table, reg) for reg in ordered_methods(present) if is_method(reg)}


def read_grid(folder: str | Path = GRID_DIR) -> pd.DataFrame:
    """A sweep table, with a clear error when the study has not been run or copied."""
    path = Path(folder) / SWEEP_FILE
    if not path.is_file():
        raise ResultsError(f"{path} is missing: run `make sweep-full` (the full study) or point study_dir at a sweep")
    return pd.read_csv(path)


# --------------------------------------------------------------------------- reading trials
@dataclass(frozen=True)
class Study:
    """A sweep folder: its table and, on demand, the results of its trials."""

    folder: Path
    table: pd.DataFrame

    def results(self, reg: str, lam: float) -> list[Results]:
        """Every trial of ``reg`` at ``lam``, by seed."""
        rows = self.table[(self.table.reg == reg) & (self.table.lam == lam)].sort_values("seed")
        if rows.empty:
            raise ResultsError(f"{self.folder} has no trial with reg={reg}, lam={lam:g}")
        return [load_results(self.folder / str(folder)) for folder in rows.trial_dir]

    def correlations(self, reg: str, lam: float, per_task: bool = False) -> pd.DataFrame:
        """The correlation rows of every seed of (reg, λ), with a ``seed`` column."""
        frames = []
        for results in self.results(reg, lam):
            frame = results.per_task_correlations if per_task else results.correlations
            if frame.empty:
                raise ResultsError(f"{results.path} has no per-task correlations: rerun it with this version")
            frames.append(frame.assign(seed=results.config.seed))
        return pd.concat(frames, ignore_index=True)


def committed_trial(study_dir: str | Path, config: Config) -> Results | None:
    """The study's finished trial of exactly ``config`` (its key), or ``None`` when the study does not hold it.

    A page shows this trial rather than a run of its own when it exists, so the built book shows the same
    numbers on every machine: a rerun of the same key elsewhere differs by rounding, which training amplifies.
    """
    folder = Path(study_dir) / TRIALS_DIR / config.key
    if not (folder / CONFIG_FILE).is_file():
        return None
    results = load_results(folder, require_complete=False)
    return results if results.complete else None


def load_study(folder: str | Path = GRID_DIR) -> Study:
    folder = Path(folder)
    return Study(folder, read_grid(folder))


def selected_trials(study: Study) -> dict[str, float]:
    """reg -> λ of the trials each comparison uses: every regularizer at its selected λ, fine-tuning at 0."""
    chosen = {reg: choice.lam for reg, choice in best_lambdas(study.table).items()}
    if (study.table.reg == "none").any():
        chosen["none"] = 0.0
    return chosen


def selected_accuracy(study: Study) -> pd.DataFrame:
    """``reg, lam, seed, final_accuracy`` of every trial at its regularizer's selected λ (fine-tuning at 0)."""
    chosen = selected_trials(study)
    table = study.table
    mask = pd.Series(False, index=table.index)
    for reg, lam in chosen.items():
        mask |= (table.reg == reg) & (table.lam == lam)
    return table.loc[mask, ["reg", "lam", "seed", "final_accuracy"]].reset_index(drop=True)


def base_identity(config: Config) -> dict:
    """A configuration without the parameters a sweep varies (reg, λ, seed): what the trials of one study share."""
    return config.identity(without=SWEEP_PARAMETERS)


def mean_accuracy(study: Study, reg: str, lam: float) -> pd.DataFrame:
    """The accuracy matrix averaged over seeds, in the tidy ``after_task, eval_task, accuracy`` form."""
    frames = [r.accuracy for r in study.results(reg, lam)]
    return pd.concat(frames).groupby(["after_task", "eval_task"], as_index=False).accuracy.mean()


def seed_band(correlations: pd.DataFrame, kind: str = "pearson") -> pd.DataFrame:
    """Mean, standard deviation and range over seeds of one coefficient, per pair, layer and task.

    ``sign_stable`` is true where every seed gives the same sign (all > 0 or
    all < 0); a cell whose seeds disagree cannot be read as positive or
    negative from a single run.
    """
    grouped = correlations.groupby(["pair", "layer", "task"], sort=False)[kind]
    band = grouped.agg(mean="mean", std="std", low="min", high="max", seeds="count").reset_index()
    band["sign_stable"] = (band.low > 0) | (band.high < 0)
    return band


def per_task_versus_accumulated(study: Study, reg: str, lam: float, kind: str = "pearson") -> pd.DataFrame:
    """Seed means of both correlations, per pair, layer and task, and their difference (per-task − accumulated)."""
    keys = ["pair", "layer", "task"]
    accumulated = study.correlations(reg, lam).groupby(keys, sort=False)[kind].mean().rename("accumulated")
    per_task = study.correlations(reg, lam, per_task=True).groupby(keys, sort=False)[kind].mean().rename("per_task")
    frame = pd.concat([accumulated, per_task], axis=1).reset_index()
    frame["difference"] = frame.per_task - frame.accumulated
    return frame


