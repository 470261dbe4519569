"""Pruning by importance: exact counts and the tie rule, the masked network against a naive one,
the unpruned accuracy the run itself recorded, top-k Jaccard by hand, and the `prune` command."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import torch

from paper_code import run_experiment
from paper_code.__main__ import main
from paper_code.analysis.prune_results import prune_results
from paper_code.analysis.overlap import chance_jaccard, jaccard, topk_overlap_table
from paper_code.analysis.pruning import PRUNING_COLUMNS, pruning_table, removal_masks, task_means
from paper_code.analysis.ranking import count_of, lowest_mask, pooled_lowest_masks, top_set
from paper_code.analysis.trained import load_trained, open_results
from paper_code.data import load_mnist, make_tasks
from paper_code.errors import ConfigError
from paper_code.model import build_model
from paper_code.results import CHECKPOINTS_DIR, PRUNING_FILE, TOPK_OVERLAP_FILE, load_results, task_file
from paper_code.train import accuracy
from conftest import small_config


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """Two tasks, one epoch, 2,000 rows: the paper's network and every importance, in seconds."""
    folder = tmp_path_factory.mktemp("prune") / "run"
    run_experiment(small_config(seed=3), folder, quiet=True)
    return folder


# --------------------------------------------------------------------------- the ordering rule
@pytest.mark.parametrize("fraction, n, expected", [(0.0, 7, 0), (0.5, 7, 4), (0.5, 5, 3), (0.25, 6, 2), (0.99, 10, 10)])
def test_count_rounds_half_up(fraction, n, expected):
    assert count_of(fraction, n) == expected


def test_mask_removes_exactly_the_fraction_and_ties_go_by_position():
    importance = torch.tensor([[3.0, 1.0, 1.0, 0.0], [1.0, 2.0, 0.0, 5.0]])
    # Ascending with ties in row-major order: 0.0 at (0,3), 0.0 at (1,2), then 1.0 at (0,1), (0,2), (1,0), ...
    mask = lowest_mask(importance, 0.5)  # 4 of 8
    expected = torch.tensor([[False, True, True, True], [False, False, True, False]])
    assert torch.equal(mask, expected)
    assert int(lowest_mask(importance, 0.3).sum()) == 2  # 2.4 rounds to 2: the two zeros
    assert int(lowest_mask(importance, 0.0).sum()) == 0


def test_constant_importance_removes_the_first_positions():
    mask = lowest_mask(torch.ones(3, 5), 0.4)
    assert torch.equal(mask.reshape(-1), torch.arange(15) < 6)


def test_global_pooling_ranks_layers_together_with_earlier_layer_first_on_ties():
    first, second = torch.tensor([[0.1, 0.9], [0.5, 0.5]]), torch.tensor([[0.5, 0.2, 0.8]])
    masks = pooled_lowest_masks([first, second], 3 / 7)  # the 3 smallest of 7: 0.1, 0.2, and the first 0.5
    assert torch.equal(masks[0], torch.tensor([[True, False], [True, False]]))
    assert torch.equal(masks[1], torch.tensor([[False, True, False]]))


def test_fraction_outside_unit_interval_is_refused():
    for bad in (1.0, -0.01, 1.5):
        with pytest.raises(ConfigError, match=r"outside \[0, 1\)"):
            lowest_mask(torch.ones(4), bad)


def test_top_set_is_the_complement_of_the_lowest_under_one_order():
    generator = torch.Generator().manual_seed(0)
    importance = torch.randint(0, 5, (9, 11), generator=generator).float()  # many ties
    top = top_set(importance, 30.0)
    assert top.numel() == count_of(0.3, 99)
    kept = ~lowest_mask(importance, 1 - top.numel() / 99).reshape(-1)
    assert torch.equal(torch.nonzero(kept).squeeze(1), top)
    assert float(importance.reshape(-1)[top].min()) >= float(importance.reshape(-1)[~kept].max())


# --------------------------------------------------------------------------- Jaccard
def test_jaccard_against_a_hand_computation():
    a, b = torch.tensor([0, 2, 5, 7]), torch.tensor([2, 3, 5, 8])
    shared, union = jaccard(a, b, 10)
    assert (shared, union) == (2, 6)  # {2, 5} and {0, 2, 3, 5, 7, 8}


def test_topk_overlap_table_by_hand(small_run):
    trained = load_trained(open_results(small_run))
    table = topk_overlap_table(trained, percents=(10.0,), methods=("mas", "fis", "random"))
    row = table[(table.method_a == "mas") & (table.method_b == "fis") & (table.layer == 2)].iloc[0]
    # Independent reference: the top 10% sets with numpy's stable argsort, intersected as Python sets.
    n = 150 * 300
    m = int(n * 0.1 + 0.5)
    sets = []
    for method in ("mas", "fis"):
        values = trained.accumulated[method]["fc2.weight"].reshape(-1).numpy()
        sets.append(set(values.argsort(kind="stable")[n - m:].tolist()))
    assert row["size"] == m
    assert row.intersection == len(sets[0] & sets[1])
    assert row.jaccard == pytest.approx(len(sets[0] & sets[1]) / len(sets[0] | sets[1]), abs=1e-15)
    assert len(table) == 3 * 3  # three pairs, three layers


