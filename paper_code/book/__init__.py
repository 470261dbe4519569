"""The book's formatting: how a page writes the numbers, intervals and tables of its findings record.

The prose of every page is written by hand in its notebook (``book/*.ipynb``); the numbers come from the findings
records of :mod:`paper_code.studies.findings`, glued into the prose by :class:`PageFindings`, which also holds
each interpretation to the data (:meth:`PageFindings.require`). This package computes no statistic and imports
neither pandas nor numpy (an import contract in ``pyproject.toml`` keeps it so): it reads plain JSON values.

- :mod:`.findings`: a record glued into a page, and the checks that hold the prose to it;
- :mod:`.numbers`: how a number, an interval or a list of seeds is written;
- :mod:`.markdown`, :mod:`.tables` and the tables of each kind of page (:mod:`.grid_tables`, :mod:`.trained_tables`,
  :mod:`.variations`, :mod:`.noise`); :mod:`.foot`: where a page's numbers come from; :mod:`.options`: the
  manual's tables of command-line options.

Importing this package loads no plotly: figures come from :mod:`paper_code.figures`.
"""

from __future__ import annotations

from paper_code.book.findings import FindingNoLongerHolds, PageFindings, Record
from paper_code.book.foot import page_foot, runs_foot
from paper_code.book.launch import binder_dashboard_link
from paper_code.book.markdown import Markdown, table
from paper_code.book.noise import noise_members_table, noise_pairs_table
from paper_code.book.options import options_table
from paper_code.book.tables import claims_table as graded_claims_table
from paper_code.book.tables import controls_table, regularizer_grades_table
from paper_code.book.variations import grades_table, key_numbers_table, settings_table, variants_table
from paper_code.locations import checkout_path

__all__ = [
    "FindingNoLongerHolds", "Markdown", "PageFindings", "Record", "binder_dashboard_link", "checkout_path", "controls_table", "grades_table",
    "graded_claims_table", "key_numbers_table", "noise_members_table", "noise_pairs_table", "options_table", "page_foot",
    "regularizer_grades_table", "runs_foot", "settings_table", "table", "variants_table",
]
