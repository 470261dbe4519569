"""Shared fixtures: a small random float64 network and the small-run configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

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


#: Written by ``make setup`` (scripts/system_deps.sh): the system programs it could not install here, one line each.
SYSTEM_DEPS_MISSING = Path(__file__).resolve().parents[1] / ".venv" / "system-deps-missing"


def require_program(program: str, found: bool | None = None) -> None:
    """Skip when ``make setup`` recorded that ``program`` cannot be installed on this machine, with its reason.

    A program that is simply missing, with no such record, fails the test instead: on a machine where setup
    could install it (CI runs as root), the tests that need it must run, not vanish.
    """
    if found is None:
        found = shutil.which(program) is not None
    if found:
        return
    recorded = SYSTEM_DEPS_MISSING.read_text().splitlines() if SYSTEM_DEPS_MISSING.is_file() else []
    for line in recorded:
        if line.startswith(f"{program}:"):
            pytest.skip(line.split(":", 1)[1].strip())
    pytest.fail(f"{program} is missing: run `make setup` (it installs {program} with apt-get, or says why it cannot)")
