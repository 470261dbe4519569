"""Support for the book's notebooks: figures that work offline, provenance, and verdicts from data.

The notebooks under ``book/`` hold narrative and figures only. Everything they compute comes from
here or from the rest of the library:

- :func:`setup_plotly` makes figures emit plain HTML that relies on the one copy of plotly.js the
  built book loads per page (no CDN, no 4.8 MB inline copy) while the book is being built, and
  leaves plotly's own renderer alone in JupyterLab;
- :func:`load_page` turns a page's papermill parameters into a :class:`~paper_code.Config` and
  runs or reuses that experiment with :func:`~paper_code.cached_run`;
- :func:`provenance` says which run a page shows (configuration key, library version, date) and
  links its CSV files;
- :func:`check_claim` and :func:`claims_table` decide from the data whether a run reproduces each
  claim of the paper;
- :func:`explanation_check` tests the paper's eqs. (2)-(3) on the trained networks of a run.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from paper_code import __version__
from paper_code.config import PAPER_PAIRS, Config
from paper_code.correlation import average_ranks, pearson
from paper_code.data import MNISTArrays, load_mnist, make_tasks
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code.locations import project_root
from paper_code.importance import post_training_importances
from paper_code.model import build_model
from paper_code.plots import CORRELATION_KINDS, KIND_LABELS, pair_label
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, Results, load_results, task_file


#: Set (to anything non-empty) by ``book/build.py`` while it executes the pages for the static book.
BOOK_ENV = "PAPER_CODE_BOOK"

#: Files of a results folder that the built book offers for download.
DOWNLOAD_FILES: tuple[str, ...] = ("config.json", "accuracy.csv", "correlations.csv", "training.csv")

#: Where the built book keeps each run's downloadable files, relative to the book's source root.
DOWNLOADS_DIR = "runs"

REPRODUCED, NOT_REPRODUCED, NOT_COMPUTED = "reproduced", "not reproduced", "not computed"


# --------------------------------------------------------------------------- plotly
def _book_renderer() -> Any:
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class BookRenderer(MimetypeRenderer):
        """Emit a figure as HTML that uses the page's single copy of plotly.js."""

        def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
            page = pio.to_html(
                fig_dict,
                full_html=False,
                include_plotlyjs=False,
                include_mathjax=False,
                validate=False,
                config={"displaylogo": False, "responsive": True},
            )
            return {"text/html": page}

    return BookRenderer()


def in_book_build() -> bool:
    return bool(os.environ.get(BOOK_ENV))


def setup_plotly(book: bool | None = None) -> str:
    """Register the ``book`` renderer; make it the default while building the book.

    ``book=None`` decides from the ``PAPER_CODE_BOOK`` environment variable, which
    ``book/build.py`` sets. Returns the default renderer in effect.
    """
    import plotly.io as pio

    pio.renderers["book"] = _book_renderer()
    if book if book is not None else in_book_build():
        pio.renderers.default = "book"
    return pio.renderers.default


# --------------------------------------------------------------------------- parameters -> results
def resolve_results_dir(results_dir: str | os.PathLike[str]) -> Path:
    """An absolute results root; a relative one is taken from the checkout the page runs in
    (:func:`paper_code.locations.project_root`)."""
    path = Path(results_dir).expanduser()
    return path if path.is_absolute() else project_root() / path


def page_config(
    n_tasks: int = 10,
    epochs: int = 6,
    lam: float | None = None,
    reg: str = "mas",
    seed: int = 0,
    train_size: int | None = None,
    test_size: int | None = None,
    importance_samples: int | None = None,
) -> Config:
    """The :class:`Config` a page's parameters describe; ``None`` keeps the paper's default."""
    changes: dict[str, Any] = dict(tasks=int(n_tasks), epochs=int(epochs), reg=str(reg), seed=int(seed))
    for name, value in (("lam", lam), ("train_size", train_size), ("test_size", test_size),
                        ("importance_samples", importance_samples)):
        if value is not None:
            changes[name] = float(value) if name == "lam" else int(value)
    return Config(**changes)


def check_correlation(correlation: str) -> str:
    if correlation not in CORRELATION_KINDS:
        raise PaperCodeError(f"correlation={correlation!r} is unknown: use 'pearson' or 'spearman'")
    return correlation


