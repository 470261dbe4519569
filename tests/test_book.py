"""The book: eq. (1)-(3) gradients against autograd, and every page executed under papermill on one small cached
run, then built with zero Sphinx warnings (the grading rules are tested on hand-made tables in test_grading.py).

The build (``book/build.py``) runs once per test session, into a temporary folder; ``test_browser.py``
reuses it (see :func:`build_small_book`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from conftest import require_program
from paper_code.analysis.explanation import COMPARISONS, LITERAL_COMPARISONS, OBSERVED, explanation_check
from paper_code.config import Config
from paper_code.errors import PaperCodeError
from paper_code.figures.renderer import BOOK_ENV
from paper_code.locations import checkout_path
from paper_code.results import load_results
from paper_code.studies.findings import read_record
from paper_code.studies.claim_data import claim_data
from paper_code.studies import pages
from paper_code.studies.claims import CLAIMS, claims_table
from paper_code.studies.claims import grade as claim_grade

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(n_tasks=3, epochs=1, train_size=2000, test_size=500, importance_samples=500)

#: Plotly figures each executed page must hold.
FIGURES = {
    # The accuracy matrix of the run shown.
    "methodology": 1,
    # The seed-mean surface and cell grid of MAS–FIS, the FIS–MAS² minus FIS–MAS grid, the eq. (2)-(3) dots.
    "s3_1_mas_fis": 4,
    "s3_2_mas_si": 2,
    # SIG pairs: the surface and one line per layer.
    "s3_3_mas_sig": 2,
    "s3_4_fis_si": 2,
    "s3_5_fis_sig": 2,
    "s3_6_si_sig": 2,
    # The pages that read only findings records.
    "intro": 0,
    "findings": 0,
    "discussion": 0,
    # The kernel-free explorer (the live dashboard is shown as a picture).
    "explore": 1,
    # The study pages read the committed study (study/grid), whatever the run parameters.
    # The final accuracy against λ of every importance, beside the paper author's logs.
    "b1_choosing_lambda": 1,
    # The gains over fine-tuning; the mean accuracy matrices of fine-tuning, EWC-MAS and the uniform and random
    # controls (study/controls).
    "b2_importance_matters": 5,
    # The half-width of every cell's seed band, and the SIG pairs' output layer seed by seed.
    "b3_seed_stability": 2,
    # Accumulated minus per-task correlation, cell by cell.
    "b4_per_task": 1,
    # The analysis pages read the committed analysis of trained networks (study/analysis): the pruning curves by Ω
    # and by Ω·w², the task profile; the correlations with |w|, the rank-1 shares, the split of each agreement.
    "b5_pruning": 3,
    "b6_structure": 3,
    # The sensitivity page reads its record (study/findings/b7.json): every key number under every variant.
    "b7_sensitivity": 1,
    # The reproduce page states its record (study/findings/reproduce.json) and draws the noise study (study/noise):
    # rounding against the seed spread cell by cell, the three spreads by task.
    "reproduce": 2,
    # The theory page reads its record (study/findings/b9.json): the slopes against the Fisher, squaring MAS task by
    # task, the Fishers against each other.
    "b9_theory": 3,
    # Beyond reads its record (study/findings/b8.json): the cells passing by claim and setting, the SIG pairs after
    # each task by setting, every pair on every layer of the paper's and the deep network.
    "b8_beyond": 3,
    # The manual's notebooks: the option tables read from the parser, the study's folders with their cost.
    "manual_parameters": 0,
    "manual_study": 0,
}
#: The manual's notebooks, and its Markdown pages (the notebooks are in FIGURES too).
MANUAL_NOTEBOOKS = {"manual_parameters", "manual_study"}
MANUAL_TEXT = ["manual", "manual_install", "manual_running", "manual_methods", "manual_reproducibility", "manual_data",
               "manual_book", "manual_code"]
STUDY_PAGES = {"b1_choosing_lambda", "b2_importance_matters", "b3_seed_stability", "b4_per_task"}
BEYOND_PAGES = {"b8_beyond"}
ANALYSIS_PAGES = {"b5_pruning", "b6_structure"}
SENSITIVITY_PAGES = {"b7_sensitivity"}
THEORY_PAGES = {"b9_theory"}
NOISE_PAGES = {"reproduce"}
#: The narrated pages: each opens with a verdict box and states the numbers of its findings record.
SECTION_PAGES = {"s3_1_mas_fis", "s3_2_mas_si", "s3_3_mas_sig", "s3_4_fis_si", "s3_5_fis_sig", "s3_6_si_sig"}
#: The pages that state only what findings records hold: no parameters, nothing computed.
READER_PAGES = {"intro", "findings", "discussion"}
NARRATED_PAGES = (SECTION_PAGES | READER_PAGES | {"b2_importance_matters"} | ANALYSIS_PAGES | STUDY_PAGES
                  | SENSITIVITY_PAGES | BEYOND_PAGES | {"methodology"} | NOISE_PAGES | THEORY_PAGES)
#: The narrated pages that show one run (the committed trial, or the small build's run): their foot offers its files.
RUN_PAGES = SECTION_PAGES | {"methodology"}


# --------------------------------------------------------------------------- one small build per session
@dataclass(frozen=True)
class BuiltBook:
    base: Path
    results_dir: Path
    stage: Path
    html: Path
    returncode: int
    log: str

    @property
    def run(self) -> Path:
        folders = [p for p in self.results_dir.iterdir() if (p / "config.json").is_file()]
        assert len(folders) == 1, folders
        return folders[0]


def small_parameters(results_dir: Path) -> dict:
    return dict(SMALL, results_dir=str(results_dir))


def build_small_book(tmp_path_factory: pytest.TempPathFactory) -> BuiltBook:
    """Build the whole book on a small run, once per session (later calls reuse the first build)."""
    # The book's JavaScript assets come from npm tarballs (once, into assets/vendor/).
    require_program("npm", (ROOT / "assets" / "vendor" / "vendor.json").is_file() or shutil.which("npm") is not None)
    base = tmp_path_factory.getbasetemp() / "small-book"
    marker = base / "build.json"
    results_dir, out = base / "results", base / "out"
    if not marker.is_file():
        base.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(out)]
        for name, value in small_parameters(results_dir).items():
            command += ["-p", name, str(value)]
        # A plain build: on GitHub Actions, GITHUB_REPOSITORY would turn the repository and launch buttons on.
        env = {k: v for k, v in os.environ.items() if k != "GITHUB_REPOSITORY"}
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
        marker.write_text(json.dumps({"returncode": proc.returncode, "log": proc.stdout + proc.stderr}))
    record = json.loads(marker.read_text())
    return BuiltBook(base, results_dir, out / "_build" / "src", out / "_build" / "html", record["returncode"], record["log"])


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> BuiltBook:
    result = build_small_book(tmp_path_factory)
    assert result.returncode == 0, "book/build.py failed:\n" + result.log[-6000:]
    return result


def outputs(notebook) -> list[dict]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def executed(built: BuiltBook, name: str):
    return nbformat.read(built.stage / "book" / f"{name}.ipynb", as_version=4)


def test_every_notebook_cell_has_a_valid_id():
    """nbformat 4.5 wants an id on every cell; a cell added by hand without one makes every tool that reads the
    page warn (and a future nbformat refuse it)."""
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        ids = [cell.get("id") for cell in notebook.cells]
        assert all(ids), f"{path.name}: a cell has no id"
        assert len(set(ids)) == len(ids), f"{path.name}: two cells share an id"
        nbformat.validate(notebook)


def test_parameters_map_to_a_config_and_paths_to_the_repository(monkeypatch):
    config = pages.page_config(n_tasks=3, epochs=1, lam=10, reg="si", seed=2, train_size=2000, test_size=500,
                               importance_samples=500)
    assert config == Config(tasks=3, epochs=1, lam=10.0, reg="si", seed=2, train_size=2000, test_size=500,
                            importance_samples=500)
    assert pages.page_config() == Config()
    assert checkout_path("results") == ROOT / "results"
    assert checkout_path("/tmp/x") == Path("/tmp/x")
    # From another working directory inside the checkout (JupyterLab runs pages from book/), the same folder.
    monkeypatch.chdir(ROOT / "book")
    assert checkout_path("results") == ROOT / "results"
    monkeypatch.undo()
    with pytest.raises(PaperCodeError, match="pearson"):
        pages.check_correlation("kendall")


# --------------------------------------------------------------------------- the small run, through the library
def test_explanation_check_sees_the_runs_networks(built):
    results = load_results(built.run)
    check = explanation_check(results)
    assert check.stored_mismatch < 1e-4
    assert list(check.p_summary["task"]) == [1, 2, 3]
    assert ((check.p_summary["mean"] > 0) & (check.p_summary["mean"] < 1)).all()
    assert len(check.p_last) == SMALL["importance_samples"]
    assert len(check.agreement) == 3 * 3 * (len(COMPARISONS) + len(LITERAL_COMPARISONS))
    # The per-sample FIS–MAS² row equals the run's own stored correlation (same importances, same rule).
    stored = results.per_task_correlations.query("pair == 'fis_mas2'").set_index(["task", "layer"]).pearson
    observed = check.agreement[check.agreement.comparison == OBSERVED].set_index(["task", "layer"]).pearson
    pd.testing.assert_series_equal(observed.sort_index(), stored.sort_index(), check_names=False, atol=1e-6, rtol=0)


def test_claims_table_grades_the_small_run_alone(built):
    results = load_results(built.run)
    data = claim_data(results, built.results_dir, ROOT / "study" / "grid")
    assert sorted(data.sources) == [results.config.seed]  # the small configuration is not in the study
    claims = claims_table(data, "spearman")
    assert list(claims.columns) == ["section", "claim", "test", "Pearson", "Spearman"]
    assert len(claims) == len(CLAIMS)
    assert claims[claims["claim"].str.startswith("all four")].iloc[0]["Pearson"] == "not computed"
    assert "another configuration" in claim_grade(data, "4-ewc").why
    assert claims[claims["claim"].str.startswith("FIS correlates better")].iloc[0]["Spearman"] == "not applicable"


# --------------------------------------------------------------------------- the executed notebooks
def test_build_succeeded_without_warnings(built):
    sphinx = built.log[built.log.index("jupyter-book build"):]
    assert "build succeeded" in sphinx
    # Sphinx prints each warning as "<location>: WARNING: <message>"; -W makes any of them fail the build. (A
    # notebook kernel shutting down can log "ERROR:tornado…" into the same stream; that is not Sphinx's.)
    assert not re.search(r": (WARNING|ERROR): ", sphinx), re.findall(r".*: (?:WARNING|ERROR): .*", sphinx)[:5]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_page_executed_with_figures_verdicts_and_provenance(built, name):
    notebook = executed(built, name)
    everything = outputs(notebook)
    errors = [out for out in everything if out.output_type == "error"]
    assert not errors, errors
    html = [out["data"]["text/html"] for out in everything if "text/html" in out.get("data", {})]
    figures = [h for h in html if "plotly-graph-div" in h]
    assert len(figures) == FIGURES[name]
    # Figures rely on the page's copy of plotly.js: none inlines it, none has a mime type the book drops.
    assert all("<script src=" not in h and len(h) < 500_000 for h in figures)
    assert not [out for out in everything if "application/vnd.plotly.v1+json" in out.get("data", {})]
    markdown = [out["data"]["text/markdown"] for out in everything if "text/markdown" in out.get("data", {})]
    prose = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    if name in NARRATED_PAGES:
        # Every number comes from findings records, which the page offers for download (a section page run with
        # other parameters computes its own, from the run it shows, whose files it offers instead).
        if name in RUN_PAGES:
            assert any(built.run.name in text and "{download}`correlations.csv" in text for text in markdown)
        elif name != "intro":
            assert "</findings/" in prose[-1], prose[-1]
        if name in STUDY_PAGES:  # the pages of the λ-grid study name the committed sweep they read
            assert "`study/grid`" in prose[-1], prose[-1]
        if name == "b2_importance_matters":  # the paper's regularizers and the controls, from their two sweeps
            assert "`study/controls`" in prose[-1]
        if name in ANALYSIS_PAGES:  # the analysis of retrained networks, beside the study's trials of its configuration
            assert "`study/analysis`" in prose[-1] and "`study/grid`" in prose[-1], prose[-1]
        if name in SENSITIVITY_PAGES:  # the key numbers, from the default's trials and the variants' own runs
            assert "{download}`b7.json </findings/b7.json>`" in prose[-1], prose[-1]
            assert "`study/sensitivity/key_numbers.csv`" in prose[-1] and "`study/grid`" in prose[-1], prose[-1]
        if name in BEYOND_PAGES:  # the settings' sweeps, beside the paper's configuration
            assert "{download}`b8.json </findings/b8.json>`" in prose[-1], prose[-1]
            assert "`study/beyond`" in prose[-1] and "`study/grid`" in prose[-1], prose[-1]
        if name in THEORY_PAGES:  # the theory table, computed from the saved networks
            assert "{download}`b9.json </findings/b9.json>`" in prose[-1], prose[-1]
            assert "`study/theory/theory.csv`" in prose[-1] and "`make theory`" in prose[-1], prose[-1]
        if name in NOISE_PAGES:  # the noise study's record, and this machine's rerun computed when built
            assert "{download}`reproduce.json </findings/reproduce.json>`" in prose[-1], prose[-1]
            assert "`study/noise`" in prose[-1] and "`study/grid`" in prose[-1], prose[-1]
            # The small build's configuration is not in the study: there is no committed trial to set its run beside.
            assert any(text.startswith("This build shows") and "the committed study does not hold" in text
                       and "no committed trial" in text for text in markdown)
    elif name not in MANUAL_NOTEBOOKS:  # the manual shows no run: its tables come from the parser and the records
        key = built.run.name
        assert any(key in text and "{download}`correlations.csv" in text for text in markdown), "no provenance"
    if name in NARRATED_PAGES:
        # The verdict box opens the page (its first text after the title); no code shows, folded or not.
        assert ":class: verdict" in prose[1], prose[1][:200]
        code_tags = [cell.metadata.get("tags", []) for cell in notebook.cells if cell.cell_type == "code"]
        assert all({"remove-cell", "remove-input"} & set(tags) for tags in code_tags)
        # The small run is not the study's configuration: a paragraph its numbers no longer support is flagged in
        # place, never silently kept, and the build goes on.
        flagged = [text for text in markdown if text.startswith(":::{warning}\nOn this run the paragraph above")]
        assert all("it says" in text for text in flagged)
    # The parameters cell and the cell papermill injects are both hidden from the book.
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    assert any("parameters" in t and "remove-cell" in t for t in tags) or name in READER_PAGES | MANUAL_NOTEBOOKS
    injected = [t for t in tags if "injected-parameters" in t]
    assert all("remove-cell" in t for t in injected)
    # Study pages declare none of the run parameters this build passes, so papermill injects nothing there.
    assert len(injected) == (0 if name in STUDY_PAGES | ANALYSIS_PAGES | SENSITIVITY_PAGES | BEYOND_PAGES | READER_PAGES
                             | MANUAL_NOTEBOOKS | THEORY_PAGES | {"b2_importance_matters"} else 1)
    assert notebook.metadata.kernelspec.name == "python3"


def test_explore_page_pictures_the_dashboard_and_says_how_to_serve_it(built):
    """The explore page saves no widgets (a frozen panel looked live and was not): it shows a picture of the live
    dashboard and the command that serves it."""
    notebook = executed(built, "explore")
    assert "widgets" not in notebook.metadata
    assert not [out for out in outputs(notebook) if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    text = next(cell.source for cell in notebook.cells if cell.cell_type == "markdown" and "](../assets/dashboard.png)" in cell.source)
    assert "make dashboard" in text and "http://127.0.0.1:8866/" in text
    page = (built.html / "book" / "explore.html").read_text()
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*dashboard[^"]*\.png)"', page)
    assert sources and all((built.html / "book" / source).resolve().is_file() for source in sources), sources


def test_discussion_table_lists_every_claim_with_a_link_to_its_page(built):
    markdown = [out["data"]["text/markdown"] for out in outputs(executed(built, "discussion"))
                if "text/markdown" in out.get("data", {})]
    claims_text = next(text for text in markdown if text.startswith("| §"))
    assert claims_text.count("\n| ") == len(CLAIMS) + 1  # rule line + one row per claim
    assert claims_text.count("{ref}`") == len(CLAIMS)


def test_html_pages_downloads_and_local_scripts(built):
    pages = sorted(p.stem for p in (built.html / "book").glob("*.html"))
    assert pages == sorted(list(FIGURES) + ["glossary", "references"] + MANUAL_TEXT)  # every notebook, the text pages
    assert (built.html / "index.html").is_file()
    copies = list((built.html / "_downloads").glob("*/correlations.csv"))
    assert len(copies) == 1 and copies[0].read_bytes() == (built.run / "correlations.csv").read_bytes()
    assert (built.html / "_static" / "vendor" / "plotly.min.js").is_file()
    import re

    for page in (built.html / "book").glob("*.html"):
        text = page.read_text()
        sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', text)
        assert sources and not [s for s in sources if "://" in s or s.startswith("//")], (page.name, sources)
        assert text.count("vendor/plotly.min.js") == 1, page.name
        if page.stem in RUN_PAGES:
            # provenance: the run's files, downloadable from the book itself
            assert re.search(r'href="\.\./_downloads/[0-9a-f]+/correlations\.csv"', text), page.name


#: The stamps that say which data a page shows: pages that show the same run or study carry the same stamp.
PROVENANCE_STAMPS = ("Run shown:", "Study shown:", "Analysis shown:", "Trials shown:", "Numbers shown:",
                     "Where these numbers come from.")


def repeated_paragraphs(pages: dict[str, str], shortest: int = 60) -> dict[str, list[str]]:
    """Paragraphs of at least ``shortest`` characters found on more than one page (page name -> its article's
    HTML), with the pages that repeat them; provenance stamps are not prose and are left out."""
    import html
    import re

    found: dict[str, set[str]] = {}
    for name, text in pages.items():
        article = text[text.find("<article"):text.find("</article>")]
        # A table's cells name things (a claim, a setting) that other tables name too; they are not prose.
        article = re.sub(r"<table\b.*?</table>", " ", article, flags=re.S)
        for paragraph in re.findall(r"<p>(.*?)</p>", article, re.S):
            plain = " ".join(html.unescape(re.sub(r"<[^>]+>", "", paragraph)).split())
            if len(plain) >= shortest and not plain.startswith(PROVENANCE_STAMPS):
                found.setdefault(plain, set()).add(name)
    return {plain: sorted(names) for plain, names in found.items() if len(names) > 1}


def test_repeated_paragraphs_are_found():
    page = "<article><p>{}</p><p>Run shown: {}</p></article>"
    pages = {"a": page.format("x" * 70, "y" * 70), "b": page.format("x" * 70, "y" * 70), "c": page.format("z" * 70, "")}
    assert repeated_paragraphs(pages) == {"x" * 70: ["a", "b"]}
    cell = "<article><table><tr><td><p>{}</p></td></tr></table></article>"  # a table's cell is not prose
    assert repeated_paragraphs({"a": cell.format("w" * 70), "b": cell.format("w" * 70)}) == {}


def test_no_paragraph_is_repeated_on_two_pages(built):
    """Each page keeps what is its own: a text every page needs (how a grade is reached, how to turn a figure) is
    on the glossary page and linked, not copied."""
    pages = {p.stem: p.read_text() for p in (built.html / "book").glob("*.html")}
    assert len(pages) == len(FIGURES) + 2 + len(MANUAL_TEXT)
    assert repeated_paragraphs(pages) == {}


def test_papermill_command_line_reruns_a_page(built, tmp_path):
    """`papermill book/<page>.ipynb out.ipynb -p ...`, as the README gives it: no -k, any working directory."""
    env = {k: v for k, v in os.environ.items() if k != BOOK_ENV}
    papermill = Path(sys.executable).with_name("papermill")
    command = [str(papermill), str(ROOT / "book" / "s3_2_mas_si.ipynb"), str(tmp_path / "out.ipynb"), "--no-progress-bar"]
    for name, value in small_parameters(built.results_dir).items():
        command += ["-p", name, str(value)]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    everything = outputs(nbformat.read(tmp_path / "out.ipynb", as_version=4))
    # Outside the book build, plotly keeps its own renderer (what JupyterLab displays).
    assert sum("application/vnd.plotly.v1+json" in out.get("data", {}) for out in everything) == 2
    # The cached run was reused, not recomputed: still exactly one run folder.
    assert len([p for p in built.results_dir.iterdir() if p.is_dir()]) == 1


def test_a_page_of_the_study_draws_the_seeds_its_record_grades(tmp_path):
    """A run of the paper's configuration with another seed on this machine (as ``make theory`` trains seeds 5-7)
    enters neither the grades nor the figures of a page that shows the study: both average the study's seeds."""
    import shutil

    held_out = ROOT / "study" / "held_out" / "trials" / "5ffd0988e7af"  # EWC-MAS, λ 3, seed 5: the paper's setup
    shutil.copytree(held_out, tmp_path / "results" / held_out.name)
    page = pages.results_page(tmp_path / "results")
    assert page.shows_the_study and sorted(page.data.sources) == [0, 1, 2, 3, 4]
    assert sorted(page.data.correlations.seed.unique()) == [0, 1, 2, 3, 4]
    # A page of the reader's own study folder still finds the seeds of this machine's results (seed 5's run is
    # the one shown, so nothing is trained).
    other = pages.results_page(tmp_path / "results", study_dir=None, seed=5)
    assert not other.committed and other.results.path == tmp_path / "results" / held_out.name
    assert 5 in {run_seed for run_seed in other.data.sources}


