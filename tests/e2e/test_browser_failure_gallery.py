"""The "Failure gallery" tab in a real browser: open it, run one live case (D too strong) to its end,
keep a screenshot."""
from __future__ import annotations

from browser import open_page, open_tab


def test_run_a_live_failure_in_the_browser(app_url, screenshots_dir):
    with open_page(app_url) as page:
        open_tab(page, "Failure gallery")
        page.get_by_role("button", name="Reproduce: D too strong (live, 2-D)").click()
        page.get_by_text("the non-saturating gradient was").wait_for(state="visible", timeout=120_000)
        page.locator("#gallery-strong-d-frame img").wait_for(state="visible")
        page.locator("#gallery-strong-d-grads canvas, #gallery-strong-d-grads svg").first.wait_for(state="visible")
        page.wait_for_timeout(500)  # the plot's first paint
        page.screenshot(path=str(screenshots_dir / "failure-gallery-tab.png"), full_page=True)
    assert (screenshots_dir / "failure-gallery-tab.png").stat().st_size > 10_000
