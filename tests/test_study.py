"""The committed study: its files match their configurations, its reference trial reruns to the same
numbers, the default λ is the one it selects; and the study's selection and band rules on hand-made tables."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import assert_same_within_rounding
from paper_code import run_experiment
from paper_code._version import NUMERICS_VERSION
from paper_code.config import DEFAULT_LAMBDA, Config
from paper_code.results import load_results
from paper_code.studies.grid import (
    COMMITTED_FILES,
    DEFAULT_REG,
    GRID_DIR,
    REFERENCE_CONFIG,
    REFERENCE_DIR,
    choose_lambda,
    grid_configs,
    per_task_versus_accumulated,
    best_lambdas,
    followup_configs,
    next_lambda,
    widened_configs,
    read_grid,
    seed_band,
)

ROOT = Path(__file__).resolve().parents[1]
STUDIES = (ROOT / GRID_DIR, ROOT / REFERENCE_DIR, ROOT / "study" / "optimizer_reset",
           ROOT / "study" / "sensitivity" / "si_task")


def trial_folders(study: Path) -> list[Path]:
    return sorted(p for p in (study / "trials").iterdir() if p.is_dir())


# --------------------------------------------------------------------------- the committed files
@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_trials_match_their_configs(study):
    table = read_grid(study)
    folders = trial_folders(study)
    assert sorted(table.trial_dir) == sorted(f"trials/{p.name}" for p in folders)
    for folder in folders:
        meta = json.loads((folder / "config.json").read_text())
        config = Config.from_dict(meta["config"])
        assert folder.name == meta["key"] == config.key, folder
        assert meta["complete"] and meta["completed_tasks"] == config.tasks, folder
        results = load_results(folder)
        n_pairs, n_layers = len(config.pairs), 3
        assert len(results.accuracy) == config.tasks * config.tasks
        assert len(results.correlations) == len(results.per_task_correlations) == n_pairs * n_layers * config.tasks
        assert len(results.training) == config.tasks * config.epochs
        row = table[table.trial_dir == f"trials/{folder.name}"].iloc[0]
        assert (row.reg, row.lam, row.seed, row.tasks, row.epochs) == (
            config.reg, config.lam, config.seed, config.tasks, config.epochs)
        assert row.final_accuracy == results.final_average_accuracy()
        assert row.average_forgetting == results.average_forgetting()


def test_only_the_small_files_are_committed():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "study"], cwd=ROOT, capture_output=True, text=True, check=True)
    names = {Path(line).name for line in tracked.stdout.split() if "/trials/" in line or "study/noise/seed" in line}
    assert names and names <= set(COMMITTED_FILES), names - set(COMMITTED_FILES)


def test_the_grid_is_complete_and_the_default_lambda_is_its_choice():
    table = read_grid(ROOT / GRID_DIR)
    keys = set(table.key)
    choice = choose_lambda(table, DEFAULT_REG)
    missing = [c for c in grid_configs() + followup_configs(best_lambdas(table)) if c.key not in keys]
    assert not missing, f"{len(missing)} trials of the study are missing: run `make sweep-full`"
    assert choice.lam == DEFAULT_LAMBDA
    # Every regularizer's best λ lies inside the λ it was run with (grids are widened until it does).
    assert not [c for c in best_lambdas(table).values() if c.at_edge]


@pytest.mark.slow
def test_golden_reference_trial_reruns_to_its_numbers(tmp_path):
    """The golden test of the numerics version: the committed reference trial, rerun, gives its numbers within
    rounding. Numbers that move beyond rounding mean a change of method: bump NUMERICS_VERSION, say what changed
    in CHANGELOG.md and recompute the study (the reference first); until then this test fails."""
    trials = ROOT / REFERENCE_DIR / "trials"
    same = [load_results(p) for p in trials.iterdir() if (p / "config.json").is_file()]
    same = [r for r in same if r.config.identity(without=("numerics",)) == REFERENCE_CONFIG.identity(without=("numerics",))]
    assert same, f"{trials} holds no reference trial: run `python scripts/sweep_full.py --part reference`"
    committed = max(same, key=lambda r: r.config.numerics)
    assert committed.config.numerics == NUMERICS_VERSION, (
        f"study/reference was computed by numerics version {committed.config.numerics} and this code computes "
        f"version {NUMERICS_VERSION}: recompute the reference (`python scripts/sweep_full.py --part reference`) and "
        "the study, and list the change in CHANGELOG.md")
    # The committed trial ran on one torch thread; one thread here too, so only the CPU differs.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rerun = run_experiment(REFERENCE_CONFIG, tmp_path / "rerun", quiet=True)
    finally:
        torch.set_num_threads(threads)
    try:
        assert_same_within_rounding(rerun, committed)
    except AssertionError as exc:
        raise AssertionError(
            f"the reference trial's numbers moved beyond rounding ({exc}) while the numerics version stayed "
            f"{NUMERICS_VERSION}: if the change is meant, bump NUMERICS_VERSION in paper_code/_version.py, list it "
            "in CHANGELOG.md and recompute the study; if not, it is a bug") from None


# --------------------------------------------------------------------------- rules, on hand-made tables
def sweep_table(rows):
    return pd.DataFrame(rows, columns=["reg", "lam", "seed", "final_accuracy", "average_forgetting"])


def test_choose_lambda_compares_on_the_seeds_every_lambda_has():
    table = sweep_table([
        ("mas", 1.0, 0, 0.90, 0.1), ("mas", 1.0, 1, 0.92, 0.1),
        ("mas", 3.0, 0, 0.95, 0.0), ("mas", 3.0, 1, 0.93, 0.0),   # mean 0.94 on seeds 0 and 1: the best
        ("mas", 3.0, 2, 0.80, 0.0),                               # a follow-up seed does not enter the choice
        ("mas", 10.0, 0, 0.91, 0.0), ("mas", 10.0, 1, 0.96, 0.0),  # mean 0.935
        ("sig", 0.1, 0, 0.50, 0.0),
    ])
    choice = choose_lambda(table, "mas")
    assert (choice.lam, choice.seeds, choice.at_edge) == (3.0, 2, False)
    assert choice.mean_accuracy == pytest.approx(0.94)
    edge = choose_lambda(table[table.lam != 3.0], "mas")
    assert edge.lam == 10.0 and edge.at_edge
    assert set(best_lambdas(table)) == {"mas", "sig"}
    follow = followup_configs(best_lambdas(table))
    assert [(c.reg, c.lam, c.seed) for c in follow] == (
        [("mas", 3.0, s) for s in range(5)] + [("sig", 0.1, s) for s in range(3)])
    with pytest.raises(Exception, match="no trial with reg=si"):
        choose_lambda(table, "si")


def test_seed_band_flags_cells_whose_sign_depends_on_the_seed():
    rows = []
    for seed, (a, b) in enumerate([(0.5, -0.1), (0.6, 0.05), (0.4, -0.2)]):
        rows += [dict(pair="mas_sig", layer=1, task=1, pearson=a, seed=seed),
                 dict(pair="mas_sig", layer=3, task=1, pearson=b, seed=seed)]
    band = seed_band(pd.DataFrame(rows), "pearson").set_index("layer")
    assert band.loc[1, "sign_stable"] and not band.loc[3, "sign_stable"]
    assert band.loc[3, "mean"] == pytest.approx((-0.1 + 0.05 - 0.2) / 3)
    assert band.loc[3, "std"] == pytest.approx(pd.Series([-0.1, 0.05, -0.2]).std())


class _TablesOnly:
    """A stand-in study holding two hand-written correlation tables of one (reg, λ)."""

    def __init__(self, accumulated: pd.DataFrame, per_task: pd.DataFrame) -> None:
        self.tables = {False: accumulated, True: per_task}

    def correlations(self, reg, lam, per_task=False):
        return self.tables[per_task]


def test_per_task_versus_accumulated_by_hand():
    def rows(values):  # (seed, layer, task) -> pearson
        return pd.DataFrame([dict(pair="mas_sig", layer=l, task=t, pearson=v, spearman=0.0, seed=s)
                             for (s, l, t), v in values.items()])

    accumulated = rows({(0, 1, 1): 0.5, (1, 1, 1): 0.7, (0, 1, 2): 0.2, (1, 1, 2): 0.4})
    per_task = rows({(0, 1, 1): 0.5, (1, 1, 1): 0.7, (0, 1, 2): 0.9, (1, 1, 2): 0.5})
    frame = per_task_versus_accumulated(_TablesOnly(accumulated, per_task), "mas", 3.0).set_index("task")
    # task 2: per-task mean (0.9 + 0.5) / 2 = 0.7, accumulated mean (0.2 + 0.4) / 2 = 0.3, difference 0.4
    assert frame.loc[2, ["per_task", "accumulated", "difference"]].tolist() == pytest.approx([0.7, 0.3, 0.4])
    assert frame.loc[1, "difference"] == pytest.approx(0.0)


def test_per_task_equals_accumulated_after_the_first_task_in_the_committed_runs():
    """After one task the sum of importances is that task's importance: the two files must agree there."""
    for folder in trial_folders(ROOT / GRID_DIR)[:5]:
        results = load_results(folder)
        first = results.correlations[results.correlations.task == 1].reset_index(drop=True)
        own = results.per_task_correlations[results.per_task_correlations.task == 1].reset_index(drop=True)
        pd.testing.assert_frame_equal(first, own)


