"""Figures of the 256x256 pix2pix models on held-out pairs: sketch -> photo (BSDS500) and the
paper's data sets, L1-only and L1 + cGAN side by side with the input itself as the baseline.

    python -m benchmarks.eval_paired sketch                      # BSDS500 test split (200 photos, 400 squares)
    python -m benchmarks.eval_paired labels2facade               # the held-out split of the training folder
    python -m benchmarks.eval_paired aerial2map --data DIR --no-write

Held-out pairs are resized to the model's crop size, not cropped (the official test protocol):
BSDS500 test photos as the two end squares of each photo, the AB data sets' test/ (else val/)
files. Per pair: mean |output - target| (pixels in [0, 1]), PSNR and SSIM on RGB, the colour
histogram match (CIELAB a/b intersection, pix2pix Table 5), colourfulness, and the sharpness
(Laplacian energy relative to the target's: below 1 is blurrier). The paper's own figures for
these tasks are human judgements (AMT) and an FCN-score, which need what is not here; these
figures compare the two objectives on the same pairs and say whether either beats its input.
Each model is run on one pair at a time (its BatchNorm uses the picture's own statistics).
"""
from __future__ import annotations

import argparse
from pathlib import Path
import sys
import time

import numpy as np
import torch

from gan_core import checkpoints
from gan_core.img2img import data as paired_data
from gan_core.img2img.metrics import color_scores
from gan_core.registry import SKETCH, TASKS

from .common import machine
from .eval_image_to_image import sharpness

COMMAND = "python -m benchmarks.eval_paired"


def held_out_pairs(task: str, size: int, data_root: str | None = None, limit: int | None = None):
    """uint8 ``A, B`` of the held-out pairs at ``size`` px, and a description."""
    if task == "sketch":
        a, b = paired_data.sketch_pairs("test", load_size=size, limit=limit)
        return a, b, f"BSDS500 test split: {len(a) // 2} photos x 2 end squares, resized to {size}"
    t = TASKS[task]
    if data_root is None:
        data_root = checkpoints.read_json(t.checkpoints["pix2pix"], "training.json").get("data_root")
    if not data_root:
        raise paired_data.MissingDataError(f"pass --data DIR, the AB folder {task} was trained from")
    split = paired_data.ab_split_for_evaluation(data_root)
    folder = paired_data.ABFolder(data_root, split, load_size=size, direction=t.direction, limit=limit)
    a, b = folder.batch(range(len(folder)))
    return a, b, f"{len(a)} A|B files of {data_root}/{split} ({t.direction}), resized to {size}"


