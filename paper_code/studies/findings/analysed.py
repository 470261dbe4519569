"""What the records of the two pages on trained networks ("Do they prune alike?", "Why they agree") share: the
configuration analysed, the retrained networks set beside the study's trials, and paired tests corrected by Holm.

The committed analysis (``study/analysis/<key>``) reads networks that were retrained for it: a study trial keeps no
networks. They have the configuration and seeds of the study's trials, whose final accuracy they match within the
rounding noise the noise study measured (not bit for bit); each page says so, with the two accuracies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.analysis.across_seeds import ANALYSIS_DIR, Analysis, load_analysis
from paper_code.studies.findings.record import interval as record_interval
from paper_code.analysis.spread import holm, paired_p_value
from paper_code.labels import reg_label
from paper_code.locations import STUDY_DIR
from paper_code.studies.findings.record import statistic
from paper_code.studies.grid import GRID_DIR, load_study
from paper_code.studies.noise import DIFFERENCE_BAND, NOISE_DIR, measured_accuracy_sd

#: Family-wise error rate of a page's paired tests.
ALPHA = 0.05
#: The importances built from gradients (the true Fisher with them): the paper's "approximately the same" ones.
GRADIENT = ("fis", "fis_true", "mas", "si")


def interval(values: pd.Series, label: str | None = None) -> dict[str, Any]:
    """Mean over seeds and the half-width of its 95 % interval (labelled, where ``label`` is given)."""
    return record_interval(values, **({"label": label} if label else {}))


def configuration(analysis: Analysis) -> dict[str, Any]:
    """The configuration the networks were trained in (every seed alike)."""
    config = analysis.config
    return {"tasks": config.tasks, "epochs": config.epochs, "reg": config.reg, "regularizer": reg_label(config.reg),
            "lam": config.lam}


def analysed(study: Path) -> tuple[Analysis, pd.Series, float | None]:
    """From a study folder laid out like ``study/``: its analysis (``analysis/``), the final accuracy by seed of its
    trials of the analysed configuration (``grid/``), and the rounding noise of one run's final accuracy measured
    by its noise study (``noise/``; ``None`` where there is none)."""
    study = Path(study)
    analysis = load_analysis(study / ANALYSIS_DIR.relative_to(STUDY_DIR))
    grid = load_study(study / GRID_DIR.name).table
    rows = grid[(grid.reg == analysis.config.reg) & (grid.lam == analysis.config.lam)]
    # The noise study lists its members' folders from the checkout that holds the study folder.
    rounding = measured_accuracy_sd(Path(study.name) / NOISE_DIR.name, study.parent)
    return analysis, rows.set_index("seed").final_accuracy, rounding


def retraining(analysis: Analysis, study_accuracy: pd.Series | None = None,
               rounding_sd: float | None = None) -> dict[str, Any]:
    """The retrained networks' final average accuracy and, given the study's trials of the same configuration (final
    accuracy by seed), theirs on the same seeds and the difference, paired by seed: its mean and interval, its
    largest size on one seed, and whether every seed's difference lies within the rounding noise: within
    :data:`~paper_code.studies.noise.DIFFERENCE_BAND` (2·√2) times the measured ``rounding_sd`` of one run, two standard
    deviations of the difference of two runs that differ only in rounding."""
    config = analysis.config
    retrained = analysis.runs.set_index("seed").final_accuracy
    found: dict[str, Any] = {"retrained_accuracy": interval(retrained, statistic(
        "final average accuracy", reg=config.reg, lam=config.lam, seeds=sorted(int(s) for s in retrained.index),
        trials="retrained for the analysis"))}
    if study_accuracy is not None:
        shared = retrained.index.intersection(study_accuracy.index)
        difference = retrained.loc[shared] - study_accuracy.loc[shared]
        found["study_accuracy"] = interval(study_accuracy.loc[shared], statistic(
            "final average accuracy", reg=config.reg, lam=config.lam, seeds=sorted(int(s) for s in shared),
            trials="committed"))
        found["retrained_minus_study"] = {**interval(difference), "signed": True}
        largest = float(difference.abs().max())
        limit = None if rounding_sd is None else float(DIFFERENCE_BAND) * rounding_sd
        found["retraining"] = {"largest": largest, "rounding_sd": rounding_sd, "limit": limit,
                               "within_rounding": None if limit is None else bool(largest <= limit)}
    return found


def paired_test(differences: pd.Series) -> dict[str, Any]:
    """One paired comparison over seeds: its mean and 95 % interval, written signed, and its uncorrected p-value
    (Student's paired t; Holm's correction is added by :func:`correct`)."""
    values = differences.dropna()
    return {**interval(values), "signed": True, "p_value": paired_p_value(values)}


def correct(tests: list[dict[str, Any]], alpha: float = ALPHA) -> dict[str, Any]:
    """Holm's correction over one family, in place: each test gets ``p_holm``, ``measurable`` (its Holm-adjusted p
    at most ``alpha``), ``uncorrected`` (its p-value alone at most ``alpha``) and ``verdict`` (``higher``,
    ``lower`` or ``not measurable``). Returns the family's size and counts."""
    for test, adjusted in zip(tests, holm([t["p_value"] for t in tests])):
        test["p_holm"] = float(adjusted)
        test["measurable"] = bool(adjusted <= alpha)
        test["uncorrected"] = bool(test["p_value"] == test["p_value"] and test["p_value"] <= alpha)
        test["verdict"] = "not measurable" if not test["measurable"] else "higher" if test["mean"] > 0 else "lower"
    return {"tests": len(tests), "alpha": alpha, "measurable": sum(t["measurable"] for t in tests),
            "uncorrected_only": sum(t["uncorrected"] and not t["measurable"] for t in tests)}


def span(values) -> dict[str, float]:
    """The lowest and highest of some values."""
    values = [float(v) for v in values]
    return {"low": min(values), "high": max(values)}
