"""The magnitude and random baselines: what they are, that registering them changed no cache key, and
that computing them after the fact from a results folder gives exactly what a run that asked for them stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from paper_code import run_experiment
from paper_code.analysis.pairs import analysis_pairs
from paper_code.analysis.trained import baseline_importances, load_trained, open_results
from paper_code.config import BASELINE_METHODS, CONTROL_METHODS, DEFAULT_METHODS, METHOD_NAMES, Config, parse_pair
from paper_code.correlation import correlate
from paper_code.errors import ConfigError
from paper_code.importance.random_control import random_importance
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, task_file

from conftest import small_config

ROOT = Path(__file__).resolve().parents[1]

#: The key of the paper's setup with a fresh Adam per task (the default before ``optimizer_state`` existed), as it
#: was before the baselines were registered; the first study (study/optimizer_reset) and older caches rely on it.
RESET_DEFAULT_KEY = "85862bbeee28"


def test_registering_the_baselines_and_controls_changed_no_cache_key():
    assert Config(optimizer_state="reset").key == RESET_DEFAULT_KEY
    assert Config().methods == DEFAULT_METHODS == ("fis", "fis_true", "mas", "si", "sig")
    assert METHOD_NAMES[:len(DEFAULT_METHODS + BASELINE_METHODS + CONTROL_METHODS)] == (
        DEFAULT_METHODS + BASELINE_METHODS + CONTROL_METHODS)  # later methods were appended, never inserted
    # Every committed trial still hashes to the folder it lives in.
    for meta_path in sorted((ROOT / "study").glob("*/trials/*/config.json")):
        meta = json.loads(meta_path.read_text())
        assert Config.from_dict(meta["config"]).key == meta["key"] == meta_path.parent.name


def test_random_importance_is_a_seeded_tie_free_ranking():
    shapes = {"fc1.weight": torch.Size([4, 6]), "fc1.bias": torch.Size([4])}
    first = random_importance(shapes, seed=2, task=3)
    again = random_importance(shapes, seed=2, task=3)
    other_task = random_importance(shapes, seed=2, task=4)
    other_seed = random_importance(shapes, seed=3, task=3)
    for name, shape in shapes.items():
        n = shape.numel()
        assert first[name].shape == shape and first[name].dtype == torch.float32
        assert torch.equal(first[name], again[name])
        # Entries are rank/n for a permutation of the ranks 1..n.
        assert torch.equal(torch.sort((first[name] * n).round().reshape(-1)).values, torch.arange(1, n + 1).float())
    assert not torch.equal(first["fc1.weight"], other_task["fc1.weight"])
    assert not torch.equal(first["fc1.weight"], other_seed["fc1.weight"])


def test_random_importance_leaves_the_global_generator_alone():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    random_importance({"w": torch.Size([50])}, seed=0, task=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.fixture(scope="module")
def run_with_baselines(tmp_path_factory):
    """A run that computes the baselines itself, and correlates MAS with each of them."""
    config = small_config(seed=5, methods=DEFAULT_METHODS + BASELINE_METHODS,
                          pairs=("mas_fis", "mas_magnitude", "sig_magnitude", "mas_random"))
    folder = tmp_path_factory.mktemp("baselines") / "run"
    run_experiment(config, folder, quiet=True)
    return folder


def test_magnitude_is_the_checkpoints_absolute_weights_and_is_not_summed(run_with_baselines):
    for task in (1, 2):
        state = torch.load(task_file(run_with_baselines, CHECKPOINTS_DIR, task), weights_only=True)
        stored = torch.load(task_file(run_with_baselines, IMPORTANCES_DIR, task), weights_only=True)
        for name, value in state.items():
            assert torch.equal(stored["per_task"]["magnitude"][name], value.abs())
            assert torch.equal(stored["accumulated"]["magnitude"][name], value.abs())
            assert torch.equal(stored["accumulated"]["random"][name], stored["per_task"]["random"][name])


def test_after_the_fact_baselines_equal_what_the_run_stored(run_with_baselines):
    results = open_results(run_with_baselines)
    for task in (1, 2):
        stored = torch.load(task_file(run_with_baselines, IMPORTANCES_DIR, task), weights_only=True)
        state = torch.load(task_file(run_with_baselines, CHECKPOINTS_DIR, task), weights_only=True)
        fresh = baseline_importances(state, results.config.seed, task)
        for method in BASELINE_METHODS:
            for name in state:
                assert torch.equal(fresh[method][name], stored["accumulated"][method][name]), (method, name, task)
    # The data-based importances are still summed over tasks.
    first = torch.load(task_file(run_with_baselines, IMPORTANCES_DIR, 1), weights_only=True)
    second = torch.load(task_file(run_with_baselines, IMPORTANCES_DIR, 2), weights_only=True)
    for name, value in second["accumulated"]["mas"].items():
        assert torch.allclose(value, first["accumulated"]["mas"][name] + second["per_task"]["mas"][name])


def test_baseline_correlations_after_the_fact_equal_the_runs_own(run_with_baselines):
    results = open_results(run_with_baselines)
    stored = results.correlations.set_index(["pair", "layer", "task"])
    pairs = [parse_pair(p) for p in ("mas_magnitude", "sig_magnitude", "mas_random")]
    for task in (1, 2):
        trained = load_trained(results, task)
        for row in correlate(trained.accumulated, pairs, task):
            expected = stored.loc[(row.pair, row.layer, task)]
            assert (row.pearson, row.spearman) == (expected.pearson, expected.spearman)


def test_analysis_pairs_keep_the_papers_ids_and_cover_every_pair_once():
    pairs = analysis_pairs(METHOD_NAMES)
    assert pairs[:7] == ("mas_fis", "fis_mas2", "mas_si", "mas_sig", "fis_si", "fis_sig", "si_sig")
    unordered = [frozenset(parse_pair(p).methods) for p in pairs if p != "fis_mas2"]
    n = len(METHOD_NAMES)
    assert len(unordered) == len(set(unordered)) == n * (n - 1) // 2
    assert "mas_magnitude" in pairs and "sig_random" in pairs and "magnitude_random" in pairs


def test_a_baseline_can_be_the_penalty_once_it_is_computed():
    config = Config(reg="magnitude", methods=("mas", "magnitude"), pairs=("mas_magnitude",))
    assert config.key != Config().key
    with pytest.raises(ConfigError, match="reg='random' is not among methods"):
        Config(reg="random", methods=("mas",), pairs=())
