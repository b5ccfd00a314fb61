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


# --- GANs given more than noise: gan_core/gan/cgan.py, acgan.py, infogan.py, sgan.py -----------

def class_loss(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """-E[log P(C = c | X)]: AC-GAN's L_C with the sign flipped (cross-entropy), minimised by D and G."""
    return F.cross_entropy(class_logits.float(), labels)


def info_loss(cat_logits: torch.Tensor, cat_code: torch.Tensor, cont_mean: torch.Tensor, cont_code: torch.Tensor,
              lambda_cat: float = 1.0, lambda_cont: float = 1.0) -> torch.Tensor:
    """-(lambda L_I) without its constant H(c): InfoGAN's variational mutual-information bound.

    L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[log Q(c | x)] + H(c) <= I(c; G(z, c))  (Chen et al. 2016, Eq. 5).
    Q is a softmax over the categorical code and a unit-variance Gaussian over each continuous
    code, so -log Q = cross-entropy + 1/2 (c - mu)^2 + const.
    """
    nll_cat = F.cross_entropy(cat_logits.float(), cat_code)
    nll_cont = 0.5 * (cont_mean.float() - cont_code).pow(2).sum(1).mean()
    return lambda_cat * nll_cat + lambda_cont * nll_cont


def sgan_log_d(class_logits: torch.Tensor) -> torch.Tensor:
    """log D(x) for a K-class discriminator with an implicit fake class (Salimans et al. 2016, §5).

    With Z(x) = sum_k exp(l_k(x)), D(x) = Z / (Z + 1), so log D = lse(l) - softplus(lse(l)).
    """
    lse = torch.logsumexp(class_logits.float(), dim=1)
    return lse - F.softplus(lse)


def sgan_log_one_minus_d(class_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(x)) = -log(Z + 1) = -softplus(lse(l))."""
    return -F.softplus(torch.logsumexp(class_logits.float(), dim=1))


def sgan_discriminator_loss(labelled_logits: torch.Tensor, labels: torch.Tensor,
                            unlabelled_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple:
    """(L_supervised, L_unsupervised) of Salimans et al. 2016, §5, both minimised by D.

    L_sup   = -E_{x, y ~ labelled}[log p(y | x, y < K + 1)]   (cross-entropy over the K real classes)
    L_unsup = -E_{x ~ data}[log D(x)] - E_{z}[log(1 - D(G(z)))]
    """
    sup = F.cross_entropy(labelled_logits.float(), labels)
    unsup = -sgan_log_d(unlabelled_logits).mean() - sgan_log_one_minus_d(fake_logits).mean()
    return sup, unsup


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """||E_x f(x) - E_z f(G(z))||^2 over an intermediate layer f of D (Salimans et al. 2016, §3.1)."""
    return (real_features.float().mean(0) - fake_features.float().mean(0)).pow(2).sum()
