"""The findings records of the two pages on trained networks ("Do they prune alike?", b5; "Why they agree", b6),
computed on small hand-made analyses whose numbers are worked out in the comments; p-values are checked against
scipy, Holm's correction against a step-down written out here."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from paper_code.analysis.pairs import unordered
from paper_code.analysis.summaries import method_order
from paper_code.book import trained_tables
from paper_code.studies.findings import read_record
from paper_code.studies.findings.analysed import correct, paired_test, retraining
from paper_code.studies.findings.pruning import family, pruning_record
from paper_code.studies.findings.structure import structure_record

SEEDS = (0, 1, 2)


def t_half(values) -> float:
    """Half-width of the 95 % interval of a mean, from scipy's t quantile."""
    values = np.asarray(values, dtype=float)
    return stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))


def p_of(values) -> float:
    return float(stats.ttest_1samp(values, 0.0).pvalue)


def holm_step_down(p_values: list[float]) -> list[float]:
    """Holm's adjustment written out: sort the finite p-values, multiply the i-th smallest (from 0) by m − i, keep
    the running maximum, cap at 1."""
    finite = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(finite):
        running = max(running, min(1.0, (len(finite) - rank) * p))
        adjusted[index] = running
    return adjusted


def test_a_family_is_corrected_by_holm_and_each_test_gets_its_verdict():
    # Three comparisons over three seeds: means +0.2 (sd 0.06), −0.05 (sd 0.01) and 0.01 (sd 0.1).
    values = ([0.14, 0.2, 0.26], [-0.04, -0.05, -0.06], [0.11, 0.01, -0.09])
    tests = [paired_test(pd.Series(v)) for v in values]
    counts = correct(tests)
    raw = [p_of(v) for v in values]
    assert [t["p_value"] for t in tests] == pytest.approx(raw, rel=1e-9)
    assert [t["p_holm"] for t in tests] == pytest.approx(holm_step_down(raw), rel=1e-9)
    # p = 0.0287 (t = 5.77, 2 degrees of freedom), 0.0131 (t = −8.66) and 0.88. Holm: 0.0131 × 3 = 0.039, kept;
    # 0.0287 × 2 = 0.057, not kept though measurable alone; 0.88 × 1.
    assert [t["uncorrected"] for t in tests] == [True, True, False]
    assert [t["verdict"] for t in tests] == ["not measurable", "lower", "not measurable"]
    assert counts == {"tests": 3, "alpha": 0.05, "measurable": 1, "uncorrected_only": 1}
    assert tests[0]["half"] == pytest.approx(t_half(values[0]), rel=1e-3) and tests[0]["signed"]


