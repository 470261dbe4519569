"""The book: verdict helpers on synthetic tables, eq. (2)-(3) gradients against autograd, and every page
executed under papermill on one small cached run, then built with zero Sphinx warnings.

The build (``book/build.py``) runs once per test session, into a temporary folder; ``test_browser.py``
reuses it (see :func:`build_small_book`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import torch

from paper_code import book
from paper_code.config import Config
from paper_code.results import load_results

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(n_tasks=3, epochs=1, train_size=2000, test_size=500, importance_samples=500)
STATUSES = {book.REPRODUCED, book.NOT_REPRODUCED, book.NOT_COMPUTED}

#: Plotly figures each executed page must hold.
FIGURES = {
    "methodology": 1,
    "s3_1_mas_fis": 6,
    "s3_2_mas_si": 2,
    "s3_3_mas_sig": 2,
    "s3_4_fis_si": 2,
    "s3_5_fis_sig": 2,
    "s3_6_si_sig": 2,
    "discussion": 0,
    "explore": 1,
    # The study pages read the committed study (study/grid), whatever the run parameters.
    "b1_choosing_lambda": 1,
    "b2_importance_matters": 7,  # the comparison bars and one mean accuracy matrix per regularizer (5 + none)
    "b3_seed_stability": 1,
    "b4_per_task": 2,
    # The analysis pages read the committed analysis of trained networks (study/analysis).
    "b5_pruning": 3,
    "b6_structure": 3,
}
STUDY_PAGES = {"b1_choosing_lambda", "b2_importance_matters", "b3_seed_stability", "b4_per_task"}
ANALYSIS_PAGES = {"b5_pruning", "b6_structure"}
#: Claims whose verdict each page states.
VERDICTS = {
    "s3_1_mas_fis": 4, "s3_2_mas_si": 1, "s3_3_mas_sig": 1, "s3_4_fis_si": 1, "s3_5_fis_sig": 1, "s3_6_si_sig": 1,
}


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
    base = tmp_path_factory.getbasetemp() / "small-book"
    marker = base / "build.json"
    results_dir, out = base / "results", base / "out"
    if not marker.is_file():
        base.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(out)]
        for name, value in small_parameters(results_dir).items():
            command += ["-p", name, str(value)]
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
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


# --------------------------------------------------------------------------- verdicts on synthetic tables
def table(pair: str, values: dict[tuple[int, int], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [dict(pair=pair, layer=l, task=t, pearson=v, spearman=v / 2) for (l, t), v in values.items()]
    )


def grid(value_of) -> dict[tuple[int, int], float]:
    return {(layer, task): value_of(layer, task) for layer in (1, 2, 3) for task in (1, 2, 3, 4)}


def test_min_above_uses_the_smallest_cell():
    high = table("mas_fis", grid(lambda l, t: 0.95 - 0.01 * l - 0.001 * t))
    verdict = book.min_above(high, "mas_fis", 0.8, "pearson")
    assert verdict.status == book.REPRODUCED and "0.92 > 0.8" in verdict.evidence
    values = grid(lambda l, t: 0.95)
    values[(3, 2)] = 0.79
    verdict = book.min_above(table("mas_fis", values), "mas_fis", 0.8, "pearson")
    assert verdict.status == book.NOT_REPRODUCED
    assert "0.79 (layer 3, after task 2) ≤ 0.8" in verdict.evidence
    # Spearman column of the same table is half the values: below 0.8 everywhere.
    assert book.min_above(high, "mas_fis", 0.8, "spearman").status == book.NOT_REPRODUCED
    assert book.min_above(high, "fis_si", 0.8, "pearson").status == book.NOT_COMPUTED


def test_higher_than_needs_higher_mean_and_most_cells():
    base = table("mas_fis", grid(lambda l, t: 0.8))
    better = table("fis_mas2", grid(lambda l, t: 0.85))
    verdict = book.higher_than(pd.concat([base, better]), "fis_mas2", "mas_fis", "pearson")
    assert verdict.status == book.REPRODUCED and "12 of 12" in verdict.evidence
    # Higher on average because of one cell, lower in the other eleven: not reproduced.
    values = grid(lambda l, t: 0.79)
    values[(1, 1)] = 0.99
    verdict = book.higher_than(pd.concat([base, table("fis_mas2", values)]), "fis_mas2", "mas_fis", "pearson")
    assert verdict.status == book.NOT_REPRODUCED and "1 of 12" in verdict.evidence


def test_input_high_output_negative():
    shape = {1: 0.6, 2: 0.2, 3: -0.2}
    verdict = book.input_high_output_negative(table("mas_sig", grid(lambda l, t: shape[l])), "mas_sig", "pearson")
    assert verdict.status == book.REPRODUCED and "after 4 of 4 tasks" in verdict.evidence
    values = grid(lambda l, t: shape[l])
    values[(3, 4)] = 0.05  # positive on the output layer after task 4
    verdict = book.input_high_output_negative(table("mas_sig", values), "mas_sig", "pearson")
    assert verdict.status == book.NOT_REPRODUCED and "after 3 of 4 tasks" in verdict.evidence
    low = grid(lambda l, t: {1: 0.3, 2: 0.1, 3: -0.2}[l])
    assert book.input_high_output_negative(table("mas_sig", low), "mas_sig", "pearson").status == book.NOT_REPRODUCED


def test_parameters_map_to_a_config_and_paths_to_the_repository():
    config = book.page_config(n_tasks=3, epochs=1, lam=10, reg="si", seed=2, train_size=2000, test_size=500,
                              importance_samples=500)
    assert config == Config(tasks=3, epochs=1, lam=10.0, reg="si", seed=2, train_size=2000, test_size=500,
                            importance_samples=500)
    assert book.page_config() == Config()
    assert book.resolve_results_dir("results") == ROOT / "results"
    assert book.resolve_results_dir("/tmp/x") == Path("/tmp/x")
    with pytest.raises(book.PaperCodeError, match="pearson"):
        book.check_correlation("kendall")


def test_labelled_output_gradients_match_autograd_per_sample():
    from paper_code.model import build_model

    torch.manual_seed(0)
    model = build_model(3).double()
    inputs = torch.rand(6, 784, dtype=torch.float64)
    labels = torch.tensor([0, 3, 5, 7, 9, 1])
    p, deltas, layer_inputs = book._labelled_output_gradients(model, inputs, labels)
    for k in range(6):
        model.zero_grad()
        probability = torch.softmax(model(inputs[k : k + 1]), -1)[0, labels[k]]
        probability.backward()
        assert probability.item() == pytest.approx(float(p[k]), rel=1e-12)
        for layer, (delta, a) in enumerate(zip(deltas, layer_inputs), start=1):
            expected = getattr(model, f"fc{layer}").weight.grad
            torch.testing.assert_close(torch.outer(delta[k], a[k]), expected, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- the small run, through the library
def test_explanation_check_sees_the_runs_networks(built):
    results = load_results(built.run)
    check = book.explanation_check(results)
    assert check.stored_mismatch < 1e-4
    assert list(check.p_summary["task"]) == [1, 2, 3]
    assert ((check.p_summary["mean"] > 0) & (check.p_summary["mean"] < 1)).all()
    assert len(check.p_last) == SMALL["importance_samples"]
    assert len(check.agreement) == 3 * 3 * len(book.COMPARISONS)
    assert check.agreement[["pearson", "spearman"]].abs().le(1).all().all()
    # The same numbers drive the verdict.
    verdict = book.check_claim(results, "3.1-premise", explanation=check)
    expected = book.REPRODUCED if (check.p_summary["mean"] >= book.P_CLOSE_TO_ONE).all() else book.NOT_REPRODUCED
    assert verdict.status == expected


def test_claims_table_covers_every_claim(built):
    results = load_results(built.run)
    claims = book.claims_table(results, "spearman")
    assert list(claims.columns) == ["section", "claim", "test", "Pearson", "Spearman", "evidence"]
    assert len(claims) == len(book.CLAIMS)
    assert set(claims["Pearson"]) | set(claims["Spearman"]) <= STATUSES
    # No sibling runs with other penalties exist next to the small run: the EWC comparison is not computed.
    ewc = claims[claims["claim"].str.startswith("Despite")].iloc[0]
    assert ewc["Pearson"] == book.NOT_COMPUTED and "--reg none" in ewc["evidence"]
    for claim, row in zip(book.CLAIMS, claims.itertuples(index=False)):
        assert book.check_claim(results, claim.id, "pearson").status == row.Pearson


# --------------------------------------------------------------------------- the executed notebooks
def test_build_succeeded_without_warnings(built):
    sphinx = built.log[built.log.index("jupyter-book build"):]
    assert "build succeeded" in sphinx
    # Sphinx prints each warning as "<location>: WARNING: <message>"; -W makes any of them fail the build.
    assert "WARNING:" not in sphinx and "ERROR:" not in sphinx


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
    if name in STUDY_PAGES:
        assert any(text.startswith("**Study shown:** `study/grid`") for text in markdown), "no provenance"
    elif name in ANALYSIS_PAGES:
        assert any(text.startswith("**Analysis shown:** `study/analysis/") for text in markdown), "no provenance"
    else:
        key = built.run.name
        assert any(key in text and "{download}`correlations.csv" in text for text in markdown), "no provenance"
    verdicts = [text for text in markdown if text.startswith("**Does this run reproduce the claim?**")]
    assert len(verdicts) == VERDICTS.get(name, 0)
    for text in verdicts:
        assert any(f"**{status}**" in text for status in STATUSES)
    # The parameters cell and the cell papermill injects are both hidden from the book.
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    assert any("parameters" in t and "remove-cell" in t for t in tags)
    injected = [t for t in tags if "injected-parameters" in t]
    assert all("remove-cell" in t for t in injected)
    # Study pages declare none of the run parameters this build passes, so papermill injects nothing there.
    assert len(injected) == (0 if name in STUDY_PAGES | ANALYSIS_PAGES else 1)
    assert notebook.metadata.kernelspec.name == "python3"


def test_explore_page_saved_its_widget_state(built):
    notebook = executed(built, "explore")
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    models = {model["model_name"] for model in state.values()}
    assert {"DropdownModel", "IntRangeSliderModel", "OutputModel", "VBoxModel"} <= models
    assert sum(model["model_name"] == "DropdownModel" for model in state.values()) == 3  # run, pair, coefficient
    views = [out for out in outputs(notebook) if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(views) == 1


def test_discussion_table_lists_every_claim(built):
    markdown = [out["data"]["text/markdown"] for out in outputs(executed(built, "discussion"))
                if "text/markdown" in out.get("data", {})]
    claims_text = next(text for text in markdown if text.startswith("| #"))
    assert claims_text.count("\n| ") == len(book.CLAIMS) + 1  # rule line + one row per claim
    assert any(text.startswith("On this run, with Pearson's coefficient") for text in markdown)


def test_html_pages_downloads_and_local_scripts(built):
    pages = sorted(p.stem for p in (built.html / "book").glob("*.html"))
    assert pages == sorted(list(FIGURES) + ["intro", "reproduce"])
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
        if page.stem in FIGURES and page.stem not in STUDY_PAGES | ANALYSIS_PAGES:  # provenance: the run's files, downloadable from the book itself
            assert re.search(r'href="\.\./_downloads/[0-9a-f]+/correlations\.csv"', text), page.name


def test_papermill_command_line_reruns_a_page(built, tmp_path):
    """`papermill book/<page>.ipynb out.ipynb -p ...`, as the README gives it: no -k, any working directory."""
    env = {k: v for k, v in os.environ.items() if k != book.BOOK_ENV}
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
