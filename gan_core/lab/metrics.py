"""Mode-collapse measures of VEEGAN (Srivastava et al., 2017, https://arxiv.org/abs/1705.07761)
and PacGAN (Lin et al., 2018, https://arxiv.org/abs/1712.04086), and a reverse KL on a grid.

Definitions used here (stated on the tab and in the benchmark):

* a generated sample is **high quality** if it lies within 3σ (Euclidean distance) of the mean of
  its nearest mode;
* a mode is **covered** if it is the nearest mode of at least one high-quality sample;
* both are measured on 2500 samples, as in PacGAN;
* **reverse KL** KL(p_G ‖ p_data) = Σ_cells q log(q / p) over a 50×50 grid of the figure's square
  [-extent, extent]²; q is the share of samples per cell (samples outside the square are dropped),
  p the data's exact cell probability mixed with 10⁻⁴ of a uniform distribution so that a sample in
  an empty cell costs a finite amount.
"""
from __future__ import annotations

import numpy as np

from .data import Dataset2D

N_EVAL = 2500
KL_BINS = 50
KL_UNIFORM = 1e-4


def nearest_mode(points: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """``points`` ``(N, 2)``, ``modes`` ``(M, 2)`` -> the index of each point's nearest mode ``(N,)``."""
    d2 = (points ** 2).sum(1)[:, None] - 2 * points @ modes.T + (modes ** 2).sum(1)[None]  # (N, M) ‖p − m‖²
    return d2.argmin(1)


def mode_stats(points: np.ndarray, modes: np.ndarray, sigma: float) -> dict:
    """``points`` ``(N, 2)``, ``modes`` ``(M, 2)`` -> modes covered, high-quality share, per-mode counts."""
    points = np.asarray(points, dtype=np.float64)
    nearest = nearest_mode(points, modes)                                # (N,)
    hq = np.linalg.norm(points - modes[nearest], axis=1) <= 3 * sigma     # exact distance to that mode
    counts = np.bincount(nearest[hq], minlength=len(modes))              # (M,) high-quality per mode
    return {"modes": int((counts > 0).sum()), "n_modes": len(modes),
            "hq": float(hq.mean()) if len(points) else 0.0, "counts": counts}


_CELLS: dict = {}  # (data set, bins) -> the mixed cell probabilities; a frame needs them every time


def _cell_probs(dataset: Dataset2D, bins: int) -> np.ndarray:
    key = (dataset.name, dataset.kind, dataset.extent, dataset.sigma,
           None if dataset.modes is None else dataset.modes.tobytes(), bins)
    if key not in _CELLS:
        if len(_CELLS) > 64:  # drawn sets are many; keep the cache small
            _CELLS.clear()
        edges = np.linspace(-dataset.extent, dataset.extent, bins + 1)
        p = dataset.cell_probs(edges)
        _CELLS[key] = (1 - KL_UNIFORM) * p / p.sum() + KL_UNIFORM / p.size
    return _CELLS[key]


def reverse_kl(points: np.ndarray, dataset: Dataset2D, bins: int = KL_BINS) -> float:
    """KL(p_G ‖ p_data) on a ``bins × bins`` grid over the data set's square (see module docstring)."""
    edges = np.linspace(-dataset.extent, dataset.extent, bins + 1)
    p = _cell_probs(dataset, bins)
    points = np.asarray(points, dtype=np.float64)
    q, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=[edges, edges])
    if q.sum() == 0:
        return float("inf")
    q = q / q.sum()
    mask = q > 0
    return float((q[mask] * np.log(q[mask] / p[mask])).sum())


def evaluate(points: np.ndarray, dataset: Dataset2D) -> dict:
    """All measures for ``points`` ``(N, 2)``; mode measures only for mixtures."""
    out = {"reverse_kl": reverse_kl(points, dataset)}
    if dataset.modes is not None:
        out.update(mode_stats(points, dataset.modes, dataset.sigma))
    return out
