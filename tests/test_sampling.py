"""Importance-sampling noise: the bootstrap over importance rows, checked against the run's own file and against a
per-sample loop with scipy's correlation."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from scipy import stats

from paper_code import run_experiment
from paper_code.analysis.sampling import drawn_correlations, row_draws
from paper_code.data import MNISTArrays, load_mnist, make_tasks
from paper_code.model import build_model
from paper_code.results import CHECKPOINTS_DIR, IMPORTANCES_DIR, load_results, task_file

from conftest import small_config


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sampling") / "run"
    run_experiment(small_config(importance_samples=200), folder, quiet=True)
    return load_results(folder)


def test_draws_are_with_replacement_reproducible_and_distinct():
    first, again = row_draws(200, 3, seed=4), row_draws(200, 3, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], first[1])
    assert all(len(d) == 200 and int(d.min()) >= 0 and int(d.max()) < 200 for d in first)
    assert all(len(torch.unique(d)) < 200 for d in first)  # with replacement: some rows twice (P(all distinct) ≈ 0)
    assert not torch.equal(row_draws(200, 1, seed=5)[0], first[0])


def test_the_identity_draw_reproduces_the_runs_correlations(run):
    drawn = drawn_correlations(run, [torch.arange(run.config.importance_samples)])
    own = pd.read_csv(run.path / "correlations.csv")
    merged = own.merge(drawn, on=["pair", "layer", "task"], suffixes=("_run", ""))
    assert len(merged) == len(own) == len(drawn)
    assert (merged.pearson - merged.pearson_run).abs().max() < 1e-5
    assert (merged.spearman - merged.spearman_run).abs().max() < 1e-5


def test_a_draw_matches_a_per_sample_loop(run):
    """FIS of task 1 on the drawn rows, one autograd backward per drawn row, against SI as the run stored it:
    scipy's Pearson r of the two layer-1 weight matrices is the drawn FIS–SI cell."""
    config = run.config
    draw = row_draws(config.importance_samples, 1, seed=1)[0]
    drawn = drawn_correlations(run, [draw])
    cell = drawn[(drawn.pair == "fis_si") & (drawn.layer == 1) & (drawn.task == 1)]
    assert len(cell) == 1

    mnist = load_mnist()
    lo, hi = config.train_size - config.importance_samples, config.train_size
    rows = MNISTArrays(mnist.train_x[lo:hi], mnist.train_y[lo:hi], mnist.test_x[:1], mnist.test_y[:1])
    task = make_tasks(rows, run.permutations())[0]
    model = build_model(config.seed, config.leaky_slope)
    model.load_state_dict(torch.load(task_file(run.path, CHECKPOINTS_DIR, 1), weights_only=True))
    weight = model.layers[0].weight
    fis = torch.zeros_like(weight, dtype=torch.float64)
    for index in draw.tolist():
        log_p = torch.log_softmax(model(task.train_x[index : index + 1]), dim=-1)[0, task.train_y[index]]
        (gradient,) = torch.autograd.grad(log_p, weight)
        fis += gradient.double().square()
    si = torch.load(task_file(run.path, IMPORTANCES_DIR, 1), weights_only=True)["per_task"]["si"]["fc1.weight"]
    expected = stats.pearsonr(fis.flatten().numpy(), si.double().flatten().numpy()).statistic
    assert float(cell.pearson.iloc[0]) == pytest.approx(expected, abs=1e-5)
    # and the draw moved the cell: it is not the run's own value
    own = pd.read_csv(run.path / "correlations.csv")
    original = own[(own.pair == "fis_si") & (own.layer == 1) & (own.task == 1)].pearson.iloc[0]
    assert abs(float(cell.pearson.iloc[0]) - original) > 1e-4
