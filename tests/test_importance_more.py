"""The Fishers the field computes, Adam's, SIG's activity factor and the controls of any importance, each against
an independent computation: per-sample autograd loops, a hand-run Adam recursion, forward hooks, numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from conftest import small_config
from paper_code import run_experiment
from paper_code.config import Config, check_method, ordered_methods
from paper_code.errors import ConfigError
from paper_code.importance import adam_importance, method_info, post_training_importances
from paper_code.importance.fis_batch import BATCH_ROWS
from paper_code.importance.fis_sample import label_uniforms, sampled_labels
from paper_code.results import IMPORTANCES_DIR, task_file

RTOL = 1e-9


def parameter_gradients(model, scalar):
    names = [n for n, _ in model.named_parameters()]
    return dict(zip(names, torch.autograd.grad(scalar, list(model.parameters()))))


def test_sampled_labels_are_an_inverse_cdf_by_hand():
    probs = torch.tensor([[0.2, 0.5, 0.3], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=torch.float64)
    # Row 1: cumulative 0.2, 0.7, 1.0. Row 2: a certain class. Row 3: u past the row's rounded total stays on a
    # class with probability (never the empty third one).
    assert sampled_labels(probs, torch.tensor([0.1, 0.3, 1.0 - 1e-18], dtype=torch.float64)).tolist() == [0, 1, 1]
    assert sampled_labels(probs, torch.tensor([0.2, 0.0, 0.49], dtype=torch.float64)).tolist() == [1, 1, 0]
    assert sampled_labels(probs, torch.tensor([0.75, 0.99, 0.5], dtype=torch.float64)).tolist() == [2, 1, 1]


def test_sampled_labels_follow_the_softmax():
    probs = torch.tensor([[0.1, 0.6, 0.3]], dtype=torch.float64).expand(200_000, 3)
    counts = np.bincount(sampled_labels(probs, label_uniforms(4, 2, 200_000)).numpy(), minlength=3) / 200_000
    np.testing.assert_allclose(counts, [0.1, 0.6, 0.3], atol=0.005)  # binomial sd ≤ 0.0011


def test_fis_sample_matches_a_per_sample_loop_with_the_same_draws(small_model, small_batch):
    inputs, labels = small_batch
    got = post_training_importances(small_model, inputs, labels, ["fis_sample"], chunk_size=7, seed=5, task=3)
    uniforms = label_uniforms(5, 3, inputs.shape[0]).tolist()
    expected = {n: torch.zeros_like(p) for n, p in small_model.named_parameters()}
    for k in range(inputs.shape[0]):
        log_probs = torch.log_softmax(small_model(inputs[k : k + 1]), dim=-1)[0]
        # The drawn class by a plain walk along the cumulative probabilities.
        cumulative, label = 0.0, 0
        for c, p in enumerate(log_probs.exp().tolist()):
            cumulative += p
            label = c
            if uniforms[k] < cumulative:
                break
        for name, g in parameter_gradients(small_model, log_probs[label]).items():
            expected[name] += g.square() / inputs.shape[0]
    for name, value in expected.items():
        torch.testing.assert_close(got["fis_sample"][name], value, rtol=RTOL, atol=1e-14)
    again = post_training_importances(small_model, inputs, labels, ["fis_sample"], seed=5, task=4)["fis_sample"]
    assert not all(torch.equal(again[k], got["fis_sample"][k]) for k in again)  # another task draws anew


def test_fis_sample_averages_to_the_true_fisher(small_model, small_batch):
    """Its expectation over the draw is the true Fisher: 400 repeats of each row bring it within a few %."""
    inputs, labels = small_batch
    rows = inputs[:5].repeat_interleave(400, 0)
    got = post_training_importances(small_model, rows, labels[:5].repeat_interleave(400), ["fis_sample", "fis_true"])
    for name in got["fis_true"]:
        ratio = got["fis_sample"][name].sum() / got["fis_true"][name].sum()
        assert abs(float(ratio) - 1) < 0.1, name


def test_fis_batch_matches_mean_gradients_of_a_per_sample_loop(small_model):
    torch.manual_seed(0)
    count = 2 * BATCH_ROWS + 30  # two full batches and a short one
    inputs = torch.randn(count, small_model.sizes[0], dtype=torch.float64)
    labels = torch.randint(0, small_model.sizes[-1], (count,))
    got = post_training_importances(small_model, inputs, labels, ["fis_batch"])["fis_batch"]
    expected = {n: torch.zeros_like(p) for n, p in small_model.named_parameters()}
    batches = [range(0, BATCH_ROWS), range(BATCH_ROWS, 2 * BATCH_ROWS), range(2 * BATCH_ROWS, count)]
    for rows in batches:
        mean = {n: torch.zeros_like(p) for n, p in small_model.named_parameters()}
        for k in rows:
            log_p = torch.log_softmax(small_model(inputs[k : k + 1]), dim=-1)[0, labels[k]]
            for name, g in parameter_gradients(small_model, log_p).items():
                mean[name] += g / len(rows)
        for name in expected:
            expected[name] += mean[name].square() / len(batches)
    for name, value in expected.items():
        torch.testing.assert_close(got[name], value, rtol=RTOL, atol=1e-16)


def test_adam_importance_is_the_bias_corrected_second_moment_by_hand(small_model):
    torch.manual_seed(1)
    optimizer = torch.optim.Adam(small_model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    beta2, squares = 0.999, []
    for _ in range(5):
        x = torch.randn(8, small_model.sizes[0], dtype=torch.float64)
        y = torch.randint(0, small_model.sizes[-1], (8,))
        optimizer.zero_grad()
        F.cross_entropy(small_model(x), y).backward()
        squares.append({n: p.grad.detach().square().clone() for n, p in small_model.named_parameters()})
        optimizer.step()
    got = adam_importance(small_model, optimizer)
    for name in got:
        v = sum((1 - beta2) * beta2 ** (len(squares) - 1 - t) * s[name] for t, s in enumerate(squares))
        torch.testing.assert_close(got[name], v / (1 - beta2 ** len(squares)), rtol=1e-9, atol=0)


def test_sig_activity_is_the_mean_absolute_input_of_each_weight(small_model, small_batch):
    inputs, labels = small_batch
    got = post_training_importances(small_model, inputs, labels, ["sig_activity", "sig"])
    seen: dict[str, list[torch.Tensor]] = {}
    hooks = [layer.register_forward_hook(lambda module, args, out, name=name: seen.setdefault(name, []).append(
        (args[0].abs().mean(0), out))) for name, layer in zip(small_model.layer_names, small_model.layers)]
    small_model(inputs)
    for hook in hooks:
        hook.remove()
    for name, layer in zip(small_model.layer_names, small_model.layers):
        mean_input = seen[name][0][0]
        torch.testing.assert_close(got["sig_activity"][f"{name}.weight"], mean_input.expand_as(layer.weight),
                                   rtol=1e-12, atol=0)
        # SIG is |w| times this factor; their biases are one quantity.
        torch.testing.assert_close(got["sig"][f"{name}.weight"], layer.weight.detach().abs() * mean_input,
                                   rtol=1e-12, atol=0)
        assert torch.equal(got["sig_activity"][f"{name}.bias"], got["sig"][f"{name}.bias"])


def test_controls_of_any_importance_against_numpy(small_model, small_batch):
    inputs, labels = small_batch
    got = post_training_importances(small_model, inputs, labels, ["rank1:fis", "shuffled:sig", "rank1:sig"],
                                    seed=2, task=1)
    base = post_training_importances(small_model, inputs, labels, ["fis", "sig"])
    for name, param in small_model.named_parameters():
        assert torch.equal(got["shuffled:sig"][name].flatten().sort().values, base["sig"][name].flatten().sort().values)
        for source in ("fis", "sig"):
            fitted = got[f"rank1:{source}"][name]
            if param.dim() == 2:
                u, s, vh = np.linalg.svd(base[source][name].numpy(), full_matrices=False)
                np.testing.assert_allclose(fitted.numpy(), np.abs(s[0] * np.outer(u[:, 0], vh[0])), rtol=1e-9,
                                           atol=1e-15)
            else:
                assert torch.equal(fitted, base[source][name])
    # MAS's own controls keep their bare names and meaning.
    # (Alone MAS's backward pass has another shape than stacked with FIS's: equal up to the matmul's rounding.)
    torch.testing.assert_close(
        post_training_importances(small_model, inputs, labels, ["rank1"])["rank1"]["fc1.weight"],
        post_training_importances(small_model, inputs, labels, ["rank1:fis", "rank1"])["rank1"]["fc1.weight"],
        rtol=1e-12, atol=0)


@pytest.mark.parametrize("name, says", [
    ("rank1:mas", "write rank1"), ("shuffled:si", "computed after a task"), ("rank1:adam", "computed after a task"),
    ("median:fis", "unknown control"), ("fisher", "unknown .* .fisher.: choose from"),
])
def test_names_that_are_not_importances_say_why(name, says):
    with pytest.raises(ConfigError, match=says):
        check_method(name)
    with pytest.raises(ConfigError, match=says):
        Config(reg=name, methods=(name,) if ":" in name else ("mas",))


def test_every_new_name_is_a_regularizer_and_orders_after_the_paper():
    for name in ("fis_sample", "fis_batch", "adam", "sig_activity", "shuffled:fis", "rank1:sig"):
        config = Config().regularized(name, lam=1.0)
        assert config.methods[-1] == name and method_info(name).summed
    assert Config().key == Config(methods=("fis", "fis_true", "mas", "si", "sig")).key
    assert ordered_methods(["rank1:sig", "none", "adam", "shuffled:fis", "mas"]) == [
        "mas", "adam", "shuffled:fis", "rank1:sig", "none"]


@pytest.mark.slow
def test_a_run_with_every_new_importance_inside_ewc(tmp_path):
    methods = ("mas", "fis", "sig", "fis_sample", "fis_batch", "adam", "sig_activity", "rank1:fis", "shuffled:sig")
    for reg in ("adam", "rank1:fis"):
        config = small_config(tasks=2, reg=reg, lam=1.0, methods=methods, pairs=("mas_fis_sample", "adam_fis_batch"))
        results = run_experiment(config, tmp_path / reg.replace(":", "-"), quiet=True)
        stored = torch.load(task_file(results.path, IMPORTANCES_DIR, 2), weights_only=True)
        first = torch.load(task_file(results.path, IMPORTANCES_DIR, 1), weights_only=True)
        for method in methods:
            for name, value in stored["accumulated"][method].items():
                # Summed over tasks: task 2's accumulated is task 1's plus task 2's own.
                torch.testing.assert_close(value, first["per_task"][method][name] + stored["per_task"][method][name])
                assert bool((value >= 0).all()) and bool(value.isfinite().all())
        assert set(results.correlations.pair) >= {"mas_fis_sample", "adam_fis_batch"}