def load_page(results_dir: str | os.PathLike[str] = "results", **parameters: Any) -> Results:
    """Run, finish or reuse the experiment described by a page's parameters (see :func:`page_config`)."""
    config = page_config(**parameters)
    return cached_run(config, resolve_results_dir(results_dir), quiet=True)


# --------------------------------------------------------------------------- provenance
def results_date(results: Results) -> str:
    stamp = results.meta.get("updated") or results.meta.get("created") or ""
    return str(stamp)


@dataclass(frozen=True)
class Provenance:
    """Which run a page shows. Renders as HTML in Jupyter and as MyST (with download links) in the book."""

    key: str
    folder: Path
    produced_by: str
    rendered_by: str
    date: str
    summary: str
    files: tuple[str, ...]

    def download_path(self, name: str) -> str:
        return f"/{DOWNLOADS_DIR}/{self.key}/{name}"

    def _repr_markdown_(self) -> str:
        links = ", ".join(f"{{download}}`{name} <{self.download_path(name)}>`" for name in self.files)
        return (
            f"**Run shown:** `{self.key}` ({self.summary}) · results of {self.date} · "
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
            f"results of {html.escape(self.date)} · paper_code {html.escape(self.produced_by)} "
            f"(page rendered with {html.escape(self.rendered_by)}) · files: {links}</p>"
        )


def describe(config: Config) -> str:
    reg = "no penalty" if config.reg == "none" or config.lam == 0 else f"EWC-{config.reg.upper()}, λ = {config.lam:g}"
    size = "" if config.train_size == 60_000 else f", {config.train_size} training rows"
    return f"{plural(config.tasks, 'task')} × {plural(config.epochs, 'epoch')}, {reg}, seed {config.seed}{size}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def provenance(results: Results) -> Provenance:
    files = tuple(name for name in DOWNLOAD_FILES if (results.path / name).is_file())
    return Provenance(
        key=str(results.meta.get("key", results.config.key)),
        folder=Path(results.path).resolve(),
        produced_by=str(results.meta.get("versions", {}).get("paper_code", "unknown")),
        rendered_by=__version__,
        date=results_date(results),
        summary=describe(results.config),
        files=files,
    )


def setup_table(results: Results) -> pd.DataFrame:
    """The setup as run, read from the run's ``config.json`` (for the methodology page)."""
    config, meta = results.config, results.meta
    meanings = {
        "tasks": "permuted-MNIST tasks learned one after another",
        "epochs": "epochs per task",
        "lam": "EWC strength λ",
        "reg": "importance used by the EWC penalty",
        "seed": "seed of weights, permutations and shuffling",
        "importance_samples": "training rows of a task the importances are averaged over",
        "lr": "Adam learning rate (fresh optimizer per task)",
        "batch_size": "mini-batch size",
        "si_xi": "SI damping ξ",
        "si_grad": "gradient in SI's path integral",
        "permute_first": "whether task 1 is permuted too",
        "train_size": "training rows per task",
        "test_size": "test rows per task",
        "leaky_slope": "negative slope of LeakyReLU",
        "corr_biases": "biases included in the correlated vectors",
    }
    rows = [(name, _show(getattr(config, name)), meaning) for name, meaning in meanings.items()]
    seconds = meta.get("seconds", {})
    rows += [
        ("network", "784-300-150-10, LeakyReLU, softmax output", "section 2 of the paper"),
        ("device", str(meta.get("device", "?")), "where it ran"),
        ("run time", f"{sum(seconds.values()):.0f} s" if seconds else "?", "training, evaluation, importances"),
        ("key", str(meta.get("key", config.key)), "cache key: hash of the parameters above"),
    ]
    return pd.DataFrame(rows, columns=["parameter", "value", "meaning"])


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def accuracy_summary(results: Results) -> "Markdown":
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


