"""Grid search of the EWC strength λ at paper scale (10 tasks, 6 epochs, full MNIST).

The paper used "the optimal λ found by grid search" without showing the grid.
This script runs EWC with the chosen importance for each λ on a log-spaced
grid and prints final average accuracy and average forgetting, so the default
``--lam`` of ``python -m paper_code run`` can be traced to a measurement.

Only the regularizing method's importance is computed: the other methods do
not influence training, so accuracies equal those of a full run.

    .venv/bin/python scripts/lambda_grid.py --reg mas --lams 1,100,10000 --threads 1 &
    .venv/bin/python scripts/lambda_grid.py --reg mas --lams 10,1000,100000 --threads 1
"""

from __future__ import annotations

import argparse
import time

import torch

from paper_code import Config, cached_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reg", default="mas")
    parser.add_argument("--lams", default="1,10,100,1000,10000,100000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results-root", default="results/lambda_grid")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        # On 2 cores, two single-threaded runs side by side finish sooner than two 2-threaded runs in turn.
        torch.set_num_threads(args.threads)
    print(f"{'lambda':>10s} {'final avg acc':>14s} {'forgetting':>11s} {'seconds':>8s}", flush=True)
    for lam in [float(v) for v in args.lams.split(",")]:
        config = Config(lam=lam, reg=args.reg, seed=args.seed, methods=(args.reg,), pairs=())
        start = time.perf_counter()
        results = cached_run(config, args.results_root)
        print(
            f"{lam:10g} {results.final_average_accuracy():14.4f} {results.average_forgetting():11.4f} "
            f"{time.perf_counter() - start:8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
