"""The task streams beyond permuted MNIST and the networks beyond the paper's: how each is built, and that the
importances stay exact per sample on them (against naive per-sample autograd loops, float64)."""

from __future__ import annotations

import pytest
import torch

from conftest import small_config
from paper_code.config import Config
from paper_code.data import MNISTArrays
from paper_code.errors import ConfigError
from paper_code.importance import post_training_importances
from paper_code.model import MLP, build_model
from paper_code.data.streams import (
    SPLIT_CLASSES,
    active_mask,
    restrict_logits,
    rotate_images,
    rotation_angles,
    split_rows,
    stream_tasks,
)
from paper_code.train import accuracy, train_task

RTOL = 1e-9


def fake_mnist(rows: int = 60, seed: int = 0) -> MNISTArrays:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(rows) % 10
    return MNISTArrays(torch.rand(rows, 784, generator=generator), labels,
                       torch.rand(rows // 2, 784, generator=generator), torch.arange(rows // 2) % 10)


# --------------------------------------------------------------------------- construction
def test_ten_rotations_spread_over_half_a_turn():
    assert rotation_angles(10) == [0.0, 18.0, 36.0, 54.0, 72.0, 90.0, 108.0, 126.0, 144.0, 162.0]
    assert rotation_angles(3) == [0.0, 60.0, 120.0]


def test_a_quarter_turn_is_rot90_and_zero_is_the_image():
    images = torch.rand(4, 784, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    square = images.reshape(4, 28, 28)
    # Counter-clockwise on screen (rows grow downwards): torch.rot90 over (rows, columns) with k=1.
    torch.testing.assert_close(rotate_images(images, 90.0).reshape(4, 28, 28), torch.rot90(square, 1, (1, 2)),
                               rtol=0, atol=1e-12)
    torch.testing.assert_close(rotate_images(images, 180.0).reshape(4, 28, 28), torch.rot90(square, 2, (1, 2)),
                               rtol=0, atol=1e-12)
    assert torch.equal(rotate_images(images, 0.0), images)


def test_a_rotated_pixel_lands_where_the_rotation_sends_it():
    """One bright pixel, turned by 45° about the centre (13.5, 13.5), lands on the pixel the formula gives."""
    image = torch.zeros(1, 784, dtype=torch.float64)
    row, col = 13, 24  # right of centre
    image[0, row * 28 + col] = 1.0
    turned = rotate_images(image, 45.0).reshape(28, 28)
    dy, dx = row - 13.5, col - 13.5
    # Counter-clockwise on screen: x' = x cos + y sin, y' = −x sin + y cos (y pointing down).
    c = s = 2 ** -0.5
    target = (round(13.5 + (-dx * s + dy * c)), round(13.5 + (dx * c + dy * s)))
    assert divmod(int(turned.argmax()), 28) == target


def test_split_tasks_hold_their_two_digits_only():
    mnist = fake_mnist()
    tasks, identity = stream_tasks(mnist, "split", 5, seed=0)
    assert [t.classes for t in tasks] == list(SPLIT_CLASSES) == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    for task in tasks:
        assert set(task.train_y.tolist()) == set(task.classes) == set(task.test_y.tolist())
        assert task.train_x.shape[0] == 12 and task.test_x.shape[0] == 6  # 60 rows, 10 digits alike
        assert torch.equal(task.train_x, mnist.train_x[split_rows(mnist.train_y, task.classes)])
    assert torch.equal(identity, torch.arange(784).expand(5, -1))


def test_rotated_tasks_keep_every_digit_and_turn_the_images():
    mnist = fake_mnist()
    tasks, _ = stream_tasks(mnist, "rotated", 4, seed=0, train_size=20, test_size=10)
    assert [t.classes for t in tasks] == [None] * 4
    assert torch.equal(tasks[0].train_x, mnist.train_x[:20]) and torch.equal(tasks[0].train_y, mnist.train_y[:20])
    torch.testing.assert_close(tasks[2].train_x, rotate_images(mnist.train_x[:20], 90.0))
    assert tasks[3].test_x.shape == (10, 784)


def test_streams_and_networks_are_config_fields_with_one_line_errors():
    assert Config().key == Config(stream="permuted", hidden=(300, 150)).key  # the paper's runs keep their keys
    assert len({Config(stream=s, tasks=5).key for s in ("permuted", "rotated", "split")}) == 3
    assert Config.from_dict(Config(hidden=[1000, 1000]).to_dict()).hidden == (1000, 1000)
    for bad, words in [(dict(stream="spiral"), "unknown stream 'spiral'"), (dict(stream="split", tasks=6), "5 two-digit"),
                       (dict(hidden=(300, 0)), "positive integers"), (dict(hidden=()), "positive integers")]:
        with pytest.raises(ConfigError, match=words):
            Config(**bad)


# --------------------------------------------------------------------------- exact importances
def naive(model: MLP, inputs, labels, mask=None):
    """FIS, the true Fisher and MAS by one autograd call per sample (per class for the true Fisher), with the
    softmax over the active output units only."""
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())
    out = {m: {n: torch.zeros_like(p) for n, p in model.named_parameters()} for m in ("fis", "fis_true", "mas")}
    n = inputs.shape[0]
    for k in range(n):
        logits = model(inputs[k : k + 1])[0]
        if mask is not None:
            logits = logits[mask]
        log_probs = torch.log_softmax(logits, dim=-1)
        label = int(labels[k]) if mask is None else int(torch.nonzero(mask).flatten().tolist().index(int(labels[k])))
        for name, g in zip(names, torch.autograd.grad(log_probs[label], params, retain_graph=True)):
            out["fis"][name] += g.square() / n
        probs = log_probs.exp().detach()
        for c in range(log_probs.shape[0]):
            for name, g in zip(names, torch.autograd.grad(log_probs[c], params, retain_graph=True)):
                out["fis_true"][name] += probs[c] * g.square() / n
        for name, g in zip(names, torch.autograd.grad(log_probs.exp().square().sum(), params)):
            out["mas"][name] += g.abs() / n
    return out


def naive_sig(model: MLP, inputs, mask=None):
    """SIG by hand: |w_ij| times the mean |input_j|; a bias, the mean |activated output| of its unit."""
    stats, x = {}, inputs
    for index, layer in enumerate(model.layers):
        z = x @ layer.weight.T + layer.bias
        last = index == len(model.layers) - 1
        if last:
            out = torch.softmax(z if mask is None else z.masked_fill(~mask, float("-inf")), dim=-1)
        else:
            out = torch.nn.functional.leaky_relu(z, model.leaky_slope)
        stats[f"fc{index + 1}.weight"] = layer.weight.detach().abs() * x.abs().mean(0)
        stats[f"fc{index + 1}.bias"] = out.abs().mean(0)
        x = out
    return stats


@pytest.mark.parametrize("sizes, slope", [((12, 9, 8, 7, 6, 10), 0.1), ((12, 9, 7, 10), 0.0), ((12, 40, 10), 0.01)],
                         ids=["deeper", "relu", "wider-one-layer"])
def test_importances_exact_on_other_networks(sizes, slope):
    torch.manual_seed(3)
    model = MLP(sizes, leaky_slope=slope).double()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    inputs = torch.randn(23, sizes[0], dtype=torch.float64)
    labels = torch.randint(0, 10, (23,))
    got = post_training_importances(model, inputs, labels, ["fis", "fis_true", "mas", "sig"], chunk_size=10)
    expected = naive(model, inputs, labels) | {"sig": naive_sig(model, inputs)}
    for method, stats in expected.items():
        assert set(stats) == set(got[method])
        for name, value in stats.items():
            torch.testing.assert_close(got[method][name], value, rtol=RTOL, atol=1e-14, msg=f"{method} {name}")


def test_importances_exact_on_a_split_task_output(small_model, small_batch):
    """A split-MNIST task's importances: the softmax over its two units, nothing for the other units' rows."""
    inputs, labels = small_batch
    classes = (1, 2)  # of the small network's four output units
    labels = torch.tensor([classes[k % 2] for k in range(labels.shape[0])])
    mask = active_mask(classes, small_model.sizes[-1])
    got = post_training_importances(small_model, inputs, labels, ["fis", "fis_true", "mas", "sig"], classes=classes)
    expected = naive(small_model, inputs, labels, mask) | {"sig": naive_sig(small_model, inputs, mask)}
    for method, stats in expected.items():
        for name, value in stats.items():
            torch.testing.assert_close(got[method][name], value, rtol=RTOL, atol=1e-14, msg=f"{method} {name}")
    last = small_model.layer_names[-1] + ".weight"
    assert got["mas"][last][~mask].abs().max() == 0 and got["fis"][last][mask].abs().min() > 0


def test_a_split_task_trains_and_is_judged_on_its_own_units():
    model = build_model(0)
    before = model.layers[-1].weight.detach().clone()
    mnist = fake_mnist(200)
    task = stream_tasks(mnist, "split", 2, seed=0)[0][1]  # digits 2 and 3
    train_task(model, task, epochs=1, batch_size=10, lr=1e-3, seed=0)
    moved = (model.layers[-1].weight.detach() - before).abs().sum(1)
    assert (moved[[2, 3]] > 0).all() and (moved[[0, 1, 4, 5, 6, 7, 8, 9]] == 0).all()
    # The evaluation knows the task: the prediction is among its two digits.
    logits = restrict_logits(model(task.test_x), active_mask(task.classes, 10))
    assert set(logits.argmax(1).tolist()) <= {2, 3}
    assert accuracy(model, task.test_x, task.test_y, classes=task.classes) == pytest.approx(
        float((logits.argmax(1) == task.test_y).double().mean()))


@pytest.mark.slow
@pytest.mark.parametrize("changes", [dict(stream="rotated", tasks=3), dict(stream="split", tasks=3),
                                     dict(hidden=(64, 64, 32), leaky_slope=0.0)], ids=["rotated", "split", "deep-relu"])
def test_a_run_of_each_new_setting_ends_complete(tmp_path, changes):
    from paper_code.experiment import run_experiment

    config = small_config(**changes)
    results = run_experiment(config, tmp_path / "run", quiet=True)
    layers = len(config.hidden) + 1
    assert results.complete and set(results.correlations.layer) == set(range(1, layers + 1))
    assert set(results.correlations.task) == set(range(1, config.tasks + 1))
    # Every task learned something (chance: 0.1, a split task's 0.5) in its 20 steps: its accuracy right after its
    # own training.
    own = results.accuracy[results.accuracy.after_task == results.accuracy.eval_task]
    assert len(own) == config.tasks and own.accuracy.min() > (0.8 if config.stream == "split" else 0.2), own


# --------------------------------------------------------------------------- the convolutional network
def small_conv(slope: float = 0.1):
    from paper_code.model import ConvNet

    torch.manual_seed(5)
    model = ConvNet(hidden=(12,), leaky_slope=slope, channels=(2, 3)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)
    return model


def naive_conv_sig(model, inputs, mask=None):
    """SIG of every layer by explicit loops over output positions: a kernel weight's signal is |w| times the mean,
    over samples and positions, of the input it multiplies at that position."""
    from torch.nn import functional as F

    stats = {}
    trace = model.trace(inputs)
    for index, (name, layer) in enumerate(zip(model.layer_names, model.layers)):
        a = trace.inputs[index]
        if isinstance(layer, torch.nn.Conv2d):
            padded = F.pad(a.abs(), (2, 2, 2, 2))
            side = a.shape[-1]
            total = torch.zeros(layer.weight.shape[1:], dtype=a.dtype)
            for i in range(side):
                for j in range(side):
                    total += padded[:, :, i : i + 5, j : j + 5].sum(0)
            stats[f"{name}.weight"] = layer.weight.detach().abs() * total / (side * side) / a.shape[0]
            stats[f"{name}.bias"] = trace.activated[index].abs().mean((0, 2, 3))
        else:
            stats[f"{name}.weight"] = layer.weight.detach().abs() * a.abs().mean(0)
            out = trace.activated[index] if index < len(model.layers) - 1 else torch.softmax(
                trace.logits if mask is None else trace.logits.masked_fill(~mask, float("-inf")), dim=-1)
            stats[f"{name}.bias"] = out.abs().mean(0)
    return stats


@pytest.mark.parametrize("split", [False, True], ids=["ten-way", "split-task"])
def test_conv_importances_match_naive_loops(split):
    model = small_conv()
    generator = torch.Generator().manual_seed(8)
    inputs = torch.rand(9, 784, generator=generator, dtype=torch.float64)
    classes = (3, 7) if split else None
    labels = torch.tensor([classes[k % 2] for k in range(9)]) if split else torch.randint(0, 10, (9,), generator=generator)
    mask = active_mask(classes, 10)
    got = post_training_importances(model, inputs, labels, ["fis", "fis_true", "mas", "sig"], chunk_size=4,
                                    classes=classes)
    expected = naive(model, inputs, labels, mask) | {"sig": naive_conv_sig(model, inputs, mask)}
    for method, stats in expected.items():
        assert list(got[method]) == [n for n, _ in model.named_parameters()]
        for name, value in stats.items():
            torch.testing.assert_close(got[method][name], value, rtol=RTOL, atol=1e-14, msg=f"{method} {name}")


def test_conv_layers_are_numbered_by_depth_and_correlated_in_order():
    from paper_code.config import parse_pair
    from paper_code.correlation import correlate, layer_modules

    model = small_conv()
    assert model.layer_names == ["conv1", "conv2", "fc3", "fc4"]
    inputs, labels = torch.rand(6, 784, dtype=torch.float64), torch.arange(6) % 10
    importances = post_training_importances(model, inputs, labels, ["fis", "mas"])
    assert layer_modules(importances["mas"]) == ["conv1", "conv2", "fc3", "fc4"]
    rows = correlate(importances, [parse_pair("mas_fis")], task=1)
    assert [r.layer for r in rows] == [1, 2, 3, 4]
    with pytest.raises(ConfigError, match="rank1"):
        Config(network="conv", methods=("mas", "rank1"))
    with pytest.raises(ConfigError, match="unknown network 'resnet'"):
        Config(network="resnet")


@pytest.mark.slow
def test_a_run_of_the_convolutional_network_ends_complete(tmp_path):
    from paper_code.experiment import run_experiment

    config = small_config(network="conv", hidden=(32,))
    results = run_experiment(config, tmp_path / "run", quiet=True)
    assert results.complete and set(results.correlations.layer) == {1, 2, 3, 4}
    own = results.accuracy[results.accuracy.after_task == results.accuracy.eval_task]
    assert own.accuracy.min() > 0.2, own
