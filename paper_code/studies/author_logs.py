"""The paper author's own λ-grid results, read from ``study/author_logs/final_accuracy.csv``.

The table holds every final average accuracy (10 tasks) printed in the four λ-grid logs of
``aakutalev/ewc-features`` (``section2/fully-connected-ewc-{mas,fisher,si,signal}.log``; see the
README in that folder for how it was extracted). Those runs share this study's network, tasks and
training setup, so at the λ both grids tried the two can be set side by side.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR

AUTHOR_LOGS_FILE = STUDY_DIR / "author_logs" / "final_accuracy.csv"
#: The script of the author's that regularizes with each of this library's importances.
SCRIPT_OF: dict[str, str] = {"mas": "mas", "fis": "fisher", "si": "si", "sig": "signal"}


def read_author_logs(path: str | Path = AUTHOR_LOGS_FILE) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path} is missing: it ships with the repository (study/author_logs/)")
    return pd.read_csv(path)


def author_summary(logs: pd.DataFrame) -> pd.DataFrame:
    """``reg, lam, runs, accuracy_mean, accuracy_std`` of the author's grids, in this library's method names."""
    reg_of = {script: reg for reg, script in SCRIPT_OF.items()}
    frame = logs.assign(reg=logs["script"].map(reg_of), lam=logs["lam"].astype(float))
    grouped = frame.groupby(["reg", "lam"])["final_accuracy"]
    return grouped.agg(runs="count", accuracy_mean="mean", accuracy_std="std").reset_index()


def author_best(logs: pd.DataFrame) -> pd.DataFrame:
    """The author's best λ per importance (highest mean final accuracy), with its number of runs."""
    summary = author_summary(logs)
    best = summary.loc[summary.groupby("reg")["accuracy_mean"].idxmax()]
    return best.reset_index(drop=True)
