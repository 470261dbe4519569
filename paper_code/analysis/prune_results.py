"""``python -m paper_code prune``: prune a results folder's network and compare the importances' top-k sets.

Both tables are computed before either file is written, and each file is written atomically, so a
failed or interrupted command leaves the folder as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from paper_code.analysis.overlap import DEFAULT_TOP_PERCENTS, topk_overlap_table
from paper_code.analysis.pruning import DEFAULT_FRACTIONS, RANKINGS, SCOPES, check_ranking, check_scope, pruning_table
from paper_code.analysis.ranking import check_fraction, check_percent
from paper_code.analysis.trained import check_task, load_trained, open_results
from paper_code.config import check_method
from paper_code.errors import ResultsError
from paper_code.results import PRUNING_FILE, TOPK_OVERLAP_FILE, write_csv


@dataclass(frozen=True)
class PruneOutput:
    pruning: pd.DataFrame
    overlap: pd.DataFrame
    pruning_path: Path
    overlap_path: Path


def prune_results(
    folder: str | os.PathLike[str],
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    scopes: Sequence[str] = SCOPES,
    after_task: int | None = None,
    methods: Iterable[str] | None = None,
    percents: Sequence[float] = DEFAULT_TOP_PERCENTS,
    out: str | os.PathLike[str] | None = None,
    data_root: str | os.PathLike[str] | None = None,
    rankings: Sequence[str] = RANKINGS,
) -> PruneOutput:
    """Write ``pruning.csv`` and ``topk_overlap.csv`` for the network after ``after_task`` (default: the last).

    Every argument is checked before the network is loaded: a bad fraction or scope, a task the folder
    does not hold, a folder without checkpoints or importances, each stops with one line.
    """
    fractions = [check_fraction(f) for f in fractions]
    scopes = [check_scope(s) for s in scopes]
    rankings = [check_ranking(r) for r in rankings]
    percents = [check_percent(p) for p in percents]
    if methods is not None:
        methods = tuple(methods)
        for name in methods:
            check_method(name)
    results = open_results(folder)
    trained = load_trained(results, check_task(results, after_task))
    pruning = pruning_table(trained, fractions, scopes, methods, data_root=data_root, rankings=rankings)
    overlap = topk_overlap_table(trained, percents, methods)
    target = Path(out) if out is not None else Path(folder)
    if target.exists() and not target.is_dir():
        raise ResultsError(f"--out {target} is a file, not a folder: choose another --out")
    write_csv(target / PRUNING_FILE, pruning.columns, pruning.to_dict("records"))
    write_csv(target / TOPK_OVERLAP_FILE, overlap.columns, overlap.to_dict("records"))
    return PruneOutput(pruning, overlap, target / PRUNING_FILE, target / TOPK_OVERLAP_FILE)
