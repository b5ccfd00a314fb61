"""The "Failure gallery" tab: its handlers on stand-in functions (numbers pass through unchanged, the
figures are the right frames and pictures), the live cases stream progress, bad inputs are one-line errors."""
from __future__ import annotations

import gradio as gr
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from apps import failure_gallery as fg

FAILURES = {"counting": ("c-ckpt", "Counting"), "perspective": ("p-ckpt", "Perspective"),
            "imbalance": ("i-ckpt", "Imbalance"), "collapse": ("k-ckpt", "Collapse"), "structure": ("s-ckpt", "DCGAN")}
CLASSES = tuple(f"class{k}" for k in range(10))
HISTORY = [{"step": 25 * i, "grad_G_saturating": 10.0 ** -i, "grad_G_nonsaturating": 10.0, "D_accuracy": 1.0,
            "D(x)": 0.99, "D(G(z))": 0.01, **{f"share_{k}": float(k == i % 10) for k in range(10)}} for i in range(1, 4)]


def fake_live(case, seed=0):
    yield {"done": 0, "of": 2}
    if case == "strong_d":
        recs = [{"iteration": i, "grad_saturating": 10.0 ** -i, "grad_nonsaturating": 1.0, "d_accuracy": 1.0,
                 "d_fake": 0.01} for i in range(3)]
        yield {"records": recs, "frame": Image.new("RGB", (10, 10))}
    elif case == "weak_d":
        s = {"d_real": 0.5, "d_fake": 0.49, "modes": 1, "n_modes": 8, "hq": 0.01, "reverse_kl": 12.0}
        yield {"weak": s, "balanced": {**s, "modes": 8}, "frame": Image.new("RGB", (10, 10))}
    else:
        yield {"frames": [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(3)],
               "shares": [[0.9] + [0.1 / 7] * 7, [1 / 8] * 8, [0.0] * 7 + [1.0]], "iterations": [0, 50, 100],
               "held": [0, 7], "visits": [0, 7], "hold": 0.6}


