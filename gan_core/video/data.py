"""Moving Fashion-MNIST: two items moving at constant velocity and bouncing off the borders of a
64x64 frame, the Moving-MNIST recipe of Srivastava, Mansimov & Salakhutdinov (2015,
https://arxiv.org/abs/1502.04681) with Fashion-MNIST items.

Everything is generated from a seed, nothing is downloaded. A sequence is fully described by its
two items, their start positions and their velocities, so

* training sequences are drawn on the fly from training-split items (``TrainSequences``: item
  pairs and motions as tensors, the frames rendered inside the training step, on its device);
* the test set is a fixed, seeded set of sequences of test-split items (``test_set``).

Positions are the integer top-left corners ``(y, x)`` of the 28x28 items, in ``[0, LIMIT]``
with ``LIMIT = 64 - 28 = 36``; velocities are integer pixels per frame, at most ``MAX_SPEED`` per
axis. A bounce is a reflection: an item that would cross a border by d pixels ends up d pixels
inside it, its velocity reversed on that axis. Overlapping items combine by their maximum, as in
Moving MNIST.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..fmnist import fashion_mnist

FRAME = 64                 # frame side (pixels)
ITEM = 28                  # Fashion-MNIST item side
LIMIT = FRAME - ITEM       # largest top-left coordinate: 36
MAX_SPEED = 3              # largest |velocity| per axis, pixels per frame
CONTEXT = 4                # frames the predictor sees
HORIZON = 10               # rollout length measured by the evaluation
TEST_SEED = 2016
TEST_SIZE = 1000


def positions(start: torch.Tensor, velocity: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Positions after ``t`` frames with reflections at 0 and ``LIMIT``, in closed form.

    ``start``, ``velocity``: integer ``(..., 2)``; ``t``: integer ``(..., T)`` broadcastable to
    ``start[..., None, 0]``. Returns ``(..., T, 2)``. Unfolding the reflections, the free
    position ``p + v t`` moves on a line of period ``2 LIMIT``; folding it back gives a triangle
    wave: ``q = (p + v t) mod 2L``, position ``q`` if ``q <= L`` else ``2L - q``.
    """
    q = torch.remainder(start.unsqueeze(-2) + velocity.unsqueeze(-2) * t.unsqueeze(-1), 2 * LIMIT)  # (..., T, 2)
    return torch.where(q <= LIMIT, q, 2 * LIMIT - q)


