"""Colour figures for colourisation: colourfulness, CIELAB a/b histogram match, PSNR and SSIM."""
from __future__ import annotations

import numpy as np


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of an ``(H, W, 3) uint8`` image (0 = grey)."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


AB_BINS = np.linspace(-128, 128, 129)  # CIELAB a and b, 2 units per bin


def ab_histogram_intersection(output: np.ndarray, original: np.ndarray) -> tuple[float, float]:
    """How well the colours' distribution matches the original's: the intersection of the marginal
    histograms of CIELAB a and of b (1 = same distribution, 0 = disjoint), as pix2pix's Table 5.

    Per-pixel scores (PSNR) punish a plausible but wrong colour more than no colour at all; this one
    asks whether the output has the original's *kind* of colours, wherever they are. A grey image
    puts every pixel at a = b = 0 and scores only the original's share of near-grey pixels.
    """
    from skimage.color import rgb2lab
    lab_out, lab_orig = rgb2lab(output), rgb2lab(original)
    scores = []
    for c in (1, 2):
        h_out, _ = np.histogram(lab_out[..., c], AB_BINS)
        h_orig, _ = np.histogram(lab_orig[..., c], AB_BINS)
        scores.append(float(np.minimum(h_out / h_out.sum(), h_orig / h_orig.sum()).sum()))
    return scores[0], scores[1]


def color_scores(output: np.ndarray, original: np.ndarray) -> dict:
    """PSNR (dB) and SSIM on RGB, the colourfulness of both and the a/b histogram intersections
    (``ab_histogram_intersection``): ``(H, W, 3) uint8`` arrays."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    with np.errstate(divide="ignore"):  # identical images: PSNR = inf
        psnr = float(peak_signal_noise_ratio(original, output, data_range=255))
    hist_a, hist_b = ab_histogram_intersection(output, original)
    return {"psnr": psnr,
            "ssim": float(structural_similarity(original, output, data_range=255, channel_axis=2,
                                                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)),
            "colorfulness": colorfulness(output), "colorfulness_original": colorfulness(original),
            "hist_a": hist_a, "hist_b": hist_b}
