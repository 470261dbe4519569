"""Grades on seed bands, on hand-made tables whose grades are worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from paper_code.studies import claims
from paper_code.studies.claims import ClaimData
from paper_code.studies.grading import DIRECTION, FAILS, HOLDS, MOSTLY, NOT_APPLICABLE, NOT_COMPUTED

LAYERS, TASKS = (1, 2, 3), (1, 2, 3, 4)


def band(pair: str, by_seed: dict[int, dict[tuple[int, int], float]]) -> pd.DataFrame:
    """Correlation rows for ``pair``: {seed: {(layer, task): value}}; Spearman is set to half the value."""
    return pd.DataFrame([dict(pair=pair, layer=l, task=t, pearson=v, spearman=v / 2, seed=s)
                         for s, cells in by_seed.items() for (l, t), v in cells.items()])


def everywhere(value: float) -> dict[tuple[int, int], float]:
    return {(l, t): value for l in LAYERS for t in TASKS}


def test_threshold_claim_holds_in_k_of_n_and_names_the_worst_cell():
    seed0, seed1 = everywhere(0.9), everywhere(0.9)
    seed0[(2, 1)], seed1[(2, 1)] = 0.70, 0.74  # mean 0.72, std |0.70 - 0.74| / sqrt(2) = 0.028
    seed0[(3, 4)], seed1[(3, 4)] = 0.78, 0.90  # mean 0.84 holds, but seed 0 alone does not
    grade = claims.grade(ClaimData(band("mas_fis", {0: seed0, 1: seed1})), "3.1-mas-fis")
    assert grade.grade == MOSTLY and grade.label == "holds in 11 of 12 cells"
    assert (grade.held, grade.judged, grade.robust, grade.seeds) == (11, 12, 10, 2)
    assert grade.worst == "layer 2, after task 1: 0.72 ± 0.03"
    assert "10 of 12 cells hold for every seed" in grade.evidence


def test_threshold_claim_on_every_cell_and_on_one_run():
    grade = claims.grade(ClaimData(band("mas_si", {0: everywhere(0.85)})), "3.2-mas-si")
    assert grade.grade == HOLDS and grade.seeds == 1 and "on 1 run" in grade.evidence


def test_below_threshold_but_positive_everywhere_is_direction_only():
    values = everywhere(0.6)
    values[(1, 1)] = 0.9  # 1 of 12 above 0.75: not most, but all positive
    grade = claims.grade(ClaimData(band("fis_si", {0: values, 1: values})), "3.4-fis-si")
    assert grade.grade == DIRECTION
    values[(3, 3)] = -0.1
    assert claims.grade(ClaimData(band("fis_si", {0: values})), "3.4-fis-si").grade == FAILS


def test_undefined_cells_are_counted_not_judged():
    seed0, seed1 = everywhere(0.9), everywhere(0.9)
    seed0[(1, 1)] = seed1[(1, 1)] = math.nan  # undefined for every seed: not judged
    seed0[(2, 2)] = math.nan                  # undefined for one seed: judged on the other (0.9)
    grade = claims.grade(ClaimData(band("mas_fis", {0: seed0, 1: seed1})), "3.1-mas-fis")
    assert (grade.grade, grade.held, grade.judged, grade.undefined) == (HOLDS, 11, 11, 1)
    assert "1 cell undefined" in grade.evidence


def test_fis_mas2_is_not_applicable_with_spearman():
    rows = pd.concat([band("mas_fis", {0: everywhere(0.8)}), band("fis_mas2", {0: everywhere(0.85)})])
    data = ClaimData(rows)
    assert claims.grade(data, "3.1-fis-mas2", "spearman").grade == NOT_APPLICABLE
    assert claims.grade(data, "3.1-fis-mas2", "pearson").grade == HOLDS


def test_higher_claim_direction_is_the_mean_difference():
    low = everywhere(0.79)
    low[(1, 1)] = 0.99  # one cell far above, eleven just below 0.8: mean difference (0.19 - 11 * 0.01) / 12 > 0
    rows = pd.concat([band("mas_fis", {0: everywhere(0.8)}), band("fis_mas2", {0: low})])
    grade = claims.grade(ClaimData(rows), "3.1-fis-mas2")
    assert (grade.grade, grade.held) == (DIRECTION, 1)


def sig_shape(layer1: float, layer3: float) -> dict[tuple[int, int], float]:
    return {(l, t): {1: layer1, 2: 0.3, 3: layer3}[l] for l in LAYERS for t in TASKS}


def test_sig_pattern_is_two_claims_each_on_its_own_layer():
    data = ClaimData(band("mas_sig", {0: sig_shape(0.6, -0.1)}))
    for half in ("input", "output"):
        grade = claims.grade(data, f"3.3-mas-sig-{half}")
        assert (grade.grade, grade.judged) == (HOLDS, 4)  # 4 tasks on layer 1, or on layer 3
    shape = sig_shape(0.3, 0.05)
    shape[(3, 2)] = -0.05  # layer 1 positive but below 0.4 everywhere; layer 3 negative after task 2 only
    data = ClaimData(band("si_sig", {0: shape}))
    assert (claims.grade(data, "3.6-si-sig-input").grade, claims.grade(data, "3.6-si-sig-input").held) == (DIRECTION, 0)
    output = claims.grade(data, "3.6-si-sig-output")
    assert (output.grade, output.held, output.judged) == (DIRECTION, 1, 4)
    # One half cannot carry the other: layer 3 negative everywhere, layer 1 far below 0.4 and negative.
    data = ClaimData(band("fis_sig", {0: sig_shape(-0.2, -0.3)}))
    assert claims.grade(data, "3.5-fis-sig-input").grade == FAILS
    assert claims.grade(data, "3.5-fis-sig-output").grade == HOLDS


def test_agreement_claim_pools_the_three_pairs():
    low = everywhere(0.9)
    low[(2, 1)] = 0.7
    rows = pd.concat([band("mas_fis", {0: everywhere(0.9)}), band("mas_si", {0: low}), band("fis_si", {0: everywhere(0.8)})])
    grade = claims.grade(ClaimData(rows), "4-agree")
    assert (grade.grade, grade.held, grade.judged) == (MOSTLY, 35, 36)
    assert grade.label == "holds in 35 of 36 cells"


def test_sig_negative_somewhere_uses_each_pairs_lowest_value():
    rows = pd.concat([band("mas_sig", {0: sig_shape(0.6, -0.1)}), band("fis_sig", {0: sig_shape(0.6, -0.2)}),
                      band("si_sig", {0: sig_shape(0.6, 0.1)})])
    grade = claims.grade(ClaimData(rows), "4-sig")
    assert (grade.grade, grade.held, grade.judged) == (MOSTLY, 2, 3)
    assert grade.worst == "lowest SI–SIG: 0.10"


def test_ewc_claims_use_paired_intervals_on_the_seeds_every_method_shares():
    accuracy = pd.DataFrame(
        [("none", s, 0.36 + 0.01 * s) for s in (0, 1, 2)] + [("fis", s, 0.94 + 0.01 * s) for s in (0, 1, 2)]
        + [("mas", s, 0.945 + 0.01 * s) for s in (0, 1, 2, 3)] + [("si", s, 0.946 + 0.01 * s + 0.002 * (s == 1))
                                                                     for s in (0, 1, 2)]
        + [("sig", s, 0.87 + 0.01 * s) for s in (0, 1, 2)],
        columns=["reg", "seed", "final_accuracy"])
    data = ClaimData(band("mas_fis", {0: everywhere(0.9)}), accuracy=accuracy)
    works = claims.grade(data, "4-ewc")
    # Gains 0.58, 0.585, 0.586(+), 0.51 on every seed: intervals far above 0; seed 3 has MAS only and is left out.
    assert (works.grade, works.held, works.judged, works.seeds) == (HOLDS, 4, 4, 3)
    comparable = claims.grade(data, "4-ewc-comparable")
    # The best by mean is SI (0.9567). FIS − SI: −0.006, −0.008, −0.006: sd 0.00115, half-width 4.303·0.00115/√3
    # = 0.0029, so the interval stays below 0 (measurably worse); MAS − SI: −0.001, −0.003, −0.001: half-width
    # 0.0029 reaches 0 (not measurably worse); SIG − SI: −0.076 … measurably worse. One of three holds.
    assert (comparable.grade, comparable.held, comparable.judged) == (FAILS, 1, 3)
    assert "FIS − SI -0.0067 ± 0.0029 ✗" in comparable.evidence and "MAS − SI -0.0017 ± 0.0029;" in comparable.evidence
    assert claims.grade(ClaimData(band("mas_fis", {0: everywhere(0.9)})), "4-ewc").grade == NOT_COMPUTED


def test_claims_table_has_every_claim_and_only_known_grades():
    rows = pd.concat([band(p, {0: everywhere(0.9), 1: everywhere(0.85)}) for p in
                      ("mas_fis", "fis_mas2", "mas_si", "fis_si")] +
                     [band(p, {0: sig_shape(0.6, -0.1), 1: sig_shape(0.5, -0.05)}) for p in ("mas_sig", "fis_sig", "si_sig")])
    table = claims.claims_table(ClaimData(rows), "spearman")
    assert list(table.columns) == ["section", "claim", "test", "Pearson", "Spearman", "evidence"]
    assert len(table) == len(claims.CLAIMS)
    known = {HOLDS, DIRECTION, FAILS, NOT_APPLICABLE, NOT_COMPUTED}
    for label in np.concatenate([table.Pearson.to_numpy(), table.Spearman.to_numpy()]):
        assert label in known or (label.startswith("holds in ") and label.endswith(" cells")), label
    row = table.set_index("section").loc["3.1"].iloc[1]
    assert row.Spearman == NOT_APPLICABLE


def test_unknown_coefficient_is_refused():
    with pytest.raises(ValueError, match="pearson"):
        claims.grade(ClaimData(band("mas_fis", {0: everywhere(0.9)})), "3.1-mas-fis", "kendall")
