"""What the dashboard's controls mean, as plain functions: values to a configuration, a configuration to its
finished run, and the lines the panel shows about them. No widgets, no state.

The panel (:mod:`paper_code.dashboard.panel`) reads its widgets into a dict and hands it here; everything it then
shows (which run, which menu entries, which hint, which task range) is a function of that dict and the catalog
of finished runs (:mod:`paper_code.studies.catalog`), and is tested without ipywidgets.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

from paper_code.config import METHOD_NAMES, Config
from paper_code.labels import describe, reg_label
from paper_code.locations import shown_path
from paper_code.studies.catalog import Catalog, RunEntry

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


def config_from_values(base: Config, values: dict[str, Any]) -> Config:
    """The configuration the run controls describe, on top of ``base`` (the fields the panel does not offer are
    those of the run last picked); :class:`~paper_code.ConfigError` names a bad value."""
    values = dict(values)
    values["reg"] = str(values["reg"]).strip()
    return base.replace(**values)


def control_values(config: Config) -> dict[str, Any]:
    """The value of each run control for ``config``."""
    return {name: getattr(config, name) for name in RUN_FIELDS}


def entry_label(entry: RunEntry) -> str:
    """How a finished run is named in the menu: where it comes from, then its parameters."""
    where = "study" if entry.source == "study" else "cached"
    return f"{where} · {describe(entry.config)}"


def _sort_key(entry: RunEntry) -> tuple:
    order = {name: index for index, name in enumerate(REG_CHOICES)}
    config = entry.config
    return (entry.source != "study", config.tasks, config.epochs, -config.train_size,
            order.get(config.reg, len(order)), config.lam, config.seed)


def ordered(entries: Iterable[RunEntry]) -> list[RunEntry]:
    """The finished runs in menu order: the study first, then by size, penalty, λ and seed."""
    return sorted(entries, key=_sort_key)


def menu_options(catalog: Catalog) -> list[tuple[str, str]]:
    """``(label, key)`` of every finished run, in menu order."""
    return [(entry_label(entry), entry.key) for entry in ordered(catalog.entries)]


def hint(catalog: Catalog, config: Config) -> str:
    """Which λ and seeds of this setting are finished, as one line (empty when none is)."""
    lambdas = catalog.lambdas_of(config)
    seeds = [e.config.seed for e in catalog.seeds_of(config)]
    parts = []
    if lambdas and config.reg != "none":
        parts.append(f"λ with a finished run for {reg_label(config.reg)} at this size: "
                     + ", ".join(f"{lam:g}" for lam in lambdas))
    if seeds:
        parts.append(f"seeds finished at this λ: {', '.join(map(str, seeds))}")
    return "; ".join(parts)


def not_finished(config: Config, steps: int) -> str:
    """What the page says about a setting with no finished run."""
    return (f"No finished run has these settings ({describe(config)}; {steps:,} training steps). "
            "Press Run to compute it; the views still show the run named below them.")


def shown_line(entry: RunEntry) -> str:
    """The provenance line under the view controls, as HTML: which run, from where."""
    source = "committed study" if entry.source == "study" else "local cache"
    return (f'<span class="pc-provenance-text">Shown: run <code>{entry.key}</code> '
            f"({html.escape(describe(entry.config))}) from the {source}, "
            f"<code>{html.escape(shown_path(entry.path))}</code></span>")


def task_range(previous: tuple[int, int] | None, slider_max: int, last: int) -> tuple[int, int]:
    """The task range to show for a run of ``last`` tasks. A range the reader narrowed (``previous``, on a
    slider that ran to ``slider_max``) is kept while it fits the new run; otherwise every task is shown."""
    if previous is not None:
        low, high = previous
        if (low, high) != (1, slider_max) and high <= last:
            return low, high
    return 1, last


def task_window(requested: tuple[int, int], last: int) -> tuple[int, int]:
    """The tasks drawn: ``requested`` cut to the run's ``last`` task, widened to two tasks where the run has
    them (a surface needs two rows)."""
    low, high = min(requested[0], last), min(requested[1], last)
    if low == high:
        low, high = (low, high + 1) if high < last else (max(low - 1, 1), high)
    return low, high
