"""Set5 / Set14 table for bicubic, SRResNet and SRGAN ×4 next to Ledig et al. 2017, Table 2.

    python -m benchmarks.eval_sr                      # fp32, both sets, writes the model cards
    python -m benchmarks.eval_sr --bf16-check         # also: PSNR cost of bf16 autocast inference

Protocol: ``gan_core.sr.metrics`` (Y of BT.601, 4-pixel border shaved, images cropped to a
multiple of 4, LR = PIL bicubic ×4 with antialiasing). The figures go into each model card
(``checkpoints/<name>/metrics.json``) with ``checkpoints.update_metrics``; the markdown table is printed.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from PIL import Image

from gan_core import checkpoints, settings
from gan_core.pictures import as_rgb
from gan_core.registry import SR_METHODS
from gan_core.runtime import Runtime, get_runtime
from gan_core.sr import api as sr_api, metrics as sr_metrics
from gan_core.sr.data import downscale, mod_crop

# Ledig et al. 2017, Table 2: PSNR (dB) / SSIM, ×4
PAPER = {
    "Set5": {"bicubic": (28.43, 0.8211), "srresnet": (32.05, 0.9019), "srgan": (29.40, 0.8472)},
    "Set14": {"bicubic": (25.99, 0.7486), "srresnet": (28.49, 0.8184), "srgan": (26.02, 0.7397)},
}


def load_set(name: str) -> list[tuple[str, np.ndarray]]:
    folder = settings.shared_data_dir() / "sr" / name
    files = sorted(folder.glob("*.png"))
    if not files:
        raise SystemExit(f"error: no PNG images in {folder} (set GAN_SUITE_SHARED_DATA)")
    return [(p.stem, mod_crop(as_rgb(Image.open(p)), 4)) for p in files]


def evaluate(method: str, images, runtime: Runtime | None = None) -> dict:
    """Mean PSNR / SSIM / sharpness of ``method`` over ``images`` (and the outputs, for comparisons)."""
    scores, outputs = [], []
    for _, hr in images:
        sr = sr_api.upscale_array(downscale(hr, 4), method, runtime=runtime)
        outputs.append(sr)
        scores.append(sr_metrics.score(sr, hr, 4))
    return {"psnr": float(np.mean([s.psnr for s in scores])), "ssim": float(np.mean([s.ssim for s in scores])),
            "sharpness": float(np.mean([s.sharpness for s in scores])), "outputs": outputs,
            "per_image_psnr": [s.psnr for s in scores]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14"])
    parser.add_argument("--methods", nargs="+", default=list(sr_api.METHODS), choices=sr_api.METHODS)
    parser.add_argument("--bf16-check", action="store_true",
                        help="also run the networks with bf16 autocast + channels_last and report the PSNR change "
                             "(on CPUs without native bf16 this is emulated and slow, but the figure is the same)")
    parser.add_argument("--no-update", action="store_true", help="do not write the figures into the model cards")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    fp32 = get_runtime(fp32=True)
    bf16 = Runtime(torch.device("cpu"), torch.bfloat16, True)
    command = "python -m benchmarks.eval_sr " + " ".join(sys.argv[1:] if argv is None else argv)

    rows: list[str] = []
    card: dict[str, dict] = {}
    for set_name in args.sets:
        images = load_set(set_name)
        for method in args.methods:
            t0 = time.time()
            try:
                r = evaluate(method, images, fp32)
            except checkpoints.MissingCheckpointError:
                print(f"{method}: no checkpoint, skipped", file=sys.stderr)
                continue
            paper_psnr, paper_ssim = PAPER[set_name][method]
            extra = ""
            key = set_name.lower()
            if method != "bicubic":
                card.setdefault(method, {}).update({f"{key}_psnr_y": round(r["psnr"], 3),
                                                    f"{key}_ssim_y": round(r["ssim"], 4),
                                                    f"{key}_sharpness": round(r["sharpness"], 4)})
                if args.bf16_check:
                    rb = evaluate(method, images, bf16)
                    delta = rb["psnr"] - r["psnr"]
                    worst = max(abs(a - b) for a, b in zip(rb["per_image_psnr"], r["per_image_psnr"]))
                    card[method].update({f"{key}_psnr_bf16_minus_fp32_db": round(delta, 4),
                                         f"{key}_psnr_bf16_worst_image_abs_diff_db": round(worst, 4)})
                    extra = f" bf16 - fp32: {delta:+.4f} dB (worst image {worst:.4f});"
            rows.append(f"| {set_name} | {method} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['sharpness']:.3f} | "
                        f"{paper_psnr:.2f} / {paper_ssim:.4f} |{extra} {time.time() - t0:.0f} s |")
    print("| set | method | PSNR (dB, Y) | SSIM (Y) | sharpness (HF energy / HR) | paper PSNR / SSIM | notes |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    if not args.no_update:
        for method, figures in card.items():
            name = SR_METHODS[method][0]
            steps = checkpoints.read_json(name, "training.json").get("steps")
            checkpoints.update_metrics(name, {**figures, "evaluated_checkpoint_steps": steps,
                                         "protocol": "Y (BT.601), 4 px border shaved, mod-4 crop, LR = PIL bicubic "
                                                     "x4 antialiased; fp32 inference",
                                         "command": command, "date": time.strftime("%Y-%m-%d")})
            print(f"updated {checkpoints.checkpoint_path(name) / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
