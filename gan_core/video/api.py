"""Next-frame prediction as functions: the API behind the "Next frame" tab.

    >>> import gan_core
    >>> seq = gan_core.nextframe_test_sequence(7)              # a fixed test sequence: frames, positions, labels
    >>> seq = gan_core.nextframe_sequence(("Sneaker", 0), ("Bag", 3), start=((0, 0), (30, 20)),
    ...                                   velocity=((2, 3), (-1, 2)))   # a sequence of your own
    >>> out = gan_core.nextframe_rollouts(seq.frames[0, :4], horizon=10)  # {"mse": (10, 64, 64), ..., "copy-last": ...}
    >>> gan_core.nextframe_judge(out["adv"], seq.positions[0, 4:14], seq.labels[0])  # the judge on each item

``gan_core.registry.NEXT_FRAME`` names the three checkpoints (one U-Net, three objectives).
Frames are float ``(T, 64, 64)`` in [0, 1]; positions are the items' top-left corners ``(y, x)``.
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from .. import checkpoints, pictures
from ..fmnist import FMNIST_CLASSES, fashion_mnist_for_app
from ..judge.api import judge_predict
from ..registry import NEXT_FRAME
from ..runtime import get_runtime
from . import data
from .nextframe import copy_last

MAX_FRAMES = 64  # the longest sequence a user may build


@functools.lru_cache(maxsize=1)
def _test_set() -> data.Sequences:
    return data.test_set(data.TEST_SIZE)


@functools.lru_cache(maxsize=1)
def _test_items() -> tuple[torch.Tensor, torch.Tensor]:
    return fashion_mnist_for_app(train=False)


def test_sequence(index: int) -> data.Sequences:
    """Test sequence ``index`` (0..999) of the fixed set the benchmark measures, as a batch of one."""
    if not 0 <= int(index) < data.TEST_SIZE:
        raise ValueError(f"test sequences are numbered 0 to {data.TEST_SIZE - 1}, got {index}")
    return _test_set().subset(slice(int(index), int(index) + 1))


def test_item(label: str | int, example: int = 0) -> torch.Tensor:
    """The ``example``-th test item of class ``label`` (a name or 0..9): uint8 ``(28, 28)``."""
    k = FMNIST_CLASSES.index(label) if isinstance(label, str) else int(label)
    if not 0 <= k < len(FMNIST_CLASSES):
        raise ValueError(f"class must be one of {', '.join(FMNIST_CLASSES)}, got {label!r}")
    images, labels = _test_items()
    idx = torch.nonzero(labels == k)[:, 0]
    if not 0 <= int(example) < len(idx):
        raise ValueError(f"class {FMNIST_CLASSES[k]!r} has test items 0 to {len(idx) - 1}, got {example}")
    return images[idx[int(example)]]


def drawn_item(image) -> torch.Tensor:
    """A picture of one item (a drawing, a photo) -> uint8 ``(28, 28)``, light on black like Fashion-MNIST."""
    return torch.from_numpy(np.round(pictures.item_28(image) * 255).astype(np.uint8))


def make_sequence(items, labels, start, velocity, length: int = data.CONTEXT + data.HORIZON) -> data.Sequences:
    """A sequence of one's own: two items (uint8 ``(28, 28)`` each, or ``(class, example)`` pairs of
    test items), start positions ``((y, x), (y, x))`` in ``[0, 36]`` and integer velocities
    ``((vy, vx), (vy, vx))`` of at most ``MAX_SPEED`` pixels per frame per axis. ``labels`` are the
    items' classes (-1 for a drawn item the judge cannot be checked against)."""
    start, velocity = torch.as_tensor(start, dtype=torch.long), torch.as_tensor(velocity, dtype=torch.long)
    if start.shape != (2, 2) or velocity.shape != (2, 2):
        raise ValueError("start and velocity take one (y, x) pair per item, for two items")
    if start.min() < 0 or start.max() > data.LIMIT:
        raise ValueError(f"start positions must lie between 0 and {data.LIMIT} (the item is 28 px in a 64 px frame)")
    if velocity.abs().max() > data.MAX_SPEED:
        raise ValueError(f"velocities must lie between -{data.MAX_SPEED} and {data.MAX_SPEED} pixels per frame "
                         "(the models were trained on those)")
    if not data.CONTEXT + 1 <= int(length) <= MAX_FRAMES:
        raise ValueError(f"a sequence has {data.CONTEXT + 1} to {MAX_FRAMES} frames, got {length}")
    stack = torch.stack([torch.as_tensor(i, dtype=torch.uint8) for i in items])   # (2, 28, 28)
    if stack.shape != (2, data.ITEM, data.ITEM):
        raise ValueError(f"two 28x28 items are needed, got {tuple(stack.shape)}")
    return data.make_sequences(stack[None], torch.as_tensor([labels]), start[None], velocity[None], int(length))


