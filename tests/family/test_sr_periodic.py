"""``gan_core.sr.metrics.periodic_artifacts``: the spectral peaks at the 2- and 4-pixel periods (the
checkerboard of a ×4 upsampler) of an output relative to those of the original, on synthetic images."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from gan_core.sr import metrics as sr_metrics


def photo(size: int = 192, seed: int = 0) -> np.ndarray:
    """A grey "photo": 1/f noise (the spectrum of natural images) plus a sharp edge, ``(H, W, 3) uint8``."""
    rng = np.random.default_rng(seed)
    fy, fx = np.fft.fftfreq(size)[:, None], np.fft.fftfreq(size)[None, :]
    noise = rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))
    spectrum = noise / np.maximum(np.hypot(fy, fx), 1 / size)
    field = np.fft.ifft2(spectrum).real
    grey = 128 + 30 * (field - field.mean()) / field.std()
    grey[size // 3:size // 2] += 40                                          # a bright band with sharp edges
    return np.repeat(np.clip(grey, 0, 255).round().astype(np.uint8)[..., None], 3, axis=2)


def with_pattern(image: np.ndarray, tile: np.ndarray) -> np.ndarray:
    """``image`` plus ``tile`` repeated over it (grey levels), like the fixed pattern of a sub-pixel upsampler."""
    h, w = image.shape[:2]
    reps = np.tile(tile, (h // tile.shape[0] + 1, w // tile.shape[1] + 1))[:h, :w]
    return np.clip(image.astype(np.float64) + reps[..., None], 0, 255).round().astype(np.uint8)


# a zero-mean 4x4 tile, RMS 2 grey levels: what a x4 PixelShuffle leaves in flat regions
TILE4 = np.random.default_rng(1).normal(size=(4, 4))
TILE4 = 2.0 * (TILE4 - TILE4.mean()) / (TILE4 - TILE4.mean()).std()


def test_the_clean_image_scores_1_against_itself():
    hr = photo()
    assert sr_metrics.periodic_artifacts(hr, hr) == pytest.approx(1.0, abs=1e-12)
    # a natural image has no peak: its energy on the 15 bins is about that of their neighbourhoods
    y = sr_metrics.luminance(hr)
    assert sr_metrics.periodic_energy(y) == pytest.approx(0.90, abs=0.01)   # about 1 (0.78 .. 1.33 over seeds 0-3)
    assert sr_metrics.periodic_amplitude(y) < 0.3                         # Y levels: next to nothing


def test_a_4_pixel_pattern_scores_well_above_1():
    hr = photo()
    sr = with_pattern(hr, TILE4)
    ratio = sr_metrics.periodic_artifacts(sr, hr)
    assert ratio == pytest.approx(5.18, abs=0.05)                   # 3.6 .. 6.9 over seeds 0-3
    # the amplitude comes back: RMS 2 grey levels is 2 * 219 / 255 = 1.72 Y levels (a little rounding noise aside)
    y_sr = sr_metrics.shave(sr_metrics.luminance(sr), 4)
    assert sr_metrics.periodic_amplitude(y_sr) == pytest.approx(2.0 * 219 / 255, rel=0.1)
    # half the amplitude (RMS 1 grey level) scores lower, still clearly above 1
    weak = sr_metrics.periodic_artifacts(with_pattern(hr, TILE4 / 2), hr)
    assert 1.4 < weak < ratio, weak                                     # 1.63 (1.28 .. 2.33 over seeds)


def test_a_2_pixel_checkerboard_scores_above_1():
    hr = photo()
    checker = 2.0 * np.array([[1.0, -1.0], [-1.0, 1.0]])             # all its energy at (1/2, 1/2) cycle per pixel
    assert sr_metrics.periodic_artifacts(with_pattern(hr, checker), hr) > 3.0      # 5.22 (4.1 .. 5.2 over seeds)


def test_smooth_blur_and_broadband_noise_do_not_count():
    hr = photo()
    blurred = np.clip(gaussian_filter(hr.astype(np.float64), sigma=(1.5, 1.5, 0)), 0, 255).round().astype(np.uint8)
    assert sr_metrics.periodic_artifacts(blurred, hr) <= 1.0       # 0.58 (0.47 .. 0.68 over seeds 0-4)
    # random (non-periodic) detail at every frequency, 1/4 and 1/2 cycle per pixel included: about 1
    noise = np.random.default_rng(2).normal(0, 4, hr.shape[:2])[..., None]
    noisy = np.clip(hr + noise, 0, 255).round().astype(np.uint8)
    assert 0.8 < sr_metrics.periodic_artifacts(noisy, hr) < 1.25   # 1.05 (0.88 .. 1.07 over seeds 0-4)
    # the same noise with the pattern on top is still caught
    assert sr_metrics.periodic_artifacts(with_pattern(noisy, TILE4), hr) > 2.0


def test_shapes_and_errors():
    hr = photo(64)
    with pytest.raises(ValueError, match="differ in size"):
        sr_metrics.periodic_artifacts(hr, hr[:32, :32])
    with pytest.raises(ValueError, match="too small"):
        sr_metrics.periodic_energy(np.zeros((12, 40)))
    # crops to a multiple of the period: an odd size gives the figure of its cropped part
    y = sr_metrics.luminance(photo(70))
    assert sr_metrics.periodic_energy(y) == pytest.approx(sr_metrics.periodic_energy(y[:68, :68]))
