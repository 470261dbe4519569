"""Task streams beyond permuted MNIST, built from the same MNIST files.

- ``permuted`` (the paper's): each task shuffles the 784 pixels by a permutation of its own (:mod:`paper_code.data`).
- ``rotated`` (domain-incremental): task ``t`` of ``T`` shows every digit rotated by ``180° · t / T`` (ten tasks:
  0°, 18°, ..., 162°), bilinear, with black outside the original frame. The labels and the ten output units are
  those of MNIST; only the input distribution moves.
- ``split`` (task-incremental): five tasks of two digits each, (0, 1), (2, 3), ..., (8, 9). The network keeps its
  ten output units, and a task uses only its two: their logits alone enter the softmax, in training, in the
  evaluation (which knows the task) and in the importances. This is one head per task sharing the output
  layer's weights, the usual task-incremental split MNIST; a class-incremental split (one ten-way softmax, no
  task identity) would make EWC fail for reasons unrelated to which importance it uses, which is not this
  book's question. The importances are therefore those of the two-way output a task trains: FIS, MAS and SIG
  see the softmax over the task's two digits, and the output rows of the other digits get none.

A stream is a parameter of :class:`~paper_code.config.Config` (``stream``); its tasks depend on the config alone,
so a results folder needs nothing more to rebuild them.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from paper_code.config import SPLIT_TASKS, STREAMS
from paper_code.data.mnist import MNISTArrays
from paper_code.data.permuted import Task, make_permutations, make_tasks

#: The digits of each split-MNIST task.
SPLIT_CLASSES: tuple[tuple[int, int], ...] = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
assert len(SPLIT_CLASSES) == SPLIT_TASKS

#: The side of an MNIST image.
SIDE = 28


def rotation_angles(tasks: int) -> list[float]:
    """The rotation of each task in degrees: evenly spread over [0°, 180°), task 1 unrotated."""
    return [180.0 * t / tasks for t in range(tasks)]


def rotate_images(images: torch.Tensor, degrees: float) -> torch.Tensor:
    """Rows of flattened 28 × 28 images, each rotated counter-clockwise by ``degrees`` about the image centre
    (bilinear; pixels from outside the frame are black)."""
    if degrees == 0:
        return images.clone()
    theta = math.radians(degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    # affine_grid maps output coordinates to input ones: the inverse rotation. y points down in image space,
    # so a counter-clockwise turn on screen is this matrix.
    matrix = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=images.dtype).unsqueeze(0)
    square = images.reshape(-1, 1, SIDE, SIDE)
    grid = F.affine_grid(matrix.expand(square.shape[0], 2, 3), list(square.shape), align_corners=False)
    return F.grid_sample(square, grid, mode="bilinear", padding_mode="zeros", align_corners=False).reshape(images.shape)


def split_rows(labels: torch.Tensor, classes: tuple[int, ...]) -> torch.Tensor:
    """Indices of the rows whose label is one of ``classes``, in their original order."""
    return torch.isin(labels, torch.tensor(classes, dtype=labels.dtype)).nonzero().flatten()


def active_mask(classes: tuple[int, ...] | None, n_outputs: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """A boolean row over the output units, true for the task's own; None when every unit is used."""
    if classes is None:
        return None
    mask = torch.zeros(n_outputs, dtype=torch.bool, device=device)
    mask[list(classes)] = True
    return mask


def restrict_logits(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The logits a task's softmax sees: the other tasks' units set to −∞ (their probability is exactly 0, and
    no gradient reaches them); unchanged when the task uses every unit."""
    return logits if mask is None else logits.masked_fill(~mask, float("-inf"))


def stream_tasks(
    mnist: MNISTArrays,
    stream: str,
    n_tasks: int,
    seed: int,
    *,
    permute_first: bool = False,
    train_size: int | None = None,
    test_size: int | None = None,
    device: torch.device | str = "cpu",
) -> tuple[list[Task], torch.Tensor]:
    """The tasks of ``stream`` and the pixel order of each (a permutation per task; the identity where the stream
    permutes nothing). ``train_size``/``test_size`` truncate MNIST before a split selects its digits."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: choose from {', '.join(STREAMS)}")
    if stream == "permuted":
        permutations = make_permutations(n_tasks, seed, permute_first)
        return make_tasks(mnist, permutations, train_size, test_size, device), permutations
    identity = torch.arange(SIDE * SIDE).expand(n_tasks, -1).clone()
    train_x = mnist.train_x[:train_size] if train_size else mnist.train_x
    train_y = mnist.train_y[:train_size] if train_size else mnist.train_y
    test_x = mnist.test_x[:test_size] if test_size else mnist.test_x
    test_y = mnist.test_y[:test_size] if test_size else mnist.test_y
    tasks = []
    for index in range(n_tasks):
        if stream == "rotated":
            angle = rotation_angles(n_tasks)[index]
            parts = (rotate_images(train_x, angle), train_y, rotate_images(test_x, angle), test_y)
            classes = None
        else:
            classes = SPLIT_CLASSES[index]
            train_rows, test_rows = split_rows(train_y, classes), split_rows(test_y, classes)
            parts = (train_x[train_rows], train_y[train_rows], test_x[test_rows], test_y[test_rows])
        tasks.append(Task(index, *(part.to(device) for part in parts), classes=classes))
    return tasks, identity
