"""The random control: an importance that knows nothing about the network or the data.

Every parameter tensor gets a uniformly random ranking of its entries, stored as
``rank / n`` with ranks ``1..n`` (a random permutation), so the control has no
ties and every ordering is equally likely. The draw depends only on the run's
seed and the task number, through a generator of its own: the same (seed, task)
gives the same tensors whether they are computed during a run
(``--methods ...,random``) or afterwards from a results folder, and no other
random stream of the library is touched.
"""

from __future__ import annotations

import hashlib
from typing import Mapping

import torch

from paper_code.importance.per_sample import ParamStats


def random_generator(seed: int, task: int) -> torch.Generator:
    """A generator that depends on (seed, task) only, independent of weights, permutations and shuffling."""
    digest = hashlib.sha256(f"paper_code random importance: seed {seed}, task {task}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def random_importance(shapes: Mapping[str, torch.Size], seed: int, task: int) -> ParamStats:
    """A random ranking of each parameter tensor's entries, drawn in the order ``shapes`` lists them."""
    generator = random_generator(seed, task)
    stats: ParamStats = {}
    for name, shape in shapes.items():
        count = int(torch.Size(shape).numel())
        ranks = torch.randperm(count, generator=generator).to(torch.float32).add_(1.0).div_(count)
        stats[name] = ranks.reshape(shape)
    return stats
