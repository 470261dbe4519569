"""The findings record of "Reproduce this" (``study/findings/reproduce.json``) and the comparison of this machine's
rerun, on a noise study small enough to work out by hand, and the record of "The experiment" (the methodology
page) on two three-task runs."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from paper_code.book.noise import noise_members_table, noise_pairs_table
from paper_code.config import Config
from paper_code.results import Results
from paper_code.studies.findings.methodology import chosen_on, learned_and_kept, methodology_record
from paper_code.studies.findings.noise import reproduce_record
from paper_code.studies.findings.record import plain
from paper_code.studies.noise import DIFFERENCE_BAND, NoiseMembers, rerun_comparison

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- a noise study of one pair, two cells
# Cell A is layer 1 after task 1, cell B layer 1 after task 2; MAS–FIS, Pearson.
#
# Members (seed 0: m0, m1, and m2 which repeated m0 bit for bit; seed 1: m0, m1):
#   A: seed 0 0.70, 0.74 (sample variance 0.0008); seed 1 0.80, 0.82 (0.0002) -> rounding σ √0.0005 = 0.022361,
#      widest span 0.04
#   B: seed 0 0.90, 0.90 (0);      seed 1 0.60, 0.66 (0.0018)               -> rounding σ √0.0009 = 0.03,
#      widest span 0.06
# The study's seeds 0-2 (the seed band): A 0.70, 0.75, 0.80 (σ 0.05); B 0.60, 0.62, 0.64 (σ 0.02).
#   ratios: A 0.022361 / 0.05 = 0.44721, B 0.03 / 0.02 = 1.5; medians over the two cells: rounding σ 0.026180,
#   seed σ 0.035, ratio 0.97361; at least half the seed spread: B only (1 of 2); at least all of it: B only.
# Bootstrap draws (two per seed): A seed 0 0.70, 0.72 (0.0002), seed 1 0.80, 0.80 (0) -> σ 0.01;
#   B seed 0 0.90, 0.90 (0), seed 1 0.60, 0.64 (0.0008) -> σ 0.02. Median 0.015, after the first task 0.01, after
#   the later one 0.02; the widest is B; it reaches the rounding σ in no cell (0.01 < 0.022, 0.02 < 0.03) and the
#   seed σ in cell B (0.02 ≥ 0.02): half the cells.
# Final accuracy: seed 0 0.94, 0.95 (variance 0.00005); seed 1 0.95, 0.97 (0.0002) -> σ √0.000125 = 0.011180,
#   a difference of two runs σ·√2 = 0.015811; the study's seeds 0.94, 0.95, 0.96 (σ 0.01): ratio 1.1180.

CELL = dict(pair="mas_fis", layer=1)


def _rows(values: dict[tuple[int, str], tuple[float, float]], key: str) -> list[dict]:
    """One row per (seed, member or draw) and cell, from (A, B) values."""
    return [dict(CELL, task=task, pearson=value, spearman=value / 2, seed=seed, **{key: name})
            for (seed, name), pair in values.items() for task, value in zip((1, 2), pair)]


@pytest.fixture
def members() -> NoiseMembers:
    table = pd.DataFrame({
        "seed": [0, 0, 0, 1, 1], "member": ["m0", "m1", "m2", "m0", "m1"],
        "folder": [f"study/noise/seed{s}/{m}" for s, m in [(0, "m0"), (0, "m1"), (0, "m2"), (1, "m0"), (1, "m1")]],
        "threads": [1, 2, 1, 1, 1],
        "environment": ["{}", "{}", json.dumps({"MKL_ENABLE_INSTRUCTIONS": "AVX2"}), "{}",
                        json.dumps({"machine": "the study's"})],
        "nudge": [False, False, False, True, False], "machine_seconds": [1.0, 1.0, 1.0, 1.0, None],
        "same_as": ["", "", "m0", "", ""],
    })
    correlations = pd.DataFrame(_rows({(0, "m0"): (0.70, 0.90), (0, "m1"): (0.74, 0.90), (1, "m0"): (0.80, 0.60),
                                       (1, "m1"): (0.82, 0.66)}, "member"))
    accuracy = pd.DataFrame({"seed": [0, 0, 1, 1], "member": ["m0", "m1", "m0", "m1"],
                             "final_accuracy": [0.94, 0.95, 0.95, 0.97], "average_forgetting": 0.02})
    return NoiseMembers(table, correlations, accuracy)


@pytest.fixture
def study_correlations() -> pd.DataFrame:
    return pd.DataFrame([dict(CELL, task=task, pearson=v, spearman=v / 2, seed=seed)
                         for task, values in ((1, (0.70, 0.75, 0.80)), (2, (0.60, 0.62, 0.64)))
                         for seed, v in enumerate(values)])


@pytest.fixture
def draws() -> pd.DataFrame:
    return pd.DataFrame(_rows({(0, 0): (0.70, 0.90), (0, 1): (0.72, 0.90), (1, 0): (0.80, 0.60), (1, 1): (0.80, 0.64)},
                              "draw"))


@pytest.fixture
def record(members, study_correlations, draws) -> dict:
    accuracy = pd.Series([0.94, 0.95, 0.96], index=pd.Index([0, 1, 2], name="seed"))
    return plain(reproduce_record(members, study_correlations, accuracy, draws, "pearson", rows=500))


def test_the_noise_record_on_a_study_worked_by_hand(record):
    assert record["seeds"] == [0, 1] and record["study_seeds"] == [0, 1, 2] and record["kind"] == "pearson"
    members = record["members"]
    assert members["distinct"] == 2 and members["twins"] == [{"member": "m2", "same_as": "m0", "seeds": [0]}]
    assert [r["final_accuracy"] for r in members["rows"]] == [0.94, 0.95, None, 0.95, 0.97]

    accuracy = record["accuracy"]
    assert accuracy["sd"] == pytest.approx(math.sqrt(0.000125), rel=1e-5)
    assert accuracy["difference_sd"] == pytest.approx(math.sqrt(0.000125) * math.sqrt(2), rel=1e-5)
    assert accuracy["seed_sd"] == pytest.approx(statistics.stdev([0.94, 0.95, 0.96]), rel=1e-5)
    assert accuracy["ratio"] == pytest.approx(math.sqrt(0.000125) / 0.01, rel=1e-5)
    assert accuracy["by_seed"]["0"] == pytest.approx({"mean": 0.945, "std": statistics.stdev([0.94, 0.95]),
                                                     "low": 0.94, "high": 0.95, "members": 2}, rel=1e-5)

    cells = record["cells"]
    assert (cells["count"], cells["pairs"], cells["layers"], cells["tasks"], cells["members"]) == (2, 1, 1, 2, 2)
    noise_a, noise_b = math.sqrt(0.0005), 0.03
    assert cells["noise_std"] == pytest.approx((noise_a + noise_b) / 2, rel=1e-5)
    assert cells["seed_std"] == pytest.approx(0.035, rel=1e-5)
    assert cells["ratio"] == pytest.approx((noise_a / 0.05 + noise_b / 0.02) / 2, rel=1e-5)
    assert cells["half_or_more"] == 0.5 and cells["as_much"] == 0.5
    widest = cells["widest"]
    assert (widest["pair"], widest["pair_name"], widest["layer"], widest["task"]) == ("mas_fis", "MAS–FIS", 1, 2)
    assert widest["span"] == pytest.approx(0.06, rel=1e-5) and widest["seed_std"] == pytest.approx(0.02, rel=1e-5)
    pair = dict(record["pairs"]["mas_fis"])
    assert pair.pop("name") == "MAS–FIS"
    assert pair == pytest.approx({"noise_std": (noise_a + noise_b) / 2, "noise_range": 0.06, "seed_std": 0.035,
                                  "ratio": cells["ratio"], "sampling_std": 0.015}, rel=1e-5)
    assert record["difference_band"] == pytest.approx(2 * math.sqrt(2), rel=1e-5)

    sampling = record["sampling"]
    assert (sampling["draws"], sampling["seeds"], sampling["rows"]) == (2, 2, 500)
    assert sampling["std"] == pytest.approx(0.015, rel=1e-5)
    assert sampling["first"] == pytest.approx(0.01, rel=1e-5) and sampling["later"] == pytest.approx(0.02, rel=1e-5)
    assert sampling["over_rounding"] == 0.0 and sampling["over_seeds"] == 0.5
    assert (sampling["widest"]["task"], sampling["widest"]["std"]) == (2, pytest.approx(0.02, rel=1e-5))


def test_without_the_bootstrap_the_record_says_so(members, study_correlations):
    record = plain(reproduce_record(members, study_correlations, pd.Series([0.94, 0.95, 0.96]), None))
    assert record["sampling"] is None and record["pairs"]["mas_fis"]["sampling_std"] is None
    assert "sampling σ" not in noise_pairs_table(record).text


def test_the_tables_write_the_record(record):
    pairs = noise_pairs_table(record).text.splitlines()
    assert pairs[0] == "| pair | rounding σ | widest span | seed σ | rounding / seed σ | sampling σ |"
    assert pairs[2] == "| MAS–\u2060FIS | 0.026 | 0.060 | 0.035 | 0.97 | 0.015 |"
    rows = noise_members_table(record).text.splitlines()[2:]
    assert rows[2] == "| 0 | `m2` | 1 thread, MKL_ENABLE_INSTRUCTIONS = AVX2 | = `m0` |"
    assert rows[3] == "| 1 | `m0` | 1 thread, default kernels, task 1's importances nudged | 0.9500 |"
    assert rows[4] == "| 1 | `m1` | 1 thread, on the study's machine | 0.9700 |"


# --------------------------------------------------------------------------- this machine's rerun
def run(final_row: list[float], correlations: dict[int, float]) -> Results:
    """A two-task run of the paper's configuration: its accuracy matrix's last row and its MAS–FIS cells."""
    accuracy = pd.DataFrame({"after_task": [1, 2, 2], "eval_task": [1, 1, 2], "accuracy": [0.98, *final_row]})
    rows = pd.DataFrame([dict(CELL, task=task, pearson=v, spearman=v) for task, v in correlations.items()])
    return Results(Path("results/x"), Config(), {}, accuracy, rows, pd.DataFrame())


def test_the_rerun_is_set_against_the_committed_trial_and_the_band(members):
    # Accuracy: (0.91 + 0.96) / 2 = 0.935 against (0.90 + 0.96) / 2 = 0.93: +0.005, 0.005 / 0.015811 = 0.31623 σ.
    # Cells: A +0.02 within 2√2 · 0.022361 = 0.063246; B +0.10 beyond 2√2 · 0.03 = 0.084853, 0.10 / 0.03 = 3.3333 σ.
    committed, local = run([0.90, 0.96], {1: 0.80, 2: 0.60}), run([0.91, 0.96], {1: 0.82, 2: 0.70})
    found = rerun_comparison(local, committed, members)
    assert found["difference"] == pytest.approx(0.005) and found["measured"]
    assert found["difference_in_sd"] == pytest.approx(0.005 / math.sqrt(0.00025), rel=1e-6)
    assert (found["cells"], found["within"], found["within_share"]) == (2, 1, 0.5)
    assert found["band"] == pytest.approx(DIFFERENCE_BAND)
    largest = found["largest"]
    assert (largest["pair"], largest["pair_name"], largest["layer"], largest["task"]) == ("mas_fis", "MAS–FIS", 1, 2)
    assert largest["difference"] == pytest.approx(0.10) and largest["in_sd"] == pytest.approx(0.10 / 0.03)
    # Without the noise study, or for another configuration, the accuracy alone.
    alone = rerun_comparison(local, committed, None)
    assert not alone["measured"] and "cells" not in alone and alone["difference"] == pytest.approx(0.005)


def test_a_rerun_of_another_configuration_is_refused(members):
    other = run([0.9, 0.9], {1: 0.8, 2: 0.6})
    other = Results(other.path, Config(seed=1), {}, other.accuracy, other.correlations, other.training)
    with pytest.raises(Exception, match="different configurations"):
        rerun_comparison(other, run([0.9, 0.9], {1: 0.8, 2: 0.6}), members)


# --------------------------------------------------------------------------- the methodology page's record
def three_tasks(seed: int, rows: list[list[float]]) -> Results:
    accuracy = pd.DataFrame([{"after_task": t + 1, "eval_task": j + 1, "accuracy": v}
                             for t, row in enumerate(rows) for j, v in enumerate(row)])
    return Results(Path(f"study/grid/trials/s{seed}"), Config(seed=seed), {}, accuracy, pd.DataFrame(), pd.DataFrame())


# Seed 0: final (0.90 + 0.96 + 0.99) / 3 = 0.95, diagonal (0.98 + 0.97 + 0.99) / 3 = 0.98; task 1 loses 0.98 − 0.90 =
#   0.08, task 2 0.97 − 0.96 = 0.01: forgetting 0.045, task 1 the most.
# Seed 1: final (0.93 + 0.90 + 0.98) / 3 = 0.936667, diagonal 0.963333; task 1 reaches 0.97 after task 2 and ends at
#   0.93 (forgets 0.04, lost 0.96 − 0.93 = 0.03 since learned), task 2 0.95 − 0.90 = 0.05: forgetting 0.045, task 2
#   the most.
SEED0 = [[0.98, 0.10, 0.10], [0.95, 0.97, 0.10], [0.90, 0.96, 0.99]]
SEED1 = [[0.96, 0.10, 0.10], [0.97, 0.95, 0.10], [0.93, 0.90, 0.98]]


def test_one_runs_accuracy_in_a_few_numbers():
    numbers = learned_and_kept(three_tasks(1, SEED1).accuracy_matrix())
    assert numbers == pytest.approx({"final_accuracy": 2.81 / 3, "just_learned": 2.89 / 3, "task1_fresh": 0.96,
                                     "task1_end": 0.93, "task1_lost": 0.03, "average_forgetting": 0.045,
                                     "most_forgotten_task": 2})


def test_the_methodology_record_on_two_seeds_worked_by_hand():
    record = plain(methodology_record([three_tasks(0, SEED0), three_tasks(1, SEED1)], lambda_seeds=[0, 1],
                                      committed=True))
    # The configuration's tasks (the paper's ten), whatever the matrices hold.
    assert (record["seeds"], record["shown_seed"], record["lambda_seeds"], record["tasks"]) == ([0, 1], 0, [0, 1], 10)
    shown = record["shown"]
    assert shown["final_accuracy"]["value"] == pytest.approx(0.95) and shown["task1_lost"]["value"] == pytest.approx(0.08)
    assert shown["most_forgotten_task"] == {"value": 1} and record["task1_most_forgotten_on"] == [0]
    assert shown["final_accuracy"]["label"] == "final average accuracy | reg=mas | lam=3 | seeds=0 | trials=committed"
    # Two seeds: mean ± t(0.975, 1) · s / √2, with s = |a − b| / √2.
    final = record["over_seeds"]["final_accuracy"]
    a, b = 0.95, 2.81 / 3
    assert final["mean"] == pytest.approx((a + b) / 2, rel=1e-5) and final["seeds"] == 2
    assert final["half"] == pytest.approx(stats.t.ppf(0.975, 1) * abs(a - b) / math.sqrt(2) / math.sqrt(2), rel=1e-4)
    assert record["over_seeds"]["average_forgetting"]["mean"] == pytest.approx(0.045)
    assert record["over_seeds"]["average_forgetting"]["label"].endswith("| seeds=0,1 | trials=committed")


def test_another_configuration_is_labelled_by_its_key():
    run = three_tasks(0, SEED0)
    small = Results(run.path, Config(tasks=3, seed=0), {}, run.accuracy, run.correlations, run.training)
    record = methodology_record([small])
    assert record["lambda_seeds"] is None and record["over_seeds"]["final_accuracy"]["half"] != record["over_seeds"]["final_accuracy"]["half"]
    assert f"key={Config(tasks=3).key}" in record["shown"]["final_accuracy"]["label"]
    assert record["shown"]["final_accuracy"]["label"].endswith("trials=computed")


def test_lambda_is_chosen_on_the_study_seeds_only_for_its_own_setup():
    grid = ROOT / "study" / "grid"
    assert chosen_on(grid, Config()) == [0, 1, 2]
    assert chosen_on(grid, Config(lam=10.0)) is None  # a λ the study tried but did not choose
    assert chosen_on(grid, Config(tasks=3)) is None   # another setup than the study's
    assert chosen_on(None, Config()) is None
