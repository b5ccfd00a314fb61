"""The "GAN architectures" tab: its handlers on tiny untrained checkpoints and a stand-in judge,
the one-line messages for bad inputs, the architecture cards and the label-budget curve."""
from __future__ import annotations

import math

import gradio as gr
import pytest
import torch
from PIL import Image

import gan_core
from apps.architecture_cards import CARDS, architecture_card, curve_picture
from apps.architectures import create_demo, make_handlers

CELL = 28 * 3 + 2  # apps.common.grid: scale 3, pad 2


def judge_says_sneaker(images):
    """A stand-in judge: every item is a Sneaker (class 7) with probability 0.91."""
    p = torch.full((images.shape[0], 10), 0.01)
    p[:, 7] = 0.91
    return p


@pytest.fixture
def tiny_architectures(checkpoint_dir):
    from gan_core import checkpoints
    from gan_core.gan.acgan import ACGAN
    from gan_core.gan.cgan import CGAN
    from gan_core.gan.infogan import InfoGAN
    from gan_core.gan.sgan import SGAN
    torch.manual_seed(0)
    for name, model in (("cgan-fmnist", CGAN(nz=8, ngf=4, ndf=4)), ("acgan-fmnist", ACGAN(nz=8, ngf=4, ndf=4)),
                        ("infogan-fmnist", InfoGAN(nz=6, ngf=4, ndf=4)), ("sgan-fmnist", SGAN(nz=8, ngf=4, ndf=4)),
                        ("supervised-fmnist", SGAN(ndf=4, generator=False))):
        checkpoints.save(model, name, training={"data": "none (test)"})
    return make_handlers(gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities,
                         judge_says_sneaker, gan_core.FMNIST_CLASSES,
                         {"cgan-fmnist": "Conditional GAN", "acgan-fmnist": "AC-GAN"},
                         "infogan-fmnist", ("sgan-fmnist", "supervised-fmnist"))


def test_class_dial_draws_the_class_and_counts_the_judges_verdicts(tiny_architectures):
    h = tiny_architectures
    picture, table = h["class_dial"]("Conditional GAN", 7, 3, 5)
    assert picture.size == (5 * CELL + 2, CELL + 2)
    assert "in 5 of 5 cells" in table and table.count("| Sneaker | ") == 5 and "AC-GAN" not in table
    picture, table = h["class_dial"]("Conditional GAN", 2, 3, 5)
    assert "in 0 of 5 cells" in table and "Sneaker (91%)" in table
    expected = gan_core.class_grid("cgan-fmnist", [2], range(3, 8))
    got = torch.tensor(list(picture.convert("L").getdata()), dtype=torch.float32).view(CELL + 2, -1)
    assert got[2 + 1, 2 + 1].item() == round(expected[0, 0, 0, 0].item() * 255)  # first cell, first pixel


def test_class_matrix_has_a_row_per_class_and_acgan_adds_its_own_confidence(tiny_architectures):
    picture, table = tiny_architectures["class_matrix"]("AC-GAN", 10, 4)
    assert picture.size == (4 * CELL + 2, 10 * CELL + 2)
    assert "AC-GAN's P(requested)" in table and "in 4 of 40 cells" in table
    own = gan_core.classifier_probabilities("acgan-fmnist", gan_core.class_grid("acgan-fmnist", range(10), range(10, 14)))
    assert f"| T-shirt/top | 10 | Sneaker (91%) | {own[0, 0]:.0%} |" in table


def test_truncation_scales_z_and_is_checked(tiny_architectures):
    h = tiny_architectures
    full, _ = h["class_dial"]("Conditional GAN", 3, 5, 2)
    half, _ = h["class_dial"]("Conditional GAN", 3, 5, 2, 0.5)
    assert full.tobytes() == h["class_dial"]("Conditional GAN", 3, 5, 2, 1.0)[0].tobytes()  # 1 = as trained
    assert half.tobytes() != full.tobytes()
    expected = gan_core.decode("cgan-fmnist", 0.5 * torch.cat([gan_core.latents("cgan-fmnist", 1, s) for s in (5, 6)]),
                               label=torch.tensor([3, 3]))
    torch.testing.assert_close(gan_core.class_grid("cgan-fmnist", [3], [5, 6], truncation=0.5), expected)
    for bad in (0, 1.5, -1, math.nan, "x", None):
        with pytest.raises(gr.Error, match="Truncation ψ must be a number between 0.1 and 1"):
            h["class_matrix"]("AC-GAN", 0, 2, bad)
    with pytest.raises(ValueError, match="truncation must be in"):
        gan_core.class_grid("cgan-fmnist", [3], [5], truncation=math.nan)


