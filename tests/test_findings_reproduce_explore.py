"""Two pages' fixes: the explorer's task sliders follow the run chosen (split MNIST learns five tasks, the paper's
stream ten), and the record of "Reproduce this" measures how often the rounding band holds a run it was not
measured on (the held-out coverage), on a noise study small enough to work out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import require_program
from paper_code.figures.explorer import (FROM_SLIDER, TO_SLIDER, ExplorerRun, explorer_figure, kept_task_range,
                                         task_steps)
from paper_code.studies.findings.noise import held_out_coverage
from paper_code.studies.noise import DIFFERENCE_BAND, NoiseMembers

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the explorer's task sliders
def test_a_slider_offers_the_tasks_of_its_run():
    assert [step["label"] for step in task_steps([1, 2, 3, 4, 5])] == ["1", "2", "3", "4", "5"]
    assert all(step["method"] == "skip" for step in task_steps(range(1, 11)))


def test_every_task_of_one_run_becomes_every_task_of_the_next():
    ten, five = list(range(1, 11)), list(range(1, 6))
    assert kept_task_range(ten, 1, 10, five) == (0, 4)
    assert kept_task_range(five, 1, 5, ten) == (0, 9)  # not 1-5 of ten: the range showed every task
    assert kept_task_range(ten, 10, 1, five) == (0, 4)  # the sliders crossed: still every task


def test_a_narrowed_range_is_kept_while_the_run_holds_it():
    ten, five = list(range(1, 11)), list(range(1, 6))
    assert kept_task_range(ten, 2, 4, five) == (1, 3)
    assert kept_task_range(ten, 4, 2, five) == (3, 1)  # each slider keeps its own task
    assert kept_task_range(five, 2, 4, ten) == (1, 3)
    assert kept_task_range(ten, 3, 8, five) == (0, 4)  # task 8 is not in a five-task run: every task
    with pytest.raises(ValueError):
        kept_task_range(ten, 1, 10, [])


def _run(label: str, tasks: int, part: str) -> ExplorerRun:
    rows = [dict(pair="mas_fis", layer=layer, task=task, pearson=0.1 * layer + 0.01 * task,
                 spearman=0.1 * layer) for layer in (1, 2, 3) for task in range(1, tasks + 1)]
    return ExplorerRun(label, pd.DataFrame(rows), (part, "EWC-MAS", "λ = 3", "seed 0"))


@pytest.mark.parametrize("first, tasks", [(5, 5), (10, 10)])
def test_the_figure_opens_with_the_first_runs_tasks(first, tasks):
    runs = [_run("first", first, "a"), _run("other", 15 - first, "b")]
    sliders = explorer_figure(runs, ["mas_fis"]).layout.sliders
    for slider, active in ((FROM_SLIDER, 0), (TO_SLIDER, tasks - 1)):
        assert [step.label for step in sliders[slider].steps] == [str(t) for t in range(1, tasks + 1)]
        assert sliders[slider].active == active


SLIDERS = """() => document.querySelector('.js-plotly-plot').layout.sliders.map(
  s => ({labels: s.steps.map(step => step.label), active: s.active}))"""
TITLE = "() => document.querySelector('.js-plotly-plot').layout.title.text"


@pytest.mark.browser
def test_the_sliders_follow_a_five_task_run_in_the_browser(tmp_path):
    """The explore page's figure: choosing split MNIST (five tasks) rewrites both sliders to five tasks, and the
    paper's setup again to ten."""
    import plotly
    from test_browser import CHROMIUM, Browser

    from paper_code.config import Config
    from paper_code.figures.explorer import static_explorer
    from paper_code.results import load_results
    from paper_code.studies.beyond import load_settings
    from paper_code.studies.grid import load_study

    require_program("chromium", CHROMIUM.is_file())
    grid = load_study(ROOT / "study" / "grid")
    explorer = static_explorer(load_results(ROOT / "study" / "grid" / "trials" / Config().key), grid,
                               more=[load_settings(ROOT / "study" / "beyond")["split"]])
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page_file = tmp_path / "explorer.html"
    page_file.write_text(f'<html><head><meta charset="utf-8"><script src="{plotly_js.as_uri()}"></script></head>'
                         f'<body><div style="width:800px">{explorer.to_html()}</div></body></html>')
    browser = Browser(tmp_path)
    page = browser.page
    try:
        browser.open(page_file.as_uri(), settle_ms=1500)
        ten = [str(t) for t in range(1, 11)]
        assert page.evaluate(SLIDERS) == [{"labels": ten, "active": 0}, {"labels": ten, "active": 9}]
        page.locator(".updatemenu-header-group").nth(0).click()
        page.locator(".updatemenu-dropdown-button", has_text="split MNIST").click()
        page.wait_for_function(f"() => ({TITLE})().includes('split MNIST')")
        five = [str(t) for t in range(1, 6)]
        assert page.evaluate(SLIDERS) == [{"labels": five, "active": 0}, {"labels": five, "active": 4}]
        assert "tasks 1–5" in page.evaluate(TITLE)
        # The slider's own labels, drawn: five of them.
        assert page.locator(".slider-group").nth(TO_SLIDER).locator(".slider-label-group text").count() == 5
        # Back to the paper's setup: every one of its ten tasks.
        page.locator(".updatemenu-header-group").nth(0).click()
        page.locator(".updatemenu-dropdown-button", has_text="paper's setup").click()
        page.wait_for_function(f"() => !({TITLE})().includes('split MNIST')")
        assert page.evaluate(SLIDERS) == [{"labels": ten, "active": 0}, {"labels": ten, "active": 9}]
        assert "tasks 1–10" in page.evaluate(TITLE)
        assert not browser.errors, browser.errors
    finally:
        browser.close()


