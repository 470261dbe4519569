"""Findings as data: the records the pages state, computed on hand-worked fixtures, written the book's way, held
current against the committed study, and the checks that hold the prose to them."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from paper_code.book.findings import FindingNoLongerHolds, PageFindings, flatten
from paper_code.book.numbers import interval, interval_decimals, seed_list
from paper_code.config import Config
from paper_code.studies import findings
from paper_code.studies.claims import ClaimData
from paper_code.studies.findings.record import differences, plain
from paper_code.studies.findings.sections import layer_ranges, section_record, squaring_gain

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- how the book writes a number
@pytest.mark.parametrize("mean, half, written", [
    (0.5210, 0.0583, "0.52 ± 0.06"),        # leading digit 5: one significant digit
    (-0.0056, 0.0024, "−0.0056 ± 0.0024"),  # leading digit 2: two
    (-0.0323, 0.0120, "−0.032 ± 0.012"),
    (0.0189, 0.0192, "0.019 ± 0.019"),
    (12.3, 4.0, "12 ± 4"),
])
def test_an_interval_keeps_the_digits_its_half_width_allows(mean, half, written):
    assert interval(mean, half) == written


def test_interval_variants():
    assert interval(0.931, 0.024, percent=True) == "93.1 ± 2.4 %"
    assert interval(0.93, 0.05, percent=True) == "93 ± 5 %"
    assert interval(0.02, 0.01, plus=True) == "+0.020 ± 0.010"
    assert interval(0.7106, None) == "0.71" and interval(0.7106, math.nan) == "0.71"
    assert interval_decimals(0.35) == 2 and interval_decimals(0.36) == 1


def test_seed_lists_are_written_as_ranges():
    assert seed_list([0, 1, 2, 3, 4]) == "0–4"
    assert seed_list([3, 0, 1]) == "0–1 and 3"
    assert seed_list([2]) == "2"
    assert seed_list([0, 2, 4]) == "0, 2 and 4"


def test_flatten_glues_every_value_and_the_written_forms():
    record = {"seeds": [0, 1, 2], "gain": {"mean": -0.0323, "half": 0.012, "seeds": 3}, "claim": {"grade": "holds"},
              "missing": None}
    flat = dict(flatten(record))
    assert flat["seeds"] == "0–2" and flat["seeds.0"] == 0
    assert flat["gain"] == "−0.032 ± 0.012" and flat["gain.mean"] == -0.0323
    assert flat["claim.grade"] == "holds" and flat["missing"] == "—"


def test_require_stops_a_study_page_and_flags_a_rerun(capsys):
    strict, rerun = PageFindings({"x": 1}, strict=True), PageFindings({"x": 1}, strict=False)
    strict.require(strict.x == 1, "x is one")
    rerun.require(rerun.x == 1, "x is one")
    assert capsys.readouterr().out == ""
    with pytest.raises(FindingNoLongerHolds, match="x is two"):
        strict.require(strict.x == 2, "x is two")
    rerun.require(rerun.x == 2, "x is two")
    rerun.require(rerun.x == 3, "x is three")  # each failing check shows its own note
    shown = capsys.readouterr().out
    assert shown.count(":::{warning}") == 2 and "it says x is two" in shown and "it says x is three" in shown


# --------------------------------------------------------------------------- records
def test_plain_rounds_floats_and_refuses_what_json_cannot_hold():
    assert plain({"a": (1, 2.123456789), "b": float("nan")}) == {"a": [1, 2.12346], "b": None}
    with pytest.raises(TypeError, match="JSON values"):
        plain({"a": object()})


def test_differences_name_the_key_that_moved():
    assert differences({"a": {"b": 0.5}}, {"a": {"b": 0.5000001}}) == []
    assert differences({"a": {"b": 0.5}}, {"a": {"b": 0.6}}) == ["a.b: committed 0.5, recomputed 0.6"]
    assert differences({"a": 1}, {"b": 1}) == ["a: missing from the recomputed record", "b: new in the recomputed record"]


def rows(pair: str, values: dict[tuple[int, int, int], float]) -> list[dict]:
    """Correlation rows from {(seed, layer, task): value}."""
    return [dict(pair=pair, seed=s, layer=l, task=t, pearson=v, spearman=v) for (s, l, t), v in values.items()]


def test_squaring_gain_is_averaged_seed_by_seed():
    # Two seeds, one layer, two tasks. FIS–MAS² minus FIS–MAS: seed 0: +0.02 (task 1), −0.04 (task 2); seed 1:
    # 0.00, −0.06. Each seed's mean over its cells: −0.01 and −0.03, so the mean is −0.02 with a 95 % half-width of
    # 12.706 · sd(−0.01, −0.03) / √2 = 12.706 · 0.01414 / 1.414 = 0.127.
    mas_fis = rows("mas_fis", {(0, 1, 1): 0.80, (0, 1, 2): 0.85, (1, 1, 1): 0.80, (1, 1, 2): 0.86})
    fis_mas2 = rows("fis_mas2", {(0, 1, 1): 0.82, (0, 1, 2): 0.81, (1, 1, 1): 0.80, (1, 1, 2): 0.80})
    gain = squaring_gain(pd.DataFrame(mas_fis + fis_mas2))
    assert gain["all_cells"]["mean"] == pytest.approx(-0.02)
    assert gain["all_cells"]["half"] == pytest.approx(12.706 * 0.02 / math.sqrt(2) / math.sqrt(2))
    assert gain["after_first"]["mean"] == pytest.approx(0.01) and gain["after_last"]["mean"] == pytest.approx(-0.05)
    assert (gain["first_task"], gain["last_task"]) == (1, 2)


def test_layer_ranges_follow_the_seed_means():
    table = pd.DataFrame(rows("mas_sig", {(0, 1, 1): 0.6, (1, 1, 1): 0.4, (0, 1, 2): 0.2, (1, 1, 2): 0.2,
                                          (0, 1, 3): 0.3, (1, 1, 3): 0.3}))
    # Seed means of layer 1: 0.5, 0.2, 0.3.
    assert layer_ranges(table, "mas_sig") == {"1": {"first": 0.5, "last": 0.3, "low": 0.2, "high": 0.5,
                                                    "lowest_after": 2, "highest_after": 1}}


def test_a_section_record_states_its_claims_seeds_and_configuration():
    values = {(s, l, t): 0.9 - 0.01 * s for s in (0, 1) for l in (1, 2, 3) for t in (1, 2)}
    values[(0, 2, 1)] = values[(1, 2, 1)] = 0.7  # one cell clearly under 0.8
    data = ClaimData(pd.DataFrame(rows("mas_si", values)))
    record = section_record("s3_2", data, Config(seed=1, lam=5.0), committed=False)
    assert (record["seeds"], record["shown_seed"], record["lam"], record["tasks"], record["layers"]) == ([0, 1], 1, 5.0, 2, 3)
    claim = record["claims"]["mas_si"]
    assert (claim["grade"], claim["held"], claim["judged"], claim["misses"][0]["cell"]) == (
        "partly holds", 5, 6, "layer 2, after task 1")
    assert claim["spearman"]["grade"] == "partly holds"
    json.dumps(plain(record))  # every value a JSON value


# --------------------------------------------------------------------------- the committed records
def test_every_committed_record_is_current():
    """The records in study/findings are what the committed study gives now: `python -m paper_code findings`
    rewrites them when the study or a rule changes."""
    assert findings.stale() == {}


def test_the_command_checks_and_names_a_stale_record(tmp_path):
    command = [sys.executable, "-m", "paper_code", "findings", "--check"]
    current = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert current.returncode == 0 and "every findings record is current" in current.stdout
    assert set(findings.compute_all()) == {path.stem for path in (ROOT / "study" / "findings").glob("*.json")}
    moved = findings.read_record("s3_2")
    moved["claims"]["mas_si"]["held"] += 1
    findings.write_record("s3_2", moved, tmp_path)
    assert findings.stale(root=tmp_path)["s3_2"][0].startswith("claims.mas_si.held: committed")


# --------------------------------------------------------------------------- the statistics the records use
def test_t_test_p_values_match_scipy():
    from scipy import stats

    from paper_code.analysis.spread import paired_p_value, t_two_sided_p

    for t, df in [(0.5, 1), (2.1, 4), (10.0, 4), (-3.3, 7), (1.0, 30), (0.0, 3), (50.0, 2)]:
        assert t_two_sided_p(t, df) == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9, abs=1e-15)
    differences = [-0.004, -0.007, -0.006, -0.003, -0.008]
    assert paired_p_value(differences) == pytest.approx(stats.ttest_1samp(differences, 0.0).pvalue, rel=1e-9)
    assert math.isnan(paired_p_value([0.1])) and math.isnan(paired_p_value([0.2, 0.2]))


def test_holm_by_hand():
    from paper_code.analysis.spread import holm

    # Sorted: 0.005 × 4 = 0.02; 0.01 × 3 = 0.03; 0.03 × 2 = 0.06; 0.04 × 1 = 0.04, raised to 0.06 to stay monotone.
    adjusted = holm([0.01, 0.04, 0.03, float("nan"), 0.005])
    assert list(adjusted[[0, 1, 2, 4]]) == pytest.approx([0.03, 0.06, 0.06, 0.02]) and math.isnan(adjusted[3])
    assert list(holm([0.6, 0.9])) == pytest.approx([1.0, 1.0])  # capped at 1


def test_a_page_glues_what_its_prose_names_with_each_statistics_label(tmp_path):
    from paper_code.book.findings import glued_names, names_with_labels

    notebook = {"cells": [
        {"cell_type": "markdown", "source": ["MAS {glue:text}`r.mas.accuracy` and {glue:text}`r.mas.gain.mean:.3f`, ",
                                             "seeds {glue:text}`seeds`."]},
        {"cell_type": "code", "source": ["{glue:text}`not.prose`"]}]}
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps(notebook))
    assert glued_names(path) == {"r.mas.accuracy", "r.mas.gain.mean", "seeds"}
    values = dict(flatten({"seeds": [0, 1], "r": {"mas": {
        "accuracy": {"mean": 0.95, "half": 0.01, "label": "accuracy | mas"},
        "gain": {"mean": 0.48, "half": 0.02, "label": "gain | mas"}, "lam": 3.0}}}))
    # Each value with its statistic's label (and the statistic's written form, which a check reads beside it).
    assert names_with_labels(glued_names(path), values) == {
        "r.mas.accuracy", "r.mas.accuracy.label", "r.mas.gain.mean", "r.mas.gain", "r.mas.gain.label", "seeds"}


def test_a_page_reads_another_study_record_beside_its_own():
    """The theory page sets the held-out study's Fishers beside its own slopes: the other record is nested whole
    under the name the page gives it, read from the same committed study, and the page's own keys stay on top."""
    record, strict = findings.page_record("b9", beside={"held_out": "b2"})
    own = findings.read_record("b9")
    assert strict
    assert record["held_out"] == findings.read_record("b2")
    assert {k: v for k, v in record.items() if k != "held_out"} == own
    with pytest.raises(FileNotFoundError, match="b99.json is missing: run `python -m paper_code findings`"):
        findings.page_record("b9", beside={"held_out": "b99"})
