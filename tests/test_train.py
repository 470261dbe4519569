"""The EWC penalty's closed-form gradient and SI's gradient choice, against autograd."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn import functional as F

from paper_code.data import Task
from paper_code.importance import SITracker
from paper_code.model import MLP
from paper_code.train import EWCPenalty, accuracy, shuffle_generator, train_task


def _task(n=40, d=12, classes=4, seed=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, classes, (n,), generator=g)
    return Task(index=1, train_x=x, train_y=y, test_x=x, test_y=y)


def _importance(model, seed=3):
    g = torch.Generator().manual_seed(seed)
    return {n: torch.rand(p.shape, generator=g, dtype=p.dtype) for n, p in model.named_parameters()}


def test_penalty_gradient_and_value_match_autograd(small_model):
    importance = _importance(small_model)
    penalty = EWCPenalty(small_model, importance, lam=7.5)
    with torch.no_grad():
        for p in small_model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    autograd_value = 7.5 * sum(
        (importance[n] * (p - a).square()).sum()
        for (n, p), a in zip(small_model.named_parameters(), penalty.anchor)
    )
    expected = torch.autograd.grad(autograd_value, list(small_model.parameters()))
    for p in small_model.parameters():
        p.grad = torch.zeros_like(p)
    penalty.add_gradient_(small_model)
    for p, g in zip(small_model.parameters(), expected):
        torch.testing.assert_close(p.grad, g, rtol=1e-12, atol=1e-15)
    assert penalty.value(small_model) == pytest.approx(autograd_value.item(), rel=1e-12)


def _reference_training(model, task, importance, anchor_model, lam, si_grad, epochs=2, batch=8, lr=0.01):
    """Plain autograd on task loss + penalty, with SI accumulated by hand."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    anchor = [p.detach().clone() for p in anchor_model.parameters()]
    names = [n for n, _ in model.named_parameters()]
    start = [p.detach().clone() for p in model.parameters()]
    omega = [torch.zeros_like(p) for p in model.parameters()]
    for epoch in range(epochs):
        order = torch.randperm(task.train_x.shape[0], generator=shuffle_generator(0, task.index, epoch))
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            task_loss = F.cross_entropy(model(task.train_x[idx]), task.train_y[idx])
            pen = lam * sum((importance[n] * (p - a).square()).sum() for n, p, a in zip(names, model.parameters(), anchor))
            task_grads = torch.autograd.grad(task_loss, list(model.parameters()), retain_graph=True)
            total_grads = torch.autograd.grad(task_loss + pen, list(model.parameters()))
            before = [p.detach().clone() for p in model.parameters()]
            for p, g in zip(model.parameters(), total_grads):
                p.grad = g.clone()
            optimizer.step()
            used = task_grads if si_grad == "task" else total_grads
            for o, g, p, b in zip(omega, used, model.parameters(), before):
                o -= g * (p.detach() - b)
    return {n: o / ((p.detach() - s0).square() + 0.1) for n, o, p, s0 in zip(names, omega, model.parameters(), start)}


@pytest.mark.parametrize("si_grad", ["total", "task"])
def test_train_task_matches_autograd_reference(small_model, si_grad):
    task = _task()
    importance = _importance(small_model)
    anchor = copy.deepcopy(small_model)
    with torch.no_grad():  # start away from the anchor so the penalty matters from step one
        for p in small_model.parameters():
            p.add_(0.05)
    reference_model = copy.deepcopy(small_model)
    expected_si = _reference_training(reference_model, task, importance, anchor, 3.0, si_grad)

    penalty = EWCPenalty(anchor, importance, lam=3.0)
    tracker = SITracker(small_model, xi=0.1)
    # The reference uses the default Adam loop; the library uses the fused kernel: they must agree.
    train_task(small_model, task, epochs=2, batch_size=8, lr=0.01, seed=0, penalty=penalty, si=tracker, si_grad=si_grad)
    got_si = tracker.end_task()
    for p, q in zip(small_model.parameters(), reference_model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)
    for name, value in expected_si.items():
        torch.testing.assert_close(got_si[name], value, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 50.0])
