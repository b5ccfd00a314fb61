"""The latent prior shared by the suite's generators."""
from __future__ import annotations

import torch


def standard_normal(n: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws of z ~ N(0, I_dim), shape ``(n, dim)``, drawn row by row.

    Row by row, the first k codes of ``n`` samples are the same for every n >= k, so raising
    the "number of samples" slider keeps the samples already on screen.
    """
    if n == 0:
        return torch.empty(0, dim)
    return torch.stack([torch.randn(dim, generator=generator) for _ in range(n)])