def test_a_page_of_a_configuration_the_study_holds_shows_its_committed_trial(tmp_path):
    """The paper's setup is in the study: the page shows that trial, computes nothing, and says so."""
    page = pages.results_page(tmp_path / "results")
    assert page.committed and page.results.path == ROOT / "study" / "grid" / "trials" / Config().key
    assert not (tmp_path / "results").exists()
    provenance = page.provenance()
    assert provenance["committed"] and provenance["study"] and provenance["folder"].startswith("study/grid/trials/")
    # Its grades rest on the study's five seeds, with the rounding and sampling noise the noise study measured.
    assert sorted(page.data.sources) == [0, 1, 2, 3, 4] and page.data.noise is not None
    assert {"sampling_pearson", "sampling_spearman"} <= set(page.data.noise.columns)
    assert claim_grade(page.data, "3.1-mas-fis").within_noise is not None
    # Its findings are the committed record, which its prose must hold on; a small run's are computed, not held.
    assert page.shows_the_study and page.findings("s3_2") == read_record("s3_2")
    check = page.explanation()  # the tables the study stored with the trial; it keeps no networks
    assert check.p_last is None and check.stored_mismatch is None and set(check.p_summary.task) == set(range(1, 11))
    small, committed = pages.shown_run(tmp_path / "results", n_tasks=1, epochs=1, train_size=500, test_size=100,
                                      importance_samples=100)
    assert not committed and small.path.parent == tmp_path / "results"


