"""SIG against a hand computation; SI against path integrals with closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper_code.importance import SITracker, post_training_importances
from paper_code.model import MLP


def test_sig_matches_hand_computation():
    model = MLP((3, 2, 2), leaky_slope=0.5).double()
    w1 = [[1.0, -2.0, 0.5], [-1.0, 0.25, 3.0]]
    b1 = [0.1, -0.2]
    w2 = [[2.0, -1.0], [0.5, 1.5]]
    b2 = [0.0, 0.3]
    with torch.no_grad():
        model.fc1.weight.copy_(torch.tensor(w1, dtype=torch.float64))
        model.fc1.bias.copy_(torch.tensor(b1, dtype=torch.float64))
        model.fc2.weight.copy_(torch.tensor(w2, dtype=torch.float64))
        model.fc2.bias.copy_(torch.tensor(b2, dtype=torch.float64))
    xs = [[1.0, 0.0, -2.0], [0.5, 1.0, 1.0]]

    def leaky(v):
        return v if v > 0 else 0.5 * v

    hidden, outputs = [], []
    for x in xs:
        h = [leaky(sum(w1[i][j] * x[j] for j in range(3)) + b1[i]) for i in range(2)]
        z = [sum(w2[i][j] * h[j] for j in range(2)) + b2[i] for i in range(2)]
        e = [math.exp(v) for v in z]
        hidden.append(h)
        outputs.append([v / sum(e) for v in e])
    n = len(xs)
    expected = {
        "fc1.weight": [[abs(w1[i][j]) * sum(abs(x[j]) for x in xs) / n for j in range(3)] for i in range(2)],
        "fc1.bias": [sum(abs(h[i]) for h in hidden) / n for i in range(2)],
        "fc2.weight": [[abs(w2[i][j]) * sum(abs(h[j]) for h in hidden) / n for j in range(2)] for i in range(2)],
        "fc2.bias": [sum(abs(o[i]) for o in outputs) / n for i in range(2)],
    }
    got = post_training_importances(model, torch.tensor(xs, dtype=torch.float64), torch.zeros(2, dtype=torch.long), ["sig"])
    for name, value in expected.items():
        torch.testing.assert_close(got["sig"][name], torch.tensor(value, dtype=torch.float64), rtol=1e-12, atol=0)


class _Scalar(nn.Module):
    def __init__(self, start: float) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([start], dtype=torch.float64))


def _run_si(model, loss_fn, optimizer, steps, xi):
    tracker = SITracker(model, xi=xi)
    tracker.begin_task()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn().backward()
        tracker.before_step()
        optimizer.step()
        tracker.after_step([p.grad for p in model.parameters()])
    return tracker


def test_si_linear_loss_path_integral_is_loss_drop():
    # For L = c·θ the gradient is constant, so Σ −g Δθ = −c (θ_end − θ_start) = L(start) − L(end) for any path.
    model = _Scalar(0.7)
    c = 1.3
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    tracker = _run_si(model, lambda: c * model.theta.sum(), optimizer, steps=25, xi=0.1)
    total_change = model.theta.item() - 0.7
    expected_omega = -c * total_change
    expected = expected_omega / (total_change**2 + 0.1)
    assert tracker.end_task()["theta"].item() == pytest.approx(expected, rel=1e-12)


def test_si_quadratic_loss_with_sgd_has_geometric_closed_form():
    # L = a θ²/2, SGD with rate η: θ_t = r^t θ_0 with r = 1 − ηa, and
    # ω = Σ_t a θ_t · (θ_t − θ_{t+1}) = η a² θ_0² Σ_t r^{2t} = η a² θ_0² (1 − r^{2T}) / (1 − r²).
    a, eta, theta0, steps, xi = 2.0, 0.1, 1.5, 12, 0.1
    model = _Scalar(theta0)
    optimizer = torch.optim.SGD(model.parameters(), lr=eta)
    tracker = _run_si(model, lambda: 0.5 * a * model.theta.square().sum(), optimizer, steps, xi)
    r = 1 - eta * a
    omega = eta * a**2 * theta0**2 * (1 - r ** (2 * steps)) / (1 - r**2)
    delta = theta0 * (r**steps - 1)
    assert tracker.end_task()["theta"].item() == pytest.approx(omega / (delta**2 + xi), rel=1e-12)


def test_si_omega_restarts_each_task():
    model = _Scalar(0.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    tracker = _run_si(model, lambda: model.theta.sum(), optimizer, steps=5, xi=0.1)
    first = tracker.end_task()["theta"].item()
    tracker.begin_task()
    assert tracker.end_task()["theta"].item() == 0.0  # no steps in the new task: nothing accumulated
    assert first > 0
