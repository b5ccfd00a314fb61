"""The sampling tab in a real browser: open it, generate, see the grid, keep a screenshot."""
from __future__ import annotations

from conftest import requires_checkpoint

from browser import open_page, open_tab

pytestmark = requires_checkpoint("dcgan-fmnist")


def test_generate_grid_in_browser(app_url, screenshots_dir):
    with open_page(app_url) as page:
        open_tab(page, "GAN sampling (DCGAN)")
        page.get_by_role("button", name="Generate", exact=True).click()
        img = page.locator("#sampling-grid img")
        img.wait_for(state="visible")
        size = img.evaluate("el => new Promise(r => el.complete ? r([el.naturalWidth, el.naturalHeight]) "
                            ": el.onload = () => r([el.naturalWidth, el.naturalHeight]))")
        assert size == [8 * 86 + 2, 4 * 86 + 2]  # the default 32 samples, 8 per row
        page.screenshot(path=str(screenshots_dir / "sampling-tab.png"), full_page=True)
    assert (screenshots_dir / "sampling-tab.png").stat().st_size > 10_000