def test_the_truncation_table_reads_the_cards():
    from apps.architectures import _truncation_table
    assert "Not measured yet" in _truncation_table({}, {"cgan-fmnist": "Conditional GAN"})
    row = {"truncation": 0.5, "class_consistency": 0.981, "class_consistency_min": 0.878, "judge_fid": 9.1,
           "diversity_vs_real_mean": 0.735, "diversity_vs_real_min": 0.554}
    table = _truncation_table({"cgan-fmnist": {"truncation_curve": [row]}}, {"cgan-fmnist": "Conditional GAN"})
    assert "| Conditional GAN | 0.5 | 98.1% | 87.8% | 9.1 | 74% / 55% |" in table


@pytest.mark.parametrize("klass", [10, -1, 2.5, "abc", math.nan, None])
def test_a_class_outside_0_9_gets_one_line(tiny_architectures, klass):
    with pytest.raises(gr.Error, match="Class must be a whole number between 0 and 9"):
        tiny_architectures["class_dial"]("Conditional GAN", klass, 0, 4)


def test_other_bad_inputs_get_one_line(tiny_architectures):
    h = tiny_architectures
    with pytest.raises(gr.Error, match="Model must be one of: Conditional GAN, AC-GAN"):
        h["class_dial"]("DCGAN", 1, 0, 4)
    with pytest.raises(gr.Error, match="Code c1 must be a number between -1 and 1"):
        h["traverse"]("continuous c1", 0, math.nan, 0.0, 0, 2)
    with pytest.raises(gr.Error, match="Categorical code must be a whole number between 0 and 9"):
        h["traverse"]("continuous c1", 3.5, 0.0, 0.0, 0, 2)
    with pytest.raises(gr.Error, match="Code must be one of"):
        h["traverse"]("c3", 0, 0.0, 0.0, 0, 2)


def test_traversal_grid_rows_are_seeds_and_moving_a_code_changes_it(tiny_architectures):
    h = tiny_architectures
    picture, caption = h["traverse"]("continuous c1", 0, 0.0, 0.0, 5, 3)
    assert picture.size == (9 * CELL + 2, 3 * CELL + 2) and "seeds 5 … 7" in caption
    cats, _ = h["traverse"]("categorical c_cat", 0, 0.0, 0.0, 5, 3)
    assert cats.size == (10 * CELL + 2, 3 * CELL + 2)
    moved, _ = h["traverse"]("continuous c1", 0, 0.0, 1.0, 5, 3)
    assert list(moved.getdata()) != list(picture.getdata())  # c2 moved: every cell redrawn


def test_upload_is_classified_by_both_networks(tiny_architectures, tmp_path):
    item = Image.new("L", (56, 56), 0)
    item.paste(200, (14, 6, 42, 50))  # a light, trouser-like block on black
    item.save(tmp_path / "item.png")
    seen, p_sgan, p_base = tiny_architectures["classify_upload"](str(tmp_path / "item.png"))
    assert seen.size == (28 * 6, 28 * 6)
    for p in (p_sgan, p_base):
        assert set(p) == set(gan_core.FMNIST_CLASSES) and sum(p.values()) == pytest.approx(1.0, abs=1e-5)
    assert p_sgan != p_base


def test_a_drawing_is_classified_like_the_same_item_uploaded(tiny_architectures, tmp_path):
    import numpy as np
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[60:220, 100:180, :3] = 255                 # a white block drawn on the black 28x28 frame, enlarged 10x
    drawn = tiny_architectures["classify_drawing"]({"background": canvas, "layers": [], "composite": canvas})
    assert np.asarray(drawn[0].convert("L"))[6 * 6 + 3, 10 * 6 + 3] == 255    # frame cell (6, 10): in the block
    Image.fromarray(canvas[..., :3]).save(tmp_path / "same.png")
    uploaded = tiny_architectures["classify_upload"](str(tmp_path / "same.png"))
    assert drawn[1] == uploaded[1] and drawn[2] == uploaded[2]   # the 280 px square is the frame either way
    with pytest.raises(gr.Error, match="empty"):
        tiny_architectures["classify_drawing"]({"background": None, "layers": [], "composite": np.zeros((280, 280, 4), np.uint8)})
    with pytest.raises(gr.Error, match="No item yet"):
        tiny_architectures["classify_drawing"](None)


