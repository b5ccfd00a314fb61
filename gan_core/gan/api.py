"""The conditional GANs as functions: class grids, code traversals, their own classifiers' verdicts.

    >>> gan_core.class_grid("cgan-fmnist", classes=[0, 7], seeds=[1, 2, 3])   # (6, 1, 28, 28), rows = classes
    >>> gan_core.code_traversal("infogan-fmnist", "c1", [-1, 0, 1], seeds=[0, 1])
    >>> gan_core.sgan_classify("sgan-fmnist", items)                          # (n, 10) probabilities
"""
from __future__ import annotations

import torch

from .. import checkpoints
from ..fmnist import as_items
from ..runtime import get_runtime
from ..sampling import decode, latents
from .common import NUM_CLASSES, label_tensor

CODES = ("category", "c1", "c2")


def class_grid(name: str, classes, seeds, truncation: float = 1.0) -> torch.Tensor:
    """Items ``(len(classes) * len(seeds), 1, 28, 28)``, row by row: row i is class ``classes[i]``,
    column j uses the z of seed ``seeds[j]`` in every row (the label sets the class, z the style).

    ``truncation`` ψ in (0, 1] scales every z towards 0, the mode of its prior (the "truncation trick"
    of Brock et al. 2019, BigGAN, in its simplest form): ψ < 1 gives more typical items, fewer kinds of them."""
    classes, seeds = [int(c) for c in classes], [int(s) for s in seeds]
    label_tensor(classes, len(classes))  # ValueError for a class outside 0-9
    psi = float(truncation)
    if not 0 < psi <= 1:  # also NaN
        raise ValueError(f"truncation must be in (0, 1], got {truncation!r}")
    z = torch.cat([latents(name, 1, s) for s in seeds]) if seeds else torch.empty(0, 1)
    z = z.repeat(len(classes), 1) * psi                                # (rows * cols, nz)
    labels = torch.tensor(classes).repeat_interleave(len(seeds))      # (rows * cols,)
    return decode(name, z, label=labels) if len(labels) else torch.empty(0, 1, 28, 28)


def code_traversal(name: str, code: str, values, seeds, category: int = 0, continuous=(0.0, 0.0)) -> torch.Tensor:
    """InfoGAN items ``(len(seeds) * len(values), 1, 28, 28)``: row i is seed ``seeds[i]`` (its z), column j
    sets ``code`` ("category", "c1" or "c2") to ``values[j]``; the other codes are ``category`` and
    ``continuous``."""
    if code not in CODES:
        raise ValueError(f"code must be one of {', '.join(CODES)}, got {code!r}")
    model = checkpoints.load(name, get_runtime())
    values, seeds = list(values), [int(s) for s in seeds]
    rows = []
    for s in seeds:
        z = latents(name, 1, s).repeat(len(values), 1)                  # (cols, nz + 12)
        cat = torch.full((len(values),), int(category))
        cont = torch.tensor([list(map(float, continuous))] * len(values))
        if code == "category":
            cat = label_tensor([int(v) for v in values], len(values))
        else:
            cont[:, CODES.index(code) - 1] = torch.tensor([float(v) for v in values])
        rows.append(model.set_codes(z, {"category": cat, "continuous": cont}))
    return decode(name, torch.cat(rows)) if rows else torch.empty(0, 1, 28, 28)


def classifier_probabilities(name: str, images) -> torch.Tensor:
    """A checkpoint's own classifier (AC-GAN's class head, SGAN's D, the supervised baseline):
    probabilities ``(n, 10)`` for items ``(n, 1, 28, 28)`` in [0, 1]."""
    model = checkpoints.load(name, get_runtime())
    if not hasattr(model, "classify"):
        raise ValueError(f"{name} has no classifier of its own")
    return model.classify(as_items(images))


sgan_classify = classifier_probabilities


def judge_probabilities(images) -> torch.Tensor:
    """The judge's class probabilities ``(n, 10)`` for items ``(n, 1, 28, 28)`` in [0, 1]."""
    from ..judge.api import judge_predict
    return torch.softmax(judge_predict(images)[0], 1)


def infer_codes(name: str, images) -> tuple[torch.Tensor, torch.Tensor]:
    """InfoGAN's Q on items: (P(c_cat | x) ``(n, 10)``, E[c_1, c_2 | x] ``(n, 2)``)."""
    return checkpoints.load(name, get_runtime()).infer_codes(as_items(images))


def figures(name: str) -> dict:
    """The evaluation figures written into a checkpoint's card ({} if not evaluated)."""
    return checkpoints.read_json(name, "metrics.json")


__all__ = ["class_grid", "code_traversal", "classifier_probabilities", "sgan_classify", "infer_codes", "figures", "judge_probabilities",
           "NUM_CLASSES"]
