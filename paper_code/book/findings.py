"""A page's findings record, inserted into its prose and held to it.

A notebook reads its record (computed by :mod:`paper_code.studies.findings`), calls :meth:`PageFindings.glue` in a
hidden cell, and writes its prose by hand with the numbers inserted by myst-nb's roles: ``{glue:text}`name``` (a
float takes a format spec: ``{glue:text}`claims.mas_fis.low:.2f```). Every value of the record is glued under its
dotted path; an interval (``mean`` and ``half``) also under its own path, written "mean ± half"
(:func:`~paper_code.book.numbers.interval`), and a list of seeds as ranges.

A paragraph that interprets a finding declares what it relies on with :meth:`PageFindings.require`, in a cell of
its own beside it. On a page built from the committed study the build fails when the condition no longer holds;
on a page run with other parameters the reader sees, in place, which sentence no longer describes this run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from paper_code.book.numbers import interval, is_interval, seed_list
from paper_code.locations import checkout_path
from paper_code.book.markdown import Markdown


#: How a value the record holds as ``None`` (not measured, or undefined: one seed has no spread) is written.
NOT_MEASURED = "—"


class FindingNoLongerHolds(AssertionError):
    """A page's prose says something its findings no longer support."""


class Record:
    """Attribute access to a nested record: ``f.claims.mas_fis.grade`` for ``f["claims"]["mas_fis"]["grade"]``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(f"the record has no {name!r} (it has: {', '.join(self._data)})") from None
        return Record(value) if isinstance(value, dict) else value

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name) if name in self._data else default

    def keys(self):
        return self._data.keys()

    def values(self) -> list[Any]:
        return [getattr(self, key) for key in self._data]

    def raw(self) -> dict[str, Any]:
        return self._data


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every value of a record under its dotted path, with the written forms of intervals and seed lists."""
    if isinstance(data, dict):
        if is_interval(data) and prefix:
            yield prefix, interval(data["mean"], data["half"], percent=bool(data.get("percent")),
                                   plus=bool(data.get("signed")))
        for key, value in data.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        if prefix.endswith("seeds") and all(isinstance(v, int) for v in data):
            yield prefix, seed_list(data)
        for index, value in enumerate(data):
            yield from flatten(value, f"{prefix}.{index}")
    elif data is None:
        yield prefix, NOT_MEASURED
    else:
        yield prefix, data


#: A glue role in a page's Markdown, and the name it pastes (a format spec after the last colon is dropped).
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]+)`")


def glued_names(notebook_path: Path) -> set[str]:
    """The names the prose of a notebook pastes with myst-nb's glue roles."""
    notebook = json.loads(Path(notebook_path).read_text())
    names = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for reference in GLUE_ROLE.findall("".join(cell["source"])):
                names.add(reference.split(":", 1)[0])  # a record's names hold no colon; a format spec follows one
    return names


def names_with_labels(names: set[str], values: dict[str, Any]) -> set[str]:
    """``names`` and, for each, the label of the nearest labelled statistic it belongs to (``x.label`` for ``x``
    or ``x.mean``), so a check can read what every number on a page stands for."""
    found = {name for name in names if name in values}
    for name in list(found):
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            label = ".".join(parts[:end]) + ".label"
            if label in values:
                found |= {label} | ({".".join(parts[:end])} & set(values))
                break
    return found


class PageFindings(Record):
    """One page's record; ``strict`` when the page shows the committed study (its prose must hold)."""

    def __init__(self, data: dict[str, Any], strict: bool) -> None:
        super().__init__(data)
        self.strict = strict

    def glue(self, page: str | None = None) -> int:
        """Glue the record's values into the notebook (nothing displayed); returns how many.

        With ``page`` (the notebook's name under ``book/``, e.g. ``"s3_1_mas_fis"``), only the values its prose
        names are glued, with the label of each (or of the statistic it belongs to): a record of a thousand values
        would otherwise put a thousand outputs in the page. Without it, or where the notebook's source is not at
        hand (a page run outside the checkout), every value is."""
        from myst_nb import glue  # noqa: PLC0415  (only a running notebook glues)

        values = dict(flatten(self._data))
        source = checkout_path("book") / f"{page}.ipynb" if page is not None else None
        if source is not None and source.is_file():
            values = {name: values[name] for name in sorted(names_with_labels(glued_names(source), values))}
        for name, value in values.items():
            glue(name, value, display=False)
        return len(values)

    def require(self, condition: bool, says: str) -> None:
        """The paragraph beside this call says ``says``, which holds only when ``condition`` does.

        Built from the committed study, a false condition stops the build (:class:`FindingNoLongerHolds`); on a run
        with other parameters the page shows a note in place of silence (displayed at once, so a cell may hold
        several checks)."""
        if condition:
            return
        if self.strict:
            raise FindingNoLongerHolds(f"the page says {says!r}, which the findings no longer support")
        note = Markdown(f":::{{warning}}\nOn this run the paragraph above no longer holds: it says {says}.\n:::")
        from IPython.display import display  # noqa: PLC0415  (only a running notebook shows the note)

        display(note)
