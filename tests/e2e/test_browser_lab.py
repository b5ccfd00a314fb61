"""The training lab in a real browser: press play, see the figure change while it trains, pause."""
from __future__ import annotations

import socket
import time

import pytest

from browser import open_page

SRC = "() => { const i = document.querySelector('#lab-figure img'); return i ? i.src : null; }"


@pytest.fixture(scope="module")
def lab_url():
    import gradio as gr

    from apps import training_lab as tl
    with gr.Blocks() as demo:
        tl.create_demo()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def wait_for_new_src(page, old, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        src = page.evaluate(SRC)
        if src and src != old:
            return src
        time.sleep(0.1)
    raise AssertionError("the figure did not change")


def test_play_updates_the_figure_then_pause_stops_it(lab_url, screenshots_dir):
    with open_page(lab_url) as page:
        status = page.locator("#lab-status")
        first = wait_for_new_src(page, None)                 # the initial frame from the page load
        page.locator("#lab-play").click()
        second = wait_for_new_src(page, first)
        third = wait_for_new_src(page, second)               # still streaming
        assert len({first, second, third}) == 3
        page.locator("#lab-pause").click()
        page.wait_for_function("() => document.querySelector('#lab-status').innerText.includes('Paused')")
        time.sleep(1.5)                                      # let a frame in flight arrive
        settled = page.evaluate(SRC)
        time.sleep(1.5)
        assert page.evaluate(SRC) == settled                 # no new frames after the pause
        assert "Paused" in status.inner_text()
        page.screenshot(path=str(screenshots_dir / "training-lab.png"), full_page=True)
    assert (screenshots_dir / "training-lab.png").stat().st_size > 10_000
