"""Fake data for smoke tests and ``--dry-run``: shaped like the real data, made from a seed."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def fake_fmnist(n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random blobs shaped like Fashion-MNIST: uint8 ``(n, 28, 28)`` images and labels ``(n,)``."""
    g = torch.Generator().manual_seed(seed)
    images = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
    return images, torch.randint(0, 10, (n,), generator=g)


def fake_photos(n: int = 8, size: int = 128, seed: int = 0) -> list[np.ndarray]:
    """Smooth random colour fields with edges, for --dry-run and tests."""
    g = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        coarse = g.integers(0, 256, (size // 16, size // 16, 3), dtype=np.uint8)
        img = np.asarray(Image.fromarray(coarse).resize((size, size), Image.BICUBIC)).copy()
        img[size // 3: size // 2] = 255 - img[size // 3: size // 2]  # a sharp horizontal edge
        out.append(img)
    return out