def velocities_at(start: torch.Tensor, velocity: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The velocity in effect when leaving frame ``t`` (its sign flips at each bounce): ``(..., T, 2)``."""
    return positions(start, velocity, t + 1) - positions(start, velocity, t)


def render(items: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Paste items into frames: ``items (B, K, 28, 28)``, ``pos (B, T, K, 2)`` -> ``(B, T, 64, 64)``.

    One ``scatter_reduce`` (no Python loop, on any device): every item pixel ``(r, c)`` goes to
    the frame pixel ``(y + r, x + c)``, and where two items land on the same pixel the maximum
    wins. The dtype of ``items`` is kept (uint8 or float). Positions must lie in ``[0, LIMIT]``.
    """
    B, T, K, _ = pos.shape
    offs = torch.arange(ITEM, device=items.device)
    rows = (pos[..., 0, None] + offs) * FRAME                                # (B, T, K, 28): row starts
    cols = pos[..., 1, None] + offs                                          # (B, T, K, 28)
    index = (rows.unsqueeze(-1) + cols.unsqueeze(-2)).reshape(B, T, K * ITEM * ITEM)  # flat frame index per item pixel
    src = items.reshape(B, 1, K * ITEM * ITEM).expand(B, T, -1)
    frames = torch.zeros(B, T, FRAME * FRAME, dtype=items.dtype, device=items.device)
    frames.scatter_reduce_(2, index, src, reduce="amax")                     # (B, T, 4096)
    return frames.view(B, T, FRAME, FRAME)


def random_motions(n: int, gen: torch.Generator, items: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Start positions uniform in ``[0, LIMIT]^2`` and velocities uniform over the nonzero integer
    vectors with ``|v| <= MAX_SPEED`` per axis: ``(n, items, 2)`` each."""
    start = torch.randint(0, LIMIT + 1, (n, items, 2), generator=gen)
    choices = torch.tensor([(vy, vx) for vy in range(-MAX_SPEED, MAX_SPEED + 1)
                            for vx in range(-MAX_SPEED, MAX_SPEED + 1) if (vy, vx) != (0, 0)])
    velocity = choices[torch.randint(0, len(choices), (n, items), generator=gen)]
    return start, velocity


@dataclass
class Sequences:
    """A set of sequences: frames uint8 ``(N, T, 64, 64)``, item positions ``(N, T, 2, 2)``
    (top-left ``(y, x)`` of each item), item labels ``(N, 2)`` and the 28x28 items ``(N, 2, 28, 28)``."""

    frames: torch.Tensor
    positions: torch.Tensor
    labels: torch.Tensor
    items: torch.Tensor

    def __len__(self) -> int:
        return self.frames.shape[0]

    def subset(self, index) -> "Sequences":
        return Sequences(self.frames[index], self.positions[index], self.labels[index], self.items[index])


def make_sequences(items: torch.Tensor, labels: torch.Tensor, start: torch.Tensor, velocity: torch.Tensor,
                   length: int) -> Sequences:
    """Sequences of ``length`` frames from ``items (N, 2, 28, 28)``, ``start`` and ``velocity (N, 2, 2)``."""
    pos = positions(start, velocity, torch.arange(length))    # (N, 2, T, 2)
    pos = pos.transpose(1, 2).contiguous()                    # -> (N, T, 2, 2)
    return Sequences(render(items, pos), pos, labels, items)


def test_set(n: int = TEST_SIZE, length: int = CONTEXT + HORIZON, seed: int = TEST_SEED,
             images: torch.Tensor | None = None, labels: torch.Tensor | None = None) -> Sequences:
    """The fixed test sequences: ``n`` pairs of test-split items, seeded motions, ``length`` frames.

    The first ``k`` sequences of ``test_set(n)`` are those of ``test_set(k)`` (same seed, draws in
    the same order), so a fast test on a small subset sees the benchmark's first sequences.
    ``images``/``labels`` replace the test split (tests pass fake items).
    """
    if images is None:
        images, labels = fashion_mnist(train=False)
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randint(0, images.shape[0], (TEST_SIZE, 2), generator=g)[:n]  # (n, 2) item indices
    start, velocity = random_motions(TEST_SIZE, g)
    return make_sequences(images[pairs], labels[pairs], start[:n], velocity[:n], length)


class TrainSequences:
    """Training data as the trainer wants it: tensors sharing their first dimension.

    ``tensors()`` is ``(pairs (N, 2), start (N, 2, 2), velocity (N, 2, 2))``: a pair of indices
    into the training items and a motion; ``frames`` renders a batch of them, each shifted by a
    random number of frames, so the ``N`` rows give far more than ``N`` distinct clips.
    """

    def __init__(self, images: torch.Tensor, n: int = 60000, seed: int = 0):
        self.images = images                                  # (M, 28, 28) uint8
        g = torch.Generator().manual_seed(seed)
        self.pairs = torch.randint(0, images.shape[0], (n, 2), generator=g)
        self.start, self.velocity = random_motions(n, g)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.pairs, self.start, self.velocity

    @staticmethod
    def frames(images: torch.Tensor, batch, length: int, gen: torch.Generator) -> torch.Tensor:
        """A batch ``(pairs, start, velocity)`` -> float frames ``(B, length, 64, 64)`` in [0, 1] on
        ``images``' device; a random time offset (drawn from ``gen``) starts each clip."""
        pairs, start, velocity = (t.to(images.device) for t in batch)
        offset = torch.randint(0, 2 * LIMIT, (pairs.shape[0], 1, 1), generator=gen).to(images.device)
        t = offset + torch.arange(length, device=images.device)     # (B, 1, T): a clip of each
        pos = positions(start, velocity, t).transpose(1, 2)         # (B, 2, T, 2) -> (B, T, 2, 2)
        return render(images[pairs].float(), pos).div_(255)         # (B, T, 64, 64); float: CUDA's scatter max


def moving_regions(pos: torch.Tensor) -> torch.Tensor:
    """Masks of the items' 28x28 boxes: positions ``(..., K, 2)`` -> bool ``(..., 64, 64)``."""
    grid = torch.arange(FRAME, device=pos.device)
    y = (grid >= pos[..., 0:1]) & (grid < pos[..., 0:1] + ITEM)   # (..., K, 64)
    x = (grid >= pos[..., 1:2]) & (grid < pos[..., 1:2] + ITEM)
    return (y.unsqueeze(-1) & x.unsqueeze(-2)).any(-3)            # (..., K, 64, 64) -> (..., 64, 64)


def crop_items(frames: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """The 28x28 crops at the items' positions: ``frames (N, 64, 64)``, ``pos (N, K, 2)`` -> ``(N, K, 28, 28)``."""
    N, K, _ = pos.shape
    off = torch.arange(ITEM, device=frames.device)
    iy = (pos[..., 0:1] + off).unsqueeze(-1)                      # (N, K, 28, 1)
    ix = (pos[..., 1:2] + off).unsqueeze(-2)                      # (N, K, 1, 28)
    n = torch.arange(N, device=frames.device).view(N, 1, 1, 1)
    return frames[n, iy, ix]
