"""The batched Fisher: the squared gradient of a mini-batch's mean log-likelihood, averaged over mini-batches.

``F_i = mean_b (∂/∂θ_i  mean_{k∈b} log p(y_k | x_k))²`` over consecutive batches ``b`` of :data:`BATCH_ROWS` rows
with their true labels. This is what EWC code computes when it squares the gradients its training loop already
has (Avalanche's ``EWCPlugin``; van de Ven's BATCHED): the square of a mean, not the mean of squares, so it is
about 1/B of the empirical Fisher (:mod:`.fis`) plus the squared mean gradient, and its λ sits about B times
higher. A last batch shorter than B counts as one batch.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from paper_code.data.streams import restrict_logits
from paper_code.importance.per_sample import ParamStats

#: Rows per mini-batch: the paper's training batch size.
BATCH_ROWS = 100


def batch_fisher_sums(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                      mask: torch.Tensor | None = None) -> tuple[ParamStats, int]:
    """The sum over the batches of ``inputs`` of each squared batch gradient, and how many batches there were."""
    params = dict(model.named_parameters())
    totals = {name: torch.zeros_like(p) for name, p in params.items()}
    batches = 0
    for start in range(0, inputs.shape[0], BATCH_ROWS):
        with torch.enable_grad():
            logits = restrict_logits(model(inputs[start : start + BATCH_ROWS]), mask)
            loss = F.cross_entropy(logits, labels[start : start + BATCH_ROWS])
            grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
        for (name, _), grad in zip(params.items(), grads):
            if grad is not None:
                totals[name] += grad.square()
        batches += 1
    return totals, batches
