"""Driving the running suite in a real browser: Debian's chromium through playwright.

On a machine without chromium the browser tests skip with that reason; CI sets
GAN_SUITE_REQUIRE_BROWSER=1 so that there a missing browser fails instead of skipping.
"""
from __future__ import annotations

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def browser_missing_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return "chromium not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


def require_browser() -> None:
    reason = browser_missing_reason()
    if reason is None:
        return
    if os.environ.get("GAN_SUITE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but cannot run: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def open_page(url: str, width: int = 1280, height: int = 1400):
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.wait_for_selector("gradio-app", state="attached")
            yield page
        finally:
            browser.close()


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()
