"""The dashboard: the catalog of finished runs, the admission rules, the panel's behaviour in Python, and the
Voilà app in headless Chromium.

Every expected number is read from the study's CSV files with pandas (or counted by hand), never from the code
under test. The browser test starts its own server on a free port and stops it; the page's requests are read from
Chromium's net log.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

from conftest import free_port, require_program, small_config, wait_for_port
from paper_code.config import Config
from paper_code.dashboard.job import Load, RunLock, is_large, refusal, training_steps
from paper_code.dashboard.panel import Dashboard
from paper_code.errors import ConfigError, ResultsError
from paper_code.studies.catalog import Catalog

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "study" / "grid"
REFERENCE = ROOT / "study" / "reference"
SCREENSHOTS = ROOT / "_build" / "screenshots"
IDLE, BUSY = Load(0.2, 2), Load(3.5, 2)


def sweep() -> pd.DataFrame:
    return pd.read_csv(GRID / "sweep.csv")


def trial_grid(key: str, pair: str, kind: str, tasks: tuple[int, int]) -> np.ndarray:
    """Task × layer values of one pair, read straight from a trial's correlations.csv."""
    table = pd.read_csv(GRID / "trials" / key / "correlations.csv")
    rows = table[(table["pair"] == pair) & table["task"].between(*tasks)]
    return rows.pivot(index="task", columns="layer", values=kind).sort_index().to_numpy()


def reference_folder() -> Path:
    folders = [p for p in (REFERENCE / "trials").iterdir() if (p / "config.json").is_file()]
    assert len(folders) == 1
    return folders[0]


class NeverRun:
    """A runner that fails the test if the dashboard asks for a computation."""

    def __call__(self, *args, **kwargs):
        raise AssertionError("the dashboard started a run it should have refused")


# --------------------------------------------------------------------------- the catalog
def test_catalog_offers_every_study_trial_and_every_complete_cached_run(tmp_path):
    cached = reference_folder()
    shutil.copytree(cached, tmp_path / cached.name)
    unfinished = tmp_path / "unfinished"
    shutil.copytree(cached, unfinished)
    meta = json.loads((unfinished / "config.json").read_text())
    meta["config"]["seed"], meta["complete"] = 9, False
    (unfinished / "config.json").write_text(json.dumps(meta))

    catalog = Catalog.scan(tmp_path, GRID)
    table = sweep()
    keys = [entry.key for entry in catalog.entries]
    assert sorted(keys) == sorted(list(table.key) + [cached.name])
    assert {e.source for e in catalog.entries if e.key == cached.name} == {"results"}
    # The paper's setting is a study trial; its seeds and the λ grid of EWC-MAS are those of sweep.csv.
    paper = catalog.find(Config())
    assert paper is not None and paper.source == "study"
    mas = table[(table.reg == "mas") & (table.tasks == 10)]
    assert [e.config.seed for e in catalog.seeds_of(Config())] == sorted(mas[mas.lam == 3.0].seed)
    assert catalog.lambdas_of(Config()) == sorted(set(mas.lam))
    assert catalog.find(Config(seed=99)) is None


# --------------------------------------------------------------------------- admission
def test_large_runs_wait_for_an_idle_server_small_ones_do_not():
    assert training_steps(Config()) == 10 * 6 * 600  # 60,000 rows in batches of 100
    assert training_steps(small_config()) == 2 * 1 * 20
    assert is_large(Config()) and not is_large(small_config())
    message = refusal(Config(), BUSY)
    assert message is not None and "busy" in message and "3.5 on 2 cores" in message
    assert refusal(Config(), IDLE) is None
    assert refusal(small_config(), BUSY) is None


def test_run_lock_is_exclusive_across_processes(tmp_path):
    lock = RunLock(tmp_path)
    assert lock.acquire("run A") is None
    probe = ("import sys; from paper_code.dashboard.job import RunLock; "
             "held = RunLock(sys.argv[1]).acquire('run B'); print(held if held else 'acquired')")
    other = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert other.stdout.strip() == "run A", other.stderr
    assert RunLock(tmp_path).acquire("run C") == "run A"  # a second handle in the same process is refused too
    lock.release()
    other = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert other.stdout.strip() == "acquired", other.stderr