# --------------------------------------------------------------------------- one meaning, one number
def glued(notebook) -> dict[str, str]:
    """Every value a notebook glued into its prose, by name, as its text."""
    values = {}
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            scrapbook = out.get("metadata", {}).get("scrapbook")
            if scrapbook:
                text = out["data"].get(scrapbook.get("mime_prefix", "") + "text/plain", "")
                values[scrapbook["name"]] = text.strip("'\"")
    return values


def label_conflicts(pages: dict[str, dict[str, str]]) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Labels whose values differ between the places that state them: every glued ``<path>.label`` names the
    statistic of ``<path>``, and each of its fields (``<path>``, ``<path>.mean``, ``<path>.grade``, ...) must read the
    same wherever that label is glued, on any page."""
    seen: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for page, values in pages.items():
        for name, label in values.items():
            if not name.endswith(".label"):
                continue
            path = name[: -len(".label")]
            fields = {"": values.get(path)} | {key[len(path):]: value for key, value in values.items()
                                               if key.startswith(path + ".") and key.count(".") == path.count(".") + 1
                                               and not key.endswith(".label")}
            for field, value in fields.items():
                if value is not None:
                    seen.setdefault(label, {}).setdefault(field, set()).add((value, page))
    return {label: {field: sorted(found) for field, found in fields.items() if len({v for v, _ in found}) > 1}
            for label, fields in seen.items()
            if any(len({v for v, _ in found}) > 1 for found in fields.values())}


def test_label_conflicts_are_found():
    same = {"a": {"x": "0.95", "x.label": "accuracy | seeds=0,1"}, "b": {"y": "0.95", "y.label": "accuracy | seeds=0,1"}}
    assert label_conflicts(same) == {}
    differ = {"a": {"x": "0.95", "x.mean": "0.95", "x.label": "accuracy | seeds=0,1"},
              "b": {"y": "0.96", "y.mean": "0.96", "y.label": "accuracy | seeds=0,1"}}
    assert label_conflicts(differ) == {"accuracy | seeds=0,1": {"": [("0.95", "a"), ("0.96", "b")],
                                                                ".mean": [("0.95", "a"), ("0.96", "b")]}}


def test_one_label_one_value_on_every_page(built):
    """A statistic has one value wherever the book states it: the same label (what it is, over which seeds and
    trials) never carries two numbers, so the seed-0 trial, a five-seed mean and a retrained network are told
    apart by their labels."""
    pages = {path.stem: glued(nbformat.read(path, as_version=4)) for path in (built.stage / "book").glob("*.ipynb")}
    labels = {value for values in pages.values() for name, value in values.items() if name.endswith(".label")}
    assert len(labels) > 20  # the records label their statistics
    assert label_conflicts(pages) == {}


def article_text(page: Path) -> str:
    """The words a reader sees in a built page's article (tags and scripts dropped)."""
    import html as html_module

    text = page.read_text()
    article = text[text.find("<article"):text.find("</article>")]
    article = re.sub(r"<(script|style)\b.*?</\1>", " ", article, flags=re.S)
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", article)).split())