def fake_count(images):
    n = torch.as_tensor(images).shape[0]
    return {"count": np.array([4] * (n // 4) + [2] * (n - n // 4)), "fragments": np.zeros(n, int), "merged": np.zeros(n, int)}


def handlers(calls=None):
    calls = [] if calls is None else calls

    def samples(name, n, seed):
        calls.append(("samples", name, n, seed))
        return torch.full((n, 1, 64, 64), 0.5)

    def generate(name, n, seed):
        calls.append(("generate", name, n, seed))
        return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))

    probs = lambda x: torch.softmax(torch.arange(10.0).repeat(len(x), 1), 1)  # noqa: E731
    return fg.make_handlers(
        live=fake_live, dirac=lambda steps, lr: {"simultaneous": np.zeros((steps + 1, 2)), "alternating": np.ones((steps + 1, 2)),
                                                 "simultaneous_final_distance": 2.0, "alternating_final_distance": 1.0,
                                                 "start_distance": 1.0},
        samples=samples, record=lambda name: ({"generated_impossible_count_share": 0.25, "d_accuracy_median": 1.0}, HISTORY),
        count=fake_count, canvases=lambda n, seed: (torch.zeros(n, 64, 64, dtype=torch.uint8), torch.ones(n)),
        boxes=lambda n, seed: (torch.zeros(n, 64, 64, dtype=torch.uint8), {}),
        box_fit=lambda x: (torch.zeros_like(x), torch.tensor([0.02] * 6 + [0.3] * 6)), generate=generate,
        judge_probabilities=probs, structure=lambda items, p: {"symmetry_median": {"class0": 0.7}, "parts_ok_share": {},
                                                               "unsure_share": 0.1, "symmetry_overall_median": 0.7},
        least_confident=lambda p, k: np.arange(k), class_names=CLASSES,
        nearest=lambda x: (torch.zeros_like(x), torch.full((len(x),), 3.0)),
        far_measure=lambda model, pic: {"output": pic, "value": 0.5, "unit": "units", "judge": "Bag"},
        far_reference=lambda model: 0.9,
        real_structure=lambda: {"symmetry_median": {"class0": 0.9}, "unsure_share": 0.01, "symmetry_overall_median": 0.9},
        failures=FAILURES, impossible=0.15)


def test_strong_d_streams_progress_then_the_gradient_curves():
    frames = list(handlers()["strong_d"](3))
    assert frames[0][:3] == (None, None, None) and "iteration 0 of 2" in frames[0][3]
    grads, acc, frame, text = frames[-1]
    assert list(grads.columns) == ["iteration", "log10_grad_norm", "loss"] and len(grads) == 6
    sat = grads[grads["loss"].str.startswith("saturating")]["log10_grad_norm"].tolist()
    assert sat == pytest.approx([0.0, -1.0, -2.0])                      # log10 of 1, 0.1, 0.01
    assert set(acc["series"]) == {"D's accuracy", "D(G(z))"} and isinstance(frame, Image.Image)
    assert "Seed 3" in text and "**10×**" in text                      # median of 1, 10, 100


def test_weak_d_and_the_recorded_runs_render_their_tables():
    *progress, (frame, table) = handlers()["weak_d"](0)
    assert "| D too weak (lr 1e-5) | 0.500 | 0.490 | 1/8 |" in table and "| balanced (lr 1e-3) |" in table
    grads, d, text = handlers()["imbalance_recorded"]()
    assert grads["value"].tolist() == pytest.approx([-1, 1, -2, 1, -3, 1])  # log10 of the recorded norms
    assert set(d["series"]) == {"D's accuracy", "D(x)", "D(G(z))"} and "| D's accuracy, median over the run | 1 |" in text
    shares, table = handlers()["collapse_recorded"]()
    assert set(shares["series"]) == set(CLASSES) and len(shares) == 30
    assert table == "*Not measured yet: run the command below.*"      # no collapse figures in the fake record


def test_cycling_writes_an_animated_gif(tmp_path):
    *_, (gif, cov, text) = handlers()["cycling"](1)
    img = Image.open(gif)
    assert img.n_frames == 3 and gif.endswith(".gif")
    assert len(cov) == 24 and "every 50 iterations" in text
    assert "In 2 of 3 frames one mode holds more than 60% of the samples" in text
    assert "changed **1 time**: mode 0 → mode 7" in text


def test_counting_perspective_structure_memorisation_and_far():
    calls = []
    h = handlers(calls)
    hist, pic, text, shipped = h["counting"](5)
    assert ("samples", "c-ckpt", 400, 5) in calls
    gen = hist[hist["set"] == "generated"].set_index("objects")["share"]
    assert gen["4 (generated)"] == 0.25 and gen["2 (generated)"] == 0.75 and "25.0 % have a count" in text
    assert "| generated: count outside 1-3 | 0.25 |" in shipped and isinstance(pic, Image.Image)
    pic, text, _ = h["perspective"](2)
    assert "real median 0.020, generated median 0.300" in text and pic.width == 8 * 130 + 2
    assert ("samples", "p-ckpt", 6, 2) in calls
    df, pic, text = h["global_structure"](4)
    assert df.set_index("class")["symmetry"].to_dict() == {"class0 (real)": 0.9, "class0 (generated)": 0.7}
    assert ("generate", "s-ckpt", 500, 4) in calls and "16 generated items" in text
    pic, text = h["memorisation"](6)
    assert ("generate", "s-ckpt", 8, 6) in calls and pic.height > 2 * 28 * 3
    out, text = h["far"](fg.FAR_MODELS["vae"], Image.new("RGB", (40, 40)))
    assert "= **0.500** on this picture (the judge says: Bag)" in text and "**0.900**" in text


@pytest.mark.parametrize("name, args, message", [
    ("counting", (-1,), "seed must be a whole number"), ("perspective", ("x",), "seed"),
    ("dirac", (0.0, 100), "learning rate must be a number between 0.001 and 1"), ("dirac", (0.1, 5), "steps"),
    ("far", ("GAN", None), "model must be one of"), ("far", (fg.FAR_MODELS["sr"], None), "image|picture"),
])
def test_bad_inputs_are_one_line_errors(name, args, message):
    h = handlers()
    with pytest.raises(gr.Error, match=message):
        out = h[name](*args)
        if hasattr(out, "__next__"):
            next(out)
    with pytest.raises(gr.Error, match="seed"):
        next(h["strong_d"](2**40))


def test_the_dirac_handler_returns_both_trajectories():
    df, text = handlers()["dirac"](0.1, 20)
    assert isinstance(df, pd.DataFrame) and len(df) == 42 and set(df["update"]) == {"simultaneous", "alternating"}
    assert "simultaneous **2.00**" in text and "alternating **1.00**" in text


def test_the_tab_builds_with_an_api_name_on_every_listener():
    with gr.Blocks() as demo:
        fg.create_demo(far_examples={"vae": []}, memorisation_metrics={"nn_ratio": 1.1}, **_callables())
    names = [f.api_name for f in demo.fns.values()]
    assert all(names) and {"gallery_strong_d", "gallery_counting", "gallery_far", "gallery_dirac"} <= set(names)


def _callables():
    fake = dict(live=fake_live, dirac=lambda **k: None, samples=lambda *a: None, record=lambda n: ({}, []),
                count=fake_count, canvases=None, boxes=None, box_fit=None, generate=None, judge_probabilities=None,
                structure=None, least_confident=None, class_names=CLASSES, nearest=None, far_measure=None,
                far_reference=None, real_structure=None, failures=FAILURES, impossible=0.15)
    return fake
