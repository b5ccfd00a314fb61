"""The sampling tab's functions, on a tiny checkpoint."""
from __future__ import annotations

import functools

import gradio as gr
import pytest
import torch

import gan_core
from apps import sampling


@pytest.fixture
def handlers(tiny_dcgan):
    return sampling.make_handlers(functools.partial(gan_core.latents, tiny_dcgan),
                                  functools.partial(gan_core.decode, tiny_dcgan),
                                  classify=lambda images: ["Bag"] * len(images))


def test_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(100, generator=g), torch.randn(100, generator=g)
    path = sampling.slerp(z0, z1, torch.linspace(0, 1, 7))
    assert path.shape == (7, 100)
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    # equal-norm endpoints: slerp stays on their sphere, lerp would cut through the inside
    z1n = z1 / z1.norm() * z0.norm()
    mid = sampling.slerp(z0, z1n, torch.tensor([0.5]))[0]
    assert mid.norm().item() == pytest.approx(z0.norm().item(), rel=1e-4)
    assert ((z0 + z1n) / 2).norm() < 0.9 * z0.norm()


def test_grid_size_follows_count(handlers):
    img = handlers["sample_grid"](0, 10)
    # 8 per row, 2 rows, 28 px * 3 + 2 px padding per cell, plus the outer 2 px
    assert img.size == (8 * (84 + 2) + 2, 2 * (84 + 2) + 2)


def test_interpolation_strip_starts_and_ends_at_the_seeds(handlers, tiny_dcgan):
    strip = handlers["interpolate"](1, 2, 5)
    assert strip.size == (5 * 86 + 2, 86 + 2)
    first = gan_core.generate(tiny_dcgan, 1, seed=1)[0, 0]
    import numpy as np
    cell = strip.convert("L").crop((2, 2, 86, 86)).resize((28, 28), 0)
    px = torch.from_numpy(np.asarray(cell, dtype=np.float32)) / 255
    assert torch.allclose(px, first, atol=1 / 255 + 1e-6)


def test_exemplars_and_arithmetic(handlers):
    pool, caption = handlers["exemplars"](7)
    assert pool.size == (8 * 86 + 2, 3 * 86 + 2)
    assert caption.count("Bag") == sampling.POOL
    equation, neighbours = handlers["arithmetic"](7, [0, 1, 2], [3], [4, 5])
    assert equation.size == (4 * (112 + 2) + 2, 112 + 4)
    assert neighbours.size == (8 * 86 + 2, 86 + 2)


@pytest.mark.parametrize("call", [
    lambda h: h["sample_grid"](0, 0),
    lambda h: h["sample_grid"](0, 65),
    lambda h: h["sample_grid"](-1, 4),
    lambda h: h["sample_grid"]("abc", 4),
    lambda h: h["sample_grid"](0, 2.5),
    lambda h: h["sample_grid"](float("nan"), 2),
    lambda h: h["interpolate"](0, 1, 1),
    lambda h: h["arithmetic"](0, [], [1], [2]),
    lambda h: h["arithmetic"](0, [1, 2, 3, 4], [1], [2]),
    lambda h: h["arithmetic"](0, [99], [1], [2]),
])
def test_bad_input_is_a_readable_gradio_error(handlers, call):
    with pytest.raises(gr.Error) as info:
        call(handlers)
    assert len(str(info.value.message)) > 20
