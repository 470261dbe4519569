"""Every regularizer on held-out seeds: λ chosen on seeds 0-2, compared on seeds 3-7.

The first study chose each λ on seeds 0-1 (MAS on 0-2) and then compared the regularizers on seeds 0-4, so the
seeds that picked a λ were among those that graded it. Here the two jobs get disjoint seeds: every λ of a
regularizer's grid runs on :data:`SELECTION_SEEDS`, the best mean final accuracy over them selects λ (a grid whose
best λ lies at an edge grows by a half-decade on that side until it does not), and only
:data:`HELD_OUT_SEEDS` at that λ enter the comparison, paired by seed with fine-tuning and with EWC-MAS.

An *arm* is one regularizer in one setting: its sweep folder, the configuration its trials change, and the λ it
starts from. The trials of the earlier studies are reused wherever one fits (same configuration, same seed): the
sweep skips a finished trial, so the design costs only the seeds and λ it adds.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.config import Config
from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.studies.grid import GRID_DIR, LAMBDA_GRID, LambdaChoice, Study, choose_lambda, next_lambda

#: The seeds every λ of a grid runs with; the mean over them selects λ.
SELECTION_SEEDS: tuple[int, ...] = (0, 1, 2)
#: The seeds the regularizers are compared on, at their selected λ; none of them chose a λ.
HELD_OUT_SEEDS: tuple[int, ...] = (3, 4, 5, 6, 7)
#: How many half-decade steps a grid may grow beyond its first λ.
MAX_WIDENINGS = 3

CONTROLS_DIR = STUDY_DIR / "controls"
#: The held-out study's own trials (the earlier studies' folders stay as their pages read them).
HELD_OUT_DIR = STUDY_DIR / "held_out"


@dataclass(frozen=True)
class Arm:
    """One regularizer in one setting: its first λ grid, where its new trials go and which earlier ones it reuses."""

    reg: str
    grid: tuple[float, ...]
    #: The setting (``"paper"``, ``"split"``, ``"rotated"``) and the fields of :class:`Config` it changes.
    setting: str = "paper"
    changes: dict[str, Any] = field(default_factory=dict)
    #: The study folder the arm reads and writes (``study/``, or a copy laid out like it).
    root: Path = STUDY_DIR

    @property
    def name(self) -> str:
        return self.reg if self.setting == "paper" else f"{self.setting}/{self.reg}"

    @property
    def reused(self) -> tuple[Path, ...]:
        """Sweep folders of the earlier studies whose trials of this arm count as its own: the grid and the
        controls for the paper's setting, the setting's own folder of ``study/beyond`` for another."""
        if self.setting != "paper":
            return (Path(self.root) / "beyond" / self.setting,)
        return (Path(self.root) / GRID_DIR.name, Path(self.root) / CONTROLS_DIR.name)

    @property
    def folder(self) -> Path:
        """Where the arm's new trials are written: ``study/held_out/`` (a setting's in a subfolder)."""
        held_out = Path(self.root) / HELD_OUT_DIR.name
        return held_out if self.setting == "paper" else held_out / self.setting

    def rebased(self, root: Path) -> "Arm":
        return dataclasses.replace(self, root=Path(root))

    def config(self, lam: float, seed: int) -> Config:
        if self.reg == "none":
            return Config().replace(reg="none", lam=0.0, seed=seed, **self.changes)
        return Config().regularized(self.reg, lam=float(lam), seed=seed, **self.changes)


def _around(lam: float, below: int, above: int) -> tuple[float, ...]:
    """Half-decade λ around ``lam``: ``below`` steps under it, ``above`` over it."""
    grid = [lam]
    for _ in range(below):
        grid.insert(0, next_lambda(grid[0], up=False))
    for _ in range(above):
        grid.append(next_lambda(grid[-1], up=True))
    return tuple(grid)


#: The arms in the order their compute is worth spending: the paper's importances, the true Fisher, fine-tuning
#: and plain anchoring; MAS's own controls and the data-free baselines (with them the first study's comparison is
#: whole on held-out seeds); the controls of FIS and SIG, with SIG's activity factor; the Fishers the field
#: computes.
#: A new arm's grid starts where its penalty is about its source's at the source's selected λ (measured on the
#: paper's configuration: a task's mean importance per weight, e.g. MAS 1.2·10⁻⁴, FIS 3·10⁻⁵, the batched Fisher
#: 4·10⁻⁷, Adam's 1·10⁻⁶, SIG's activity factor 0.15), three half-decades wide.
CORE_ARMS: tuple[Arm, ...] = (
    Arm("none", (0.0,)),
    *(Arm(reg, LAMBDA_GRID[reg]) for reg in ("mas", "fis", "fis_true", "si", "sig")),
    Arm("uniform", (1e-4, 3e-4, 1e-3, 3e-3)),
)
MAS_STRUCTURE_ARMS: tuple[Arm, ...] = (
    Arm("rank1", (1.0, 3.0, 10.0, 30.0)),
    Arm("shuffled", (1.0, 3.0, 10.0, 30.0)),
)
STRUCTURE_ARMS: tuple[Arm, ...] = (
    Arm("rank1:fis", _around(30.0, 1, 1)),
    Arm("shuffled:fis", _around(100.0, 1, 1)),
    Arm("rank1:sig", _around(0.1, 1, 1)),
    Arm("shuffled:sig", _around(0.3, 1, 1)),
    Arm("sig_activity", _around(0.01, 1, 1)),
)
BASELINE_ARMS: tuple[Arm, ...] = (
    Arm("magnitude", (0.01, 0.03, 0.1, 0.3)),
    Arm("random", (3e-4, 1e-3, 3e-3, 1e-2)),
)
FISHER_ARMS: tuple[Arm, ...] = (
    Arm("fis_sample", _around(10.0, 1, 1)),
    Arm("fis_batch", _around(3000.0, 1, 1)),
    Arm("adam", _around(1000.0, 1, 1)),
)
def _setting_arms(setting: str, changes: dict[str, Any], mas_lam: float) -> tuple[Arm, ...]:
    """Fine-tuning, EWC-MAS, uniform anchoring and MAS's rank-1 fit in another setting: MAS's grid is the one
    ``study/beyond`` started with (its widenings are reused), the controls' grids sit where their penalty matches
    MAS's at its selected λ there (uniform as on permuted MNIST, scaled by the ratio of MAS's λ)."""
    return (Arm("none", (0.0,), setting, changes), Arm("mas", (1.0, 3.0, 10.0), setting, changes),
            Arm("uniform", _around(float(f"{1e-3 * mas_lam / 3:.1g}"), 1, 1), setting, changes),
            Arm("rank1", _around(mas_lam, 1, 1), setting, changes))


#: Split MNIST (5 two-digit tasks; MAS's λ there 300, at the edge of its grid) and rotated MNIST (λ 100).
SPLIT_ARMS: tuple[Arm, ...] = _setting_arms("split", {"stream": "split", "tasks": 5}, 300.0)
ROTATED_ARMS: tuple[Arm, ...] = _setting_arms("rotated", {"stream": "rotated"}, 100.0)

#: The parts of the study, in the order the script runs them.
PARTS: dict[str, tuple[Arm, ...]] = {"core": CORE_ARMS, "mas-structure": MAS_STRUCTURE_ARMS,
                                     "baselines": BASELINE_ARMS, "structure": STRUCTURE_ARMS, "fishers": FISHER_ARMS,
                                     "split": SPLIT_ARMS, "rotated": ROTATED_ARMS}
#: Every arm, by name.
ARMS: dict[str, Arm] = {arm.name: arm for arms in PARTS.values() for arm in arms}


def read_table(arm: Arm) -> pd.DataFrame:
    """Every finished trial of the arm's folder and of the folders it reuses (one row per trial key)."""
    frames = []
    for folder in (*arm.reused, arm.folder):
        path = Path(folder) / "sweep.csv"
        if path.is_file():
            frames.append(pd.read_csv(path).assign(trial_dir=lambda t, f=folder: [str(Path(f) / d) for d in t.trial_dir]))
    if not frames:
        return pd.DataFrame(columns=["reg", "lam", "seed", "key", "final_accuracy", "average_forgetting", "trial_dir"])
    return pd.concat(frames, ignore_index=True).drop_duplicates("key", keep="last")


