"""The kernel-free explorer of the explore page: its embedded tables are the trials' CSV files, its run is chosen
with one menu per level (part of the study, importance, λ, seed), and its plotly menus and sliders redraw the
surface in Chromium from a file:// page, with no kernel and no network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import require_program
from paper_code.results import load_results
from paper_code.figures.explorer import DECIMALS, PAGE_RUN, PAPER_SETUP, level_options, menu_starts, static_explorer
from paper_code.studies.grid import load_study

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "study" / "grid"


def reference_run():
    return load_results(next(p for p in (ROOT / "study" / "reference" / "trials").iterdir() if p.is_dir()))


def csv_grid(folder: Path, pair: str, kind: str, tasks: tuple[int, int] | None = None) -> np.ndarray:
    table = pd.read_csv(folder / "correlations.csv")
    rows = table[table["pair"] == pair]
    if tasks is not None:
        rows = rows[rows["task"].between(*tasks)]
    return rows.pivot(index="task", columns="layer", values=kind).sort_index().to_numpy()


@pytest.fixture(scope="module")
def explorer():
    return static_explorer(reference_run(), load_study(GRID))


def test_run_menus_and_tables_cover_the_page_run_and_every_trial(explorer):
    sweep = pd.read_csv(GRID / "sweep.csv")
    runs = explorer.data["runs"]
    assert len(runs) == 1 + len(sweep)
    assert runs[0]["label"].startswith("this page's run, computed on this machine: 2 tasks")
    assert runs[0]["levels"] == [PAGE_RUN, "EWC-MAS", "λ = 3", "seed 0"]
    # One menu per level of the run, each showing what the levels above hold: the page's run is alone in its part.
    menus = [[button.label for button in menu.buttons] for menu in explorer.figure.layout.updatemenus]
    assert menus[:4] == [[PAGE_RUN, PAPER_SETUP], ["EWC-MAS"], ["λ = 3"], ["seed 0"]]
    assert [len(menu) for menu in menus[4:]] == [7, 2]
    # Every trial has one place in the menus, and each menu stays short (one long list of 128 runs overflowed).
    assert len({tuple(run["levels"]) for run in runs}) == len(runs)
    paper = [run for run in runs if run["levels"][0] == PAPER_SETUP]
    assert len(paper) == len(sweep)
    assert {run["levels"][1] for run in paper} == {"EWC-FIS", "EWC-true Fisher", "EWC-MAS", "EWC-SI", "EWC-SIG",
                                                   "fine-tuning"}
    assert max(len({tuple(run["levels"][:3]) for run in paper if run["levels"][1] == reg}) for reg in
               {run["levels"][1] for run in paper}) == 4  # four λ per importance
    names = {"fis": "FIS", "fis_true": "true Fisher", "mas": "MAS", "si": "SI", "sig": "SIG"}
    expected = {f"study: fine-tuning (no penalty), seed {row.seed}" if row.reg == "none"
                else f"study: EWC-{names[row.reg]}, λ = {row.lam:g}, seed {row.seed}" for row in sweep.itertuples()}
    assert {run["label"] for run in runs[1:]} == expected
    # A trial's tables, for every pair and coefficient, are its CSV rounded to DECIMALS.
    by_label = {run["label"]: run for run in runs}
    trial = sweep[(sweep.reg == "si") & (sweep.lam == 1.0) & (sweep.seed == 0)].iloc[0]
    run = by_label["study: EWC-SI, λ = 1, seed 0"]
    for pair in explorer.data["pairs"]:
        for kind in ("pearson", "spearman"):
            expected = np.round(csv_grid(GRID / trial.trial_dir, pair, kind), DECIMALS)
            np.testing.assert_array_equal(np.array(run["values"][pair][kind], dtype=float), expected)


def test_a_page_showing_a_study_trial_lists_it_once():
    from paper_code.config import Config

    sweep = pd.read_csv(GRID / "sweep.csv")
    shown = load_results(GRID / "trials" / Config().key)
    explorer = static_explorer(shown, load_study(GRID))
    runs = explorer.data["runs"]
    assert len(runs) == len(sweep)
    assert runs[0]["label"] == "study: EWC-MAS, λ = 3, seed 0 (the run the book shows)"
    assert sum("λ = 3, seed 0" in run["label"] and "MAS" in run["label"] for run in runs) == 1
    # It opens on that trial, in its place in the menus: the importances and λ in the study's order.
    menus = explorer.figure.layout.updatemenus
    assert [menu.buttons[menu.active].label for menu in menus[:4]] == [PAPER_SETUP, "EWC-MAS", "λ = 3", "seed 0"]
    assert [button.label for button in menus[2].buttons] == ["λ = 1", "λ = 3", "λ = 10", "λ = 30"]


def test_each_menu_offers_what_the_levels_above_it_hold():
    from paper_code.figures.explorer import ExplorerRun

    def run(*levels: str, rank: int) -> ExplorerRun:
        return ExplorerRun("x", pd.DataFrame(), levels, rank)

    runs = [run("b", "EWC-MAS", "λ = 3", "seed 0", rank=2), run("a", "EWC-MAS", "λ = 1", "seed 0", rank=0),
            run("a", "EWC-SI", "λ = 1", "seed 1", rank=1), run("b", "EWC-MAS", "λ = 1", "seed 1", rank=3)]
    assert level_options(runs, 0, []) == ["a", "b"]  # in rank order, not in list order
    assert level_options(runs, 1, ["a"]) == ["EWC-MAS", "EWC-SI"]
    assert level_options(runs, 2, ["b", "EWC-MAS"]) == ["λ = 3", "λ = 1"]
    assert level_options(runs, 3, ["a", "EWC-SI", "λ = 1"]) == ["seed 1"]
    # Each menu starts after the widest the one before it can be (6.5 px a character, 40 px of padding and arrow,
    # a gap of 12 px), as a share of a 580 px plot: "abcd" → 78 px, "xy" → 65 px.
    assert menu_starts([["a", "abcd"], ["xy"], ["z"]], width=580) == [0.0, round(78 / 580, 3), round(143 / 580, 3)]


def test_first_state_is_the_page_run(explorer):
    surface = explorer.figure.data[0]
    folder = next(p for p in (ROOT / "study" / "reference" / "trials").iterdir() if p.is_dir())
    np.testing.assert_array_equal(surface.z, csv_grid(folder, "mas_fis", "pearson"))
    assert list(surface.y) == [1, 2]


SHOWN = """() => { const gd = document.querySelector('.js-plotly-plot'), trace = gd._fullData[0];
  return {title: gd.layout.title.text, y: Array.from(trace.y), z: trace.z.map(row => Array.from(row)),
          cmin: trace.cmin, cmax: trace.cmax}; }"""
MENUS = """() => document.querySelector('.js-plotly-plot').layout.updatemenus.map(m => m.buttons.map(b => b.label))"""


@pytest.mark.browser
def test_controls_redraw_the_figure_without_a_kernel(explorer, tmp_path):
    import plotly
    from test_browser import CHROMIUM, Browser

    require_program("chromium", CHROMIUM.is_file())
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page_file = tmp_path / "explorer.html"
    page_file.write_text(f'<html><head><meta charset="utf-8"><script src="{plotly_js.as_uri()}"></script></head>'
                         f'<body><div style="width:800px">{explorer.to_html()}</div></body></html>')
    sweep = pd.read_csv(GRID / "sweep.csv")
    browser = Browser(tmp_path)
    page = browser.page
    try:
        browser.open(page_file.as_uri(), settle_ms=1500)
        first = page.evaluate(SHOWN)
        assert first["y"] == [1, 2] and "this page's run" in first["title"]

        # The run menus, level by level: the paper's setup keeps the choices below that it holds too (EWC-MAS,
        # λ = 3, seed 0); then EWC-FIS, whose grid has λ = 3 as well; then seed 1.
        page.locator(".updatemenu-header-group").nth(0).click()
        page.locator(".updatemenu-dropdown-button", has_text=PAPER_SETUP).click()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.title.text"
                               ".includes('study: EWC-MAS, λ = 3, seed 0')")
        labels = page.evaluate(MENUS)
        assert labels[0] == [PAGE_RUN, PAPER_SETUP] and labels[1][0] == "EWC-FIS" and "fine-tuning" in labels[1]
        page.locator(".updatemenu-header-group").nth(1).click()
        page.locator(".updatemenu-dropdown-button", has_text="EWC-FIS").click()
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.title.text.includes('EWC-FIS')")
        assert page.evaluate(MENUS)[2] == ["λ = 3", "λ = 10", "λ = 30", "λ = 100"]
        page.locator(".updatemenu-header-group").nth(3).click()
        page.locator(".updatemenu-dropdown-button", has_text="seed 1").click()
        trial = sweep[(sweep.reg == "fis") & (sweep.lam == 3.0) & (sweep.seed == 1)].iloc[0]
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.title.text.includes('seed 1')")
        shown = page.evaluate(SHOWN)
        assert f"EWC-FIS, λ = {trial.lam:g}, seed 1" in shown["title"] and shown["y"] == list(range(1, 11))
        np.testing.assert_array_equal(np.array(shown["z"]),
                                      np.round(csv_grid(GRID / trial.trial_dir, "mas_fis", "pearson"), DECIMALS))
        # The colours span the values shown.
        assert shown["cmin"] <= np.nanmin(shown["z"]) and shown["cmax"] >= np.nanmax(shown["z"])
        assert shown["cmax"] - shown["cmin"] < 1

        # Pair, coefficient, then the task range with both sliders (labels 3 and 8).
        page.locator(".updatemenu-header-group").nth(4).click()
        page.locator(".updatemenu-dropdown-button", has_text="FIS–SIG").click()
        page.locator(".updatemenu-button", has_text="Spearman").click()
        for slider, label in ((0, 2), (1, 7)):
            box = page.locator(".slider-group").nth(slider).locator(".slider-label-group text").nth(label).bounding_box()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').layout.title.text.includes('3–8')")
        shown = page.evaluate(SHOWN)
        assert shown["title"].startswith("FIS–SIG (Spearman ρ), tasks 3–8") and shown["y"] == [3, 4, 5, 6, 7, 8]
        np.testing.assert_array_equal(np.array(shown["z"]),
                                      np.round(csv_grid(GRID / trial.trial_dir, "fis_sig", "spearman", (3, 8)),
                                               DECIMALS))
        assert not browser.errors, browser.errors
    finally:
        outside = browser.close()
    assert outside == []
