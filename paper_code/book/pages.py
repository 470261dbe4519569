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

from paper_code.analysis.explanation import ExplanationCheck, explanation_check, stored_check, write_explanation
from paper_code.book.claims import explanation_consistency, seeds_note
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
from paper_code.studies.grid import committed_trial
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
    """One results page: the run it shows, the coefficient it shows first, and (when a claim is graded) the seeds
    of its configuration found in ``results_dir`` and the study.

    The run shown is the committed study trial of the page's configuration when the study holds one
    (``committed``), so the built book shows the same numbers on every machine; otherwise the run computed on
    this machine. A run of the same key computed here is the *local reproduction* (:attr:`local`): it differs from
    the committed trial by rounding, amplified by training, and is shown only as such (on the page "Reproduce
    this"), never graded in its place.

    The figures are drawn by :mod:`paper_code.figures.run`, imported when a figure is asked for, so the page's
    text needs no plotly.
    """

    def __init__(self, results: Results, correlation: str = "pearson", results_dir: str | os.PathLike[str] = "results",
                 study_dir: str | os.PathLike[str] | None = "study/grid", compute_explanation: bool = False,
                 committed: bool = False) -> None:
        self.results = results
        self.correlation = check_correlation(correlation)
        self.results_dir = results_dir
        self.study_dir = study_dir
        self.committed = committed
        # A committed trial keeps no saved networks: its eq. (1)-(3) check is read from its folder or not at all.
        self.compute_explanation = compute_explanation and not committed
        #: Where the last :meth:`explanation` came from: "stored", "local" (the local reproduction) or "shown".
        self.check_source: str | None = None

    @cached_property
    def data(self) -> ClaimData:
        """What the claims are graded on (:func:`~paper_code.studies.claim_data.claim_data`), found on first use."""
        return claim_data(self.results, self.results_dir, self.study_dir, compute_explanation=self.compute_explanation)

    @cached_property
    def local(self) -> Results:
        """This configuration computed (or reused from the cache) on this machine."""
        return cached_run(self.results.config, checkout_path(self.results_dir), quiet=True)

    def provenance(self) -> Provenance:
        return provenance(self.results, committed=self.committed)

    def surface(self, pair: str) -> Any:
        from paper_code.figures.run import correlation_surface  # noqa: PLC0415  (page text needs no plotly)

        return correlation_surface(self.results.correlations, pair, self.correlation)

    def heatmap(self, pair: str) -> Any:
        from paper_code.figures.run import correlation_heatmap  # noqa: PLC0415  (page text needs no plotly)

        return correlation_heatmap(self.results.correlations, pair, self.correlation)

    def seeds_note(self, subject: str = "The grades") -> Markdown:
        return seeds_note(self.data, self.results.config.seed, subject)

    def grade(self, claim_id: str) -> Grade:
        return grade(self.data, claim_id, self.correlation)

    def explanation(self) -> ExplanationCheck:
        """The eq. (1)-(3) check of the run shown. A committed trial keeps no saved networks: its check is the one
        the study stored with it, or, where it stored none, the check of the local reproduction (computed here,
        and said so by :meth:`explanation_note`). A run of this machine is checked on its own networks; the check
        is stored in its folder and graded from then on."""
        if self.committed:
            stored = stored_check(self.results.path)
            self.check_source = "stored" if stored is not None else "local"
            return stored if stored is not None else self._checked(self.local, regrade=False)
        self.check_source = "shown"
        return self._checked(self.results, regrade=True)

    def _checked(self, run: Results, regrade: bool) -> ExplanationCheck:
        check = explanation_check(run)
        if regrade:
            self.data = claim_data(self.results, self.results_dir, self.study_dir, explanation=check)
        else:
            write_explanation(run.path, check)
        return check

    def explanation_note(self, check: ExplanationCheck) -> Markdown:
        """Where the check comes from, and whether it saw the networks of the run it checks."""
        text = explanation_consistency(check).text
        if self.check_source == "local":
            text = ("The committed trial of this configuration stored no eq. (1)-(3) check, and keeps no saved networks "
                    "to compute one from: the check below is computed on this machine's reproduction of it (the same "
                    "key, whose networks differ from the committed trial's by rounding amplified by training). " + text)
        return Markdown(text)

    def p_summary(self, check: ExplanationCheck) -> Any:
        """The labelled-output table to show over seeds: every seed's stored check, or this check alone."""
        if self.data.p_summary is not None:
            return self.data.p_summary
        return check.p_summary.assign(seed=self.results.config.seed)


def shown_run(results_dir: str | os.PathLike[str] = "results", study_dir: str | os.PathLike[str] | None = "study/grid",
              **parameters: Any) -> tuple[Results, bool]:
    """The run a page of ``parameters`` shows, and whether it is the committed study trial: the study's trial of
    the same key when ``study_dir`` holds one, else the run computed or reused on this machine (:func:`load_page`)."""
    if study_dir is not None:
        trial = committed_trial(checkout_path(study_dir), page_config(**parameters))
        if trial is not None:
            return trial, True
    return load_page(results_dir, **parameters), False


def results_page(results_dir: str | os.PathLike[str] = "results", correlation: str = "pearson",
                 study_dir: str | os.PathLike[str] | None = "study/grid", compute_explanation: bool = False,
                 **parameters: Any) -> ResultsPage:
    """The page a results notebook shows: plotly set up for where it is displayed, and the run of ``parameters``
    (:func:`shown_run`), its seeds found when a verdict needs them."""
    setup_plotly()
    correlation = check_correlation(correlation)
    results, committed = shown_run(results_dir, study_dir, **parameters)
    return ResultsPage(results, correlation, results_dir, study_dir, compute_explanation, committed)
