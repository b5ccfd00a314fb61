"""Sampling from any Fashion-MNIST generator checkpoint: GANs and VAEs alike.

    >>> import gan_core
    >>> x = gan_core.generate("dcgan-fmnist", 16, seed=0)   # (16, 1, 28, 28) in [0, 1]

Every such checkpoint offers ``prior(n, generator, **cond)`` (latent codes) and
``decode(z, **cond)`` (images), so one ``generate`` serves them all.
"""
from __future__ import annotations

import torch

from . import checkpoints
from .runtime import get_runtime
from .zerogpu import gpu


def _load(name: str):
    return checkpoints.load(name, get_runtime())


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
