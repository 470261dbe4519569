"""What would it take? Each choice the paper leaves open, varied alone around the default, claim by claim.

The default is the library's: the paper's setup plus, where the paper is silent, the paper
author's own scripts (README, "Choices the paper leaves open"), EWC-MAS at the λ the study
selects. Each variant changes one choice and keeps everything else:

============================  ==========================================  =====================================
variant                       the choice                                  where its numbers come from
============================  ==========================================  =====================================
``default``                   —                                           the study's EWC-MAS trials at λ*
``optimizer_reset``           a fresh Adam per task (default: one Adam)   the optimizer-reset grid, at λ*
``si_task``                   SI's path integral with the task-loss       trials that differ only in ``si_grad``
                              gradient (default: with the EWC penalty)    (training identical; SI alone changes)
``mas_logits``                MAS on the logits (default: softmax, eq. 3) recomputed from the saved networks
``all_rows``                  importances over all 60,000 rows            recomputed from the saved networks
                              (default: the last 5,000)
``biases``                    biases appended to the correlated vectors   recomputed from the stored importances
``per_task``                  each task's own importances                 ``correlations_per_task.csv``
                              (default: summed over tasks)
``lambda=<λ>``                EWC strength along the study's grid         the study's EWC-MAS trials at λ
============================  ==========================================  =====================================

For every claim a few **key numbers** (:data:`KEY_NUMBERS`) are computed on each seed's own table, then
averaged over the seeds: each seed's lowest MAS–FIS, MAS–SI and FIS–SI cell, how much FIS–MAS² exceeds MAS–FIS,
and the SIG pairs on layer 1 and on layer 3. "Each seed's lowest cell, averaged" is not a grade's worst cell,
the lowest cell of the seed-mean surface (never below it): the two are named apart wherever they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from paper_code.analysis.spread import paired_interval
from paper_code.analysis.variants import read_variant_correlations
from paper_code.config import Config
from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.results import Results
from paper_code.studies.grid import DEFAULT_REG, GRID_DIR, Study, best_lambdas, load_study
from paper_code.sweep import SWEEP_FILE

#: The optimizer-reset grid (the study as first run, with a fresh Adam per task).
RESET_DIR = STUDY_DIR / "optimizer_reset"
#: Trials that differ from the default only in SI's gradient.
SI_TASK_DIR = STUDY_DIR / "sensitivity" / "si_task"
#: The committed table of key numbers, one row per (variant, key, seed).
KEY_NUMBERS_FILE = STUDY_DIR / "sensitivity" / "key_numbers.csv"
#: Seeds of each variant that needs its own training runs.
VARIANT_SEEDS: tuple[int, ...] = (0, 1, 2)

VARIANT_CHOICES: dict[str, str] = {
    "default": "the library's defaults (one Adam, MAS on softmax, last 5,000 rows, weights only, summed)",
    "optimizer_reset": "a fresh Adam optimizer at every task",
    "si_task": "SI's gradient without the EWC penalty (Zenke et al.)",
    "mas_logits": "MAS on the logits instead of the softmax output",
    "all_rows": "importances over all 60,000 training rows",
    "biases": "biases included in the correlated vectors",
    "per_task": "each task's own importances instead of their sum",
}

#: The variants that change what is measured on the default's own training (the rest train anew: λ, the
#: optimizer, SI's gradient).
MEASUREMENT_VARIANTS: tuple[str, ...] = ("per_task", "mas_logits", "all_rows", "biases")


@dataclass(frozen=True)
class KeyNumber:
    """One number a claim turns on, computed from one seed's correlation table (Pearson's r)."""

    key: str
    claim: str
    label: str
    #: The paper's statement about it, as a condition on the number.
    paper: str
    holds: Callable[[float], bool]
    compute: Callable[[pd.DataFrame], float]
    #: The number is a seed's lowest cell over the tasks: a variant that acts from task 2 on cannot raise it above
    #: the lowest cell of task 1, which it trains exactly as the default does.
    lowest: bool = False


def _pair(table: pd.DataFrame, pair: str, layer: int | None = None) -> pd.Series:
    rows = table[table["pair"] == pair]
    if layer is not None:
        rows = rows[rows["layer"] == layer]
    return rows.set_index(["layer", "task"])["pearson"]


def _excess(table: pd.DataFrame) -> float:
    return float((_pair(table, "fis_mas2") - _pair(table, "mas_fis")).mean())


KEY_NUMBERS: tuple[KeyNumber, ...] = (
    KeyNumber("min_mas_fis", "3.1", "MAS–FIS, each seed's lowest cell", "> 0.8", lambda v: v > 0.8,
              lambda t: float(_pair(t, "mas_fis").min()), lowest=True),
    KeyNumber("fis_mas2_excess", "3.1", "FIS–MAS² minus MAS–FIS, mean over cells", "> 0", lambda v: v > 0, _excess),
    KeyNumber("min_mas_si", "3.2", "MAS–SI, each seed's lowest cell", "> 0.8", lambda v: v > 0.8,
              lambda t: float(_pair(t, "mas_si").min()), lowest=True),
    KeyNumber("min_fis_si", "3.4", "FIS–SI, each seed's lowest cell", "> 0.75", lambda v: v > 0.75,
              lambda t: float(_pair(t, "fis_si").min()), lowest=True),
) + tuple(
    number
    for pair, section, name in (("mas_sig", "3.3", "MAS–SIG"), ("fis_sig", "3.5", "FIS–SIG"), ("si_sig", "3.6", "SI–SIG"))
    for number in (
        KeyNumber(f"{pair}_layer1", section, f"{name} on layer 1, mean over tasks", "about 0.6 (≥ 0.4)",
                  lambda v: v >= 0.4, lambda t, p=pair: float(_pair(t, p, 1).mean())),
        KeyNumber(f"{pair}_layer3", section, f"{name} on layer 3, each seed's lowest task", "< 0",
                  lambda v: v < 0, lambda t, p=pair: float(_pair(t, p, 3).min()), lowest=True),
    )
)
KEY_NUMBERS_BY_KEY = {k.key: k for k in KEY_NUMBERS}


def key_numbers(table: pd.DataFrame, from_task: int = 1) -> dict[str, float]:
    """Every key number of one seed's correlation table, over the tasks from ``from_task`` on; NaN where the table
    lacks the pair."""
    table = table[table["task"] >= from_task]
    out = {}
    for number in KEY_NUMBERS:
        try:
            out[number.key] = number.compute(table)
        except (KeyError, ValueError):
            out[number.key] = float("nan")
    return out


def first_movable_task(variant: str) -> int:
    """The first task a variant can change. Before it the variant trains and measures exactly like the default: a
    λ, SI's gradient and a reset of Adam act only once a penalty or a task boundary exists, and a task's own
    importances equal the accumulated ones after task 1. A key number over cells a variant cannot move would
    show no change however the variant acted, so each variant is read from this task on."""
    if variant in ("per_task", "si_task", "optimizer_reset") or variant.startswith("lambda="):
        return 2
    return 1


# --------------------------------------------------------------------------- where each variant's tables come from
def selected_lambda(study: Study) -> float:
    return best_lambdas(study.table)[DEFAULT_REG].lam


def variant_tables(root: Path = Path(".")) -> dict[str, list[tuple[int, pd.DataFrame]]]:
    """Per variant, one (seed, correlation table) per seed, read from the committed study under ``root``."""
    grid = load_study(root / GRID_DIR)
    lam = selected_lambda(grid)
    default_runs = grid.results(DEFAULT_REG, lam)
    tables: dict[str, list[tuple[int, pd.DataFrame]]] = {
        "default": [(r.config.seed, r.correlations) for r in default_runs],
        "per_task": [(r.config.seed, r.per_task_correlations) for r in default_runs],
    }
    for run in default_runs:
        stored = read_variant_correlations(run.path)
        if stored is None:
            continue
        for variant, rows in stored.groupby("variant", sort=False):
            tables.setdefault(str(variant), []).append((run.config.seed, rows.drop(columns="variant")))
    if (root / RESET_DIR / SWEEP_FILE).is_file():
        reset = load_study(root / RESET_DIR)  # at the default's λ: only the optimizer changes
        tables["optimizer_reset"] = [(r.config.seed, r.correlations) for r in reset.results(DEFAULT_REG, lam)]
    if (root / SI_TASK_DIR / SWEEP_FILE).is_file():
        si_task = load_study(root / SI_TASK_DIR)
        tables["si_task"] = [(r.config.seed, r.correlations) for r in si_task.results(DEFAULT_REG, lam)]
    for other in sorted(set(grid.table[grid.table.reg == DEFAULT_REG].lam) - {lam}):
        runs = grid.results(DEFAULT_REG, other)
        tables[f"lambda={other:g}"] = [(r.config.seed, r.correlations) for r in runs]
    return tables


def first_task_alike(default: Results, other: Results) -> bool:
    """Whether two runs trained bitwise alike through task 1 (equal ``training.csv`` rows). A variant with runs of
    its own acts from task 2 on, so only then is its difference from the default the variant's doing: runs made
    by another code version or on another machine differ by rounding from the first step, and training grows
    that into differences as large as a variant's."""
    columns = ["task_loss", "penalty", "train_accuracy"]
    first = [run.training[run.training.task == 1][columns].reset_index(drop=True) for run in (default, other)]
    return bool(len(first[0]) and first[0].equals(first[1]))


