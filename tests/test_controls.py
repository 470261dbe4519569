"""The controls inside EWC: uniform (Ω = 1), MAS shuffled within each tensor, MAS's rank-1 fit. Each against an
independent reference: numpy's SVD, a sort, a hand count; and in a run, the penalty they make."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import small_config
from paper_code import run_experiment
from paper_code.__main__ import main
from paper_code.importance import post_training_importances
from paper_code.results import IMPORTANCES_DIR, task_file
from paper_code.studies.controls import CONTROL_GRID, control_config, control_grid_configs
from paper_code.studies.grid import LAMBDA_SEEDS


def test_the_controls_against_independent_references(small_model, small_batch):
    inputs, labels = small_batch
    got = post_training_importances(small_model, inputs, labels, ["uniform", "shuffled", "rank1"], seed=3, task=2)
    mas = post_training_importances(small_model, inputs, labels, ["mas"])["mas"]
    for name, param in small_model.named_parameters():
        assert torch.equal(got["uniform"][name], torch.ones_like(param))
        # Shuffled: the same values as MAS, in another placement.
        assert torch.equal(got["shuffled"][name].flatten().sort().values, mas[name].flatten().sort().values)
        if mas[name].numel() > 3:
            assert not torch.equal(got["shuffled"][name], mas[name])
        if param.dim() == 2:
            # Rank-1: numpy's leading singular triple of MAS, σ₁ u₁ v₁ᵀ.
            u, s, vh = np.linalg.svd(mas[name].numpy(), full_matrices=False)
            expected = np.abs(s[0] * np.outer(u[:, 0], vh[0]))  # u₁ and v₁ share their sign
            np.testing.assert_allclose(got["rank1"][name].numpy(), expected, rtol=1e-9, atol=1e-14)
            assert torch.linalg.matrix_rank(got["rank1"][name]) == 1
        else:
            assert torch.equal(got["rank1"][name], mas[name])
    again = post_training_importances(small_model, inputs, labels, ["shuffled"], seed=3, task=2)["shuffled"]
    other = post_training_importances(small_model, inputs, labels, ["shuffled"], seed=3, task=3)["shuffled"]
    assert all(torch.equal(again[k], got["shuffled"][k]) for k in again)  # drawn from (seed, task) alone
    assert not all(torch.equal(other[k], got["shuffled"][k]) for k in other)


@pytest.mark.slow
def test_uniform_inside_ewc_is_l2_anchoring_summed_over_tasks(tmp_path):
    config = small_config(tasks=3, reg="uniform", lam=1e-3, methods=("mas", "uniform"), pairs=())
    results = run_experiment(config, tmp_path / "run", quiet=True)
    accumulated = torch.load(task_file(results.path, IMPORTANCES_DIR, 2), weights_only=True)["accumulated"]
    # Ω = 1 per task, summed: 2 everywhere after two tasks, the penalty of task 3 is λ · 2 · Σ (θ − θ*)².
    assert all(torch.equal(v, torch.full_like(v, 2.0)) for v in accumulated["uniform"].values())
    anchor = torch.load(task_file(results.path, "checkpoints", 2), weights_only=True)
    final = torch.load(task_file(results.path, "checkpoints", 3), weights_only=True)
    by_hand = 1e-3 * sum(float((2.0 * (final[k] - anchor[k]).double().square()).sum()) for k in final)
    logged = results.training[results.training.task == 3].penalty.iloc[-1]
    assert logged == pytest.approx(by_hand, rel=1e-5)


def test_run_with_a_control_as_penalty_adds_it_to_the_methods(tmp_path, capsys):
    out = tmp_path / "x"
    status = main(["run", "--out", str(out), "--reg", "rank1", "--lam", "3", "--tasks", "1", "--epochs", "1",
                   "--train-size", "1000", "--test-size", "200", "--importance-samples", "200", "--quiet"])
    assert status == 0
    from paper_code import load_results

    results = load_results(out)
    assert results.config.reg == "rank1" and "rank1" in results.config.methods


def test_the_control_grid_is_four_lambdas_on_the_lambda_seeds():
    configs = control_grid_configs()
    assert len(configs) == sum(len(lams) for lams in CONTROL_GRID.values()) * len(LAMBDA_SEEDS)
    assert all(len(lams) >= 4 for lams in CONTROL_GRID.values())
    assert all(c.reg in c.methods and c.methods[:5] == ("fis", "fis_true", "mas", "si", "sig") for c in configs)
    assert control_config("uniform", 1e-3, 0).key != control_config("uniform", 1e-3, 1).key


def test_a_control_grid_widened_at_its_edge_computes_the_controls_importance():
    """The widened λ of a control is a runnable configuration: the control is added to the methods."""
    import pandas as pd

    from paper_code.studies.grid import widened_configs

    table = pd.DataFrame([dict(reg="random", lam=lam, seed=seed, final_accuracy=0.5 + lam)
                          for lam in CONTROL_GRID["random"] for seed in LAMBDA_SEEDS])
    widened = widened_configs(table)
    assert {(c.reg, c.lam) for c in widened} == {("random", 0.03)} and len(widened) == len(LAMBDA_SEEDS)
    assert all("random" in c.methods for c in widened)
    assert widened[0].key == control_config("random", 0.03, widened[0].seed).key


def _study(accuracies: dict[tuple[str, float], list[float]]):
    """A hand-made study: accuracies[(reg, λ)] = final accuracy of seeds 0, 1, 2, ..."""
    import pandas as pd

    from paper_code.studies.grid import Study

    rows = [dict(reg=reg, lam=lam, seed=seed, final_accuracy=value, average_forgetting=1 - value,
                 trial_dir=f"trials/{reg}{lam}{seed}")
            for (reg, lam), values in accuracies.items() for seed, value in enumerate(values)]
    return Study(Path("."), pd.DataFrame(rows))


def test_the_regularizer_comparison_pairs_every_regularizer_with_fine_tuning_and_mas_by_seed():
    from scipy import stats

    from paper_code.studies.controls import regularizer_comparison

    study = _study({
        ("none", 0.0): [0.50, 0.52, 0.48],
        ("mas", 1.0): [0.90, 0.90, 0.90], ("mas", 3.0): [0.94, 0.95, 0.93],
        ("uniform", 0.001): [0.92, 0.93, 0.90], ("uniform", 0.01): [0.80, 0.81, 0.79],
    })
    frame = regularizer_comparison(study, seeds=(0, 1, 2)).set_index("reg")
    assert list(frame.index) == ["mas", "uniform", "none"]
    assert frame.loc["mas", "lam"] == 3.0 and frame.loc["uniform", "lam"] == 0.001  # the best mean accuracy
    gain = np.array([0.92, 0.93, 0.90]) - np.array([0.50, 0.52, 0.48])
    interval = stats.t.interval(0.95, 2, loc=gain.mean(), scale=stats.sem(gain))
    assert frame.loc["uniform", "gain"] == pytest.approx(gain.mean())
    assert frame.loc["uniform", "gain_ci"] == pytest.approx((interval[1] - interval[0]) / 2, rel=1e-3)
    versus = np.array([0.92, 0.93, 0.90]) - np.array([0.94, 0.95, 0.93])
    assert frame.loc["uniform", "versus_reference"] == pytest.approx(versus.mean())
    ratios = gain / (np.array([0.94, 0.95, 0.93]) - np.array([0.50, 0.52, 0.48]))
    assert frame.loc["uniform", "share_kept"] == pytest.approx(ratios.mean())
    assert frame.loc["mas", "share_kept"] == pytest.approx(1.0) and np.isnan(frame.loc["mas", "versus_reference"])
    assert np.isnan(frame.loc["none", "gain"]) and frame.loc["none", "group"] == "fine-tuning"
    assert frame.loc["uniform", "group"] == "control" and frame.loc["mas", "group"] == "importance"


def test_the_comparison_needs_fine_tuning_on_the_seeds():
    from paper_code.errors import ResultsError
    from paper_code.studies.controls import regularizer_comparison

    with pytest.raises(ResultsError, match="no fine-tuning trial"):
        regularizer_comparison(_study({("mas", 3.0): [0.9, 0.9]}), seeds=(0, 1))


def test_the_controls_record_corrects_the_family_and_tests_equivalence_within_the_margin():
    from scipy import stats

    from paper_code.analysis.spread import holm
    from paper_code.studies.findings.controls import controls_record

    fine_tuning, mas = [0.50, 0.52, 0.48], [0.94, 0.95, 0.93]
    study = _study({("none", 0.0): fine_tuning, ("mas", 3.0): mas,
                    ("uniform", 1e-3): [0.84, 0.84, 0.84],     # 0.10 behind on every seed but one
                    ("rank1", 3.0): [0.941, 0.949, 0.931],      # within 0.002 of MAS on every seed
                    ("sig", 0.1): [0.93, 0.95, 0.90]})          # level on average, noisy
    record = controls_record(study, seeds=(0, 1, 2))
    entries = record["regularizers"]
    # The margin of comparable quality: a tenth of MAS's mean gain (0.94 - 0.50, 0.95 - 0.52, 0.93 - 0.48: 0.44).
    assert record["margin"] == pytest.approx(0.044)
    uniform = np.array([0.84] * 3)
    assert entries["uniform"]["share_kept"]["mean"] == pytest.approx(np.mean((uniform - fine_tuning) / (np.array(mas) - fine_tuning)))
    # Holm over the three comparisons with MAS, from scipy's paired t-tests.
    p = [stats.ttest_rel(np.array(v), mas).pvalue for v in ([0.93, 0.95, 0.90], uniform, [0.941, 0.949, 0.931])]
    adjusted = holm(p)
    for reg, value in zip(("sig", "uniform", "rank1"), adjusted):
        assert entries[reg]["p_holm"] == pytest.approx(value, rel=1e-6)
        assert entries[reg]["measurably_different"] == (value <= 0.05)
    assert entries["uniform"]["measurably_different"] and not entries["rank1"]["measurably_different"]
    # rank-1: differences 0.001, -0.001, 0.001; 90 % interval ± 2.920 · 0.00115 / √3 = ± 0.0019: inside ± 0.044.
    assert entries["rank1"]["equivalent"] and not entries["uniform"]["equivalent"]
    # The smallest margin that would pass, as a share of MAS's gain: (|mean| + t(0.95, 2) · sd / √3) / 0.44.
    rank1 = np.array([0.941, 0.949, 0.931]) - mas
    needed = (abs(rank1.mean()) + stats.t.ppf(0.95, 2) * rank1.std(ddof=1) / 3 ** 0.5) / 0.44
    assert entries["rank1"]["margin_needed_share"] == pytest.approx(needed, rel=1e-4)
    # uniform: differences −0.10, −0.11, −0.09 (mean 0.10, sd 0.01): (0.10 + 2.920 · 0.01 / √3) / 0.44 = 0.266.
    assert entries["uniform"]["margin_needed_share"] == pytest.approx((0.10 + 2.919986 * 0.01 / 3 ** 0.5) / 0.44, rel=1e-4)
    assert record["importances_by_accuracy"] == ["mas", "sig"] and record["controls_by_share"] == ["rank1", "uniform"]
    assert entries["uniform"]["forgetting_ratio"] == pytest.approx(0.16 / 0.06)  # forgetting is 1 - accuracy here
    assert entries["mas"]["lambda_seeds"] == [0, 1, 2] and "share_kept" not in entries["mas"]
