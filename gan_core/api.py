"""The Python API of the suite. Tabs and outside scripts call these, never the model classes.

    >>> import gan_core
    >>> x = gan_core.generate("dcgan-fmnist", 16, seed=0)   # (16, 1, 28, 28) in [0, 1]

Every Fashion-MNIST generator checkpoint offers ``prior(n, generator, **cond)`` (latent codes)
and ``decode(z, **cond)`` (images), so one ``generate`` serves them all.
"""
from __future__ import annotations

import torch

from . import models
from .device import get_runtime
from .zerogpu import gpu


def _load(name: str):
    return models.load(name, get_runtime())


def latents(name: str, n: int, seed: int = 0, **cond) -> torch.Tensor:
    """The latent codes ``generate(name, n, seed)`` decodes: ``(n, latent_dim)`` on the CPU."""
    model = _load(name)
    return model.prior(int(n), torch.Generator().manual_seed(int(seed)), **cond)


@gpu
@torch.no_grad()
def decode(name: str, z: torch.Tensor, batch_size: int = 500, **cond) -> torch.Tensor:
    """Decode latent codes ``(n, d)`` into images ``(n, 1, 28, 28)`` in [0, 1] (float32, CPU)."""
    model, runtime = _load(name), get_runtime()
    z = torch.as_tensor(z, dtype=torch.float32)
    if z.dim() != 2:
        raise ValueError(f"z must have shape (n, latent_dim), got {tuple(z.shape)}")
    out = []
    with runtime.autocast():
        for i in range(0, z.shape[0], batch_size):
            chunk_cond = {k: v[i:i + batch_size] if torch.is_tensor(v) else v for k, v in cond.items()}
            out.append(model.decode(z[i:i + batch_size], **chunk_cond).float().cpu())
    return torch.cat(out) if out else torch.empty(0, 1, 28, 28)


def generate(name: str, n: int, seed: int = 0, **cond) -> torch.Tensor:
    """``n`` samples ``(n, 1, 28, 28)`` in [0, 1] from a Fashion-MNIST generator checkpoint.

    Deterministic for a given seed; the checkpoint is loaded once and cached.
    """
    if int(n) < 0:
        raise ValueError("n must be >= 0")
    z = latents(name, n, seed, **cond)
    return decode(name, z, **cond)


def classify(images: torch.Tensor) -> list[str]:
    """The judge classifier's verdict on ``(n, 1, 28, 28)`` images in [0, 1]: a class name each."""
    from .data import FMNIST_CLASSES
    from .evaluate import judge_predict
    logits, _ = judge_predict(torch.as_tensor(images, dtype=torch.float32))
    return [FMNIST_CLASSES[i] for i in logits.argmax(1).tolist()]


@torch.no_grad()
def encode(name: str, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode images ``(n, 1, 28, 28)`` in [0, 1] with a VAE checkpoint: (μ, log σ²), each ``(n, d)``.

    ``(n, 28, 28)`` is accepted too, and uint8 images are scaled by 1/255.
    """
    model, runtime = _load(name), get_runtime()
    if not hasattr(model, "encode"):
        raise TypeError(f"{name} has no encoder; encode() needs a VAE checkpoint such as vae2d-fmnist")
    x = _as_images(images)
    mus, logvars = [], []
    with runtime.autocast():
        for chunk in x.split(batch_size):
            mu, logvar = model.encode(runtime.tensor(chunk))
            mus.append(mu.float().cpu())
            logvars.append(logvar.float().cpu())
    if not mus:
        return torch.empty(0, model.latent_dim), torch.empty(0, model.latent_dim)
    return torch.cat(mus), torch.cat(logvars)


def _as_images(images) -> torch.Tensor:
    """Float ``(n, 1, 28, 28)`` in [0, 1] from such a tensor, from ``(n, 28, 28)``, or from uint8."""
    x = torch.as_tensor(images)
    x = x.float().div(255) if x.dtype == torch.uint8 else x.float()
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (n, 28, 28) -> (n, 1, 28, 28)
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (n, 1, 28, 28), got {tuple(x.shape)}")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"images must lie in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")
    return x
