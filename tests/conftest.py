"""Shared fixtures: a small random float64 network, the small-run configuration, and how far two runs that
differ only in rounding may drift."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from paper_code.config import Config
from paper_code.model import MLP
from paper_code.results import Results

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


#: How far two small runs of one configuration may drift when only rounding differs: another CPU, another
#: instruction set, another thread count. Measured on two machines and three instruction sets
#: (ATEN_CPU_CAPABILITY=default, avx2, avx512), 1 and 2 threads: accuracy identical, |Δ pearson| ≤ 6e-8,
#: |Δ spearman| ≤ 4e-6 (float32 importances that nearly tie swap ranks), relative |Δ| of losses and penalties
#: ≤ 1e-7. The tolerances leave a margin of 25x or more above that; the accuracy one allows two of 1,000 test
#: predictions to flip where two logits nearly tie. Bitwise equality is promised only within one process, one
#: machine and one thread count.
ROUNDING_TOLERANCE = {"accuracy": 2e-3, "pearson": 1e-5, "spearman": 1e-4, "relative": 1e-5}


def assert_same_within_rounding(ours: Results, theirs: Results) -> None:
    """Two runs of one configuration agree within :data:`ROUNDING_TOLERANCE`, table by table."""
    keys = ["after_task", "eval_task"]
    pd.testing.assert_frame_equal(ours.accuracy[keys], theirs.accuracy[keys])
    drift = (ours.accuracy.accuracy - theirs.accuracy.accuracy).abs().max()
    assert drift <= ROUNDING_TOLERANCE["accuracy"], f"accuracy drifted by {drift:.2e}"
    for name in ("correlations", "per_task_correlations"):
        a, b = getattr(ours, name), getattr(theirs, name)
        pd.testing.assert_frame_equal(a[["pair", "layer", "task"]], b[["pair", "layer", "task"]])
        for kind in ("pearson", "spearman"):
            drift = (a[kind] - b[kind]).abs().max()
            assert drift <= ROUNDING_TOLERANCE[kind], f"{name}.{kind} drifted by {drift:.2e}"
    for column in ("task_loss", "penalty"):
        a, b = ours.training[column], theirs.training[column]
        drift = ((a - b).abs() / b.abs().clip(lower=1e-12)).max()
        assert drift <= ROUNDING_TOLERANCE["relative"], f"training.{column} drifted by {drift:.2e} (relative)"
    drift = (ours.training.train_accuracy - theirs.training.train_accuracy).abs().max()
    assert drift <= ROUNDING_TOLERANCE["accuracy"], f"training accuracy drifted by {drift:.2e}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until ``process`` listens on 127.0.0.1:``port``; False if it ended or the time ran out first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.3)
