"""Output that reads the same in JupyterLab and in the static book: figures, Markdown, tables.

While ``book/build.py`` executes the pages (it sets ``PAPER_CODE_BOOK``), plotly figures
are emitted as plain HTML that relies on the one copy of plotly.js each built page loads:
no CDN and no 4.8 MB inline copy per figure. In JupyterLab plotly's own renderer is left
alone.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

#: Set (to anything non-empty) by ``book/build.py`` while it executes the pages for the static book.
BOOK_ENV = "PAPER_CODE_BOOK"

#: Plotly's display options on every page.
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


def _book_renderer() -> Any:
    from paper_code.extras import require

    pio = require("plotly.io", "book")
    from plotly.io.base_renderers import MimetypeRenderer

    class BookRenderer(MimetypeRenderer):
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


def in_book_build() -> bool:
    return bool(os.environ.get(BOOK_ENV))


def setup_plotly(book: bool | None = None) -> str:
    """Register the ``book`` renderer; make it the default while building the book.

    ``book=None`` decides from the ``PAPER_CODE_BOOK`` environment variable, which
    ``book/build.py`` sets. Returns the default renderer in effect.
    """
    from paper_code.extras import require

    pio = require("plotly.io", "book")
    pio.renderers["book"] = _book_renderer()
    if book if book is not None else in_book_build():
        pio.renderers.default = "book"
    return pio.renderers.default


class Markdown:
    """Markdown output that both JupyterLab and the book render (the book with MyST roles)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def markdown_table(frame: pd.DataFrame) -> Markdown:
    """A DataFrame as a Markdown table (rendered by JupyterLab and by the book alike)."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markdown("\n".join([header, rule, *body]))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
