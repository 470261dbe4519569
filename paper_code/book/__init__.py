"""The book's pages: text and HTML only. The notebooks import ``from paper_code import book``.

One module per kind of page, each turning the tables of the layers below into sentences and tables, never
computing a statistic of its own:

- :mod:`.pages`: a page's parameters turned into its run (:func:`results_page`), and what a results page shows;
- :mod:`.provenance`: which run a page shows, the setup as run;
- :mod:`.claims`: the claims' grades as the section pages and the discussion state them;
- :mod:`.grid`, :mod:`.analysis`, :mod:`.sensitivity`: the pages beyond the paper;
- :mod:`.render`: Markdown and tables that read the same in JupyterLab and in the static book.

Importing this package loads no plotly: figures come from :mod:`paper_code.figures`, imported where a page
draws one. The names below are those the notebooks and ``book/build.py`` call.
"""

from __future__ import annotations

from paper_code.book.claims import (
    claims_markdown,
    claims_summary,
    conclusions_markdown,
    explanation_consistency,
    literal_forms_findings,
    regularizer_findings,
    regularizer_table,
    shallow_network_reading,
)
from paper_code.book.findings import FindingNoLongerHolds, PageFindings, Record
from paper_code.book.foot import page_foot
from paper_code.book.tables import claims_table as graded_claims_table
from paper_code.book.tables import controls_table, regularizer_grades_table
from paper_code.book.pages import ResultsPage, check_correlation, load_page, page_config, results_page, shown_run
from paper_code.book.provenance import DOWNLOAD_FILES, DOWNLOADS_DIR, accuracy_summary, setup_table
from paper_code.book.render import Markdown, markdown_table
from paper_code.figures.renderer import BOOK_ENV, setup_plotly
from paper_code.locations import checkout_path
from paper_code.studies.claims import claims_table

__all__ = [
    "FindingNoLongerHolds", "PageFindings", "Record", "page_foot", "controls_table", "graded_claims_table", "regularizer_grades_table", "BOOK_ENV", "DOWNLOAD_FILES", "DOWNLOADS_DIR", "Markdown", "ResultsPage", "accuracy_summary", "check_correlation",
    "checkout_path", "claims_markdown", "claims_summary", "claims_table", "conclusions_markdown",
    "explanation_consistency", "literal_forms_findings", "load_page", "regularizer_findings", "regularizer_table",
    "shallow_network_reading", "markdown_table", "page_config",
    "results_page", "setup_plotly", "setup_table", "shown_run",
]
