"""The "Next frame" tab: its handlers on stand-in functions (the animation's frames and panels,
the horizon slider's replay, user-built sequences, a drawn item), its input checks, and the
per-horizon plots' tables."""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from apps import next_frame as tab
from gan_core.fmnist import FMNIST_CLASSES

LABELS = {"mse": "MSE", "gdl": "ℓ2 + GDL", "adv": "adversarial"}
PANEL_W, PANEL_H = 64 * tab.SCALE, 64 * tab.SCALE + tab.HEADER


def _sequence(value=200):
    """A white-ish square moving right by 2 px a frame, and a second one standing still."""
    frames = torch.zeros(1, 14, 64, 64, dtype=torch.uint8)
    pos = torch.zeros(1, 14, 2, 2, dtype=torch.long)
    for t in range(14):
        frames[0, t, 0:28, 2 * t:2 * t + 28] = value
        frames[0, t, 36:64, 36:64] = 100
        pos[0, t] = torch.tensor([[0, 2 * t], [36, 36]])
    return SimpleNamespace(frames=frames, positions=pos, labels=torch.tensor([[7, 8]]))


def _fakes(calls: list):
    level = {"mse": 0.25, "gdl": 0.5, "adv": 0.75}

    def test_sequence(i):
        calls.append(("test", i))
        return _sequence()

    def build_sequence(items, labels, start, velocity, length):
        calls.append(("build", [tuple(i.shape) for i in items], labels, start, velocity, length))
        seq = _sequence(int(items[0].max()))
        seq.labels = torch.tensor([labels])
        return seq

    def test_item(cls, example):
        if example > 5:
            raise ValueError(f"class {cls!r} has test items 0 to 5, got {example}")
        return torch.full((28, 28), 9 * example, dtype=torch.uint8)

    def drawn_item(image):
        calls.append(("drawn", image.size))
        return torch.full((28, 28), 255, dtype=torch.uint8)

    def rollouts(context, horizon):
        calls.append(("rollouts", tuple(context.shape), horizon))
        out = {k: torch.full((horizon, 64, 64), v) for k, v in level.items()}
        out["copy-last"] = context[-1:].expand(horizon, -1, -1)
        return out

    def judge_items(frames, positions, labels):
        return [[("Sneaker", 0.9, True), ("Coat", 0.5, False)] for _ in range(frames.shape[0])]

    def scores(pred, truth):
        return {"psnr": float(pred.mean() * 40), "sharpness": 5.0}

    return test_sequence, build_sequence, test_item, drawn_item, rollouts, judge_items, scores


def handlers(calls=None):
    return tab.make_handlers(*_fakes(calls if calls is not None else []), LABELS, FMNIST_CLASSES)


def _gif_frames(path):
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(np.asarray(im.convert("L")))
        return out


def test_a_test_sequence_plays_as_one_synchronised_animation():
    calls = []
    state, gif, still, verdict = handlers(calls)["play_test"](3, 4)
    assert calls == [("test", 3), ("rollouts", (4, 64, 64), 4)]
    frames = _gif_frames(gif)
    assert len(frames) == tab.CONTEXT + 4                          # 4 inputs, then 4 predictions
    gap = 4
    assert frames[0].shape == (PANEL_H, 4 * PANEL_W + 3 * gap)     # truth | MSE | l2+GDL | adversarial
    centre = lambda f, k, y=50, x=50: f[tab.HEADER + y * tab.SCALE, k * (PANEL_W + gap) + x * tab.SCALE]  # noqa: E731
    # the inputs: the true frame in every panel
    assert [centre(frames[0], k, 10, 10) for k in range(4)] == [200] * 4
    # prediction +1: the truth's square, then each model's constant level
    last = frames[tab.CONTEXT]
    assert centre(last, 0, 10, 20) == 200
    assert [centre(last, k) for k in (1, 2, 3)] == [64, 128, 191]
    assert state["labels"] == [7, 8] and state["frames"].shape == (14, 64, 64)
    assert still.size == (5 * PANEL_W + 4 * gap, PANEL_H)          # ... and copy-last beside them
    assert "Frame +4" in verdict and "Sneaker and Bag" in verdict
    assert "Sneaker 90% ✓, Coat 50% ✗" in verdict and "| 10.0 | 5.0 |" in verdict   # MSE: 0.25 * 40


def test_the_same_sequence_gives_the_same_file_and_the_slider_replays_it():
    h = handlers()
    state, gif, _, _ = h["play_test"](0, 2)
    assert h["play_test"](0, 2)[1] == gif
    again, gif10, _, verdict = h["at_horizon"](state, 10)
    assert again is state and len(_gif_frames(gif10)) == tab.CONTEXT + 10 and "Frame +10" in verdict
    with pytest.raises(gr.Error, match="Play a test sequence or build one first"):
        h["at_horizon"](None, 3)


BUILT = ("Sneaker", 2, "Bag", 0, None, 0, 0, 30, 30, 1, 2, -1, 0, 5)


