"""MAS: Memory Aware Synapses (Aljundi et al. 2018).

``Ω_i = mean_k |∂ ||p(x_k)||₂² / ∂θ_i|`` where ``p`` is the softmax output
(the paper's eq. 3 writes MAS on the softmax outputs ``p_kj``). No label is
needed: MAS measures how sensitive the learned function is, not its loss.
"""

from __future__ import annotations

import torch

from paper_code.importance.per_sample import GradientStatistic


def squared_norm_cotangent(probs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, None]:
    # s = Σ_j p_j²;  ∂s/∂z_m = Σ_j 2 p_j ∂p_j/∂z_m = 2 p_m (p_m − Σ_j p_j²).
    squared_norm = probs.square().sum(-1, keepdim=True)
    return (2.0 * probs * (probs - squared_norm)).unsqueeze(0), None


MAS = GradientStatistic(name="mas", reduction="abs", cotangents=squared_norm_cotangent)