@pytest.mark.slow
def test_progress_reports_every_training_step(tmp_path):
    from paper_code import cached_run

    calls: list[tuple[int, int]] = []
    config = small_config(methods=("fis", "mas"), pairs=("mas_fis",))  # two tasks; the cheap importances only
    cached_run(config, tmp_path, progress=lambda done, total: calls.append((done, total)))
    total = training_steps(config)
    assert calls == [(step, total) for step in range(1, total + 1)]


# --------------------------------------------------------------------------- the panel, in Python
def test_bad_values_become_one_line_messages_and_start_nothing(tmp_path):
    dashboard = Dashboard(tmp_path, GRID, runner=NeverRun(), load=lambda: IDLE)
    for name, value in (("lam", -1.0), ("reg", "fsi"), ("importance_samples", 70_000)):
        dashboard.controls[name].value = value
        try:
            dashboard.config_from_controls()
        except ConfigError as exc:
            expected = str(exc)
        else:
            pytest.fail(f"{name}={value!r} was accepted")
        assert dashboard.message == expected and "\n" not in expected
        assert dashboard.run_button.disabled
        dashboard._run_clicked()  # what a click does: the message stays, nothing starts
        assert dashboard.message == expected and not dashboard.running
        dashboard.controls[name].value = getattr(Config(), name)
    assert dashboard.message.startswith("Showing study")


def test_paper_scale_run_is_refused_on_a_busy_server(tmp_path):
    dashboard = Dashboard(tmp_path, GRID, runner=NeverRun(), load=lambda: BUSY)
    dashboard.controls["seed"].value = 99  # the paper's setting with a seed the study does not hold
    assert not dashboard.run_button.disabled
    assert dashboard.start_run() is False
    assert "busy" in dashboard.message and not dashboard.running


def test_a_run_in_progress_cannot_be_started_twice(tmp_path):
    started, release = threading.Event(), threading.Event()
    calls = []

    def blocking_runner(config, results_root, *, quiet, progress):
        calls.append(config.key)
        progress(1, 4)
        started.set()
        release.wait(30)
        raise ResultsError("stopped by the test")

    first = Dashboard(tmp_path, GRID, runner=blocking_runner, load=lambda: IDLE)
    first.controls["seed"].value = 99
    second = Dashboard(tmp_path, GRID, runner=blocking_runner, load=lambda: IDLE)  # another reader, another kernel
    second.controls["seed"].value = 98
    try:
        assert first.start_run() is True
        assert started.wait(30)
        assert first.run_button.disabled and first.progress.value == 250
        assert first.start_run() is False and "still in progress" in first.message
        assert second.start_run() is False and "Another run is in progress" in second.message
    finally:
        release.set()
        first.wait(30)
    assert calls == [Config(seed=99).key]
    assert "stopped by the test" in first.message and not first.running
    assert not first.run_button.disabled  # the setting is still not computed: it may be tried again
    assert RunLock(tmp_path).acquire("after") is None  # the lock was given back


