"""The study beyond permuted MNIST: each setting changes one thing of the paper's configuration, and the page's
sentences say what its tables show."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from paper_code.book import beyond as page
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


# --------------------------------------------------------------------------- the page's sentences against its tables


def graded(rows):
    """A claims × settings frame as claims_by_setting returns it, from (claim, setting, grade) triples."""
    frame = pd.DataFrame([dict(claim=c, setting=s, grade=g, label=g, evidence="", seeds=5) for c, s, g in rows])
    reference = frame[frame.setting == PAPER].set_index("claim").grade
    frame["changed"] = frame.grade != frame.claim.map(reference)
    return frame


FRAME = graded([
    ("3.1-mas-fis", PAPER, "holds"), ("3.1-mas-fis", "split", "partly holds"), ("3.1-mas-fis", "deep", "holds"),
    ("3.2-mas-si", PAPER, "partly holds"), ("3.2-mas-si", "split", "holds"), ("3.2-mas-si", "deep", "does not hold"),
    ("4-sig", PAPER, "holds"), ("4-sig", "split", "holds"), ("4-sig", "deep", "holds"),
])


def test_each_claim_line_names_the_settings_the_table_marks():
    text = page.claim_findings(FRAME).text
    lines = {re.match(r"- \*\*(\S+)\*\*", line).group(1): line for line in text.splitlines()}
    assert "weaker in split MNIST" in lines["3.1-mas-fis"] and "the same grade in deep" in lines["3.1-mas-fis"]
    assert "stronger in split MNIST" in lines["3.2-mas-si"] and "weaker in deep" in lines["3.2-mas-si"]
    assert lines["4-sig"].endswith("the same grade in every setting.")
    # One grade, "holds in most cells", over other counts: the line gives them.
    mostly = graded([("4-agree", PAPER, "holds in most cells"), ("4-agree", "split", "holds in most cells"),
                     ("4-agree", "deep", "holds in most cells"), ("3.2-mas-si", PAPER, "holds in most cells"),
                     ("3.2-mas-si", "split", "holds in most cells"), ("3.2-mas-si", "deep", "holds")])
    mostly["label"] = ["holds in 84 of 90 cells", "holds in 23 of 45 cells", "holds in 84 of 90 cells",
                       "holds in 29 of 30 cells", "holds in 9 of 15 cells", "holds"]
    text = page.claim_findings(mostly).text
    assert "**4-agree** (holds in 84 of 90 cells in the paper's configuration): the same grade in every setting: " \
           "split MNIST (23 of 45 cells), deep." in text
    assert "the same grade in split MNIST (9 of 15 cells); stronger in deep." in text
    table = page.claims_table(FRAME).set_index("claim")
    # Bold exactly where the grade differs from the paper configuration's.
    assert table.loc["3.1-mas-fis", "split MNIST"] == "**partly holds**" and table.loc["3.1-mas-fis", "deep"] == "holds"
    assert table.loc["4-sig", "split MNIST"] == "holds"


def test_what_carries_over_is_the_table_read_by_stream_and_network():
    general, stream, network, both = page.classify(FRAME)
    assert (general, stream, network, both) == (["4-sig"], ["3.1-mas-fis"], [], ["3.2-mas-si"])
    text = page.generality(FRAME).text
    assert "1 claim keeps the paper configuration's grade in every setting: 4-sig." in text
    assert "1 claim changes with the task stream only: 3.1-mas-fis." in text
    assert "with both the stream and the network: 3.2-mas-si." in text
    sentence = page.discussion_sentence(FRAME).text
    assert "1 of the 3 correlation claims keep their grade (4-sig); 1 change with the task stream, 0 with the " \
           "network and 1 with both" in sentence
    assert page.changed_pairs(FRAME, "deep") == ["mas_si"]


def test_the_layer_story_names_the_layers_of_its_table():
    means = pd.DataFrame([dict(pair=p, layer=layer, mean=v, std=0.01, seeds=5) for p, values in {
        "mas_fis": (0.9, 0.85, 0.7, 0.95), "mas_si": (0.9, 0.9, 0.9, 0.95), "fis_si": (0.85, 0.81, 0.9, 0.9),
        "mas_sig": (0.5, 0.1, -0.1, -0.2), "fis_sig": (0.5, 0.2, 0.1, 0.1), "si_sig": (-0.1, 0.2, 0.3, 0.4),
    }.items() for layer, v in enumerate(values, start=1)])
    story = page.layer_story(means).text
    assert "exceed 0.8 on layers 1, 2, 4 of 4" in story
    assert "MAS–SIG is negative on layers 3, 4." in story
    assert "FIS–SIG is negative on no layer (lowest: FIS–SIG 0.10 on layer 3)." in story
    assert "SI–SIG is negative on layer 1." in story
    assert page.layer_table(means).set_index("pair").loc["MAS–SIG", "layer 3"] == "-0.10 ± 0.01"
    positive = means.assign(mean=means["mean"].abs())
    assert "MAS–SIG, FIS–SIG and SI–SIG are negative on no layer (lowest: MAS–SIG 0.10 on layer 2, FIS–SIG 0.10 on " \
           "layer 3, SI–SIG 0.10 on layer 1)." in page.layer_story(positive).text


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
