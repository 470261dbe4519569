"""The paper's network: a 784-300-150-10 fully connected MLP (other hidden sizes and depths on request).

LeakyReLU follows the hidden layers (slope 0: ReLU); the network returns logits, and the
softmax of the paper's output layer is applied where a method needs
probabilities (the loss, MAS, SIG). Layers are named ``fc1``-``fc3`` so that
results can speak of layer 1, 2 and 3 (and on, in a deeper network).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

LAYER_SIZES: tuple[int, ...] = (784, 300, 150, 10)


@dataclass
class ForwardTrace:
    """What one forward pass leaves behind for exact per-sample statistics.

    ``inputs[l]`` is the input of layer ``l`` (``a_{l-1}``), ``slopes[l]`` the
    derivative of the activation after layer ``l`` (absent for the output
    layer), and ``logits`` the network output.
    """

    inputs: list[torch.Tensor]
    slopes: list[torch.Tensor]
    logits: torch.Tensor
    #: Each hidden layer's activated output, where it is not the next layer's input (a pooling lies between).
    activated: list[torch.Tensor] | None = None


class MLP(nn.Module):
    """Fully connected network with LeakyReLU hidden units, returning logits."""

    def __init__(self, sizes: tuple[int, ...] = LAYER_SIZES, leaky_slope: float = 0.01) -> None:
        super().__init__()
        self.sizes = tuple(sizes)
        self.leaky_slope = leaky_slope
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.add_module(f"fc{index}", nn.Linear(fan_in, fan_out))

    @property
    def layers(self) -> list[nn.Linear]:
        return [getattr(self, f"fc{i}") for i in range(1, len(self.sizes))]

    @property
    def layer_names(self) -> list[str]:
        return [f"fc{i}" for i in range(1, len(self.sizes))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layers = self.layers
        for layer in layers[:-1]:
            x = F.leaky_relu(layer(x), self.leaky_slope)
        return layers[-1](x)

    @torch.no_grad()
    def trace(self, x: torch.Tensor) -> ForwardTrace:
        """Forward pass that keeps each layer's input and activation slope (no autograd graph)."""
        inputs, slopes = [], []
        layers = self.layers
        for index, layer in enumerate(layers):
            inputs.append(x)
            z = F.linear(x, layer.weight, layer.bias)
            if index == len(layers) - 1:
                return ForwardTrace(inputs, slopes, z)
            # LeakyReLU's derivative: 1 where z > 0, the slope elsewhere (PyTorch's convention at 0).
            # sign() -> clamp keeps the whole computation in float: a bool mask converted to float is 4x slower.
            slopes.append(torch.sign(z).clamp_(min=0.0).mul_(1.0 - self.leaky_slope).add_(self.leaky_slope))
            x = F.leaky_relu(z, self.leaky_slope)
        raise AssertionError("unreachable")  # pragma: no cover


#: The convolutional network's two 5 × 5 convolutions (channels), each followed by LeakyReLU and 2 × 2 max pooling;
#: sized so that a paper-scale run (10 tasks, every importance after each) fits in ~10 minutes on 2 CPU cores.
CONV_CHANNELS: tuple[int, int] = (6, 12)
#: The side of an MNIST image.
IMAGE_SIDE = 28


class ConvNet(nn.Module):
    """A small convolutional network: conv 5×5 (6) → pool → conv 5×5 (12) → pool → fully connected ``hidden`` → 10.

    Its layers are numbered by depth (``conv1``, ``conv2``, ``fc3``, ...), so results speak of layer 1, 2, ... as
    for the MLP; inputs are the 784-pixel rows of the tasks, seen as 28 × 28 images.
    """

    def __init__(self, hidden: tuple[int, ...] = (100,), leaky_slope: float = 0.01,
                 channels: tuple[int, int] = CONV_CHANNELS) -> None:
        super().__init__()
        self.leaky_slope = leaky_slope
        self.conv1 = nn.Conv2d(1, channels[0], 5, padding=2)
        self.conv2 = nn.Conv2d(channels[0], channels[1], 5, padding=2)
        flat = channels[1] * (IMAGE_SIDE // 4) ** 2
        sizes = (flat, *hidden, LAYER_SIZES[-1])
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=3):
            self.add_module(f"fc{index}", nn.Linear(fan_in, fan_out))
        self.sizes = (LAYER_SIZES[0], *sizes[1:])

    @property
    def layer_names(self) -> list[str]:
        return ["conv1", "conv2"] + [f"fc{i}" for i in range(3, len(self.sizes) + 2)]

    @property
    def layers(self) -> list[nn.Module]:
        return [getattr(self, name) for name in self.layer_names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.trace(x, keep=False).logits

    def trace(self, x: torch.Tensor, keep: bool = True) -> ForwardTrace:
        """The forward pass with each weight layer's input and each hidden layer's activated output (before
        pooling); ``keep=False`` is the plain forward, with its autograd graph."""
        inputs, activated = [], []
        x = x.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
        layers = self.layers
        for index, layer in enumerate(layers):
            if index == 2:
                x = x.flatten(1)
            inputs.append(x)
            z = layer(x)
            if index == len(layers) - 1:
                return ForwardTrace(inputs if keep else [], [], z, activated if keep else None)
            x = F.leaky_relu(z, self.leaky_slope)
            activated.append(x)
            if index < 2:
                x = F.max_pool2d(x, 2)
        raise AssertionError("unreachable")  # pragma: no cover


def build_model(seed: int, leaky_slope: float = 0.01, dtype: torch.dtype = torch.float32,
                hidden: tuple[int, ...] = LAYER_SIZES[1:-1], network: str = "mlp") -> nn.Module:
    """The MLP 784-``hidden``-10 (the paper's by default), or the convolutional network with ``hidden`` fully
    connected layers after its convolutions, with PyTorch's default initialisation, seeded independently of
    everything else."""
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        if network == "conv":
            model = ConvNet(hidden, leaky_slope).to(dtype)
        else:
            model = MLP((LAYER_SIZES[0], *hidden, LAYER_SIZES[-1]), leaky_slope).to(dtype)
    finally:
        torch.random.set_rng_state(generator_state)
    return model
