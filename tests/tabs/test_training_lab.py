"""The training-lab tab's handlers without a browser: sessions, streaming, the cap, bad inputs."""
from __future__ import annotations

import time
from types import SimpleNamespace

import gradio as gr
import pytest
import torch

from apps import training_lab as tl
from gan_core.lab.sessions import LiveLabs

SMALL = dict(g_layers=1, g_units=16, d_layers=1, d_units=16, batch=32, every=20)


def vals(**over) -> list:
    v = {**tl.DEFAULTS, **SMALL, **over}
    return [v[n] for n in tl.NAMES]


def weights(lab) -> list[torch.Tensor]:
    return [p.detach().clone() for p in (*lab.G.parameters(), *lab.D.parameters())]


def test_two_sessions_are_independent():
    h = tl.make_handlers()
    s1, _, _ = h["restart"](None, *vals())
    s2, _, _ = h["restart"](None, *vals())
    start = weights(s2.a)
    for _ in range(3):
        s1, img, text = h["step_iteration"](s1, *vals())
    assert s1.key != s2.key and s1.a is not s2.a
    assert (s1.a.g_steps, s2.a.g_steps) == (3, 0) and text.startswith("Iteration 3")
    assert all(torch.equal(a, b) for a, b in zip(start, weights(s2.a)))
    s2, _, _ = h["step_d"](s2, *vals())
    assert (s2.a.d_steps, s2.a.g_steps, s1.a.d_steps) == (1, 0, 3)


def test_stream_yields_frames_and_stops_when_the_consumer_leaves():
    h = tl.make_handlers()
    stream = h["play"](None, *vals())
    session, first, _ = next(stream)
    assert session.a.g_steps == 0 and h["live"].live() == 1       # the first frame comes before training
    session, second, _ = next(stream)
    assert session.a.g_steps == 20 and first.tobytes() != second.tobytes()
    stream.close()                                                  # what Gradio does on a disconnect
    assert h["live"].live() == 0
    time.sleep(0.2)
    assert session.a.g_steps == 20


def test_pause_ends_the_stream_and_releases_its_slot():
    h = tl.make_handlers()
    stream = h["play"](None, *vals())
    session, _, _ = next(stream)
    session, text = h["pause"](session)
    assert text == "Paused." and next(stream)[2].endswith("Paused.")  # the stream's last frame says so
    with pytest.raises(StopIteration):
        next(stream)
    assert h["live"].live() == 0


def test_steps_per_request_are_capped():
    h = tl.make_handlers(max_steps=40)
    frames = list(h["play"](None, *vals()))
    assert frames[-1][0].a.g_steps == 40 and "Paused after 40 iterations" in frames[-1][2]


def test_cap_on_live_labs_is_said_and_stale_slots_are_reclaimed():
    h = tl.make_handlers(max_live=1)
    first = h["play"](None, *vals())
    next(first)
    with pytest.raises(gr.Error, match="1 labs are training on this server right now"):
        next(h["play"](None, *vals()))
    first.close()
    next(h["play"](None, *vals()))                                  # the slot is free again
    live = LiveLabs(cap=1, stale_s=0.05)
    assert live.acquire("a") and not live.acquire("b")
    time.sleep(0.1)
    assert live.acquire("b") and live.live() == 1


def test_ab_twins_start_from_the_same_weights():
    h = tl.make_handlers()
    session, img, _ = h["restart"](None, *vals(ab="minibatch discrimination"))
    assert session.b is not None and session.b.config.minibatch and not session.a.config.minibatch
    assert all(torch.equal(p.weight, q.weight) for p, q in zip(session.a.D.hidden, session.b.D.hidden))
    assert all(torch.equal(a, b) for a, b in zip(session.a.G.parameters(), session.b.G.parameters()))
    _, single, _ = h["restart"](None, *vals())
    assert img.width > 2 * single.width - 100                       # two panels side by side


@pytest.mark.parametrize("name,value", [("d_lr", float("nan")), ("seed", "x" * 500), ("g_units", 1e300),
                                        ("k", float("inf")), ("batch", 10**9), ("d_layers", 2.5),
                                        ("loss", "hinge" * 100), ("dataset", None)])
def test_bad_inputs_raise_short_errors(name, value):
    h = tl.make_handlers()
    with pytest.raises(gr.Error) as err:
        h["step_g"](None, *vals(**{name: value}))
    message = str(err.value.message)
    assert "\n" not in message and len(message) < 160 and "x" * 30 not in message and "hinge" * 6 not in message


def test_drawn_data_needs_points_and_clicks_add_them():
    h = tl.make_handlers()
    with pytest.raises(gr.Error, match="add at least one point"):
        h["restart"](None, *vals(dataset="drawn", points=""))
    with pytest.raises(gr.Error, match="'x, y'"):
        h["restart"](None, *vals(dataset="drawn", points="1 2 3"))
    text, _ = h["add_point"]("", SimpleNamespace(index=[270, 90]))  # 3/4 across, 1/4 down the square
    text, _ = h["add_point"](text, SimpleNamespace(index=[90, 270]))
    assert text == "1.50, 1.50\n-1.50, -1.50"
    session, _, _ = h["restart"](None, *vals(dataset="drawn", points=text))
    assert session.a.data.modes.tolist() == [[1.5, 1.5], [-1.5, -1.5]]
    with pytest.raises(gr.Error):
        h["add_point"](text, None)


def test_equation_and_presets():
    h = tl.make_handlers()
    assert "log(1-D(G(z)))" in h["equation"]("minimax").replace(" ", "")
    assert "lambda" in h["equation"]("wgan_gp")
    names = [n for n in tl.NAMES if n not in ("dataset", "points", "seed")]
    loaded = {p: dict(zip(names, h["preset"](p))) for p in tl.LAB_PRESETS}
    for name, values in loaded.items():
        config, _, _ = tl.parse(vals(**{**values, "every": 20}))
        assert config == tl.dataclasses.replace(tl.LAB_PRESETS[name], seed=0), name  # the boxes rebuild the preset
    improved, vanilla = loaded["improved"], loaded["vanilla"]
    assert improved != vanilla and not any(vanilla[n] for n in tl.SWITCH_FIELDS)


def test_the_page_opens_on_the_vanilla_preset():
    preset = tl.PRESETS["vanilla"]
    assert {n: tl.DEFAULTS[n] for n in preset} == preset      # the controls start as "Load preset: vanilla"
    config, _, _ = tl.parse(list(tl.DEFAULTS[n] for n in tl.NAMES))
    assert config == tl.LAB_PRESETS["vanilla"]


def test_explanations_hold_no_control_characters():
    """The tab's texts are plain Python strings with LaTeX in them: a single backslash before b, t, f
    or n would turn into a control character (\\b, \\t ...) and break the formula on the page."""
    for text in (tl.ALGORITHM, tl.TECHNIQUES):
        assert not [c for c in text if ord(c) < 32 and c != "\n"]
    assert "\\bar\\theta_G" in tl.TECHNIQUES
