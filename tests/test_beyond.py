"""The study beyond permuted MNIST: each setting changes one thing of the paper's configuration."""

from __future__ import annotations

import dataclasses

from paper_code.config import Config
from paper_code.studies.beyond import LAMBDA_GRID, SETTINGS, grid_configs
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
