"""A findings record: every number, interval, grade and comparison one page of the book states, as plain JSON.

A record is a nested dict of JSON values (numbers, strings, lists, dicts). It is computed once, by the study
layer, from the committed study's CSVs, and written to ``study/findings/<page>.json``; the pages, README and the
dashboard read it and never compute what it holds. Floats are kept to :data:`SIGNIFICANT` significant digits, so a
record recomputed on another machine (another summation order, the last bits of a float) writes the same file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from paper_code.analysis.spread import paired_interval
from paper_code.atomic import write_bytes_atomically
from paper_code.locations import STUDY_DIR

#: Where the committed records live, one file per page.
FINDINGS_DIR = STUDY_DIR / "findings"
#: Significant digits kept of every float (a correlation or an accuracy needs four; the rest is rounding).
SIGNIFICANT = 6


def plain(value: Any) -> Any:
    """``value`` as JSON values: numpy scalars and tuples unwrapped, floats rounded to :data:`SIGNIFICANT` digits,
    NaN as ``None``."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{SIGNIFICANT}g}")
    raise TypeError(f"a findings record holds JSON values only, not {type(value).__name__}")


def record_path(page: str, root: Path = FINDINGS_DIR) -> Path:
    return Path(root) / f"{page}.json"


def write_record(page: str, record: dict[str, Any], root: Path = FINDINGS_DIR) -> Path:
    """Write one page's record (atomically: a reader sees the old file or the new one)."""
    path = record_path(page, root)
    write_bytes_atomically(path, (json.dumps(plain(record), indent=1, ensure_ascii=False) + "\n").encode())
    return path


def read_record(page: str, root: Path = FINDINGS_DIR) -> dict[str, Any]:
    path = record_path(page, root)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python -m paper_code findings` to write the records")
    return json.loads(path.read_text())


def differences(expected: Any, found: Any, where: str = "", rel: float = 1e-5) -> list[str]:
    """Where two records differ: keys missing on either side, other values, floats further apart than ``rel``
    (relative) — each as one line naming the key."""
    if isinstance(expected, dict) and isinstance(found, dict):
        lines = []
        for key in sorted(set(expected) | set(found)):
            name = f"{where}.{key}" if where else str(key)
            if key not in found:
                lines.append(f"{name}: missing from the recomputed record")
            elif key not in expected:
                lines.append(f"{name}: new in the recomputed record")
            else:
                lines += differences(expected[key], found[key], name, rel)
        return lines
    if isinstance(expected, list) and isinstance(found, list) and len(expected) == len(found):
        return [line for i, (a, b) in enumerate(zip(expected, found)) for line in differences(a, b, f"{where}[{i}]", rel)]
    numbers = (int, float)
    if (isinstance(expected, numbers) and isinstance(found, numbers) and not isinstance(expected, bool)
            and not isinstance(found, bool)):
        if math.isclose(expected, found, rel_tol=rel, abs_tol=1e-12):
            return []
    elif expected == found:
        return []
    return [f"{where}: committed {expected!r}, recomputed {found!r}"]


def statistic(quantity: str, **qualifiers: Any) -> str:
    """The label of one statistic: what it is and everything that makes it this number and no other ("final
    accuracy | reg=mas | lam=3 | seeds=0,1,2,3,4"). A record puts it under a value's ``label`` key; wherever two
    values carry one label they must be equal (a test reads every label of the built pages), so two numbers that
    differ (the seed-0 trial, the mean of five seeds, a retrained network) never share one."""
    def text(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return ",".join(text(v) for v in value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    return " | ".join([quantity, *(f"{key}={text(value)}" for key, value in qualifiers.items())])


def labelled_grade(grade: Any) -> dict[str, Any]:
    """A claim's grade (:class:`~paper_code.studies.grading.Grade`) as a record entry, labelled by the claim, the
    coefficient and the seeds it was graded on."""
    entry = grade.record()
    entry["label"] = statistic("grade", claim=grade.claim, kind=grade.kind or "none", seeds=list(grade.seeds))
    return entry


def interval(values: Any, **extra: Any) -> dict[str, Any]:
    """A mean over seeds (or runs) with the half-width of its 95 % interval (Student's t), as every record writes
    one: ``mean``, ``half``, ``seeds`` (how many values, NaN left out), and any ``extra`` keys (a ``label``, a
    ``percent`` or ``signed`` flag for how the book writes it)."""
    mean, half, n = paired_interval(list(values))
    return {"mean": mean, "half": half, "seeds": n, **extra}
