"""The paper's permuted-MNIST tasks: one pixel permutation per task, applied to the same MNIST rows."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from paper_code.data.mnist import N_PIXELS, MNISTArrays


def make_permutations(n_tasks: int, seed: int, permute_first: bool = False) -> torch.Tensor:
    """One pixel permutation per task, ``[n_tasks, 784]``.

    Task 1 keeps the original pixel order unless ``permute_first`` is set, as
    in the paper author's public code. The generator is seeded independently
    of model initialisation and shuffling, so changing the number of tasks
    does not change the permutations of the first tasks.
    """
    generator = torch.Generator().manual_seed(10_007 * seed + 1)
    perms = []
    for task in range(n_tasks):
        perm = torch.randperm(N_PIXELS, generator=generator)
        if task == 0 and not permute_first:
            perm = torch.arange(N_PIXELS)
        perms.append(perm)
    return torch.stack(perms)


@dataclass(frozen=True)
class Task:
    """One task of a stream: its train and test rows with their labels, and the output units it uses (None: all
    ten; a split-MNIST task names its two digits, :mod:`paper_code.data.streams`)."""

    index: int
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[int, ...] | None = None


def make_tasks(
    mnist: MNISTArrays,
    permutations: torch.Tensor,
    train_size: int | None = None,
    test_size: int | None = None,
    device: torch.device | str = "cpu",
) -> list[Task]:
    """Apply each permutation to the (optionally truncated) train and test sets."""
    train_x = mnist.train_x[:train_size] if train_size else mnist.train_x
    train_y = mnist.train_y[:train_size] if train_size else mnist.train_y
    test_x = mnist.test_x[:test_size] if test_size else mnist.test_x
    test_y = mnist.test_y[:test_size] if test_size else mnist.test_y
    tasks = []
    for index, perm in enumerate(permutations):
        tasks.append(
            Task(
                index=index,
                train_x=train_x.index_select(1, perm).to(device),
                train_y=train_y.to(device),
                test_x=test_x.index_select(1, perm).to(device),
                test_y=test_y.to(device),
            )
        )
    return tasks
