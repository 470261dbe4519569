"""Does the importance matter? EWC with controls that carry no information, or only part of MAS's.

The paper asks why importances as different as SIG and MAS all let EWC overcome forgetting. The controls answer
from the other side: if EWC with an importance that knows nothing (``uniform``: plain L2 anchoring; ``random``)
keeps most of EWC-MAS's gain over fine-tuning, the anchoring does the work, not the importance. In between,
``shuffled`` keeps MAS's values but not their placement, ``rank1`` MAS's unit structure only, and ``magnitude``
the weights' sizes.

The design follows the grid's (:mod:`paper_code.studies.grid`): four half-decade λ per control, on the seeds the
other methods' λ were chosen on (:data:`~paper_code.studies.grid.LAMBDA_SEEDS`), widened where the best λ is at
an edge, then every regularizer, the paper's and the controls, at its selected λ on the same
:data:`COMPARISON_SEEDS`. The controls' trials live in ``study/controls/``; the paper's regularizers' in
``study/grid/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from paper_code.analysis.spread import paired_interval
from paper_code.config import BASELINE_METHODS, CONTROL_METHODS, Config, ordered_methods
from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.sweep import SWEEP_FILE
from paper_code.studies.grid import GRID_DIR, LAMBDA_SEEDS, LambdaChoice, Study, best_lambdas, load_study

#: The controls' sweep folder.
CONTROLS_DIR = STUDY_DIR / "controls"

#: λ grid per control, centred where its penalty is about EWC-MAS's at λ = 3: a task's MAS importance is about
#: 1.1·10⁻⁴ per weight, so λ Ω ≈ 3·10⁻⁴ per learned task. ``uniform`` is summed over tasks like MAS (Ω = tasks
#: learned), ``random`` (rank/n, mean 0.5) and ``magnitude`` (|w|, a few 10⁻² on average) are the network's
#: current value and do not grow with the tasks, so their grids reach further up.
CONTROL_GRID: dict[str, tuple[float, ...]] = {
    "uniform": (1e-4, 3e-4, 1e-3, 3e-3),
    "shuffled": (1.0, 3.0, 10.0, 30.0),
    "rank1": (1.0, 3.0, 10.0, 30.0),
    "magnitude": (0.01, 0.03, 0.1, 0.3),
    "random": (3e-4, 1e-3, 3e-3, 1e-2),
}
#: Every regularizer is compared at its selected λ on these seeds.
COMPARISON_SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)


def control_config(reg: str, lam: float, seed: int, base: Config | None = None) -> Config:
    """A control inside EWC: the default configuration, computing the control's importance as well."""
    base = base or Config()
    return base.regularized(reg, lam=float(lam), seed=seed)


def control_grid_configs(base: Config | None = None) -> list[Config]:
    """Every control at every λ of its grid, on the λ seeds."""
    return [control_config(reg, lam, seed, base) for reg, lams in CONTROL_GRID.items() for lam in lams
            for seed in LAMBDA_SEEDS]


def comparison_configs(choices: dict[str, LambdaChoice], base: Config | None = None) -> list[Config]:
    """Every control at its selected λ on :data:`COMPARISON_SEEDS`."""
    return [control_config(reg, choice.lam, seed, base) for reg, choice in choices.items() for seed in COMPARISON_SEEDS]


# --------------------------------------------------------------------------- reading the comparison
#: The importances of the paper and the true Fisher, then the controls, in the order a page lists them.
CONTROLS: tuple[str, ...] = CONTROL_METHODS + BASELINE_METHODS
#: The regularizer whose gain over fine-tuning the others are measured against.
REFERENCE_REG = "mas"


def load_comparison(grid_dir: str | Path = GRID_DIR, controls_dir: str | Path = CONTROLS_DIR) -> Study:
    """The paper's regularizers and fine-tuning (the grid study) and the controls in one :class:`Study`.

    Each row's ``trial_dir`` is made absolute, so trials of both folders load through the one study; a missing
    controls folder leaves the grid alone, so the page still compares the paper's importances.
    """
    def absolute(study: Study) -> pd.DataFrame:
        return study.table.assign(trial_dir=[str((study.folder / d).resolve()) for d in study.table.trial_dir])

    grid = load_study(grid_dir)
    frames = [absolute(grid)]
    if (Path(controls_dir) / SWEEP_FILE).is_file():
        frames.append(absolute(load_study(controls_dir)))
    return Study(grid.folder, pd.concat(frames, ignore_index=True))


def group_of(reg: str) -> str:
    """``importance`` (the paper's four and the true Fisher), ``control`` or ``fine-tuning``."""
    if reg == "none":
        return "fine-tuning"
    return "control" if reg in CONTROLS else "importance"


COMPARISON_COLUMNS = ("reg", "group", "lam", "seeds", "accuracy_mean", "accuracy_std", "forgetting_mean", "gain",
                      "gain_ci", "versus_reference", "versus_reference_ci", "share_kept", "share_kept_ci")


def regularizer_comparison(study: Study, seeds: tuple[int, ...] = COMPARISON_SEEDS,
                           reference: str = REFERENCE_REG) -> pd.DataFrame:
    """Every regularizer at its selected λ on ``seeds`` (:data:`COMPARISON_COLUMNS`), paired by seed:

    ``gain``: final average accuracy minus fine-tuning's; ``versus_reference``: minus EWC-``reference``'s;
    ``share_kept``: the gain as a share of the reference's gain, the mean of the per-seed ratios (1 for the
    reference itself). Each with the half-width of its 95 % interval (Student's t over the seeds both have).
    Fine-tuning is listed without them.
    """
    table = study.table[study.table.seed.isin(seeds)]
    choices = best_lambdas(study.table)
    chosen = {reg: choice.lam for reg, choice in choices.items()}
    if not (table.reg == "none").any():
        raise ResultsError(f"{study.folder} has no fine-tuning trial on seeds {list(seeds)}: the gains need one")
    chosen["none"] = 0.0

    def accuracy(reg: str) -> pd.Series:
        rows = table[(table.reg == reg) & (table.lam == chosen[reg])]
        return rows.set_index("seed").final_accuracy

    base = accuracy("none")
    reference_gain = accuracy(reference) - base if reference in chosen else pd.Series(dtype=float)
    rows = []
    for reg in ordered_methods(chosen):
        rows_of = table[(table.reg == reg) & (table.lam == chosen[reg])]
        if rows_of.empty:
            continue
        values = accuracy(reg)
        gain = (values - base).dropna()
        gain_mean, gain_ci, _ = paired_interval(gain) if reg != "none" else (np.nan, np.nan, 0)
        versus, versus_ci, _ = (paired_interval((values - accuracy(reference)).dropna())
                                if reg not in (reference, "none") and reference in chosen else (np.nan, np.nan, 0))
        ratio = (gain / reference_gain).dropna()
        share, share_ci, _ = paired_interval(ratio) if reg not in ("none", reference) and len(ratio) else (
            (1.0, np.nan, 0) if reg == reference else (np.nan, np.nan, 0))
        rows.append(dict(reg=reg, group=group_of(reg), lam=chosen[reg], seeds=int(values.index.nunique()),
                         accuracy_mean=float(values.mean()), accuracy_std=float(values.std()),
                         forgetting_mean=float(rows_of.average_forgetting.mean()), gain=gain_mean, gain_ci=gain_ci,
                         versus_reference=versus, versus_reference_ci=versus_ci, share_kept=share,
                         share_kept_ci=share_ci))
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