def test_a_built_sequence_takes_its_items_positions_and_velocities():
    calls = []
    state, gif, _, verdict = handlers(calls)["play_built"](*BUILT)
    assert calls[0] == ("build", [(28, 28), (28, 28)], [7, 8], [[0, 0], [30, 30]], [[1, 2], [-1, 0]],
                        tab.CONTEXT + tab.MAX_HORIZON)
    assert len(_gif_frames(gif)) == tab.CONTEXT + 5 and state["labels"] == [7, 8]


def test_a_drawn_item_replaces_item_a(tmp_path):
    calls = []
    path = tmp_path / "drawing.png"
    Image.new("L", (90, 90), 255).save(path)
    args = list(BUILT)
    args[4] = str(path)
    *_, verdict = handlers(calls)["play_built"](*args)
    assert ("drawn", (90, 90)) in calls
    build = next(c for c in calls if c[0] == "build")
    assert build[2] == [-1, 8] and "a drawn item and Bag" in verdict
    assert "Sneaker 90%," in verdict and "Sneaker 90% ✓" not in verdict.split("\n")[3]  # no tick for a drawing


@pytest.mark.parametrize("index, args, message", [
    (9, 3, "velocity y of A must be a whole number between -3 and 3; got 50"),
    (13, 0, "horizon must be a whole number between 1 and 10; got 0"),
    (13, 11, "horizon must be a whole number between 1 and 10"),
    (5, -1, "start y of A must be a whole number between 0 and 36; got -1"),
    (6, 37, "start x of A must be a whole number between 0 and 36"),
    (0, "Unicorn", "item A must be one of"),
    (1, 99, "class 'Sneaker' has test items 0 to 5, got 99"),
    (1, 2.5, "example of item A must be a whole number"),
])
def test_bad_built_inputs_are_one_line_errors(index, args, message):
    values = list(BUILT)
    values[index] = args if index != 9 else 50
    with pytest.raises(gr.Error, match=message):
        handlers()["play_built"](*values)


def test_standing_still_and_broken_uploads_are_refused(tmp_path):
    values = list(BUILT)
    values[9:13] = [0, 0, 0, 0]
    with pytest.raises(gr.Error, match="Both items stand still"):
        handlers()["play_built"](*values)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    values = list(BUILT)
    values[4] = str(broken)
    with pytest.raises(gr.Error, match="drawn item"):
        handlers()["play_built"](*values)


@pytest.mark.parametrize("index, message", [(-1, "test sequence must be a whole number between 0 and 999"),
                                            (1000, "test sequence"), ("x", "test sequence"), (None, "test sequence")])
def test_bad_test_sequence_numbers(index, message):
    with pytest.raises(gr.Error, match=message):
        handlers()["play_test"](index, 3)


CURVES = {"horizons": [1, 2], "n_sequences": 16, "judge_ceiling": [0.9, 0.8],
          "mse": {"psnr": [20.0, 18.0], "sharpness": [15.0, 14.0], "judge_accuracy": [0.8, 0.6]},
          "adv": {"psnr": [19.5, 17.0], "sharpness": [16.0, 15.0], "judge_accuracy": [0.85, 0.7]},
          "copy-last": {"psnr": [15.0, 13.0], "sharpness": [12.0, 11.0], "judge_accuracy": [0.78, 0.5]}}


def test_the_curves_become_long_tables():
    df = tab.curve_frame(CURVES, "judge_accuracy", LABELS)
    assert set(df["model"]) == {"MSE", "adversarial", "copy last", "true frames"}
    assert df[(df.model == "adversarial") & (df.horizon == 2)]["judge_accuracy"].item() == 0.7
    assert len(tab.curve_frame(CURVES, "psnr", LABELS)) == 6
    assert tab.curve_frame({}, "psnr", LABELS).empty


def test_the_summary_says_what_the_figures_say():
    curves = {**CURVES, "horizons": [1, 2, 3]}
    curves = {k: ({m: v + [v[-1]] for m, v in c.items()} if isinstance(c, dict) else c) for k, c in curves.items()}
    text = tab.measured_summary(curves, LABELS)
    assert "PSNR 20.0 dB (MSE), 19.5 dB (adversarial), 15.0 dB (copy last)" in text
    assert "the adversarial model is sharper than MSE" in text and "recognises 60% of the items" in text
    curves["adv"]["sharpness"] = [14.0, 13.0, 13.0]
    assert "**not** sharper" in tab.measured_summary(curves, LABELS)
    assert tab.measured_summary({}, LABELS) == ""


def test_the_tab_builds_with_named_endpoints():
    demo = tab.create_demo(*_fakes([]), labels=LABELS, class_names=FMNIST_CLASSES, curves=CURVES)
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"nextframe_test", "nextframe_build", "nextframe_horizon", "nextframe_initial"} <= names
    plots = [b for b in demo.blocks.values() if isinstance(b, gr.LinePlot)]
    assert len(plots) == 3
    empty = tab.create_demo(*_fakes([]), labels=LABELS, class_names=FMNIST_CLASSES, curves={})
    assert not [b for b in empty.blocks.values() if isinstance(b, gr.LinePlot)]
