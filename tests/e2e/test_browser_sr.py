"""The super-resolution tab in a real browser: upload a photo, super-resolve, click a panel to zoom."""
from __future__ import annotations

import re

from conftest import requires_checkpoint

from browser import open_page, open_tab

pytestmark = requires_checkpoint("srresnet-x4")


def test_super_resolve_and_click_to_zoom_in_browser(app_url, screenshots_dir):
    from gan_core.sr import api as sr_api
    photo = next(p for p in sr_api.example_images() if p.endswith("chelsea.png"))  # 451x300
    with open_page(app_url) as page:
        open_tab(page, "Super-resolution")
        page.locator("#sr-input input[type=file]").set_input_files(photo)
        page.locator("#sr-input img").wait_for(state="visible")
        page.get_by_role("button", name="Super-resolve ×4").click()
        caption = page.get_by_text(re.compile(r"SRResNet \(MSE\): \d+\.\d+ dB / 0\.\d+"))
        caption.wait_for(state="visible")
        srresnet_db = float(re.search(r"(\d+\.\d+) dB", caption.inner_text()).group(1))
        bicubic_db = float(re.search(r"Bicubic: (\d+\.\d+) dB",
                                     page.get_by_text(re.compile(r"Bicubic: \d+\.\d+ dB")).inner_text()).group(1))
        assert srresnet_db > bicubic_db  # the trained network beats interpolation on this photo
        # the second event (/sr_extras) fills the error heat maps below, one per method that ran
        page.locator("#sr-heat img").first.wait_for(state="visible")
        assert page.locator("#sr-heat img").count() >= 2

        # a click on a panel centres the zoom window there, in the panel's own pixels
        img = page.locator("#sr-panel-bicubic img")
        img.scroll_into_view_if_needed()
        box = img.bounding_box()
        natural_w = img.evaluate("el => el.naturalWidth")
        img.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.5})
        x_field = page.locator("#sr-zoom-x input")
        expected_x = 0.25 * natural_w
        for _ in range(200):  # the round trip to the server: up to 20 s
            if x_field.input_value() and abs(float(x_field.input_value()) - expected_x) <= 3:
                break
            page.wait_for_timeout(100)
        assert abs(float(x_field.input_value()) - expected_x) <= 3, (x_field.input_value(), expected_x)
        page.locator("#sr-zoomed img").first.wait_for(state="visible")
        page.screenshot(path=str(screenshots_dir / "super-resolution-tab.png"), full_page=True)
    assert (screenshots_dir / "super-resolution-tab.png").stat().st_size > 10_000
