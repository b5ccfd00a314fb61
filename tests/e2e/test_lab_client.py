"""The training-lab tab alone in a gr.Blocks on a free port, every endpoint called by gradio_client."""
from __future__ import annotations

import socket
import time

import pytest
from gradio_client import Client
from PIL import Image

from apps import training_lab as tl
from gan_core.lab.sessions import LiveLabs

SMALL = dict(g_layers=1, g_units=16, d_layers=1, d_units=16, batch=32, every=20)


def vals(**over) -> list:
    v = {**tl.DEFAULTS, **SMALL, **over}
    return [v[n] for n in tl.NAMES]


@pytest.fixture(scope="module")
def lab_server():
    import gradio as gr
    live = LiveLabs(cap=1)
    from apps import inputs
    with gr.Blocks() as demo:
        tl.create_demo(live=live, max_steps=400)
    inputs.harden(demo)  # as app.py serves it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/", live
    demo.close()


def test_steps_restart_reset_and_sessions(lab_server):
    url, _ = lab_server
    a, b = Client(url, verbose=False), Client(url, verbose=False)
    fig, text = a.predict(*vals(), api_name="/lab_restart")
    assert Image.open(fig).size[0] == 360 and text.startswith("Iteration 0")
    assert a.predict(*vals(), api_name="/lab_step_d")[1].startswith("Iteration 0 (D steps 1)")
    assert a.predict(*vals(), api_name="/lab_step_g")[1].startswith("Iteration 1 (D steps 1)")
    assert a.predict(*vals(), api_name="/lab_step_iteration")[1].startswith("Iteration 2 (D steps 2)")
    assert b.predict(*vals(), api_name="/lab_step_d")[1].startswith("Iteration 0 (D steps 1)")  # its own lab
    fig, text, seed = a.predict(*vals(seed=7), api_name="/lab_reset")
    assert seed == 8 and text.startswith("Iteration 0") and "seed 8" in text
    assert a.predict(api_name="/lab_pause") == "Paused."


def test_play_streams_frames_and_a_cancelled_stream_frees_its_slot(lab_server):
    url, live = lab_server
    client = Client(url, verbose=False)
    job = client.submit(*vals(), api_name="/lab_play")
    deadline = time.time() + 60
    while len(job.outputs()) < 3 and time.time() < deadline:
        time.sleep(0.1)
    frames = job.outputs()
    assert len(frames) >= 3 and live.live() == 1
    assert open(frames[0][0], "rb").read() != open(frames[2][0], "rb").read()
    other = Client(url, verbose=False)                      # the cap (1 here) is said, not queued silently
    with pytest.raises(Exception, match="the most it allows"):
        other.predict(*vals(), api_name="/lab_play")
    job.cancel()                                             # the client leaves: the server closes the stream
    while live.live() and time.time() < deadline:
        time.sleep(0.1)
    assert live.live() == 0
    steps = int(job.outputs()[-1][1].split()[1])
    final = other.predict(*vals(), api_name="/lab_play")         # runs to the per-press cap of 400
    assert "Paused after 400 iterations" in final[1] and steps < 400


def test_pause_stops_a_running_stream(lab_server):
    url, live = lab_server
    client = Client(url, verbose=False)
    job = client.submit(*vals(), api_name="/lab_play")
    while len(job.outputs()) < 2:
        time.sleep(0.05)
    assert client.predict(api_name="/lab_pause") == "Paused."
    job.result(timeout=30)                                   # the stream ends by itself
    assert job.done() and live.live() == 0
    assert "Paused after" not in job.outputs()[-1][1]


def test_points_equation_preset_and_bad_input(lab_server):
    url, _ = lab_server
    client = Client(url, verbose=False)
    assert Image.open(client.predict("1, 1\n-2, 0.5", api_name="/lab_show_points")).size == (360, 360)
    text, canvas = client.predict(api_name="/lab_clear_points")
    assert text == "" and Image.open(canvas).size == (360, 360)
    assert "D(G(z))" in client.predict("least_squares", api_name="/lab_equation")
    assert len(client.predict("improved", api_name="/lab_preset")) == len(tl.NAMES) - 3
    fig, text = client.predict(*vals(dataset="drawn", points="0, 0\n1, 1"), api_name="/lab_step_iteration")
    assert text.startswith("Iteration 1")
    with pytest.raises(Exception, match="D learning rate must be a number between 1e-06 and 1; got 5.0"):
        client.predict(*vals(d_lr=5.0), api_name="/lab_step_d")
    with pytest.raises(Exception, match="add at least one point"):
        client.predict(*vals(dataset="drawn", points=""), api_name="/lab_play")
