"""GAN losses as pure functions of discriminator logits.

With D(x) = sigmoid(logit), Goodfellow et al. 2014 (https://arxiv.org/abs/1406.2661) define

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))],     min_G max_D V(D, G).

log D = -softplus(-logit) and log(1 - D) = -softplus(logit), which stay finite for any logit.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def log_d(logits: torch.Tensor) -> torch.Tensor:
    """log D(x) = log sigmoid(logit)."""
    return -F.softplus(-logits.float())


def log_one_minus_d(logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(x)) = log sigmoid(-logit)."""
    return -F.softplus(logits.float())


def minimax_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) estimated on a batch. D ascends it, G descends it. At the optimum it is -log 4."""
    return log_d(real_logits).mean() + log_one_minus_d(fake_logits).mean()


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       real_label: float = 1.0) -> torch.Tensor:
    """-V(D, G), i.e. binary cross-entropy with labels real=1, fake=0.

    ``real_label`` < 1 is one-sided label smoothing (Salimans et al. 2016, Section 3.4):
    the target for real images becomes e.g. 0.9, fakes stay at 0.
    """
    real_target = torch.full_like(real_logits, real_label, dtype=torch.float32)
    loss_real = F.binary_cross_entropy_with_logits(real_logits.float(), real_target)
    loss_fake = -log_one_minus_d(fake_logits).mean()
    return loss_real + loss_fake


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The minimax generator loss E[log(1 - D(G(z)))], minimised by G.

    Its gradient vanishes when D confidently rejects the fakes (early training), which is
    why the paper recommends the non-saturating form below in practice.
    """
    return log_one_minus_d(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -E[log D(G(z))], minimised by G."""
    return -log_d(fake_logits).mean()


GENERATOR_LOSSES = {
    "nonsaturating": generator_loss_nonsaturating,
    "saturating": generator_loss_saturating,
}
