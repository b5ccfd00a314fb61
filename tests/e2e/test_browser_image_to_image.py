"""The Image-to-image tab in a real browser (tiny untrained checkpoints): pick an example, translate,
see the output, keep a screenshot."""
from __future__ import annotations

from browser import open_page


def test_draw_and_translate_in_browser(tiny_img2img_tab, screenshots_dir):
    with open_page(tiny_img2img_tab["url"]) as page:
        page.get_by_role("button", name="Translate", exact=True).wait_for(state="visible")
        page.get_by_test_id("dataset-cell-0-1").first.click()   # the first example row: an item for edges2clothing
        page.locator("img[alt]").first.wait_for(state="visible")
        page.get_by_role("button", name="Translate", exact=True).click()
        img = page.locator("#i2i-pix2pix img")
        img.wait_for(state="visible")
        size = img.evaluate("el => new Promise(r => el.complete ? r([el.naturalWidth, el.naturalHeight]) "
                            ": el.onload = () => r([el.naturalWidth, el.naturalHeight]))")
        assert size == [256, 256]                              # the first example is an edges -> clothing item
        page.screenshot(path=str(screenshots_dir / "image-to-image-tab.png"), full_page=True)
    assert (screenshots_dir / "image-to-image-tab.png").stat().st_size > 10_000


def test_translate_a_drawing_of_a_scene_in_browser(tiny_img2img_tab, tmp_path):
    from conftest import sketch
    sketch(tmp_path / "scene.png")
    with open_page(tiny_img2img_tab["url"]) as page:
        upload = page.locator("#i2i-scene-upload input[type=file]")
        upload.wait_for(state="attached")
        upload.set_input_files(str(tmp_path / "scene.png"))
        page.get_by_role("button", name="Translate the upload", exact=True).click()
        img = page.locator("#i2i-scene-pix2pix img")
        img.wait_for(state="visible")
        size = img.evaluate("el => new Promise(r => el.complete ? r([el.naturalWidth, el.naturalHeight]) "
                            ": el.onload = () => r([el.naturalWidth, el.naturalHeight]))")
        assert size == [32, 32]                                # the tiny model's size
        page.locator("#i2i-scene-notes").get_by_text("white lines on black").wait_for(state="visible")