class Markdown:
    """Markdown output that both JupyterLab and the book render (the book with MyST roles)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


# --------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Verdict:
    claim: str
    status: str
    evidence: str
    kind: str | None = None

    @property
    def sentence(self) -> str:
        which = f" ({KIND_LABELS[self.kind]})" if self.kind else ""
        return f"{self.evidence}: **{self.status}**{which}."

    def _repr_markdown_(self) -> str:
        return f"**Does this run reproduce the claim?** {self.sentence}"


@dataclass(frozen=True)
class Claim:
    id: str
    section: str
    text: str
    test: str
    check: Callable[["ClaimContext", str], Verdict] = field(repr=False)
    uses_correlation: bool = True


@dataclass
class ClaimContext:
    """What claim checks read: the run, its eq. (2)-(3) check and its sibling runs (both computed when first needed)."""

    results: Results
    explanation_result: "ExplanationCheck | None" = None
    sibling_runs: dict[str, Results] | None = None

    @property
    def correlations(self) -> pd.DataFrame:
        return self.results.correlations

    def explanation(self) -> "ExplanationCheck":
        if self.explanation_result is None:
            self.explanation_result = explanation_check(self.results)
        return self.explanation_result

    def siblings(self) -> dict[str, Results]:
        """Complete runs next to this one that differ from it only in the penalty, by ``reg`` ("none": no penalty)."""
        if self.sibling_runs is None:
            self.sibling_runs = {}
            base = self.results.config.identity()
            base.pop("reg")
            base.pop("lam")
            for other in find_runs(Path(self.results.path).parent):
                identity = other.config.identity()
                reg, lam = identity.pop("reg"), identity.pop("lam")
                unpenalised = reg == "none" or lam == 0
                if identity == base and (unpenalised or lam == self.results.config.lam):
                    self.sibling_runs.setdefault("none" if unpenalised else reg, other)
        return self.sibling_runs


def _values(correlations: pd.DataFrame, pair: str, kind: str) -> pd.DataFrame:
    rows = correlations[correlations["pair"] == pair][["layer", "task", kind]].dropna()
    return rows.rename(columns={kind: "value"})


def _missing(pair: str, kind: str) -> Verdict:
    return Verdict(pair, NOT_COMPUTED, f"no {pair_label(pair)} correlations in this run", kind)


def min_above(correlations: pd.DataFrame, pair: str, threshold: float, kind: str) -> Verdict:
    """Every (layer, task) correlation of ``pair`` above ``threshold``."""
    rows = _values(correlations, pair, kind)
    if rows.empty:
        return _missing(pair, kind)
    worst = rows.loc[rows["value"].idxmin()]
    layers, tasks = rows["layer"].nunique(), rows["task"].nunique()
    ok = bool(worst["value"] > threshold)
    where = f" (layer {int(worst['layer'])}, after task {int(worst['task'])})"
    evidence = (
        f"{pair_label(pair)}: min over {layers} layers × {tasks} tasks: {worst['value']:.2f}"
        f"{'' if ok else where} {'>' if ok else '≤'} {threshold:g}"
    )
    return Verdict(pair, REPRODUCED if ok else NOT_REPRODUCED, evidence, kind)


def higher_than(correlations: pd.DataFrame, pair: str, other: str, kind: str) -> Verdict:
    """``pair``'s correlation above ``other``'s on average and in most (layer, task) cells."""
    a, b = _values(correlations, pair, kind), _values(correlations, other, kind)
    if a.empty or b.empty:
        return _missing(pair if a.empty else other, kind)
    both = a.merge(b, on=["layer", "task"], suffixes=("_a", "_b"))
    above = int((both["value_a"] > both["value_b"]).sum())
    mean_a, mean_b = float(both["value_a"].mean()), float(both["value_b"].mean())
    ok = mean_a > mean_b and above * 2 > len(both)
    evidence = (
        f"{pair_label(pair)} above {pair_label(other)} in {above} of {len(both)} (layer, task) cells; "
        f"mean {mean_a:.3f} vs {mean_b:.3f}"
    )
    return Verdict(pair, REPRODUCED if ok else NOT_REPRODUCED, evidence, kind)


#: "High (about 0.6) on the input layer, negative on the output layer": the thresholds used.
SIG_INPUT_AT_LEAST = 0.4
SIG_OUTPUT_BELOW = 0.0


def input_high_output_negative(correlations: pd.DataFrame, pair: str, kind: str) -> Verdict:
    """At every number of learned tasks: layer 1 ≥ 0.4, layer 3 < 0, and layer 1 > layer 2 > layer 3."""
    rows = _values(correlations, pair, kind)
    if rows.empty:
        return _missing(pair, kind)
    grid = rows.pivot(index="task", columns="layer", values="value").dropna()
    if grid.empty or not {1, 2, 3} <= set(grid.columns):
        return _missing(pair, kind)
    first, middle, last = grid[1], grid[2], grid[3]
    holds = (first >= SIG_INPUT_AT_LEAST) & (last < SIG_OUTPUT_BELOW) & (first > middle) & (middle > last)
    count, total = int(holds.sum()), len(grid)
    ok = count == total
    evidence = (
        f"{pair_label(pair)}: layer 1 {first.min():.2f}…{first.max():.2f}, layer 2 {middle.min():.2f}…{middle.max():.2f}, "
        f"layer 3 {last.min():.2f}…{last.max():.2f}; the pattern (layer 1 ≥ {SIG_INPUT_AT_LEAST:g}, falling to "
        f"< {SIG_OUTPUT_BELOW:g} at layer 3) holds after {count} of {total} tasks"
    )
    return Verdict(pair, REPRODUCED if ok else NOT_REPRODUCED, evidence, kind)


def all_of(claim: str, verdicts: Iterable[Verdict], kind: str | None) -> Verdict:
    verdicts = list(verdicts)
    if any(v.status == NOT_COMPUTED for v in verdicts):
        status = NOT_COMPUTED
    elif all(v.status == REPRODUCED for v in verdicts):
        status = REPRODUCED
    else:
        status = NOT_REPRODUCED
    return Verdict(claim, status, "; ".join(v.evidence for v in verdicts), kind)


#: What the eq. (2)-(3) checks require.
P_CLOSE_TO_ONE = 0.9
TRACKS_AT_LEAST = 0.8


def _premise(ctx: ClaimContext, kind: str) -> Verdict:
    summary = ctx.explanation().p_summary
    worst = summary.loc[summary["mean"].idxmin()]
    ok = bool((summary["mean"] >= P_CLOSE_TO_ONE).all())
    evidence = (
        f"mean labelled output p_k {summary['mean'].min():.3f}…{summary['mean'].max():.3f} over {len(summary)} tasks "
        f"(lowest after task {int(worst['task'])}; median there {worst['median']:.3f}, "
        f"{100 * worst['share_above_0.9']:.0f}% of samples above 0.9); required: mean ≥ {P_CLOSE_TO_ONE:g}"
    )
    return Verdict("3.1-premise", REPRODUCED if ok else NOT_REPRODUCED, evidence, None)


def _tracks(ctx: ClaimContext, kind: str) -> Verdict:
    table = ctx.explanation().agreement
    parts, ok = [], True
    for comparison in (EQ2, EQ3):
        rows = table[table["comparison"] == comparison]
        worst = rows.loc[rows[kind].idxmin()]
        ok &= bool(worst[kind] >= TRACKS_AT_LEAST)
        parts.append(f"{comparison}: min {worst[kind]:.2f} (layer {int(worst['layer'])}, task {int(worst['task'])})")
    evidence = "; ".join(parts) + f"; required: ≥ {TRACKS_AT_LEAST:g} on every layer and task"
    return Verdict("3.1-eq2-eq3", REPRODUCED if ok else NOT_REPRODUCED, evidence, kind)


#: Final average accuracy gaps used by the EWC comparison.
EWC_GAIN_AT_LEAST = 0.05
EWC_SPREAD_AT_MOST = 0.05
EWC_METHODS = ("fis", "mas", "si", "sig")


def _ewc_comparable(ctx: ClaimContext, kind: str) -> Verdict:
    runs = ctx.siblings()
    config = ctx.results.config
    missing = [m for m in ("none",) + EWC_METHODS if m not in runs]
    if missing:
        evidence = "needs runs identical to this one but for the penalty; missing: " + ", ".join(
            f"`--reg {m}`" + ("" if m == "none" else f" (λ = {config.lam:g})") for m in missing
        )
        return Verdict("4-ewc", NOT_COMPUTED, evidence, None)
    accuracy = {m: runs[m].final_average_accuracy() for m in ("none",) + EWC_METHODS}
    gains = {m: accuracy[m] - accuracy["none"] for m in EWC_METHODS}
    spread = max(accuracy[m] for m in EWC_METHODS) - min(accuracy[m] for m in EWC_METHODS)
    ok = all(g >= EWC_GAIN_AT_LEAST for g in gains.values()) and spread <= EWC_SPREAD_AT_MOST
    evidence = (
        "final average accuracy: "
        + ", ".join(f"{m.upper()} {accuracy[m]:.3f}" for m in EWC_METHODS)
        + f", no penalty {accuracy['none']:.3f}; required: each ≥ no penalty + {EWC_GAIN_AT_LEAST:g}, "
        f"spread ≤ {EWC_SPREAD_AT_MOST:g} (spread {spread:.3f})"
    )
    return Verdict("4-ewc", REPRODUCED if ok else NOT_REPRODUCED, evidence, None)


def _sig_negative_somewhere(ctx: ClaimContext, kind: str) -> Verdict:
    parts, ok = [], True
    for pair in ("mas_sig", "fis_sig", "si_sig"):
        rows = _values(ctx.correlations, pair, kind)
        if rows.empty:
            return _missing(pair, kind)
        low = float(rows["value"].min())
        ok &= low < 0
        parts.append(f"{pair_label(pair)} min {low:.2f}")
    return Verdict("4-sig", REPRODUCED if ok else NOT_REPRODUCED, ", ".join(parts) + " (required: < 0 for each)", kind)


CLAIMS: tuple[Claim, ...] = (
    Claim("3.1-mas-fis", "3.1", "MAS and FIS importances correlate strongly: above 0.8 on every layer, whatever the number of tasks.",
          "min over layers and tasks > 0.8", lambda c, k: min_above(c.correlations, "mas_fis", 0.8, k)),
    Claim("3.1-fis-mas2", "3.1", "Squaring MAS makes its correlation with FIS higher still.",
          "FIS–MAS² > FIS–MAS on average and in most cells", lambda c, k: higher_than(c.correlations, "fis_mas2", "mas_fis", k)),
    Claim("3.1-premise", "3.1", "After training on a task, the network's output for the true label, p_k, is close to 1 (the premise of eqs. 2-3).",
          f"mean p_k ≥ {P_CLOSE_TO_ONE:g} on each task's importance samples, right after that task", _premise, uses_correlation=False),
    Claim("3.1-eq2-eq3", "3.1", "FIS behaves like the square of Σ_k ∂p_k/∂θ (eq. 2) and MAS like Σ_k ∂p_k/∂θ itself (eq. 3), which would explain FIS–MAS².",
          f"correlation ≥ {TRACKS_AT_LEAST:g} for both, every layer and task", _tracks),
    Claim("3.2-mas-si", "3.2", "MAS and SI importances correlate strongly: above 0.8.",
          "min over layers and tasks > 0.8", lambda c, k: min_above(c.correlations, "mas_si", 0.8, k)),
    Claim("3.3-mas-sig", "3.3", "MAS and SIG agree on the input layer (about 0.6) and disagree, down to negative correlation, on the output layer.",
          "every task: layer 1 ≥ 0.4 > … layer 3 < 0", lambda c, k: input_high_output_negative(c.correlations, "mas_sig", k)),
    Claim("3.4-fis-si", "3.4", "FIS and SI importances correlate strongly: above 0.75.",
          "min over layers and tasks > 0.75", lambda c, k: min_above(c.correlations, "fis_si", 0.75, k)),
    Claim("3.5-fis-sig", "3.5", "FIS and SIG: about 0.6 on the input layer, negative on the output layer.",
          "every task: layer 1 ≥ 0.4 > … layer 3 < 0", lambda c, k: input_high_output_negative(c.correlations, "fis_sig", k)),
    Claim("3.6-si-sig", "3.6", "SI and SIG: about 0.6 on the input layer, negative on the output layer.",
          "every task: layer 1 ≥ 0.4 > … layer 3 < 0", lambda c, k: input_high_output_negative(c.correlations, "si_sig", k)),
    Claim("4-agree", "4", "MAS, FIS and SI give approximately the same importances.",
          "MAS–FIS, MAS–SI and FIS–SI all > 0.75 everywhere",
          lambda c, k: all_of("4-agree", (min_above(c.correlations, p, 0.75, k) for p in ("mas_fis", "mas_si", "fis_si")), k)),
    Claim("4-sig", "4", "SIG importances differ from the other three, down to negative correlations.",
          "each of MAS–SIG, FIS–SIG, SI–SIG has a negative value", _sig_negative_somewhere),
    Claim("4-ewc", "1, 4", "Despite the differences, all four importances let EWC overcome catastrophic forgetting with comparable quality.",
          f"EWC with FIS, MAS, SI, SIG each beats no penalty by ≥ {EWC_GAIN_AT_LEAST:g} in final average accuracy, within {EWC_SPREAD_AT_MOST:g} of each other",
          _ewc_comparable, uses_correlation=False),
)

CLAIMS_BY_ID = {claim.id: claim for claim in CLAIMS}


def check_claim(results: Results | ClaimContext, claim_id: str, correlation: str = "pearson",
                explanation: "ExplanationCheck | None" = None) -> Verdict:
    """The verdict of one claim (see :data:`CLAIMS`) on a run.

    ``explanation`` reuses an :func:`explanation_check` already computed for this run.
    """
    check_correlation(correlation)
    context = results if isinstance(results, ClaimContext) else ClaimContext(results, explanation)
    claim = CLAIMS_BY_ID[claim_id]
    verdict = claim.check(context, correlation)
    return Verdict(claim.id, verdict.status, verdict.evidence, verdict.kind)


def claims_table(results: Results, correlation: str = "pearson",
                 explanation: "ExplanationCheck | None" = None) -> pd.DataFrame:
    """Every claim, its test, the verdict under Pearson and Spearman, and the evidence for ``correlation``."""
    check_correlation(correlation)
    context = ClaimContext(results, explanation)
    rows = []
    for claim in CLAIMS:
        verdicts = {k: check_claim(context, claim.id, k) for k in CORRELATION_KINDS}
        rows.append((claim.section, claim.text, claim.test, verdicts["pearson"].status,
                     verdicts["spearman"].status, verdicts[correlation].evidence))
    return pd.DataFrame(rows, columns=["section", "claim", "test", "Pearson", "Spearman", "evidence"])


def claims_markdown(table: pd.DataFrame) -> Markdown:
    """The claims table as Markdown: verdicts in a compact table, then each test and its evidence."""
    compact = table[["section", "claim", "Pearson", "Spearman"]].copy()
    compact.insert(0, "#", range(1, len(table) + 1))
    lines = [markdown_table(compact).text, "", "How each verdict was reached:", ""]
    for number, row in enumerate(table.itertuples(index=False), start=1):
        lines.append(f"{number}. *Test:* {row.test}. *Evidence:* {row.evidence}.")
    return Markdown("\n".join(lines))


def claims_summary(table: pd.DataFrame) -> Markdown:
    parts = []
    for column in ("Pearson", "Spearman"):
        counts = verdict_counts(table, column)
        verb = {status: "is" if counts[status] == 1 else "are" for status in counts}
        parts.append(f"with {column}'s coefficient, {counts[REPRODUCED]} of {len(table)} claims {verb[REPRODUCED]} "
                     f"reproduced, {counts[NOT_REPRODUCED]} {verb[NOT_REPRODUCED]} not, and {counts[NOT_COMPUTED]} "
                     f"{verb[NOT_COMPUTED]} not computed")
    return Markdown("On this run, " + "; ".join(parts) + ".")


def markdown_table(frame: pd.DataFrame) -> Markdown:
    """A DataFrame as a Markdown table (rendered by JupyterLab and by the book alike)."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markdown("\n".join([header, rule, *body]))


