"""How figures reach a page: as plotly's own output in JupyterLab, as plain HTML in the static book.

While ``book/build.py`` executes the pages (it sets ``PAPER_CODE_BOOK``), plotly figures are emitted as
plain HTML that relies on the one copy of plotly.js each built page loads: no CDN and no 4.8 MB inline copy
per figure. In JupyterLab plotly's own renderer is left alone. Plotly is imported only when a renderer is
set up, so the page helpers that import this module need no plotly.
"""

from __future__ import annotations

import os
from typing import Any

from paper_code.extras import require

#: Set (to anything non-empty) by ``book/build.py`` while it executes the pages for the static book.
BOOK_ENV = "PAPER_CODE_BOOK"

#: Plotly's display options on every page.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def in_book_build() -> bool:
    return bool(os.environ.get(BOOK_ENV))


def _book_renderer() -> Any:
    pio = require("plotly.io", "book")
    base_renderers = require("plotly.io.base_renderers", "book")

    class BookRenderer(base_renderers.MimetypeRenderer):
        """Emit a figure as HTML that uses the page's single copy of plotly.js."""

        def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
            page = pio.to_html(
                fig_dict,
                full_html=False,
                include_plotlyjs=False,
                include_mathjax=False,
                validate=False,
                config=PLOTLY_CONFIG,
            )
            return {"text/html": page}

    return BookRenderer()


def setup_plotly(book: bool | None = None) -> str:
    """Register the ``book`` renderer; make it the default while building the book.

    ``book=None`` decides from the ``PAPER_CODE_BOOK`` environment variable, which
    ``book/build.py`` sets. Returns the default renderer in effect.
    """
    pio = require("plotly.io", "book")
    pio.renderers["book"] = _book_renderer()
    if book if book is not None else in_book_build():
        pio.renderers.default = "book"
    return pio.renderers.default
