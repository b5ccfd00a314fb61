"""The "GAN vs VAE vs diffusion" tab in a real browser: one seed through the three families,
every picture arrives; keep a screenshot."""
from __future__ import annotations

from conftest import requires_checkpoint

from browser import open_page, open_tab

pytestmark = requires_checkpoint("dcgan-fmnist", "vae16-fmnist")


def test_sample_all_three_families_in_browser(app_url, screenshots_dir):
    with open_page(app_url) as page:
        open_tab(page, "GAN vs VAE vs diffusion")
        page.get_by_label("DDIM steps (diffusion)").first.fill("4")
        page.get_by_role("button", name="Sample all three", exact=True).click()
        for key in ("gan", "vae", "diffusion"):
            page.locator(f"#families-{key} img").wait_for(state="visible")
        page.get_by_text("DDIM with 4 steps").wait_for(state="visible")
        page.screenshot(path=str(screenshots_dir / "families-tab.png"), full_page=True)
    assert (screenshots_dir / "families-tab.png").stat().st_size > 10_000
