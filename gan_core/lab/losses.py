"""The lab's losses and technique penalties, as pure functions of D's outputs, features or weights.

* minimax: Goodfellow et al., 2014, https://arxiv.org/abs/1406.2661 (G minimises log(1 − D(G(z))));
* non-saturating: the same paper's fix, G minimises −log D(G(z));
* least squares: Mao et al., 2017, https://arxiv.org/abs/1611.04076;
* WGAN-GP: Gulrajani et al., 2017, https://arxiv.org/abs/1704.00028;
* feature matching, historical averaging, one-sided label smoothing: Salimans et al., 2016,
  https://arxiv.org/abs/1606.03498 (Sec. 3.1, 3.3, 3.4).

D's raw output ``out`` is a logit for minimax / non-saturating, a score for least squares and a
critic value for WGAN-GP.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("minimax", "nonsaturating", "least_squares", "wgan_gp")

EQUATIONS = {
    "minimax": r"$$\max_D\; \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1-D(G(z)))],\qquad "
               r"\min_G\; \mathbb E_z[\log(1-D(G(z)))]$$",
    "nonsaturating": r"$$\max_D\; \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1-D(G(z)))],\qquad "
                     r"\min_G\; -\mathbb E_z[\log D(G(z))]$$",
    "least_squares": r"$$\min_D\; \tfrac12\mathbb E_x[(D(x)-1)^2] + \tfrac12\mathbb E_z[D(G(z))^2],\qquad "
                     r"\min_G\; \tfrac12\mathbb E_z[(D(G(z))-1)^2]$$",
    "wgan_gp": r"$$\min_D\; \mathbb E_z[D(G(z))] - \mathbb E_x[D(x)] + \lambda\,\mathbb E_{\hat x}"
               r"[(\lVert\nabla_{\hat x} D(\hat x)\rVert_2-1)^2],\qquad \min_G\; -\mathbb E_z[D(G(z))]$$",
}


def d_loss(loss: str, real_out: torch.Tensor, fake_out: torch.Tensor, real_target: float = 1.0) -> torch.Tensor:
    """D's loss to minimise; ``real_target`` < 1 is one-sided label smoothing (fakes keep target 0)."""
    if loss in ("minimax", "nonsaturating"):
        # −[t log D(x) + (1 − t) log(1 − D(x))] − log(1 − D(G(z)))
        return (F.binary_cross_entropy_with_logits(real_out, torch.full_like(real_out, real_target))
                + F.softplus(fake_out).mean())
    if loss == "least_squares":
        return 0.5 * ((real_out - real_target) ** 2).mean() + 0.5 * (fake_out ** 2).mean()
    if loss == "wgan_gp":
        return fake_out.mean() - real_out.mean()  # the gradient penalty is added by the caller
    raise ValueError(f"unknown loss {loss!r}")


def g_loss(loss: str, fake_out: torch.Tensor) -> torch.Tensor:
    """G's loss to minimise."""
    if loss == "minimax":
        return -F.softplus(fake_out).mean()          # log(1 − σ(l)) = −softplus(l): saturates when D wins
    if loss == "nonsaturating":
        return F.softplus(-fake_out).mean()          # −log σ(l)
    if loss == "least_squares":
        return 0.5 * ((fake_out - 1) ** 2).mean()
    if loss == "wgan_gp":
        return -fake_out.mean()
    raise ValueError(f"unknown loss {loss!r}")


def d_prob(loss: str, out: torch.Tensor) -> torch.Tensor:
    """D's output shown as "D(x)": a probability for the log losses, the raw score otherwise."""
    return torch.sigmoid(out) if loss in ("minimax", "nonsaturating") else out


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, u: torch.Tensor,
                     pack: int = 1) -> torch.Tensor:
    """E[(‖∇D(x̂)‖ − 1)²] at x̂ = u·x + (1 − u)·G(z), ``u`` ``(B, 1)`` uniform in [0, 1].

    With packing, D's input is ``pack`` points at once, so the norm is taken per pack.
    """
    x_hat = (u * real + (1 - u) * fake).requires_grad_(True)      # (B, 2)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    grad = grad.reshape(-1, 2 * pack)                               # (B, 2) -> (B / pack, 2 pack)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_out: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """E‖∇ₓD(x)‖² on real points (R1, Mescheder et al. 2018, https://arxiv.org/abs/1801.04406): D is
    kept flat where the data are, so the game settles instead of circling. ``real`` ``(B, ...)`` (points
    ``(B, 2)`` or pictures ``(B, C, H, W)``) must require grad and ``real_out`` be D's output on it; D's
    loss adds γ/2 times this."""
    (grad,) = torch.autograd.grad(real_out.sum(), real, create_graph=True)      # same shape as real
    return grad.float().pow(2).flatten(1).sum(dim=1).mean()


def feature_matching(f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    """‖E f(x) − E f(G(z))‖²: G matches the mean of D's features ``(B, F)`` on real data."""
    return ((f_real.mean(0) - f_fake.mean(0)) ** 2).sum()


def historical_penalty(params, averages) -> torch.Tensor:
    """‖θ − (1/t) Σ_i θ_i‖²: pulls each weight towards its own running average."""
    return sum(((p - a) ** 2).sum() for p, a in zip(params, averages))
