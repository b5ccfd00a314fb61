"""How a new visitor is served (apps/serving.py): the page description from memory after the first
answer, and sessions that copy a component's configuration only when they need it."""
from __future__ import annotations

import gradio as gr
import pytest
from gradio import state_holder
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from apps import serving


def counting_app(cookie_paths=()):
    calls = []

    def answer(request):
        calls.append((request.url.path, request.headers.get("host")))
        if request.url.path == "/gradio_api/info":
            return PlainTextResponse("not yet", status_code=503)
        response = JSONResponse({"n": len(calls), "root": str(request.base_url)})
        if request.url.path in cookie_paths:
            response.set_cookie("affinity", "1")
        return response

    routes = [Route(p, answer, methods=["GET", "POST"]) for p in ("/", "/config", "/gradio_api/info", "/other")]
    return Starlette(routes=routes), calls


def test_the_page_description_is_built_once_per_origin():
    inner, calls = counting_app()
    client = TestClient(serving.CachedPages(inner))
    first = client.get("/config")
    assert client.get("/config").content == first.content and len(calls) == 1    # from memory
    assert first.json() == {"n": 1, "root": "http://testserver/"}
    assert client.get("/").json()["n"] == 2 and client.get("/").json()["n"] == 2
    # another origin (a proxy's forwarded host) gets its own answer: the URLs inside differ
    assert client.get("/config", headers={"x-forwarded-host": "example.org"}).json()["n"] == 3
    assert client.get("/config", headers={"x-forwarded-host": "example.org"}).json()["n"] == 3
    # never from memory: a query string, another method, another path, a failure, a cookie
    assert client.get("/config?page=x").json()["n"] == 4
    assert client.post("/config").json()["n"] == 5
    assert client.get("/other").json()["n"] == 6 and client.get("/other").json()["n"] == 7
    assert client.get("/gradio_api/info").status_code == 503 and client.get("/gradio_api/info").status_code == 503
    assert len(calls) == 9


def test_an_answer_that_sets_a_cookie_is_not_kept():
    inner, calls = counting_app(cookie_paths=("/",))
    client = TestClient(serving.CachedPages(inner))
    assert [client.get("/").json()["n"] for _ in range(3)] == [1, 2, 3]
    assert [client.get("/config").json()["n"] for _ in range(3)] == [4, 4, 4]


def small_demo():
    with gr.Blocks() as demo:
        a = gr.Textbox("hello", label="a")
        b = gr.Slider(0, 10, value=3, label="b")
        c = gr.Image(label="c")
        gr.State([])
        a.submit(lambda x: x, a, c)
    return demo, (a, b, c)


def test_a_lean_session_reads_as_gradios_session_does():
    demo, (a, b, c) = small_demo()
    eager, lean = state_holder.SessionState(demo), serving.LeanSessionState(demo)
    assert set(vars(lean)) == set(vars(eager))                # Gradio's attributes, all of them
    assert dict.__len__(lean.config_values) == 0              # nothing copied up front
    assert a._id in lean.config_values and lean.config_values[a._id] == eager.config_values[a._id]
    assert dict.__len__(lean.config_values) == 1              # one entry, built when read
    # what a finished event writes, then the whole copy (what a deep link reads)
    for state in (eager, lean):
        state[b._id] = gr.Slider(0, 10, value=7, label="b", render=False)
        state._update_value_in_config(c._id, {"path": "x.png"})
    assert list(lean.components) == list(eager.components)
    assert lean.config_values[b._id] == eager.config_values[b._id]
    assert lean.config_values[c._id]["props"]["value"] == {"path": "x.png"}
    assert lean.config_values[c._id] == eager.config_values[c._id]


def test_install_makes_new_sessions_lean(monkeypatch):
    monkeypatch.setattr(state_holder, "SessionState", state_holder.SessionState)
    serving.install()
    demo, _ = small_demo()
    holder = state_holder.StateHolder()
    holder.set_blocks(demo)
    assert isinstance(holder["some-session"], serving.LeanSessionState)


@pytest.mark.parametrize("path", ["/config", "/gradio_api/info"])
def test_the_served_suite_answers_from_memory_what_gradio_builds(app_url, path):
    import httpx
    built = httpx.get(app_url.rstrip("/") + path + "?all_endpoints=" if path.endswith("info") else
                      app_url.rstrip("/") + path + "?deep_link=").json()      # a query string: built anew
    httpx.get(app_url.rstrip("/") + path)
    kept = httpx.get(app_url.rstrip("/") + path).json()
    assert kept == built
