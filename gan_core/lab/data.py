"""The 2-D data sets of the training lab, seeded, each with its modes and σ.

The ring and the grid are the mode-collapse benchmarks of VEEGAN (Srivastava et al., 2017,
https://arxiv.org/abs/1705.07761) and PacGAN (Lin et al., 2018, https://arxiv.org/abs/1712.04086):

* ``ring8``  — 8 Gaussians on a circle of radius 2, σ = 0.02;
* ``grid25`` — 25 Gaussians at {-4, -2, 0, 2, 4}², spacing 2, σ = 0.05.

Three teaching sets follow GAN Lab (Kahng et al., 2018, https://arxiv.org/abs/1809.01587):
a line, three disjoint regions and "draw your own" (each drawn point is a Gaussian of σ = 0.1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

DRAWN_SIGMA = 0.1   # σ of each Gaussian around a drawn point
MAX_DRAWN = 200     # most points a user may draw


def _ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF Φ(x), in float64 (torch's, which spares the server scipy at start-up)."""
    return torch.special.ndtr(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()


@dataclass(frozen=True)
class Dataset2D:
    """A distribution on the plane. ``modes`` is ``(M, 2)`` for mixtures of M Gaussians, else None."""
    name: str
    title: str
    extent: float                    # the figure shows [-extent, extent]²
    modes: np.ndarray | None = None  # (M, 2) means of an equal-weight Gaussian mixture
    sigma: float = 0.0               # the mixture's σ (isotropic)
    kind: str = "mixture"            # "mixture", "line" or "regions"
    means: torch.Tensor | None = field(init=False, repr=False, compare=False)  # ``modes`` as float32

    def __post_init__(self):
        modes = None if self.modes is None else torch.as_tensor(self.modes, dtype=torch.float32)
        object.__setattr__(self, "means", modes)   # built once, not at every batch

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """``n`` points ``(n, 2)`` drawn with ``gen`` (same generator state -> same points)."""
        if self.kind == "mixture":
            idx = torch.randint(len(self.means), (n,), generator=gen)
            return self.means[idx] + self.sigma * torch.randn(n, 2, generator=gen)  # (M, 2)[idx] -> (n, 2)
        if self.kind == "line":
            t = torch.rand(n, 1, generator=gen) * 2 - 1                          # (n, 1) in [-1, 1)
            return torch.cat([2.0 * t, 1.0 * t], 1) + 0.02 * torch.randn(n, 2, generator=gen)
        # three disjoint regions: a square, a disc and a thin bar, chosen with equal probability
        which = torch.randint(3, (n,), generator=gen)
        u = torch.rand(n, 2, generator=gen)                                      # (n, 2) in [0, 1)
        square = torch.stack([-2.0 + 1.0 * u[:, 0], 0.5 + 1.0 * u[:, 1]], 1)
        r, a = 0.6 * u[:, 0].sqrt(), 2 * math.pi * u[:, 1]
        disc = torch.stack([1.5 + r * a.cos(), 1.0 + r * a.sin()], 1)
        bar = torch.stack([-1.5 + 3.0 * u[:, 0], -1.6 + 0.3 * u[:, 1]], 1)
        return torch.where((which == 0)[:, None], square, torch.where((which == 1)[:, None], disc, bar))

    def cell_probs(self, edges: np.ndarray) -> np.ndarray:
        """Probability of each cell of the grid ``edges × edges`` -> ``(len(edges)-1,)²``, rows = y.

        Exact for mixtures (products of normal CDF differences), else a 200k-sample histogram.
        """
        if self.kind == "mixture":
            cx = _ndtr((edges[None, :] - self.modes[:, :1]) / self.sigma)  # (M, E) CDF along x
            cy = _ndtr((edges[None, :] - self.modes[:, 1:]) / self.sigma)  # (M, E) CDF along y
            px, py = np.diff(cx, axis=1), np.diff(cy, axis=1)              # (M, E-1)
            return np.einsum("my,mx->yx", py, px) / len(self.modes)
        pts = self.sample(200_000, torch.Generator().manual_seed(12345)).numpy()
        hist, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=[edges, edges])
        return hist / len(pts)


def ring8() -> Dataset2D:
    angles = 2 * np.pi * np.arange(8) / 8
    modes = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    return Dataset2D("ring8", "Ring of 8 Gaussians (radius 2, σ = 0.02)", 3.0, modes, 0.02)


def grid25() -> Dataset2D:
    axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    modes = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    return Dataset2D("grid25", "5×5 grid of 25 Gaussians (spacing 2, σ = 0.05)", 5.5, modes, 0.05)


def line() -> Dataset2D:
    return Dataset2D("line", "A line segment from (-2, -1) to (2, 1)", 3.0, kind="line")


def regions() -> Dataset2D:
    return Dataset2D("regions", "Three disjoint regions: a square, a disc, a bar", 3.0, kind="regions")


def drawn(points) -> Dataset2D:
    """The user's points ``(M, 2)``, each the mean of a Gaussian of σ = ``DRAWN_SIGMA``."""
    modes = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not 1 <= len(modes) <= MAX_DRAWN:
        raise ValueError(f"draw between 1 and {MAX_DRAWN} points")
    return Dataset2D("drawn", f"Your {len(modes)} points (σ = {DRAWN_SIGMA} each)", 3.0, modes, DRAWN_SIGMA)


DATASETS = {"ring8": ring8, "grid25": grid25, "line": line, "regions": regions}


def get(name: str, points=None) -> Dataset2D:
    return drawn(points) if name == "drawn" else DATASETS[name]()
