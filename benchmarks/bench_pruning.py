"""Cost of the pruning table of one paper-scale run, against one plain evaluation of the network.

A pruning table evaluates one masked copy of the network per (importance, scope, fraction) on the test
sets of every task learned. This benchmark builds that situation at the paper's scale without training:
the paper's network (seeded initial weights), seven importances of its shape (five random stand-ins and
the two baselines), ten permuted copies of the full MNIST test set. It prints the seconds of one plain
evaluation (the unpruned network on all tasks), of the whole table, and their ratio per masked network:
about 1 means ranking and masking cost nothing beside the evaluations themselves.

    .venv/bin/python benchmarks/bench_pruning.py            # 10 tasks, default fractions, both scopes
    .venv/bin/python benchmarks/bench_pruning.py --tasks 3
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import torch

from paper_code.analysis.pruning import DEFAULT_FRACTIONS, RANKINGS, SCOPES, TestSets, pruning_table, task_accuracies, task_means
from paper_code.analysis.trained import TrainedTask, baseline_importances
from paper_code.config import Config
from paper_code.data import load_mnist, make_permutations
from paper_code.model import build_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    args = parser.parse_args()
    config = Config(tasks=args.tasks)
    state = {k: v.detach().clone() for k, v in build_model(config.seed).state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    stand_ins = {m: {k: torch.rand(v.shape, generator=generator) ** 4 for k, v in state.items()}
                 for m in ("fis", "fis_true", "mas", "si", "sig")}
    importances = {**stand_ins, **baseline_importances(state, config.seed, args.tasks)}
    results = SimpleNamespace(config=config, path="(in memory)")
    trained = TrainedTask(results, args.tasks, state, importances, importances)  # type: ignore[arg-type]
    mnist = load_mnist()
    tests = TestSets(mnist.test_x, mnist.test_y, make_permutations(args.tasks, config.seed))

    start = time.perf_counter()
    task_accuracies([state], tests, config.leaky_slope)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    table = pruning_table(trained, DEFAULT_FRACTIONS, SCOPES, tests=tests)
    whole = time.perf_counter() - start
    means = task_means(table)
    networks = len(means) - len(means[means.fraction == 0]) + 1  # the unpruned network is evaluated once
    print(f"\npruning table: {len(means)} pruned networks ({len(importances)} importances x {len(RANKINGS)} rankings x "
          f"{len(SCOPES)} scopes x {len(DEFAULT_FRACTIONS)} fractions), {networks} distinct, {args.tasks} tasks x "
          f"10000 test rows, "
          f"{torch.get_num_threads()} torch threads")
    print(f"  one plain evaluation (all tasks)   {plain:7.2f} s")
    print(f"  whole table                        {whole:7.2f} s")
    print(f"  ratio per network to a plain one   {whole / networks / plain:7.2f} x")


if __name__ == "__main__":
    main()
