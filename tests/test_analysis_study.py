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
from paper_code.analysis.summaries import oldest_minus_newest, pair_agreement, pruning_gaps, ranking_change
from paper_code.book.analysis import (
    agreement_findings,
    ranking_findings,
    ranking_table,
    task_findings,
    top_weights_note,
    unit_share_findings,
    unit_share_table,
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


def test_ranking_change_pairs_the_two_rankings_and_random_by_seed():
    noise = [[0.01, -0.02], [0.03, 0.0], [-0.01, 0.02]]  # seed × task

    def accuracy(method, ranking, seed, task):
        base = {"fis": 0.6, "mas": 0.7, "random": 0.65, "magnitude": 0.55}[method] + noise[seed][task - 1]
        lift = {"fis": 0.1 + 0.01 * seed, "mas": 0.0 + 0.002 * (seed - 1), "random": 0.05, "magnitude": 0.0}[method]
        return base + (lift if ranking == "saliency" else 0.0) + (0.1 if task == 2 and method == "mas" else 0.0)

    change = ranking_change(_ranked(accuracy)).set_index("method")
    # FIS: saliency − importance per seed = 0.10, 0.11, 0.12 (the noise cancels within a seed).
    mean, half = _t_interval([0.10, 0.11, 0.12])
    assert change.loc["fis", "change"] == pytest.approx(mean) and change.loc["fis", "change_ci"] == pytest.approx(half, rel=1e-3)
    # FIS against random, ranked by importance: 0.6 − 0.65 on every seed (no spread).
    assert change.loc["fis", "importance_vs_random"] == pytest.approx(-0.05)
    assert change.loc["fis", "importance_vs_random_ci"] == pytest.approx(0.0, abs=1e-12)
    # MAS ranked by saliency against random ranked by itself: 0.7 + 0.05 (task 2's +0.1 over two tasks) − 0.65.
    mean, half = _t_interval([0.1 + 0.002 * (seed - 1) for seed in range(3)])
    assert change.loc["mas", "saliency_vs_random"] == pytest.approx(mean)
    assert change.loc["mas", "saliency_vs_random_ci"] == pytest.approx(half, rel=1e-3)
    # FIS ranked by saliency against |w| ranked by itself: 0.6 + 0.10..0.12 − 0.55 (the noise cancels).
    mean, half = _t_interval([0.15, 0.16, 0.17])
    assert change.loc["fis", "saliency_vs_magnitude"] == pytest.approx(mean)
    assert change.loc["fis", "saliency_vs_magnitude_ci"] == pytest.approx(half, rel=1e-3)
    assert list(ranking_table(change.reset_index()).importance) == ["FIS", "MAS"]  # the references get no row
    text = ranking_findings(change.reset_index()).text
    assert "keeps measurably more accuracy with Ω·w²: FIS (+0.110 ± 0.025)" in text
    assert "not measurably different with Ω·w²: MAS (+0.000 ± 0.005)" in text
    assert "FIS, MAS measurably beat random removal (2 of 2)" in text
    # |w| itself: 0.55 + the mean noise 0.005; MAS: 0.7 + 0.05 (task 2) + 0.002·(seed − 1) − 0.55.
    assert "Against pruning by |w| (0.555): measurably ahead of it: FIS (+0.160 ± 0.025), MAS (+0.200 ± 0.005)" in text


def test_oldest_minus_newest_is_paired_by_seed():
    def accuracy(method, ranking, seed, task):
        return (0.5 + 0.01 * seed + (0.2 + 0.01 * seed if task == 2 else 0.0)) if method == "fis" else 0.6 + 0.01 * seed

    gap = oldest_minus_newest(_ranked(accuracy), "global", 0.5).set_index("method")
    mean, half = _t_interval([-0.20, -0.21, -0.22])
    assert gap.loc["fis", "difference"] == pytest.approx(mean) and gap.loc["fis", "difference_ci"] == pytest.approx(half, rel=1e-3)
    assert gap.loc["mas", "difference"] == pytest.approx(0.0)
    text = task_findings(gap.reset_index(), "global", 0.5).text
    assert "lower for FIS −0.210" in text.replace("-", "−") and "not measurably different for MAS" in text


def test_top_weights_note_averages_layers_and_seeds():
    rows = [dict(seed=seed, method_a=a, method_b=b, layer=layer, k=k, jaccard=value + 0.01 * seed + 0.1 * layer)
            for seed in (0, 1) for layer in (1, 2) for k in (1.0, 10.0)
            for a, b, value in (("fis", "mas", 0.2), ("si", "fis", 0.1), ("mas", "si", 0.3))]
    text = top_weights_note(pd.DataFrame(rows)).text
    # FIS–MAS: 0.2 + mean(0, 0.01) + mean(0.1, 0.2) = 0.355; the pair is found in either order (SI–FIS).
    assert "top-1 % weights overlap at Jaccard FIS–MAS 0.36, FIS–SI 0.26, MAS–SI 0.46" in text
    assert "2 seeds" in text and "two random rankings: 0.005" in text


def test_unit_share_sentences_follow_the_thresholds():
    share = pd.DataFrame([
        dict(pair="mas_sig", layer=1, pearson=0.5, pearson_rank1=0.8, pearson_residual=0.05, rank1_share=0.97),
        dict(pair="mas_fis", layer=1, pearson=0.9, pearson_rank1=0.9, pearson_residual=0.8, rank1_share=0.9),
        dict(pair="mas_si", layer=3, pearson=0.6, pearson_rank1=0.3, pearson_residual=0.6, rank1_share=0.3),
        dict(pair="si_sig", layer=2, pearson=0.1, pearson_rank1=0.5, pearson_residual=0.0, rank1_share=3.0),
    ])
    text = unit_share_findings(share).text
    assert "MAS–SIG** — layer 1: r = 0.50, 97% of the covariance in the rank-1 parts, residuals r = 0.05: **unit structure**" in text
    assert "**unit structure, and weight by weight as well**" in text
    assert "**mostly beyond unit structure**" in text
    assert "r = 0.10, too weak to split" in text
    assert "Of the 3 (pair, layer) cells with |r| ≥ 0.2, the rank-1 parts carry at least 80% of the covariance in 2; in 1" in text
    # The table splits exactly the cells the text splits.
    shares = unit_share_table(share)["covariance in the rank-1 parts"].tolist()
    assert shares == ["97%", "90%", "30%", "– (r too weak to split)"]


def test_agreement_findings_rank_correlation_across_pairs():
    agreement = pd.DataFrame(dict(
        pair=["mas_fis", "mas_si", "mas_sig", "mas_random"], method_a=["fis", "mas", "mas", "mas"],
        method_b=["mas", "si", "sig", "random"], pearson=[0.9, 0.7, 0.4, 0.0], spearman=[0.9, 0.7, 0.4, 0.0],
        jaccard_10=[0.6, 0.3, 0.2, 0.05], gap_layer=[0.01, 0.05, 0.03, 0.2], alike_layer=[True, False, True, False],
        gap_global=[0.02, 0.04, 0.01, 0.3], alike_global=[True, False, True, False],
    ))
    text = agreement_findings(agreement).text
    assert "Spearman ρ = +1.00" in text  # correlation and overlap in the same order
    assert "pruning gap with ρ = -0.80" in text  # ranks of the gaps: 1, 3, 2, 4 against 4, 3, 2, 1
    assert "2 of 4 pairs prune alike" in text
    # A pair apart under both scopes is named once, with both gaps.
    assert "still prune apart: MAS–SI (r = 0.70; layer-wise gap 0.050, global gap 0.040)." in text



def test_eq23_comparison_pairs_both_readings_with_the_rank1_fits_by_seed():
    """Hand-made tables, 3 seeds, one layer: the per-sample reading leads the rank-1 fit by 0.02, 0.03, 0.04
    for FIS (mean 0.03, sd 0.01: interval ± 4.303·0.01/√3) and trails it for MAS; the task before the last is
    ignored."""
    from types import SimpleNamespace

    from paper_code.analysis.summaries import eq23_comparison
    from paper_code.book.analysis import eq23_findings

    eq, fits = [], []
    for seed, (fis_ps, mas_ps) in enumerate([(0.92, 0.80), (0.93, 0.81), (0.94, 0.79)]):
        for task, shift in ((1, -0.5), (2, 0.0)):
            eq += [dict(seed=seed, task=task, layer=1, comparison=c, pearson=v + shift, spearman=0.0) for c, v in
                   (("eq2", 0.5), ("eq2_per_sample", fis_ps), ("eq3", 0.7), ("eq3_per_sample", mas_ps))]
            fits += [dict(seed=seed, task=task, layer=1, method=m, importances="per_task", pearson_fit=0.9 + shift,
                          energy_share=0.0, variance_share=0.0) for m in ("fis", "mas")]
    analysis = SimpleNamespace(eq23=pd.DataFrame(eq), structure=pd.DataFrame(fits))
    frame = eq23_comparison(analysis).set_index("method")
    assert frame.loc["fis", "per_sample"] == pytest.approx(0.93) and frame.loc["fis", "rank1"] == pytest.approx(0.9)
    assert frame.loc["fis", "per_sample_minus_rank1"] == pytest.approx(0.03)
    assert frame.loc["fis", "per_sample_minus_rank1_ci"] == pytest.approx(4.303 * 0.01 / 3 ** 0.5, rel=1e-6)
    assert frame.loc["fis", "rank1_minus_summed"] == pytest.approx(0.4)
    assert frame.loc["mas", "per_sample_minus_rank1"] == pytest.approx(-0.1)
    text = eq23_findings(eq23_comparison(analysis)).text
    assert "**FIS** (layer 1): the per-sample reading reproduces it at r = 0.93, measurably closer than the rank-1 fit on every layer" in text
    assert "**MAS** (layer 1): the per-sample reading reproduces it at r = 0.80, not measurably closer than the rank-1 fit on any layer, measurably further on every layer" in text


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
