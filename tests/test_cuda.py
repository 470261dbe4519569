"""A run on a CUDA device: every tensor it makes lives there, and its numbers match the CPU's within a tolerance.

Skipped where torch sees no CUDA device (this project's CI machines have none); ``scripts/gpu_check.sh`` runs
it, and a timed paper-scale run, on a machine that has one.
"""

from __future__ import annotations

import json

import pytest
import torch

from conftest import small_config
from paper_code import run_experiment

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device visible to torch on this machine"),
]

#: CUDA and CPU kernels round differently (and sum in other orders); over a small run the drift stays at the
#: level of float32 rounding amplified by training, as between two CPUs (tests/conftest.py, ROUNDING_TOLERANCE),
#: with a wider margin: cuBLAS may split reductions differently again.
TOLERANCE = {"accuracy": 5e-3, "pearson": 1e-4, "spearman": 1e-3}


def _compare(gpu, cpu) -> None:
    assert (gpu.accuracy.accuracy - cpu.accuracy.accuracy).abs().max() <= TOLERANCE["accuracy"]
    for kind in ("pearson", "spearman"):
        drift = (gpu.correlations[kind] - cpu.correlations[kind]).abs().max()
        assert drift <= TOLERANCE[kind], f"{kind} drifted by {drift:.2e} between cuda and cpu"


@pytest.mark.parametrize("optimizer_state", ["kept", "reset"])
def test_a_small_run_on_cuda_matches_the_cpu(tmp_path, optimizer_state):
    config = small_config(tasks=3, optimizer_state=optimizer_state)
    gpu = run_experiment(config.replace(device="cuda"), tmp_path / "gpu", quiet=True)
    cpu = run_experiment(config.replace(device="cpu"), tmp_path / "cpu", quiet=True)
    assert json.loads((tmp_path / "gpu" / "config.json").read_text())["device"].startswith("cuda")
    _compare(gpu, cpu)
    # Files written on the GPU load on a CPU-only machine.
    state = torch.load(tmp_path / "gpu" / "checkpoints" / "task_03.pt", weights_only=True)
    assert all(t.device.type == "cpu" for t in state.values())


def test_a_cuda_run_resumes_after_a_stop(tmp_path):
    config = small_config(tasks=3, device="cuda", optimizer_state="kept")
    whole = run_experiment(config, tmp_path / "whole", quiet=True)
    stopped = tmp_path / "stopped"
    run_experiment(config, stopped, quiet=True)
    meta = json.loads((stopped / "config.json").read_text())
    meta.update(completed_tasks=1, complete=False)  # as if the process had died during task 2
    (stopped / "config.json").write_text(json.dumps(meta))
    resumed = run_experiment(config, stopped, resume=True, quiet=True)
    assert resumed.complete
    _compare(resumed, whole)
