"""Findings as data: one record per page of the book, every number and verdict that page states, computed once.

Each page's record is computed by one function of this package from the committed study (:data:`PAGES`) and
written to ``study/findings/<page>.json`` by ``python -m paper_code findings``; ``--check`` recomputes every record
and fails where a committed one differs (the tests run it, so the records never fall behind the study). The pages
read their record and insert its numbers into hand-written prose (:mod:`paper_code.book`); README and the
dashboard read the same files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from paper_code.locations import STUDY_DIR, checkout_path
from paper_code.studies.author_logs import AUTHOR_LOGS_FILE, read_author_logs
from paper_code.studies.findings.analysed import analysed
from paper_code.studies.findings.held_out import held_out_record
from paper_code.studies.findings.held_out_settings import settings_record
from paper_code.studies.held_out import ARMS
from paper_code.studies.findings.grid import grid_page_records
from paper_code.studies.findings.structure import structure_record
from paper_code.studies.findings.theory import theory_record
from paper_code.studies.theory import THEORY_DIR, read_theory
from paper_code.studies.findings.pruning import pruning_records
from paper_code.studies.findings.beyond import beyond_records
from paper_code.studies.findings.sensitivity import sensitivity_records
from paper_code.studies.findings.methodology import study_methodology
from paper_code.studies.findings.noise import study_reproduce
from paper_code.studies.findings.record import FINDINGS_DIR, differences, plain, read_record, record_path, write_record
from paper_code.studies.claim_data import regularizer_claim_data
from paper_code.studies.claims import claims_by_regularizer
from paper_code.studies.findings.sections import SECTIONS, discussion_record, section_record, study_claim_data
from paper_code.studies.grid import GRID_DIR


def _sections(study: Path) -> dict[str, dict[str, Any]]:
    data, shown = study_claim_data(study / GRID_DIR.name)
    records = {page: section_record(page, data, shown, committed=True) for page in SECTIONS}
    by_regularizer = claims_by_regularizer(regularizer_claim_data(study / GRID_DIR.name))
    records["discussion"] = discussion_record(data, by_regularizer)
    return records


def _controls(study: Path) -> dict[str, dict[str, Any]]:
    """"Does the importance matter?" on held-out seeds, every arm read from this study folder; ``beyond``: uniform
    anchoring and MAS's rank-1 fit on split and rotated MNIST."""
    logs = study / AUTHOR_LOGS_FILE.relative_to(STUDY_DIR)
    arms = {name: arm.rebased(study) for name, arm in ARMS.items()}
    record = held_out_record(arms, author_logs=read_author_logs(logs) if logs.is_file() else None)
    return {"b2": {**record, "beyond": settings_record(arms)}}


def _theory(study: Path) -> dict[str, dict[str, Any]]:
    return {"b9": theory_record(read_theory(study / THEORY_DIR.name))}


def _structure(study: Path) -> dict[str, dict[str, Any]]:
    return {"b6": structure_record(*analysed(study))}


#: The functions that compute the records from a study folder laid out like ``study/``, each with the pages it
#: writes (pages that read the same data are computed together).
GROUPS: dict[Callable[[Path], dict[str, dict[str, Any]]], tuple[str, ...]] = {
    _sections: (*SECTIONS, "discussion"),
    _controls: ("b2",),
    grid_page_records: ("b1", "b3", "b4"),
    _structure: ("b6",),
    _theory: ("b9",),
    pruning_records: ("b5",),
    sensitivity_records: ("b7",),
    beyond_records: ("b8",),
    study_methodology: ("methodology",),
    study_reproduce: ("reproduce",),
}


def compute_all(study: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every page's record, recomputed from the committed study (as JSON values)."""
    study = Path(study) if study is not None else checkout_path(GRID_DIR.parent)
    records: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        records.update({page: plain(record) for page, record in group(study).items()})
    return records


def page_record(page: str, study: str | Path | None = None,
                beside: dict[str, str] | None = None) -> tuple[dict[str, Any], bool]:
    """A study page's record and whether its prose must hold on it: the committed record when ``study`` is the
    committed study (or ``None``), else the record computed from the study folder given (a study of the reader's
    own, laid out like ``study/``).

    ``beside`` nests other pages' records from the same study under names of the page's choosing (``{"held_out":
    "b2"}``), for a page that sets its own numbers beside another study's: both then come from one study folder."""
    committed = checkout_path(GRID_DIR.parent)
    folder = checkout_path(study) if study is not None else committed
    strict = Path(folder).resolve() == Path(committed).resolve()
    record = {**_one_record(page, folder, strict),
              **{name: _one_record(other, folder, strict) for name, other in (beside or {}).items()}}
    return record, strict


def _one_record(page: str, folder: Path, committed: bool) -> dict[str, Any]:
    if committed:
        return read_record(page, checkout_path(FINDINGS_DIR))
    for group, pages in GROUPS.items():
        if page in pages:
            return plain(group(Path(folder))[page])
    raise KeyError(f"no findings record {page!r}: the pages with one are "
                   f"{', '.join(p for pages in GROUPS.values() for p in pages)}")


def write_all(study: Path | None = None, root: Path | None = None) -> list[Path]:
    root = Path(root) if root is not None else checkout_path(FINDINGS_DIR)
    return [write_record(page, record, root) for page, record in compute_all(study).items()]


def stale(study: Path | None = None, root: Path | None = None) -> dict[str, list[str]]:
    """Pages whose committed record differs from the one recomputed now, each with the lines that differ."""
    root = Path(root) if root is not None else checkout_path(FINDINGS_DIR)
    found = {}
    for page, record in compute_all(study).items():
        path = record_path(page, root)
        lines = ["the record is missing"] if not path.is_file() else differences(read_record(page, root), record)
        if lines:
            found[page] = lines
    return found


__all__ = ["FINDINGS_DIR", "GROUPS", "SECTIONS", "compute_all", "differences", "page_record", "read_record", "record_path",
           "section_record", "stale", "study_claim_data", "write_all", "write_record"]
