"""FIS: the empirical Fisher information of EWC (Kirkpatrick et al. 2017; paper eq. 1).

``F_i = mean_k (∂ log p(y_k | x_k) / ∂θ_i)²`` over training samples ``k``
with their true labels ``y_k``. The square is taken per sample: squaring a
mini-batch gradient instead would give a different (and wrong) quantity.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from paper_code.importance.per_sample import GradientStatistic


def log_likelihood_cotangent(probs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, None]:
    # ∂(−log softmax(z)_y)/∂z = p − onehot(y); the sign is irrelevant once squared.
    onehot = F.one_hot(labels, probs.shape[-1]).to(probs.dtype)
    return (probs - onehot).unsqueeze(0), None


FIS = GradientStatistic(name="fis", reduction="square", cotangents=log_likelihood_cotangent)