def test_picking_a_study_trial_draws_its_numbers(tmp_path):
    dashboard = Dashboard(tmp_path, GRID, runner=NeverRun(), load=lambda: IDLE)
    table = sweep()
    trial = table[(table.reg == "sig") & (table.lam == 0.1) & (table.seed == 2)].iloc[0]
    dashboard.picker.value = trial.key
    dashboard.pair.value = "fis_sig"
    dashboard.kind.value = "spearman"
    dashboard.task_range.value = (3, 8)
    surface = dashboard.figures["surface"].data[0]  # Spearman's (a z = 0 plane, where drawn, comes after it)
    np.testing.assert_array_equal(surface.z, trial_grid(trial.key, "fis_sig", "spearman", (3, 8)))
    assert list(surface.y) == [3, 4, 5, 6, 7, 8]
    heatmap = dashboard.figures["heatmap"].data[0]
    np.testing.assert_array_equal(heatmap.z, trial_grid(trial.key, "fis_sig", "spearman", (3, 8)))
    accuracy = pd.read_csv(GRID / "trials" / trial.key / "accuracy.csv")
    expected = accuracy.pivot(index="after_task", columns="eval_task", values="accuracy").to_numpy()
    # The learned cells in the colour scale, the tasks not learned yet (above the diagonal) in a grey trace.
    learned, unseen = (np.asarray(t.z, dtype=float) for t in dashboard.figures["accuracy"].data)
    np.testing.assert_array_equal(np.where(np.isnan(learned), unseen, learned), expected)
    assert np.isnan(learned[np.triu_indices(len(expected), 1)]).all()
    # The band is the mean over every seed the study holds of SIG at λ = 0.1.
    seeds = table[(table.reg == "sig") & (table.lam == 0.1)].key
    mean = np.mean([trial_grid(key, "fis_sig", "spearman", (3, 8)) for key in seeds], axis=0)
    np.testing.assert_allclose(dashboard.figures["band"].data[0].z, mean, rtol=1e-12)
    assert len(seeds) >= 3 and f"{len(seeds)} seeds" in dashboard.figures["band"].layout.title.text
    assert [c.value for c in (dashboard.controls["reg"], dashboard.controls["lam"], dashboard.controls["seed"])] == [
        "sig", 0.1, 2]


