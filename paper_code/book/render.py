"""Page text that reads the same in JupyterLab and in the static book: Markdown and tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_code.book.markdown import Markdown


def markdown_table(frame: pd.DataFrame) -> Markdown:
    """A DataFrame as a Markdown table (rendered by JupyterLab and by the book alike)."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markdown("\n".join([header, rule, *body]))
