"""The live dashboard: ipywidgets over every finished run, and new runs through the library's cache.

``make dashboard`` serves ``dashboard/explore.ipynb`` with Voilà (see
:mod:`paper_code.dashboard_server`); that notebook only builds a
:class:`Dashboard` from the environment and shows its panel. The panel has

- run controls (penalty importance, λ, seed, tasks, epochs, training and test rows,
  importance samples) and a menu of every run that is already finished, in the
  committed study or in the local cache (:mod:`paper_code.catalog`): a setting
  that matches a finished run shows it at once, without recomputation;
- a **Run** button for a setting that has no run yet: it runs
  :func:`~paper_code.cached_run` in a background thread (the page stays live),
  with a progress bar, then shows the new run. The admission rules
  (:mod:`paper_code.run_gate`) keep a second run from starting while one is in
  progress, anywhere on the server, and large runs from starting on a busy one;
- view controls (importance pair, Pearson/Spearman, range of tasks) and four
  views (:mod:`paper_code.dashboard_views`): the correlation surface, its
  heatmap, the accuracy matrix, and the seed band where several seeds of the
  setting are finished.

A bad value (λ < 0, an unknown importance, …) is reported in the page with the
library's one-line :class:`~paper_code.ConfigError` message; nothing in the
panel lets a traceback reach the reader. The dashboard reads results through
:func:`~paper_code.load_results` and never trains by itself.

The same panel, executed by papermill, is shown on the book's explore page as
a still picture (``live=False``), with a note that says where the live one is.
"""

from __future__ import annotations

import functools
import html
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol


from paper_code.catalog import Catalog, RunEntry
from paper_code.config import METHOD_NAMES, Config
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code.extras import require
from paper_code.pages import resolve_results_dir
from paper_code.dashboard_views import VIEWS, build_views, output_entry, task_window
from paper_code.plots import CORRELATION_KINDS, KIND_LABELS, pair_label
from paper_code.provenance import describe
from paper_code.results import Results, load_results
from paper_code.run_gate import Load, RunLock, refusal, training_steps
from paper_code.study import GRID_DIR
from paper_code.study_plots import reg_label

#: Environment variables through which the server tells the dashboard's kernels where runs live.
RESULTS_ENV = "PAPER_CODE_DASHBOARD_RESULTS"
STUDY_ENV = "PAPER_CODE_DASHBOARD_STUDY"

#: The run fields the panel offers as controls, with their labels, in display order.
RUN_FIELDS: dict[str, str] = {
    "reg": "penalty (reg)",
    "lam": "λ",
    "seed": "seed",
    "tasks": "tasks",
    "epochs": "epochs",
    "train_size": "training rows",
    "test_size": "test rows",
    "importance_samples": "importance samples",
}
#: Choices offered for ``reg`` (any text may be typed; the configuration decides whether it is valid).
REG_CHOICES: tuple[str, ...] = ("mas",) + tuple(m for m in METHOD_NAMES if m != "mas") + ("none",)
#: Resolution of the progress bar (per mille).
PROGRESS_STEPS = 1000

STATIC_NOTE = (
    "This panel is a still picture of the live dashboard: without a running Python kernel its controls change "
    "nothing. Run <code>make dashboard</code> in the repository and open the address it prints "
    "(<code>http://127.0.0.1:8866/</code> by default) for the live version, where every control redraws the views "
    "and <b>Run</b> computes new configurations. The figure above works here, in the browser alone."
)


class Runner(Protocol):
    """What computes a run: :func:`~paper_code.cached_run`, or a stand-in with the same signature."""

    def __call__(self, config: Config, results_root: Path, *, quiet: bool,
                 progress: Callable[[int, int], None]) -> Results: ...


def entry_label(entry: RunEntry) -> str:
    """How a finished run is named in the menu: where it comes from, then its parameters."""
    where = "study" if entry.source == "study" else "cached"
    return f"{where} · {describe(entry.config)}"


def _sort_key(entry: RunEntry) -> tuple:
    order = {name: index for index, name in enumerate(REG_CHOICES)}
    config = entry.config
    return (entry.source != "study", config.tasks, config.epochs, -config.train_size,
            order.get(config.reg, len(order)), config.lam, config.seed)