def reusable(arm: Arm, config: Config) -> bool:
    """Whether an earlier study holds this trial finished, so the held-out study reads it instead of rerunning it."""
    for folder in arm.reused:
        meta = Path(folder) / "trials" / config.key / "config.json"
        if meta.is_file() and json.loads(meta.read_text()).get("complete"):
            return True
    return False


def arm_rows(arm: Arm, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` that belong to ``arm`` (its regularizer, in its setting)."""
    rows = table[table.reg == arm.reg]
    for column, value in arm.changes.items():
        if column in rows.columns:
            rows = rows[rows[column].astype(str) == str(value)]
    return rows


def selection(arm: Arm, table: pd.DataFrame) -> LambdaChoice:
    """The λ of ``arm`` chosen on :data:`SELECTION_SEEDS` alone (a λ missing one of them does not compete)."""
    rows = arm_rows(arm, table)
    rows = rows[rows.seed.isin(SELECTION_SEEDS)]
    complete = rows.groupby("lam").seed.nunique()
    complete = complete[complete == len(SELECTION_SEEDS)].index
    rows = rows[rows.lam.isin(complete)]
    if rows.empty:
        raise ResultsError(f"{arm.name} has no λ run on all of seeds {list(SELECTION_SEEDS)}: run scripts/held_out.py")
    return choose_lambda(rows, arm.reg)


def selection_configs(arm: Arm, table: pd.DataFrame) -> list[Config]:
    """Every λ of the arm's grid (and of its earlier widenings) on every selection seed."""
    tried = set(arm_rows(arm, table).lam.astype(float)) | set(arm.grid)
    if arm.reg == "none":
        tried = {0.0}
    return [arm.config(lam, seed) for lam in sorted(tried) for seed in SELECTION_SEEDS]


def widening_configs(arm: Arm, table: pd.DataFrame) -> list[Config]:
    """One more λ beyond the edge where the arm's best λ (on the selection seeds) is its smallest or largest."""
    if arm.reg == "none":
        return []
    choice = selection(arm, table)
    if not choice.at_edge:
        return []
    tried = arm_rows(arm, table).lam
    lam = next_lambda(choice.lam, up=choice.lam == tried.max())
    return [arm.config(lam, seed) for seed in SELECTION_SEEDS]


def held_out_configs(arm: Arm, table: pd.DataFrame) -> list[Config]:
    """The arm at its selected λ on every held-out seed."""
    lam = 0.0 if arm.reg == "none" else selection(arm, table).lam
    return [arm.config(lam, seed) for seed in HELD_OUT_SEEDS]


def held_out_study(root: Path = STUDY_DIR, arms: dict[str, Arm] | None = None, setting: str = "paper") -> Study:
    """The trials a held-out comparison reads in one setting, as one :class:`~paper_code.studies.grid.Study`:
    every arm at the λ its selection seeds chose, on the held-out seeds (trial folders made absolute, whichever
    sweep holds them). One setting only, because a Study finds trials by regularizer and λ: fine-tuning on split
    MNIST has the same ``reg`` and λ as on permuted MNIST, and would be averaged in with it."""
    arms = {name: arm.rebased(root) for name, arm in (arms or ARMS).items() if arm.setting == setting}
    frames = []
    for arm in arms.values():
        table = read_table(arm)
        rows = arm_rows(arm, table)
        if rows.empty:
            continue
        if arm.reg != "none":
            try:
                lam = selection(arm, table).lam
            except ResultsError:
                continue
            rows = rows[rows.lam == lam]
        frames.append(rows[rows.seed.isin(HELD_OUT_SEEDS)])
    table = pd.concat(frames, ignore_index=True)
    table = table.assign(trial_dir=[str(Path(d).resolve()) for d in table.trial_dir])
    return Study(Path(root), table)