def test_the_discussion_gathers_the_grades_in_under_1800_words(built):
    words = len(article_text(built.html / "book" / "discussion.html").split())
    assert 300 < words < 1800, words


def test_no_page_shows_or_folds_code(built):
    """A reader sees prose, figures and tables: every code cell is removed (``remove-cell`` / ``remove-input``),
    not folded behind a "Show code cell source" bar."""
    folded = {p.stem: p.read_text().count("Show code cell") for p in (built.html / "book").glob("*.html")}
    assert not {page: n for page, n in folded.items() if n}, folded
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        shown = [cell.source[:60] for cell in notebook.cells if cell.cell_type == "code"
                 and not {"remove-cell", "remove-input"} & set(cell.metadata.get("tags", []))]
        assert not shown, (path.name, shown)


def test_no_internal_claim_id_reaches_a_reader(built):
    ids = [claim.id for claim in CLAIMS]
    found = {p.stem: [i for i in ids if i in article_text(p)] for p in (built.html / "book").glob("*.html")}
    assert not {page: hits for page, hits in found.items() if hits}, found


def test_pasted_numbers_carry_the_typographic_minus(built):
    hyphens = {p.stem: p.read_text().count('<span class="pasted-text">-') for p in (built.html / "book").glob("*.html")}
    assert not {page: n for page, n in hyphens.items() if n}, hyphens


def test_pasted_percentages_keep_their_sign_on_the_line(built):
    """A pasted share reads "93 %" with a no-break space, as the book writes its own, never "93%" or a lone "%"."""
    pasted = re.compile(r'<span class="pasted-text">([^<]*)</span>')
    found = {p.stem: [t for t in pasted.findall(p.read_text()) if "%" in t and "\u00a0%" not in t]
             for p in (built.html / "book").glob("*.html")}
    assert any("\u00a0%" in t for p in (built.html / "book").glob("*.html") for t in pasted.findall(p.read_text()))
    assert not {page: bad for page, bad in found.items() if bad}, found


def test_typographic_numbers_by_hand(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<p><span class="pasted-text">-0.15</span> and <span class="pasted-text">93%</span> and '
                    '<span class="pasted-text">73 ± 4 %</span>; typed: 1-2 and 95 %</p>')
    assert build_module().typographic_numbers(tmp_path) == 3
    assert page.read_text() == ('<p><span class="pasted-text">\u22120.15</span> and <span class="pasted-text">93\u00a0%'
                                '</span> and <span class="pasted-text">73 ± 4\u00a0%</span>; typed: 1-2 and 95 %</p>')


def build_module():
    """book/build.py as a module (it is a script, not part of the package)."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
