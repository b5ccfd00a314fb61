"""The VAE latent-map tab in a real browser: click the centre of a map, encode an item, keep a screenshot."""
from __future__ import annotations

import re

from conftest import requires_checkpoint, requires_fmnist

from browser import open_page, open_tab

pytestmark = [requires_fmnist, requires_checkpoint("vae2d-fmnist", "ae2d-fmnist", "vae16-fmnist")]


def test_click_the_map_and_encode_in_browser(app_url, screenshots_dir):
    from apps.vae_tab import MapGeometry
    g = MapGeometry((-1.0, 1.0, -1.0, 1.0))  # only the layout matters here: pixels, not z
    width, height = g.canvas
    with open_page(app_url) as page:
        open_tab(page, "VAE latent map")
        img = page.locator("#vae-map-vae-manifold img")
        img.wait_for(state="visible")
        img.scroll_into_view_if_needed()
        box = img.bounding_box()
        # the centre pixel of the plot area, in the picture's displayed size
        cx = (g.left + (g.size - 1) / 2 + 0.5) * box["width"] / width
        cy = (g.top + (g.size - 1) / 2 + 0.5) * box["height"] / height
        img.click(position={"x": cx, "y": cy})
        caption = page.get_by_text(re.compile(r"decoded z = \("))
        caption.wait_for(state="visible")
        z1, z2 = map(float, re.search(r"z = \((\S+), (\S+)\)", caption.inner_text()).groups())
        assert abs(z1) < 0.1 and abs(z2) < 0.1, (z1, z2)  # the centre, within a few pixels
        page.locator("#vae-decoded img").wait_for(state="visible")

        page.get_by_role("button", name="Encode", exact=True).click()
        page.get_by_text("KL as on the slide").wait_for(state="visible")
        page.screenshot(path=str(screenshots_dir / "vae-tab.png"), full_page=True)
    assert (screenshots_dir / "vae-tab.png").stat().st_size > 10_000
