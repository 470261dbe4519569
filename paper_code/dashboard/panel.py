"""The live dashboard's panel: ipywidgets over every finished run, and new runs through the library's cache.

``make dashboard`` serves ``dashboard/explore.ipynb`` with Voilà (see :mod:`paper_code.dashboard.server`); that
notebook only builds a :class:`Dashboard` from the environment and shows its panel. The panel has

- run controls (penalty importance, λ, seed, tasks, epochs, training and test rows, importance samples) and a
  menu of every run that is already finished, in the committed study or in the local cache
  (:mod:`paper_code.studies.catalog`): a setting that matches a finished run shows it at once, without
  recomputation;
- a **Run** button for a setting that has no run yet: it runs :func:`~paper_code.cached_run` in a background
  thread (the page stays live), with a progress bar, then shows the new run. The admission rules and the thread
  are :mod:`paper_code.dashboard.job`'s;
- view controls (importance pair, Pearson/Spearman, range of tasks) and four views
  (:mod:`paper_code.dashboard.views`): the correlation surface, its heatmap, the accuracy matrix, and the seed
  band where several seeds of the setting are finished.

What the controls mean is :mod:`paper_code.dashboard.selection`'s; this module holds the widgets and callbacks of a
few lines that connect them. A bad value (λ < 0, an unknown importance, …) is reported in the page with the
library's one-line :class:`~paper_code.ConfigError` message; nothing in the panel lets a traceback reach the
reader. The dashboard reads results through :func:`~paper_code.load_results` and never trains by itself.

Saved into a notebook that no kernel runs (``live=False``), the panel carries a note that says where the live one
is. The book does not show it that way (a saved panel looks live and is not): its explore page shows a screenshot of
the live dashboard and the command that serves it.
"""

from __future__ import annotations

import functools
import html
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from paper_code.config import Config
from paper_code.correlation import CORRELATION_KINDS
from paper_code.dashboard import selection
from paper_code.dashboard.job import PROGRESS_STEPS, Load, Runner, RunJob, training_steps
from paper_code.dashboard.server import RESULTS_ENV, STUDY_ENV
from paper_code.dashboard.views import VIEWS, build_views, output_entry
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code.extras import require
from paper_code.labels import KIND_LABELS, describe, pair_label
from paper_code.locations import checkout_path
from paper_code.results import Results, load_results
from paper_code.studies.beyond import SETTINGS, setting_dir
from paper_code.studies.catalog import Catalog, RunEntry
from paper_code.studies.grid import GRID_DIR

