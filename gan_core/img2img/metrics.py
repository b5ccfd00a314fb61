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


# --- per-pixel ab-error AuC (Zhang, Isola & Efros 2016, "Colorful Image Colorization", Table 1) ------

AUC_THRESHOLDS = np.arange(151)  # thresholds t = 0, 1, ..., 150 on the ab distance, as in the paper
AB_GRID = 10                     # the paper's quantisation of the ab plane: bins 10 units wide
_AB_HALF = 12                    # bins centred on -120, -110, ..., 120 per axis (sRGB's ab lies within +-110)
AB_N_BINS = (2 * _AB_HALF + 1) ** 2


def lab_ab(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3) uint8`` RGB -> its CIELAB (a, b), float ``(H, W, 2)`` (skimage's ``rgb2lab``, D65,
    the conversion of ``color_scores``). An ``(H, W, 2)`` array is taken to be (a, b) already."""
    image = np.asarray(image)
    if image.shape[-1] == 2:
        return image.astype(np.float64)
    from skimage.color import rgb2lab
    return rgb2lab(image)[..., 1:]


def ab_bins(image: np.ndarray) -> np.ndarray:
    """The ab bin of each pixel (flat index into ``AB_N_BINS``): a and b each rounded to the nearest
    multiple of ``AB_GRID`` (the paper's grid of 10; its 313 in-gamut bins are among these)."""
    q = np.clip(np.rint(lab_ab(image) / AB_GRID).astype(np.int64), -_AB_HALF, _AB_HALF) + _AB_HALF
    return q[..., 0] * (2 * _AB_HALF + 1) + q[..., 1]


def ab_prior(photos) -> np.ndarray:
    """The empirical probability of each ab bin over all the pixels of ``photos`` pooled (RGB or ab
    arrays; a large photo counts by its pixels). Estimate it on training photos, never test ones."""
    counts = np.zeros(AB_N_BINS)
    for photo in photos:
        counts += np.bincount(ab_bins(photo).ravel(), minlength=AB_N_BINS)
    if not counts.sum():
        raise ValueError("no pixels to estimate the ab prior from")
    return counts / counts.sum()


def rebalancing_weights(original: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Each pixel's weight ``(H, W)``: 1 / prior of the ab bin of its ORIGINAL (ground-truth) colour,
    normalised to sum to 1 over the image. A bin the prior never saw is given the probability of the
    rarest bin it saw (so the largest weight seen: an unseen colour is at least as rare as any seen)."""
    prior = np.asarray(prior, dtype=np.float64)
    p = np.where(prior > 0, prior, prior[prior > 0].min())
    w = 1.0 / p[ab_bins(original)]
    return w / w.sum()


def ab_error_curve(output: np.ndarray, original: np.ndarray, weights: np.ndarray | None = None,
                   thresholds: np.ndarray = AUC_THRESHOLDS) -> np.ndarray:
    """The (weighted) fraction of pixels whose (a, b) lies within ``t`` of the original's, for each
    integer ``t`` of ``thresholds``: Euclidean distance in CIELAB's ab plane, ``distance <= t``."""
    dist = np.linalg.norm(lab_ab(output) - lab_ab(original), axis=-1).ravel()
    w = np.ones(dist.size) if weights is None else np.asarray(weights, np.float64).ravel()
    if w.shape != dist.shape:
        raise ValueError(f"{w.size} weights for {dist.size} pixels")
    first = np.minimum(np.ceil(dist), thresholds[-1] + 1).astype(np.int64)  # first threshold t >= distance
    curve = np.cumsum(np.bincount(first, weights=w, minlength=thresholds[-1] + 2))[thresholds]
    return curve / w.sum()


def ab_error_auc(output: np.ndarray, original: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Area under ``ab_error_curve`` for t = 0..150, normalised to [0, 1] (the curve's mean over the 151
    thresholds): Zhang, Isola & Efros (2016), "Colorful Image Colorization", ECCV, Sec. 3.1, Table 1.

    * ``weights=None``: every pixel counts alike, the paper's "AuC, non-rebal".
    * ``weights=rebalancing_weights(original, ab_prior(training_photos))``: the class-rebalanced AuC,
      each pixel weighted by the inverse prior probability of its ground-truth ab bin (grid of 10).

    ``output`` and ``original`` are ``(H, W, 3) uint8`` RGB (or ``(H, W, 2)`` (a, b) arrays). 1.0: every
    pixel has the original's ab; a pixel off by ``d`` adds (151 - ceil(d)) / 151 of its weight (0 beyond
    150). A grey output is rewarded for the original's near-grey pixels, which rebalancing weighs least.

    Choices where the paper's description leaves room: a distance ``d`` counts at threshold ``t`` when
    ``d <= t``; the area is the plain mean of the curve over the 151 integer thresholds (not the
    trapezoid rule); the prior pools all the pixels of the training photos and is not smoothed (the
    paper's Gaussian smoothing and uniform mix belong to its training loss, Eq. 4); a bin unseen in
    training gets the rarest seen bin's probability (``rebalancing_weights``); the weights sum to 1
    per image, so a set's figure is the mean over its images, every image counting alike, as for the
    raw AuC (pooling the set's pixels instead lets its few rare-coloured photos decide the figure).
    """
    return float(ab_error_curve(output, original, weights).mean())
