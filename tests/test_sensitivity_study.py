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


def test_the_findings_name_variants_as_names():
    """A variant is named as one ("met under the variant *all rows*"), never read as words of the sentence
    ("met under all rows")."""
    import re

    from paper_code.book.sensitivity import claim_sensitivity, findings
    from paper_code.studies.sensitivity import KEY_NUMBERS_FILE, read_key_numbers, summary

    frame = summary(read_key_numbers(ROOT / KEY_NUMBERS_FILE))
    texts = [findings(frame).text] + [claim_sensitivity(frame, [key]) for key in frame["key"].unique()]
    mentions = [m.group(1) for text in texts
                for m in re.finditer(r"(?:holds under|met under)(?! every variant)\W+(\S+ \S+)", text)]
    assert mentions, "the committed study names no variant under which a claim holds or breaks"
    assert set(mentions) <= {"the variant", "the variants"}, mentions


def test_each_claim_of_the_discussion_quotes_its_own_key_numbers():
    """Claim 3.1's squaring test turns on the FIS–MAS² excess alone; it does not repeat the smallest MAS–FIS."""
    from paper_code.book.claims import SENSITIVITY_KEYS
    from paper_code.book.sensitivity import claim_sensitivity
    from paper_code.studies.claims import CLAIMS_BY_ID
    from paper_code.studies.sensitivity import KEY_NUMBERS_BY_KEY, KEY_NUMBERS_FILE, read_key_numbers, summary

    assert set(SENSITIVITY_KEYS) <= set(CLAIMS_BY_ID)
    assert all(key in KEY_NUMBERS_BY_KEY for keys in SENSITIVITY_KEYS.values() for key in keys)
    frame = summary(read_key_numbers(ROOT / KEY_NUMBERS_FILE))
    squaring = claim_sensitivity(frame, SENSITIVITY_KEYS["3.1-fis-mas2"])
    assert squaring.startswith("FIS–MAS² minus MAS–FIS") and "smallest MAS–FIS" not in squaring
    assert "smallest MAS–FIS" in claim_sensitivity(frame, SENSITIVITY_KEYS["3.1-mas-fis"])


def test_every_findings_sentence_matches_the_table():
    """Each claim's sentence on the sensitivity page says what the table under it shows: a variant it names as
    breaking the claim has a number there without ✓, one it names as meeting it has ✓, "no single choice" means
    no variant column has ✓, and the variant that moves the number furthest reaches the value the table gives."""
    import re

    from paper_code.book.sensitivity import TABLE_GROUPS, findings, key_table
    from paper_code.studies.sensitivity import KEY_NUMBERS_FILE, read_key_numbers, summary

    frame = summary(read_key_numbers(ROOT / KEY_NUMBERS_FILE))
    # The page's two tables, joined back into one row per key number.
    halves = [key_table(frame, group).set_index("key number") for group in TABLE_GROUPS]
    table = halves[0].join(halves[1].drop(columns=["paper", "default"]))
    # Column headers may add the task a variant is measured from: "λ = 1 (Δ from task 2)".
    table.columns = [c.split(" (Δ from task")[0] for c in table.columns]
    variants = [c for c in table.columns if c not in ("paper", "default")]
    assert len(variants) == frame.variant.nunique() - 1
    checked = 0
    for line in findings(frame).text.splitlines():
        head = re.match(r"- \*\*(\S+), (.+?)\*\*: ", line)
        assert head, line
        cells = table.loc[f"{head.group(1)} {head.group(2)}"]
        furthest = re.search(r"furthest toward the paper's value is \*(.+?)\*.*?, to (-?\d\.\d{3})\. ", line)
        if furthest:
            assert cells[furthest.group(1)].startswith(furthest.group(2)), (line, cells[furthest.group(1)])
        named = re.findall(r"\*([^*]+)\*", line.split(". It ", 1)[-1]) if ". It " in line else []
        if "It no longer holds under" in line:
            assert named and all(cells[v] != "–" and not cells[v].endswith("✓") for v in named), (line, cells)
            assert all(cells[v].endswith("✓") for v in variants if v not in named and cells[v] != "–"), line
        elif "It holds under every variant" in line:
            assert all(cells[v].endswith("✓") for v in variants if cells[v] != "–"), (line, cells)
        elif "No single choice reproduces it" in line:
            assert not any(cells[v].endswith("✓") for v in variants), (line, cells)
        else:
            holding = re.search(r"It holds under the variants? (.+)\.$", line)
            assert holding, line
            named = re.findall(r"\*([^*]+)\*", holding.group(1))
            assert sorted(named) == sorted(v for v in variants if cells[v].endswith("✓")), (line, cells)
        checked += 1
    assert checked == len(table)
