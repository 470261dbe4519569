"""The findings records of "What would it take?" (b7) and "Beyond permuted MNIST" (b8), on small hand-made tables
whose numbers are worked out by hand in the comments; and the committed records against the pages that own the
claims."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from paper_code.studies.beyond import PAPER, SettingRuns
from paper_code.studies.claims import CLAIMS_BY_ID, ClaimData
from paper_code.studies.findings import read_record
from paper_code.studies.findings.beyond import beyond_record
from paper_code.studies.findings.sensitivity import sensitivity_record, surface_numbers

ROOT = Path(__file__).resolve().parents[1]
T2 = stats.t.ppf(0.975, 2)  # Student's t, two degrees of freedom (three seeds): 4.303


# --------------------------------------------------------------------------- b7: one choice at a time
def rows(variant, key, from_task, values, paired=True):
    return [dict(variant=variant, key=key, seed=seed, from_task=from_task, value=value, paired=paired)
            for seed, value in enumerate(values)]


NUMBERS = pd.DataFrame(
    # MAS–FIS, each seed's lowest cell (paper: > 0.8), seeds 0-2.
    rows("default", "min_mas_fis", 1, [0.70, 0.72, 0.74])        # mean 0.72: misses
    + rows("default", "min_mas_fis", 2, [0.80, 0.82, 0.84])      # from task 2 on: mean 0.82
    + rows("all_rows", "min_mas_fis", 1, [0.82, 0.85, 0.85])     # mean 0.84: meets; Δ 0.12, 0.13, 0.11
    + rows("lambda=10", "min_mas_fis", 1, [0.70, 0.72, 0.74])    # task 1 is the default's
    + rows("lambda=10", "min_mas_fis", 2, [0.76, 0.78, 0.80])    # Δ from task 2: −0.04 on every seed
    + rows("optimizer_reset", "min_mas_fis", 1, [0.75, 0.76, 0.77], paired=False)
    + rows("optimizer_reset", "min_mas_fis", 2, [0.80, 0.81, 0.82], paired=False)
    + rows("mas_logits", "min_mas_fis", 1, [float("nan")] * 3)   # cannot be computed
    # MAS–SIG on layer 3, each seed's lowest task (paper: < 0).
    + rows("default", "mas_sig_layer3", 1, [-0.10, -0.12, -0.14])  # mean −0.12: meets
    + rows("default", "mas_sig_layer3", 2, [-0.10, -0.12, -0.14])
    + rows("all_rows", "mas_sig_layer3", 1, [-0.11, -0.13, -0.15])  # Δ −0.01 each: toward the paper
    + rows("lambda=10", "mas_sig_layer3", 1, [-0.10, -0.12, -0.14])
    + rows("lambda=10", "mas_sig_layer3", 2, [0.02, 0.00, -0.02])  # Δ +0.12 each; its mean over all tasks stays −0.12
    + rows("optimizer_reset", "mas_sig_layer3", 1, [-0.1, -0.1, -0.1], paired=False)
    + rows("optimizer_reset", "mas_sig_layer3", 2, [-0.1, -0.1, -0.1], paired=False)
    + rows("mas_logits", "mas_sig_layer3", 1, [0.40, 0.41, 0.42])  # mean 0.41: breaks; Δ 0.50, 0.53, 0.56
)


@pytest.fixture(scope="module")
def b7():
    return sensitivity_record(NUMBERS, 3.0, [0, 1, 2], surface={"min_mas_fis": 0.75, "mas_sig_layer3": -0.12})


def test_b7_values_and_changes_by_hand(b7):
    v = b7["variants"]
    default = v["default"]["numbers"]["min_mas_fis"]["value"]
    # 0.70, 0.72, 0.74: mean 0.72, standard deviation 0.02, half-width t(2) · 0.02 / √3 = 0.0497.
    assert default["mean"] == pytest.approx(0.72) and default["half"] == pytest.approx(T2 * 0.02 / 3 ** 0.5, rel=1e-3)
    assert default["seeds"] == 3 and v["default"]["numbers"]["min_mas_fis"]["meets"] is False
    rows_ = v["all_rows"]["numbers"]["min_mas_fis"]
    # 0.82, 0.85, 0.85: mean 0.84, its lowest seed 0.82; changes 0.12, 0.13, 0.11: mean 0.12, std 0.01.
    assert rows_["value"]["mean"] == pytest.approx(0.84) and rows_["low"] == pytest.approx(0.82) and rows_["meets"]
    assert rows_["change"]["mean"] == pytest.approx(0.12)
    assert rows_["change"]["half"] == pytest.approx(T2 * 0.01 / 3 ** 0.5, rel=1e-3)
    assert rows_["change"]["seeds"] == 3 and rows_["measurable"] and rows_["toward"]
    # λ = 10 acts from task 2: its change is read there (−0.04 on every seed, no spread), away from the paper.
    lam = v["lambda_10"]["numbers"]["min_mas_fis"]
    assert v["lambda_10"]["from_task"] == 2 and v["lambda_10"]["group"] == "trained"
    assert lam["change"]["mean"] == pytest.approx(-0.04) and lam["change"]["half"] == pytest.approx(0.0, abs=1e-12)
    assert lam["value"]["mean"] == pytest.approx(0.72) and lam["toward"] is False and not lam["unchanged"]
    # The Adam reset is not paired: its values are kept, its change is not.
    reset = v["optimizer_reset"]
    assert not reset["paired"] and reset["numbers"]["min_mas_fis"]["change"] is None
    assert reset["numbers"]["min_mas_fis"]["value"]["mean"] == pytest.approx(0.76)
    # MAS on logits cannot compute MAS–FIS here; on MAS–SIG it breaks the paper's sign: 0.41, Δ 0.53 ± t·0.03/√3.
    assert v["mas_logits"]["numbers"]["min_mas_fis"]["value"] is None
    logits = v["mas_logits"]["numbers"]["mas_sig_layer3"]
    assert logits["meets"] is False and logits["change"]["mean"] == pytest.approx(0.53)
    assert logits["change"]["half"] == pytest.approx(T2 * 0.03 / 3 ** 0.5, rel=1e-3)


def test_b7_verdicts_by_hand(b7):
    assert b7["variant_order"] == ["all_rows", "lambda_10", "optimizer_reset", "mas_logits"]
    assert b7["measured_variants"] == ["all_rows", "mas_logits"]
    assert b7["trained_variants"] == ["lambda_10", "optimizer_reset"] and b7["unpaired_variants"] == ["optimizer_reset"]
    fis = b7["numbers"]["min_mas_fis"]
    assert fis["met_under"] == ["all_rows"] and fis["furthest"] == "all_rows" and fis["closest"] == "all_rows"
    assert fis["not_computed_under"] == ["mas_logits"] and fis["surface"] == 0.75
    assert fis["statement"] == CLAIMS_BY_ID["3.1-mas-fis"].statement and fis["page"] == "s3_1"
    sig = b7["numbers"]["mas_sig_layer3"]
    # Met by the default; every variant keeps it but MAS on logits; λ = 10 keeps it on its mean over every task.
    assert sig["default_meets"] and sig["broken_under"] == ["mas_logits"]
    assert sig["met_under"] == ["all_rows", "lambda_10", "optimizer_reset"] and sig["furthest"] == "all_rows"
    assert (b7["met_by_default"], b7["reproduced"], b7["never_met"], b7["broken"]) == (
        ["mas_sig_layer3"], ["min_mas_fis"], [], ["mas_sig_layer3"])
    assert b7["counts"] == {"numbers": 2, "variants": 4, "met_by_default": 1, "reproduced": 1, "never_met": 0,
                            "broken": 1}


def test_each_seeds_lowest_cell_is_not_the_seed_mean_surfaces():
    """Seed 0's lowest MAS–FIS cell is (layer 1, task 1), seed 1's (layer 2, task 1): each 0.7, averaged 0.7. On
    the seed-mean surface both cells are (0.7 + 0.9) / 2 = 0.8, its lowest."""
    def table(seed, low_layer):
        return pd.DataFrame([dict(seed=seed, pair="mas_fis", layer=layer, task=task,
                                  pearson=0.7 if (layer, task) == (low_layer, 1) else 0.9, spearman=0.0)
                             for layer in (1, 2, 3) for task in (1, 2)])

    both = pd.concat([table(0, 1), table(1, 2)])
    assert surface_numbers(both)["min_mas_fis"] == pytest.approx(0.8)
    assert min(table(0, 1).pearson) == min(table(1, 2).pearson) == 0.7


# --------------------------------------------------------------------------- b8: other streams and networks
SIG = ("mas_sig", "fis_sig", "si_sig")


def correlations(changes: dict) -> pd.DataFrame:
    """Two seeds, two tasks, three layers. Seed 0 lies 0.01 above each cell's base value and seed 1 0.01 below, so
    every seed mean is the base value. Base: MAS–FIS and MAS–SI 0.9, FIS–SI 0.8, FIS–MAS² 0.05 above MAS–FIS; each
    SIG pair 0.5 then 0.3 on layer 1, 0.2 on layer 2, −0.1 on layer 3. ``changes``: (pair, layer, task) -> base."""
    out = []
    for seed, offset in ((0, 0.01), (1, -0.01)):
        for layer in (1, 2, 3):
            for task in (1, 2):
                base = {"mas_fis": 0.9, "mas_si": 0.9, "fis_si": 0.8}
                base.update({p: {1: 0.5 if task == 1 else 0.3, 2: 0.2, 3: -0.1}[layer] for p in SIG})
                base.update({p: v for (p, l, t), v in changes.items() if (l, t) == (layer, task)})
                base["fis_mas2"] = base["mas_fis"] + 0.05
                out += [dict(seed=seed, pair=p, layer=layer, task=task, pearson=v + offset, spearman=v + offset)
                        for p, v in base.items()]
    return pd.DataFrame(out)


def column(name, changes, accuracy=(0.90, 0.94)):
    data = ClaimData(correlations=correlations(changes), sources={0: "seed0", 1: "seed1"})
    return SettingRuns(name, f"{name} setting", 3.0, False, data, pd.Series(accuracy, index=[0, 1]), 4, 0.5, (0, 1))


#: The paper's configuration; rotated MNIST (a stream), where MAS–FIS drops to 0.7 on layer 1 and SIG stays at
#: 0.5 on layer 1 and turns positive (0.2, 0.25 on layer 3); ReLU (a network), where MAS–SI drops to 0.5 on layer 3.
COLUMNS = {
    PAPER: column(PAPER, {}),
    "rotated": column("rotated", {**{("mas_fis", 1, t): 0.7 for t in (1, 2)},
                                  **{(p, 1, 2): 0.5 for p in SIG}, **{(p, 3, t): 0.25 for p in SIG for t in (1, 2)}}),
    "relu": column("relu", {("mas_si", 3, t): 0.5 for t in (1, 2)}),
}


@pytest.fixture(scope="module")
def b8():
    return beyond_record(COLUMNS)


def test_b8_grades_keep_their_counts(b8):
    c = b8["claims"]
    # MAS–FIS above 0.8: 6 of 6 cells in the paper's configuration; 4 of 6 on rotated MNIST (layer 1 at 0.7, not far
    # off: its 95 % interval over two seeds, ± t(1) · 0.0141 / √2 = ± 0.127, reaches 0.8) → partly holds.
    assert [(c["3_1_mas_fis"]["grades"][n]["grade"], c["3_1_mas_fis"]["grades"][n]["held"],
             c["3_1_mas_fis"]["grades"][n]["judged"]) for n in (PAPER, "rotated", "relu")] == [
        ("holds", 6, 6), ("partly holds", 4, 6), ("holds", 6, 6)]
    assert c["3_1_mas_fis"]["grades"]["rotated"]["far_off"] == 0
    # Three agreeing pairs, 18 cells: all pass in the paper's; 16 of 18 (0.89 < 0.9) on rotated and with ReLU.
    agree = c["4_agree"]["grades"]
    assert [(agree[n]["grade"], agree[n]["held"], agree[n]["judged"]) for n in (PAPER, "rotated", "relu")] == [
        ("holds", 18, 18), ("partly holds", 16, 18), ("partly holds", 16, 18)]
    assert agree["rotated"]["share"] == pytest.approx(16 / 18)
    # SIG's input layer: 1 of 2 cells (0.5, then 0.3) on permuted streams → does not hold; 2 of 2 on rotated.
    assert c["3_3_mas_sig_input"]["grades"][PAPER]["grade"] == "does not hold"
    assert c["3_3_mas_sig_input"]["grades"]["rotated"]["grade"] == "holds"
    assert c["3_3_mas_sig_input"]["stronger"] == ["rotated"] and c["3_6_si_sig_output"]["weaker"] == ["rotated"]
    assert c["4_sig"]["grades"]["rotated"]["grade"] == "does not hold"


def test_b8_what_changes_with_what(b8):
    assert b8["carry"] == {
        "general": ["3_1_fis_mas2", "3_4_fis_si"],
        "stream": ["3_1_mas_fis", "3_3_mas_sig_input", "3_3_mas_sig_output", "3_5_fis_sig_input", "3_5_fis_sig_output",
                   "3_6_si_sig_input", "3_6_si_sig_output", "4_sig"],
        "network": ["3_2_mas_si"],
        "both": ["4_agree"],
    }
    assert b8["counts"] == {"claims": 12, "settings": 2, "general": 2, "stream": 8, "network": 1, "both": 1}
    assert b8["permuted"] == [PAPER, "relu"] and b8["streams"] == ["rotated"] and b8["networks"] == ["relu"]


def test_b8_input_layer_change_and_layer_reading(b8):
    # Layer 1 of each SIG pair: 0.5 → 0.3 on the permuted columns (each seed −0.2), 0.5 → 0.5 on rotated MNIST.
    change = b8["sig_input"][PAPER]["mas_sig"]["change"]
    assert change["mean"] == pytest.approx(-0.2) and change["half"] == pytest.approx(0.0, abs=1e-12)
    ranges = b8["sig_input_change"]
    assert ranges["permuted"]["low"] == pytest.approx(-0.2) and ranges["permuted"]["all_measurably_negative"]
    assert ranges["other"]["high"] == pytest.approx(0.0, abs=1e-12) and ranges["permuted"]["smallest_drop"] == pytest.approx(0.2)
    # After the last task: the three agreeing pairs above 0.75 on every layer but where a setting lowered one.
    reading = b8["layer_reading"]
    assert (reading[PAPER]["agree"], reading["rotated"]["agree"], reading["relu"]["agree"]) == ([1, 2, 3], [2, 3], [1, 2])
    assert reading[PAPER]["sig"]["mas_sig"]["negative"] == [3] and not reading["rotated"]["sig_negative_anywhere"]
    assert reading["rotated"]["sig_lowest"] == pytest.approx(0.2) and reading["rotated"]["sig"]["fis_sig"]["lowest_layer"] == 2
    assert b8["sig_output"]["rotated"]["last_low"] == pytest.approx(0.25) and b8["sig_output"][PAPER]["high"] == pytest.approx(-0.1)


def test_b8_accuracy_interval_is_students_t(b8):
    accuracy = b8["columns"][PAPER]["accuracy"]
    low, high = stats.t.interval(0.95, 1, loc=0.92, scale=stats.sem([0.90, 0.94]))
    assert accuracy["mean"] == pytest.approx(0.92) and accuracy["half"] == pytest.approx((high - low) / 2, rel=1e-3)
    assert b8["columns"]["rotated"]["chance"] == 0.1 and b8["columns"][PAPER]["lambda_seeds"] == [0, 1]


# --------------------------------------------------------------------------- the committed records
def test_the_paper_column_has_the_grades_of_the_section_pages():
    """The paper's column of Beyond is the paper's configuration read like a setting (without the noise bands the
    section pages grade with): its grade words are theirs."""
    beyond, discussion = read_record("b8"), read_record("discussion")
    for key, entry in beyond["claims"].items():
        assert entry["grades"][PAPER]["grade"] == discussion["table"][key]["grade"], key
        assert entry["statement"] == discussion["table"][key]["statement"]


def test_no_internal_claim_id_reaches_the_pages():
    """The pages name claims by what the paper says; their records key them, the reader never sees a key."""
    import re

    import nbformat

    for name in ("b7_sensitivity", "b8_beyond"):
        notebook = nbformat.read(ROOT / "book" / f"{name}.ipynb", as_version=4)
        prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        shown = re.sub(r"\{glue:text\}`[^`]*`", "", prose)
        assert not re.search(r"\b[34](\.\d)?-[a-z]", shown), name
    record = json.loads((ROOT / "study" / "findings" / "b8.json").read_text())
    assert all(not entry["statement"].startswith(("3.", "4-")) for entry in record["claims"].values())


def test_b7_says_where_a_lowest_cell_lies_before_lambda_acts(b7):
    """min_mas_fis: every default seed's lowest cell over all tasks (0.70, 0.72, 0.74) lies below its lowest from
    task 2 on (0.80, 0.82, 0.84), so it is task 1's, which λ cannot move. mas_sig_layer3 is the same from task 1
    and from task 2 (its lowest task is not task 1); a mean over tasks is not a lowest cell at all."""
    numbers = b7["numbers"]
    assert numbers["min_mas_fis"]["lowest_in_first_task"] is True
    assert numbers["mas_sig_layer3"]["lowest_in_first_task"] is False
    without_later = sensitivity_record(NUMBERS[NUMBERS.from_task == 1], 3.0, [0, 1, 2])
    assert without_later["numbers"]["min_mas_fis"]["lowest_in_first_task"] is None
