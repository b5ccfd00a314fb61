"""The VAE latent-map tab: map geometry (pixel <-> z), clicks, items from the canvas and uploads,
the handlers on stand-in functions, and the tab built without Fashion-MNIST."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import pytest
import torch

import gan_core
from apps.latent_map import TILES, MapGeometry, manifold_grid
from apps.inputs import canvas_value, item_from_picture
from apps.vae_tab import make_handlers, map_bases
from conftest import VAES, blobs
from gan_core.vae.vae import kl_divergence, kl_lecture_slide


# --- the map: geometry, clicks, tiles ------------------------------------------------------------

def test_map_pixels_map_to_z_exactly_at_corners_and_centre():
    for extent in ((-3.0, 3.0, -3.0, 3.0), (-1.0, 5.0, -10.5, 2.0)):
        g = MapGeometry(extent)
        x0, x1, y0, y1 = extent
        a, t, e = g.left, g.top, g.size - 1
        assert g.pixel_to_z(a, t) == (x0, y1)            # top left
        assert g.pixel_to_z(a + e, t) == (x1, y1)        # top right
        assert g.pixel_to_z(a, t + e) == (x0, y0)        # bottom left
        assert g.pixel_to_z(a + e, t + e) == (x1, y0)    # bottom right
        assert g.pixel_to_z(a + e // 2, t + e // 2) == ((x0 + x1) / 2, (y0 + y1) / 2)
        assert g.pixel_to_z(0, 0) == (x0, y1)            # a click in the margin: the border
        px, py = g.z_to_pixel(0.25, -0.75)
        assert g.pixel_to_z(px, py) == pytest.approx((0.25, -0.75), abs=1e-12)
    with pytest.raises(ValueError, match="odd"):
        MapGeometry((-1.0, 1.0, -1.0, 1.0), size=100)


def _fake_callables(calls: list):
    """Stand-ins for the gan_core functions: codes spread over ±2 (VAE) and ±10 (AE)."""
    spread = {"vae2d-fmnist": 2.0, "ae2d-fmnist": 10.0}

    def encode(name, images):
        n = images.shape[0]
        d = 16 if name == "vae16-fmnist" else 2
        mu = torch.linspace(-1, 1, n * d).view(n, d) * spread.get(name, 1.0)
        return mu, torch.full((n, d), -2.0)

    def decode(name, z):
        calls.append((name, z.clone()))
        return torch.full((z.shape[0], 1, 28, 28), 0.5)

    def latents(name, n, seed):
        return torch.randn(n, 16 if name == "vae16-fmnist" else 2, generator=torch.Generator().manual_seed(seed))

    def elbo_terms(name, images, samples=1, seed=0):
        mu, logvar = encode(name, images)
        kl = kl_divergence(mu, logvar)
        rec = torch.full((images.shape[0],), 100.0)
        return {"reconstruction": rec, "kl": kl, "elbo": -(rec + kl),
                "kl_lecture_slide": kl_lecture_slide(mu, logvar), "mu": mu, "logvar": logvar}
    return encode, decode, latents, elbo_terms


def test_the_maps_are_kept_between_starts_and_recomputed_when_the_weights_change(tmp_path):
    # the two maps' codes and base pictures cost about 0.6 s of start-up: kept on disk under a digest
    calls: list = []
    encode, decode = _fake_callables(calls)[:2]
    names = {k: m[0] for k, m in gan_core.VAES.items()}
    images, labels = blobs(50), torch.arange(50) % 10
    first = map_bases(encode, decode, names, images, labels, (tmp_path, "weights-1"))
    assert calls and len(list(tmp_path.glob("maps-*.npz"))) == 1

    def refuse(*_):
        raise AssertionError("the cached maps should have been read")
    again = map_bases(refuse, refuse, names, images, labels, (tmp_path, "weights-1"))
    for k in ("vae", "ae"):
        assert torch.equal(first[0][k], again[0][k])
        assert first[1][k].extent == again[1][k].extent
        for view in ("codes", "manifold"):
            assert np.array_equal(np.asarray(first[2][k, view]), np.asarray(again[2][k, view]))
    # other weights (or other test items) are another file; a damaged file is recomputed
    calls.clear()
    map_bases(encode, decode, names, images, labels, (tmp_path, "weights-2"))
    assert calls and len(list(tmp_path.glob("maps-*.npz"))) == 2
    for damage in (lambda b: b[: len(b) // 2], lambda b: b"not a zip"):   # truncated, garbage
        for f in tmp_path.glob("maps-*.npz"):
            f.write_bytes(damage(f.read_bytes()))
        calls.clear()
        fixed = map_bases(encode, decode, names, images, labels, (tmp_path, "weights-1"))
        assert calls and torch.equal(fixed[0]["vae"], first[0]["vae"])
    assert not list(tmp_path.glob("*.tmp.npz"))


@pytest.fixture
def handlers():
    calls: list = []
    images = blobs(50)
    h = make_handlers(*_fake_callables(calls), images, torch.arange(50) % 10, models=gan_core.VAES)
    calls.clear()
    return h, calls, images


def test_a_click_on_a_map_decodes_exactly_that_z(handlers):
    h, calls, _ = handlers
    g = h["geometry"]["ae"]
    assert g.extent == (-10.5, 10.5, -10.5, 10.5)  # ±10 codes, 5% room, rounded up to 0.5
    assert h["geometry"]["vae"].extent == (-3.0, 3.0, -3.0, 3.0)  # never smaller than the prior's ±3
    a, t, e = g.left, g.top, g.size - 1
    for (px, py), z in (((a, t), (-10.5, 10.5)), ((a + e, t + e), (10.5, -10.5)), ((a + e // 2, t + e // 2), (0, 0))):
        evt = gr.SelectData(None, {"index": [px, py], "value": None})
        out = h["click"]("ae")(h["empty_marks"](), evt)
        assert out[:3] == ("ae2d-fmnist", *z)
        name, decoded_z = calls[-1]
        assert name == "ae2d-fmnist" and decoded_z.tolist() == [list(map(float, z))]
        assert out[-1]["ae"]["click"] == list(z) and out[-1]["vae"] == {}
    maps = out[5:9]
    assert list(maps[:2]) == [gr.skip()] * 2  # the VAE maps did not change: they are not sent again
    # the click mark sits on the centre pixel of the AE maps and not on the VAE maps
    centre = (a + e // 2, t + e // 2)
    assert [m.size for m in maps[2:]] == [g.canvas] * 2
    assert maps[2].getpixel(centre) == maps[3].getpixel(centre) == (255, 212, 0)
    every_map = h["maps"](out[-1])  # all four, drawn from the marks the click left
    assert [m.size for m in every_map] == [g.canvas] * 4
    assert every_map[2].getpixel(centre) == (255, 212, 0) and every_map[0].getpixel(centre) != (255, 212, 0)


def test_manifold_tiles_are_decoded_at_their_centre_pixels():
    g = MapGeometry((-3.0, 3.0, -3.0, 3.0))
    centres, z = manifold_grid(g)
    assert z.shape == (TILES * TILES, 2)
    assert centres[TILES // 2] == (g.size - 1) // 2
    assert z[(TILES * TILES) // 2].tolist() == [0.0, 0.0]   # the middle tile is z = 0
    assert z[0, 0] < 0 < z[0, 1]                               # the first tile is top left
    torch.testing.assert_close(z[0], torch.tensor(g.pixel_to_z(g.left + centres[0], g.top + centres[0]),
                                                  dtype=torch.float32))


def test_items_from_the_canvas_and_from_uploads():
    item = blobs(1)[0]
    x = item_from_picture(canvas_value(item))
    assert x.shape == (1, 1, 28, 28)
    torch.testing.assert_close(x[0, 0], item.float() / 255, atol=1e-6, rtol=0)  # the canvas is the frame
    # a dark 50x30 item on a white 100x60 photo: inverted, cropped, scaled to fill the frame
    photo = np.full((60, 100, 3), 255, np.uint8)
    photo[15:45, 25:75] = 0
    y = item_from_picture(photo)[0, 0]
    assert y[14].min() > 0.95 and y[0].max() < 0.05 and y[27].max() < 0.05
    assert y[:, 0].max() > 0.95  # the long side fills the frame
    with pytest.raises(gr.Error, match="empty"):
        item_from_picture(np.zeros((280, 280, 4), np.uint8))
    with pytest.raises(gr.Error, match="No item yet"):
        item_from_picture({"background": None, "layers": [], "composite": None})


def test_encode_item_marks_mu_and_sigma_and_reports_the_terms(handlers):
    h, _, images = handlers
    out = h["encode_item"](canvas_value(images[0]), h["empty_marks"]())
    strip, table, info, model, z1, z2 = out[:6]
    marks = out[-1]
    assert strip.size == (4 * (28 * 5 + 2) + 2, 28 * 5 + 4)  # input + three reconstructions
    assert "| ae2d-fmnist | 100.0 |" in table and "KL as on the slide" in table
    assert set(info) == set(VAES) and len(info["vae16-fmnist"]["mu"]) == 16
    assert model == "vae2d-fmnist" and [z1, z2] == marks["vae"]["item"]["mu"]
    assert marks["ae"]["item"]["sigma"] == pytest.approx([math.exp(-1.0)] * 2)
    kl = info["vae2d-fmnist"]["kl"]
    assert kl == pytest.approx(0.5 * sum(math.exp(-2) + m * m + 2 - 1 for m in info["vae2d-fmnist"]["mu"]), rel=1e-3)


def test_interpolation_and_prior_samples_draw_on_the_maps(handlers):
    h, calls, _ = handlers
    out = h["interpolate"](0, 1, 5, False, None, h["empty_marks"]())
    assert out[0].size == (5 * (28 * 3 + 2) + 2, 3 * (28 * 3 + 2) + 2)
    assert len(out[-1]["vae"]["path"]) == 5
    out = h["sample"](7, 9, out[-1])
    assert len(out[-1]["ae"]["prior"]) == 9 and len(out[-1]["vae"]["path"]) == 5
    with pytest.raises(gr.Error, match="between 1 and 64"):
        h["sample"](0, 65, None)
    with pytest.raises(gr.Error, match="Model must be one of"):
        h["decode_z"]("vae16-fmnist", 0, 0, None)


def test_tab_without_fashion_mnist_says_how_to_get_it(tiny_vaes, tmp_path, monkeypatch):
    import app
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GAN_SUITE_DATA", str(tmp_path / "cache"))
    with gr.Blocks() as demo:
        app.mount_vae()
    texts = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown)]
    assert len(texts) == 1 and "VAE latent map is unavailable" in texts[0]
    assert "apt-get install dataset-fashion-mnist" in texts[0]
