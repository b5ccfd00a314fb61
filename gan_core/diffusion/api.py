"""The diffusion checkpoint as functions the suite serves: the reverse process, step by step.

    >>> for step, t, x in gan_core.denoising("ddpm-fmnist", 8, seed=0, steps=50, every=5):
    ...     pass   # x: (8, 1, 28, 28) in [0, 1], the current x_t; the last one is the sample

The finished samples alone are ``gan_core.generate("ddpm-fmnist", n, seed, steps=50)``: the same
x_T (``gan_core.latents``) and the same sampler, so the last frame here equals that sample.
"""
from __future__ import annotations

from typing import Iterator

import torch

from .. import checkpoints
from ..runtime import get_runtime
from .ddpm import SAMPLERS, to_unit


def denoising(name: str, n: int, seed: int = 0, *, steps: int = 50, sampler: str = "ddim",
              every: int = 5, **cond) -> Iterator[tuple[int, int, torch.Tensor]]:
    """Yield ``(step, t, x_t)`` every ``every`` sampler steps (and the last): x_t ``(n, 1, 28, 28)`` in [0, 1].

    Its last frame is exactly ``generate(name, n, seed, steps=steps, sampler=sampler, **cond)``; ``cond``: a
    class-conditional model's ``label`` and ``guidance`` (``DDPM.decode``).
    """
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    runtime = get_runtime()
    model = checkpoints.load(name, runtime)
    if not hasattr(model, "denoise"):
        raise TypeError(f"{name} is not a diffusion checkpoint")
    z = model.prior(int(n), torch.Generator().manual_seed(int(seed)))
    generator = None
    if sampler == "ddpm":
        from .ddpm import noise_seed
        generator = torch.Generator().manual_seed(noise_seed(z))
    frames = model.denoise(z, steps=int(steps), sampler=sampler, generator=generator, every=int(every), **cond)
    while True:
        with torch.no_grad(), runtime.autocast():  # one step at a time: a paused stream holds no autocast
            try:
                step, t, x = next(frames)
            except StopIteration:
                return
        yield step, t, to_unit(x)
