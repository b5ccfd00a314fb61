"""Counting: 1 to 3 shapes on a 64x64 canvas, and an exact counter (Goodfellow 2016, "GANs get the
number of eyes or legs wrong", https://arxiv.org/abs/1701.00160, Sec. 5).

The data set is drawn from a seed: every canvas holds 1, 2 or 3 white shapes (discs and squares,
equally likely) on black, at least ``GAP`` pixels apart, so the number of objects is simply the
number of connected components of the thresholded image. The counter applies the same rule to any
image, and also says *how* a generated canvas went wrong:

* **fragment** - a component smaller than half the smallest shape (a partial object, a speck);
* **merged** - a component larger than the largest shape, or not convex (two shapes grown together).

    >>> images, counts = make_canvases(1000, seed=0)   # uint8 (1000, 64, 64), int64 (1000,) in {1, 2, 3}
    >>> count_objects(images)["count"]                # == counts, exactly
"""
from __future__ import annotations

import numpy as np
import torch

SIZE = 64
COUNTS = (1, 2, 3)          # the counts that occur in the data
RADII = (5, 8)              # disc radius range (pixels)
SIDES = (9, 14)             # square side range (pixels)
GAP = 4                     # minimum distance between two shapes' edges
MARGIN = 2                  # minimum distance to the canvas border
THRESHOLD = 0.5             # ink is a pixel above half the maximum intensity
MIN_AREA = min(np.pi * RADII[0] ** 2, SIDES[0] ** 2)     # the smallest shape's area (~78 px)
MAX_AREA = max(np.pi * RADII[1] ** 2, SIDES[1] ** 2)     # the largest shape's area (~201 px)
SOLIDITY = 0.85             # area / convex-hull area below this: not one convex shape


def _shape_mask(kind: int, cy: float, cx: float, size: float) -> np.ndarray:
    """A boolean (SIZE, SIZE) mask: a disc of radius ``size`` (kind 0) or a square of side ``size`` (kind 1)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] + 0.5                        # pixel centres
    if kind == 0:
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= size ** 2
    half = size / 2
    return (np.abs(yy - cy) <= half) & (np.abs(xx - cx) <= half)


def make_canvases(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` canvases uint8 ``(n, 64, 64)`` with 1-3 shapes each and their counts ``(n,)``.

    Shapes are placed by rejection: a new shape's bounding circle keeps ``GAP`` pixels from every
    earlier one, so components never touch. The same seed gives the same canvases.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, SIZE, SIZE), dtype=np.uint8)
    counts = rng.integers(COUNTS[0], COUNTS[-1] + 1, size=n)
    for i in range(n):
        placed: list[tuple[float, float, float]] = []              # (cy, cx, bounding radius)
        while len(placed) < counts[i]:
            kind = int(rng.integers(2))
            size = rng.uniform(*RADII) if kind == 0 else rng.uniform(*SIDES)
            reach = size if kind == 0 else size / np.sqrt(2)       # radius of the bounding circle
            lo, hi = MARGIN + reach, SIZE - MARGIN - reach
            cy, cx = rng.uniform(lo, hi, size=2)
            if all(np.hypot(cy - y, cx - x) >= reach + r + GAP for y, x, r in placed):
                placed.append((cy, cx, reach))
                images[i][_shape_mask(kind, cy, cx, size)] = 255
    return torch.from_numpy(images), torch.from_numpy(counts.astype(np.int64))


def _solidity(mask: np.ndarray) -> float:
    """Area of a component over the area of its convex hull (1 for a convex shape)."""
    from scipy.spatial import ConvexHull, QhullError
    ys, xs = np.nonzero(mask)
    # pixel corners, so that a one-pixel-wide component still has an area
    pts = np.concatenate([np.stack([ys + dy, xs + dx], 1) for dy in (0, 1) for dx in (0, 1)])
    try:
        return float(len(ys) / ConvexHull(pts).volume)
    except QhullError:
        return 1.0


def analyse(image: np.ndarray) -> dict:
    """One canvas ``(64, 64)`` (uint8 or float in [0, 1]) -> its objects, fragments and merged blobs."""
    x = np.asarray(image, dtype=np.float32)
    if x.max() > 1.0:
        x = x / 255.0
    from scipy import ndimage  # imported on first use: it is not needed to start the server
    labels, k = ndimage.label(x > THRESHOLD, structure=np.ones((3, 3)))   # 8-connected components
    areas = ndimage.sum_labels(np.ones_like(x), labels, index=np.arange(1, k + 1)) if k else np.zeros(0)
    objects = fragments = merged = 0
    for j, area in enumerate(areas, start=1):
        if area < MIN_AREA / 2:
            fragments += 1
            continue
        objects += 1
        if area > 1.15 * MAX_AREA or _solidity(labels == j) < SOLIDITY:
            merged += 1
    return {"count": objects, "fragments": fragments, "merged": merged}


def count_objects(images) -> dict:
    """Canvases ``(n, 64, 64)`` or ``(n, 1, 64, 64)`` -> numpy arrays ``count``, ``fragments``, ``merged`` (n,)."""
    x = torch.as_tensor(images)
    x = x.reshape(-1, SIZE, SIZE).float()
    x = x / 255.0 if x.max() > 1.0 else x
    rows = [analyse(img) for img in x.numpy()]
    return {key: np.array([r[key] for r in rows]) for key in ("count", "fragments", "merged")}


def count_figures(images) -> dict:
    """The counting measurements of a set of canvases: the count histogram (0, 1, 2, 3, 4, 5+), the share
    whose count never occurs in the data, and the shares with a fragment or a merged blob."""
    c = count_objects(images)
    n = max(len(c["count"]), 1)
    hist = np.bincount(np.minimum(c["count"], 5), minlength=6) / n
    return {"count_histogram": [round(float(v), 4) for v in hist],
            "impossible_count_share": float(np.mean(~np.isin(c["count"], COUNTS))) if len(c["count"]) else 0.0,
            "fragment_share": float(np.mean(c["fragments"] > 0)) if len(c["count"]) else 0.0,
            "merged_share": float(np.mean(c["merged"] > 0)) if len(c["count"]) else 0.0,
            "n": len(c["count"])}
