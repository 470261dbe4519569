"""Markdown that reads the same in JupyterLab and in the static book (MyST roles included), and tables built from
plain rows: formatting only, no pandas."""

from __future__ import annotations

from typing import Any, Sequence


class Markdown:
    """Markdown output that both JupyterLab and the book render (the book with MyST roles)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Markdown:
    """A Markdown table from a header and rows of values (each written with ``str``)."""
    lines = ["| " + " | ".join(_cell(c) for c in header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return Markdown("\n".join(lines))