def _shown_path(path: Path) -> str:
    """A run's folder as the reader should see it: relative to the repository when it lies inside."""
    try:
        return Path(path).resolve().relative_to(resolve_results_dir(".").resolve()).as_posix()
    except ValueError:
        return str(path)


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Report any error of a widget callback in the page's status line instead of letting it escape."""

    @functools.wraps(method)
    def wrapper(self: "Dashboard", *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except PaperCodeError as exc:
            self.say(str(exc), "error")
        except Exception as exc:  # noqa: BLE001 - the page must show a message, never a traceback
            self.say(f"unexpected error ({type(exc).__name__}): {exc}", "error")

    return wrapper


class Dashboard:
    """The state and widgets of one dashboard page (one per kernel, so one per reader's tab).

    ``results_root`` is where runs are cached and new ones written, ``study_dir`` the committed study
    (``None``: none); relative paths are taken from the repository root. ``initial`` is the
    configuration shown first (default: the paper's). ``live=False`` adds the note of the static book.
    ``runner`` computes a run and ``load`` reads how busy the machine is; both are parameters so that
    a script (or a test) can replace them.
    """

    def __init__(
        self,
        results_root: str | os.PathLike[str] = "results",
        study_dir: str | os.PathLike[str] | None = GRID_DIR,
        *,
        initial: Config | None = None,
        live: bool = True,
        runner: Runner = cached_run,
        load: Callable[[], Load] = Load.now,
    ) -> None:
        widgets = require("ipywidgets", "book")

        self.results_root = resolve_results_dir(results_root)
        self.study_dir = resolve_results_dir(study_dir) if study_dir is not None else None
        self.live = live
        self.runner = runner
        self.load = load
        self.gate = RunLock(self.results_root)
        self.catalog = Catalog.scan(self.results_root, self.study_dir)
        self.shown: Results | None = None
        self.base = Config()  # fields the panel does not offer are taken from the run last picked
        self.figures: dict[str, Any] = {}
        self.last_run_seconds: float | None = None
        self._loaded: dict[str, Results] = {}
        self._state = threading.RLock()
        self._syncing = False
        self._worker: threading.Thread | None = None
        self._progress_mark = -1
        self._running_tasks = 1

        def text(kind: type, name: str, **options: Any) -> Any:
            return kind(description=RUN_FIELDS[name], style={"description_width": "initial"},
                        layout=widgets.Layout(width="auto", min_width="150px"), **options)

        self.picker = widgets.Dropdown(description="finished runs", options=[], value=None,
                                       style={"description_width": "initial"},
                                       layout=widgets.Layout(width="100%", max_width="760px"))
        # The importance is free text (with suggestions), so that a misspelt method gets the library's message.
        self.controls: dict[str, Any] = {
            "reg": text(widgets.Combobox, "reg", options=REG_CHOICES, ensure_option=False, continuous_update=False),
            "lam": text(widgets.FloatText, "lam"),
        }
        for name in ("seed", "tasks", "epochs", "train_size", "test_size", "importance_samples"):
            self.controls[name] = text(widgets.IntText, name)
        self.run_button = widgets.Button(description="Run", icon="play", button_style="primary", disabled=True,
                                         tooltip="compute this configuration (through the library's cache)")
        self.progress = widgets.IntProgress(value=0, min=0, max=PROGRESS_STEPS, description="",
                                            layout=widgets.Layout(width="260px", visibility="hidden"))
        self.progress_label = widgets.HTML("")
        self.status = widgets.HTML("")
        self.hint = widgets.HTML("")
        self.provenance = widgets.HTML("")
        self.pair = widgets.Dropdown(description="pair", options=[], style={"description_width": "initial"},
                                     layout=widgets.Layout(width="auto"))
        self.kind = widgets.ToggleButtons(options=[(KIND_LABELS[k], k) for k in CORRELATION_KINDS], value="pearson",
                                          style={"button_width": "110px"})
        self.task_range = widgets.IntRangeSlider(description="tasks", min=1, max=2, value=(1, 2), step=1,
                                                 continuous_update=False, style={"description_width": "initial"},
                                                 layout=widgets.Layout(width="340px"))
        self.outputs = {view: widgets.Output(layout=widgets.Layout(min_width="0")) for view in VIEWS}

        for name, widget in [("picker", self.picker), ("run", self.run_button), ("progress", self.progress),
                             ("status", self.status), ("pair", self.pair), ("kind", self.kind),
                             ("task-range", self.task_range), ("provenance", self.provenance)]:
            widget.add_class(f"pc-{name}")
        for name, widget in self.controls.items():
            widget.add_class(f"pc-{name.replace('_', '-')}")
        for view, output in self.outputs.items():
            output.add_class(f"pc-{view}")

        self.picker.observe(self._picked, names="value")
        for widget in self.controls.values():
            widget.observe(self._controls_changed, names="value")
        for widget in (self.pair, self.kind, self.task_range):
            widget.observe(self._view_changed, names="value")
        self.run_button.on_click(self._run_clicked)

        self._refresh_menu()
        self._start(initial)

    @_guarded
    def _start(self, initial: Config | None) -> None:
        """Show ``initial`` if it is finished, else the paper's setting, else the first finished run."""
        start = self.catalog.find(initial or Config())
        if start is None and initial is not None:
            self._set_controls(initial)
            self._select_from_controls()
        elif start is None and self.catalog.entries:
            self._pick(sorted(self.catalog.entries, key=_sort_key)[0])
        elif start is not None:
            self._pick(start)
        else:
            self._set_controls(Config())
            self.say("No finished run was found: choose a configuration and press Run.", "info")

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_environment(cls, **options: Any) -> "Dashboard":
        """The dashboard of a Voilà kernel: where runs live comes from the server's environment."""
        results = os.environ.get(RESULTS_ENV, "results")
        study = os.environ.get(STUDY_ENV, str(GRID_DIR))
        return cls(results, study or None, **options)

    def panel(self) -> Any:
        """The widget tree: run controls, view controls, then the views in a grid that wraps on narrow screens."""
        widgets = require("ipywidgets", "book")

        wrap = widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="4px 12px")
        run_box = widgets.VBox([
            widgets.HTML("<b>Run</b>: pick a finished run, or set the parameters (a setting with a finished run is "
                         "shown at once; any other can be computed with <b>Run</b>)"),
            self.picker,
            widgets.HBox([self.controls[name] for name in ("reg", "lam", "seed", "tasks", "epochs")], layout=wrap),
            widgets.HBox([self.controls[name] for name in ("train_size", "test_size", "importance_samples")],
                         layout=wrap),
            self.hint,
            widgets.HBox([self.run_button, self.progress, self.progress_label], layout=wrap),
            self.status,
        ])
        view_box = widgets.VBox([
            widgets.HTML("<b>View</b>"),
            widgets.HBox([self.pair, self.kind, self.task_range], layout=wrap),
            self.provenance,
        ])
        grid = widgets.GridBox(
            [self.outputs[view] for view in VIEWS],
            layout=widgets.Layout(grid_template_columns="repeat(auto-fit, minmax(min(100%, 520px), 1fr))",
                                  grid_gap="8px 16px", width="100%"),
        )
        children = [run_box, view_box, grid]
        if not self.live:
            note = widgets.HTML(f'<div class="pc-static-note" style="border-left: 4px solid #d9a400; '
                                f'background: #fff8e1; padding: 4px 10px">{STATIC_NOTE}</div>')
            note.add_class("pc-static-note")
            children.insert(0, note)
        box = widgets.VBox(children, layout=widgets.Layout(width="100%"))
        box.add_class("pc-dashboard")
        return box

    # ------------------------------------------------------------------ messages
    def say(self, text: str, level: str = "info") -> None:
        """One message under the Run button; ``level`` is info, success, warning or error."""
        colours = {"info": "#31526b", "success": "#1d6b2c", "warning": "#8a5a00", "error": "#a61b1b"}
        self.status.value = (f'<div class="pc-message pc-{level}" style="color:{colours.get(level, "#333")}">'
                             f"{html.escape(text)}</div>")

    @property
    def message(self) -> str:
        """The status line as plain text (what the reader reads)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.status.value))

    # ------------------------------------------------------------------ the run controls
    def config_from_controls(self) -> Config:
        """The configuration the run controls describe; :class:`~paper_code.ConfigError` if a value is bad."""
        values = {name: widget.value for name, widget in self.controls.items()}
        values["reg"] = str(values["reg"]).strip()
        return self.base.replace(**values)

    def _set_controls(self, config: Config) -> None:
        with self._state:
            self._syncing = True
            try:
                for name, widget in self.controls.items():
                    widget.value = getattr(config, name)
            finally:
                self._syncing = False

    def _refresh_menu(self) -> None:
        with self._state:
            self._syncing = True
            try:
                current = self.picker.value
                entries = sorted(self.catalog.entries, key=_sort_key)
                self.picker.options = [(entry_label(entry), entry.key) for entry in entries]
                self.picker.value = current if current in {e.key for e in entries} else None
            finally:
                self._syncing = False

    def _pick(self, entry: RunEntry) -> None:
        with self._state:
            self.base = entry.config
            self._set_controls(entry.config)
            self._syncing = True
            try:
                self.picker.value = entry.key
            finally:
                self._syncing = False
            self._show(entry)

    @_guarded
    def _picked(self, change: dict) -> None:
        if self._syncing or change["new"] is None:
            return
        entry = next(e for e in self.catalog.entries if e.key == change["new"])
        self._pick(entry)

    @_guarded
    def _controls_changed(self, change: dict) -> None:
        if self._syncing:
            return
        self._select_from_controls()

    def _select_from_controls(self) -> None:
        with self._state:
            try:
                config = self.config_from_controls()
            except PaperCodeError as exc:
                self.run_button.disabled = True
                self.hint.value = ""
                self.say(str(exc), "error")
                return
            self._update_hint(config)
            entry = self.catalog.find(config)
            self._syncing = True
            try:
                self.picker.value = entry.key if entry is not None else None
            finally:
                self._syncing = False
            if entry is not None:
                self._show(entry)
                return
            self.run_button.disabled = self.running
            steps = training_steps(config)
            self.say(f"No finished run has these settings ({describe(config)}; {steps:,} training steps). "
                     "Press Run to compute it; the views still show the run named below them.", "info")

    def _update_hint(self, config: Config) -> None:
        lambdas = self.catalog.lambdas_of(config)
        seeds = [e.config.seed for e in self.catalog.seeds_of(config)]
        parts = []
        if lambdas and config.reg != "none":
            parts.append(f"λ with a finished run for {reg_label(config.reg)} at this size: "
                         + ", ".join(f"{lam:g}" for lam in lambdas))
        if seeds:
            parts.append(f"seeds finished at this λ: {', '.join(map(str, seeds))}")
        self.hint.value = f'<span class="pc-hint">{html.escape("; ".join(parts))}</span>' if parts else ""

    # ------------------------------------------------------------------ showing a run
    def _results(self, entry: RunEntry) -> Results:
        if entry.key not in self._loaded:
            self._loaded[entry.key] = load_results(entry.path)
        return self._loaded[entry.key]

    def _show(self, entry: RunEntry) -> None:
        results = self._results(entry)
        previous = self.shown
        self.shown = results
        self._update_hint(entry.config)
        self.run_button.disabled = True
        if not self.running:
            self.say(f"Showing {entry_label(entry)}.", "info")
        source = "committed study" if entry.source == "study" else "local cache"
        self.provenance.value = (f'<span class="pc-provenance-text">Shown: run <code>{entry.key}</code> '
                                 f"({html.escape(describe(entry.config))}) from the {source}, "
                                 f"<code>{html.escape(_shown_path(entry.path))}</code></span>")
        self._syncing = True
        try:
            pairs = [p for p in results.config.pairs if (results.correlations["pair"] == p).any()]
            current = self.pair.value
            self.pair.options = [(pair_label(p), p) for p in pairs]
            self.pair.value = current if current in pairs else (pairs[0] if pairs else None)
            # A range narrowed by the reader is kept while it fits the new run; otherwise every task is shown.
            last = max(results.completed_tasks, 1)
            low, high = self.task_range.value
            keep = previous is not None and (low, high) != (1, self.task_range.max) and high <= last
            self.task_range.max = max(last, 2)
            self.task_range.value = (low, high) if keep else (1, last)
            self.task_range.disabled = last < 2
        finally:
            self._syncing = False
        self.redraw()

    @_guarded
    def _view_changed(self, change: dict) -> None:
        if self._syncing:
            return
        self.redraw()

    def redraw(self) -> None:
        """Draw every view of the run shown, for the pair, coefficient and task range chosen."""
        with self._state:
            if self.shown is None or self.pair.value is None:
                return
            window = task_window(self.task_range.value, self.shown.completed_tasks)
            seeds = [self._results(entry) for entry in self.catalog.seeds_of(self.shown.config)]
            views = build_views(self.shown, seeds, self.pair.value, self.kind.value, window)
            self.figures = {name: view for name, view in views.items() if not isinstance(view, str)}
            for name, view in views.items():
                self.outputs[name].outputs = (output_entry(view),)

    # ------------------------------------------------------------------ new runs
    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    @_guarded
    def _run_clicked(self, _button: Any = None) -> None:
        self.start_run()

    def start_run(self) -> bool:
        """Start computing the configuration of the run controls; ``False`` (with a message) if it may not start."""
        with self._state:
            if self.running:
                self.say("A run started from this page is still in progress: wait for it to finish.", "warning")
                return False
            config = self.config_from_controls()
            entry = self.catalog.find(config)
            if entry is not None:
                self._pick(entry)
                return False
            reason = refusal(config, self.load())
            if reason is not None:
                self.say(reason, "warning")
                return False
            holder = self.gate.acquire(f"{describe(config)} (run {config.key})")
            if holder is not None:
                self.say(f"Another run is in progress on this server ({holder}): one run at a time. "
                         "Press Run again when it has finished.", "warning")
                return False
            self.run_button.disabled = True
            self._running_tasks = config.tasks
            self._progress_mark = -1
            self.progress.value = 0
            self.progress.layout.visibility = "visible"
            self.progress_label.value = "starting (loading MNIST) …"
            self.say(f"Computing {describe(config)} (run {config.key}) …", "info")
            self._worker = threading.Thread(target=self._work, args=(config,), name=f"run-{config.key}", daemon=True)
            self._worker.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress (if any) has finished: for scripts and tests."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _on_progress(self, done: int, total: int) -> None:
        """Move the bar when the per-mille value changes (a run makes tens of thousands of steps)."""
        mark = done * PROGRESS_STEPS // max(total, 1)
        if mark == self._progress_mark:
            return
        self._progress_mark = mark
        self.progress.value = mark
        tasks = self._running_tasks
        task = min((max(done, 1) - 1) * tasks // max(total, 1) + 1, tasks)
        self.progress_label.value = f"task {task} of {tasks}: {mark / 10:.0f}% of the training steps"

    def _work(self, config: Config) -> None:
        start = time.perf_counter()
        try:
            self.runner(config, self.results_root, quiet=True, progress=self._on_progress)
        except PaperCodeError as exc:
            self._finish(None, f"The run stopped: {exc}", "error")
            return
        except Exception as exc:  # noqa: BLE001 - reported in the page
            self._finish(None, f"The run stopped with an unexpected error ({type(exc).__name__}): {exc}", "error")
            return
        finally:
            self.gate.release()
        self.last_run_seconds = time.perf_counter() - start
        self._finish(config, f"Finished {describe(config)} (run {config.key}) in {self.last_run_seconds:.0f} s.",
                     "success")

    def _finish(self, config: Config | None, text: str, level: str) -> None:
        with self._state:
            try:
                if config is not None:
                    self.catalog = Catalog.scan(self.results_root, self.study_dir)
                    self._refresh_menu()
                    entry = self.catalog.find(config)
                    if entry is not None:
                        self._worker = None
                        self._pick(entry)
            except Exception as exc:  # noqa: BLE001 - reported in the page
                text, level = f"The run finished but could not be shown ({type(exc).__name__}): {exc}", "error"
            self._worker = None
            self.progress.layout.visibility = "hidden"
            self.progress_label.value = ""
            self.say(text, level)
            if config is None:
                self._select_from_controls_quietly()

    def _select_from_controls_quietly(self) -> None:
        try:
            config = self.config_from_controls()
        except PaperCodeError:
            return
        self.run_button.disabled = self.catalog.find(config) is not None
