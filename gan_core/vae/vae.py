"""Variational autoencoder (Kingma & Welling 2013, Auto-Encoding Variational Bayes,
https://arxiv.org/abs/1312.6114) for 28x28 Fashion-MNIST items.

* Encoder q(z|x): a small CNN producing the mean μ and the log-variance log σ² of a diagonal
  Gaussian over z (the paper's Appendix C.2, with convolutions instead of one hidden layer).
* Reparameterisation (Section 2.4): z = μ + σ·ε, ε ~ N(0, I), so the gradient reaches the encoder.
* Decoder p(x|z): a Bernoulli per pixel, the mirror CNN producing logits.
* Loss per item = reconstruction + β·KL, with
      reconstruction = -log p(x|z) = binary cross-entropy, summed over the 784 pixels;
      KL(q(z|x) || N(0, I)) = ½ Σ_j (σ_j² + μ_j² - log σ_j² - 1)   (the paper's Appendix B).
  β = 1 is the (negative) ELBO of the paper; β = 0 leaves a plain autoencoder (the KL is
  still *measured*, only not trained).

Fashion-MNIST pixels are grey levels, not binary: the reconstruction term is then a
cross-entropy to grey-level targets and cannot reach 0 (see ``bernoulli_nll``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..prior import standard_normal


# --- losses: pure functions, one value per item ------------------------------------------------

def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) || N(0, I)) in nats: ``(B, d), (B, d) -> (B,)``.

    Closed form for diagonal Gaussians: ½ Σ_j (σ_j² + μ_j² - log σ_j² - 1). It is >= 0 and
    exactly 0 at μ = 0, σ = 1.
    """
    return 0.5 * (logvar.exp() + mu.pow(2) - logvar - 1).sum(dim=1)


def kl_lecture_slide(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The lecture slide's expression Σ_j (σ_j² + μ_j² - log σ_j - 1), kept for comparison only.

    It drops the ½ and mixes log σ with σ²: it is minimised at σ = 1/√2 instead of 1 and
    reaches -0.153 per dimension there, a value no KL divergence can take.
    """
    return (logvar.exp() + mu.pow(2) - 0.5 * logvar - 1).sum(dim=1)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) under independent Bernoulli pixels, in nats: ``(B, 1, 28, 28) x2 -> (B,)``.

    ``x`` holds targets in [0, 1]. For grey-level targets this is a cross-entropy whose minimum
    is the targets' own entropy Σ H(x_i) > 0 (``bernoulli_entropy``), not 0.
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)


def bernoulli_entropy(x: torch.Tensor) -> torch.Tensor:
    """Σ_i H(x_i): the reconstruction term of a perfect decoder (logits = logit(x)), ``(B, ...) -> (B,)``."""
    p = x.flatten(1).clamp(1e-7, 1 - 1e-7)
    return -(p * p.log() + (1 - p) * (1 - p).log()).sum(dim=1)


def elbo(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> dict[str, torch.Tensor]:
    """The evidence lower bound and its two terms, per item (nats, each ``(B,)``).

    ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)) = -(reconstruction + KL), estimated with the
    single z the logits were decoded from.
    """
    rec, kl = bernoulli_nll(logits, x), kl_divergence(mu, logvar)
    return {"reconstruction": rec, "kl": kl, "elbo": -(rec + kl)}


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ·ε with ε ~ N(0, I) drawn on the CPU from ``generator`` (reproducible anywhere).

    Under torchrun, ε is this rank's rows of the global batch's ε (``distributed.draw``).
    """
    eps = distributed.draw(lambda n: torch.randn((n, *mu.shape[1:]), generator=generator), mu.shape[0])
    eps = eps.to(mu.device, mu.dtype)
    return mu + (0.5 * logvar).exp() * eps


# --- the network --------------------------------------------------------------------------------

class VAE(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
          tags=["vae", "autoencoder", "fashion-mnist"]):
    """Encoder q(z|x) and decoder p(x|z) for ``(B, 1, 28, 28)`` images in [0, 1].

    Args:
        latent_dim: size of z (2 for the latent map, 16 for sample quality).
        beta: weight of the KL term in the training loss (1 = VAE, 0 = plain autoencoder);
            stored with the weights so the checkpoint says how it was trained.
        width: channels of the first conv layer (the second has twice as many).
        hidden: size of the fully connected layer between the convs and z.
    """

    def __init__(self, latent_dim: int = 2, beta: float = 1.0, width: int = 16, hidden: int = 256):
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.latent_dim, self.beta = latent_dim, float(beta)
        self.encoder = nn.Sequential(
            # input is 1 x 28 x 28
            nn.Conv2d(1, width, 4, 2, 1), nn.ReLU(inplace=True),
            # state size. width x 14 x 14
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.ReLU(inplace=True),
            # state size. (2*width) x 7 x 7
            nn.Flatten(),
            nn.Linear(2 * width * 49, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 2 * latent_dim),  # -> (B, 2d): [μ, log σ²]
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 2 * width * 49), nn.ReLU(inplace=True),
            nn.Unflatten(1, (2 * width, 7, 7)),
            # state size. (2*width) x 7 x 7
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.ReLU(inplace=True),
            # state size. width x 14 x 14
            nn.ConvTranspose2d(width, 1, 4, 2, 1),
            # state size. 1 x 28 x 28 (Bernoulli logits)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x ``(B, 1, 28, 28)`` in [0, 1] -> (μ ``(B, d)``, log σ² ``(B, d)``)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, 2d) -> 2 x (B, d)
        return mu, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z ``(B, d)`` -> Bernoulli logits ``(B, 1, 28, 28)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """One pass of the training objective: (logits, μ, log σ²) for a sampled z."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator)
        return self.decode_logits(z), mu, logvar

    # The two methods every Fashion-MNIST generator of the suite offers (see gan_core.api).
    def prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ p(z) = N(0, I): ``(n, latent_dim)`` on the CPU."""
        return standard_normal(n, self.latent_dim, generator)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z ``(B, d)`` -> the decoder's pixel probabilities ``(B, 1, 28, 28)`` in [0, 1]."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        param = next(self.parameters())
        return torch.sigmoid(self.decode_logits(z.to(param.device, param.dtype)).float())


class VAETraining:
    """Minimise reconstruction + β·KL with Adam (an *algorithm* for ``gan_core.trainer.Trainer``).

    Args:
        model: the VAE to train; its ``beta`` is the KL weight.
        runtime: device and precision (``gan_core.device.get_runtime``).
        lr: Adam learning rate.
    """

    def __init__(self, model: VAE, runtime, *, lr: float = 1e-3):
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.optimizers = {"vae": torch.optim.Adam(self.model.parameters(), lr=lr)}

    def train_step(self, batch, gen):
        rt, beta = self.runtime, self.model.beta
        x = rt.tensor(batch[0].float().div(255).unsqueeze(1))  # (B, 28, 28) u8 -> (B, 1, 28, 28) in [0, 1]

        # 1. encode, sample z = μ + σ·ε, decode
        with rt.autocast():
            logits, mu, logvar = self.model(x, gen)
        # 2. the loss in fp32: reconstruction + β·KL, averaged over the batch
        terms = elbo(logits.float(), x.float(), mu.float(), logvar.float())
        loss = (terms["reconstruction"] + beta * terms["kl"]).mean()
        opt = self.optimizers["vae"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {
            "loss": loss.item(),
            "elbo": terms["elbo"].mean().item(),
            "reconstruction": terms["reconstruction"].mean().item(),
            "kl": terms["kl"].mean().item(),
        }
