"""What the pages not yet narrated show of a results page (their grades and notes): the run itself, its seeds and
its findings come from :mod:`paper_code.studies.pages`."""

from __future__ import annotations

import os
from typing import Any

from paper_code.book.claims import explanation_consistency, seeds_note
from paper_code.book.markdown import Markdown
from paper_code.book.provenance import Provenance, provenance
from paper_code.figures.renderer import setup_plotly
from paper_code.studies import pages as study_pages
from paper_code.studies.claims import grade
from paper_code.studies.grading import Grade
from paper_code.studies.pages import check_correlation, load_page, page_config, shown_run

__all__ = ["ResultsPage", "check_correlation", "load_page", "page_config", "results_page", "shown_run"]


class ResultsPage(study_pages.ResultsPage):
    """A results page with the figures and notes of the pages that still show them through it."""

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

    def explanation_note(self, check) -> Markdown:
        text = explanation_consistency(check).text
        if self.check_source == "local":
            text = ("The committed trial of this configuration stored no eq. (1)-(3) check, and keeps no saved networks "
                    "to compute one from: the check below is computed on this machine's reproduction of it. " + text)
        return Markdown(text)

    def p_summary(self, check) -> Any:
        if self.data.p_summary is not None:
            return self.data.p_summary
        return check.p_summary.assign(seed=self.results.config.seed)


def results_page(results_dir: str | os.PathLike[str] = "results", correlation: str = "pearson",
                 study_dir: str | os.PathLike[str] | None = "study/grid", compute_explanation: bool = False,
                 **parameters: Any) -> ResultsPage:
    setup_plotly()
    correlation = check_correlation(correlation)
    results, committed = shown_run(results_dir, study_dir, **parameters)
    return ResultsPage(results, correlation, results_dir, study_dir, compute_explanation, committed)
