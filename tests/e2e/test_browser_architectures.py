"""The "GAN architectures" tab in a real browser: draw a traversal, move the c2 slider, see the
grid change; keep a screenshot."""
from __future__ import annotations

from conftest import requires_checkpoint, requires_fmnist

from browser import open_page, open_tab

pytestmark = [requires_fmnist, requires_checkpoint("cgan-fmnist", "acgan-fmnist", "infogan-fmnist", "sgan-fmnist",
                                                   "supervised-fmnist", "fmnist-classifier")]


def test_moving_a_code_slider_redraws_the_traversal(app_url, screenshots_dir):
    with open_page(app_url) as page:
        open_tab(page, "GAN architectures")
        img, button = page.locator("#arch-traversal img"), page.get_by_role("button", name="Traverse", exact=True)
        button.click()
        page.get_by_text("seeds 0 … 3").wait_for(state="visible")
        before = img.get_attribute("src")
        slider = page.locator("#arch-c2 input[type=range]")
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(5):
            slider.press("ArrowRight")  # c2: 0 -> 0.5
        page.wait_for_function("(b) => { const i = document.querySelector('#arch-traversal img');"
                               " return i && i.getAttribute('src') !== b; }", arg=before)
        page.screenshot(path=str(screenshots_dir / "architectures-tab.png"), full_page=True)
    assert (screenshots_dir / "architectures-tab.png").stat().st_size > 10_000


def test_the_drawing_is_classified_in_browser(app_url):
    with open_page(app_url) as page:
        open_tab(page, "GAN architectures")
        button = page.get_by_role("button", name="Classify the drawing", exact=True)
        button.scroll_into_view_if_needed()
        button.click()
        page.wait_for_function("() => { const l = document.querySelector('#arch-p-sgan');"
                               " return l && /\\d+%/.test(l.innerText); }")
        assert "%" in page.locator("#arch-p-base").inner_text()
