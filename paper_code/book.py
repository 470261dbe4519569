"""The one import of the book's notebooks: ``from paper_code import book``.

Each name below lives in the module that owns its job; this module only gathers what the
pages call, so a notebook reads ``book.load_page(...)``, ``book.grade_claim(...)`` and so on:

- :mod:`paper_code.render`: figures that work offline, Markdown and tables;
- :mod:`paper_code.pages`: a page's parameters turned into its run, and the other seeds of it;
- :mod:`paper_code.provenance`: which run a page shows, the setup as run;
- :mod:`paper_code.claims` and :mod:`paper_code.grading`: the paper's claims, graded on seed bands;
- :mod:`paper_code.analysis.explanation`: the eq. (1)-(3) check on the saved networks;
- :mod:`paper_code.dashboard` and :mod:`paper_code.static_explorer`: the explore page's panels (not re-exported).
"""

from __future__ import annotations

from paper_code.analysis.explanation import (  # noqa: F401
    COMPARISONS,
    LITERAL_COMPARISONS,
    ExplanationCheck,
    explanation_check,
)
from paper_code.claims import CLAIMS, CLAIMS_BY_ID, ClaimData, claims_table  # noqa: F401
from paper_code.claims import grade as grade_claim  # noqa: F401
from paper_code.claim_pages import (  # noqa: F401
    claims_markdown,
    claims_summary,
    conclusions_markdown,
    explanation_consistency,
    grade_counts,
    grading_rules,
    literal_forms_findings,
    seeds_note,
)
from paper_code.grading import GRADES, Grade  # noqa: F401
from paper_code.pages import (  # noqa: F401
    check_correlation,
    claim_data,
    find_runs,
    load_page,
    page_config,
    resolve_results_dir,
    seed_runs,
)
from paper_code.provenance import (  # noqa: F401
    DOWNLOAD_FILES,
    DOWNLOADS_DIR,
    Provenance,
    accuracy_summary,
    describe,
    provenance,
    setup_table,
)
from paper_code.render import BOOK_ENV, Markdown, in_book_build, markdown_table, plural, setup_plotly  # noqa: F401
