"""The distributed path, tried: a real Ray head started on the loopback address, a sweep that joins it through
``--address``, and the cluster stopped by the test that started it. Local sweeps keep Ray on 127.0.0.1 too."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import free_port, wait_for_port
from paper_code.sweep import RAY_CLUSTER_SWITCH, on_this_machine, ray_available

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--tasks", "1", "--epochs", "1", "--train-size", "2000", "--test-size", "500", "--importance-samples", "500"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ray_available(), reason="Ray is not installed (the sweep extra)")]


def _listening(pid_names: tuple[str, ...]) -> list[str]:
    """Addresses on which processes of these names listen (from `ss`), to check nothing leaves the loopback."""
    ss = shutil.which("ss")
    if ss is None:
        return []
    lines = subprocess.run([ss, "-ltnp"], capture_output=True, text=True).stdout.splitlines()
    return [line.split()[3] for line in lines[1:] if any(f'"{name}"' in line for name in pid_names)]


def test_loopback_addresses_are_recognised():
    assert on_this_machine(None) and on_this_machine("127.0.0.1:6379") and on_this_machine("ray://localhost:10001")
    assert not on_this_machine("10.0.0.5:6379")


def test_a_sweep_joins_a_ray_head_on_the_loopback_and_the_test_stops_it(tmp_path):
    port = free_port()
    # Ray's unix sockets live under the temp dir and must keep a short path.
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    # Ray 2.5x turns token authentication on for a head started by `ray start`; this head is on the loopback and
    # the test's own, so it runs without (a real cluster's token goes to the sweep through RAY_AUTH_TOKEN).
    env = {**os.environ, RAY_CLUSTER_SWITCH: "0", "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    ray = Path(sys.executable).with_name("ray")
    command = [str(ray), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
               "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats", "--block"]
    log = tmp_path / "ray-head.log"
    with open(log, "w") as output:
        # --block: the head's processes are children of this one, and stop with it.
        head = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        if not wait_for_port(port, head):
            pytest.skip("Ray cannot start a head on this machine:\n" + log.read_text()[-2000:])
        assert not [a for a in _listening(("gcs_server", "raylet")) if "127.0.0.1" not in a], _listening(
            ("gcs_server", "raylet"))
        out = tmp_path / "sweep"
        sweep = subprocess.run(
            [sys.executable, "-m", "paper_code", "sweep", "--out", str(out), "--seed", "0,1", "--engine", "ray",
             "--address", f"127.0.0.1:{port}", "--quiet", *TINY],
            cwd=ROOT, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"},
            capture_output=True, text=True, timeout=900,
        )
        assert sweep.returncode == 0, sweep.stderr[-4000:]
        table = pd.read_csv(out / "sweep.csv")
        assert sorted(table.seed) == [0, 1] and (table.final_accuracy > 0.5).all()
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(30)
        shutil.rmtree(temp, ignore_errors=True)
    # Nothing of the cluster this test started is left listening.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            time.sleep(0.5)
        except OSError:
            break
    else:
        pytest.fail(f"the Ray head on port {port} still answers after the test stopped it")
