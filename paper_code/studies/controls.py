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

from paper_code.config import Config
from paper_code.locations import STUDY_DIR
from paper_code.studies.grid import LAMBDA_SEEDS, LambdaChoice

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
    return base.replace(reg=reg, lam=float(lam), seed=seed, methods=base.methods + (reg,))


def control_grid_configs(base: Config | None = None) -> list[Config]:
    """Every control at every λ of its grid, on the λ seeds."""
    return [control_config(reg, lam, seed, base) for reg, lams in CONTROL_GRID.items() for lam in lams
            for seed in LAMBDA_SEEDS]


def comparison_configs(choices: dict[str, LambdaChoice], base: Config | None = None) -> list[Config]:
    """Every control at its selected λ on :data:`COMPARISON_SEEDS`."""
    return [control_config(reg, choice.lam, seed, base) for reg, choice in choices.items() for seed in COMPARISON_SEEDS]
