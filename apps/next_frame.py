"""Tab "Next frame": the lecture's slide "GAN — predicting the next video frame", live.

Mathieu, Couprie & LeCun (2016, https://arxiv.org/abs/1511.05440): one network that sees 4 frames
and predicts the 5th, trained with MSE (blurry), with l2 + gradient difference loss, and
adversarially (sharp). Here on moving Fashion-MNIST (two items bouncing in a 64x64 frame): the
models' rollouts play side by side with the ground truth, on a test sequence or on a sequence the
user builds, and the per-horizon figures of the whole test set are plotted beneath.

The tab receives callables only (``app.py`` wires them to ``gan_core``). Run alone:
``python -m apps.next_frame``.
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Callable

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw

from . import inputs, tab

CONTEXT, MAX_HORIZON, LIMIT, MAX_SPEED, N_TEST = 4, 10, 36, 3, 1000
SCALE = 3                    # screen pixels per frame pixel
HEADER = 18                  # caption strip above each panel
FRAME_MS = 350               # animation: milliseconds per frame
PANELS = ("truth", "mse", "gdl", "adv")  # the slide's order; "copy-last" joins the still
GIF_DIR = Path(tempfile.gettempdir()) / "gan-suite-nextframe"

EXPLANATION = """
**What you see.** Each model saw the first **4 frames** (marked *input*) and predicted the rest
one frame at a time, each prediction fed back as input: a *rollout*. All four panels play in step.

* **MSE** is minimised by the *mean* of the futures the model finds plausible. Any doubt about
  where an item goes next becomes a blur, and each frame fed back doubles the doubt.
* **ℓ2 + GDL**: the gradient difference loss asks the predicted frame to have the true frame's
  edges, so blurred edges cost extra.
* **Adversarial** (+ ℓ2 + GDL): a discriminator sees the 4 input frames *and* a candidate 5th, at
  3 scales, and learns to tell a true continuation from a predicted one. A blur is easy for it
  to catch, so the generator is pushed to commit to one sharp future, even where that future is
  not quite the right one.