def verdict_counts(table: pd.DataFrame, column: str = "Pearson") -> dict[str, int]:
    counts = table[column].value_counts()
    return {status: int(counts.get(status, 0)) for status in (REPRODUCED, NOT_REPRODUCED, NOT_COMPUTED)}


# --------------------------------------------------------------------------- eqs. (2)-(3)
EQ2 = "FIS vs (Σ_k ∂p_k/∂θ)²  [eq. 2]"
EQ2_PER_SAMPLE = "FIS vs Σ_k (∂p_k/∂θ)²"
EQ3 = "MAS vs |Σ_k ∂p_k/∂θ|  [eq. 3]"
EQ3_PER_SAMPLE = "MAS vs Σ_k |∂p_k/∂θ|"
DROP_INVERSE_P = "(Σ_k ∂log p_k/∂θ)² vs (Σ_k ∂p_k/∂θ)²"
COMPARISONS = (EQ2, EQ2_PER_SAMPLE, EQ3, EQ3_PER_SAMPLE, DROP_INVERSE_P)


@dataclass(frozen=True)
class ExplanationCheck:
    """Eqs. (2)-(3) tested on each task's trained network and importance samples.

    ``p_summary``: one row per task (``task``, ``mean``, ``median``, ``min``, ``share_above_0.9``,
    ``share_above_0.99``) of the labelled output p_k. ``p_last``: every p_k of the last task.
    ``agreement``: one row per task, layer and comparison, with ``pearson`` and ``spearman``.
    ``stored_mismatch``: the largest relative difference between the FIS/MAS recomputed here and
    the per-task importances stored by the run (a check that this recomputation sees the same
    network and samples as the experiment did).
    """

    p_summary: pd.DataFrame
    p_last: np.ndarray
    agreement: pd.DataFrame
    stored_mismatch: float

    def consistency(self) -> Markdown:
        ok = self.stored_mismatch < 1e-4
        return Markdown(
            f"FIS and MAS recomputed here from the saved networks differ from the importances the run stored by at "
            f"most {self.stored_mismatch:.1e} (relative to the largest value): "
            + ("the check sees the same networks and samples as the experiment." if ok else
               "**they do not match**, so this check does not see what the experiment saw.")
        )

    def final(self) -> pd.DataFrame:
        """The agreement rows of the last task."""
        return self.agreement[self.agreement["task"] == self.agreement["task"].max()].reset_index(drop=True)


