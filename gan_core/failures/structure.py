"""Global structure: measures on Fashion-MNIST items where each part can look right while the whole is wrong.

A GAN's discriminator judges patches of features; nothing in the game states that a pullover has two
sleeves, that trousers have two legs or that most clothing is left/right symmetric. Three measures,
taken per class (the judge's class, for real and generated items alike):

* **symmetry**: 1 - sum |x - mirror(x)| / sum (x + mirror(x)), after centring the item on its centre of
  mass; 1 is a perfect mirror image;
* **parts across a row**: the number of separate ink runs (pixels > 0.3) along one row of the item's
  ink box: 2 legs for trousers at 80 % of the height; the share of items with that count (sleeves were
  tried too, sleeve-body-sleeve at 60 % of pullovers and coats, but real items pass that test only
  14-36 % of the time: too crude to keep);
* **the judge's confidence**: its top-class probability; generated items it cannot place are shown.
"""
from __future__ import annotations

import numpy as np
import torch

from ..fmnist import FMNIST_CLASSES

INK = 0.3
# class -> (height fraction of the row, the number of runs a well-formed item has there)
PARTS = {"Trouser": (0.8, 2)}


def _items(x) -> np.ndarray:
    return torch.as_tensor(x).float().reshape(-1, 28, 28).numpy()


def symmetry(x) -> np.ndarray:
    """Left/right symmetry ``(n,)`` in [0, 1] of items ``(n, 1, 28, 28)`` in [0, 1], each centred first."""
    items = _items(x)
    cols = np.arange(28) + 0.5
    out = np.zeros(len(items))
    for i, im in enumerate(items):
        mass = im.sum()
        if mass <= 0:
            continue
        shift = int(round(14 - (im.sum(0) * cols).sum() / mass))           # centre of mass -> column 14
        c = np.roll(im, shift, axis=1)
        m = c[:, ::-1]
        out[i] = 1 - np.abs(c - m).sum() / max((c + m).sum(), 1e-6)
    return out


def runs_at(x, frac: float) -> np.ndarray:
    """Ink runs ``(n,)`` along the row at ``frac`` of each item's ink box height (0 = top row of ink)."""
    items = _items(x)
    out = np.zeros(len(items), dtype=int)
    for i, im in enumerate(items):
        rows = np.flatnonzero((im > INK).any(1))
        if len(rows) == 0:
            continue
        r = rows[0] + int(round(frac * (rows[-1] - rows[0])))
        ink = np.concatenate([[0], (im[r] > INK).astype(int), [0]])
        out[i] = int((np.diff(ink) == 1).sum())                              # rising edges = runs
    return out


def structure_figures(items, probabilities) -> dict:
    """The three measures for items ``(n, 1, 28, 28)`` with the judge's probabilities ``(n, 10)``:
    per class symmetry (median), the share with the expected parts, and confidence figures."""
    p = torch.as_tensor(probabilities).float()
    cls, conf = p.argmax(1).numpy(), p.max(1).values.numpy()
    sym = symmetry(items)
    out = {"symmetry_median": {}, "parts_ok_share": {}, "count": {}}
    for k, name in enumerate(FMNIST_CLASSES):
        mine = cls == k
        out["count"][name] = int(mine.sum())
        if mine.any():
            out["symmetry_median"][name] = round(float(np.median(sym[mine])), 4)
        if name in PARTS and mine.any():
            frac, want = PARTS[name]
            runs = runs_at(torch.as_tensor(items)[torch.from_numpy(mine)], frac)
            out["parts_ok_share"][name] = round(float((runs == want).mean()), 4)
    out["confidence_median"] = float(np.median(conf))
    out["unsure_share"] = float((conf < 0.5).mean())
    out["symmetry_overall_median"] = float(np.median(sym))
    return out


def least_confident(probabilities, k: int = 16) -> np.ndarray:
    """Indices of the ``k`` items whose top-class probability is lowest."""
    conf = torch.as_tensor(probabilities).float().max(1).values
    return torch.argsort(conf)[:k].numpy()