def available() -> list[str]:
    """The keys of ``NEXT_FRAME`` whose checkpoints are on this machine."""
    return [key for key, (name, _) in NEXT_FRAME.items()
            if (checkpoints.checkpoint_path(name) / "model.safetensors").exists()]


def rollouts(context: torch.Tensor, horizon: int = data.HORIZON) -> dict[str, torch.Tensor]:
    """Each model's rollout from ``context (>= 4, 64, 64)`` in [0, 1], and the copy-last baseline:
    key ("mse", "gdl", "adv", "copy-last") -> ``(horizon, 64, 64)`` in [0, 1]."""
    context = torch.as_tensor(context, dtype=torch.float32)
    if context.dim() != 3 or context.shape[0] < data.CONTEXT or tuple(context.shape[1:]) != (data.FRAME, data.FRAME):
        raise ValueError(f"the context must be (>= {data.CONTEXT}, {data.FRAME}, {data.FRAME}) frames, "
                         f"got {tuple(context.shape)}")
    if not 1 <= int(horizon) <= MAX_FRAMES:
        raise ValueError(f"the horizon must be between 1 and {MAX_FRAMES} frames, got {horizon}")
    runtime = get_runtime()
    out = {}
    for key, (name, _) in NEXT_FRAME.items():
        model = checkpoints.load(name, runtime)
        out[key] = model.rollout(context[None], int(horizon), runtime)[0].cpu()
    out["copy-last"] = copy_last(context[None], int(horizon))[0]
    return out


def judge_items(frames: torch.Tensor, positions: torch.Tensor, labels) -> list[list[tuple[str, float, bool]]]:
    """The judge on each item crop of each frame: ``frames (T, 64, 64)``, ``positions (T, 2, 2)`` ->
    per frame, per item, (class named, its probability, whether it is the item's class)."""
    crops = data.crop_items(frames.float(), positions)                     # (T, 2, 28, 28)
    logits, _ = judge_predict(crops.reshape(-1, 1, data.ITEM, data.ITEM).clamp(0, 1))
    p = torch.softmax(logits, 1).view(-1, 2, len(FMNIST_CLASSES))
    labels = [int(x) for x in labels]
    return [[(FMNIST_CLASSES[int(p[t, k].argmax())], float(p[t, k].max()), int(p[t, k].argmax()) == labels[k])
             for k in range(2)] for t in range(p.shape[0])]


def curves() -> dict:
    """The per-horizon figures of the test set (from each checkpoint's ``metrics.json``):
    {"horizons": [1..10], key: {metric: [...]}, "copy-last": {...}, "judge_ceiling": [...]} for the
    evaluated models; {} when none is evaluated yet."""
    out = {}
    for key, (name, _) in NEXT_FRAME.items():
        m = checkpoints.read_json(name, "metrics.json")
        if "psnr_per_horizon" not in m:
            continue
        out[key] = {k[:-len("_per_horizon")]: v for k, v in m.items()
                    if k.endswith("_per_horizon") and not k.startswith(("copy_last_", "judge_ceiling"))}
        out["copy-last"] = {k[len("copy_last_"):-len("_per_horizon")]: v for k, v in m.items()
                            if k.startswith("copy_last_") and k.endswith("_per_horizon")}
        out["judge_ceiling"] = m.get("judge_ceiling_per_horizon", [])
        out["n_sequences"] = m.get("n_sequences")
        out["horizons"] = list(range(1, len(m["psnr_per_horizon"]) + 1))
    return out


def scores(pred: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    """PSNR and Mathieu's sharpness difference (dB) of one predicted frame ``(64, 64)`` against the true one."""
    from . import metrics
    p, t = torch.as_tensor(pred).float()[None], torch.as_tensor(truth).float()[None]
    return {"psnr": float(metrics.psnr(p, t)[0]), "sharpness": float(metrics.sharpness(p, t)[0])}
