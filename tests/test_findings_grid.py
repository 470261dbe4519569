"""The records of the pages that read the λ-grid study ("Choosing λ", "How stable are the surfaces?",
"Accumulated vs per-task importances"), each worked out by hand on a small table; scipy is the independent
reference of every interval and p-value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from paper_code.book import grid_tables
from paper_code.studies.findings.grid import (
    lambda_record,
    nearest_on_log_scale,
    per_task_record,
    stability_record,
    welch_interval,
)
from paper_code.studies.grid import Study


def half_width(values) -> float:
    """The half-width of the 95 % interval of a mean (Student's t), from scipy."""
    values = np.asarray(values, dtype=float)
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def welch_half(a, b) -> float:
    """Welch's half-width with the degrees of freedom rounded down, as the record computes it, from scipy."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return float(stats.t.ppf(0.975, np.floor(df)) * np.sqrt(va + vb))


@dataclass(frozen=True)
class TablesStudy(Study):
    """A study whose correlations are hand-written tables, not trial folders."""

    frames: dict = field(default_factory=dict)

    def correlations(self, reg, lam, per_task=False):
        return self.frames[per_task]


def sweep(rows: list[tuple[str, float, int, float]]) -> pd.DataFrame:
    return pd.DataFrame([dict(reg=reg, lam=lam, seed=seed, final_accuracy=acc, average_forgetting=0.1 - acc / 10,
                              wall_seconds=3600.0) for reg, lam, seed, acc in rows])


# --------------------------------------------------------------------------- b1
#: EWC-MAS on seeds 0-2 at every λ, and seeds 3-4 added at λ = 3; EWC-FIS on seeds 0-1, seed 2 added at λ = 10;
#: fine-tuning on seeds 0-2.
MAS = {1.0: [0.90, 0.91, 0.90], 3.0: [0.95, 0.96, 0.94, 0.93, 0.95], 10.0: [0.94, 0.94, 0.95]}
FIS = {3.0: [0.88, 0.89], 10.0: [0.93, 0.95, 0.935], 30.0: [0.92, 0.93]}
GRID = sweep([("mas", lam, s, v) for lam, vs in MAS.items() for s, v in enumerate(vs)]
             + [("fis", lam, s, v) for lam, vs in FIS.items() for s, v in enumerate(vs)]
             + [("none", 0.0, s, v) for s, v in enumerate([0.40, 0.50, 0.45])])
#: The author's runs: MAS at λ = 3 and 4.5 (his best), FIS ("fisher") at λ = 10 and 34 (his best).
AUTHOR = pd.DataFrame([("mas", 3.0, 1, 0.95), ("mas", 3.0, 2, 0.96), ("mas", 4.5, 1, 0.97), ("mas", 4.5, 2, 0.97),
                       ("mas", 4.5, 3, 0.98), ("fisher", 10.0, 1, 0.94), ("fisher", 10.0, 2, 0.96),
                       ("fisher", 34.0, 1, 0.96), ("fisher", 34.0, 2, 0.97)],
                      columns=["script", "lam", "experiment", "final_accuracy"])


def test_lambda_record_by_hand():
    record = lambda_record(Study(Path("."), GRID), AUTHOR)
    mas, fis = record["regularizers"]["mas"], record["regularizers"]["fis"]
    assert record["order"] == ["mas", "fis"]
    # MAS on seeds 0-2: λ = 1 → 0.9033, λ = 3 → 0.95, λ = 10 → 0.9433: λ = 3 is selected, λ = 10 next.
    assert (mas["lam"], mas["runner_up"], mas["lambda_seeds"], mas["at_edge"]) == (3.0, 10.0, [0, 1, 2], False)
    assert [p["accuracy"] for p in mas["points"]] == pytest.approx([0.903333, 0.95, 0.943333], abs=1e-6)
    # The lead, seed by seed: 0.95 − 0.94, 0.96 − 0.94, 0.94 − 0.95 = 0.01, 0.02, −0.01; mean 0.00667.
    lead = [0.01, 0.02, -0.01]
    assert mas["lead"]["mean"] == pytest.approx(np.mean(lead))
    assert mas["lead"]["half"] == pytest.approx(half_width(lead), rel=1e-3)
    assert mas["lead_p"] == pytest.approx(stats.ttest_rel(MAS[3.0][:3], MAS[10.0]).pvalue, rel=1e-6)
    # λ = 1 against λ = 3: −0.05, −0.05, −0.04, mean −0.0467 ± 0.0143: measurably worse; λ = 10 is not.
    assert mas["points"][0]["versus_selected"]["mean"] == pytest.approx(-0.046667, abs=1e-6)
    assert mas["points"][0]["versus_selected"]["half"] == pytest.approx(half_width([-0.05, -0.05, -0.04]), rel=1e-3)
    assert mas["measurably_worse"] == [1.0]
    # At λ = 3 the seeds that did not choose λ (3-4: 0.94) against those that did (0-2: 0.95), by Welch.
    selected = mas["selected"]
    assert selected["all_seeds"] == [0, 1, 2, 3, 4] and selected["fresh_seeds"] == [3, 4]
    assert selected["fresh_minus_choosing"]["mean"] == pytest.approx(-0.01)
    assert selected["fresh_minus_choosing"]["half"] == pytest.approx(welch_half([0.93, 0.95], [0.95, 0.96, 0.94]),
                                                                     rel=1e-3)
    # FIS on seeds 0-1: λ = 10 (0.94) leads λ = 30 (0.925) by 0.01 and 0.02; with one degree of freedom the interval,
    # 0.015 ± 12.706 · 0.00707 / √2 = ± 0.064, holds 0.
    assert (fis["lam"], fis["runner_up"], fis["lambda_seeds"]) == (10.0, 30.0, [0, 1])
    assert fis["lead"]["mean"] == pytest.approx(0.015)
    assert fis["lead"]["half"] == pytest.approx(half_width([0.01, 0.02]), rel=1e-3)
    assert fis["selected"]["fresh_seeds"] == [2] and fis["selected"]["fresh"]["mean"] == pytest.approx(0.935)
    # Neither lead is measurable, before or after Holm's correction (p of MAS's lead ≈ 0.47).
    assert record["leads"] == 2 and record["leads_measurable"] == 0 and record["lead_intervals_hold_zero"] == 2
    # Both selected λ score lower on the seeds that did not choose them: MAS by 0.01, FIS by 0.005 (one seed: no
    # interval, so not measurable).
    assert (record["fresh"]["compared"], record["fresh"]["lower"], record["fresh"]["measurable"]) == (2, 2, 0)
    assert record["fresh"]["drop"] == {"low": pytest.approx(0.005), "high": pytest.approx(0.01)}
    assert record["fine_tuning"]["accuracy"]["mean"] == pytest.approx(0.45)
    assert record["comparison_seeds"] == [0, 1, 2] and record["default_is_selected"]  # λ = 3, the library default


def test_lambda_record_sets_the_authors_grid_beside_it_by_hand():
    record = lambda_record(Study(Path("."), GRID), AUTHOR)
    mas, fis = (record["regularizers"][r]["author"] for r in ("mas", "fis"))
    # MAS: his best is λ = 4.5 (0.9733 over 3 runs), nearest on a log scale to our λ = 3 (ratio 1.5 against 2.2).
    assert (mas["best_lam"], mas["best"]["runs"], mas["nearest_grid_lam"], mas["nearest_is_selected"]) == (4.5, 3, 3.0, True)
    assert mas["best"]["mean"] == pytest.approx(0.973333, abs=1e-6)
    # On his runs λ = 3 (0.955) gives up 0.0183 against λ = 4.5.
    assert mas["cost"]["mean"] == pytest.approx(0.973333 - 0.955, abs=1e-6)
    assert mas["cost"]["half"] == pytest.approx(welch_half([0.97, 0.97, 0.98], [0.95, 0.96]), rel=1e-3)
    # Our five seeds at λ = 3 (mean 0.946) against his two runs there (0.955).
    assert mas["ours_minus_author"]["mean"] == pytest.approx(0.946 - 0.955)
    # FIS: his best λ = 34 lies nearest our λ = 30, not the λ = 10 selected here.
    assert (fis["best_lam"], fis["nearest_grid_lam"], fis["nearest_is_selected"]) == (34.0, 30.0, False)
    assert record["author"]["nearest_is_selected"] is False
    assert fis["cost"]["mean"] == pytest.approx(0.965 - 0.95)
    assert record["author"]["largest_cost"] == pytest.approx(0.973333 - 0.955, abs=1e-6)  # MAS's, the larger
    assert record["author"]["ours_lower"] == 2  # MAS 0.946 < 0.955, FIS 0.9383 < 0.95


def test_nearest_on_log_scale_and_welch_by_hand():
    assert nearest_on_log_scale(4.5, [1, 3, 10, 30]) == 3.0  # 4.5/3 = 1.5 is nearer 1 than 10/4.5 = 2.2
    assert nearest_on_log_scale(6.0, [1, 3, 10, 30]) == 10.0  # 6/3 = 2 against 10/6 = 1.67
    a, b = [0.90, 0.92, 0.94, 0.96], [0.80, 0.81]
    gap = welch_interval(a, b)
    assert gap["mean"] == pytest.approx(0.125)
    assert gap["df"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).df, rel=1e-6)
    assert gap["half"] == pytest.approx(welch_half(a, b), rel=1e-3)


# --------------------------------------------------------------------------- b3
def correlation_rows(values: dict[tuple[str, int, int], list[float]]) -> pd.DataFrame:
    """(pair, layer, task) -> one Pearson value per seed."""
    return pd.DataFrame([dict(pair=pair, layer=layer, task=task, pearson=v, spearman=0.0, seed=seed)
                         for (pair, layer, task), vs in values.items() for seed, v in enumerate(vs)])


SEEDS_MAS = sweep([("mas", lam, s, v) for lam, vs in MAS.items() for s, v in enumerate(vs)])
BANDS = {
    ("mas_fis", 1, 1): [0.80, 0.82, 0.84], ("mas_fis", 1, 2): [0.85, 0.85, 0.85],
    ("mas_fis", 3, 1): [0.90, 0.93, 0.87], ("mas_fis", 3, 2): [0.91, 0.91, 0.94],
    ("mas_sig", 1, 1): [0.50, 0.52, 0.54], ("mas_sig", 1, 2): [0.55, 0.55, 0.55],
    ("mas_sig", 3, 1): [0.02, -0.01, 0.02], ("mas_sig", 3, 2): [-0.10, -0.12, -0.11],
}


def test_stability_record_by_hand():
    record = stability_record(TablesStudy(Path("."), SEEDS_MAS, {False: correlation_rows(BANDS)}))
    assert (record["lam"], record["seeds"], record["lambda_seeds"]) == (3.0, [0, 1, 2], [0, 1, 2])
    assert (record["cells"], record["output_layer"]) == (8, 3)
    halves = {cell: (half_width(v) if np.std(v) > 0 else 0.0) for cell, v in BANDS.items()}
    # Standard deviations 0.02, 0, 0.03, 0.0173, 0.02, 0, 0.0173, 0.01: sorted half-widths 0, 0, 0.0248, 0.0430,
    # 0.0430, 0.0497, 0.0497, 0.0745; median (0.0430 + 0.0430) / 2.
    assert record["half"]["median"] == pytest.approx(np.median(list(halves.values())), rel=1e-3)
    assert record["half"]["max"] == pytest.approx(halves[("mas_fis", 3, 1)], rel=1e-3)
    assert record["half"]["widest"] == {"pair": "mas_fis", "layer": 3, "task": 1, "mean": pytest.approx(0.90)}
    # After the first task: 0.0497, 0.0745, 0.0497, 0.0430 → median 0.0497; after the second 0, 0.0430, 0, 0.0248.
    assert record["half"]["first_task_median"] == pytest.approx(halves[("mas_fis", 1, 1)], rel=1e-3)
    assert record["half"]["later_median"] == pytest.approx(halves[("mas_sig", 3, 2)] / 2, rel=1e-3)
    assert record["half"]["later_max"] == pytest.approx(halves[("mas_fis", 3, 2)], rel=1e-3)
    # The seed furthest from its cell's mean: 0.93 or 0.87 against 0.90.
    assert record["one_seed"]["gap"] == pytest.approx(0.03)
    assert (record["one_seed"]["pair"], record["one_seed"]["layer"], record["one_seed"]["task"]) == ("mas_fis", 3, 1)
    # MAS–FIS's means span 0.82 to 0.92 (0.10), its median half-width is (0.0430 + 0.0497) / 2; MAS–SIG spans 0.66.
    mas_fis = record["relief"]["mas_fis"]
    assert mas_fis["span"] == pytest.approx(0.10)
    assert mas_fis["ratio"] == pytest.approx(0.10 / np.median([0, halves[("mas_fis", 3, 2)], halves[("mas_fis", 1, 1)],
                                                               halves[("mas_fis", 3, 1)]]), rel=1e-3)
    assert record["relief"]["mas_sig"]["span"] == pytest.approx(0.66)
    assert record["flattest"]["pair"] == "mas_fis"
    # Only MAS–SIG's output layer after task 1 has seeds on both sides of zero (−0.01 and 0.02).
    assert record["unstable"]["count"] == 1 and record["unstable"]["reach"] == pytest.approx(0.02)
    assert record["unstable"]["cells"][0] == {"pair": "mas_sig", "layer": 3, "task": 1, "mean": pytest.approx(0.01),
                                              "low": pytest.approx(-0.01), "high": pytest.approx(0.02)}
    assert record["sig_output"]["mas_sig"] == {"negative_for_every_seed": 1, "tasks": 2,
                                               "not_negative_for_every_seed": [1], "positive_for_every_seed": []}
    assert record["seed_lines"]["mas_sig"] == {"0": [0.02, -0.10], "1": [-0.01, -0.12], "2": [0.02, -0.11]}
    assert record["grid"]["mas_fis"]["3"]["means"] == pytest.approx([0.90, 0.92])


# --------------------------------------------------------------------------- b4
#: Accumulated minus per-task correlation, (pair, layer, task) -> one value per seed (zero after task 1).
DIFFERENCES = {
    ("mas_fis", 1, 2): [-0.02, -0.03, -0.01], ("mas_fis", 1, 3): [-0.04, -0.05, -0.03],
    ("mas_fis", 3, 2): [0.01, 0.03, -0.01], ("mas_fis", 3, 3): [0.02, 0.00, 0.02],
    ("mas_sig", 1, 2): [-0.10, -0.12, -0.11], ("mas_sig", 1, 3): [-0.20, -0.22, -0.21],
    ("mas_sig", 3, 2): [-0.02, -0.04, -0.03], ("mas_sig", 3, 3): [-0.04, -0.02, -0.05],
}
#: The accumulated correlation of each (pair, layer, task), the same for every seed.
ACCUMULATED = {("mas_fis", 1): 0.8, ("mas_fis", 3): 0.9, ("mas_sig", 1): 0.3}


def per_task_study() -> TablesStudy:
    accumulated, per_task = {}, {}
    for pair, layer in [("mas_fis", 1), ("mas_fis", 3), ("mas_sig", 1), ("mas_sig", 3)]:
        for task in (1, 2, 3):
            # MAS–SIG's output layer: −0.02 until task 2, −0.05 after task 3.
            base = ACCUMULATED.get((pair, layer), -0.02 if task < 3 else -0.05)
            difference = DIFFERENCES.get((pair, layer, task), [0.0, 0.0, 0.0])
            accumulated[(pair, layer, task)] = [base] * 3
            per_task[(pair, layer, task)] = [base - d for d in difference]
    return TablesStudy(Path("."), SEEDS_MAS, {False: correlation_rows(accumulated), True: correlation_rows(per_task)})


def test_per_task_record_by_hand():
    record = per_task_record(per_task_study())
    assert (record["later"], record["first_task_largest"], record["family"]) == ({"first": 2, "last": 3}, 0.0, 4)
    assert (record["layer_ids"], record["output_layer"]) == ([1, 3], 3)
    # Each seed's difference averaged over tasks 2-3:
    by_seed = {(pair, layer): [np.mean([DIFFERENCES[(pair, layer, 2)][s], DIFFERENCES[(pair, layer, 3)][s]])
                               for s in range(3)] for pair, layer in [("mas_fis", 1), ("mas_fis", 3), ("mas_sig", 1),
                                                                      ("mas_sig", 3)]}
    # MAS–FIS layer 1: −0.03, −0.04, −0.02 → −0.030 ± 0.025; MAS–SIG layer 1: −0.15, −0.17, −0.16 → −0.160 ± 0.025.
    assert by_seed[("mas_fis", 1)] == pytest.approx([-0.03, -0.04, -0.02])
    p_values = {}
    for (pair, layer), values in by_seed.items():
        entry = record["pairs"][pair][str(layer)]
        assert entry["difference"]["mean"] == pytest.approx(np.mean(values))
        assert entry["difference"]["half"] == pytest.approx(half_width(values), rel=1e-3)
        p_values[(pair, layer)] = stats.ttest_1samp(values, 0.0).pvalue
        assert entry["p"] == pytest.approx(p_values[(pair, layer)], rel=1e-6)
    # Holm over the four: p ≈ 0.0013 (MAS–SIG 1), 0.0099 (MAS–SIG 3), 0.035 (MAS–FIS 1), 0.073 (MAS–FIS 3), times
    # 4, 3, 2 and 1, made non-decreasing: 0.0052, 0.030, 0.070, 0.073. Only the two MAS–SIG differences pass 0.05.
    order = sorted(p_values, key=p_values.get)
    running, holm = 0.0, {}
    for rank, key in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[key]))
        holm[key] = running
    for (pair, layer), adjusted in holm.items():
        assert record["pairs"][pair][str(layer)]["p_holm"] == pytest.approx(adjusted, rel=1e-6)
    assert [key for key in order if record["pairs"][key[0]][str(key[1])]["measurable"]] == [("mas_sig", 1), ("mas_sig", 3)]
    assert record["measurable"] == 2
    gradient, sig = record["gradient"], record["sig"]
    assert gradient["pairs"] == ["mas_fis"] and sig["pairs"] == ["mas_sig"]
    assert gradient["1"]["all_negative"] and gradient["3"]["all_positive"] and gradient["1"]["measurable"] == 0
    assert gradient["largest"] == pytest.approx(0.03)
    assert sig["1"]["size"] == {"low": pytest.approx(0.16), "high": pytest.approx(0.16)}
    assert sig["1"]["after_second"]["low"] == pytest.approx(0.11) and sig["1"]["after_last"]["high"] == pytest.approx(0.21)
    # Per-task correlations of MAS–SIG's layer 1: 0.3 − d, so 0.46 on average over tasks 2-3.
    assert sig["1"]["per_task"]["low"] == pytest.approx(0.46)
    assert record["largest_cell"] == {"pair": "mas_sig", "layer": 1, "task": 3, "difference": pytest.approx(-0.21)}
    # MAS–SIG's output layer after task 2: accumulated −0.02, per task −0.02 + 0.03 = +0.01, a change of sign; after
    # task 3 −0.05 against −0.05 + 0.0367 = −0.0133, none.
    (flip,) = record["sign_flips"]
    assert (flip["pair"], flip["layer"], flip["task"]) == ("mas_sig", 3, 2)
    assert (flip["accumulated"], flip["per_task"]) == (pytest.approx(-0.02), pytest.approx(0.01))
    assert record["grid"]["mas_fis"]["1"] == pytest.approx([0.0, -0.02, -0.04])


def test_the_per_task_table_marks_what_holm_does_not_pass():
    record = per_task_record(per_task_study())
    text = grid_tables.per_task_table(record).text
    rows = {line.split(" | ")[0].strip("| ").replace("\u2060", ""): line for line in text.splitlines()[2:]}
    assert grid_tables.NOT_MEASURABLE in rows["MAS–FIS"] and grid_tables.NOT_MEASURABLE not in rows["MAS–SIG"]
    assert "layer 3 (output)" in text.splitlines()[0]
