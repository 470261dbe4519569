"""A page's papermill parameters, turned into the run it shows, the seeds its claims are graded on and its findings.

Every results page of the book takes the same parameters (``results_dir``, ``n_tasks``, ``epochs``, ``lam``,
``reg``, ``seed``, ...). They describe one :class:`~paper_code.Config`. The page shows the committed study's trial
of that configuration when the study holds one, else runs or reuses it through :func:`~paper_code.cached_run`.

Its findings are the committed record (``study/findings/<page>.json``) when the page shows the paper's
configuration from the committed study: the numbers every other page, README and the dashboard read too, and the
prose must hold on them (``strict``). With other parameters the same record is computed from that run and its
seeds, and a sentence it no longer supports is flagged on the page instead.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from paper_code.analysis.explanation import ExplanationCheck, explanation_check, stored_check, write_explanation
from paper_code.config import Config
from paper_code.correlation import CORRELATION_KINDS
from paper_code.errors import PaperCodeError
from paper_code.experiment import cached_run
from paper_code._version import __version__
from paper_code.labels import describe
from paper_code.locations import DOWNLOAD_FILES, checkout_path, shown_path
from paper_code.results import Results
from paper_code.studies.claim_data import claim_data, seed_runs
from paper_code.studies.claims import ClaimData
from paper_code.studies.findings.record import FINDINGS_DIR, read_record
from paper_code.studies.findings.methodology import chosen_on, methodology_record
from paper_code.studies.findings.sections import SECTIONS, section_record
from paper_code.studies.grid import GRID_DIR, committed_trial



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
    return cached_run(config, checkout_path(results_dir), quiet=True)


class ResultsPage:
    """One results page: the run it shows, the coefficient it shows first, the seeds of its configuration found in
    ``results_dir`` and the study, and its findings.

    The run shown is the committed study trial of the page's configuration when the study holds one
    (``committed``), so the built book shows the same numbers on every machine; otherwise the run computed on
    this machine. A run of the same key computed here is the *local reproduction* (:attr:`local`): it differs from
    the committed trial by rounding, amplified by training, and is shown only as such (on the page "Reproduce
    this"), never graded in its place.
    """

    def __init__(self, results: Results, correlation: str = "pearson", results_dir: str | os.PathLike[str] = "results",
                 study_dir: str | os.PathLike[str] | None = "study/grid", compute_explanation: bool = False,
                 committed: bool = False) -> None:
        self.results = results
        self.correlation = check_correlation(correlation)
        self.results_dir = results_dir
        self.study_dir = study_dir
        self.committed = committed
        # A committed trial keeps no saved networks: its eq. (1)-(3) check is read from its folder or not at all.
        self.compute_explanation = compute_explanation and not committed
        #: Where the last :meth:`explanation` came from: "stored", "local" (the local reproduction) or "shown".
        self.check_source: str | None = None

    @property
    def seeds_from(self) -> str | os.PathLike[str]:
        """Where the page finds its other seeds: the study alone when it shows the study, so its figures average the
        seeds its committed record grades (as :func:`~paper_code.studies.findings.sections.study_claim_data` does),
        not also runs of this machine that share the configuration (the held-out seeds ``make theory`` trains);
        otherwise ``results_dir`` as well."""
        return self.study_dir if self.shows_the_study else self.results_dir

    @cached_property
    def data(self) -> ClaimData:
        """What the claims are graded on (:func:`~paper_code.studies.claim_data.claim_data`), found on first use."""
        return claim_data(self.results, self.seeds_from, self.study_dir, compute_explanation=self.compute_explanation)

    @cached_property
    def local(self) -> Results:
        """This configuration computed (or reused from the cache) on this machine."""
        return cached_run(self.results.config, checkout_path(self.results_dir), quiet=True)

    @property
    def shows_the_study(self) -> bool:
        """Whether the page shows the paper's configuration from the committed study: its findings are then the
        committed records, and its prose must hold on them."""
        return (self.committed and self.results.config.key == Config().key and self.study_dir is not None
                and Path(checkout_path(self.study_dir)).resolve() == Path(checkout_path(GRID_DIR)).resolve())

    def provenance(self) -> dict[str, Any]:
        """Which run the page shows, as plain values for its foot: its key, folder, configuration, where it comes
        from, the library version that computed it, and its files a reader can download."""
        results = self.results
        return {
            "key": str(results.meta.get("key", results.config.key)),
            "folder": shown_path(Path(results.path)),
            "summary": describe(results.config),
            "committed": self.committed,
            "study": self.shows_the_study,
            "seed": results.config.seed,
            "computed_by": str(results.meta.get("versions", {}).get("paper_code", "unknown")),
            "rendered_by": __version__,
            "date": str(results.meta.get("updated") or results.meta.get("created") or ""),
            "numerics": results.config.numerics,
            "files": [name for name in DOWNLOAD_FILES if (Path(results.path) / name).is_file()],
        }

    def findings(self, page: str) -> dict[str, Any]:
        """The findings record of run page ``page`` (a section page ``s3_1`` ... ``s3_6``, or ``methodology``) for
        the run shown."""
        if self.shows_the_study:
            return read_record(page, checkout_path(FINDINGS_DIR))
        if page == "methodology":
            study = checkout_path(self.study_dir) if self.study_dir is not None else None
            runs = seed_runs(self.results, *([study] if study is not None else []), self.results_dir)
            return methodology_record(runs, chosen_on(study, self.results.config), committed=self.committed)
        if page not in SECTIONS:
            raise PaperCodeError(f"no run page {page!r} (pages: {', '.join([*SECTIONS, 'methodology'])})")
        if page == "s3_1" and not self.committed:
            self.explanation()  # a run of this machine is checked on its own networks, then graded with its check
        return section_record(page, self.data, self.results.config, committed=False)

    def explanation(self) -> ExplanationCheck:
        """The eq. (1)-(3) check of the run shown. A committed trial keeps no saved networks: its check is the one
        the study stored with it, or, where it stored none, the check of the local reproduction. A run of this
        machine is checked on its own networks; the check is stored in its folder and graded from then on."""
        if self.committed:
            stored = stored_check(self.results.path)
            self.check_source = "stored" if stored is not None else "local"
            return stored if stored is not None else self._checked(self.local, regrade=False)
        self.check_source = "shown"
        return self._checked(self.results, regrade=True)

    def _checked(self, run: Results, regrade: bool) -> ExplanationCheck:
        check = explanation_check(run)
        if regrade:
            self.data = claim_data(self.results, self.seeds_from, self.study_dir, explanation=check)
        else:
            write_explanation(run.path, check)
        return check


def shown_run(results_dir: str | os.PathLike[str] = "results", study_dir: str | os.PathLike[str] | None = "study/grid",
              **parameters: Any) -> tuple[Results, bool]:
    """The run a page of ``parameters`` shows, and whether it is the committed study trial: the study's trial of
    the same key when ``study_dir`` holds one, else the run computed or reused on this machine (:func:`load_page`)."""
    if study_dir is not None:
        trial = committed_trial(checkout_path(study_dir), page_config(**parameters))
        if trial is not None:
            return trial, True
    return load_page(results_dir, **parameters), False


def results_page(results_dir: str | os.PathLike[str] = "results", correlation: str = "pearson",
                 study_dir: str | os.PathLike[str] | None = "study/grid", compute_explanation: bool = False,
                 **parameters: Any) -> ResultsPage:
    """The page a results notebook shows: the run of ``parameters`` (:func:`shown_run`), its seeds found when a
    verdict needs them."""
    correlation = check_correlation(correlation)
    results, committed = shown_run(results_dir, study_dir, **parameters)
    return ResultsPage(results, correlation, results_dir, study_dir, compute_explanation, committed)


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


def setup_rows(results: Results) -> list[tuple[str, str, str]]:
    """The setup as run, read from the run's ``config.json``: (parameter, value, meaning) rows for the
    methodology page."""
    config, meta = results.config, results.meta
    rows = [(name, _shown(getattr(config, name)), meaning) for name, meaning in SETUP_MEANINGS.items()]
    seconds = meta.get("seconds", {})
    rows += [
        ("network", "784-300-150-10, LeakyReLU, softmax output", "section 2 of the paper"),
        ("device", str(meta.get("device", "?")), "where it ran"),
        ("run time", f"{sum(seconds.values()):.0f} s" if seconds else "?", "training, evaluation, importances"),
        ("numerics", str(config.numerics), "numerics version: what the numbers mean (CHANGELOG.md)"),
        ("code", _commit(meta), "git commit of the code that computed the run"),
        ("key", str(meta.get("key", config.key)), "cache key: hash of the parameters above"),
    ]
    return rows


def _commit(meta: dict) -> str:
    code = meta.get("code") or {}
    if not code.get("commit"):
        return "not recorded (computed before commits were recorded)"
    return code["commit"][:12] + (" with uncommitted changes" if code.get("dirty") else "")


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
