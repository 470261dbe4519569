"""Small real runs: the results folder's schema, caching, refusal, kill-and-resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import assert_same_within_rounding, small_config
from scipy import stats

from paper_code import experiment, load_results, parse_pair, run_experiment
from paper_code.errors import ResultsError, UnresumableRun

pytestmark = pytest.mark.slow

RUN_ARGS = ["--tasks", "3", "--epochs", "2", "--train-size", "6000", "--test-size", "500",
            "--importance-samples", "500", "--device", "cpu", "--quiet"]


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "paper_code", *args], capture_output=True, text=True, **kwargs)


def assert_same_results(a: Path, b: Path) -> None:
    for name in ("accuracy.csv", "correlations.csv", "training.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for sub in ("importances", "checkpoints"):
        files = sorted(p.name for p in (a / sub).iterdir())
        assert files == sorted(p.name for p in (b / sub).iterdir())
        for name in files:
            x = torch.load(a / sub / name, weights_only=True)
            y = torch.load(b / sub / name, weights_only=True)
            flat_x, flat_y = _flatten(x), _flatten(y)
            assert flat_x.keys() == flat_y.keys()
            for key in flat_x:
                assert torch.equal(flat_x[key], flat_y[key]), (sub, name, key)
    assert torch.equal(torch.load(a / "permutations.pt"), torch.load(b / "permutations.pt"))


def _flatten(tree, prefix=""):
    if isinstance(tree, torch.Tensor):
        return {prefix: tree}
    out = {}
    for key, value in tree.items():
        out.update(_flatten(value, f"{prefix}/{key}"))
    return out


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    result = cli("run", "--out", str(out), *RUN_ARGS)
    assert result.returncode == 0, result.stderr
    return out


def test_results_folder_schema(reference_run):
    results = load_results(reference_run)
    meta = json.loads((reference_run / "config.json").read_text())
    assert meta["complete"] and meta["completed_tasks"] == 3
    assert meta["key"] == results.config.key
    assert set(meta["versions"]) >= {"paper_code", "torch"} and len(meta["data_md5"]) == 4
    assert set(meta["seconds"]) == {"data", "train", "evaluate", "importance", "correlation", "write"}
    # Which code computed it: the numerics version (also in the key), the commit, every installed distribution.
    from paper_code._version import NUMERICS_VERSION

    assert meta["config"]["numerics"] == NUMERICS_VERSION == meta["code"]["numerics"]
    code = meta["code"]
    if (Path(__file__).resolve().parents[1] / ".git").exists():  # a checkout: the commit it was computed from
        assert len(code["commit"]) == 40 and isinstance(code["dirty"], bool)
    assert torch.__version__.startswith(code["environment"]["torch"]) and "importance-correlations" in code["environment"]

    acc = pd.read_csv(reference_run / "accuracy.csv")
    assert list(acc.columns) == ["after_task", "eval_task", "accuracy"]
    assert len(acc) == 9 and acc.accuracy.between(0, 1).all()
    matrix = results.accuracy_matrix()
    assert matrix.shape == (3, 3)
    assert all(matrix.loc[t, t] > 0.8 for t in (1, 2, 3))  # each task is learned

    corr = pd.read_csv(reference_run / "correlations.csv")
    assert list(corr.columns) == ["pair", "layer", "task", "pearson", "spearman"]
    assert len(corr) == 7 * 3 * 3
    assert set(corr.pair) == {"mas_fis", "fis_mas2", "mas_si", "mas_sig", "fis_si", "fis_sig", "si_sig"}
    # Every stored coefficient against scipy on the stored importances (the importance files are checked below).
    imp3 = torch.load(reference_run / "importances" / "task_03.pt", weights_only=True)["accumulated"]
    for row in corr[corr.task == 3].itertuples():
        pair = parse_pair(row.pair)
        name = f"fc{row.layer}.weight"
        x = imp3[pair.left][name].double().flatten().numpy() ** pair.left_power
        y = imp3[pair.right][name].double().flatten().numpy() ** pair.right_power
        assert row.pearson == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9), row
        assert row.spearman == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-9), row

    training = pd.read_csv(reference_run / "training.csv")
    assert list(training.columns) == ["task", "epoch", "task_loss", "penalty", "train_accuracy"]
    assert len(training) == 6
    assert (training[training.task == 1].penalty == 0).all() and (training[training.task > 1].penalty > 0).all()

    imp = torch.load(reference_run / "importances" / "task_02.pt", weights_only=True)
    assert set(imp) == {"per_task", "accumulated"}
    assert set(imp["accumulated"]) == {"fis", "fis_true", "mas", "si", "sig"}
    first = torch.load(reference_run / "importances" / "task_01.pt", weights_only=True)
    for method in imp["accumulated"]:
        for name, value in imp["accumulated"][method].items():
            assert value.shape == {"fc1.weight": (300, 784), "fc1.bias": (300,), "fc2.weight": (150, 300),
                                   "fc2.bias": (150,), "fc3.weight": (10, 150), "fc3.bias": (10,)}[name]
            torch.testing.assert_close(value, first["accumulated"][method][name] + imp["per_task"][method][name])
    assert results.permutations().shape == (3, 784)
    assert sorted(p.name for p in (reference_run / "checkpoints").iterdir()) == [
        "task_01.pt", "task_02.pt", "task_03.pt"]


def test_same_configuration_is_reused_not_rerun(reference_run):
    before = (reference_run / "config.json").read_bytes()
    result = cli("run", "--out", str(reference_run), *RUN_ARGS)
    assert result.returncode == 0, result.stderr
    assert (reference_run / "config.json").read_bytes() == before


def test_other_configuration_is_refused(reference_run):
    before = (reference_run / "accuracy.csv").read_bytes()
    result = cli("run", "--out", str(reference_run), *RUN_ARGS, "--lam", "7.5")
    assert result.returncode == 2
    assert "holds a different configuration" in result.stderr and "lam" in result.stderr
    assert "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (reference_run / "accuracy.csv").read_bytes() == before


def test_killed_process_resumes_to_identical_results(tmp_path, reference_run):
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "paper_code", "run", "--out", str(out), *RUN_ARGS])
    deadline = time.time() + 300
    while time.time() < deadline:  # kill in the middle of task 2
        config = out / "config.json"
        if config.exists() and json.loads(config.read_text()).get("completed_tasks", 0) >= 1:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    meta = json.loads((out / "config.json").read_text())
    assert 1 <= meta["completed_tasks"] < 3

    refused = cli("run", "--out", str(out), *RUN_ARGS)
    assert refused.returncode == 2 and "--resume" in refused.stderr

    resumed = cli("run", "--out", str(out), *RUN_ARGS, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_results(out, reference_run)


def test_crash_between_writes_resumes_to_identical_results(tmp_path, monkeypatch):
    config = small_config(tasks=3)
    clean = run_experiment(config, tmp_path / "clean", quiet=True)

    calls = {"n": 0}
    original = experiment.write_csv

    def failing_write_csv(path, columns, rows):
        calls["n"] += 1
        if calls["n"] == 5:  # task 2: accuracy.csv written, correlations.csv not yet
            raise OSError("disk full")
        return original(path, columns, rows)

    monkeypatch.setattr(experiment, "write_csv", failing_write_csv)
    with pytest.raises(OSError):
        run_experiment(config, tmp_path / "crashed", quiet=True)
    monkeypatch.undo()
    assert json.loads((tmp_path / "crashed" / "config.json").read_text())["completed_tasks"] == 1
    with pytest.raises(ResultsError, match="unfinished"):
        load_results(tmp_path / "crashed")
    resumed = run_experiment(config, tmp_path / "crashed", resume=True, quiet=True)
    assert_same_results(resumed.path, clean.path)


def test_an_unfinished_run_without_its_state_is_refused_in_one_line_and_a_sweep_starts_it_over(tmp_path, monkeypatch):
    # What a checkout keeps of an unfinished study trial: its tables and config.json, not the saved tensors.
    config = small_config(tasks=3)
    calls = {"n": 0}
    original = experiment.write_csv

    def failing_write_csv(path, columns, rows):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        return original(path, columns, rows)

    monkeypatch.setattr(experiment, "write_csv", failing_write_csv)
    out = tmp_path / "stripped"
    with pytest.raises(OSError):
        run_experiment(config, out, quiet=True)
    monkeypatch.undo()
    for saved in ("permutations.pt", "checkpoints", "importances", "optimizer"):
        path = out / saved
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
        elif path.exists():
            path.unlink()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(UnresumableRun, match=r"without the state to continue it \(permutations.pt, checkpoints/"):
        run_experiment(config, out, resume=True, quiet=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the refusal changes nothing

    from paper_code.sweep import run_trial

    metrics = run_trial(config.to_dict(), str(out), threads=1, data_root=None)
    assert load_results(out).config.key == config.key and 0 < metrics["final_accuracy"] <= 1


def test_force_starts_over_and_keeps_foreign_files(tmp_path):
    out = tmp_path / "forced"
    run_experiment(small_config(), out, quiet=True)
    (out / "notes.txt").write_text("mine")
    results = run_experiment(small_config(lam=0.0), out, force=True, quiet=True)
    assert results.config.lam == 0.0 and (out / "notes.txt").read_text() == "mine"


def test_fine_tuning_and_subset_of_methods(tmp_path):
    config = small_config(reg="none", methods=("fis", "mas"), pairs=("mas_fis", "fis_mas2"))
    results = run_experiment(config, tmp_path / "ft", quiet=True)
    assert set(results.correlations.pair) == {"mas_fis", "fis_mas2"}
    assert (results.training.penalty == 0).all()


def test_cached_run_keys_folders_by_configuration(tmp_path):
    from paper_code import cached_run

    first = cached_run(small_config(), tmp_path)
    stamp = (first.path / "config.json").stat().st_mtime_ns
    again = cached_run(small_config(), tmp_path)
    other = cached_run(small_config(seed=1), tmp_path)
    assert first.path == again.path == tmp_path / small_config().key
    assert (again.path / "config.json").stat().st_mtime_ns == stamp  # reused, not recomputed
    assert other.path != first.path
    assert not first.correlations.equals(other.correlations)


def test_average_forgetting_by_hand(tmp_path):
    from paper_code.results import ACCURACY_COLUMNS, Results, write_csv
    import pandas as pd

    rows = [  # after_task, eval_task, accuracy
        (1, 1, 0.9), (1, 2, 0.1), (1, 3, 0.1),
        (2, 1, 0.8), (2, 2, 0.95), (2, 3, 0.1),
        (3, 1, 0.6), (3, 2, 0.9), (3, 3, 0.97),
    ]
    write_csv(tmp_path / "a.csv", ACCURACY_COLUMNS, [dict(zip(ACCURACY_COLUMNS, r)) for r in rows])
    results = Results(tmp_path, small_config(tasks=3), {}, pd.read_csv(tmp_path / "a.csv"), None, None)
    # task 1: best 0.9, final 0.6 -> 0.3; task 2: best 0.95, final 0.9 -> 0.05; mean 0.175
    assert results.average_forgetting() == pytest.approx(0.175)
    assert results.final_average_accuracy() == pytest.approx((0.6 + 0.9 + 0.97) / 3)


def test_the_thread_count_changes_only_the_rounding(tmp_path):
    """A run on one thread and on two learns the same within rounding: a CPU matmul sums in another order with
    another thread count, so the two are not bitwise equal (PyTorch promises that only for one machine, build and
    thread count), and training carries the difference forward, but at this size it stays far below anything a
    result could show."""
    config = small_config(tasks=3, train_size=6000, importance_samples=5000)
    previous = torch.get_num_threads()
    runs = {}
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            runs[threads] = run_experiment(config, tmp_path / f"threads{threads}", quiet=True)
    finally:
        torch.set_num_threads(previous)
    assert_same_within_rounding(runs[2], runs[1])
