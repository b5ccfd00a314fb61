"""Figures of the Image-to-image checkpoints, L1-only and L1 + cGAN side by side.

    python -m benchmarks.eval_image_to_image            # all tasks; writes each model card's metrics
    python -m benchmarks.eval_image_to_image --tasks colorize --no-write

* edges -> clothing (Fashion-MNIST test split, 10,000 items): the judge classifier's accuracy on
  the generated items against the true class (the analogue of the paper's FCN-score), the judge
  FID to the test items, and L1 to the target; the trivial baseline is the edge map itself.
* colourisation (sr/Set14, the colour photos, full size): PSNR and SSIM on RGB against the
  original, and the Hasler & Suesstrunk colourfulness (original photos: see the table); the
  trivial baseline is the grey image.
* CycleGAN (Fashion-MNIST test split, all 1,000 items of each class): the judge's accuracy on the
  translated items as the target class, and the cycle L1 |F(G(a)) - a|; the baseline is the
  untranslated item.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from gan_core import checkpoints
from gan_core.evaluate import fid_to_test
from gan_core.fmnist import FMNIST_CLASSES, crop28, fashion_mnist
from gan_core.img2img import api as i2i, data as paired_data
from gan_core.img2img.metrics import color_scores
from gan_core.judge.api import judge_predict
from gan_core.registry import CHECKPOINTS, TASKS
from gan_core.runtime import get_runtime

from .common import machine

COMMAND = "python -m benchmarks.eval_image_to_image"


def _accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
    return float((judge_predict(crop28(images))[0].argmax(1) == labels).float().mean())


def sharpness(images: torch.Tensor, targets: torch.Tensor) -> float:
    """Laplacian energy of ``images`` relative to ``targets`` (1 = as detailed, below 1 = blurrier)."""
    lap = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)
    energy = lambda x: float(torch.nn.functional.conv2d(x, lap).pow(2).mean())  # noqa: E731
    return energy(images) / energy(targets)


def eval_edges2clothing() -> dict[str, dict]:
    _, labels = fashion_mnist(train=False)
    a, b = paired_data.edges2clothing(train=False)
    a, b = a.float() / 255, b.float() / 255                        # (10000, 1, 32, 32) each
    rows = {"edge map (baseline)": a, "real target": b}
    for variant in ("l1", "pix2pix"):
        rows[i2i.checkpoint_for("edges2clothing", variant)] = torch.cat(
            [i2i.translate_tensor("edges2clothing", chunk, variant) for chunk in a.split(1000)])
    out = {}
    for name, images in rows.items():
        out[name] = {"judge_accuracy": _accuracy(images, labels), "judge_fid": fid_to_test(crop28(images)),
                     "l1_to_target": float((images - b).abs().mean()),
                     "sharpness_vs_target": sharpness(images, b), "n_test": len(images)}
    return out


def eval_colorize() -> dict[str, dict]:
    photos = paired_data.colorize_test_photos()
    per_image = {}
    for key in ("grey (baseline)", *(i2i.checkpoint_for("colorize", v) for v in ("l1", "pix2pix"))):
        per_image[key] = []
    for name, photo in sorted(photos.items()):
        orig = np.asarray(photo)
        grey = np.repeat(np.asarray(photo.convert("L"))[..., None], 3, 2)
        per_image["grey (baseline)"].append(color_scores(grey, orig))
        for variant in ("l1", "pix2pix"):
            out = np.asarray(i2i.translate("colorize", photo, variant))
            per_image[i2i.checkpoint_for("colorize", variant)].append(color_scores(out, orig))
    names = sorted(photos)
    print("\nPSNR (dB) per Set14 photo: " + " | ".join(
        f"{n}: " + ", ".join(f"{key.split(' ')[0]} {per_image[key][i]['psnr']:.2f}" for key in per_image)
        for i, n in enumerate(names)))
    out = {}
    for key, scores in per_image.items():
        out[key] = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        out[key]["n_test"] = len(scores)
        out[key]["test_images"] = ", ".join(sorted(photos))
        out[key]["inference"] = get_runtime().describe()
    return out


def halve_colorize(n: int) -> dict[str, dict]:
    """Store each colouriser's weights in fp16 if its outputs on the first ``n`` Set14 colour photos (full size,
    fp32 arithmetic) stay within one grey level at the 99.9th percentile of pixels
    (``checkpoints.store_half_if_lossless``); the comparison goes into the card."""
    photos = [photo for _, photo in sorted(paired_data.colorize_test_photos().items())][:n]
    inputs = [i2i.prepare("colorize", photo) for photo in photos]

    def render(model):
        return torch.cat([model.translate(x).flatten() for x in inputs])

    out = {}
    for variant in ("l1", "pix2pix"):
        name = i2i.checkpoint_for("colorize", variant)
        out[name] = checkpoints.store_half_if_lossless(name, render, get_runtime(fp32=True))
        out[name]["fp16_checked_on"] = f"{len(photos)} Set14 photos at full size"
        checkpoints.update_metrics(name, out[name])
    return out


def eval_cyclegan() -> dict[str, dict]:
    out = {}
    name = i2i.checkpoint_for("sneaker2boot")
    figures = {}
    for task in ("sneaker2boot", "boot2sneaker"):
        source, target = TASKS[task].classes
        back = "boot2sneaker" if task == "sneaker2boot" else "sneaker2boot"
        items = paired_data.fmnist_class(source, train=False).float() / 255   # (1000, 1, 32, 32)
        there = i2i.translate_tensor(task, items)
        home = i2i.translate_tensor(back, there)
        t = torch.full((len(items),), FMNIST_CLASSES.index(target))
        figures[f"{task}_judge_accuracy_as_target"] = _accuracy(there, t)
        figures[f"{task}_baseline_untranslated_as_target"] = _accuracy(items, t)
        figures[f"{task}_cycle_l1"] = float((home - items).abs().mean())
        figures[f"n_test_{task}"] = len(items)
    out[name] = figures
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["edges2clothing", "colorize", "cyclegan"],
                   choices=["edges2clothing", "colorize", "cyclegan"])
    p.add_argument("--no-write", action="store_true", help="print only; do not update the model cards")
    p.add_argument("--half", type=int, default=0, metavar="N",
                   help="colorize: first store each model's weights in fp16 if its outputs on the first N Set14 "
                        "photos stay within one grey level (99.9th percentile of pixels)")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    if args.half and "colorize" in args.tasks and not args.no_write:
        for name, r in halve_colorize(args.half).items():
            print(name, r, flush=True)
    evaluators = {"edges2clothing": eval_edges2clothing, "colorize": eval_colorize, "cyclegan": eval_cyclegan}
    stamp = {"evaluated_on": machine(), "date": time.strftime("%Y-%m-%d"), "command": COMMAND}
    for task in args.tasks:
        t0 = time.time()
        results = evaluators[task]()
        print(f"\n## {task} ({time.time() - t0:.0f} s)\n")
        keys = sorted({k for r in results.values() for k, v in r.items() if isinstance(v, (int, float))})
        print("| | " + " | ".join(keys) + " |")
        print("|---|" + "---|" * len(keys))
        for name, r in results.items():
            print(f"| {name} | " + " | ".join(f"{r[k]:.4g}" if k in r else "" for k in keys) + " |")
        if args.no_write:
            continue
        baselines = {f"baseline_{k}": v for name, r in results.items() if name not in CHECKPOINTS
                     and "baseline" in name for k, v in r.items() if isinstance(v, (int, float))}
        for name, r in results.items():
            if name in CHECKPOINTS and (checkpoints.checkpoint_path(name) / "model.safetensors").exists():
                checkpoints.update_metrics(name, {**r, **baselines, **stamp})
    return 0


if __name__ == "__main__":
    sys.exit(main())