def test_the_retrained_networks_are_held_to_the_rounding_noise():
    analysis = SimpleNamespace(config=SimpleNamespace(reg="mas", lam=3.0),
                               runs=pd.DataFrame(dict(seed=[0, 1, 2], final_accuracy=[0.950, 0.951, 0.949])))
    study = pd.Series([0.951, 0.950, 0.949, 0.5], index=[0, 1, 2, 7])  # seed 7 was not retrained: left out
    found = retraining(analysis, study, rounding_sd=0.001)
    # Differences −0.001, +0.001, 0: mean 0, the largest 0.001; the limit is 2 · √2 · 0.001 = 0.00283.
    assert found["retrained_minus_study"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert found["retraining"]["largest"] == pytest.approx(0.001)
    assert found["retraining"]["limit"] == pytest.approx(2 * math.sqrt(2) * 0.001) and found["retraining"]["within_rounding"]
    assert found["study_accuracy"]["seeds"] == 3 and found["study_accuracy"]["mean"] == pytest.approx(0.950)
    assert "trials=retrained for the analysis" in found["retrained_accuracy"]["label"]
    assert not retraining(analysis, study, rounding_sd=0.0003)["retraining"]["within_rounding"]  # limit 0.00085
    assert retraining(analysis, study)["retraining"]["within_rounding"] is None  # no noise study


# --------------------------------------------------------------------------- b5
#: Accuracy at 50 % removed, per seed, averaged over the two tasks (layer-wise; global adds 0.05 to every method).
BY_IMPORTANCE = {"random": [0.50, 0.52, 0.54], "magnitude": [0.80, 0.81, 0.82], "fis": [0.40, 0.40, 0.40],
                 "mas": [0.46, 0.50, 0.54], "sig": [0.70, 0.72, 0.77]}
BY_SALIENCY = {"fis": [0.78, 0.80, 0.83], "mas": [0.80, 0.83, 0.84], "sig": [0.75, 0.78, 0.80]}
#: Pearson r (every seed and layer) and top-10 % Jaccard of each pair: the Jaccard ranks the pairs as r does.
PAIRS = {"mas_fis": (0.9, 0.6), "sig_magnitude": (0.8, 0.4), "mas_sig": (0.15, 0.09), "fis_sig": (0.1, 0.08),
         "fis_random": (0.02, 0.054), "mas_random": (0.01, 0.053), "sig_random": (0.0, 0.052),
         "magnitude_random": (-0.01, 0.051), "fis_magnitude": (-0.1, 0.03), "mas_magnitude": (-0.15, 0.02)}


def pruning_analysis() -> SimpleNamespace:
    rows = []
    for scope, shift in (("layer", 0.0), ("global", 0.05)):
        for ranking, table in (("importance", BY_IMPORTANCE), ("saliency", BY_SALIENCY)):
            for method, values in table.items():
                for seed, value in zip(SEEDS, values):
                    # The two tasks lie ±0.02 around the mean; under global pruning by FIS's importance, ±0.05·(seed+1):
                    # first minus last −0.1, −0.2, −0.3.
                    spread = 0.05 * (seed + 1) if (scope, ranking, method) == ("global", "importance", "fis") else 0.02
                    for task, sign in ((1, -1), (2, 1)):
                        rows.append(dict(seed=seed, method=method, ranking=ranking, scope=scope, fraction=0.5,
                                         after_task=2, removed=10, task=task, accuracy=value + shift + sign * spread))
                        rows.append(dict(seed=seed, method=method, ranking=ranking, scope=scope, fraction=0.0,
                                         after_task=2, removed=0, task=task, accuracy=0.95))
    correlations = [dict(seed=s, pair=pair, layer=layer, task=2, pearson=r, spearman=r)
                    for pair, (r, _) in PAIRS.items() for s in SEEDS for layer in (1, 2)]
    # The overlap table names each pair in the library's method order (FIS before MAS), as the analysis writes it.
    overlap = [dict(seed=s, method_a=a, method_b=b, layer=layer, k=10.0, jaccard=j)
               for pair, (_, j) in PAIRS.items() for a, b in [method_order(unordered(pair))]
               for s in SEEDS for layer in (1, 2)]
    return SimpleNamespace(seeds=list(SEEDS), key="hand", config=SimpleNamespace(tasks=2, epochs=1, reg="mas", lam=3.0),
                           runs=pd.DataFrame(dict(seed=list(SEEDS), final_accuracy=[0.95, 0.95, 0.95])),
                           pruning=pd.DataFrame(rows), correlations=pd.DataFrame(correlations),
                           topk_overlap=pd.DataFrame(overlap))


def test_the_pruning_record_pairs_every_comparison_by_seed_and_corrects_the_family():
    record = pruning_record(pruning_analysis())
    layer = record["pruning"]["layer"]
    # Ranked by their mean accuracy: |w| 0.81, SIG 0.73, random 0.52, MAS 0.50, FIS 0.40.
    assert layer["order"] == ["magnitude", "sig", "random", "mas", "fis"]
    assert layer["importance"]["sig"]["mean"] == pytest.approx(0.73)
    # FIS − random: −0.10, −0.12, −0.14 (mean −0.12, sd 0.02); MAS − random: −0.04, −0.02, 0.00 (mean −0.02).
    fis = layer["tests"]["fis"]
    assert fis["versus_random"]["mean"] == pytest.approx(-0.12)
    assert fis["versus_random"]["half"] == pytest.approx(t_half([-0.10, -0.12, -0.14]), rel=1e-3)
    assert fis["versus_random"]["p_value"] == pytest.approx(p_of([-0.10, -0.12, -0.14]), rel=1e-9)
    # Ranked by Ω·w² − by Ω: 0.38, 0.40, 0.43; against |w| ranked by itself: −0.02, −0.01, +0.01.
    assert fis["change"]["mean"] == pytest.approx(0.40333333)
    assert fis["saliency_versus_magnitude"]["mean"] == pytest.approx(-0.00666667)
    assert layer["tests"]["mas"]["versus_random"]["mean"] == pytest.approx(-0.02)
    # The task profile reads global pruning at 50 %: FIS's first task minus its last, −0.1, −0.2, −0.3; the other
    # methods −0.04 on every seed (no spread, no p-value).
    tasks = record["tasks"]
    assert (tasks["scope"], tasks["fraction"], tasks["first"], tasks["last"]) == ("global", 0.5, 1, 2)
    assert tasks["tests"]["fis"]["mean"] == pytest.approx(-0.2)
    assert tasks["tests"]["fis"]["p_value"] == pytest.approx(p_of([-0.1, -0.2, -0.3]), rel=1e-9)
    assert tasks["tests"]["mas"]["p_value"] is None or math.isnan(tasks["tests"]["mas"]["p_value"])
    # One family: 2 scopes × 3 importances × 4 comparisons, and 5 methods' first − last; Holm over the finite ones.
    tests = list(family(record))
    assert record["family"]["tests"] == len(tests) == 29
    raw = [t["p_value"] for t in tests]
    assert [t["p_holm"] for t in tests] == pytest.approx(holm_step_down(raw), nan_ok=True)
    assert record["family"]["measurable"] == sum(a <= 0.05 for a in holm_step_down(raw) if not math.isnan(a))
    assert all(t["verdict"] == "not measurable" for t in tests if math.isnan(t["p_value"]))
    # The ranges the prose quotes: Ω·w² − Ω is lowest for SIG (0.05, 0.06, 0.03: mean 0.0467).
    assert record["ranges"]["change"]["low"] == pytest.approx(0.04666667)
    assert record["ranges"]["gradient_versus_random"]["layer"] == pytest.approx({"low": -0.12, "high": -0.02})


def test_the_pruning_record_relates_correlation_to_shared_weights_and_pruning():
    agreement = pruning_record(pruning_analysis())["agreement"]
    assert agreement["count"] == 10 and agreement["order"][0] == "fis_mas"  # the most correlated first
    assert agreement["overlap_rho"] == pytest.approx(1.0)  # the Jaccard ranks the pairs as r does
    pair = agreement["pairs"]["fis_mas"]
    # Layer-wise, the seed-mean curves are 0.40 (FIS, sd 0) and 0.50 (MAS, sd 0.04): gap 0.10, pooled sd
    # √((0 + 0.0016) / 2) = 0.0283, twice that 0.0566 < 0.10: they prune apart.
    assert pair["gap"]["layer"] == pytest.approx(0.10) and not pair["alike"]["layer"]
    assert pair["jaccard"]["10"] == pytest.approx(0.6) and pair["pearson"] == pytest.approx(0.9)
    groups = agreement["groups"]
    # The importances built from gradients present here are FIS and MAS: one pair; SIG with them: two.
    assert groups["gradient"]["pairs"] == 1 and groups["sig_gradient"]["pairs"] == 2
    assert groups["sig_gradient"]["pearson"] == pytest.approx({"low": 0.1, "high": 0.15})
    assert groups["magnitude_gradient"]["jaccard"] == pytest.approx({"low": 0.02, "high": 0.03})
    # Chance overlap of two random top-10 % sets: q / (2 − q) = 0.1 / 1.9.
    assert agreement["chance"]["10"] == pytest.approx(0.1 / 1.9, rel=1e-3)
    # SIG–|w| (r = 0.8): curves 0.73 and 0.81 apart by 0.08, sds 0.0361 and 0.01, 2 · pooled 0.053: apart.
    assert agreement["apart_above_high"] == ["fis_mas", "sig_magnitude"]


def test_the_tables_mark_what_holm_does_not_keep():
    record = pruning_record(pruning_analysis())
    text = trained_tables.pruning_table(record).text
    assert text.count("\n") == 2 + 2 * 5 - 1  # header, rule, five methods per scope
    for scope in ("layer", "global"):
        for method, tests in record["pruning"][scope]["tests"].items():
            assert ("†" in trained_tables.difference(tests["versus_random"])) == (not tests["versus_random"]["measurable"])
    assert trained_tables.agreement_table(record).text.count("\n") == 2 + 10 - 1


def test_the_committed_b5_states_the_holm_corrected_family():
    record = read_record("b5")
    tests = list(family(record))
    assert record["family"]["tests"] == len(tests)
    assert [t["p_holm"] for t in tests] == pytest.approx(holm_step_down([t["p_value"] for t in tests]), rel=1e-4)
    # The uncorrected tests of the old page called these measurable; Holm's correction does not keep them.
    assert record["family"]["uncorrected_only"] > 0
    # The retrained networks are labelled as b6 labels them: one statistic, one value.
    assert read_record("b6")["retrained_accuracy"] == record["retrained_accuracy"]


# --------------------------------------------------------------------------- b6
def structure_analysis() -> SimpleNamespace:
    """Two layers, three seeds, after task 2 (task 1 is ignored). Rank-1 shares (every seed alike except FIS on layer 1):
    FIS 0.5/0.85, MAS 0.6/0.9, SIG 0.2/0.3, |w| 0.1/0.1, random 0.0/0.05."""
    shares = {"fis": (0.5, 0.85), "mas": (0.6, 0.9), "sig": (0.2, 0.3), "magnitude": (0.1, 0.1), "random": (0.0, 0.05)}
    structure = [dict(seed=s, method=m, layer=layer, task=task, importances=kind, energy_share=0.0,
                      variance_share=v[layer - 1] + (0.01 * s if (m, layer) == ("fis", 1) else 0.0),
                      pearson_fit=0.9 if kind == "per_task" else 0.0)
                 for m, v in shares.items() for s in SEEDS for layer in (1, 2) for task in (1, 2)
                 for kind in ("accumulated", "per_task")]
    # Pairs: (observed r, r of the fits, r of the residuals, covariance share) on layers 1 and 2.
    cells = {"mas_fis": [(0.9, 0.9, 0.8, 0.6), (0.9, 0.9, 0.7, 0.9)],
             "mas_sig": [(0.1, 0.5, 0.0, 3.0), (0.4, 0.8, -0.1, 1.1)],
             "fis_sig": [(0.15, 0.4, 0.0, -1.0), (-0.12, 0.3, -0.3, 0.5)]}
    pairs = [dict(seed=s, pair=pair, layer=layer + 1, task=2, importances="accumulated", pearson=r, pearson_rank1=r1,
                  pearson_residual=res, rank1_share=share, spearman=r, spearman_rank1=r1)
             for pair, values in cells.items() for layer, (r, r1, res, share) in enumerate(values) for s in SEEDS]
    # Correlation with |w| (layers 1, 2): FIS −0.05/−0.3, MAS −0.1/−0.25, SIG 0.7/0.9; with random at most 0.02.
    magnitude = {"fis": (-0.05, -0.3), "mas": (-0.1, -0.25), "sig": (0.7, 0.9)}
    correlations = [dict(seed=s, pair=f"{m}_{base}", layer=layer + 1, task=2, pearson=r, spearman=r)
                    for m, values in magnitude.items() for s in SEEDS for layer in (0, 1)
                    for base, r in (("magnitude", values[layer]), ("random", 0.02 if m == "sig" else -0.01))]
    # eqs. (2)–(3), one reading per sample reproducing the importance, one summed, per seed: FIS per sample
    # 0.93, 0.94, 0.95 against a rank-1 fit of 0.9 (differences 0.03, 0.04, 0.05).
    eq = [dict(seed=s, task=2, layer=layer, comparison=c, pearson=v + 0.01 * s, spearman=0.0)
          for s in SEEDS for layer in (1, 2)
          for c, v in (("eq2", 0.5), ("eq2_per_sample", 0.93), ("eq3", 0.7), ("eq3_per_sample", 0.99))]
    return SimpleNamespace(seeds=list(SEEDS), key="hand", config=SimpleNamespace(tasks=2, epochs=1, reg="mas", lam=3.0),
                           runs=pd.DataFrame(dict(seed=list(SEEDS), final_accuracy=[0.95, 0.95, 0.95])),
                           structure=pd.DataFrame(structure), structure_pairs=pd.DataFrame(pairs),
                           correlations=pd.DataFrame(correlations), eq23=pd.DataFrame(eq))


def test_the_structure_record_splits_each_agreement_and_names_the_cells():
    record = structure_record(structure_analysis())
    # FIS on layer 1: 0.50, 0.51, 0.52, mean 0.51; no importance reaches 0.8 on both layers.
    assert record["rank1_share"]["fis"] == pytest.approx({"1": 0.51, "2": 0.85})
    assert record["rank1_everywhere"] == [] and record["rank1_gradient"] == pytest.approx({"low": 0.51, "high": 0.9})
    # |r| < 0.2 is too weak to split: MAS–SIG and FIS–SIG on layer 1, FIS–SIG on layer 2 (r = −0.12).
    assert record["cell_lists"]["too_weak"] == [["mas_sig", 1], ["fis_sig", 1], ["fis_sig", 2]]
    # MAS–SIG layer 2: 110 % in the fits, residuals −0.1: the units alone. MAS–FIS: residuals 0.8 and 0.7.
    assert record["cell_lists"]["only"] == [["mas_sig", 2]]
    assert record["cell_lists"]["beyond"] == [["mas_fis", 1], ["mas_fis", 2]]
    assert record["pairs"]["mas_fis"]["1"]["reading"] == "partly"
    assert record["beyond"]["residual"] == pytest.approx({"low": 0.7, "high": 0.8})
    assert record["beyond"]["share"] == pytest.approx({"low": 0.6, "high": 0.9})
    # SIG pairs: the last layer here is 2, so "inner" is layer 1 only.
    sig = record["sig"]
    assert sig["last_layer"] == 2 and sig["inner_rank1"] == pytest.approx({"low": 0.4, "high": 0.5})
    assert sig["output_pearson"] == pytest.approx({"low": -0.12, "high": 0.4})
    # The importances built from gradients (FIS, MAS) against |w|: −0.1 to −0.05 before the last layer, −0.3 to −0.25 on it.
    g = record["magnitude_gradient"]
    assert g["inner"] == pytest.approx({"low": -0.1, "high": -0.05}) and g["inner_largest"] == pytest.approx(0.1)
    assert g["output"] == pytest.approx({"low": -0.3, "high": -0.25})
    assert record["random_floor"] == pytest.approx(0.02)


def test_the_structure_record_corrects_the_eq23_family():
    eq23 = structure_record(structure_analysis())["eq23"]
    fis = eq23["cells"]["fis"]["1"]
    # Per sample − rank-1: 0.03, 0.04, 0.05 (mean 0.04, sd 0.01); rank-1 − summed: 0.4, 0.39, 0.38.
    assert fis["per_sample"] == pytest.approx(0.94) and fis["rank1"] == pytest.approx(0.9)
    assert fis["per_sample_minus_rank1"]["mean"] == pytest.approx(0.04)
    assert fis["per_sample_minus_rank1"]["p_value"] == pytest.approx(p_of([0.03, 0.04, 0.05]), rel=1e-9)
    assert fis["rank1_minus_summed"]["mean"] == pytest.approx(0.39)
    tests = [cell[name] for layers in eq23["cells"].values() for cell in layers.values()
             for name in ("per_sample_minus_rank1", "rank1_minus_summed")]
    assert eq23["family"]["tests"] == len(tests) == 8  # FIS and MAS, two layers, two comparisons
    assert [t["p_holm"] for t in tests] == pytest.approx(holm_step_down([t["p_value"] for t in tests]))
    assert eq23["summed"] == pytest.approx({"low": 0.51, "high": 0.71})
    assert eq23["range"]["mas"]["per_sample"] == pytest.approx({"low": 1.0, "high": 1.0})
