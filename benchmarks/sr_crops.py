"""Crops for the SRGAN's model card: the original, SRResNet and SRGAN side by side where a grid would show.

    python -m benchmarks.sr_crops        # -> checkpoints/srgan-x4/figures/*.png + figures.json, then the card

Over Set5 and Set14 (LR = the suite's bicubic x4), two 64 x 64 windows of flat content (the original's
luminance std < 6 levels): (a) the interior window and (b) the window touching the picture's border where the
SRGAN's 4-pixel pattern (``gan_core.sr.metrics.periodic_amplitude`` of the window) is largest, i.e. the worst
cases, not chosen for looks. Each panel, enlarged x4 (nearest): row 1 the three crops; row 2 their fine detail
(the crop minus a Gaussian blur, sigma 2) x8 around grey, the same gain for all three, so a one-level pattern shows.
fp32 inference; the pattern's RMS (Y levels) of each crop is in its label and in figures.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE, STRIDE, FLAT_STD, GAIN = 64, 8, 6.0, 8


def worst_windows(outputs: dict) -> dict:
    """{"interior"|"border": (amplitude, picture, i, j)}: the flat windows where the SRGAN's pattern is largest."""
    from gan_core.sr import metrics as M
    best = {}
    for name, (hr, out) in outputs.items():
        y_hr, y_gan = M.luminance(hr), M.luminance(out["srgan"])
        h, w = y_hr.shape
        for i in range(0, h - SIZE + 1, STRIDE):
            for j in range(0, w - SIZE + 1, STRIDE):
                if y_hr[i:i + SIZE, j:j + SIZE].std() > FLAT_STD:
                    continue
                amp = M.periodic_amplitude(y_gan[i:i + SIZE, j:j + SIZE])
                kind = "border" if i == 0 or j == 0 or i + SIZE == h or j + SIZE == w else "interior"
                if kind not in best or amp > best[kind][0]:
                    best[kind] = (amp, name, i, j)
    return best


def detail(crop: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter
    f = crop.astype(np.float64)
    return np.clip(128 + GAIN * (f - gaussian_filter(f, (2, 2, 0), mode="nearest")), 0, 255).round().astype(np.uint8)


def panel(crops: list[np.ndarray], labels: list[str]) -> Image.Image:
    big = [np.kron(c, np.ones((4, 4, 1), np.uint8)) for c in crops]
    side, gap, top = SIZE * 4, 8, 22
    rows = len(big) // 3
    canvas = Image.new("RGB", (3 * side + 2 * gap, rows * (side + top)), "white")
    draw = ImageDraw.Draw(canvas)
    for k, (img, label) in enumerate(zip(big, labels)):
        r, c = divmod(k, 3)
        x, y = c * (side + gap), r * (side + top)
        draw.text((x + 4, y + 5), label, fill="black")
        canvas.paste(Image.fromarray(img), (x, y + top))
    return canvas


def main() -> int:
    from benchmarks.eval_sr import load_set
    from gan_core import checkpoints
    from gan_core.runtime import get_runtime
    from gan_core.sr import api, metrics as M
    from gan_core.sr.data import downscale
    torch.set_grad_enabled(False)
    runtime = get_runtime(fp32=True)
    outputs = {}
    for set_name in ("Set5", "Set14"):
        for name, hr in load_set(set_name):
            lr = downscale(hr, 4)
            outputs[f"{set_name}/{name}"] = (hr, {m: api.upscale_array(lr, m, runtime=runtime) for m in ("srresnet", "srgan")})
    folder = checkpoints.checkpoint_path("srgan-x4") / "figures"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    entries = []
    for kind, (_, name, i, j) in sorted(worst_windows(outputs).items()):
        hr, out = outputs[name]
        crops = [hr[i:i + SIZE, j:j + SIZE], out["srresnet"][i:i + SIZE, j:j + SIZE], out["srgan"][i:i + SIZE, j:j + SIZE]]
        amps = [M.periodic_amplitude(M.luminance(c).astype(np.float64)) for c in crops]
        labels = [f"original, {name} y={i} x={j} ({amps[0]:.2f})", f"SRResNet x4 ({amps[1]:.2f})",
                  f"SRGAN x4 ({amps[2]:.2f})", f"original, detail x{GAIN}", f"SRResNet, detail x{GAIN}",
                  f"SRGAN, detail x{GAIN}"]
        file = f"{kind}.png"
        panel(crops + [detail(c) for c in crops], labels).save(folder / file, optimize=True)
        caption = (f"The {'flat window on the picture border' if kind == 'border' else 'flat interior window'} "
                   f"where the SRGAN's 4-pixel pattern is largest over Set5 and Set14 ({name}, rows {i}-{i + SIZE - 1}, "
                   f"columns {j}-{j + SIZE - 1}): original, SRResNet, SRGAN, x4 nearest; below, their fine detail "
                   f"x{GAIN}. The pattern's RMS in Y levels: original {amps[0]:.2f}, SRResNet {amps[1]:.2f}, "
                   f"SRGAN {amps[2]:.2f}.")
        entries.append({"file": file, "caption": caption, "picture": name, "row": i, "column": j,
                        "pattern_rms": {"original": round(amps[0], 3), "srresnet": round(amps[1], 3),
                                        "srgan": round(amps[2], 3)}})
        print(caption, flush=True)
    (folder / "figures.json").write_text(json.dumps({"command": "python -m benchmarks.sr_crops", "figures": entries},
                                                    indent=1) + "\n")
    checkpoints.write_card("srgan-x4")
    from gan_core import hub
    hub.write_manifest()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
