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
``periodic_artifacts`` is not in the paper either: the spectral peaks of an output at the 2- and 4-pixel
periods (the checkerboard of a ×4 upsampler) relative to those of the original (1 = none added).

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


def _hann(n: int) -> np.ndarray:
    """The periodic ("DFT-even") Hann window: a tone on an exact DFT bin spreads over it and its 2 neighbours only."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def _periodic_peaks(y: np.ndarray, period: int, core: int, band: int) -> tuple[float, float, float]:
    """Steps 1-3 of ``periodic_energy``: (sum of core sums, sum of band means x core size, Parseval norm)."""
    y = np.asarray(y, np.float64)
    n, m = y.shape[0] - y.shape[0] % period, y.shape[1] - y.shape[1] % period
    if min(n, m) < 2 * band + 1:
        raise ValueError(f"image {y.shape} too small for a band of {band} bins")
    window = np.outer(_hann(n), _hann(m))
    power = np.abs(np.fft.fft2((y[:n, :m] - y[:n, :m].mean()) * window)) ** 2
    d = np.arange(-band, band + 1)
    dist = np.maximum(np.abs(d)[:, None], np.abs(d)[None, :])          # Chebyshev distance from the bin
    in_core, in_band = dist <= core, dist >= core + 2
    peak = background = 0.0
    for k in range(period):
        for l in range(period):
            if k or l:
                near = power[np.ix_((k * n // period + d) % n, (l * m // period + d) % m)]
                peak += near[in_core].sum()
                background += near[in_band].mean() * in_core.sum()
    return peak, background, n * m * float(np.sum(window ** 2))


def periodic_energy(y: np.ndarray, period: int = 4, core: int = 1, band: int = 8) -> float:
    """How much the spectrum of ``y`` peaks at the harmonics of a ``period``-pixel grid (about 1: no peak).

    1. ``y`` is cropped (bottom/right) to ``N x M``, multiples of ``period``; its mean is removed and it is
       multiplied by a separable periodic Hann window (so the image's borders leave no spectral cross);
    2. ``P = |FFT2|^2``; the grid's harmonics are the bins ``(k N/period, l M/period)``, k, l in
       0 .. period-1 except (0, 0): for ``period=4`` the 15 bins of spatial frequencies 0, 1/4, 1/2 (and -1/4)
       cycles per pixel vertically and horizontally, i.e. the 4- and 2-pixel periods and their combinations;
    3. for each of them, ``core`` = ``P`` summed over the bins at Chebyshev distance <= ``core`` (3x3: where the
       window puts all of a pattern that repeats exactly every 2 or 4 pixels) and ``background`` = the mean of
       ``P`` over its surrounding band, distance ``core + 2 .. band`` (one ring left out for the window's
       leakage), times the number of core bins: what the core would hold with no peak;
    4. returns ``sum(core) / sum(background)`` over the 15 bins (energy-weighted: the strongest bins count most).

    A periodic pattern is a line spectrum, all its energy on those bins; natural content (edges, textures,
    blur, noise) has a smooth spectrum, about as strong on the bins as next to them, so it cancels: the
    figure measures a periodic pattern against the image's own detail at those frequencies, not how much
    detail an image has at 1/4 or 1/2 cycle per pixel.
    """
    peak, background, _ = _periodic_peaks(y, period, core, band)
    return float(peak / max(background, 1e-12))


def periodic_amplitude(y: np.ndarray, period: int = 4, core: int = 1, band: int = 8) -> float:
    """RMS (in the units of ``y``: Y levels) of the ``period``-periodic pattern in ``y``, from its spectral peaks.

    ``sqrt(max(sum(core) - sum(background), 0) / (N M sum(window^2)))`` with the sums of ``periodic_energy``
    (Parseval): the absolute size of the pattern, where ``periodic_energy`` is its size relative to the
    image's own content at the same frequencies. Natural content leaves about 0 (within its randomness).
    """
    peak, background, norm = _periodic_peaks(y, period, core, band)
    return float(np.sqrt(max(peak - background, 0.0) / norm))


def periodic_artifacts(sr: np.ndarray, hr: np.ndarray, scale: int = 4) -> float:
    """Periodic (checkerboard) energy of the output at the 2- and 4-pixel periods relative to the original.

    ``periodic_energy`` of the output's Y over that of the original's (same mod-crop and shave as ``psnr``):
    1 = the spectrum peaks at 1/4 and 1/2 cycle per pixel (and their combinations) no more than the real
    photo's; > 1 = a periodic pattern, e.g. what a ×4 sub-pixel or transposed-convolution upsampler leaves in
    flat regions; < 1 = less than the original: a moderate blur of a photo (its spectrum falling faster on the
    bins than around them) and PIL's bicubic (whose kernel has zeros there) score below 1. A natural image's
    own ``periodic_energy`` scatters about 1 (about 0.5 .. 1.7 on Set5 / Set14), so for one picture only
    ratios well above that, say > 2, mean a pattern; ``periodic_amplitude`` gives its size in Y levels.
    """
    y_sr, y_hr = _pair_y(sr, hr, scale)
    return periodic_energy(y_sr) / periodic_energy(y_hr)


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
