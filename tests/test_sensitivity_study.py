"""The committed sensitivity study: each variant changes one choice, its files are complete, the key numbers
are those of the committed tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paper_code.analysis.explanation import read_explanation
from paper_code.analysis.variants import VARIANTS, read_variant_correlations
from paper_code.studies.sensitivity import (
    KEY_NUMBERS_FILE,
    RESET_DIR,
    SI_TASK_DIR,
    VARIANT_SEEDS,
    default_runs,
    key_number_table,
    paired_seeds,
    read_key_numbers,
    summary,
    variant_tables,
)
from paper_code.studies.grid import DEFAULT_REG, load_study

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def defaults():
    return default_runs(ROOT)


def test_trained_variants_change_one_choice_each(defaults):
    base = {r.config.seed: r for r in defaults}
    lam = defaults[0].config.lam
    for folder, change in ((SI_TASK_DIR, {"si_grad": "task"}), (RESET_DIR, {"optimizer_state": "reset"})):
        runs = load_study(ROOT / folder).results(DEFAULT_REG, lam)
        assert {r.config.seed for r in runs} >= set(VARIANT_SEEDS), folder
        for run in runs:
            assert run.config == base[run.config.seed].config.replace(**change), (folder, run.path)


def test_variants_with_runs_of_their_own_pair_only_where_task_one_trained_alike(defaults):
    """si_task and the λ grid trained exactly like the default through task 1 (same code, same machine); the
    optimizer-reset trials did not (their first epoch's loss differs), so their changes are not paired."""
    paired = paired_seeds(ROOT)
    assert paired["si_task"] == {0, 1, 2} and all(paired[f"lambda={lam:g}"] == {0, 1, 2} for lam in (1, 10, 30))
    assert paired["optimizer_reset"] == set()
    base = {r.config.seed: r for r in defaults}
    reset = load_study(ROOT / RESET_DIR).results(DEFAULT_REG, defaults[0].config.lam)[0]
    first = [r.training.query("task == 1 and epoch == 1").task_loss.iloc[0] for r in (reset, base[reset.config.seed])]
    assert first[0] != first[1]
    frame = summary(read_key_numbers(ROOT / KEY_NUMBERS_FILE))
    assert frame[frame.variant == "optimizer_reset"].unpaired.all() and frame[frame.variant == "optimizer_reset"].change.isna().all()
    assert not frame[frame.variant == "si_task"].unpaired.any()


def test_si_gradient_leaves_training_untouched(defaults):
    """SI only observes training: with its other gradient the networks, and every pair without SI, are the same."""
    base = {r.config.seed: r for r in defaults}
    for run in load_study(ROOT / SI_TASK_DIR).results(DEFAULT_REG, defaults[0].config.lam):
        reference = base[run.config.seed]
        pd.testing.assert_frame_equal(run.accuracy, reference.accuracy)
        without_si = ~run.correlations.pair.str.contains("si_") & ~run.correlations.pair.str.endswith("_si")
        pd.testing.assert_frame_equal(run.correlations[without_si], reference.correlations[without_si])
        assert not run.correlations.query("pair == 'mas_si'").pearson.equals(
            reference.correlations.query("pair == 'mas_si'").pearson)


def test_every_default_seed_has_its_variants_and_its_eq_check(defaults):
    assert len(defaults) >= 3
    for run in defaults:
        variants = read_variant_correlations(run.path)
        assert variants is not None, run.path
        assert set(variants.variant) == set(VARIANTS)
        assert variants.groupby("variant").task.max().eq(run.config.tasks).all()
        check = read_explanation(run.path)
        assert check is not None and list(check[0].task) == list(range(1, run.config.tasks + 1)), run.path


def test_key_numbers_file_is_that_of_the_committed_tables():
    committed = read_key_numbers(ROOT / KEY_NUMBERS_FILE)
    recomputed = key_number_table(variant_tables(ROOT), paired_seeds(ROOT))
    merged = committed.merge(recomputed, on=["variant", "key", "seed", "from_task"], suffixes=("", "_now"), how="outer")
    assert len(merged) == len(committed) == len(recomputed)
    assert (merged.value - merged.value_now).abs().max() < 1e-12
    assert (merged.paired == merged.paired_now).all()
    seeds = committed.groupby("variant").seed.nunique()
    assert (seeds >= 3).all(), seeds[seeds < 3]


def test_the_committed_record_is_that_of_the_committed_key_numbers():
    """study/findings/b7.json states what study/sensitivity/key_numbers.csv and study/grid give today."""
    from paper_code.studies.findings import read_record
    from paper_code.studies.findings.record import differences, plain
    from paper_code.studies.findings.sensitivity import sensitivity_records

    assert differences(read_record("b7"), plain(sensitivity_records(ROOT / "study")["b7"])) == []


def test_each_key_number_names_the_claim_it_is_the_number_of():
    """A key number is quoted with its claim's statement and a link to the page that owns the claim; the SIG pairs'
    layer-1 numbers belong to their input-layer claims, the layer-3 numbers to their output-layer claims."""
    from paper_code.studies.claims import CLAIMS_BY_ID
    from paper_code.studies.findings import read_record
    from paper_code.studies.findings.sensitivity import KEY_CLAIMS
    from paper_code.studies.sensitivity import KEY_NUMBERS

    record = read_record("b7")
    assert set(KEY_CLAIMS) == {n.key for n in KEY_NUMBERS} == set(record["numbers"])
    for number in KEY_NUMBERS:
        claim = CLAIMS_BY_ID[KEY_CLAIMS[number.key]]
        assert claim.section == number.claim and record["numbers"][number.key]["statement"] == claim.statement
        if number.key.endswith("_layer1"):
            assert claim.id.endswith("-input")
        if number.key.endswith("_layer3"):
            assert claim.id.endswith("-output")


def test_the_tables_mark_what_the_record_says():
    """Each cell of the page's two tables carries ✓ exactly where the record says the variant meets the paper, and
    "–" where it cannot compute the number; every variant is in one of the two tables."""
    from paper_code.book.variations import key_numbers_table
    from paper_code.studies.findings import read_record

    record = read_record("b7")
    assert sorted(record["measured_variants"] + record["trained_variants"]) == sorted(record["variant_order"])
    for group in ("measured", "trained"):
        variants = record[f"{group}_variants"]
        lines = key_numbers_table(record, group).text.splitlines()[2:]
        assert len(lines) == len(record["numbers"])
        for line, key in zip(lines, record["numbers"]):
            cells = [cell.strip() for cell in line.strip("| ").split(" | ")]
            assert cells[0].startswith(f"{record['numbers'][key]['section']} {record['numbers'][key]['label']}")
            assert cells[1].endswith("✓") == record["numbers"][key]["default_meets"]
            for cell, variant in zip(cells[2:], variants):
                found = record["variants"][variant]["numbers"][key]
                assert (cell == "–") == (found["value"] is None), (key, variant, cell)
                assert cell.endswith("✓") == bool(found["meets"]), (key, variant, cell)
