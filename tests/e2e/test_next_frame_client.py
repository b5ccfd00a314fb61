"""The "Next frame" tab alone on a free port, on the shipped checkpoints, every endpoint called by
gradio_client: a test sequence's rollouts (the still panels are the API's rollouts, pixel for
pixel), a user-built sequence, the horizon replay, and nonsense inputs answered with one line."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from gradio_client import Client
from PIL import Image

import gan_core
from apps import inputs, next_frame
from conftest import free_port, requires_checkpoint, requires_fmnist

pytestmark = [requires_fmnist, requires_checkpoint("fmnist-classifier", "nextframe-mse", "nextframe-gdl",
                                                   "nextframe-adv")]
GAP = 4
PANEL_W = 64 * next_frame.SCALE


@pytest.fixture(scope="module")
def url():
    demo = inputs.harden(next_frame.create_demo(
        gan_core.nextframe_test_sequence, gan_core.nextframe_sequence, gan_core.nextframe_test_item,
        gan_core.nextframe_drawn_item, gan_core.nextframe_rollouts, gan_core.nextframe_judge, gan_core.nextframe_scores,
        labels={k: label for k, (_, label) in gan_core.NEXT_FRAME.items()}, class_names=gan_core.FMNIST_CLASSES,
        curves=gan_core.nextframe_curves()))
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def _panels(path: str, n: int) -> np.ndarray:
    """The 64x64 frames of a row of ``n`` panels (3x, caption strip above): ``(n, 64, 64)`` in [0, 1]."""
    with Image.open(path) as im:
        a = np.asarray(im.convert("L")).astype(np.float32) / 255
    top = next_frame.HEADER + 1
    return np.stack([a[top::next_frame.SCALE, 1 + k * (PANEL_W + GAP):(k + 1) * PANEL_W + k * GAP:next_frame.SCALE]
                     for k in range(n)])


def test_a_test_sequence_comes_back_as_animation_still_and_verdicts(url):
    client = Client(url, verbose=False)
    gif, still, verdict = client.predict(7, 3, api_name="/nextframe_test")
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == next_frame.CONTEXT + 3
    seq = gan_core.nextframe_test_sequence(7)
    frames = seq.frames[0].float() / 255
    want = gan_core.nextframe_rollouts(frames[:4], 3)
    got = _panels(still, 5)                                  # truth | MSE | l2+GDL | adversarial | copy-last
    assert np.abs(got[0] - frames[6].numpy()).max() <= 1 / 255 + 1e-6
    for k, key in enumerate(("mse", "gdl", "adv", "copy-last"), start=1):
        assert np.abs(got[k] - want[key][2].numpy()).max() <= 1 / 255 + 1e-6, key
    assert "Frame +3" in verdict and verdict.count("✓") + verdict.count("✗") == 10   # 5 rows x 2 items


def test_a_built_sequence_and_the_horizon_replay(url):
    client = Client(url, verbose=False)
    gif, still, verdict = client.predict("Trouser", 1, "Bag", 2, None, 0, 0, 36, 30, 2, 3, -1, -2, 4,
                                         api_name="/nextframe_build")
    with Image.open(gif) as im:
        assert im.n_frames == next_frame.CONTEXT + 4
    assert "Trouser and Bag" in verdict and "Frame +4" in verdict
    item = gan_core.nextframe_test_item("Trouser", 1).float() / 255
    truth = _panels(still, 1)[0]
    # frame +4 is frame 7 (counting from 0): item A at (2 * 7, 3 * 7) = (14, 21), not bounced yet; the
    # frame there is the item, or brighter where item B overlaps it
    box = truth[14:42, 21:49]
    assert (box >= item.numpy() - 1 / 255 - 1e-6).all() and np.abs(box - item.numpy()).mean() < 0.05
    # the horizon slider replays the same sequence (the session's state) to another horizon
    gif, still, verdict = client.predict(2, api_name="/nextframe_horizon")
    with Image.open(gif) as im:
        assert im.n_frames == next_frame.CONTEXT + 2
    assert "Trouser and Bag" in verdict and "Frame +2" in verdict


@pytest.mark.parametrize("args, message", [
    ((7, 0), "rollout horizon .frames. must be a number between 1 and 10; got 0"),
    ((1000, 3), "test sequence .0-999, test-split items. must be a whole number between 0 and 999; got 1000"),
    (("abc", 3), "must be a whole number"),
])
def test_nonsense_test_inputs(url, args, message):
    with pytest.raises(Exception, match=message):
        Client(url, verbose=False).predict(*args, api_name="/nextframe_test")


@pytest.mark.parametrize("index, value, message", [
    (9, 99, "A velocity y must be a number between -3 and 3; got 99"),
    (5, -5, "A start y must be a number between 0 and 36; got -5"),
    (0, "Unicorn", "item A must be one of"),
])
def test_nonsense_built_inputs(url, index, value, message):
    args = ["Trouser", 1, "Bag", 2, None, 0, 0, 36, 30, 2, 3, -1, -2, 4]
    args[index] = value
    with pytest.raises(Exception, match=message):
        Client(url, verbose=False).predict(*args, api_name="/nextframe_build")


def test_a_broken_upload_is_refused(url, tmp_path):
    from gradio_client import handle_file
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not a picture")
    args = ["Trouser", 1, "Bag", 2, handle_file(str(broken)), 0, 0, 36, 30, 2, 3, -1, -2, 4]
    with pytest.raises(Exception, match="drawn item|picture"):
        Client(url, verbose=False).predict(*args, api_name="/nextframe_build")