def test_empty_or_broken_uploads_get_one_line(tiny_architectures, tmp_path):
    Image.new("L", (64, 64), 0).save(tmp_path / "black.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(gr.Error, match="empty"):
        tiny_architectures["classify_upload"](str(tmp_path / "black.png"))
    with pytest.raises(gr.Error):
        tiny_architectures["classify_upload"](str(tmp_path / "broken.png"))
    with pytest.raises(gr.Error):
        tiny_architectures["classify_upload"](None)


def test_cards_and_curve_are_drawn():
    for kind in CARDS:
        card = architecture_card(kind)
        assert card.size == (660, 250) and len(set(card.getdata())) > 5  # boxes of several colours
    curve = curve_picture({"100": {"sgan": [0.7, 0.02, 3], "supervised": [0.6, 0.03, 3]},
                           "0": {"sgan": [0.9, 0.0, 1], "supervised": [0.91, 0.0, 1]}})
    red = sum(1 for px in curve.getdata() if px == (200, 60, 40))
    assert red > 50  # the SGAN line is there
    assert curve_picture({}).size == (520, 300)


def test_the_curve_is_told_in_words_with_its_crossover():
    from apps.architectures import _curve_text
    both = {"100": {"sgan": [0.70, 0.02, 3], "supervised": [0.60, 0.03, 3]},
            "1000": {"sgan": [0.84, 0.0, 1], "supervised": [0.80, 0.0, 1]},
            "0": {"sgan": [0.90, 0.0, 1], "supervised": [0.91, 0.0, 1]}}
    text = _curve_text(both)
    assert "100 labels: SGAN 70.0% ± 2.0%, supervised only 60.0% ± 3.0% (+10.0 points, 3 label draws)" in text
    assert "all labels: SGAN 90.0%, supervised only 91.0% (-1.0 points)" in text
    assert "crossover: from all labels on" in text
    del both["0"]
    assert "no crossover" in _curve_text(both)
    assert "not been run" in _curve_text({})


def test_the_tab_builds_with_every_listener_named(tiny_architectures):
    demo = create_demo(gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities,
                       judge_says_sneaker, class_names=gan_core.FMNIST_CLASSES,
                       conditional={"cgan-fmnist": "Conditional GAN", "acgan-fmnist": "AC-GAN"},
                       infogan="infogan-fmnist", sgan=("sgan-fmnist", "supervised-fmnist"), figures={})
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"arch_class_dial", "arch_class_matrix", "arch_traverse", "arch_sgan_classify", "arch_sgan_classify_drawing",
            "arch_traverse_c1", "arch_traverse_c2", "arch_traverse_cat", "arch_traverse_code"} <= names
    assert None not in names


def test_the_class_figures_come_with_the_judges_own_ceiling_on_real_items(tiny_architectures):
    per_class = [0.875, 0.99, 0.918, 0.939, 0.91, 0.974, 0.775, 0.978, 0.995, 0.964]
    figures = {"acgan-fmnist": {"class_consistency": 0.968, "class_consistency_min": 0.92,
                                "judge_test_accuracy": 0.9318, "judge_test_accuracy_per_class": per_class}}
    demo = create_demo(gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities,
                       judge_says_sneaker, class_names=gan_core.FMNIST_CLASSES,
                       conditional={"cgan-fmnist": "Conditional GAN", "acgan-fmnist": "AC-GAN"},
                       infogan="infogan-fmnist", sgan=("sgan-fmnist", "supervised-fmnist"), figures=figures)
    texts = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown) and isinstance(b.value, str)]
    acgan = next(t for t in texts if t.startswith("*AC-GAN*"))
    assert "96.8%" in acgan and "93.2% of *real* test items" in acgan and "(Shirt 77.5%)" in acgan
    cgan = next(t for t in texts if t.startswith("*Conditional GAN*"))
    assert "not measured yet" in cgan and "real* test items" not in cgan  # no figures, no ceiling


@pytest.mark.parametrize("projection", [False, True])
def test_the_cgan_card_and_loss_say_how_d_takes_the_label(tiny_architectures, projection):
    demo = create_demo(gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities,
                       judge_says_sneaker, class_names=gan_core.FMNIST_CLASSES,
                       conditional={"cgan-fmnist": "Conditional GAN", "acgan-fmnist": "AC-GAN"},
                       infogan="infogan-fmnist", sgan=("sgan-fmnist", "supervised-fmnist"), figures={},
                       cgan_projection=projection)
    texts = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown) and isinstance(b.value, str)]
    loss = next(t for t in texts if t.startswith("**Conditional GAN**"))
    assert ("projection" in loss and "V_y" in loss) == projection
    assert ("ten constant planes" in loss) != projection
    labels = {b.label for b in demo.blocks.values() if isinstance(b, gr.Image)}
    assert ("cgan-projection architecture" in labels) == projection and ("cgan architecture" in labels) != projection