def paired_seeds(root: Path = Path(".")) -> dict[str, set[int]]:
    """Per variant with runs of its own (``optimizer_reset``, ``si_task``, ``lambda=<λ>``): the seeds whose run
    trained like the default's through task 1 (:func:`first_task_alike`), so its change from the default is
    measured on a clean pair. Variants recomputed from the default's own networks are paired by construction."""
    grid = load_study(root / GRID_DIR)
    lam = selected_lambda(grid)
    defaults = {r.config.seed: r for r in grid.results(DEFAULT_REG, lam)}
    own: dict[str, list[Results]] = {}
    for name, folder in (("optimizer_reset", RESET_DIR), ("si_task", SI_TASK_DIR)):
        if (root / folder / SWEEP_FILE).is_file():
            own[name] = load_study(root / folder).results(DEFAULT_REG, lam)
    for other in sorted(set(grid.table[grid.table.reg == DEFAULT_REG].lam) - {lam}):
        own[f"lambda={other:g}"] = grid.results(DEFAULT_REG, other)
    return {variant: {r.config.seed for r in runs
                      if r.config.seed in defaults and first_task_alike(defaults[r.config.seed], r)}
            for variant, runs in own.items()}


def key_number_table(tables: dict[str, list[tuple[int, pd.DataFrame]]],
                     paired: dict[str, set[int]] | None = None) -> pd.DataFrame:
    """``variant, key, seed, from_task, value, paired``: every key number of every seed of every variant, over every task
    (``from_task`` 1: what the paper's condition is judged on) and over the tasks the variant can move
    (:func:`first_movable_task`: what its change from the default is measured on); the default at every scope.
    ``paired``: whether the seed's run may be set against the default's (``paired``, from :func:`paired_seeds`;
    every seed where not given)."""
    scopes = sorted({first_movable_task(v) for v in tables} | {1})
    paired = paired or {}
    rows = [
        dict(variant=variant, key=key, seed=seed, from_task=from_task, value=value,
             paired=variant not in paired or seed in paired[variant])
        for variant, seeds in tables.items()
        for from_task in (scopes if variant == "default" else sorted({1, first_movable_task(variant)}))
        for seed, table in seeds
        for key, value in key_numbers(table, from_task).items()
    ]
    return pd.DataFrame(rows, columns=["variant", "key", "seed", "from_task", "value", "paired"])


