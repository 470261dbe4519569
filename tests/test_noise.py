"""The noise band: its arithmetic on hand-made tables, the committed members, and what pages do with it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paper_code.config import Config
from paper_code.studies import noise
from paper_code.studies.grading import grade_cells

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def members_table(values: dict[int, list[float]]) -> pd.DataFrame:
    """One cell (mas_fis, layer 1, task 1), each seed's members with the given Pearson values."""
    rows = [dict(pair="mas_fis", layer=1, task=1, pearson=v, spearman=v / 2, seed=seed, member=f"m{i}")
            for seed, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_noise_band_pools_the_seeds_variances_by_hand():
    # seed 0: 0.70, 0.72, 0.74 -> sample variance 0.0004; seed 1: 0.80, 0.84 -> 0.0008.
    band = noise.noise_band(members_table({0: [0.70, 0.72, 0.74], 1: [0.80, 0.84]}))
    (row,) = band.itertuples()
    assert row.noise_std == pytest.approx(np.sqrt((0.0004 + 0.0008) / 2))
    assert row.noise_range == pytest.approx(0.04) and row.members == 2 and row.seeds == 2


def test_accuracy_noise_by_hand():
    accuracy = pd.DataFrame({"seed": [0, 0, 1, 1], "member": list("abab"), "final_accuracy": [0.94, 0.95, 0.95, 0.97]})
    # variances 0.00005 and 0.0002: σ = √0.000125
    assert noise.accuracy_sd(accuracy) == pytest.approx(np.sqrt(0.000125))


def test_reproduction_counts_differences_within_the_band():
    committed = pd.DataFrame({"pair": "mas_fis", "layer": [1, 2], "task": 1, "pearson": [0.80, 0.80]})
    local = committed.assign(pearson=[0.82, 0.90])
    band = pd.DataFrame({"pair": "mas_fis", "layer": [1, 2], "task": 1, "noise_std": [0.01, 0.01]})
    repro = noise.reproduction(local, committed, band)
    # 2·√2·0.01 = 0.0283: a difference of 0.02 lies within, one of 0.10 does not.
    assert repro.difference.tolist() == pytest.approx([0.02, 0.10]) and repro.within.tolist() == [True, False]


def test_grades_count_the_cells_within_the_rounding_noise_of_their_threshold():
    cells = pd.DataFrame({"cell": ["a", "b", "a", "b"], "value": [0.81, 0.95, 0.83, 0.97], "threshold": 0.8,
                          "op": ">", "seed": [0, 0, 1, 1], "noise": [0.02, 0.02, 0.02, 0.02]})
    grade = grade_cells("x", cells)
    # Cell a: mean 0.82, 0.02 above the threshold; 2 σ/√2 = 0.028: within. Cell b: 0.96, 0.16 above: not.
    assert (grade.within_noise, grade.held, grade.clear, grade.grade) == (1, 2, 1, "mostly holds")
    assert grade_cells("x", cells.drop(columns="noise")).within_noise is None
    # With sampling noise of σ 0.08 per run, shared by the seeds (not divided by √2): 2·√(0.02²/2 + 0.08²) = 0.1649;
    # cell b's 0.16 lies within it now.
    assert grade_cells("x", cells.assign(sampling=0.08)).within_noise == 2
    assert grade_cells("x", cells.assign(sampling=0.07)).within_noise == 1  # 2·√(0.0002 + 0.0049) = 0.1428


def test_the_committed_members_are_the_papers_configuration_and_distinct_where_counted():
    members = noise.load_members(ROOT / noise.NOISE_DIR, ROOT)
    table = members.table
    assert set(table.seed) == {0, 1}
    for seed, rows in table.groupby("seed"):
        distinct = rows[rows.same_as == ""]
        assert len(distinct) >= 5 and noise.STUDY_MEMBER in set(distinct.member)
        assert set(rows.member) >= {"threads1", "threads2", "aten_default", "nudge", "study"}
    # Each distinct member is another draw: no two share their numbers.
    for seed, rows in members.correlations.groupby("seed"):
        wide = rows.pivot_table(index=["pair", "layer", "task"], columns="member", values="pearson")
        assert wide.T.duplicated().sum() == 0
    assert noise.measures(Config(seed=7)) and not noise.measures(Config(lam=10.0))
    assert noise.noise_for(Config(lam=10.0), ROOT / noise.NOISE_DIR, ROOT) is None