def _labelled_output_gradients(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """p_k, and per layer δ_k = ∂p_k/∂z_k (pre-activations) and the layer inputs a_k.

    The per-sample weight gradient of p_k is the outer product δ_k a_kᵀ; it is never formed.
    """
    layer_inputs, pre_activations = [], []
    hidden = inputs
    layers = model.layers
    for index, layer in enumerate(layers):
        layer_inputs.append(hidden.detach())
        z = layer(hidden)
        z.retain_grad()
        pre_activations.append(z)
        hidden = F.leaky_relu(z, model.leaky_slope) if index < len(layers) - 1 else z
    probabilities = torch.softmax(hidden, dim=-1)
    p = probabilities.gather(1, labels[:, None]).squeeze(1)
    # Sample k only reaches p_k, so the gradient of Σ_k p_k at sample k's pre-activations is ∂p_k/∂z_k.
    p.sum().backward()
    deltas = [z.grad.detach() for z in pre_activations]
    return p.detach(), deltas, layer_inputs


def _agreement_rows(task: int, importances: dict[str, dict[str, torch.Tensor]], p: torch.Tensor,
                    deltas: list[torch.Tensor], inputs: list[torch.Tensor]) -> list[dict[str, Any]]:
    rows = []
    for layer, (delta, a) in enumerate(zip(deltas, inputs), start=1):
        delta, a = delta.double(), a.double()
        summed = delta.T @ a                             # Σ_k ∂p_k/∂W
        summed_log = (delta / p.double()[:, None]).T @ a  # Σ_k ∂log p_k/∂W
        squares = delta.square().T @ a.square()          # Σ_k (∂p_k/∂W)²
        magnitudes = delta.abs().T @ a.abs()             # Σ_k |∂p_k/∂W|
        fis = importances["fis"][f"fc{layer}.weight"].double()
        mas = importances["mas"][f"fc{layer}.weight"].double()
        # Squares and absolute values of one vector share its ranks, so each vector is ranked once.
        vectors = {"fis": fis, "mas": mas, "summed": summed.abs(), "squares": squares,
                   "magnitudes": magnitudes, "summed_log": summed_log.abs()}
        ranks = {name: average_ranks(v) for name, v in vectors.items()}
        values = {**vectors, "summed2": summed.square(), "summed_log2": summed_log.square()}
        pairs = {
            EQ2: ("fis", "summed2", "summed"),
            EQ2_PER_SAMPLE: ("fis", "squares", "squares"),
            EQ3: ("mas", "summed", "summed"),
            EQ3_PER_SAMPLE: ("mas", "magnitudes", "magnitudes"),
            DROP_INVERSE_P: ("summed_log2", "summed2", "summed"),
        }
        for comparison, (x, y, y_ranks) in pairs.items():
            x_ranks = "summed_log" if x == "summed_log2" else x
            rows.append(dict(task=task, layer=layer, comparison=comparison,
                             pearson=pearson(values[x], values[y]), spearman=pearson(ranks[x_ranks], ranks[y_ranks])))
    return rows


def explanation_check(results: Results, tasks: Iterable[int] | None = None,
                      data_root: str | os.PathLike[str] | None = None) -> ExplanationCheck:
    """Test eqs. (2)-(3) on the network saved after each task, on that task's importance samples.

    Loads ``checkpoints/task_XX.pt`` and rebuilds the importance samples (the last
    ``importance_samples`` training rows of the task, permuted as in the run) through the public
    data functions. Nothing is trained.
    """
    config = results.config
    if "fis" not in config.methods or "mas" not in config.methods:
        raise PaperCodeError("the eq. (2)-(3) check needs a run that computed both FIS and MAS")
    numbers = list(tasks) if tasks is not None else list(range(1, results.completed_tasks + 1))
    mnist = load_mnist(Path(data_root) if data_root is not None else None)
    lo, hi = config.train_size - config.importance_samples, config.train_size
    rows_only = MNISTArrays(mnist.train_x[lo:hi], mnist.train_y[lo:hi], mnist.test_x[:1], mnist.test_y[:1])
    task_data = make_tasks(rows_only, results.permutations())

    summaries, agreement, mismatch, p_last = [], [], 0.0, np.array([])
    for number in numbers:
        model = build_model(config.seed, config.leaky_slope)
        model.load_state_dict(torch.load(task_file(results.path, CHECKPOINTS_DIR, number), weights_only=True))
        samples = task_data[number - 1]
        fresh = post_training_importances(model, samples.train_x, samples.train_y, ["fis", "mas"])
        stored = torch.load(task_file(results.path, IMPORTANCES_DIR, number), weights_only=True)["per_task"]
        for method in ("fis", "mas"):
            for name, value in fresh[method].items():
                reference = stored[method][name]
                scale = float(reference.abs().max()) or 1.0
                mismatch = max(mismatch, float((value - reference).abs().max()) / scale)
        with torch.enable_grad():
            p, deltas, inputs = _labelled_output_gradients(model, samples.train_x, samples.train_y)
        values = p.numpy()
        summaries.append(dict(task=number, mean=float(values.mean()), median=float(np.median(values)),
                              min=float(values.min()), **{"share_above_0.9": float((values > 0.9).mean()),
                                                          "share_above_0.99": float((values > 0.99).mean())}))
        agreement += _agreement_rows(number, fresh, p, deltas, inputs)
        p_last = values
    return ExplanationCheck(pd.DataFrame(summaries), p_last, pd.DataFrame(agreement), mismatch)


# --------------------------------------------------------------------------- several runs, live panel
def find_runs(results_root: str | os.PathLike[str]) -> list[Results]:
    """Every complete run directly under ``results_root`` (one folder per run), oldest first."""
    root = resolve_results_dir(results_root)
    runs = []
    if not root.is_dir():
        return runs
    for folder in sorted(root.iterdir()):
        if not (folder / "config.json").is_file():
            continue
        try:
            runs.append(load_results(folder))
        except PaperCodeError:
            continue
    return sorted(runs, key=lambda r: str(r.meta.get("created", "")))


def explore_panel(results: Results, correlation: str = "pearson", pairs: Iterable[str] = PAPER_PAIRS) -> Any:
    """An ipywidgets panel that redraws a correlation surface: run, pair, coefficient, task range.

    The run menu lists every complete run next to ``results`` (other λ, seeds, penalties...).
    Redrawing needs a live kernel; in the static book the panel shows its saved state.
    """
    import ipywidgets as widgets
    from IPython.display import display

    from paper_code.plots import correlation_surface

    runs = {r.meta.get("key", r.config.key): r for r in find_runs(Path(results.path).parent)}
    runs.setdefault(results.meta.get("key", results.config.key), results)
    current = results.meta.get("key", results.config.key)
    run_menu = widgets.Dropdown(
        options=[(f"{key}: {describe(run.config)}", key) for key, run in runs.items()],
        value=current, description="run", layout=widgets.Layout(width="95%"),
    )
    pair_menu = widgets.Dropdown(options=[(pair_label(p), p) for p in pairs], value=tuple(pairs)[0], description="pair")
    kind_menu = widgets.Dropdown(options=[(KIND_LABELS[k], k) for k in CORRELATION_KINDS], value=correlation,
                                 description="coefficient", style={"description_width": "initial"})
    last = results.completed_tasks
    task_range = widgets.IntRangeSlider(value=(1, last), min=1, max=max(last, 1), step=1, description="tasks",
                                        continuous_update=False)
    output = widgets.Output()

    def redraw(*_: Any) -> None:
        run = runs[run_menu.value]
        n = run.completed_tasks
        if task_range.max != n:
            task_range.max = max(n, 1)
        low, high = task_range.value
        with output:
            output.clear_output(wait=True)
            try:
                display(correlation_surface(run.correlations, pair_menu.value, kind_menu.value, tasks=(low, min(high, n))))
            except ValueError as exc:
                print(exc)

    for control in (run_menu, pair_menu, kind_menu, task_range):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([run_menu, widgets.HBox([pair_menu, kind_menu]), task_range, output])

