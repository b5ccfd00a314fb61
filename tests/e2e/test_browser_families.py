"""The "GAN vs VAE vs diffusion" tab in a real browser: one seed through the three families, every picture
arrives; the class menu reaches the class-conditional U-Net only; keep screenshots."""
from __future__ import annotations

from conftest import requires_checkpoint

from browser import open_page, open_tab
from gan_core.registry import DIFFUSION_MODELS

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


def test_class_menu_steers_only_the_conditional_unet_in_browser(app_url, screenshots_dir):
    """Choosing a class: refused in one line for an unconditional U-Net, obeyed by the conditional one."""
    with open_page(app_url) as page:
        open_tab(page, "GAN vs VAE vs diffusion")
        page.get_by_label("DDIM steps (diffusion)").first.fill("4")
        page.get_by_label("class (class-conditional U-Net)").click()
        page.get_by_role("option", name="Trouser", exact=True).click()
        sample = page.get_by_role("button", name="Sample all three", exact=True)
        sample.click()
        page.get_by_text("Only the class-conditional U-Net takes a class").first.wait_for(state="visible")
        page.get_by_label(DIFFUSION_MODELS["cond"][1]).check()
        sample.click()
        page.get_by_text("the diffusion model told: Trouser, guidance w = 0").wait_for(state="visible")
        page.locator("#families-diffusion img").wait_for(state="visible")
        page.screenshot(path=str(screenshots_dir / "families-told-a-class.png"), full_page=True)
    assert (screenshots_dir / "families-told-a-class.png").stat().st_size > 10_000
