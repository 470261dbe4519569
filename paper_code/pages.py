"""A page's papermill parameters, turned into the runs it shows.

Every page of the book takes the same parameters (``results_dir``, ``n_tasks``, ``epochs``,
``lam``, ``reg``, ``seed``, ...). They describe one :class:`~paper_code.Config`; the page runs
or reuses that experiment through :func:`~paper_code.cached_run`, and finds the other seeds
of the same configuration (in its results folder and in the committed study) to grade the
paper's claims on seed bands rather than on one run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from paper_code.config import Config
from paper_code.correlation import CORRELATION_KINDS
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code.locations import project_root
from paper_code.analysis.explanation import ExplanationCheck, explanation_check, read_explanation, write_explanation
from paper_code.claims import ClaimData
from paper_code.results import Results, load_results
from paper_code.study import base_identity, load_study, selected_accuracy

def resolve_results_dir(results_dir: str | os.PathLike[str]) -> Path:
    """An absolute results root; a relative one is taken from the checkout the page runs in
    (:func:`paper_code.locations.project_root`)."""
    path = Path(results_dir).expanduser()
    return path if path.is_absolute() else project_root() / path


def page_config(
    n_tasks: int = 10,
    epochs: int = 6,
    lam: float | None = None,
    reg: str = "mas",
    seed: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
    importance_samples: int | None = None,
) -> Config:
    """The :class:`Config` a page's parameters describe; ``None`` keeps the paper's default."""
    changes: dict[str, Any] = dict(tasks=int(n_tasks), epochs=int(epochs), reg=str(reg), seed=int(seed))
    for name, value in (("lam", lam), ("train_size", train_size), ("test_size", test_size),
                        ("importance_samples", importance_samples)):
        if value is not None:
            changes[name] = float(value) if name == "lam" else int(value)
    return Config(**changes)


def check_correlation(correlation: str) -> str:
    if correlation not in CORRELATION_KINDS:
        raise PaperCodeError(f"correlation={correlation!r} is unknown: use 'pearson' or 'spearman'")
    return correlation


def load_page(results_dir: str | os.PathLike[str] = "results", **parameters: Any) -> Results:
    """Run, finish or reuse the experiment described by a page's parameters (see :func:`page_config`)."""
    config = page_config(**parameters)
    return cached_run(config, resolve_results_dir(results_dir), quiet=True)


def find_runs(results_root: str | os.PathLike[str]) -> list[Results]:
    """Every complete run directly under ``results_root`` (one folder per run), oldest first."""
    root = resolve_results_dir(results_root)
    runs = []
    if not root.is_dir():
        return runs
    for folder in sorted(root.iterdir()):
        if not (folder / "config.json").is_file():
            continue
        try:
            runs.append(load_results(folder))
        except PaperCodeError:
            continue
    return sorted(runs, key=lambda r: str(r.meta.get("created", "")))


def _without_seed(config: Config) -> dict[str, Any]:
    identity = config.identity()
    identity.pop("seed")
    return identity


def seed_runs(results: Results, *roots: str | os.PathLike[str]) -> list[Results]:
    """``results`` and every other seed of its configuration found under ``roots``, one run per seed.

    Each root is a results folder of runs (``results/``) or a sweep folder with ``trials/``
    (``study/grid``). The run shown by the page comes first; others are sorted by seed.
    """
    wanted = _without_seed(results.config)
    found: dict[int, Results] = {results.config.seed: results}
    for root in roots:
        root = resolve_results_dir(root)
        for folder in (root, root / "trials"):
            for run in find_runs(folder):
                if _without_seed(run.config) == wanted:
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
    study_dir: str | os.PathLike[str] = "study/grid",
    explanation: ExplanationCheck | None = None,
    compute_explanation: bool = False,
) -> ClaimData:
    """Everything the claims are graded on, for the configuration a page shows, over every seed found.

    Seeds come from ``results_dir`` and the study (:func:`seed_runs`). Each seed contributes the
    eq. (1)-(3) check's tables stored in its folder. For the shown run, an ``explanation`` the page
    computed is used and stored there, so the next page reads it instead of computing it again;
    with ``compute_explanation`` a missing check is computed from the run's checkpoints and stored.
    The EWC comparison reads the study when the page's configuration is the study's (but for λ, the
    penalty and the seed).
    """
    runs = seed_runs(results, results_dir, study_dir)
    if read_explanation(results.path) is None and (explanation is not None or compute_explanation):
        write_explanation(results.path, explanation if explanation is not None else explanation_check(results))
    p_tables, agreement_tables = [], []
    for run in runs:
        stored = read_explanation(run.path)
        if stored is not None:
            p_tables.append(stored[0].assign(seed=run.config.seed))
            agreement_tables.append(stored[1].assign(seed=run.config.seed))
    accuracy, missing = None, "needs EWC runs with every importance and fine-tuning (the study: make sweep-full)"
    study_root = resolve_results_dir(study_dir)
    if (study_root / "sweep.csv").is_file():
        study = load_study(study_root)
        trial = next(iter(study.table.trial_dir), None)
        if trial is not None and base_identity(load_results(study_root / trial).config) == base_identity(results.config):
            accuracy = selected_accuracy(study)
        else:
            missing = f"the study in {study_dir} was run with another configuration than this page's"
    sources = {}
    for run in runs:
        try:
            sources[run.config.seed] = Path(run.path).resolve().relative_to(project_root()).as_posix()
        except ValueError:  # outside the checkout
            sources[run.config.seed] = str(run.path)
    return ClaimData(
        sources=sources,
        correlations=seed_correlations(runs),
        p_summary=pd.concat(p_tables, ignore_index=True) if p_tables else None,
        agreement=pd.concat(agreement_tables, ignore_index=True) if agreement_tables else None,
        accuracy=accuracy,
        accuracy_missing=missing,
    )