def test_chance_jaccard_matches_the_hypergeometric_mean():
    n, percent = 1000, 10.0
    m = 100
    assert chance_jaccard(percent, n) == pytest.approx((m * m / n) / (2 * m - m * m / n))


# --------------------------------------------------------------------------- the pruned network
def _naive_task_accuracies(folder, fraction: float, method: str, scope: str, saliency: bool = False) -> list[float]:
    """Reference: load the checkpoint into the model class, zero weights one parameter at a time with a
    mask recomputed here from numpy's stable argsort (of Ω, or of Ω·w² computed here in numpy), evaluate
    with the trainer's accuracy on make_tasks, task by task."""
    results = load_results(folder)
    config = results.config
    trained = load_trained(results)
    model = build_model(config.seed, config.leaky_slope)
    model.load_state_dict(torch.load(task_file(folder, CHECKPOINTS_DIR, config.tasks), weights_only=True))
    names = ["fc1.weight", "fc2.weight", "fc3.weight"]
    values = [trained.accumulated[method][name].reshape(-1).numpy() for name in names]
    if saliency:
        values = [v * trained.state[name].reshape(-1).numpy() ** 2 for v, name in zip(values, names)]
    with torch.no_grad():
        if scope == "layer":
            for name, flat in zip(names, values):
                k = int(fraction * flat.size + 0.5)
                weight = dict(model.named_parameters())[name].view(-1)
                weight[torch.as_tensor(flat.argsort(kind="stable")[:k])] = 0.0
        else:
            import numpy as np

            pooled = np.concatenate(values)
            k = int(fraction * pooled.size + 0.5)
            removed = set(pooled.argsort(kind="stable")[:k].tolist())
            start = 0
            for name, flat in zip(names, values):
                weight = dict(model.named_parameters())[name].view(-1)
                for index in range(flat.size):
                    if start + index in removed:
                        weight[index] = 0.0
                start += flat.size
    mnist = load_mnist()
    tasks = make_tasks(mnist, results.permutations(), config.train_size, config.test_size)
    return [accuracy(model, t.test_x, t.test_y) for t in tasks]


@pytest.mark.parametrize("method, scope, fraction, ranking", [
    ("mas", "layer", 0.7, "importance"), ("sig", "global", 0.5, "importance"),
    ("fis", "layer", 0.7, "saliency"), ("si", "global", 0.5, "saliency"),
])
def test_pruned_accuracy_matches_a_naive_masked_model(small_run, method, scope, fraction, ranking):
    trained = load_trained(open_results(small_run))
    table = pruning_table(trained, [fraction], [scope], [method], rankings=[ranking])
    expected = _naive_task_accuracies(small_run, fraction, method, scope, saliency=ranking == "saliency")
    assert table.task.tolist() == [1, 2] and (table.ranking == ranking).all()
    assert table.accuracy.tolist() == pytest.approx(expected, abs=1e-12)
    assert task_means(table).accuracy.iloc[0] == pytest.approx(sum(expected) / 2, abs=1e-12)
    sizes = (784 * 300, 300 * 150, 150 * 10)
    removed = sum(int(fraction * n + 0.5) for n in sizes) if scope == "layer" else int(fraction * sum(sizes) + 0.5)
    assert (table.removed == removed).all()


def test_saliency_reorders_the_weights(small_run):
    """Ranked by Ω·w² the removed set differs from Ω's where Ω and |w| disagree: FIS, which the paper's networks
    give high importance on small weights, removes other weights at 50 %."""
    from paper_code.analysis.pruning import saliency

    trained = load_trained(open_results(small_run))
    fis = trained.accumulated["fis"]
    by_importance = removal_masks(fis, 0.5, "layer")
    by_saliency = removal_masks(saliency(fis, trained.state), 0.5, "layer")
    moved = sum(int((a != b).sum()) for a, b in zip(by_importance.values(), by_saliency.values()))
    assert moved > 0.05 * sum(int(m.numel()) for m in by_importance.values())
    # the magnitude baseline ranks alike either way: |w|·w² = |w|³ keeps the order of |w|
    magnitude = trained.accumulated["magnitude"]
    same = [torch.equal(a, b) for a, b in zip(removal_masks(magnitude, 0.5, "layer").values(),
                                              removal_masks(saliency(magnitude, trained.state), 0.5, "layer").values())]
    assert all(same)


