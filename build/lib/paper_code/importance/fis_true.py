"""The true Fisher: the squared score averaged under the model's own predictive distribution.

``F_i = mean_k Σ_c p(c | x_k) (∂ log p(c | x_k) / ∂θ_i)²``, summing exactly over
all classes ``c`` rather than sampling a label. Each class contributes one
output cotangent ``p − e_c``; the ten are propagated back together.
"""

from __future__ import annotations

import torch

from paper_code.importance.per_sample import GradientStatistic


def all_classes_cotangent(probs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    n_classes = probs.shape[-1]
    eye = torch.eye(n_classes, dtype=probs.dtype, device=probs.device)
    cotangents = probs.unsqueeze(0) - eye.unsqueeze(1)  # [class c, sample, logit]
    return cotangents, probs.T  # weight p(c | x_k) for class c, sample k


FIS_TRUE = GradientStatistic(name="fis_true", reduction="square", cotangents=all_classes_cotangent)
