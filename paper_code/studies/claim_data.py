"""Everything the paper's claims are graded on, for one configuration, over every seed of it that exists.

A results page shows one run, but a claim is graded on the seed band of its configuration: the other seeds
are found in the page's results folder and in the committed study (:func:`seed_runs`), each with the
eq. (1)-(3) check stored in its folder, and the EWC comparison comes from the study when the page's
configuration is the study's. Where the noise study measured this configuration, its rounding-noise band
comes along, so a grade can say which cells lie within the noise of their threshold.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from paper_code.analysis.explanation import ExplanationCheck, explanation_check, read_explanation, write_explanation
from paper_code.config import Config
from paper_code.errors import PaperCodeError
from paper_code.locations import checkout_path, project_root, shown_path
from paper_code.results import CONFIG_FILE, Results, load_results
from paper_code.studies.claims import ClaimData
from paper_code.studies.grid import base_identity, load_study, selected_accuracy, selected_trials
from paper_code.studies.noise import noise_for
from paper_code.sweep import SWEEP_FILE, TRIALS_DIR


def find_runs(results_root: str | os.PathLike[str]) -> list[Results]:
    """Every complete run directly under ``results_root`` (one folder per run), oldest first."""
    root = checkout_path(results_root)
    runs = []
    if not root.is_dir():
        return runs
    for folder in sorted(root.iterdir()):
        if not (folder / CONFIG_FILE).is_file():
            continue
        try:
            runs.append(load_results(folder))
        except PaperCodeError:
            continue
    return sorted(runs, key=lambda r: str(r.meta.get("created", "")))


def _seedless(config: Config) -> dict:
    return config.identity(without=("seed",))


def seed_runs(results: Results, *roots: str | os.PathLike[str]) -> list[Results]:
    """``results`` and every other seed of its configuration found under ``roots``, one run per seed.

    Each root is a results folder of runs (``results/``) or a sweep folder with ``trials/``
    (``study/grid``). The run shown by the page comes first; others are sorted by seed.
    """
    wanted = _seedless(results.config)
    found: dict[int, Results] = {results.config.seed: results}
    for root in roots:
        root = checkout_path(root)
        for folder in (root, root / TRIALS_DIR):
            for run in find_runs(folder):
                if _seedless(run.config) == wanted:
                    found.setdefault(run.config.seed, run)
    others = [found[s] for s in sorted(found) if s != results.config.seed]
    return [results, *others]


def seed_correlations(runs: list[Results], per_task: bool = False) -> pd.DataFrame:
    """The correlation rows of several runs of one configuration, with a ``seed`` column."""
    frames = [(r.per_task_correlations if per_task else r.correlations).assign(seed=r.config.seed) for r in runs]
    return pd.concat(frames, ignore_index=True)


def claim_data(
    results: Results,
    results_dir: str | os.PathLike[str] = "results",
    study_dir: str | os.PathLike[str] | None = "study/grid",
    explanation: ExplanationCheck | None = None,
    compute_explanation: bool = False,
) -> ClaimData:
    """Everything the claims are graded on, for the configuration a page shows, over every seed found.

    Seeds come from the study first, then from ``results_dir`` (:func:`seed_runs`): a seed the study holds is
    graded on its committed trial, never on a rerun of it on this machine. Each seed contributes the
    eq. (1)-(3) check's tables stored in its folder. For the shown run, an ``explanation`` the page
    computed is used and stored there, so the next page reads it instead of computing it again;
    with ``compute_explanation`` a missing check is computed from the run's checkpoints and stored.
    The EWC comparison reads the study when the page's configuration is the study's (but for λ, the
    penalty and the seed).
    """
    runs = seed_runs(results, *([study_dir] if study_dir is not None else []), results_dir)
    if read_explanation(results.path) is None and (explanation is not None or compute_explanation):
        write_explanation(results.path, explanation if explanation is not None else explanation_check(results))
    p_tables, agreement_tables = [], []
    for run in runs:
        stored = read_explanation(run.path)
        if stored is not None:
            p_tables.append(stored[0].assign(seed=run.config.seed))
            agreement_tables.append(stored[1].assign(seed=run.config.seed))
    accuracy, missing = None, "needs EWC runs with every importance and fine-tuning (the study: make sweep-full)"
    study_root = checkout_path(study_dir) if study_dir is not None else None
    if study_root is None:
        missing = "needs the study's EWC runs with every importance and fine-tuning: no study was given"
    elif (study_root / SWEEP_FILE).is_file():
        study = load_study(study_root)
        trial = next(iter(study.table.trial_dir), None)
        if trial is not None and base_identity(load_results(study_root / trial).config) == base_identity(results.config):
            accuracy = selected_accuracy(study)
        else:
            missing = f"the study in {study_dir} was run with another configuration than this page's"
    return ClaimData(
        sources={run.config.seed: shown_path(Path(run.path)) for run in runs},
        correlations=seed_correlations(runs),
        p_summary=pd.concat(p_tables, ignore_index=True) if p_tables else None,
        agreement=pd.concat(agreement_tables, ignore_index=True) if agreement_tables else None,
        accuracy=accuracy,
        accuracy_missing=missing,
        noise=noise_for(results.config, checkout=project_root()),
    )


def regularizer_claim_data(study_dir: str | os.PathLike[str] = "study/grid") -> dict[str, ClaimData]:
    """Per regularizer of the study (and fine-tuning): the correlations of its trials at its selected λ over their
    seeds, what the correlation claims are graded on when that importance, not MAS, drives the penalty."""
    study = load_study(checkout_path(study_dir))
    found = {}
    for reg, lam in selected_trials(study).items():
        runs = study.results(reg, lam)
        found[reg] = ClaimData(correlations=seed_correlations(runs),
                               sources={r.config.seed: shown_path(Path(r.path)) for r in runs})
    return found
