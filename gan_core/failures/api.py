"""The Failure gallery as functions (exported by ``gan_core``; the tab receives them as callables).

    >>> images, counts = gan_core.make_canvases(16, seed=0)     # the counting set and its truth
    >>> gan_core.count_objects(images)["count"]                 # == counts
    >>> pictures, boxes = gan_core.make_boxes(16, seed=0)       # the perspective set and its truth
    >>> gan_core.fit_boxes(pictures)[1]                         # fit errors, ~0.03 for true boxes
    >>> gan_core.failure_samples("counting-gan", 16)            # (16, 1, 64, 64) from a gallery GAN
    >>> for update in gan_core.failure_live("strong_d"): ...    # a live 2-D case: progress, then result
"""
from __future__ import annotations

import functools

import torch

from .. import checkpoints
from ..trainer import read_history
from .counting import count_figures, count_objects, make_canvases
from .far import examples as far_examples
from .far import measure as far_measure
from .far import reference as far_reference
from .live import CASES as LIVE_CASES
from .live import dirac as dirac_gan
from .perspective import IMPOSSIBLE, fit_boxes, geometry_figures, make_boxes, render_fine
from .structure import least_confident, structure_figures


def failure_samples(name: str, n: int, seed: int = 0, batch: int = 250) -> torch.Tensor:
    """``n`` pictures ``(n, 1, H, W)`` in [0, 1] from a gallery checkpoint (fp32, CPU); the same seed, the same z."""
    model = checkpoints.load(name)
    z = model.prior(n, torch.Generator().manual_seed(seed))
    return torch.cat([model.decode(c).float().cpu() for c in z.split(batch)]) if n else torch.zeros(0, 1, 64, 64)


def failure_live(case: str, **kwargs):
    """Run a live 2-D case ("strong_d", "weak_d", "cycling"): yields progress, then the result."""
    if case not in LIVE_CASES:
        raise ValueError(f"case must be one of {', '.join(LIVE_CASES)}, got {case!r}")
    return LIVE_CASES[case](**kwargs)


def failure_record(name: str) -> tuple[dict, list[dict]]:
    """A gallery checkpoint's figures (metrics.json, {} if not measured) and its run history ([] if none)."""
    path = checkpoints.checkpoint_path(name)
    return checkpoints.read_json(name, "metrics.json"), read_history(path)


_TRAIN: dict = {}


def nearest_training_items(items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For items ``(n, 1, 28, 28)`` in [0, 1]: the nearest Fashion-MNIST training item of each (pixel
    distance) ``(n, 1, 28, 28)`` and that distance ``(n,)``."""
    from ..evaluate import nearest_train_distance
    from ..fmnist import fashion_mnist
    if "x" not in _TRAIN:
        _TRAIN["x"] = fashion_mnist(train=True)[0].float().div(255).unsqueeze(1)
    train = _TRAIN["x"]
    dist, idx = nearest_train_distance(torch.as_tensor(items).float(), train)
    return train[idx], dist


@functools.lru_cache(maxsize=1)
def real_structure(n: int = 1000) -> dict:
    """``structure_figures`` of the first ``n`` Fashion-MNIST test items (computed once)."""
    from ..fmnist import fashion_mnist
    from ..gan.api import judge_probabilities
    items = fashion_mnist(train=False)[0][:n].float().div(255).unsqueeze(1)
    return structure_figures(items, judge_probabilities(items))


def box_fit_pictures(pictures) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit a box to each picture ``(n, 64, 64)``: (the fitted boxes rendered ``(n, 64, 64)``, fit errors ``(n,)``)."""
    params, err = fit_boxes(pictures)
    return render_fine(params), err


__all__ = ["make_canvases", "count_objects", "count_figures", "make_boxes", "fit_boxes", "box_fit_pictures",
           "geometry_figures", "failure_samples", "failure_live", "failure_record", "dirac_gan",
           "structure_figures", "least_confident", "far_examples", "far_measure", "far_reference",
           "nearest_training_items", "real_structure", "IMPOSSIBLE"]
