"""The theory study: Benzing's √F prediction on the saved networks of the paper's configuration.

The paper's configuration (EWC-MAS at its selected λ) is read on the held-out seeds
(:data:`~paper_code.studies.held_out.HELD_OUT_SEEDS`), every task and layer, by
:func:`paper_code.analysis.theory.theory_table`; the table is committed as ``study/theory/theory.csv`` and
summarized here. A seed is one independent network, so intervals are Student's t over the seeds of each seed's
mean over the cells it is summarized over; the weights of a layer are never counted as independent samples.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paper_code.analysis.spread import paired_interval
from paper_code.config import Config
from paper_code.errors import ResultsError
from paper_code.locations import STUDY_DIR
from paper_code.studies.held_out import HELD_OUT_SEEDS

THEORY_DIR = STUDY_DIR / "theory"
THEORY_FILE = "theory.csv"
#: The networks the theory is read on: the paper's configuration on the held-out seeds.
THEORY_SEEDS: tuple[int, ...] = HELD_OUT_SEEDS


def theory_configs() -> list[Config]:
    return [Config(seed=seed) for seed in THEORY_SEEDS]


def read_theory(folder: str | Path = THEORY_DIR) -> pd.DataFrame:
    path = Path(folder) / THEORY_FILE
    if not path.is_file():
        raise ResultsError(f"{path} is missing: run `make theory`")
    return pd.read_csv(path)


SUMMARY_STATISTICS: tuple[str, ...] = ("slope", "sd_slope", "pearson", "pearson_sqrt_x", "pearson_y_squared",
                                       "pearson_log", "spearman", "share_used")


def summarize(table: pd.DataFrame, by: tuple[str, ...] = ("kind", "layer", "x", "y")) -> pd.DataFrame:
    """Each statistic's mean over seeds (of each seed's mean over the remaining cells) and its 95 % half-width,
    grouped by ``by``; ``tasks`` names the tasks averaged."""
    rows = []
    for key, group in table.groupby(list(by), sort=False):
        per_seed = group.groupby("seed")[list(SUMMARY_STATISTICS)].mean()
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row.update(predicted=float(group.predicted.iloc[0]), seeds=len(per_seed),
                   tasks=f"{group.task.min()}-{group.task.max()}" if group.task.nunique() > 1 else str(group.task.iloc[0]))
        for statistic in SUMMARY_STATISTICS:
            mean, half, _ = paired_interval(per_seed[statistic].to_numpy())
            row[statistic], row[f"{statistic}_ci"] = mean, half
        rows.append(row)
    return pd.DataFrame(rows)
