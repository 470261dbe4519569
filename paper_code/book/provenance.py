"""Which run a page shows: configuration key, library version, date, and its files to download."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paper_code._version import NUMERICS_VERSION, __version__
from paper_code.book.render import Markdown
from paper_code.labels import describe
from paper_code.locations import project_root, shown_path
from paper_code.results import Results

from paper_code.locations import DOWNLOAD_FILES
from paper_code.locations import RUN_DOWNLOADS as DOWNLOADS_DIR


def results_date(results: Results) -> str:
    stamp = results.meta.get("updated") or results.meta.get("created") or ""
    return str(stamp)


#: Where a shown run comes from, as the provenance line says it.
COMMITTED = "the committed study trial"
LOCAL = "computed on this machine"


@dataclass(frozen=True)
class Provenance:
    """Which run a page shows. Renders as HTML in Jupyter and as MyST (with download links) in the book.

    ``origin`` says whether it is the committed study trial (the same on every machine) or a run computed on the
    machine that built the page; ``numerics`` which numerics version computed it.
    """

    key: str
    folder: Path
    produced_by: str
    rendered_by: str
    date: str
    summary: str
    files: tuple[str, ...]
    origin: str = LOCAL
    numerics: int = NUMERICS_VERSION

    def download_path(self, name: str) -> str:
        return f"/{DOWNLOADS_DIR}/{self.key}/{name}"

    @property
    def where(self) -> str:
        return f"{self.origin} (`{shown_path(self.folder)}`), numerics version {self.numerics}"

    def _repr_markdown_(self) -> str:
        links = ", ".join(f"{{download}}`{name} <{self.download_path(name)}>`" for name in self.files)
        return (
            f"**Run shown:** `{self.key}` ({self.summary}) · {self.where} · results of {self.date} · "
            f"paper_code {self.produced_by} (page rendered with {self.rendered_by}) · download: {links}"
        )

    def _repr_html_(self) -> str:
        try:
            base = Path(os.path.relpath(self.folder, project_root() / "book"))
        except ValueError:  # another drive on Windows
            base = self.folder
        links = ", ".join(f'<a href="{html.escape(str(base / name))}">{html.escape(name)}</a>' for name in self.files)
        return (
            f"<p><b>Run shown:</b> <code>{html.escape(self.key)}</code> ({html.escape(self.summary)}) · "
            f"{html.escape(self.where)} · results of {html.escape(self.date)} · paper_code "
            f"{html.escape(self.produced_by)} (page rendered with {html.escape(self.rendered_by)}) · files: {links}</p>"
        )


def provenance(results: Results, committed: bool = False) -> Provenance:
    files = tuple(name for name in DOWNLOAD_FILES if (results.path / name).is_file())
    return Provenance(
        key=str(results.meta.get("key", results.config.key)),
        folder=Path(results.path).resolve(),
        produced_by=str(results.meta.get("versions", {}).get("paper_code", "unknown")),
        rendered_by=__version__,
        date=results_date(results),
        summary=describe(results.config),
        files=files,
        origin=COMMITTED if committed else LOCAL,
        numerics=results.config.numerics,
    )


#: What each parameter of the setup table means, in the order the methodology page lists them.
SETUP_MEANINGS: dict[str, str] = {
    "tasks": "permuted-MNIST tasks learned one after another",
    "epochs": "epochs per task",
    "lam": "EWC strength λ",
    "reg": "importance used by the EWC penalty",
    "seed": "seed of weights, permutations and shuffling",
    "importance_samples": "training rows of a task the importances are averaged over",
    "lr": "Adam learning rate",
    "optimizer_state": "Adam's moments at a task boundary: kept (one optimizer throughout) or reset",
    "batch_size": "mini-batch size",
    "si_xi": "SI damping ξ",
    "si_grad": "gradient in SI's path integral",
    "permute_first": "whether task 1 is permuted too",
    "train_size": "training rows per task",
    "test_size": "test rows per task",
    "leaky_slope": "negative slope of LeakyReLU",
    "corr_biases": "biases included in the correlated vectors",
}


def setup_table(results: Results) -> pd.DataFrame:
    """The setup as run, read from the run's ``config.json`` (for the methodology page)."""
    config, meta = results.config, results.meta
    rows = [(name, _show(getattr(config, name)), meaning) for name, meaning in SETUP_MEANINGS.items()]
    seconds = meta.get("seconds", {})
    rows += [
        ("network", "784-300-150-10, LeakyReLU, softmax output", "section 2 of the paper"),
        ("device", str(meta.get("device", "?")), "where it ran"),
        ("run time", f"{sum(seconds.values()):.0f} s" if seconds else "?", "training, evaluation, importances"),
        ("numerics", str(config.numerics), "numerics version: what the numbers mean (CHANGELOG.md)"),
        ("code", _commit(meta), "git commit of the code that computed the run"),
        ("key", str(meta.get("key", config.key)), "cache key: hash of the parameters above"),
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "meaning"])


def _commit(meta: dict) -> str:
    code = meta.get("code") or {}
    if not code.get("commit"):
        return "not recorded (computed before commits were recorded)"
    return code["commit"][:12] + (" with uncommitted changes" if code.get("dirty") else "")


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def accuracy_summary(results: Results) -> Markdown:
    """Final average accuracy and how much the first task was forgotten, as a sentence."""
    matrix = results.accuracy_matrix()
    last = int(matrix.index.max())
    first_fresh, first_end = float(matrix.loc[1, 1]), float(matrix.loc[last, 1])
    diagonal = float(np.mean([matrix.loc[t, t] for t in matrix.index]))
    return Markdown(
        f"After all {last} tasks the **final average accuracy** (mean over the {matrix.shape[1]} tasks' test sets) "
        f"is **{results.final_average_accuracy():.4f}**. Each task scored {diagonal:.4f} on average right after it "
        f"was learned; task 1 went from {first_fresh:.4f} right after training to {first_end:.4f} at the end."
    )
