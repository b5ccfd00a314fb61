"""Mathieu et al.'s (2016) image-quality measures, per frame, optionally restricted to a mask.

All take frames ``(N, H, W)`` in [0, 1] (prediction, truth) and an optional bool ``mask
(N, H, W)``: the moving regions (``data.moving_regions``), since a mostly black frame makes
whole-frame figures flatter than the items deserve. Each returns one value per frame, ``(N,)``.

* PSNR = 10 log10(1 / MSE), the peak being 1.
* SSIM (Wang et al. 2004) with an 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03, as
  ``skimage.metrics.structural_similarity(..., gaussian_weights=True, use_sample_covariance=False)``:
  the SSIM map is computed where the window fits ("valid", 54x54 of a 64x64 frame) and averaged,
  over the mask's part of that area when there is a mask.
* Sharpness difference (the paper's Eq. 12): 10 log10(1 / mean |(grad_i Y + grad_j Y) -
  (grad_i P + grad_j P)|), with grad_i Y_ij = |Y_ij - Y_i-1,j|, grad_j Y_ij = |Y_ij - Y_i,j-1|,
  over i, j >= 1. Like PSNR it grows as the prediction's edges match the truth's: a blurred
  prediction has weak gradients where the truth has strong ones and scores low.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

SSIM_SIGMA, SSIM_WINDOW = 1.5, 11
_FLOOR = 1e-10  # identical frames: PSNR and sharpness 100 dB instead of infinity


def _masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the last two dimensions, over ``mask`` only when given: ``(N, h, w) -> (N,)``."""
    if mask is None:
        return values.mean((-2, -1))
    m = mask.to(values.dtype)
    return (values * m).sum((-2, -1)) / m.sum((-2, -1)).clamp_min(1)


def _check(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if pred.shape != target.shape or pred.dim() != 3:
        raise ValueError(f"expected two (N, H, W) frame batches of the same shape, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    return pred.double(), target.double()


def psnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, peak 1: ``(N,)``."""
    pred, target = _check(pred, target)
    mse = _masked_mean((pred - target) ** 2, mask)
    return 10 * torch.log10(1 / mse.clamp_min(_FLOOR))


def _gaussian_window(device) -> torch.Tensor:
    r = torch.arange(SSIM_WINDOW, dtype=torch.float64, device=device) - SSIM_WINDOW // 2
    g = torch.exp(-r ** 2 / (2 * SSIM_SIGMA ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).view(1, 1, SSIM_WINDOW, SSIM_WINDOW)


def ssim(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Structural similarity (data range 1), the mean of the valid SSIM map: ``(N,)``."""
    pred, target = _check(pred, target)
    w = _gaussian_window(pred.device)
    x, y = pred.unsqueeze(1), target.unsqueeze(1)                       # (N, 1, H, W)
    blur = lambda t: F.conv2d(t, w)                                     # noqa: E731  (N, 1, H-10, W-10)
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    smap = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    pad = SSIM_WINDOW // 2
    inner = None if mask is None else mask[..., pad:-pad, pad:-pad]
    return _masked_mean(smap[:, 0], inner)


def gradient_sum(frames: torch.Tensor) -> torch.Tensor:
    """grad_i + grad_j of Mathieu's Eq. 12 at i, j >= 1: ``(N, H, W) -> (N, H-1, W-1)``."""
    gi = (frames[..., 1:, 1:] - frames[..., :-1, 1:]).abs()
    gj = (frames[..., 1:, 1:] - frames[..., 1:, :-1]).abs()
    return gi + gj


def sharpness(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mathieu's sharpness difference in dB (Eq. 12), peak 1: ``(N,)``; higher = edges closer to the truth's."""
    pred, target = _check(pred, target)
    diff = (gradient_sum(target) - gradient_sum(pred)).abs()
    inner = None if mask is None else mask[..., 1:, 1:]
    return 10 * torch.log10(1 / _masked_mean(diff, inner).clamp_min(_FLOOR))


def frame_scores(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """PSNR, SSIM and sharpness on the whole frame and on the moving regions: name -> ``(N,)``."""
    return {"psnr": psnr(pred, target), "ssim": ssim(pred, target), "sharpness": sharpness(pred, target),
            "psnr_moving": psnr(pred, target, mask), "ssim_moving": ssim(pred, target, mask),
            "sharpness_moving": sharpness(pred, target, mask)}


def mean_finite(values: torch.Tensor) -> float:
    v = values[torch.isfinite(values)]
    return float(v.mean()) if v.numel() else math.nan
