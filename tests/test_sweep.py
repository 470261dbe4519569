"""Sweeps: the grid, sweep.csv, skipping finished trials, Ray against the sequential fallback."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import small_config
from paper_code.errors import ConfigError
from paper_code.sweep import (
    SWEEP_FILE,
    SweepError,
    expand_grid,
    plan_sweep,
    ray_available,
    run_sweep,
    trial_folder,
)

TINY = dict(tasks=2, epochs=1, train_size=1000, test_size=300, importance_samples=300,
            methods=("mas",), pairs=("mas_mas2",))


def test_expand_grid_is_the_product_and_adds_the_regularizing_method():
    configs = expand_grid(small_config(**TINY), {"reg": ["none", "fis"], "lam": [1.0, 10.0], "seed": [0]})
    # Fine-tuning ignores λ, so it runs once (recorded with λ = 0) however many λ the grid lists.
    assert [(c.reg, c.lam) for c in configs] == [("none", 0.0), ("fis", 1.0), ("fis", 10.0)]
    assert configs[1].methods == ("mas", "fis")


@pytest.mark.parametrize(
    "grid, message",
    [
        ({"lam": []}, "empty list"),
        ({"lam": [1.0, -1.0]}, "lam=-1.0 is out of range"),
        ({"reg": ["mas", "ewc"]}, "unknown regularizing method"),
        ({"epochs": [1, 2]}, "cannot sweep over epochs"),
    ],
)
def test_bad_grids_are_refused(grid, message):
    with pytest.raises(ConfigError, match=message):
        expand_grid(small_config(**TINY), grid)


def test_unreachable_address_is_one_clear_error():
    pytest.importorskip("ray")
    with pytest.raises(SweepError, match="cannot reach a Ray cluster at --address 127.0.0.1:9"):
        plan_sweep(expand_grid(small_config(**TINY), {}), engine="ray", address="127.0.0.1:9")


@pytest.mark.slow
def test_sequential_sweep_writes_table_and_resumes(tmp_path):
    # A strong penalty: ten steps per task with Adam's moments kept move the network little, so a weak one shows no
    # difference from fine-tuning at this size.
    configs = expand_grid(small_config(**TINY), {"reg": ["none", "mas"], "lam": [1000.0]})
    plan = plan_sweep(configs, engine="sequential", cpus_per_trial=1)
    table = run_sweep(plan, tmp_path, quiet=True)
    assert list(table.columns) == ["reg", "lam", "seed", "tasks", "epochs", "key",
                                   "final_accuracy", "average_forgetting", "wall_seconds", "trial_dir"]
    assert len(table) == 2 and table.final_accuracy.between(0, 1).all()
    ewc, fine_tuning = table.set_index("reg").loc["mas"], table.set_index("reg").loc["none"]
    assert ewc.average_forgetting < fine_tuning.average_forgetting  # EWC protects task 1

    # A sweep killed after one trial: the rerun completes only the missing trial.
    done = trial_folder(tmp_path, configs[0]) / "config.json"
    stamp = done.stat().st_mtime_ns
    import shutil

    shutil.rmtree(trial_folder(tmp_path, configs[1]))
    again = run_sweep(plan, tmp_path, quiet=True)
    assert done.stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(again.drop(columns="wall_seconds"), table.drop(columns="wall_seconds"))

    # A second sweep into the same folder adds its trials to the folder's one table.
    extra = expand_grid(small_config(**TINY), {"reg": ["mas"], "lam": [100.0], "seed": [1]})
    both = run_sweep(plan_sweep(extra, engine="sequential", cpus_per_trial=1), tmp_path, quiet=True)
    assert sorted(both.key) == sorted(c.key for c in configs + extra)
    pd.testing.assert_frame_equal(both[both.seed == 0].drop(columns="wall_seconds").reset_index(drop=True),
                                  table.drop(columns="wall_seconds"))


@pytest.mark.slow
@pytest.mark.skipif(not ray_available(), reason="the sweep extra (Ray) is not installed")
def test_ray_and_sequential_give_the_same_metrics(tmp_path):
    configs = expand_grid(small_config(**TINY), {"lam": [1.0, 100.0], "seed": [0, 1]})
    sequential = run_sweep(plan_sweep(configs, engine="sequential", cpus_per_trial=1), tmp_path / "seq", quiet=True)
    on_ray = run_sweep(plan_sweep(configs, engine="ray", cpus_per_trial=1), tmp_path / "ray", quiet=True)
    columns = ["reg", "lam", "seed", "key", "final_accuracy", "average_forgetting"]
    pd.testing.assert_frame_equal(sequential[columns], on_ray[columns])
    assert (tmp_path / "ray" / SWEEP_FILE).is_file()