**How it is measured** (the plots, and BENCHMARKS.md): PSNR (higher = closer pixels), Mathieu's
*sharpness difference* (higher = edges closer to the truth's) and whether the suite's judge still
recognises each item in a 28×28 crop at its true position. *Copy-last* (repeating frame 4) is the
baseline every model should beat.
"""


# --- pictures ------------------------------------------------------------------------------------

def _panel(frame: torch.Tensor, caption: str, colour=(230, 230, 230)) -> Image.Image:
    """One frame ``(64, 64)`` in [0, 1], enlarged, under a caption strip."""
    arr = (frame.clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    img = Image.fromarray(arr, "L").resize((arr.shape[1] * SCALE, arr.shape[0] * SCALE), Image.NEAREST)
    out = Image.new("RGB", (img.width, img.height + HEADER), (40, 40, 48))
    out.paste(img.convert("RGB"), (0, HEADER))
    ImageDraw.Draw(out).text((4, 3), caption, fill=colour)
    return out


def _row(panels: list[Image.Image], gap: int = 4) -> Image.Image:
    out = Image.new("RGB", (sum(p.width for p in panels) + gap * (len(panels) - 1), panels[0].height), (20, 20, 24))
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + gap
    return out


def animation(frames: torch.Tensor, preds: dict, labels: dict, horizon: int) -> str:
    """The synchronised rollouts as one looping GIF (all panels share its frames): a file path."""
    shots = []
    for t in range(CONTEXT):                                  # the context: the same true frame everywhere
        shots.append(_row([_panel(frames[t], f"{labels[k]}  input {t + 1}", (150, 150, 160)) for k in PANELS]))
    for h in range(horizon):
        shots.append(_row([_panel(frames[CONTEXT + h] if k == "truth" else preds[k][h], f"{labels[k]}  +{h + 1}")
                           for k in PANELS]))
    GIF_DIR.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(b"".join(s.tobytes() for s in shots)).hexdigest()[:16]
    path = GIF_DIR / f"rollout-{key}.gif"
    if not path.exists():                                     # same content, same file: write it once, atomically
        tmp = path.with_suffix(f".{np.random.randint(1 << 30)}.tmp")
        shots[0].save(tmp, format="GIF", save_all=True, append_images=shots[1:], duration=FRAME_MS, loop=0)
        tmp.replace(path)
    return str(path)


# --- handlers --------------------------------------------------------------------------------------

def make_handlers(test_sequence: Callable, build_sequence: Callable, test_item: Callable, drawn_item: Callable,
                  rollouts: Callable, judge_items: Callable, scores: Callable, labels: dict,
                  class_names: tuple) -> dict:
    """The tab's event handlers, testable without a browser.

    ``test_sequence(i)`` and ``build_sequence(items, labels, start, velocity, length)`` return a
    sequence (``.frames (1, T, 64, 64)`` uint8, ``.positions (1, T, 2, 2)``, ``.labels (1, 2)``);
    ``test_item(class_name, example)`` / ``drawn_item(picture)`` give uint8 ``(28, 28)`` items;
    ``rollouts(context, horizon)`` -> {"mse"|"gdl"|"adv"|"copy-last": (horizon, 64, 64)};
    ``judge_items(frames, positions, labels)`` -> per frame, per item (class, p, right);
    ``scores(pred, truth)`` -> {"psnr": float, "sharpness": float}; ``labels``: key -> panel title.
    """
    names = {"truth": "ground truth", **labels, "copy-last": "copy last"}

    def show(seq: dict, horizon):
        horizon = inputs.integer(horizon, "horizon", 1, MAX_HORIZON)
        frames = torch.as_tensor(seq["frames"]).float() / 255            # (T, 64, 64)
        pos, item_labels = torch.as_tensor(seq["positions"]), seq["labels"]
        preds = rollouts(frames[:CONTEXT], horizon)
        gif = animation(frames, preds, names, horizon)
        t = CONTEXT + horizon - 1
        still = _row([_panel(frames[t] if k == "truth" else preds[k][horizon - 1], names[k])
                      for k in (*PANELS, "copy-last")])
        rows = [f"**Frame +{horizon}** (after the 4 input frames) | PSNR (dB) | sharpness (dB) | the judge reads",
                "|".join(["---"] * 4)]
        for k in ("truth", *PANELS[1:], "copy-last"):
            frame = frames[t] if k == "truth" else preds[k][horizon - 1]
            verdict = judge_items(frame[None], pos[t][None], item_labels)[0]
            read = ", ".join(f"{c} {p:.0%} {'✓' if ok else '✗'}" if item_labels[i] >= 0 else f"{c} {p:.0%}"
                             for i, (c, p, ok) in enumerate(verdict))
            s = scores(frame, frames[t]) if k != "truth" else {"psnr": float("inf"), "sharpness": float("inf")}
            fig = ("–", "–") if k == "truth" else (f"{s['psnr']:.1f}", f"{s['sharpness']:.1f}")
            rows.append(f"{names[k]} | {fig[0]} | {fig[1]} | {read}")
        truth_names = " and ".join(class_names[i] if i >= 0 else "a drawn item" for i in item_labels)
        caption = f"{truth_names}; the judge reads the 28×28 crop at each item's true position.\n\n"
        return seq, gif, still, caption + "\n".join(rows)

    def as_state(seq) -> dict:
        return {"frames": seq.frames[0].numpy(), "positions": seq.positions[0].numpy(),
                "labels": [int(x) for x in seq.labels[0]]}

    def play_test(index, horizon):
        index = inputs.integer(index, "test sequence", 0, N_TEST - 1)
        return show(as_state(test_sequence(index)), horizon)

    def play_built(class_a, example_a, class_b, example_b, drawing, ya, xa, yb, xb, vya, vxa, vyb, vxb, horizon):
        items, item_labels = [], []
        for which, (cls, example) in enumerate(((class_a, example_a), (class_b, example_b))):
            if which == 0 and drawing is not None:            # a drawn or uploaded item replaces item A
                items.append(drawn_item(inputs.picture(drawing, "drawn item", max_pixels=4_000_000).image))
                item_labels.append(-1)
                continue
            cls = inputs.choice(cls, f"item {'AB'[which]}", list(class_names))
            example = inputs.integer(example, f"example of item {'AB'[which]}", 0, 999)
            try:
                items.append(test_item(cls, example))
            except ValueError as err:
                raise gr.Error(str(err)) from None
            item_labels.append(class_names.index(cls))
        start = [[inputs.integer(v, f"start {n}", 0, LIMIT) for v, n in ((ya, "y of A"), (xa, "x of A"))],
                 [inputs.integer(v, f"start {n}", 0, LIMIT) for v, n in ((yb, "y of B"), (xb, "x of B"))]]
        velocity = [[inputs.integer(v, f"velocity {n}", -MAX_SPEED, MAX_SPEED) for v, n in ((vya, "y of A"),
                                                                                            (vxa, "x of A"))],
                    [inputs.integer(v, f"velocity {n}", -MAX_SPEED, MAX_SPEED) for v, n in ((vyb, "y of B"),
                                                                                            (vxb, "x of B"))]]
        if velocity[0] == [0, 0] and velocity[1] == [0, 0]:
            raise gr.Error("Both items stand still: give at least one of them a velocity.")
        seq = build_sequence(items, item_labels, start, velocity, CONTEXT + MAX_HORIZON)
        return show(as_state(seq), horizon)

    def at_horizon(seq, horizon):
        if not isinstance(seq, dict) or "frames" not in seq:
            raise gr.Error("Play a test sequence or build one first; the horizon slider then replays it.")
        return show(seq, horizon)

    return {"play_test": play_test, "play_built": play_built, "at_horizon": at_horizon}


# --- the tab -------------------------------------------------------------------------------------

def curve_frame(curves: dict, metric: str, labels: dict):
    """One metric's per-horizon curves as a long table for ``gr.LinePlot``."""
    import pandas as pd
    rows = []
    for key in (*labels, "copy-last"):
        for h, v in zip(curves.get("horizons", []), curves.get(key, {}).get(metric, [])):
            rows.append({"horizon": h, "model": labels.get(key, "copy last"), metric: v})
    if metric == "judge_accuracy":
        rows += [{"horizon": h, "model": "true frames", metric: v}
                 for h, v in zip(curves.get("horizons", []), curves.get("judge_ceiling", []))]
    return pd.DataFrame(rows, columns=["horizon", "model", metric])


def measured_summary(curves: dict, labels: dict) -> str:
    """One paragraph of what the test set's figures say at h = 1 and h = 3 (empty when unmeasured)."""
    if not all(k in curves for k in ("mse", "adv", "copy-last")) or len(curves.get("horizons", [])) < 3:
        return ""
    c = {k: curves[k] for k in ("mse", "adv", "copy-last")}
    sharper = c["adv"]["sharpness"][0] > c["mse"]["sharpness"][0]
    return (f"**Measured on {curves.get('n_sequences')} test sequences.** At +1 frame: PSNR "
            f"{c['mse']['psnr'][0]:.1f} dB ({labels['mse']}), {c['adv']['psnr'][0]:.1f} dB ({labels['adv']}), "
            f"{c['copy-last']['psnr'][0]:.1f} dB (copy last); sharpness {c['mse']['sharpness'][0]:.1f} vs "
            f"{c['adv']['sharpness'][0]:.1f} dB, so the {labels['adv']} model is "
            f"{'sharper' if sharper else '**not** sharper'} than {labels['mse']} here. At +3 frames the judge "
            f"recognises {c['mse']['judge_accuracy'][2]:.0%} of the items in {labels['mse']}'s frames and "
            f"{c['adv']['judge_accuracy'][2]:.0%} in the {labels['adv']} ones. BENCHMARKS.md "
            "(\"Next-frame prediction\") says why and how these models were trained.")


def create_demo(test_sequence: Callable, build_sequence: Callable, test_item: Callable, drawn_item: Callable,
                rollouts: Callable, judge_items: Callable, scores: Callable, *, labels: dict, class_names: tuple,
                curves: dict) -> gr.Blocks:
    """Build the tab. ``labels``: {"mse"|"gdl"|"adv": panel title}; ``curves``: the test set's
    per-horizon figures (``gan_core.nextframe_curves()``); the other arguments as ``make_handlers``."""
    h = make_handlers(test_sequence, build_sequence, test_item, drawn_item, rollouts, judge_items, scores,
                      labels, class_names)
    with tab.blocks() as demo:
        gr.Markdown("## Predicting the next frame: MSE vs ℓ2 + GDL vs adversarial (Mathieu et al. 2016)")
        state = gr.State()
        with gr.Row():
            with gr.Column(scale=3):
                anim = gr.Image(label="ground truth | MSE | ℓ2 + GDL | adversarial (the rollout plays in a loop)",
                                show_label=False, type="filepath", elem_id="nextframe-animation", interactive=False)
                horizon = gr.Slider(1, MAX_HORIZON, value=MAX_HORIZON, step=1, label="rollout horizon (frames)",
                                    elem_id="nextframe-horizon")
                still = gr.Image(label="the frame at this horizon (and the copy-last baseline)", show_label=False,
                                 type="pil", format="png", elem_id="nextframe-still", interactive=False)
                verdict = gr.Markdown(elem_id="nextframe-verdict")
            with gr.Column(scale=2):
                gr.Markdown(EXPLANATION)
        with gr.Tab("A test sequence"):
            with gr.Row():
                index = gr.Number(value=0, precision=0, minimum=0, maximum=N_TEST - 1,
                                  label=f"test sequence (0-{N_TEST - 1}, test-split items)")
                play = gr.Button("Play", variant="primary", elem_id="nextframe-play")
        with gr.Tab("Build a sequence"):
            with gr.Row():
                class_a = gr.Dropdown(list(class_names), value="Sneaker", label="item A")
                example_a = gr.Number(value=0, precision=0, minimum=0, maximum=999, label="example of A")
                class_b = gr.Dropdown(list(class_names), value="Bag", label="item B")
                example_b = gr.Number(value=0, precision=0, minimum=0, maximum=999, label="example of B")
            with gr.Row():
                ya, xa = (gr.Slider(0, LIMIT, value=v, step=1, label=f"A start {a}") for v, a in ((4, "y"), (4, "x")))
                yb, xb = (gr.Slider(0, LIMIT, value=v, step=1, label=f"B start {a}") for v, a in ((32, "y"), (28, "x")))
            with gr.Row():
                vya, vxa = (gr.Slider(-MAX_SPEED, MAX_SPEED, value=v, step=1, label=f"A velocity {a}")
                            for v, a in ((2, "y"), (3, "x")))
                vyb, vxb = (gr.Slider(-MAX_SPEED, MAX_SPEED, value=v, step=1, label=f"B velocity {a}")
                            for v, a in ((-1, "y"), (-2, "x")))
            drawing = inputs.picture_input(label="optional: your own item A (a drawing or a photo of one item)",
                                           height=160)
            build = gr.Button("Build and play", variant="primary", elem_id="nextframe-build")
        outs = [state, anim, still, verdict]
        play.click(h["play_test"], [index, horizon], outs, api_name="nextframe_test")
        build.click(h["play_built"], [class_a, example_a, class_b, example_b, drawing, ya, xa, yb, xb,
                                      vya, vxa, vyb, vxb, horizon], outs, api_name="nextframe_build")
        horizon.input(h["at_horizon"], [state, horizon], outs, api_name="nextframe_horizon",
                      trigger_mode="always_last")  # a drag replays once it settles, not at every step
        demo.load(h["play_test"], [index, horizon], outs, api_name="nextframe_initial", api_visibility="undocumented")

        n = curves.get("n_sequences")
        gr.Markdown(f"### Per horizon, on {n} test sequences" if n else
                    "### Per horizon\n*Not measured yet: `python -m gan_core.video.evaluate --write`.*")
        if n:
            with gr.Row():
                for metric, title in (("psnr", "PSNR (dB), whole frame"), ("sharpness", "sharpness difference (dB)"),
                                      ("judge_accuracy", "judge accuracy on the items")):
                    gr.LinePlot(curve_frame(curves, metric, labels), x="horizon", y=metric, color="model",
                                title=title, height=260)
            gr.Markdown(measured_summary(curves, labels))
    return demo


if __name__ == "__main__":
    import gan_core
    inputs.harden(create_demo(
        gan_core.nextframe_test_sequence, gan_core.nextframe_sequence, gan_core.nextframe_test_item,
        gan_core.nextframe_drawn_item, gan_core.nextframe_rollouts, gan_core.nextframe_judge, gan_core.nextframe_scores,
        labels={k: label for k, (_, label) in gan_core.NEXT_FRAME.items()}, class_names=gan_core.FMNIST_CLASSES,
        curves=gan_core.nextframe_curves())).launch()
