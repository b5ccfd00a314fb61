"""The Image-to-image tab's functions, called directly on tiny untrained checkpoints (the judge a stub)."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image, ImageDraw

from apps import image_to_image as tab
from conftest import img2img_tab_tasks, save_tiny_img2img_checkpoints, sketch, sky_photo
from gan_core.img2img import api as i2i
from gan_core.img2img.metrics import color_scores

EDGES, COLOUR = "edges → clothing", "black-and-white → colour"


# --- the handlers, called directly (tiny untrained checkpoints) -----------------------------------------------------------------

@pytest.fixture
def handlers(checkpoint_dir):
    save_tiny_img2img_checkpoints()
    return tab.make_handlers(i2i.translate, i2i.task_input, i2i.prepare_input, i2i.prepare_target,
                             tasks=img2img_tab_tasks(), judge=lambda *items: [("Bag", 0.3)] * len(items),
                             edge_density=i2i.edge_density, color_scores=color_scores)


def test_pix2pix_handler_shows_input_both_outputs_and_target(handlers):
    item = Image.new("L", (28, 28))
    item.paste(220, (6, 4, 22, 24))
    inp, l1, p2p, target, notes = handlers["run_pix2pix"](EDGES, item, tab.UPLOAD_IS[0])
    assert inp.size == l1.size == p2p.size == target.size == (32 * tab.ZOOM, 32 * tab.ZOOM)
    edges = np.asarray(inp)[::tab.ZOOM, ::tab.ZOOM]
    assert set(np.unique(edges).tolist()) == {0, 255}          # the Canny edge map of the item
    assert np.array_equal(np.asarray(target)[::tab.ZOOM, ::tab.ZOOM], np.pad(np.asarray(item), 2))
    assert "L1 only → **Bag** (30%)" in notes and "Mean |output − target|" in notes
    assert "unlike the training data" in notes                 # the judge is unsure (30%)


def test_colourisation_handler_reports_psnr_against_the_original(handlers, tmp_path):
    photo = sky_photo(tmp_path / "p.png")
    inp, l1, p2p, target, notes = handlers["run_pix2pix"](COLOUR, photo, tab.UPLOAD_IS[0])
    assert inp.mode == "L" and inp.size == photo.size and target.size == photo.size
    grey_psnr = color_scores(np.repeat(np.asarray(inp)[..., None], 3, 2), np.asarray(photo))["psnr"]
    assert f"| grey input (baseline) | {grey_psnr:.2f} |" in notes
    _, _, _, _, notes_grey = handlers["run_pix2pix"](COLOUR, photo.convert("L"), tab.UPLOAD_IS[0])
    assert "already grey" in notes_grey


def test_a_scribble_is_flagged_as_unlike_the_training_data(handlers, tmp_path):
    scribble = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(scribble).rectangle((20, 20, 180, 180), fill=(0, 0, 0, 255))  # a filled blob, not edges
    inp, l1, p2p, target, notes = handlers["run_sketch"]({"composite": scribble, "layers": [], "background": None})
    assert target is None and l1.size == (256, 256)
    assert "of its pixels are edges" in notes and "unlike the training data" in notes


def test_a_drawing_of_a_scene_goes_through_both_models(handlers, tmp_path):
    drawing = sketch(tmp_path / "s.png")            # black strokes on a transparent 280x280 canvas
    inp, l1, p2p, notes = handlers["run_scene"]({"composite": drawing})
    assert inp.size == (32, 32) and l1.size == p2p.size == (32, 32) and p2p.mode == "RGB"
    seen = np.asarray(inp.convert("L"))
    assert seen[0, 0] < 30 and seen.max() > 150      # white lines on black, as BSDS500's maps
    assert "white lines on black, 32×32" in notes and "unlike the training maps" not in notes
    wide = Image.new("L", (300, 100), 255)           # not square: its central square is used
    ImageDraw.Draw(wide).line((150, 0, 150, 99), fill=0, width=6)
    inp, *_ = handlers["run_scene"](wide)
    column = np.asarray(inp.convert("L")).mean(0)
    assert abs(int(column.argmax()) - 16) <= 1      # the line stays in the middle of the square
    blot = Image.new("L", (64, 64), 255)
    blot.paste(0, (0, 0, 64, 40))
    *_, notes = handlers["run_scene"](blot)
    assert "unlike the training maps" in notes
    with pytest.raises(gr.Error, match="The drawing is empty"):
        handlers["run_scene"](Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    with pytest.raises(gr.Error, match="Upload a drawing first"):
        handlers["run_scene"](None)
    with pytest.raises(gr.Error, match="cannot be derived from the photo"):
        try:
            i2i.task_input("sketch2photo", drawing)
        except ValueError as err:
            raise gr.Error(str(err))


def test_the_drawing_section_quotes_both_cards_figures():
    card = {"sharpness_vs_target": 0.3017, "hist_a": 0.5326, "hist_b": 0.4728, "l1_to_target": 0.2119, "n_test": 400}
    l1 = {"sharpness_vs_target": 0.0177, "hist_a": 0.3014, "hist_b": 0.2773, "l1_to_target": 0.1955}
    text = tab._scene_figures({"pix2pix": card, "l1": l1})
    assert "400 test squares" in text and "0.02 (L1) vs 0.30 (pix2pix)" in text and "0.30 / 0.28 vs 0.53 / 0.47" in text
    assert tab._scene_figures({"pix2pix": card}) == ""     # one card missing its figures: nothing quoted


def test_cyclegan_handler_reports_the_cycle(handlers):
    item = Image.new("L", (28, 28))
    item.paste(180, (2, 14, 26, 24))
    a, b, rec, notes = handlers["run_cyclegan"]("Sneaker → Ankle boot", item)
    assert a.size == b.size == rec.size == (256, 256)
    cyc = np.abs(np.asarray(rec, float) - np.asarray(a, float))[::8, ::8].mean() / 255
    assert f"= {cyc:.3f}" in notes
    assert "neither a sneaker nor an ankle boot" in notes       # the judge stub says "Bag"


@pytest.mark.parametrize("call,message", [
    (lambda h: h["run_pix2pix"](EDGES, None), "Upload an image first"),
    (lambda h: h["run_pix2pix"]("maps", Image.new("L", (8, 8))), "Task must be one of"),
    (lambda h: h["run_sketch"]({"composite": Image.new("RGBA", (50, 50)), "layers": []}), "empty"),
    (lambda h: h["run_cyclegan"]("Sneaker → Sandal", Image.new("L", (8, 8))), "Direction must be one of"),
])
def test_bad_inputs_raise_readable_errors(handlers, call, message):
    with pytest.raises(gr.Error, match=message):
        call(handlers)