# --------------------------------------------------------------------------- the app in Chromium
@contextmanager
def dashboard_server(results_dir: Path, log: Path) -> Iterator[str]:
    """`python -m paper_code.dashboard.server` (what `make dashboard` runs) on a free port, stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "paper_code.dashboard.server", "--port", str(port), "--results-dir",
               str(results_dir)]
    with open(log, "w") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, server), "the dashboard server did not start:\n" + log.read_text()[-3000:]
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


#: The surface shown (the visible coefficient's trace; the z = 0 plane comes last), decoded by plotly.js.
SURFACE = """() => { const gd = document.querySelector('.pc-surface .js-plotly-plot');
  const shown = gd._fullData.find(trace => trace.visible === true);
  return {title: gd.layout.title.text, y: Array.from(shown.y), z: shown.z.map(row => Array.from(row))}; }"""


def wait_for_title(page, text: str, timeout_ms: int = 60_000) -> dict:
    page.wait_for_function(
        "(text) => { const gd = document.querySelector('.pc-surface .js-plotly-plot');"
        " return gd && gd.layout.title.text.includes(text); }", arg=text, timeout=timeout_ms)
    return page.evaluate(SURFACE)


def set_text(page, name: str, value: str) -> None:
    field = page.locator(f".pc-{name} input")
    field.fill(value)
    field.press("Enter")


@pytest.mark.slow
@pytest.mark.browser
def test_dashboard_in_chromium(tmp_path):
    from test_browser import CHROMIUM, Browser

    require_program("chromium", CHROMIUM.is_file())
    results_dir = tmp_path / "results"
    table = sweep()
    with dashboard_server(results_dir, tmp_path / "voila.log") as url:
        browser = Browser(tmp_path)
        page = browser.page
        try:
            page.set_viewport_size({"width": 1280, "height": 1000})  # a laptop's screen
            page.goto(url, wait_until="load")
            first = wait_for_title(page, "MAS–FIS", timeout_ms=180_000)
            assert first["y"] == list(range(1, 11))

            # Another pair: other numbers.
            page.locator(".pc-pair select").select_option(label="MAS–SIG")
            second = wait_for_title(page, "MAS–SIG")
            assert second["z"] != first["z"]
            # The upper handle of the task range one step to the left: tasks 1-9.
            page.locator(".pc-task-range .noUi-handle-upper").focus()
            page.keyboard.press("ArrowLeft")
            narrowed = wait_for_title(page, "tasks 1–9")
            assert narrowed["y"] == list(range(1, 10)) and narrowed["z"] == second["z"][:9]

            # A study trial from the menu: its own numbers, as its CSV file holds them.
            trial = table[(table.reg == "si") & (table.lam == 0.3) & (table.seed == 1)].iloc[0]
            options = page.locator(".pc-picker select option").all_text_contents()
            label = next(o for o in options if "EWC-SI, λ = 0.3, seed 1" in o.replace("\xa0", " "))
            page.locator(".pc-picker select").select_option(label=label)
            picked = wait_for_title(page, "λ = 0.3, seed 1")
            np.testing.assert_array_equal(np.array(picked["z"]), trial_grid(trial.key, "mas_sig", "pearson", (1, 9)))
            # The screenshot for the README: this trial has three seeds, so all four views are drawn.
            page.wait_for_function("() => document.querySelectorAll('.pc-dashboard .js-plotly-plot').length === 4")
            page.set_viewport_size({"width": 1280, "height": 1700})
            page.wait_for_timeout(1500)  # plotly redraws its WebGL scenes after a resize
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "dashboard.png"))
            page.set_viewport_size({"width": 1280, "height": 1000})

            # A bad value: the library's one-line message in the page, no traceback.
            set_text(page, "lam", "-1")
            page.wait_for_function("() => document.querySelector('.pc-status').textContent.includes('out of range')")
            assert "lam=-1.0 is out of range" in page.locator(".pc-status").text_content()
            assert "Traceback" not in page.locator("body").text_content()

            # A configuration nobody has computed: Run, a progress bar, then its surface.
            for name, value in (("tasks", "2"), ("epochs", "1"), ("importance-samples", "500"), ("test-size", "500"),
                                ("train-size", "2000"), ("lam", "3")):
                set_text(page, name, value)
            page.wait_for_function("() => document.querySelector('.pc-status').textContent.includes('Press Run')")
            run = page.locator("button.pc-run")
            run.click()
            # While it runs the button is disabled: the run cannot be started twice.
            page.wait_for_function("() => document.querySelector('button.pc-run').disabled")
            page.wait_for_function("() => getComputedStyle(document.querySelector('.pc-progress')).visibility"
                                   " === 'visible'")
            page.wait_for_function("() => document.querySelector('.pc-status').textContent.includes('Finished')",
                                   timeout=240_000)
            computed = wait_for_title(page, "2 tasks × 1 epoch")
            folders = [p for p in results_dir.iterdir() if (p / "config.json").is_file()]
            assert len(folders) == 1
            own = pd.read_csv(folders[0] / "correlations.csv")
            own = own[own["pair"] == "mas_sig"].pivot(index="task", columns="layer", values="pearson")
            assert computed["y"] == [1, 2]
            np.testing.assert_array_equal(np.array(computed["z"]), own.sort_index().to_numpy())

            # At a laptop's width nothing sticks out of the window.
            widest = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll('.pc-dashboard, "
                                   ".pc-dashboard .js-plotly-plot')).map(e => e.getBoundingClientRect().right))")
            assert widest <= 1280
            # Every view's title stays clear of plotly's modebar.
            boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.pc-dashboard .js-plotly-plot'))
                .map(div => [div.querySelector('.gtitle'), div.querySelector('.modebar')]
                .map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }))""")
            assert len(boxes) == 3  # surface, heatmap, accuracy (one seed: the band is a sentence)
            for (l1, t1, r1, b1), (l2, t2, r2, b2) in boxes:
                assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, boxes
            assert not browser.errors, browser.errors
        finally:
            requests = browser.close()
    left = [u for u in requests if urlparse(u).hostname not in ("127.0.0.1", None)]
    assert left == [], f"requests left 127.0.0.1: {left}"
    assert any(urlparse(u).hostname == "127.0.0.1" for u in requests)  # the log did see the page's own requests
    assert (SCREENSHOTS / "dashboard.png").stat().st_size > 20_000
