"""The shuffled control: MAS's values, placed at random within each parameter tensor.

Each task's MAS importances are permuted entry by entry inside every tensor (a layer's weights stay in that
layer, its biases among its biases), with a generator drawn from the run's seed and the task alone. The control
keeps MAS's distribution of values, layer by layer, and loses only *which* weight carries which value: what EWC
keeps with it is what the size distribution alone buys.
"""

from __future__ import annotations

import hashlib

import torch

from paper_code.importance.per_sample import ParamStats


def shuffle_generator(seed: int, task: int) -> torch.Generator:
    """A generator that depends on (seed, task) only, apart from every other random stream of the library."""
    digest = hashlib.sha256(f"paper_code shuffled importance: seed {seed}, task {task}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def shuffled_importance(mas: ParamStats, seed: int, task: int) -> ParamStats:
    """``mas`` with the entries of every tensor permuted at random (tensors in the order ``mas`` lists them)."""
    generator = shuffle_generator(seed, task)
    shuffled: ParamStats = {}
    for name, values in mas.items():
        order = torch.randperm(values.numel(), generator=generator).to(values.device)
        shuffled[name] = values.flatten()[order].reshape(values.shape)
    return shuffled
