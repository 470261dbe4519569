"""Correlations under the choices that do not change training, against independent recomputations."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from scipy import stats

from conftest import small_config
from paper_code import run_experiment
from paper_code.analysis.variants import mas_on_logits, read_variant_correlations, write_variant_correlations
from paper_code.data import load_mnist, make_tasks
from paper_code.errors import PaperCodeError
from paper_code.model import build_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    # importance_samples == train_size: the "all rows" variant must then reproduce the run's own correlations.
    config = small_config(tasks=2, importance_samples=2000)
    return run_experiment(config, tmp_path_factory.mktemp("variants") / "run", quiet=True)


@pytest.fixture(scope="module")
def variants(run):
    write_variant_correlations(run)
    return read_variant_correlations(run.path)


def test_all_rows_equal_the_run_when_it_already_used_every_row(run, variants):
    mine = variants[variants.variant == "all_rows"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, run.correlations.reset_index(drop=True), atol=1e-6, rtol=0)


def test_biases_variant_against_scipy(run, variants):
    imp = run.importances(2)["accumulated"]
    x = torch.cat([imp["mas"]["fc2.weight"].flatten(), imp["mas"]["fc2.bias"]]).double().numpy()
    y = torch.cat([imp["fis"]["fc2.weight"].flatten(), imp["fis"]["fc2.bias"]]).double().numpy()
    row = variants.query("variant == 'biases' and pair == 'mas_fis' and layer == 2 and task == 2").iloc[0]
    assert row.pearson == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-9)
    assert row.spearman == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-9)


def test_mas_on_logits_against_a_per_sample_loop(run, variants):
    config = run.config
    model = build_model(config.seed, config.leaky_slope)
    model.load_state_dict(torch.load(run.path / "checkpoints" / "task_01.pt", weights_only=True))
    task = make_tasks(load_mnist(), run.permutations(), config.train_size, 1)[0]
    inputs, labels = task.train_x[-50:], task.train_y[-50:]
    expected = torch.zeros_like(model.fc3.weight)
    for k in range(inputs.shape[0]):
        model.zero_grad()
        model(inputs[k : k + 1]).square().sum().backward()
        expected += model.fc3.weight.grad.abs()
    got = mas_on_logits(model, inputs, labels)["fc3.weight"]
    torch.testing.assert_close(got, expected / inputs.shape[0], rtol=1e-4, atol=1e-7)
    # The variant's task-1 MAS–FIS row correlates exactly that importance (over the run's rows) with FIS.
    model.zero_grad()
    full = mas_on_logits(model, task.train_x[-config.importance_samples:], task.train_y[-config.importance_samples:])
    fis = run.importances(1)["accumulated"]["fis"]["fc3.weight"]
    row = variants.query("variant == 'mas_logits' and pair == 'mas_fis' and layer == 3 and task == 1").iloc[0]
    assert row.pearson == pytest.approx(stats.pearsonr(full["fc3.weight"].flatten().double(), fis.flatten().double())[0],
                                        abs=1e-6)
    assert set(variants[variants.variant == "mas_logits"].pair) == {"mas_fis", "fis_mas2", "mas_si", "mas_sig"}


def test_a_folder_without_checkpoints_is_named(run, tmp_path):
    import shutil

    copy = tmp_path / "small-files-only"
    shutil.copytree(run.path, copy, ignore=shutil.ignore_patterns("checkpoints"))
    from paper_code import load_results

    with pytest.raises(PaperCodeError, match="lacks the checkpoints"):
        write_variant_correlations(load_results(copy))
