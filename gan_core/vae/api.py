"""The VAE checkpoints as functions: encode items, and the two terms of the ELBO per item.

    >>> mu, logvar = gan_core.encode("vae2d-fmnist", items)        # (n, 2) each
    >>> gan_core.elbo_terms("vae2d-fmnist", items)["kl"]           # (n,) nats

Decoding a code is ``gan_core.decode`` (``gan_core.sampling``), shared with the GANs.
"""
from __future__ import annotations

import torch

from .. import checkpoints
from ..fmnist import as_items
from ..runtime import get_runtime
from .vae import bernoulli_nll, kl_divergence, kl_lecture_slide, reparameterize


@torch.no_grad()
def encode(name: str, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode images ``(n, 1, 28, 28)`` in [0, 1] with a VAE checkpoint: (μ, log σ²), each ``(n, d)``.

    ``(n, 28, 28)`` is accepted too, and uint8 images are scaled by 1/255.
    """
    model, runtime = checkpoints.load(name, get_runtime()), get_runtime()
    if not hasattr(model, "encode"):
        raise TypeError(f"{name} has no encoder; encode() needs a VAE checkpoint such as vae2d-fmnist")
    x = as_items(images)
    mus, logvars = [], []
    with runtime.autocast():
        for chunk in x.split(batch_size):
            mu, logvar = model.encode(runtime.tensor(chunk))
            mus.append(mu.float().cpu())
            logvars.append(logvar.float().cpu())
    if not mus:
        return torch.empty(0, model.latent_dim), torch.empty(0, model.latent_dim)
    return torch.cat(mus), torch.cat(logvars)


@torch.no_grad()
def elbo_terms(name: str, images: torch.Tensor, *, samples: int = 1, seed: int = 0,
               batch_size: int = 500) -> dict[str, torch.Tensor]:
    """ELBO terms of VAE checkpoint ``name`` for ``(n, 1, 28, 28)`` images in [0, 1], per image.

    The reconstruction term is averaged over ``samples`` draws z ~ q(z|x) (seeded). Returns
    tensors ``(n,)``: reconstruction, kl, elbo, kl_lecture_slide; and mu, logvar ``(n, d)``.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    x = as_items(images)
    mu, logvar = encode(name, x, batch_size=batch_size)
    model, runtime = checkpoints.load(name, get_runtime()), get_runtime()
    gen = torch.Generator().manual_seed(seed)
    rec = torch.zeros(x.shape[0])
    for _ in range(samples):
        z = reparameterize(mu, logvar, gen)  # (n, d), ε drawn on the CPU
        for i in range(0, x.shape[0], batch_size):
            with runtime.autocast():
                logits = model.decode_logits(runtime.tensor(z[i:i + batch_size]))  # -> (b, 1, 28, 28)
            rec[i:i + batch_size] += bernoulli_nll(logits.float().cpu(), x[i:i + batch_size])
    rec /= samples
    kl = kl_divergence(mu, logvar)
    return {"reconstruction": rec, "kl": kl, "elbo": -(rec + kl),
            "kl_lecture_slide": kl_lecture_slide(mu, logvar), "mu": mu, "logvar": logvar}
