"""A results folder has one writer at a time, and --force removes only what this library wrote."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time

import pytest

from conftest import small_config
from paper_code import experiment, load_results, run_experiment
from paper_code.errors import ResultsError
from paper_code.results.lock import OWNER_FILE
from paper_code.sweep import plan_sweep, run_sweep

pytestmark = pytest.mark.slow

# Long enough (several seconds) that a second process surely starts while the first one runs.
LONG_ARGS = ["--tasks", "4", "--epochs", "2", "--train-size", "10000", "--test-size", "500",
             "--importance-samples", "500", "--device", "cpu", "--quiet"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paper_code", *args], capture_output=True, text=True)


def test_second_run_on_a_locked_folder_stops_at_once_naming_the_first(tmp_path):
    out = tmp_path / "shared"
    first = subprocess.Popen([sys.executable, "-m", "paper_code", "run", "--out", str(out), *LONG_ARGS],
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / OWNER_FILE).exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (out / OWNER_FILE).exists(), "the first run never took the lock"
    owner_pid = json.loads((out / OWNER_FILE).read_text())["pid"]

    for extra in ([], ["--resume"]):
        second = cli("run", "--out", str(out), *LONG_ARGS, *extra)
        assert first.poll() is None, "the first run ended before the second was refused: make LONG_ARGS longer"
        assert second.returncode == 2, second.stderr
        message = second.stderr.strip()
        assert len(message.splitlines()) == 1
        assert "being written by another run" in message and f"pid {owner_pid}" in message and ".lock" in message

    assert first.wait(timeout=600) == 0, first.stderr.read()
    results = load_results(out)
    assert results.complete and results.completed_tasks == 4
    assert not (out / OWNER_FILE).exists()


def test_a_waiting_caller_reuses_the_run_it_waited_for(tmp_path, monkeypatch):
    calls: list[int] = []
    original = experiment._run_tasks

    def counting(config, out, start_task, **kwargs):
        calls.append(start_task)
        time.sleep(1.0)  # hold the lock long enough for the other thread to arrive
        return original(config, out, start_task, **kwargs)

    monkeypatch.setattr(experiment, "_run_tasks", counting)
    config = small_config()
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(
        run_experiment(config, tmp_path / "run", resume=True, quiet=True, wait=True))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [0]  # computed once; the second caller found it complete
    assert len(results) == 2 and all(r.complete for r in results)


def test_concurrent_sweeps_sharing_an_out_run_each_trial_once(tmp_path, monkeypatch):
    started: list[str] = []
    original = experiment._run_tasks

    def counting(config, out, start_task, **kwargs):
        started.append(config.key)
        time.sleep(0.5)
        return original(config, out, start_task, **kwargs)

    monkeypatch.setattr(experiment, "_run_tasks", counting)
    configs = [small_config(seed=0), small_config(seed=1)]
    plan = plan_sweep(configs, engine="sequential", cpus_per_trial=1)
    errors: list[BaseException] = []

    def sweep(order):
        try:
            run_sweep(dataclasses.replace(plan, configs=order), tmp_path / "sweep", quiet=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(order,)) for order in (configs, configs[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(started) == sorted(c.key for c in configs)
    table = (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()
    assert len(table) == 1 + len(configs)


def test_force_removes_only_files_this_library_writes(tmp_path):
    out = tmp_path / "forced"
    run_experiment(small_config(), out, quiet=True)
    mine = {
        "notes.txt": "top level",
        "checkpoints/keep.txt": "inside a library folder",
        "importances/task_01.pt.backup": "a name the library never writes",
    }
    for name, text in mine.items():
        (out / name).write_text(text)
    results = run_experiment(small_config(lam=0.0), out, force=True, quiet=True)
    assert results.config.lam == 0.0
    for name, text in mine.items():
        assert (out / name).read_text() == text, name
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["keep.txt", "task_01.pt", "task_02.pt"]


def test_force_refuses_a_folder_whose_config_is_not_ours(tmp_path):
    out = tmp_path / "foreign"
    (out / "checkpoints").mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"model": "resnet", "epochs": 90}))
    (out / "checkpoints" / "task_01.pt").write_bytes(b"someone else's weights")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = cli("run", "--out", str(out), "--force", "--tasks", "1", "--epochs", "1", "--train-size", "2000",
                 "--test-size", "500", "--importance-samples", "500", "--quiet")
    assert result.returncode == 2
    assert "not a paper_code results file" in result.stderr and "--force" not in result.stderr.replace(
        "--force only", "")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("content", ["{not json", json.dumps({"config": {"tasks": 2, "colour": "red"}, "key": "x"})])
def test_unreadable_or_newer_config_is_never_offered_force(tmp_path, content):
    out = tmp_path / "odd"
    out.mkdir()
    (out / "config.json").write_text(content)
    with pytest.raises(ResultsError, match="not a paper_code results file") as error:
        run_experiment(small_config(), out, quiet=True)
    assert "--force" not in str(error.value)


def test_out_where_no_folder_can_be_made_is_one_line(tmp_path):
    result = cli("run", "--out", "/proc/paper_code_results", "--tasks", "1", "--quiet")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "/proc/paper_code_results" in result.stderr and "--out" in result.stderr