def read_key_numbers(path: Path = KEY_NUMBERS_FILE) -> pd.DataFrame:
    if not Path(path).is_file():
        raise ResultsError(f"{path} is missing: run `make sensitivity` (it needs the study's runs with checkpoints)")
    return pd.read_csv(path)


def summary(numbers: pd.DataFrame) -> pd.DataFrame:
    """Per variant and key number: the variant's mean, spread and seed count over every task, the paper's
    condition judged on that mean, and the change from the default paired by seed over the tasks the variant can
    move (:func:`first_movable_task`): ``change`` (mean over the seeds both share of variant − default),
    ``change_ci`` (the half-width of its 95 % interval, Student's t), ``from_task`` and ``default_mean`` (the
    default on the same tasks and seeds), over the seeds whose runs pair with the default's (``paired``);
    ``unpaired`` where a variant has no such seed."""
    if "from_task" not in numbers:  # a table written before scopes were recorded: every task
        numbers = numbers.assign(from_task=1)
    whole = numbers[numbers.from_task == 1]
    grouped = whole.groupby(["variant", "key"], sort=False)["value"]
    frame = grouped.agg(mean="mean", std="std", low="min", high="max", seeds="count").reset_index()
    default = numbers[numbers.variant == "default"].set_index(["key", "seed", "from_task"])["value"]
    movable = numbers[(numbers.variant != "default")
                      & (numbers.from_task == numbers.variant.map(first_movable_task))]
    if "paired" in numbers:  # a run that trained differently from task 1 is not a pair
        movable = movable[movable.paired.astype(bool)]
    paired = movable.join(default.rename("default_value"), on=["key", "seed", "from_task"])
    paired = paired.dropna(subset=["default_value"])
    found = {}
    for (variant, key), rows in paired.groupby(["variant", "key"], sort=False):
        change, half_width, _ = paired_interval(rows.value - rows.default_value)
        found[(variant, key)] = dict(change=change, change_ci=half_width, from_task=int(rows.from_task.iloc[0]),
                                     default_mean=float(rows.default_value.mean()))
    frame["unpaired"] = [v != "default" and (v, k) not in found for v, k in zip(frame.variant, frame.key)]
    for column in ("change", "change_ci", "from_task", "default_mean"):
        frame[column] = [found.get((v, k), {}).get(column, float("nan")) for v, k in zip(frame.variant, frame.key)]
    frame["paper"] = frame["key"].map(lambda k: KEY_NUMBERS_BY_KEY[k].paper)
    frame["holds"] = [bool(KEY_NUMBERS_BY_KEY[k].holds(m)) if pd.notna(m) else False for k, m in zip(frame.key, frame["mean"])]
    return frame


def toward_paper(row: pd.Series) -> bool | None:
    """Whether a variant's change moves its key number toward the side of the paper's condition."""
    if pd.isna(row["change"]) or row["variant"] == "default":
        return None
    wants_high = KEY_NUMBERS_BY_KEY[row["key"]].paper.lstrip().startswith((">", "about", "≥"))
    return bool(row["change"] > 0) if wants_high else bool(row["change"] < 0)


def si_task_configs(lam: float, base: Config | None = None) -> list[Config]:
    base = base or Config()
    return [base.replace(reg=DEFAULT_REG, lam=lam, seed=seed, si_grad="task") for seed in VARIANT_SEEDS]


def default_runs(root: Path = Path(".")) -> list[Results]:
    """The study's EWC-MAS trials at the selected λ: the runs every variant is measured against."""
    grid = load_study(root / GRID_DIR)
    return grid.results(DEFAULT_REG, selected_lambda(grid))

