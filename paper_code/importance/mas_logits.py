"""MAS on the logits: ``Ω_i = mean_k |∂ ||z(x_k)||₂² / ∂θ_i|`` with ``z`` the network's raw output.

Aljundi et al. (2018) define MAS on the learned function's output; for a classifier
whose last layer feeds a softmax, that can be the logits or the probabilities. The
paper's eq. (3) writes it on the softmax outputs (:mod:`paper_code.importance.mas`,
the library's ``mas``); this variant, used by the sensitivity study, takes the logits.
"""

from __future__ import annotations

import torch

from paper_code.importance.per_sample import GradientStatistic


def logit_norm_cotangent(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, None]:
    # ∂ Σ_j z_j² / ∂z_m = 2 z_m.
    return (2.0 * logits).unsqueeze(0), None


MAS_LOGITS = GradientStatistic(name="mas_logits", reduction="abs", cotangents=logit_norm_cotangent,
                               differentiates="logits")
