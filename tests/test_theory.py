"""Benzing's √F test: the log-log fits against scipy and a hand-made power law, and the table of a real run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import small_config
from paper_code import run_experiment
from paper_code.analysis.theory import SI_TASK_PAIRS, THEORY_COLUMNS, THEORY_PAIRS, loglog_fit, pair_row, theory_table
from paper_code.errors import PaperCodeError
from paper_code.studies.theory import summarize


def test_an_exact_square_root_law_has_slope_one_half():
    x = np.random.default_rng(0).lognormal(-8, 2, 5000)
    fit = loglog_fit(x, 3.0 * np.sqrt(x))
    assert fit["slope"] == pytest.approx(0.5, abs=1e-12) and fit["sd_slope"] == pytest.approx(0.5, abs=1e-12)
    assert fit["share_used"] == 1.0


def test_fits_match_scipy_and_skip_non_positive_entries():
    rng = np.random.default_rng(1)
    x = rng.lognormal(0, 1, 400)
    y = x ** 0.7 * rng.lognormal(0, 0.5, 400)
    y[:40] = -y[:40]  # SI can be negative: those weights have no logarithm
    x[40:50] = 0.0
    fit = loglog_fit(x, y)
    used = slice(50, None)
    reference = stats.linregress(np.log(x[used]), np.log(y[used]))
    assert fit["share_used"] == pytest.approx(350 / 400)
    assert fit["slope"] == pytest.approx(reference.slope, rel=1e-10)
    assert fit["pearson_log"] == pytest.approx(reference.rvalue, rel=1e-10)
    # The major axis is the OLS slope divided by r.
    assert fit["sd_slope"] == pytest.approx(reference.slope / reference.rvalue, rel=1e-10)
    row = pair_row(x, y)
    assert row["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic, rel=1e-10)
    assert row["pearson_sqrt_x"] == pytest.approx(stats.pearsonr(np.sqrt(x), y).statistic, rel=1e-10)
    assert row["pearson_y_squared"] == pytest.approx(stats.pearsonr(x, y * y).statistic, rel=1e-10)
    assert row["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic, rel=1e-10)


def test_summary_intervals_are_over_seeds_by_hand():
    table = pd.DataFrame([dict(seed=s, task=t, layer=1, kind="own", x="fis", y="mas", predicted=0.5,
                               **{c: v for c in ("slope", "sd_slope", "pearson", "pearson_sqrt_x",
                                                 "pearson_y_squared", "pearson_log", "spearman", "share_used")})
                          for s, t, v in [(3, 1, 0.4), (3, 2, 0.6), (4, 1, 0.7), (4, 2, 0.7), (5, 1, 0.2), (5, 2, 0.4)]])
    row = summarize(table).iloc[0]
    # Seed means 0.5, 0.7, 0.3: mean 0.5, sd 0.2, t(2) = 4.303 → half-width 4.303 · 0.2 / √3.
    assert row.slope == pytest.approx(0.5) and row.slope_ci == pytest.approx(4.303 * 0.2 / np.sqrt(3), rel=1e-3)
    assert row.seeds == 3 and row.tasks == "1-2"


@pytest.mark.slow
def test_theory_table_of_a_small_run(tmp_path):
    results = run_experiment(small_config(tasks=2), tmp_path / "run", quiet=True)
    twin = run_experiment(small_config(tasks=2, si_grad="task"), tmp_path / "twin", quiet=True)
    table = theory_table(results, si_task=twin)
    assert list(table.columns) == list(THEORY_COLUMNS)
    assert len(table) == 2 * 3 * 2 * (len(THEORY_PAIRS) + len(SI_TASK_PAIRS))  # tasks × layers × kinds × pairs
    # SI's task gradient is read from the twin, and on task 1 (no penalty yet) it is the paper's SI exactly.
    first = table[(table.task == 1) & (table.kind == "own") & (table.x == "fis")]
    assert first[first.y == "si_task"].slope.to_numpy() == pytest.approx(first[first.y == "si"].slope.to_numpy())
    other = run_experiment(small_config(tasks=2, si_grad="task", seed=1), tmp_path / "other", quiet=True)
    with pytest.raises(PaperCodeError, match="not .*configuration"):
        theory_table(results, si_task=other)
    own = table[(table.kind == "own") & (table.x == "fis") & (table.y == "fis_true")]
    assert own.slope.between(0.5, 1.5).all()  # two estimates of one Fisher
    assert table.share_used.between(0, 1).all() and table.spearman.abs().le(1).all()


def test_slope_verdicts_by_hand():
    from paper_code.studies.findings.theory import slope_check, slope_verdict
    near = pd.Series([0.50, 0.52, 0.54, 0.50, 0.54])  # mean 0.52, 90 % half-width 2.132 · 0.02 / √5 = 0.019
    far = pd.Series([0.78, 0.80, 0.82, 0.80, 0.80])  # its 95 % interval lies wholly above 0.6
    wide = pd.Series([0.40, 0.76, 0.58, 0.50, 0.66])  # mean 0.58, neither inside nor clearly outside
    assert slope_check(near, 0.5) == {"equivalent": True, "missed": False}
    assert slope_check(far, 0.5) == {"equivalent": False, "missed": True}
    assert slope_check(wide, 0.5) == {"equivalent": False, "missed": False}
    # Both estimators must agree for a verdict either way.
    assert slope_verdict(near, near - 0.03, 0.5) == "within"
    assert slope_verdict(far, far + 0.05, 0.5) == "outside"
    assert slope_verdict(far, near, 0.5) == "depends on the estimator"


def test_theory_record_of_a_two_seed_table():
    from paper_code.studies.findings.theory import theory_record
    rows = []
    for seed in (3, 4):
        for task in (1, 2):
            for layer in (1, 2, 3):
                for x, y in THEORY_PAIRS:
                    for kind in ("own", "accumulated"):
                        slope = 0.5 + 0.01 * seed if y in ("mas", "si") else 1.0
                        gain = 0.05 if task == 1 else -0.05  # squaring MAS helps after task 1, hurts after task 2
                        rows.append(dict(seed=seed, task=task, layer=layer, kind=kind, x=x, y=y,
                                         predicted=0.5 if y in ("mas", "si") else 1.0, share_used=1.0, slope=slope,
                                         sd_slope=slope, pearson=0.8, pearson_sqrt_x=0.9, pearson_y_squared=0.8 + gain,
                                         pearson_log=0.95, spearman=0.95))
    record = theory_record(pd.DataFrame(rows))
    entry = record["pairs"]["own"]["mas_fis"]["2"]
    assert entry["slope"]["mean"] == pytest.approx(0.535) and entry["predicted"] == 0.5
    assert entry["root_gain"]["mean"] == pytest.approx(0.1)
    assert record["mas_squared_by_task"][1]["mean"] == pytest.approx(0.05)
    assert record["mas_squared_by_task"][2]["mean"] == pytest.approx(-0.05)
    assert record["seeds"] == [3, 4] and record["layers"] == [1, 2, 3]
