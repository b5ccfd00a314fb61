"""The Image-to-image tab through gradio_client: every endpoint on a tab of tiny untrained
checkpoints (any machine), then the shipped checkpoints through the whole app when present."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import gan_core
from apps import image_to_image as tab
from conftest import requires_checkpoint, sketch, sky_photo

SHIPPED = ("pix2pix-edges2clothing", "l1-edges2clothing", "pix2pix-colorize", "l1-colorize", "cyclegan-sneaker-boot")
EDGES, COLOUR = "edges → clothing", "black-and-white → colour"


# --- the tab alone, on tiny checkpoints, through gradio_client --------------------------------------------------

def test_translate_endpoint(tiny_img2img_tab, tmp_path):
    from gradio_client import handle_file
    client = tiny_img2img_tab["client"]
    photo = sky_photo(tmp_path / "photo.png")
    inp, l1, p2p, target, notes = client.predict(COLOUR, handle_file(str(tmp_path / "photo.png")), tab.UPLOAD_IS[0],
                                                 api_name="/translate")
    with Image.open(p2p) as out, Image.open(target) as t:
        assert out.size == photo.size and out.mode == "RGB"
        assert np.array_equal(np.asarray(t.convert("RGB")), np.asarray(photo))  # png: the pixels measured
    assert "PSNR" in notes
    item = tiny_img2img_tab["examples"]["edges2clothing"][0]
    outs = client.predict(EDGES, handle_file(item), tab.UPLOAD_IS[0], api_name="/translate")
    with Image.open(outs[0]) as edges:
        assert edges.size == (256, 256)


def test_translate_sketch_endpoint(tiny_img2img_tab, tmp_path):
    from gradio_client import handle_file
    sketch(tmp_path / "drawing.png")
    inp, l1, p2p, target, notes = tiny_img2img_tab["client"].predict(
        {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "drawing.png"))},
        api_name="/translate_sketch")
    assert target is None
    with Image.open(inp) as edges:
        px = np.asarray(edges.convert("L"))[::tab.ZOOM, ::tab.ZOOM]
        assert set(np.unique(px).tolist()) == {0, 255}
        assert 0.05 < (px > 0).mean() < 0.3                    # a thin outline, like the Canny maps


def test_translate_scene_endpoints(tiny_img2img_tab, tmp_path):
    from gradio_client import handle_file
    sketch(tmp_path / "scene.png")
    client = tiny_img2img_tab["client"]
    for payload, api_name in ((handle_file(str(tmp_path / "scene.png")), "/translate_scene"),
                              ({"background": None, "layers": [], "composite": handle_file(str(tmp_path / "scene.png"))},
                               "/translate_scene_drawing")):
        inp, l1, p2p, notes = client.predict(payload, api_name=api_name)
        with Image.open(inp) as seen, Image.open(p2p) as out:
            assert seen.size == out.size == (32, 32) and out.mode == "RGB"   # the tiny model's 32 px
            assert np.asarray(seen.convert("L"))[0, 0] < 30                 # white lines on black
        assert "white lines on black" in notes
    with pytest.raises(Exception, match="Upload a drawing first"):
        client.predict(None, api_name="/translate_scene")


def test_cyclegan_endpoint(tiny_img2img_tab):
    from gradio_client import handle_file
    a, b, rec, notes = tiny_img2img_tab["client"].predict("Ankle boot → Sneaker",
                                                  handle_file(tiny_img2img_tab["examples"]["boot2sneaker"][0]),
                                                  api_name="/cyclegan")
    for path in (a, b, rec):
        with Image.open(path) as im:
            assert im.size == (256, 256)
    assert "Cycle L1" in notes


def test_bad_input_through_the_api_is_reported(tiny_img2img_tab):
    # Gradio's own check on the radio, or ours behind it: either names the choices
    with pytest.raises(Exception, match="(not in the list of choices|Task must be one of)"):
        tiny_img2img_tab["client"].predict("maps", None, tab.UPLOAD_IS[0], api_name="/translate")
    with pytest.raises(Exception, match="Upload an image first"):
        tiny_img2img_tab["client"].predict(EDGES, None, tab.UPLOAD_IS[0], api_name="/translate")


# --- the shipped checkpoints, through the whole app -----------------------------------------------

@requires_checkpoint(*SHIPPED, "fmnist-classifier")  # the notes quote the judge
def test_shipped_translate_endpoints(client, tmp_path):
    from gradio_client import handle_file
    examples = gan_core.img2img_examples()
    if not examples["edges2clothing"]:
        pytest.skip("Fashion-MNIST is needed for the example items")
    outs = client.predict(EDGES, handle_file(examples["edges2clothing"][0]), tab.UPLOAD_IS[0], api_name="/translate")
    with Image.open(outs[1]) as l1, Image.open(outs[2]) as p2p, Image.open(outs[3]) as target:
        t = np.asarray(target.convert("L"), float)
        err_l1 = np.abs(np.asarray(l1.convert("L"), float) - t).mean()
        err_p2p = np.abs(np.asarray(p2p.convert("L"), float) - t).mean()
        err_edges = np.abs(np.asarray(Image.open(outs[0]).convert("L"), float) - t).mean()
    assert max(err_l1, err_p2p) < err_edges                    # both beat the edge map itself
    sketch(tmp_path / "d.png")
    outs = client.predict({"background": None, "layers": [], "composite": handle_file(str(tmp_path / "d.png"))},
                          api_name="/translate_sketch")
    assert outs[3] is None and "judge" in outs[4]
    a, b, rec, notes = client.predict("Sneaker → Ankle boot", handle_file(examples["sneaker2boot"][0]),
                                      api_name="/cyclegan")
    assert "Ankle boot" in notes.split("translated")[1]


@requires_checkpoint("pix2pix-sketch", "l1-sketch")
def test_shipped_drawing_to_photo(client, tmp_path):
    from gradio_client import handle_file
    from scipy.ndimage import laplace
    sketch(tmp_path / "scene.png")
    inp, l1, p2p, notes = client.predict(handle_file(str(tmp_path / "scene.png")), api_name="/translate_scene")
    energy = {}
    for name, path in (("l1", l1), ("pix2pix", p2p)):
        with Image.open(path) as out:
            assert out.size == (256, 256) and out.mode == "RGB"
            energy[name] = float((laplace(np.asarray(out.convert("L"), float)) ** 2).mean())
    assert energy["pix2pix"] > 2 * energy["l1"]  # the cGAN's output is the sharper (measured: see the cards)