def test_si_gradient_choice_matters_only_with_penalty(small_model, lam):
    task = _task()
    results = {}
    for si_grad in ("total", "task"):
        model = copy.deepcopy(small_model)
        penalty = EWCPenalty(small_model, _importance(small_model), lam=lam) if lam else None
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05)
        tracker = SITracker(model)
        train_task(model, task, epochs=1, batch_size=8, lr=0.01, seed=0, penalty=penalty, si=tracker, si_grad=si_grad)
        results[si_grad] = tracker.end_task()["fc1.weight"]
    if lam:
        assert not torch.allclose(results["total"], results["task"])
    else:  # without a penalty the total loss is the task loss: the two paths must agree exactly
        assert torch.equal(results["total"], results["task"])


def test_a_negative_importance_pushes_its_weight_away_from_the_anchor():
    """SI's path integral can be negative (a step that went uphill); the penalty applies it as it is, the way
    the paper author's scripts do (no clamp): λ Ω (θ − θ*)² is then negative and its gradient grows |θ − θ*|."""
    model = MLP((2, 2, 2)).double()
    importance = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    importance["fc1.weight"][0, 0] = -0.5
    importance["fc1.weight"][0, 1] = 0.5
    penalty = EWCPenalty(model, importance, lam=2.0)
    with torch.no_grad():
        model.fc1.weight[0, 0] += 0.1
        model.fc1.weight[0, 1] += 0.1
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    penalty.add_gradient_(model)
    # By hand: gradient 2 λ Ω (θ − θ*) = 2 * 2 * (∓0.5) * 0.1; value λ Σ Ω (θ − θ*)² = 2 * (−0.5 + 0.5) * 0.01.
    assert model.fc1.weight.grad[0, 0].item() == pytest.approx(-0.2)  # descent moves θ further from θ*
    assert model.fc1.weight.grad[0, 1].item() == pytest.approx(0.2)  # descent moves θ back towards θ*
    assert penalty.value(model) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.slow
def test_penalty_of_task_three_uses_all_earlier_importances_and_the_weights_after_task_two(tmp_path):
    """Against the stored files, summed by hand: Ω = Ω_1 + Ω_2 (per-task importances) and θ* = θ after task 2."""
    from conftest import small_config
    from paper_code import run_experiment

    lam = 40.0
    results = run_experiment(small_config(tasks=3, lam=lam, reg="mas"), tmp_path / "run", quiet=True)

    def load(sub, task):
        return torch.load(tmp_path / "run" / sub / f"task_{task:02d}.pt", weights_only=True)

    omega = {n: (load("importances", 1)["per_task"]["mas"][n].double() + load("importances", 2)["per_task"]["mas"][n].double())
             for n in load("checkpoints", 2)}
    anchor, after = load("checkpoints", 2), load("checkpoints", 3)

    def penalty(importance, theta_star):
        return lam * sum(float((importance[n] * (after[n].double() - theta_star[n].double()).square()).sum())
                         for n in importance)

    logged = results.training.query("task == 3").penalty.iloc[-1]  # at the end of task 3's last epoch
    assert logged == pytest.approx(penalty(omega, anchor), rel=1e-4)
    # The alternatives the test must tell apart: only the last task's importance, or the anchor of task 1.
    last_only = {n: load("importances", 2)["per_task"]["mas"][n].double() for n in omega}
    assert abs(penalty(last_only, anchor) - logged) > 1e-3 * logged
    assert abs(penalty(omega, load("checkpoints", 1)) - logged) > 1e-3 * logged


def test_accuracy_counts_correct_predictions():
    model = MLP((2, 3, 2)).double()
    with torch.no_grad():
        model.fc1.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        model.fc1.bias.zero_()
        model.fc2.weight.copy_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
        model.fc2.bias.zero_()
    x = torch.tensor([[2.0, 0.0], [0.0, 2.0], [3.0, 1.0], [0.0, 5.0]], dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 1])  # the third is predicted 0: 3 of 4 correct
    assert accuracy(model, x, y, batch_size=3) == 0.75