# --------------------------------------------------------------------------- the rounding band's coverage
# One pair, one layer, two cells (tasks 1 and 2), one seed, three members a, b, c (c on another machine):
#   task 1: a 0.50, b 0.52, c 0.60; task 2: a 0.70, b 0.70, c 0.70.
# Held out in turn, each member is compared with the two others, against DIFFERENCE_BAND × the σ of the two others:
#   task 1 — a out: σ(b, c) = 0.056569, band 0.16: |a − b| 0.02 in, |a − c| 0.10 in;
#            b out: σ(a, c) = 0.070711, band 0.2: 0.02 in, 0.08 in;
#            c out: σ(a, b) = 0.014142, band 0.04: |c − a| 0.10 out, |c − b| 0.08 out.
#   task 2 — every σ is 0 and every difference 0: in (a difference no larger than a band of 0).
#   All: 10 of 12 comparisons within. With c held out: 2 of 4.


def _members() -> NoiseMembers:
    values = {"a": (0.50, 0.70), "b": (0.52, 0.70), "c": (0.60, 0.70)}
    rows = [dict(pair="mas_fis", layer=1, task=task, pearson=v, spearman=v, seed=0, member=member)
            for member, pair in values.items() for task, v in zip((1, 2), pair)]
    table = pd.DataFrame({"seed": [0, 0, 0], "member": ["a", "b", "c"], "same_as": ["", "", ""]})
    accuracy = pd.DataFrame({"seed": [0, 0, 0], "member": ["a", "b", "c"], "final_accuracy": [0.9, 0.9, 0.9]})
    return NoiseMembers(table, pd.DataFrame(rows), accuracy)


def test_the_held_out_coverage_worked_by_hand():
    coverage = held_out_coverage(_members(), "pearson", other_machine="c")
    assert coverage["band"] == pytest.approx(DIFFERENCE_BAND) and coverage["nominal"] == 0.95
    assert coverage["held_out"] == pytest.approx(10 / 12)
    assert coverage["other_machine"] == pytest.approx(2 / 4)
    assert coverage["comparisons"] == 12


def test_without_a_member_from_another_machine_there_is_no_such_share():
    coverage = held_out_coverage(_members(), "pearson", other_machine="z")
    assert coverage["other_machine"] is None and coverage["held_out"] == pytest.approx(10 / 12)


def test_the_committed_record_holds_the_coverage():
    import json

    record = json.loads((ROOT / "study" / "findings" / "reproduce.json").read_text())
    coverage = record["coverage"]
    assert 0 < coverage["held_out"] < coverage["nominal"] and 0 < coverage["other_machine"] < coverage["nominal"]
