"""Super-resolution metrics with the protocol of Ledig et al. 2017 (SRGAN, https://arxiv.org/abs/1609.04802).

The paper's Table 2 figures are computed

1. on images cropped to a multiple of the scale (``gan_core.sr.data.mod_crop``), the LR input
   being the bicubic, antialiased ×4 downscale of that crop (``gan_core.sr.data.downscale``);
2. on the luminance Y of ITU-R BT.601 (``luminance``: Y in [16, 235]);
3. after shaving ``scale`` pixels from each border (``shave``);
4. with PSNR and SSIM (Wang et al. 2004: 11×11 Gaussian window, sigma 1.5) from scikit-image.

``sharpness`` is not in the paper's tables: it is the high-frequency energy of an output
relative to the original, which makes the perception-distortion trade-off a number too
(bicubic and MSE-trained networks give blurry outputs, well below 1; a GAN comes closer to 1).

Every function takes and returns ``numpy`` arrays: ``(H, W, 3)`` or ``(H, W)`` ``uint8``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import pictures
from .data import mod_crop

# BT.601's Y of an 8-bit image spans [16, 235]; the paper's PSNR uses the 8-bit peak, 255.
DATA_RANGE = 255.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma Y in [16, 235] as float64, ``(H, W, 3) -> (H, W)`` (not rounded)."""
    from skimage.color import rgb2ycbcr
    return rgb2ycbcr(rgb)[..., 0]


def shave(image: np.ndarray, border: int) -> np.ndarray:
    return image[border:-border, border:-border] if border > 0 else image


def _pair_y(sr: np.ndarray, hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    sr, hr = pictures.as_rgb(sr), pictures.as_rgb(mod_crop(pictures.as_rgb(hr), scale))
    if sr.shape != hr.shape:
        raise ValueError(f"output {sr.shape} and original {hr.shape} differ in size")
    return shave(luminance(sr), scale), shave(luminance(hr), scale)


def _psnr_y(y_sr: np.ndarray, y_hr: np.ndarray) -> float:
    from skimage.metrics import peak_signal_noise_ratio
    return float(peak_signal_noise_ratio(y_hr, y_sr, data_range=DATA_RANGE))


def _ssim_y(y_sr: np.ndarray, y_hr: np.ndarray) -> float:
    from skimage.metrics import structural_similarity
    return float(structural_similarity(y_hr, y_sr, data_range=DATA_RANGE, gaussian_weights=True,
                                       sigma=1.5, use_sample_covariance=False))


def psnr(sr: np.ndarray, hr: np.ndarray, scale: int = 4) -> float:
    """PSNR in dB on Y, ``scale`` pixels shaved from each border (``hr`` is mod-cropped here)."""
    return _psnr_y(*_pair_y(sr, hr, scale))


def ssim(sr: np.ndarray, hr: np.ndarray, scale: int = 4) -> float:
    """SSIM on Y as in Wang et al. 2004 (Gaussian window, sigma 1.5, population covariance)."""
    return _ssim_y(*_pair_y(sr, hr, scale))


def high_frequency_energy(y: np.ndarray) -> float:
    """Mean squared response of a Laplacian filter: the energy of the finest details."""
    from scipy.ndimage import laplace
    return float(np.mean(laplace(y.astype(np.float64)) ** 2))


def _sharpness_y(y_sr: np.ndarray, y_hr: np.ndarray) -> float:
    return high_frequency_energy(y_sr) / max(high_frequency_energy(y_hr), 1e-12)


def sharpness(sr: np.ndarray, hr: np.ndarray, scale: int = 4) -> float:
    """High-frequency energy of the output relative to the original (1 = as sharp as HR)."""
    return _sharpness_y(*_pair_y(sr, hr, scale))


@dataclass(frozen=True)
class Scores:
    psnr: float      # dB, Y channel
    ssim: float      # Y channel
    sharpness: float  # high-frequency energy / that of the original

    def as_dict(self) -> dict:
        return {"psnr": self.psnr, "ssim": self.ssim, "sharpness": self.sharpness}


def score(sr: np.ndarray, hr: np.ndarray, scale: int = 4) -> Scores:
    """``psnr``, ``ssim`` and ``sharpness`` at once, the luminance of each picture computed once."""
    y_sr, y_hr = _pair_y(sr, hr, scale)
    return Scores(_psnr_y(y_sr, y_hr), _ssim_y(y_sr, y_hr), _sharpness_y(y_sr, y_hr))


def error_map(sr: np.ndarray, hr: np.ndarray, scale: int = 4, vmax: float = 32.0) -> np.ndarray:
    """Per-pixel |Y_sr - Y_hr| as a colour heatmap ``(H, W, 3) uint8`` (black 0 ... white >= vmax).

    Computed on the whole image (borders included) so it lines up with the panels.
    """
    err = np.abs(luminance(pictures.as_rgb(sr)) - luminance(pictures.as_rgb(mod_crop(pictures.as_rgb(hr), scale))))
    t = np.clip(err / vmax, 0.0, 1.0)
    # a perceptually ordered black -> purple -> orange -> yellow -> white ramp ("inferno"-like)
    stops = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    colours = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], float)
    rgb = np.stack([np.interp(t, stops, colours[:, c]) for c in range(3)], axis=-1)
    return rgb.round().astype(np.uint8)
