"""The "Next frame" tab in a real browser: play a test sequence, see the animation and the
verdicts arrive, move the horizon, keep a screenshot."""
from __future__ import annotations

import re

from conftest import requires_checkpoint, requires_fmnist

from browser import open_page, open_tab

pytestmark = [requires_fmnist, requires_checkpoint("fmnist-classifier", "nextframe-mse", "nextframe-gdl",
                                                   "nextframe-adv")]


def test_play_a_sequence_in_browser(app_url, screenshots_dir):
    with open_page(app_url) as page:
        open_tab(page, "Next frame")
        # the page plays test sequence 0 on load; let that answer arrive first, or its "Frame +10"
        # (and a late overwrite of the horizon replay) would be mistaken for sequence 12's
        page.locator("#nextframe-verdict").get_by_text("Frame +10").wait_for(state="visible")
        page.wait_for_function("() => { const i = document.querySelector('#nextframe-animation img');"
                               " return i && i.src.includes('.gif'); }")
        first = page.locator("#nextframe-animation img").get_attribute("src")
        page.get_by_label(re.compile(r"^test sequence")).fill("12")
        page.locator("#nextframe-play").click()
        # GIF files are named by their content, so sequence 12's animation has a new address
        page.wait_for_function("(first) => { const i = document.querySelector('#nextframe-animation img');"
                               " return i && i.src.includes('.gif') && i.src !== first && i.complete"
                               " && i.naturalWidth > 700; }", arg=first)
        page.locator("#nextframe-still img").wait_for(state="visible")
        page.locator("#nextframe-verdict").get_by_text("Frame +10").wait_for(state="visible")
        # the horizon slider replays the same sequence to a shorter horizon
        # (moved as a user drags it: its range input)
        page.locator("#nextframe-horizon input[type=range]").fill("3")
        page.locator("#nextframe-verdict").get_by_text("Frame +3").wait_for(state="visible")
        page.screenshot(path=str(screenshots_dir / "next-frame-tab.png"), full_page=True)
    assert (screenshots_dir / "next-frame-tab.png").stat().st_size > 10_000
