"""The sampled Fisher: the squared score of one label per row, drawn from the network's own softmax.

``F_i = mean_k (∂ log p(ŷ_k | x_k) / ∂θ_i)²`` with ``ŷ_k ~ p(· | x_k)``. Its expectation over the draw is the true
Fisher (:mod:`.fis_true`), which sums the ten classes exactly; one draw per row is what most continual-learning
code computes when it says "Fisher" without using the true labels (van de Ven's SAMPLE). The draw is an inverse
CDF of uniforms that depend on the run's seed and the task alone, so a rerun draws the same labels, and no
other random stream of the library is touched.
"""

from __future__ import annotations

import hashlib

import torch

from paper_code.importance.fis import log_likelihood_cotangent
from paper_code.importance.per_sample import GradientStatistic

#: The statistic is the empirical Fisher's, fed the sampled labels instead of the true ones.
FIS_SAMPLE = GradientStatistic(name="fis_sample", reduction="square", cotangents=log_likelihood_cotangent)


def label_uniforms(seed: int, task: int, count: int) -> torch.Tensor:
    """``count`` uniforms in [0, 1), one per importance row, from a generator of (seed, task) alone."""
    digest = hashlib.sha256(f"paper_code sampled Fisher labels: seed {seed}, task {task}".encode()).digest()
    generator = torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)
    return torch.rand(count, generator=generator, dtype=torch.float64)


def sampled_labels(probs: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """The class of each row whose cumulative probability first exceeds its uniform (an inverse-CDF draw).

    A uniform above the last cumulative value (rounding: the row sums to 1 − ε) takes the last class with a
    non-zero probability, never a class the softmax gave nothing.
    """
    cumulative = probs.double().cumsum(-1)
    labels = torch.searchsorted(cumulative, uniforms.to(probs.device).unsqueeze(-1), right=True).squeeze(-1)
    last = probs.shape[-1] - 1 - (probs.flip(-1) > 0).double().argmax(-1)
    return torch.minimum(labels, last)
