"""The launched app answers gradio_client on its endpoints; every endpoint has a test."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import requires_checkpoint

TESTS = Path(__file__).resolve().parent.parent  # tests/: family/, tabs/, e2e/ and the files at the top

SAMPLING_CALLS = {
    "/sample_grid": (3, 16),
    "/interpolate": (1, 2, 6),
    "/exemplars": (7,),
    "/initial_exemplars": (7,),
    "/vector_arithmetic": (7, [0, 1, 2], [3, 4, 5], [6, 7, 8]),
}


@requires_checkpoint("dcgan-fmnist")
@pytest.mark.parametrize("api_name", sorted(SAMPLING_CALLS))
def test_sampling_endpoint(client, api_name):
    result = client.predict(*SAMPLING_CALLS[api_name], api_name=api_name)
    images = [r for r in (result if isinstance(result, (list, tuple)) else [result])
              if isinstance(r, str) and r.endswith(".png")]
    assert images, result
    for path in images:
        with Image.open(path) as im:
            assert im.width > 80 and im.height > 80


@requires_checkpoint("dcgan-fmnist")
def test_bad_input_through_the_api_is_reported_and_the_server_keeps_serving(client):
    # Gradio's own range check on the slider, or ours behind it: either names the limit
    with pytest.raises(Exception, match=r"(greater than maximum value 64|between 1 and 64)"):
        client.predict(0, 10_000, api_name="/sample_grid")
    with pytest.raises(Exception, match="Pick 1 to 3 exemplars for group A"):
        client.predict(7, [], [1], [2], api_name="/vector_arithmetic")
    assert client.predict(0, 4, api_name="/sample_grid").endswith(".png")


def test_every_public_endpoint_is_called_by_some_test(client):
    """A new listener must come with a gradio_client test that names its api_name."""
    info = client.view_api(print_info=False, return_format="dict")
    endpoints = set(info["named_endpoints"])
    tests_text = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))  # every layer's tests
    called = set(re.findall(r'"(/[a-z0-9_]+)"', tests_text))
    assert endpoints, "the app exposes no endpoint"
    assert endpoints <= called, f"endpoints without a client test: {sorted(endpoints - called)}"


def test_the_suite_builds_one_web_app_and_every_tab_inside_it(monkeypatch):
    # a tab built as its own gr.Blocks inside the suite builds a whole FastAPI app nobody serves
    # (apps/tab.py); the suite must build exactly one, and every tab's listeners must be in it
    import gradio.routes

    import app
    from apps import technique_table
    made = []
    create = gradio.routes.App.create_app
    monkeypatch.setattr(gradio.routes.App, "create_app",
                        staticmethod(lambda *a, **k: made.append(a[0]) or create(*a, **k)))
    spy = gradio.routes.App.create_app
    demo = app.configure_queue(app.build_demo())
    assert made == []  # closing the Blocks and queue() would each build one nobody serves: skipped
    assert gradio.routes.App.create_app is spy  # and the function in place before is back
    from conftest import free_port
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        assert made == [demo]  # launch() builds the one it serves
        assert demo.app is not None and demo.server_app is demo.app
    finally:
        demo.close()
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"lab_play", "sample_grid", "super_resolve", "nextframe_test", "gallery_dirac"} <= names
    # the Improved Techniques section sits under the training lab, with its title
    texts = [getattr(b, "value", None) for b in demo.blocks.values()]
    assert technique_table.TITLE in texts


def test_python_app_py_starts_without_the_notebook_machinery():
    # gradio imports IPython, when it is installed, for its notebook magic only; `python app.py` skips it
    import subprocess
    import sys

    from gan_core import settings
    code = ("import runpy, sys\nsys.argv = ['app.py', '--help']\n"
            "try:\n    runpy.run_path('app.py', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('gradio' in sys.modules, sys.modules.get('IPython', 'absent'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.REPO_ROOT, capture_output=True, text=True,
                         timeout=300, check=True).stdout.strip().splitlines()
    assert out[-1] == "True None"  # gradio imported, IPython refused (not merely absent)


def test_the_queue_does_not_summarise_every_request_for_a_page_it_does_not_serve(monkeypatch):
    # Gradio's monitoring summary (a pandas table of the last 10 000 requests, grouped by endpoint)
    # was recomputed after every request; the suite keeps 1000 and recomputes once per 1000
    import gradio as gr

    import app
    for var in ("GRADIO_ANALYTICS_MAX_EVENTS", "GRADIO_ANALYTICS_CACHE_FREQUENCY"):
        monkeypatch.delenv(var, raising=False)
    with gr.Blocks() as tiny:
        gr.Button("go").click(lambda: None, api_name="go")
    queue = app.configure_queue(tiny)._queue
    assert queue.ANALYTICS_MAX_EVENTS == 1000
    tables, table = [], queue._get_df
    monkeypatch.setattr(queue, "_get_df", lambda records: tables.append(len(records)) or table(records))
    records = [{"function": "go", "status": "success", "process_time": 0.1}] * 5
    for recorded in range(1, 2001):  # what Gradio does after each finished request
        queue.events_recorded = recorded
        queue.compute_analytics_summary(records)
    assert tables == [5, 5]  # at the 1000th and the 2000th request only
    assert queue.cached_event_analytics_summary["functions"]["go"]["total_requests"] == 5


def test_gan_suite_tabs_serves_the_named_tabs_in_their_order(monkeypatch):
    import app
    monkeypatch.delenv("GAN_SUITE_TABS", raising=False)
    assert app.chosen_tabs() == app.TABS
    monkeypatch.setenv("GAN_SUITE_TABS", " Super-resolution, GAN training lab ")
    assert [t for t, _ in app.chosen_tabs()] == ["Super-resolution", "GAN training lab"]
    assert app.chosen_tabs()[0][1] is app.mount_super_resolution
    monkeypatch.setenv("GAN_SUITE_TABS", "Super-resolution,Diffusion" + "x" * 500)
    with pytest.raises(ValueError, match="unknown tab 'Diffusionx.*; the tabs are: GAN training lab,") as err:
        app.chosen_tabs()
    assert len(str(err.value)) < 300


def test_an_idle_queue_looks_for_work_200_times_a_second_not_1000(monkeypatch):
    # Gradio's dispatcher sleeps 1 ms whenever no request can start: 1000 wake-ups a second on an idle
    # server (about a tenth of a core here; 850 looks a second measured with Gradio's setting). The
    # suite's queue sleeps GAN_SUITE_QUEUE_POLL_MS (5 ms).
    import time

    import gradio as gr
    from gradio.queueing import Queue
    from gradio_client import Client

    import app
    monkeypatch.delenv("GAN_SUITE_QUEUE_POLL_MS", raising=False)
    monkeypatch.delenv("GAN_SUITE_PROGRESS_POLL_MS", raising=False)
    with gr.Blocks() as tiny:
        gr.Button("go").click(lambda: "done", None, gr.Textbox(), api_name="go")
    demo = app.configure_queue(tiny)
    queue = demo._queue
    assert queue.sleep_when_free == 0.005 and queue.progress_update_sleep_when_free == 0.05
    looks = []  # this queue's looks only (another app may be serving in this process)
    length = Queue.__len__
    monkeypatch.setattr(Queue, "__len__",
                        lambda self: (looks.append(time.perf_counter()) if self is queue else None) or length(self))
    demo.launch(prevent_thread_lock=True, quiet=True)
    try:
        time.sleep(1.0)
        looks.clear()
        time.sleep(2.0)
        per_second = len(looks) / 2.0
        assert 50 < per_second <= 210, per_second          # every 5 ms (+ the loop's own time), not every 1 ms
        assert Client(demo.local_url, verbose=False).predict(api_name="/go") == "done"   # and it still serves
    finally:
        demo.close()


def test_python_app_py_bounds_the_sessions_and_the_allocator(monkeypatch):
    # Gradio keeps every session's state and a copy of the page's configuration for 10 000 sessions by
    # default; `python app.py` keeps GAN_SUITE_SESSIONS and starts serving before loading the models
    import gradio as gr

    import app
    from conftest import free_port
    with gr.Blocks() as tiny:
        gr.Button("go").click(lambda: None, api_name="go")
    served, order = [], []
    monkeypatch.setenv("GAN_SUITE_SESSIONS", "7")
    monkeypatch.setenv("GAN_SUITE_ARENAS", "3")
    monkeypatch.setenv("GAN_SUITE_TRIM_SECONDS", "45")
    monkeypatch.setattr(app.memory, "limit_arenas", lambda n: order.append(("arenas", n)))
    monkeypatch.setattr(app.memory, "start_trimming", lambda s: order.append(("trim every", s)))
    monkeypatch.setattr(app, "build_demo", lambda: tiny)
    monkeypatch.setattr(app, "warm_up", lambda: order.append("warm-up"))
    monkeypatch.setattr(gr.Blocks, "block_thread", lambda self: served.append(self.is_running))
    launch = gr.Blocks.launch
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: order.append("launch") or launch(self, **kw))
    try:
        app.main(["--port", str(free_port())])
        # the allocator is capped before anything is built, trimmed once the page is served
        assert served == [True] and order[:3] == [("arenas", 3), "launch", ("trim every", 45)]
        assert tiny.state_holder.capacity == 7
    finally:
        tiny.close()
