"""The judge as functions: load it once, get logits and features, name classes.

    >>> gan_core.classify(images)          # ["Sneaker", "Bag", ...] for (n, 1, 28, 28) in [0, 1]
"""
from __future__ import annotations

import torch

from .. import checkpoints
from ..fmnist import FMNIST_CLASSES, as_items
from ..registry import JUDGE
from ..runtime import get_runtime
from .classifier import predict


def judge() -> torch.nn.Module:
    """The judge checkpoint, loaded once, always in fp32 (its figures must not depend on the CPU)."""
    return checkpoints.load(JUDGE, get_runtime(fp32=True))


@torch.no_grad()
def judge_predict(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(N, 1, 28, 28)`` in [0, 1] -> (logits ``(N, 10)``, features ``(N, 256)``), fp32, CPU."""
    return predict(judge(), as_items(images), get_runtime(fp32=True))


def classify(images: torch.Tensor) -> list[str]:
    """The judge's verdict on ``(n, 1, 28, 28)`` images in [0, 1]: a class name each."""
    logits, _ = judge_predict(images)
    return [FMNIST_CLASSES[i] for i in logits.argmax(1).tolist()]


def judge_items(items: torch.Tensor) -> list[tuple[str, float]]:
    """The judge's class for each item ``(n, 1, 28, 28)`` in [0, 1], and its probability, in one pass."""
    probs = torch.softmax(judge_predict(items)[0], 1)
    return [(FMNIST_CLASSES[int(p.argmax())], float(p.max())) for p in probs]


def judge_item(item: torch.Tensor) -> tuple[str, float]:
    """The judge's class for one item ``(1, 1, 28, 28)`` in [0, 1], and its probability."""
    return judge_items(item)[0]