def test_band_surfaces_follow_the_table():
    """The dashboard's seed-band surfaces (the book's page states its findings record instead, tested in
    test_findings_grid.py)."""
    from paper_code.figures import grid as grid_figures

    rows = []
    for seed, values in enumerate([(0.5, -0.1), (0.6, 0.05), (0.4, -0.2)]):
        for pair in ("mas_sig", "fis_si"):
            rows += [dict(pair=pair, layer=layer, task=task, pearson=value, seed=seed)
                     for task in (1, 2) for layer, value in zip((1, 3), values)]
    band = seed_band(pd.DataFrame(rows), "pearson")
    figure = grid_figures.band_surfaces(band, ["mas_sig", "fis_si"])
    assert len(figure.data) == 8 and [t.visible for t in figure.data] == [True] * 4 + [False] * 4
    markers = figure.data[3]  # the cells whose sign depends on the seed: layer 3 at both tasks
    assert list(markers.x) == [3, 3] and list(markers.y) == [1, 2]


def test_grids_widen_by_half_decades_beyond_an_edge():
    assert [next_lambda(x, up=True) for x in (0.01, 0.03, 1.0, 30.0)] == [0.03, 0.1, 3.0, 100.0]
    assert [next_lambda(x, up=False) for x in (0.01, 0.03, 1.0, 30.0)] == [0.003, 0.01, 0.3, 10.0]
    table = sweep_table([
        ("fis", 3.0, 0, 0.80, 0.1), ("fis", 3.0, 1, 0.82, 0.1), ("fis", 10.0, 0, 0.90, 0.0), ("fis", 10.0, 1, 0.91, 0.0),
        ("sig", 0.01, 0, 0.90, 0.0), ("sig", 0.01, 1, 0.90, 0.0), ("sig", 0.03, 0, 0.80, 0.0), ("sig", 0.03, 1, 0.8, 0.0),
        ("si", 0.1, 0, 0.8, 0.0), ("si", 0.3, 0, 0.9, 0.0), ("si", 1.0, 0, 0.85, 0.0),
    ])
    widened = {(c.reg, c.lam, c.seed) for c in widened_configs(table)}
    assert widened == {("fis", 30.0, 0), ("fis", 30.0, 1), ("sig", 0.003, 0), ("sig", 0.003, 1)}


def test_the_committed_author_logs_hold_every_script():
    from paper_code.studies.author_logs import read_author_logs

    logs = read_author_logs(ROOT / "study" / "author_logs" / "final_accuracy.csv")
    assert set(logs.script) == {"mas", "fisher", "si", "signal"}
    assert logs.final_accuracy.between(0, 1).all() and len(logs) > 2000


