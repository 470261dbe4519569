"""The dashboard's logic without its widgets: what the controls mean (selection) and the run job (admission,
thread, progress, outcome), tested with ipywidgets and plotly out of reach.

Expected values are worked out by hand in the comments or read from the study's CSV files with pandas.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from conftest import small_config
from paper_code.config import Config
from paper_code.dashboard import selection
from paper_code.dashboard.job import Load, RunJob, progress_report
from paper_code.errors import ConfigError, ResultsError
from paper_code.studies.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "study" / "grid"
IDLE, BUSY = Load(0.2, 2), Load(3.5, 2)


def test_selection_and_job_import_without_widgets_or_plotly():
    probe = ("import sys; sys.modules.update(dict.fromkeys(['ipywidgets', 'plotly']));"
             "import paper_code.dashboard.selection, paper_code.dashboard.job; print('ok')")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


# --------------------------------------------------------------------------- selection
def test_control_values_round_trip_and_bad_values_raise():
    base = Config(tasks=3, epochs=2, train_size=5000)
    values = selection.control_values(base)
    assert set(values) == set(selection.RUN_FIELDS)
    assert selection.config_from_values(base, values) == base
    # The importance is typed freely: surrounding spaces are dropped, an unknown one is the library's error.
    assert selection.config_from_values(base, {**values, "reg": " si ", "lam": 1.0}).reg == "si"
    with pytest.raises(ConfigError, match="fsi"):
        selection.config_from_values(base, {**values, "reg": "fsi"})
    with pytest.raises(ConfigError, match="lam"):
        selection.config_from_values(base, {**values, "lam": -1.0})


def test_menu_lists_the_study_first_and_hints_at_finished_lambdas_and_seeds():
    catalog = Catalog.scan(ROOT / "no-such-results", GRID)
    options = selection.menu_options(catalog)
    table = pd.read_csv(GRID / "sweep.csv")
    assert sorted(key for _, key in options) == sorted(table.key)
    assert all(label.startswith("study · ") for label, _ in options)
    # Paper-scale trials (10 tasks) after the cheaper ones; within them EWC-MAS comes first, by λ then seed.
    paper = [key for _, key in options if key in set(table[table.tasks == 10].key)]
    mas = table[(table.reg == "mas") & (table.tasks == 10)].sort_values(["lam", "seed"])
    assert paper[: len(mas)] == list(mas.key)
    line = selection.hint(catalog, Config())
    lambdas = ", ".join(f"{lam:g}" for lam in sorted(set(mas.lam)))
    seeds = ", ".join(str(s) for s in sorted(mas[mas.lam == 3.0].seed))
    assert line == f"λ with a finished run for EWC-MAS at this size: {lambdas}; seeds finished at this λ: {seeds}"
    assert selection.hint(catalog, Config(tasks=7)) == ""


def test_task_range_keeps_a_narrowed_range_while_it_fits():
    # Every task was shown (the slider's full range): the new run is shown whole.
    assert selection.task_range((1, 10), 10, 3) == (1, 3)
    # The reader narrowed it to 2-5: kept for a run of 6 tasks, dropped for a run of 4.
    assert selection.task_range((2, 5), 10, 6) == (2, 5)
    assert selection.task_range((2, 5), 10, 4) == (1, 4)
    assert selection.task_range(None, 10, 10) == (1, 10)
    # A surface needs two tasks: a single task is widened, upward where the run allows it.
    assert selection.task_window((3, 3), 10) == (3, 4)
    assert selection.task_window((10, 10), 10) == (9, 10)
    assert selection.task_window((4, 9), 6) == (4, 6)
    assert selection.task_window((1, 1), 1) == (1, 1)


# --------------------------------------------------------------------------- the job
class Recorder:
    def __init__(self) -> None:
        self.progress: list[tuple[int, str]] = []
        self.done: list[tuple] = []
        self.finished = threading.Event()

    def on_progress(self, mark: int, line: str) -> None:
        self.progress.append((mark, line))

    def on_done(self, config, message: str, level: str) -> None:
        self.done.append((config, message, level))
        self.finished.set()


def test_progress_is_reported_once_per_mille_with_the_task():
    # 40 steps over 2 tasks: step 10 is 250 per mille, in task 1; step 21 is 525, in task 2.
    assert progress_report(10, 40, 2) == (250, "task 1 of 2: 25% of the training steps")
    assert progress_report(21, 40, 2) == (525, "task 2 of 2: 52% of the training steps")
    config = small_config()
    recorder = Recorder()

    def runner(config, results_root, *, quiet, progress):
        for step in range(1, 4001):
            progress(step, 4000)  # 4 steps per mille: 1000 distinct values

    job = RunJob(ROOT / "unused", runner, load=lambda: IDLE)
    assert job.start(config, recorder.on_progress, recorder.on_done) is None
    job.wait(30)
    assert [mark for mark, _ in recorder.progress] == list(range(0, 1001))
    ((done_config, message, level),) = recorder.done
    assert done_config == config and level == "success" and message.startswith("Finished ")


def test_job_refuses_a_large_run_on_a_busy_machine_and_a_second_run(tmp_path):
    never = Recorder()
    busy = RunJob(tmp_path, runner=lambda *a, **k: pytest.fail("started"), load=lambda: BUSY)
    assert "busy" in busy.start(Config(), never.on_progress, never.on_done)
    release, started = threading.Event(), threading.Event()

    def blocking(config, results_root, *, quiet, progress):
        started.set()
        release.wait(30)
        raise ResultsError("stopped by the test")

    first, second = RunJob(tmp_path, blocking, lambda: IDLE), RunJob(tmp_path, blocking, lambda: IDLE)
    recorder = Recorder()
    try:
        assert first.start(small_config(), recorder.on_progress, recorder.on_done) is None
        assert started.wait(30) and first.running
        assert "still in progress" in first.start(small_config(seed=3), never.on_progress, never.on_done)
        # Another page (another job on the same results root) is told which run holds the server.
        refused = second.start(small_config(seed=4), never.on_progress, never.on_done)
        assert "Another run is in progress" in refused and small_config().key in refused
    finally:
        release.set()
        first.wait(30)
    assert recorder.done == [(None, "The run stopped: stopped by the test", "error")]
    assert not first.running and never.done == []
    assert second.gate.acquire("after") is None  # the lock was given back