def scores(outputs: torch.Tensor, targets: torch.Tensor) -> dict:
    """Mean figures of ``(N, 3, S, S)`` outputs against targets, both in [0, 1]."""
    u8 = lambda x: (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()  # noqa: E731
    per = [color_scores(o, t) for o, t in zip(u8(outputs), u8(targets))]
    grey = lambda x: x.mean(1, keepdim=True)  # noqa: E731
    out = {k: float(np.mean([p[k] for p in per])) for k in per[0]}
    out.update(l1_to_target=float((outputs - targets).abs().mean()),
               sharpness_vs_target=sharpness(grey(outputs), grey(targets)), n_test=len(outputs))
    return out


def evaluate(task: str, data_root: str | None = None, limit: int | None = None) -> tuple[dict, str]:
    names = dict(SKETCH) if task == "sketch" else dict(TASKS[task].checkpoints)
    models = {v: checkpoints.load(n) for v, n in names.items()
              if (checkpoints.checkpoint_path(n) / "model.safetensors").exists()}
    if not models:
        raise checkpoints.MissingCheckpointError(f"no checkpoint of {task}: {', '.join(names.values())}")
    size = next(iter(models.values())).resolution
    a, b, desc = held_out_pairs(task, size, data_root, limit)
    a, b = a.float() / 255, b.float() / 255
    rows = {"input (baseline)": a.expand(-1, 3, -1, -1) if a.shape[1] == 1 else a}
    for variant, model in models.items():
        rows[names[variant]] = torch.cat([model.translate(x) for x in a.split(1)]).cpu()
    return {name: scores(x, b) for name, x in rows.items()}, desc


def halve(name: str, inputs: torch.Tensor, tolerance: float = 1 / 255) -> dict:
    """Store ``name``'s weights in fp16 if the held-out ``inputs`` through the fp32 and the fp16-rounded weights
    give pictures within ``tolerance`` (one grey level) at the 99.9th percentile of pixels, computed in fp32
    (``checkpoints.store_half_if_lossless``); else the fp32 weights stay. Returns the comparison (also into the
    card)."""
    from gan_core.runtime import get_runtime

    def render(model):
        return torch.cat([model.translate(x) for x in inputs.split(1)])

    out = checkpoints.store_half_if_lossless(name, render, get_runtime(fp32=True), tolerance)  # fp32 arithmetic
    out["fp16_checked_on"] = f"{len(inputs)} held-out inputs"
    checkpoints.update_metrics(name, out)
    return out


def examples(task: str, k: int, data_root: str | None = None, side: int = 128) -> Path:
    """A figure for the model card: every (N / k)-th held-out pair (not chosen for looks) as rows of input | L1 only
    | L1 + cGAN | target, each shrunk to ``side`` px; written to the pix2pix checkpoint's ``figures/`` with its
    caption (``figures.json``), then the card."""
    import json

    from PIL import Image, ImageDraw
    names = dict(SKETCH) if task == "sketch" else dict(TASKS[task].checkpoints)
    models = {v: checkpoints.load(names[v]) for v in sorted(names, key=lambda v: v != "l1")}  # L1 first, as the tab
    a, b, desc = held_out_pairs(task, next(iter(models.values())).resolution, data_root)
    picks = [round(i * len(a) / k) for i in range(k)]
    columns = ["input", *[("L1 only" if v == "l1" else "L1 + cGAN") for v in models], "photo"]
    top, gap = 18, 4
    canvas = Image.new("RGB", (len(columns) * (side + gap) - gap, top + k * (side + gap) - gap), "white")
    draw = ImageDraw.Draw(canvas)
    for c, label in enumerate(columns):
        draw.text((c * (side + gap) + 4, 3), label, fill="black")
    to_pil = lambda x: Image.fromarray(  # noqa: E731
        (x.clamp(0, 1) * 255).round().byte().expand(3, -1, -1).permute(1, 2, 0).numpy()).resize((side, side), Image.BICUBIC)
    for r, i in enumerate(picks):
        x = a[i:i + 1].float() / 255
        tiles = [to_pil(x[0]), *[to_pil(m.translate(x)[0].float().cpu()) for m in models.values()], to_pil(b[i].float() / 255)]
        for c, tile in enumerate(tiles):
            canvas.paste(tile, (c * (side + gap), top + r * (side + gap)))
    name = names["pix2pix"]
    folder = checkpoints.checkpoint_path(name) / "figures"
    folder.mkdir(exist_ok=True)
    canvas.save(folder / "examples.png", optimize=True)
    caption = (f"Held-out pairs ({desc}): squares {', '.join(map(str, picks))} of {len(a)}, every "
               f"{len(a) // k}th, not chosen. Left to right: the input the models see, "
               + ", ".join(columns[1:-1]) + ", and the real photo; shown at " + f"{side} px.")
    (folder / "figures.json").write_text(json.dumps(
        {"command": f"{COMMAND} {task} --examples {k}", "figures": [{"file": "examples.png", "caption": caption}]},
        indent=1) + "\n")
    checkpoints.write_card(name)
    return folder / "examples.png"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", choices=["sketch", *(k for k, t in TASKS.items() if t.kind == "pix2pix-paper")])
    p.add_argument("--data", default=None, help="an AB folder (default: the one the checkpoint was trained from)")
    p.add_argument("--limit", type=int, default=None, help="only the first N held-out files (a quick look)")
    p.add_argument("--no-write", action="store_true", help="print only; do not update the model cards")
    p.add_argument("--half", type=int, default=0, metavar="N",
                   help="first store each model's weights in fp16 if its outputs on the first N held-out inputs "
                        "stay within one grey level (99.9th percentile of pixels)")
    p.add_argument("--examples", type=int, default=0, metavar="K",
                   help="only write a figure of K evenly spaced held-out pairs into the pix2pix card, then stop")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    if args.examples:
        print(examples(args.task, args.examples, args.data))
        from gan_core import hub
        hub.write_manifest()
        return 0
    if args.half:
        names = dict(SKETCH) if args.task == "sketch" else dict(TASKS[args.task].checkpoints)
        for name in names.values():
            if (checkpoints.checkpoint_path(name) / "model.safetensors").exists():
                size = checkpoints.load(name).resolution
                a = held_out_pairs(args.task, size, args.data, args.half // 2 or 1)[0][:args.half].float() / 255
                print(name, halve(name, a), flush=True)
    t0 = time.time()
    results, desc = evaluate(args.task, args.data, args.limit)
    print(f"\n## {args.task}: {desc} ({time.time() - t0:.0f} s)\n")
    keys = ["l1_to_target", "psnr", "ssim", "hist_a", "hist_b", "colorfulness", "sharpness_vs_target"]
    print("| | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(f"{r[k]:.4g}" for k in keys) + " |")
    if args.no_write or args.limit:
        return 0
    baseline = {f"baseline_{k}": v for k, v in results["input (baseline)"].items()}
    stamp = {"evaluated_on": machine(), "date": time.strftime("%Y-%m-%d"), "command": f"{COMMAND} {args.task}",
             "test_data": desc}
    for name, r in results.items():
        if name in checkpoints.CHECKPOINTS:
            checkpoints.update_metrics(name, {**r, **baseline, **stamp})
    return 0


if __name__ == "__main__":
    sys.exit(main())
