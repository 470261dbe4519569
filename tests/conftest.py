"""Shared fixtures: a small random float64 network and the small-run configuration."""

from __future__ import annotations

import pytest
import torch

from paper_code.config import Config
from paper_code.model import MLP

SMALL_SIZES = (12, 7, 5, 4)


@pytest.fixture
def small_model() -> MLP:
    torch.manual_seed(1234)
    model = MLP(SMALL_SIZES, leaky_slope=0.1).double()
    # Larger weights than the default init make the network confident on some samples and not on
    # others, so every term of the formulas matters.
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    return model


@pytest.fixture
def small_batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(99)
    inputs = torch.randn(37, SMALL_SIZES[0], generator=generator, dtype=torch.float64)
    labels = torch.randint(0, SMALL_SIZES[-1], (37,), generator=generator)
    return inputs, labels


def small_config(**changes) -> Config:
    """A run that takes seconds: 2 tasks, 1 epoch, 2,000 training rows."""
    base = dict(tasks=2, epochs=1, train_size=2000, test_size=500, importance_samples=500, device="cpu")
    base.update(changes)
    return Config(**base)
