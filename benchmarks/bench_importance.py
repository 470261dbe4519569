"""Exact per-sample importances against a plain backward pass and against peers, on 60,000 samples.

Prints one table whose ratios are all measured in this run, against the same
model, samples and chunking:

* plain forward+backward: the cost of one ordinary gradient over the data;
* this library: FIS alone, FIS+MAS (one shared forward), and every post-training method;
* BackPACK ``SumGradSquared`` (the peer library for exact per-sample squared gradients);
* ``torch.func.vmap`` per-sample gradients and a naive per-sample loop, both timed on a
  slice and extrapolated to 60,000 samples.

Run with ``make bench``. Timings are the median of several repeats; the machine
may be shared, so read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from paper_code.data import load_mnist
from paper_code.importance import post_training_importances
from paper_code.model import build_model

CHUNK = 2500


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: allocator, thread pool, lazy imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vmap-slice", type=int, default=5_000)
    parser.add_argument("--loop-slice", type=int, default=500)
    args = parser.parse_args()

    mnist = load_mnist()
    x, y = mnist.train_x[: args.samples], mnist.train_y[: args.samples]
    model = build_model(0)
    params = list(model.parameters())
    n = x.shape[0]
    torch.set_num_threads(torch.get_num_threads())

    def plain() -> None:
        for start in range(0, n, CHUNK):
            model.zero_grad(set_to_none=False)
            F.cross_entropy(model(x[start : start + CHUNK]), y[start : start + CHUNK], reduction="sum").backward()

    def ours(methods: list[str]) -> Callable[[], object]:
        return lambda: post_training_importances(model, x, y, methods, chunk_size=CHUNK)

    import backpack
    from backpack.extensions import SumGradSquared

    layers = copy.deepcopy(model).layers  # BackPACK hooks its modules; keep them off the shared model
    sequential = backpack.extend(
        nn.Sequential(layers[0], nn.LeakyReLU(0.01), layers[1], nn.LeakyReLU(0.01), layers[2])
    )
    bp_loss = backpack.extend(nn.CrossEntropyLoss(reduction="sum"))

    def backpack_fis() -> None:
        for start in range(0, n, CHUNK):
            sequential.zero_grad()
            loss = bp_loss(sequential(x[start : start + CHUNK]), y[start : start + CHUNK])
            with backpack.backpack(SumGradSquared()):
                loss.backward()

    from torch.func import functional_call, grad, vmap

    named = {k: v.detach() for k, v in model.named_parameters()}

    def sample_log_likelihood(p, xi, yi):
        logits = functional_call(model, p, (xi.unsqueeze(0),))
        return torch.log_softmax(logits, -1)[0].gather(0, yi.unsqueeze(0)).squeeze(0)

    per_sample_grad = vmap(grad(sample_log_likelihood), in_dims=(None, 0, 0))

    def vmap_fis() -> None:
        for start in range(0, args.vmap_slice, 500):
            grads = per_sample_grad(named, x[start : start + 500], y[start : start + 500])
            {k: g.square().sum(0) for k, g in grads.items()}

    def naive_fis() -> None:
        totals = [torch.zeros_like(p) for p in params]
        for k in range(args.loop_slice):
            logp = torch.log_softmax(model(x[k : k + 1]), -1)[0, y[k]]
            for t, g in zip(totals, torch.autograd.grad(logp, params)):
                t += g.square()

    rows = []
    base = median_seconds(plain, args.repeats)
    rows.append(("plain forward+backward", base, False))
    rows.append(("FIS (this library)", median_seconds(ours(["fis"]), args.repeats), False))
    rows.append(("FIS+MAS (this library, shared forward)", median_seconds(ours(["fis", "mas"]), args.repeats), False))
    rows.append(("MAS (this library)", median_seconds(ours(["mas"]), args.repeats), False))
    rows.append(("fis_true (this library, 10 classes)", median_seconds(ours(["fis_true"]), args.repeats), False))
    rows.append(("FIS+fis_true+MAS+SIG (this library)", median_seconds(ours(["fis", "fis_true", "mas", "sig"]), args.repeats), False))
    rows.append(("FIS via BackPACK SumGradSquared", median_seconds(backpack_fis, args.repeats), False))
    rows.append(("FIS via torch.func.vmap", median_seconds(vmap_fis, 1) * n / args.vmap_slice, True))
    rows.append(("FIS via naive per-sample loop", median_seconds(naive_fis, 1) * n / args.loop_slice, True))

    print(f"\n{n} samples, chunks of {CHUNK}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"{'computation':44s} {'seconds':>9s} {'x plain':>8s}")
    for name, seconds, extrapolated in rows:
        mark = " (extrapolated)" if extrapolated else ""
        print(f"{name:44s} {seconds:9.3f} {seconds / base:8.2f}{mark}")
    fis = rows[1][1]
    print(f"\nFIS vs BackPACK: {rows[6][1] / fis:.2f}x faster; vs vmap: {rows[7][1] / fis:.0f}x; "
          f"vs naive loop: {rows[8][1] / fis:.0f}x")


if __name__ == "__main__":
    main()
