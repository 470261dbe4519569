"""Grades on seed bands, on hand-made tables whose grades are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from paper_code.analysis.spread import equivalence_interval, within_margin
from paper_code.studies import claims
from paper_code.studies.claims import ClaimData
from paper_code.studies.grading import FAILS, HOLDS, MOSTLY, NOT_APPLICABLE, NOT_COMPUTED, PARTLY, decide

LAYERS, TASKS = (1, 2, 3), (1, 2, 3, 4)


def band(pair: str, by_seed: dict[int, dict[tuple[int, int], float]]) -> pd.DataFrame:
    """Correlation rows for ``pair``: {seed: {(layer, task): value}}; Spearman is set to half the value."""
    return pd.DataFrame([dict(pair=pair, layer=l, task=t, pearson=v, spearman=v / 2, seed=s)
                         for s, cells in by_seed.items() for (l, t), v in cells.items()])


def everywhere(value: float) -> dict[tuple[int, int], float]:
    return {(l, t): value for l in LAYERS for t in TASKS}


def test_the_four_words_follow_the_counts():
    # holds: every cell passes clearly; mostly: >= 90 % pass and none far off; partly: more than half; else fails.
    assert decide(held=30, judged=30, clear=30, far_off=0) == HOLDS
    assert decide(held=30, judged=30, clear=27, far_off=0) == MOSTLY   # all pass, three within the noise
    assert decide(held=27, judged=30, clear=27, far_off=0) == MOSTLY   # 90 % exactly, misses within their spread
    assert decide(held=28, judged=30, clear=28, far_off=1) == PARTLY   # one miss is far off
    assert decide(held=26, judged=30, clear=26, far_off=0) == PARTLY   # 87 %
    assert decide(held=16, judged=30, clear=16, far_off=0) == PARTLY
    assert decide(held=15, judged=30, clear=15, far_off=0) == FAILS    # half is not more than half


def test_a_miss_within_its_seed_interval_keeps_mostly_a_clear_miss_does_not():
    seed0, seed1 = everywhere(0.9), everywhere(0.9)
    seed0[(2, 1)], seed1[(2, 1)] = 0.70, 0.74  # mean 0.72, sd 0.028: 95 % half-width 12.706 * 0.028 / √2 = 0.254
    grade = claims.grade(ClaimData(band("mas_fis", {0: seed0, 1: seed1})), "3.1-mas-fis")
    # 11 of 12 = 92 % pass; the miss (0.72) has an interval 0.47-0.97 that reaches 0.8: not far off.
    assert (grade.grade, grade.held, grade.judged, grade.far_off, grade.seeds) == (MOSTLY, 11, 12, 0, (0, 1))
    assert grade.worst["cell"] == "layer 2, after task 1" and (grade.worst["layer"], grade.worst["task"]) == (2, 1)
    assert grade.worst["mean"] == pytest.approx(0.72) and grade.worst["std"] == pytest.approx(0.04 / math.sqrt(2))
    assert (grade.low, grade.high) == (pytest.approx(0.72), pytest.approx(0.9))
    # Three seeds agreeing on 0.70-0.72: sd 0.01, half-width 4.303 * 0.01 / √3 = 0.025, interval 0.685-0.735: far off.
    seeds = {s: everywhere(0.9) for s in (0, 1, 2)}
    for s, v in zip(seeds, (0.70, 0.71, 0.72)):
        seeds[s][(2, 1)] = v
    grade = claims.grade(ClaimData(band("mas_fis", seeds)), "3.1-mas-fis")
    assert (grade.grade, grade.far_off) == (PARTLY, 1)


def test_robust_counts_cells_that_pass_for_every_seed():
    seed0, seed1 = everywhere(0.9), everywhere(0.9)
    seed0[(3, 4)], seed1[(3, 4)] = 0.78, 0.90  # mean 0.84 passes, seed 0 alone does not
    grade = claims.grade(ClaimData(band("mas_fis", {0: seed0, 1: seed1})), "3.1-mas-fis")
    assert (grade.grade, grade.held, grade.robust) == (HOLDS, 12, 11)


def test_noise_band_turns_a_close_pass_into_mostly():
    rows = band("mas_si", {0: everywhere(0.85)})
    rows.loc[0, "pearson"] = 0.81  # 0.01 above 0.8; rounding noise 0.01 per run: 2 σ = 0.02 > 0.01
    noise = rows[["pair", "layer", "task"]].assign(pearson=0.01)
    grade = claims.grade(ClaimData(rows, noise=noise), "3.2-mas-si")
    assert (grade.grade, grade.held, grade.clear, grade.within_noise) == (MOSTLY, 12, 11, 1)
    assert claims.grade(ClaimData(rows), "3.2-mas-si").grade == HOLDS  # noise unknown: every pass counts


def test_undefined_cells_are_counted_not_judged():
    seed0, seed1 = everywhere(0.9), everywhere(0.9)
    seed0[(1, 1)] = seed1[(1, 1)] = math.nan  # undefined for every seed: not judged
    seed0[(2, 2)] = math.nan                  # undefined for one seed: judged on the other (0.9)
    grade = claims.grade(ClaimData(band("mas_fis", {0: seed0, 1: seed1})), "3.1-mas-fis")
    assert (grade.grade, grade.held, grade.judged, grade.undefined) == (HOLDS, 11, 11, 1)


def test_fis_mas2_is_not_applicable_with_spearman():
    rows = pd.concat([band("mas_fis", {0: everywhere(0.8)}), band("fis_mas2", {0: everywhere(0.85)})])
    data = ClaimData(rows)
    assert claims.grade(data, "3.1-fis-mas2", "spearman").grade == NOT_APPLICABLE
    assert claims.grade(data, "3.1-fis-mas2", "pearson").grade == HOLDS


def test_higher_claim_is_graded_on_the_differences():
    low = everywhere(0.79)
    low[(1, 1)] = 0.99  # one cell above, eleven just below (one run: every miss is far off)
    rows = pd.concat([band("mas_fis", {0: everywhere(0.8)}), band("fis_mas2", {0: low})])
    grade = claims.grade(ClaimData(rows), "3.1-fis-mas2")
    assert (grade.grade, grade.held, grade.judged, grade.far_off) == (FAILS, 1, 12, 11)
    assert grade.worst["mean"] == pytest.approx(-0.01)


def sig_shape(layer1: float, layer3: float) -> dict[tuple[int, int], float]:
    return {(l, t): {1: layer1, 2: 0.3, 3: layer3}[l] for l in LAYERS for t in TASKS}


def test_sig_pattern_is_two_claims_each_on_its_own_layer():
    data = ClaimData(band("mas_sig", {0: sig_shape(0.6, -0.1)}))
    for half in ("input", "output"):
        grade = claims.grade(data, f"3.3-mas-sig-{half}")
        assert (grade.grade, grade.judged) == (HOLDS, 4)  # 4 tasks on layer 1, or on layer 3
    shape = sig_shape(0.3, 0.05)
    shape[(3, 2)] = -0.05  # layer 1 below 0.4 everywhere; layer 3 negative after task 2 only
    data = ClaimData(band("si_sig", {0: shape}))
    assert claims.grade(data, "3.6-si-sig-input").grade == FAILS
    output = claims.grade(data, "3.6-si-sig-output")
    assert (output.grade, output.held, output.judged) == (FAILS, 1, 4)
    # One half cannot carry the other: layer 3 negative everywhere, layer 1 far below 0.4 and negative.
    data = ClaimData(band("fis_sig", {0: sig_shape(-0.2, -0.3)}))
    assert claims.grade(data, "3.5-fis-sig-input").grade == FAILS
    assert claims.grade(data, "3.5-fis-sig-output").grade == HOLDS


def test_agreement_claim_pools_the_three_pairs_and_keeps_each_part():
    low = everywhere(0.9)
    low[(2, 1)] = 0.7  # one run: the miss is far off
    rows = pd.concat([band("mas_fis", {0: everywhere(0.9)}), band("mas_si", {0: low}), band("fis_si", {0: everywhere(0.8)})])
    grade = claims.grade(ClaimData(rows), "4-agree")
    assert (grade.grade, grade.held, grade.judged, grade.far_off) == (PARTLY, 35, 36, 1)
    assert [(p["name"], p["grade"], p["held"]) for p in grade.parts] == [
        ("mas_fis", HOLDS, 12), ("mas_si", PARTLY, 11), ("fis_si", HOLDS, 12)]


def test_sig_negative_somewhere_uses_each_pairs_lowest_value():
    rows = pd.concat([band("mas_sig", {0: sig_shape(0.6, -0.1)}), band("fis_sig", {0: sig_shape(0.6, -0.2)}),
                      band("si_sig", {0: sig_shape(0.6, 0.1)})])
    grade = claims.grade(ClaimData(rows), "4-sig")
    assert (grade.grade, grade.held, grade.judged) == (PARTLY, 2, 3)
    assert grade.worst["cell"] == "lowest SI–SIG" and grade.worst["mean"] == pytest.approx(0.1)


def accuracy_table() -> pd.DataFrame:
    return pd.DataFrame(
        [("none", s, 0.36 + 0.01 * s) for s in (0, 1, 2)] + [("fis", s, 0.94 + 0.01 * s) for s in (0, 1, 2)]
        + [("mas", s, 0.945 + 0.01 * s) for s in (0, 1, 2, 3)] + [("si", s, 0.946 + 0.01 * s + 0.002 * (s == 1))
                                                                     for s in (0, 1, 2)]
        + [("sig", s, 0.87 + 0.01 * s) for s in (0, 1, 2)],
        columns=["reg", "seed", "final_accuracy"])


def test_ewc_works_uses_paired_intervals_on_the_seeds_every_method_shares():
    data = ClaimData(band("mas_fis", {0: everywhere(0.9)}), accuracy=accuracy_table())
    works = claims.grade(data, "4-ewc")
    # Gains 0.58, 0.585, 0.586(+), 0.51 on every seed: intervals far above 0; seed 3 has MAS only and is left out.
    assert (works.grade, works.held, works.judged, works.seeds) == (HOLDS, 4, 4, (0, 1, 2))
    assert [p["name"] for p in works.parts] == ["fis", "mas", "si", "sig"]
    assert works.parts[0]["mean"] == pytest.approx(0.58)
    assert claims.grade(ClaimData(band("mas_fis", {0: everywhere(0.9)})), "4-ewc").grade == NOT_COMPUTED


def test_comparable_is_an_equivalence_test_within_a_tenth_of_the_best_gain():
    data = ClaimData(band("mas_fis", {0: everywhere(0.9)}), accuracy=accuracy_table())
    comparable = claims.grade(data, "4-ewc-comparable")
    # The best by mean is SI (0.9567 on seeds 0-2); its gain over fine-tuning is 0.5867, so the margin is 0.0587.
    assert comparable.threshold == pytest.approx(0.05867, abs=1e-4)
    parts = {p["name"]: p for p in comparable.parts}
    # FIS − SI: −0.006, −0.008, −0.006: 90 % interval −0.0067 ± 2.920 · 0.00115 / √3 = ± 0.0019, inside ± 0.0587.
    assert parts["fis"]["mean"] == pytest.approx(-0.00667, abs=1e-5) and parts["fis"]["passes"]
    assert parts["fis"]["half"] == pytest.approx(2.920 * np.std([-0.006, -0.008, -0.006], ddof=1) / math.sqrt(3))
    # SIG − SI: about −0.077 ± 0.002: outside the margin, so SIG is not shown comparable, and the claim fails.
    assert not parts["sig"]["passes"]
    assert (comparable.grade, comparable.held, comparable.judged) == (PARTLY, 2, 3)
    # SIG keeps (0.88 - 0.37) / (0.9567 - 0.37) of SI's gain on average: about 87 %.
    assert parts["sig"]["share_of_best"] == pytest.approx(np.mean([(0.87 + 0.01 * s - 0.36 - 0.01 * s) /
                                                                   (0.946 + 0.01 * s + 0.002 * (s == 1) - 0.36 - 0.01 * s)
                                                                   for s in (0, 1, 2)]))


def test_equivalence_interval_matches_scipys_t_quantile():
    differences = [-0.004, -0.007, -0.006, -0.003, -0.008]
    mean, half, n = equivalence_interval(differences)
    expected = stats.t.ppf(0.95, df=4) * stats.sem(differences)
    assert (mean, n) == (pytest.approx(np.mean(differences)), 5) and half == pytest.approx(expected, rel=1e-3)
    # TOST by scipy: both one-sided p-values below 5 % exactly when the 90 % interval is inside the margin.
    for margin in (0.005, 0.0075, 0.01):
        lower = stats.ttest_1samp(differences, -margin, alternative="greater").pvalue
        upper = stats.ttest_1samp(differences, margin, alternative="less").pvalue
        assert within_margin(mean, half, margin) == (max(lower, upper) < 0.05)


def test_claims_table_has_every_claim_and_only_known_grades():
    rows = pd.concat([band(p, {0: everywhere(0.9), 1: everywhere(0.85)}) for p in
                      ("mas_fis", "fis_mas2", "mas_si", "fis_si")] +
                     [band(p, {0: sig_shape(0.6, -0.1), 1: sig_shape(0.5, -0.05)}) for p in ("mas_sig", "fis_sig", "si_sig")])
    table = claims.claims_table(ClaimData(rows), "spearman")
    assert list(table.columns) == ["section", "claim", "test", "Pearson", "Spearman"]
    assert len(table) == len(claims.CLAIMS)
    known = {HOLDS, MOSTLY, PARTLY, FAILS, NOT_APPLICABLE, NOT_COMPUTED}
    assert set(table.Pearson) | set(table.Spearman) <= known
    assert table.set_index("section").loc["3.1"].iloc[1].Spearman == NOT_APPLICABLE


def test_unknown_coefficient_is_refused():
    with pytest.raises(ValueError, match="pearson"):
        claims.grade(ClaimData(band("mas_fis", {0: everywhere(0.9)})), "3.1-mas-fis", "kendall")
