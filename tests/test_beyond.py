"""The study beyond permuted MNIST: each setting changes one thing of the paper's configuration, and the page's
record sorts each claim by the grades it holds (its numbers, by hand: tests/test_findings_beyond.py)."""

from __future__ import annotations

import dataclasses

from paper_code.config import Config
from paper_code.studies.beyond import LAMBDA_GRID, PAPER, SETTINGS, grid_configs
from paper_code.studies.grid import MAS_SEEDS


def test_each_setting_departs_from_the_paper_in_what_it_names_only():
    paper = Config()
    changed = {}
    for name in SETTINGS:
        config = SETTINGS[name].config()
        changed[name] = {f.name for f in dataclasses.fields(Config) if getattr(config, f.name) != getattr(paper, f.name)}
    assert changed == {"split": {"stream", "tasks"}, "relu": {"leaky_slope"}, "rotated": {"stream"}, "deep": {"hidden"}}
    assert SETTINGS["deep"].config().hidden == (300, 300, 150, 150) and SETTINGS["split"].config().tasks == 5


def test_the_grid_is_ewc_mas_over_the_lambda_grid_on_the_choosing_seeds():
    configs = grid_configs("rotated")
    assert {(c.lam, c.seed) for c in configs} == {(lam, seed) for lam in LAMBDA_GRID for seed in MAS_SEEDS}
    assert {c.reg for c in configs} == {"mas"} and len({c.key for c in configs}) == len(configs)


# --------------------------------------------------------------------------- the page's record
def test_the_record_sorts_each_claim_by_its_grades():
    """In the committed record, each setting is where a claim keeps the paper configuration's grade word, or where
    it is stronger or weaker, never two of these; "changes with" names the kinds of setting that change it; and the
    counts of passing cells behind every grade are kept (one word spans many counts)."""
    from paper_code.studies.findings import read_record
    from paper_code.studies.findings.beyond import GRADE_ORDER, NETWORK_SETTINGS, STREAM_SETTINGS

    record = read_record("b8")
    groups = {"general": set(), "stream": set(), "network": set(), "both": set()}
    for key, entry in record["claims"].items():
        grades = entry["grades"]
        reference = GRADE_ORDER.index(grades[PAPER]["grade"])
        assert sorted(entry["same"] + entry["stronger"] + entry["weaker"]) == sorted(record["settings"]), key
        assert all(grades[s]["grade"] == grades[PAPER]["grade"] for s in entry["same"])
        assert all(GRADE_ORDER.index(grades[s]["grade"]) < reference for s in entry["stronger"])
        assert all(GRADE_ORDER.index(grades[s]["grade"]) > reference for s in entry["weaker"])
        changed = set(entry["stronger"] + entry["weaker"])
        stream, network = bool(changed & set(STREAM_SETTINGS)), bool(changed & set(NETWORK_SETTINGS))
        assert entry["changes_with"] == ("both" if stream and network else "stream" if stream else
                                         "network" if network else "general"), key
        groups[entry["changes_with"]].add(key)
        assert all(0 <= grades[n]["held"] <= grades[n]["judged"] for n in record["order"])
    assert {k: set(v) for k, v in record["carry"].items()} == groups


def test_every_committed_trial_is_a_trial_of_its_setting():
    """Each trial under study/beyond/<setting>/ is that setting's EWC-MAS at its row's λ and seed, complete, and
    its row in sweep.csv holds its own final accuracy."""
    from pathlib import Path

    from paper_code.results import load_results
    from paper_code.studies.beyond import load_settings

    root = Path(__file__).resolve().parents[1] / "study" / "beyond"
    settings = load_settings(root)
    for name, study in settings.items():
        for row in study.table.itertuples():
            results = load_results(study.folder / row.trial_dir)
            assert results.complete, results.path
            assert results.config.key == SETTINGS[name].config(lam=row.lam, seed=int(row.seed)).key == row.key
            assert row.final_accuracy == results.final_average_accuracy()
