"""gan_core.pictures: one loader for every upload, one rule for every conversion."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core import pictures
from gan_core.pictures import PictureError

from bad_pictures import corpus


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("bad"))


def test_every_broken_file_is_refused_with_a_short_message_and_every_odd_one_decoded(bad):
    for case, (path, expect) in bad.items():
        if expect == "refused" and case not in ("one_pixel", "sliver", "huge"):
            with pytest.raises(PictureError) as err:
                pictures.open_picture(path)
            message = str(err.value)
            assert 20 < len(message) < 240 and "\n" not in message, (case, message)
        elif expect == "accepted":
            pic = pictures.open_picture(path)
            assert pic.image.mode in ("RGB", "RGBA") and pic.image.size == (64, 48), case


def test_size_limits_name_the_limit(bad):
    with pytest.raises(PictureError, match=r"at most 1,000,000 pixels"):
        pictures.open_picture(bad["huge"][0], max_pixels=1_000_000)
    with pytest.raises(PictureError, match=r"at least 8 pixels"):
        pictures.open_picture(bad["sliver"][0], min_side=8)
    with pytest.raises(PictureError, match="at least 8 pixels"):
        pictures.open_picture(bad["one_pixel"][0], min_side=8)
    assert pictures.open_picture(bad["one_pixel"][0]).image.size == (1, 1)


def test_high_bit_depth_and_float_pictures_are_scaled_not_clipped(bad):
    reference = np.asarray(Image.open(bad["rgba"][0]).convert("L"), dtype=np.float32)
    for case in ("grey16", "float"):
        pic = pictures.open_picture(bad[case][0])
        arr = np.asarray(pic.image.convert("L"), dtype=np.float32)
        assert np.abs(arr - reference).max() <= 1.0, case      # not black, not white: the same picture
        assert pic.notes if case == "grey16" else True
    assert pictures.open_picture(np.full((4, 4), 0.5)).image.getpixel((0, 0)) == (128, 128, 128)


def test_animated_pictures_use_the_first_frame_and_say_so(bad):
    pic = pictures.open_picture(bad["animated"][0])
    assert any("first of 3 frames" in n for n in pic.notes)
    assert np.asarray(pic.image).max() == 0  # the first frame is the black one


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 10, 20))             # blue on the left
    exif = Image.Exif()
    exif[0x0112] = 6                                      # "rotate 90 CW to display"
    img.save(tmp_path / "o.jpg", exif=exif, quality=95)
    shown = pictures.open_picture(tmp_path / "o.jpg").image
    assert shown.size == (20, 40)
    assert shown.getpixel((10, 2))[2] > 200               # blue is now on top


def test_alpha_is_flattened_over_the_requested_background():
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert pictures.flatten(rgba, 255).getpixel((0, 0)) == (255, 255, 255)
    assert pictures.grey(rgba, 0).max() == 0.0


def test_item_rule_inverts_crops_and_fits():
    canvas = np.full((100, 60), 255, np.uint8)
    canvas[20:80, 10:40] = 0                                # a dark bar on white paper
    item = pictures.item_28(Image.fromarray(canvas))
    assert item.shape == (28, 28) and item.dtype == np.float32
    assert item[14, 14] > 0.9 and item[14, 0] < 0.05        # light bar, centred, black around it
    cols = np.nonzero(item.max(0) > 0.5)[0]
    assert 12 <= cols.size <= 16                            # 30 of 60 px wide -> half of the 28-px frame
    big = np.kron(np.eye(28, dtype=np.float32), np.ones((10, 10), np.float32))  # a 280 px canvas
    assert np.allclose(pictures.item_28(pictures.to_pil(big)), np.eye(28), atol=1 / 255)
    with pytest.raises(PictureError, match="empty"):
        pictures.item_28(Image.new("L", (50, 50), 255))


def test_the_vae_tab_and_the_image_to_image_tab_see_the_same_drawing_the_same_way():
    from apps.inputs import item_from_picture
    import gan_core.img2img.api as i2i
    drawing = Image.new("RGBA", (280, 280), (0, 0, 0, 0))   # a sketchpad: dark strokes, clear canvas
    from PIL import ImageDraw
    ImageDraw.Draw(drawing).rectangle((70, 40, 200, 250), outline=(0, 0, 0, 255), width=12)
    composite = np.asarray(pictures.flatten(drawing, 255))
    vae_item = item_from_picture({"composite": composite})[0, 0]               # (28, 28)
    i2i_item = i2i.item_tensor(Image.fromarray(composite))[0, 0, 2:30, 2:30]  # (32, 32) -> its 28x28 centre
    assert torch.equal(vae_item, i2i_item)
    assert vae_item.max() > 0.9 and vae_item[0].max() == 0


def test_luma_is_bt601_everywhere():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    assert np.allclose(pictures.luma(rgb) / 255, [0.299, 0.587, 0.114])
    assert np.allclose(pictures.grey(Image.fromarray(rgb)) * 255, np.round(pictures.luma(rgb)), atol=0.5)
    from gan_core.img2img.data import gray_u8
    from gan_core.img2img.pix2pix import rgb_to_gray
    t = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    assert torch.equal(gray_u8(t)[0, 0], torch.tensor([[76, 150, 29]], dtype=torch.uint8))
    assert torch.allclose(rgb_to_gray(t.float() / 255)[0, 0], torch.tensor([[0.299, 0.587, 0.114]]))
