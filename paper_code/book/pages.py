"""A page's papermill parameters, turned into the run it shows and the seeds its claims are graded on.

Every results page of the book takes the same parameters (``results_dir``, ``n_tasks``, ``epochs``, ``lam``,
``reg``, ``seed``, ...). They describe one :class:`~paper_code.Config`; the page runs or reuses that experiment
through :func:`~paper_code.cached_run` (:func:`load_page`). :class:`ResultsPage` holds it with what a page
shows of it, so a section page is its narrative, its parameters and one call per figure or verdict.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from paper_code.analysis.explanation import ExplanationCheck, explanation_check
from paper_code.book.claims import seeds_note
from paper_code.book.provenance import Provenance, provenance
from paper_code.book.render import Markdown
from paper_code.config import Config
from paper_code.correlation import CORRELATION_KINDS
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code.figures.renderer import setup_plotly
from paper_code.locations import checkout_path
from paper_code.results import Results
from paper_code.studies.claim_data import claim_data
from paper_code.studies.claims import ClaimData, grade
from paper_code.studies.grading import Grade


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
    return cached_run(config, checkout_path(results_dir), quiet=True)


class ResultsPage:
    """One results page: the run its parameters describe, the coefficient it shows first, and (when a claim is
    graded) the seeds of its configuration found in ``results_dir`` and the study.

    The figures are drawn by :mod:`paper_code.figures.run`, imported when a figure is asked for, so the page's
    text needs no plotly.
    """

    def __init__(self, results: Results, correlation: str = "pearson", results_dir: str | os.PathLike[str] = "results",
                 study_dir: str | os.PathLike[str] = "study/grid", compute_explanation: bool = False) -> None:
        self.results = results
        self.correlation = check_correlation(correlation)
        self.results_dir = results_dir
        self.study_dir = study_dir
        self.compute_explanation = compute_explanation

    @cached_property
    def data(self) -> ClaimData:
        """What the claims are graded on (:func:`~paper_code.studies.claim_data.claim_data`), found on first use."""
        return claim_data(self.results, self.results_dir, self.study_dir, compute_explanation=self.compute_explanation)

    def provenance(self) -> Provenance:
        return provenance(self.results)

    def surface(self, pair: str) -> Any:
        from paper_code.figures.run import correlation_surface  # noqa: PLC0415  (page text needs no plotly)

        return correlation_surface(self.results.correlations, pair, self.correlation)

    def heatmap(self, pair: str) -> Any:
        from paper_code.figures.run import correlation_heatmap  # noqa: PLC0415  (page text needs no plotly)

        return correlation_heatmap(self.results.correlations, pair, self.correlation)

    def seeds_note(self) -> Markdown:
        return seeds_note(self.data, self.results.config.seed)

    def grade(self, claim_id: str) -> Grade:
        return grade(self.data, claim_id, self.correlation)

    def explanation(self) -> ExplanationCheck:
        """The eq. (1)-(3) check on the run's saved networks; stored in its folder, and graded from now on."""
        check = explanation_check(self.results)
        self.data = claim_data(self.results, self.results_dir, self.study_dir, explanation=check)
        return check


def results_page(results_dir: str | os.PathLike[str] = "results", correlation: str = "pearson",
                 study_dir: str | os.PathLike[str] = "study/grid", compute_explanation: bool = False,
                 **parameters: Any) -> ResultsPage:
    """The page a results notebook shows: plotly set up for where it is displayed, the run of ``parameters``
    computed or reused (:func:`load_page`), its seeds found when a verdict needs them."""
    setup_plotly()
    correlation = check_correlation(correlation)
    results = load_page(results_dir, **parameters)
    return ResultsPage(results, correlation, results_dir, study_dir, compute_explanation)