STATIC_NOTE = (
    "This panel is a still picture of the live dashboard: without a running Python kernel its controls change "
    "nothing. Run <code>make dashboard</code> in the repository and open the address it prints "
    "(<code>http://127.0.0.1:8866/</code> by default) for the live version, where every control redraws the views "
    "and <b>Run</b> computes new configurations. The figure above works here, in the browser alone."
)
#: The colour of each level of message under the Run button.
MESSAGE_COLOURS = {"info": "#31526b", "success": "#1d6b2c", "warning": "#8a5a00", "error": "#a61b1b"}


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
        self.results_root = checkout_path(results_root)
        self.study_dir = checkout_path(study_dir) if study_dir is not None else None
        self.live = live
        self.job = RunJob(self.results_root, runner, load)
        self.catalog = Catalog.scan(self.results_root, self.study_dir, self._more_studies())
        self.shown: Results | None = None
        self.base = Config()  # fields the panel does not offer are taken from the run last picked
        self.figures: dict[str, Any] = {}
        self._loaded: dict[str, Results] = {}
        self._state = threading.RLock()
        self._syncing = False
        self._build_widgets()
        self._refresh_menu()
        self._start(initial)

    def _build_widgets(self) -> None:
        widgets = require("ipywidgets", "book")

        def text(kind: type, name: str, **options: Any) -> Any:
            return kind(description=selection.RUN_FIELDS[name], style={"description_width": "initial"},
                        layout=widgets.Layout(width="auto", min_width="150px"), **options)

        self.picker = widgets.Dropdown(description="finished runs", options=[], value=None,
                                       style={"description_width": "initial"},
                                       layout=widgets.Layout(width="100%", max_width="760px"))
        # The importance is free text (with suggestions), so that a misspelt method gets the library's message.
        self.controls: dict[str, Any] = {
            "reg": text(widgets.Combobox, "reg", options=selection.REG_CHOICES, ensure_option=False,
                        continuous_update=False),
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

        # Class names the browser tests (and a reader's own CSS) find the widgets by.
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

    @_guarded
    def _start(self, initial: Config | None) -> None:
        """Show ``initial`` if it is finished, else the paper's setting, else the first finished run."""
        start = self.catalog.find(initial or Config())
        if start is None and initial is not None:
            self._set_controls(initial)
            self._select_from_controls()
        elif start is None and self.catalog.entries:
            self._pick(selection.ordered(self.catalog.entries)[0])
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
            # Saved into a static page, the button cannot run anything: it must not look like it can.
            self.run_button.button_style = ""
            self.run_button.description = "Run (live dashboard only)"
            self.run_button.tooltip = "runs only in the live dashboard: make dashboard"
            self.run_button.layout.width = "auto"
            note = widgets.HTML(f'<div class="pc-static-note" style="border-left: 4px solid #d9a400; '
                                f'background: #fff8e1; padding: 4px 10px">{STATIC_NOTE}</div>')
            note.add_class("pc-static-note")
            children.insert(0, note)
        box = widgets.VBox(children, layout=widgets.Layout(width="100%"))
        box.add_class("pc-dashboard")
        return box

    def _more_studies(self) -> list[Path]:
        """The sweeps of the settings beyond permuted MNIST, beside the study (``study/beyond/<setting>/``)."""
        if self.study_dir is None:
            return []
        return [setting_dir(name, self.study_dir.parent / "beyond") for name in SETTINGS]

    # ------------------------------------------------------------------ messages
    def say(self, text: str, level: str = "info") -> None:
        """One message under the Run button; ``level`` is info, success, warning or error."""
        self.status.value = (f'<div class="pc-message pc-{level}" style="color:{MESSAGE_COLOURS.get(level, "#333")}">'
                             f"{html.escape(text)}</div>")

    @property
    def message(self) -> str:
        """The status line as plain text (what the reader reads)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.status.value))

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Set widgets from code without their observers taking it for a reader's change."""
        with self._state:
            self._syncing = True
            try:
                yield
            finally:
                self._syncing = False

    # ------------------------------------------------------------------ the run controls
    def config_from_controls(self) -> Config:
        """The configuration the run controls describe; :class:`~paper_code.ConfigError` if a value is bad."""
        return selection.config_from_values(self.base, {name: w.value for name, w in self.controls.items()})

    def _set_controls(self, config: Config) -> None:
        with self._quietly():
            for name, value in selection.control_values(config).items():
                self.controls[name].value = value

    def _refresh_menu(self) -> None:
        with self._quietly():
            current = self.picker.value
            self.picker.options = selection.menu_options(self.catalog)
            self.picker.value = current if current in {e.key for e in self.catalog.entries} else None

    def _pick(self, entry: RunEntry) -> None:
        with self._state:
            self.base = entry.config
            self._set_controls(entry.config)
            with self._quietly():
                self.picker.value = entry.key
            self._show(entry)

    @_guarded
    def _picked(self, change: dict) -> None:
        if self._syncing or change["new"] is None:
            return
        self._pick(next(e for e in self.catalog.entries if e.key == change["new"]))

    @_guarded
    def _controls_changed(self, change: dict) -> None:
        if not self._syncing:
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
            with self._quietly():
                self.picker.value = entry.key if entry is not None else None
            if entry is not None:
                self._show(entry)
                return
            self.run_button.disabled = self.running or not self.live
            self.say(selection.not_finished(config, training_steps(config)), "info")

    def _update_hint(self, config: Config) -> None:
        line = selection.hint(self.catalog, config)
        self.hint.value = f'<span class="pc-hint">{html.escape(line)}</span>' if line else ""

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
            self.say(f"Showing {selection.entry_label(entry)}.", "info")
        self.provenance.value = selection.shown_line(entry)
        with self._quietly():
            pairs = [p for p in results.config.pairs if (results.correlations["pair"] == p).any()]
            current = self.pair.value
            self.pair.options = [(pair_label(p), p) for p in pairs]
            self.pair.value = current if current in pairs else (pairs[0] if pairs else None)
            last = max(results.completed_tasks, 1)
            kept = self.task_range.value if previous is not None else None
            window = selection.task_range(kept, self.task_range.max, last)
            self.task_range.max = max(last, 2)
            self.task_range.value = window
            self.task_range.disabled = last < 2
        self.redraw()

    @_guarded
    def _view_changed(self, change: dict) -> None:
        if not self._syncing:
            self.redraw()

    def redraw(self) -> None:
        """Draw every view of the run shown, for the pair, coefficient and task range chosen."""
        with self._state:
            if self.shown is None or self.pair.value is None:
                return
            window = selection.task_window(self.task_range.value, self.shown.completed_tasks)
            seeds = [self._results(entry) for entry in self.catalog.seeds_of(self.shown.config)]
            views = build_views(self.shown, seeds, self.pair.value, self.kind.value, window)
            self.figures = {name: view for name, view in views.items() if not isinstance(view, str)}
            for name, view in views.items():
                self.outputs[name].outputs = (output_entry(view),)

    # ------------------------------------------------------------------ new runs
    @property
    def running(self) -> bool:
        return self.job.running

    @property
    def last_run_seconds(self) -> float | None:
        return self.job.last_seconds

    @_guarded
    def _run_clicked(self, _button: Any = None) -> None:
        self.start_run()

    def start_run(self) -> bool:
        """Start computing the configuration of the run controls; ``False`` (with a message) if it may not start."""
        with self._state:
            config = self.config_from_controls()
            entry = self.catalog.find(config)
            if entry is not None and not self.running:
                self._pick(entry)
                return False
            refused = self.job.start(config, self._on_progress, self._finish, on_start=lambda: self._started(config))
            if refused is not None:
                self.say(refused, "warning")
                return False
            return True

    def _started(self, config: Config) -> None:
        self.run_button.disabled = True
        self.progress.value = 0
        self.progress.layout.visibility = "visible"
        self.progress_label.value = "starting (loading MNIST) …"
        self.say(f"Computing {describe(config)} (run {config.key}) …", "info")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run in progress (if any) has finished: for scripts and tests."""
        self.job.wait(timeout)

    def _on_progress(self, mark: int, line: str) -> None:
        self.progress.value = mark
        self.progress_label.value = line

    def _finish(self, config: Config | None, text: str, level: str) -> None:
        """The run ended (``config`` is ``None`` when it failed): show it, hide the bar, say how it went."""
        with self._state:
            try:
                if config is not None:
                    self.catalog = Catalog.scan(self.results_root, self.study_dir, self._more_studies())
                    self._refresh_menu()
                    entry = self.catalog.find(config)
                    if entry is not None:
                        self._pick(entry)
            except Exception as exc:  # noqa: BLE001 - reported in the page
                text, level = f"The run finished but could not be shown ({type(exc).__name__}): {exc}", "error"
            self.progress.layout.visibility = "hidden"
            self.progress_label.value = ""
            self.say(text, level)
            if config is None:
                self._enable_run_if_unfinished()

    def _enable_run_if_unfinished(self) -> None:
        try:
            config = self.config_from_controls()
        except PaperCodeError:
            return
        self.run_button.disabled = not self.live or self.catalog.find(config) is not None