def test_random_at_fraction_zero_is_the_runs_own_accuracy(small_run):
    results = load_results(small_run)
    trained = load_trained(results)
    table = pruning_table(trained, [0.0, 0.5], ["layer", "global"], ["random", "magnitude"])
    last = results.accuracy[results.accuracy.after_task == results.config.tasks].sort_values("eval_task")
    unpruned = table[table.fraction == 0.0]
    assert len(unpruned) == 2 * 2 * 2 * 2 and (unpruned.removed == 0).all()  # methods × rankings × scopes × tasks
    for task, recorded in zip(last.eval_task, last.accuracy):  # each task's row is the run's own record
        assert unpruned[unpruned.task == task].accuracy.tolist() == pytest.approx([recorded] * 8, abs=1e-12)
    # Removing half the weights at random costs accuracy: the masks do reach the network.
    halved = task_means(table[(table.method == "random") & (table.fraction == 0.5)])
    assert halved.accuracy.max() < last.accuracy.mean()


def test_pruning_leaves_the_checkpoint_untouched_and_keeps_biases(small_run):
    trained = load_trained(open_results(small_run))
    before = copy.deepcopy(trained.state)
    masks = removal_masks(trained.accumulated["mas"], 0.9, "global")
    assert set(masks) == {"fc1.weight", "fc2.weight", "fc3.weight"}
    pruning_table(trained, [0.9], ["global"], ["mas"])
    assert all(torch.equal(before[k], trained.state[k]) for k in before)


def test_after_an_earlier_task_accuracy_covers_the_tasks_learned_so_far(small_run):
    results = load_results(small_run)
    trained = load_trained(results, 1)
    table = pruning_table(trained, [0.0], ["layer"], ["magnitude"], rankings=["importance"])
    assert table.after_task.iloc[0] == 1 and table.task.tolist() == [1]
    recorded = results.accuracy[(results.accuracy.after_task == 1) & (results.accuracy.eval_task == 1)].accuracy
    assert table.accuracy.iloc[0] == pytest.approx(float(recorded.iloc[0]), abs=1e-12)


# --------------------------------------------------------------------------- the command
def _cli(capsys, *args):
    try:
        status = main(["prune", *args])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_prune_command_writes_both_tables(small_run, tmp_path, capsys):
    out = tmp_path / "tables"
    status, stdout, _ = _cli(capsys, "--results", str(small_run), "--fractions", "0,0.9", "--scope", "layer",
                             "--methods", "mas,fis,magnitude,random", "--out", str(out))
    assert status == 0, stdout
    pruning = pd.read_csv(out / PRUNING_FILE)
    assert list(pruning.columns) == list(PRUNING_COLUMNS)
    assert len(pruning) == 4 * 2 * 2 * 2 and set(pruning.after_task) == {2}  # methods × fractions × rankings × tasks
    assert set(pruning.ranking) == {"importance", "saliency"} and set(pruning.task) == {1, 2}
    overlap = pd.read_csv(out / TOPK_OVERLAP_FILE)
    assert len(overlap) == 6 * 3 * 3 and set(overlap.k) == {1.0, 10.0, 50.0}


@pytest.mark.parametrize("args, message", [
    (["--fractions", "0.5,1"], "fraction 1.0 is outside [0, 1)"),
    (["--fractions", "-0.2"], "fraction -0.2 is outside [0, 1)"),
    (["--scope", "network"], "scope 'network' is unknown"),
    (["--ranking", "weight"], "ranking 'weight' is unknown"),
    (["--methods", "mas,ewc"], "unknown importance method 'ewc'"),
    (["--after-task", "5"], "after_task=5 is out of range"),
])
def test_prune_command_bad_arguments_exit_2_with_one_line(small_run, tmp_path, capsys, args, message):
    out = tmp_path / "nothing"
    status, _, stderr = _cli(capsys, "--results", str(small_run), "--out", str(out), *args)
    assert status == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_prune_command_refuses_folders_without_checkpoints(small_run, tmp_path, capsys):
    status, _, stderr = _cli(capsys, "--results", str(tmp_path / "missing"))
    assert status == 2 and "does not exist" in stderr
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "accuracy.csv", "correlations.csv", "training.csv"):
        (bare / name).write_bytes((small_run / name).read_bytes())
    status, _, stderr = _cli(capsys, "--results", str(bare))
    assert status == 2 and "checkpoints/task_02.pt is missing" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (bare / PRUNING_FILE).exists()


def test_prune_results_checks_methods_the_run_did_not_compute(small_run, tmp_path):
    folder = tmp_path / "two"
    run_experiment(small_config(tasks=1, methods=("mas",), pairs=()), folder, quiet=True)
    with pytest.raises(ConfigError, match="'fis' was not computed by the run"):
        prune_results(folder, methods=("fis",), out=tmp_path / "out")
    written = prune_results(folder, fractions=(0.0,), scopes=("layer",), out=tmp_path / "out")
    assert sorted(set(written.pruning.method)) == ["magnitude", "mas", "random"]
