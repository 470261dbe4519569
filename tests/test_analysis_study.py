"""The committed analysis: written from several seeds' folders, read back by the pages, its rules on
hand-made tables, and the committed provisional files consistent with their runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from paper_code import run_experiment
from paper_code.analysis.across_seeds import (
    ANALYSIS_DIR,
    RUNS_FILE,
    TABLES,
    analysis_folders,
    analysis_key,
    load_analysis,
    write_analysis,
)
from paper_code.analysis.pruning import task_means
from paper_code.analysis.summaries import (
    pair_agreement,
    pruning_gaps,
    rank_correlation,
    unit_share_counts,
    unit_share_reading,
)
from paper_code.config import Config
from paper_code.errors import ConfigError, ResultsError

from conftest import small_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    base = tmp_path_factory.mktemp("seeds")
    folders = []
    for seed in (0, 1):
        folder = base / f"seed{seed}"
        run_experiment(small_config(seed=seed, train_size=1000, importance_samples=300, test_size=300), folder,
                       quiet=True)
        folders.append(folder)
    return folders


def test_write_and_load_an_analysis(two_seeds, tmp_path):
    out = write_analysis(two_seeds, tmp_path / "analysis", fractions=(0.0, 0.5), percents=(10.0,))
    config = small_config(seed=0, train_size=1000, importance_samples=300, test_size=300)
    assert out.name == config.key
    analysis = load_analysis(tmp_path / "analysis")
    assert analysis.seeds == [0, 1] and set(analysis.tables) == {Path(n).stem for n in TABLES}
    for name, table in analysis.tables.items():
        assert list(table.columns)[0] == "seed" and set(table.seed) == {0, 1}, name
    # The paper's pairs, recomputed from the stored importances, are the runs' own correlations (to 6 decimals).
    for seed, folder in zip((0, 1), two_seeds):
        own = pd.read_csv(folder / "correlations.csv")
        mine = analysis.correlations[analysis.correlations.seed == seed]
        merged = own.merge(mine, on=["pair", "layer", "task"], suffixes=("_run", ""))
        assert len(merged) == len(own)
        assert (merged.pearson - merged.pearson_run).abs().max() <= 5e-7
    pruning = analysis.pruning
    assert set(pruning.fraction) == {0.0, 0.5} and set(pruning.scope) == {"layer", "global"}
    assert set(pruning.ranking) == {"importance", "saliency"} and set(pruning.task) == {1, 2}
    unpruned = pruning[pruning.fraction == 0.0].groupby(["seed", "task"]).accuracy.unique()
    assert all(len(values) == 1 for values in unpruned)  # every method's unpruned network is the same one
    assert set(analysis.eq23.comparison) == {"eq2", "eq2_per_sample", "eq3", "eq3_per_sample", "drop_inverse_p"}
    # A table of an older format (pruning.csv before its ranking and task columns) is refused in one line.
    old = pd.read_csv(out / "pruning.csv").drop(columns=["ranking", "task"])
    old.to_csv(out / "pruning.csv", index=False)
    with pytest.raises(ResultsError, match="pruning.csv lacks the columns ranking, task .* rerun `make analysis`"):
        load_analysis(tmp_path / "analysis")


def test_runs_of_different_configurations_are_refused(two_seeds, tmp_path):
    with pytest.raises(ConfigError, match="differ in more than their seed"):
        analysis_key([Config(seed=0), Config(seed=1, lam=10.0)])
    with pytest.raises(ConfigError, match="share a seed"):
        analysis_key([Config(seed=1), Config(seed=1)])
    with pytest.raises(ResultsError, match="holds no analysis"):
        load_analysis(tmp_path / "empty")


# --------------------------------------------------------------------------- rules on hand-made tables
def _pruning(curves: dict[str, list[list[float]]]) -> pd.DataFrame:
    """curves[method][seed] = accuracies at fractions 0.5 and 0.9 (layer scope)."""
    rows = []
    for method, seeds in curves.items():
        for seed, values in enumerate(seeds):
            for fraction, accuracy in zip((0.5, 0.9), values):
                rows.append(dict(seed=seed, method=method, ranking="importance", scope="layer", fraction=fraction,
                                 after_task=3, removed=0, task=1, accuracy=accuracy))
    return pd.DataFrame(rows)


def test_two_methods_prune_alike_only_within_the_seed_spread():
    pruning = _pruning({"fis": [[0.80, 0.50], [0.70, 0.40]], "mas": [[0.78, 0.47], [0.70, 0.41]],
                        "magnitude": [[0.90, 0.80], [0.91, 0.79]]})
    gaps = pruning_gaps(pruning).set_index(["method_a", "method_b"])
    # fis and mas: seed-mean gaps 0.01 and 0.01; std per fraction 0.0707/0.0566 and 0.0707/0.0424.
    assert gaps.loc[("fis", "mas"), "gap"] == pytest.approx(0.01)
    assert bool(gaps.loc[("fis", "mas"), "alike"])
    assert gaps.loc[("fis", "magnitude"), "gap"] == pytest.approx((0.155 + 0.345) / 2)
    assert not bool(gaps.loc[("fis", "magnitude"), "alike"])


def _ranked(accuracy) -> pd.DataFrame:
    """A pruning table of two tasks at one pruned fraction (global): accuracy(method, ranking, seed, task)."""
    rows = []
    for method in ("fis", "mas", "random", "magnitude"):
        for ranking in ("importance", "saliency"):
            for seed in range(3):
                for task in (1, 2):
                    rows.append(dict(seed=seed, method=method, ranking=ranking, scope="global", fraction=0.5,
                                     after_task=2, removed=10, task=task, accuracy=accuracy(method, ranking, seed, task)))
    return pd.DataFrame(rows)


def _t_interval(values) -> tuple[float, float]:
    """Mean and 95 % half-width from scipy's t quantile (the library's table holds it to 3 decimals)."""
    values = np.asarray(values, dtype=float)
    return values.mean(), stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))


def test_unit_share_readings_follow_the_thresholds():
    share = pd.DataFrame([
        dict(pair="mas_sig", layer=1, pearson=0.5, pearson_rank1=0.8, pearson_residual=0.05, rank1_share=0.97),
        dict(pair="mas_fis", layer=1, pearson=0.9, pearson_rank1=0.9, pearson_residual=0.8, rank1_share=0.9),
        dict(pair="mas_si", layer=3, pearson=0.6, pearson_rank1=0.3, pearson_residual=0.6, rank1_share=0.3),
        dict(pair="si_sig", layer=2, pearson=0.1, pearson_rank1=0.5, pearson_residual=0.0, rank1_share=3.0),
    ])
    readings = [unit_share_reading(r.pearson, r.rank1_share, r.pearson_residual) for r in share.itertuples()]
    assert readings == ["unit structure", "unit structure and weight by weight", "mostly beyond", "too weak"]
    counts = unit_share_counts(share)
    # |r| ≥ 0.2: three cells; ≥ 80 % in the fits: two; of these, residuals below 0.5: one; residuals ≥ 0.5: two.
    assert [len(counts[name]) for name in ("strong", "carried", "only", "beyond")] == [3, 2, 1, 2]


def test_rank_correlation_across_pairs():
    pearson = pd.Series([0.9, 0.7, 0.4, 0.0])
    assert rank_correlation(pearson, pd.Series([0.6, 0.3, 0.2, 0.05])) == pytest.approx(1.0)  # the same order
    # Ranks of the gaps 1, 3, 2, 4 against 4, 3, 2, 1 of r: ρ = 1 − 6 · (9 + 0 + 0 + 9) / (4 · 15) = −0.8.
    assert rank_correlation(pearson, pd.Series([0.01, 0.05, 0.03, 0.2])) == pytest.approx(-0.8)


# --------------------------------------------------------------------------- the committed files
def test_committed_analyses_are_complete_and_match_their_runs():
    folders = analysis_folders(ROOT / ANALYSIS_DIR)
    assert folders, "no committed analysis under study/analysis"
    for folder in folders:
        runs = pd.read_csv(folder / RUNS_FILE)
        assert len(runs) >= 3 and runs.seed.is_unique
        analysis = load_analysis(ROOT / ANALYSIS_DIR, folder.name)
        assert analysis.config.key == folder.name and analysis.config.seed == 0
        assert [analysis.config.replace(seed=int(s)).key for s in runs.seed] == runs.key.tolist()
        agreement = pair_agreement(analysis)
        assert len(agreement) == 21  # 7 importances (5 + 2 baselines), every pair once
        last = task_means(analysis.pruning[analysis.pruning.fraction == 0.0]).groupby("seed").accuracy.first()
        assert last.round(4).tolist() == runs.set_index("seed").final_accuracy.round(4).loc[last.index].tolist()
