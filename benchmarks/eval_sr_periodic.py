"""Checkerboard artifacts of the ×4 networks on Set5 / Set14, and their PSNR gain on BSDS500-test.

    python -m benchmarks.eval_sr_periodic                          # Set5, Set14, all 200 BSDS500 test photos
    python -m benchmarks.eval_sr_periodic --limit 50 --json out.json   # the first 50 BSDS500 test photos (sorted)

1. Periodic energy (``gan_core.sr.metrics.periodic_artifacts``): the spectral peaks of the output's Y at the
   2- and 4-pixel periods (1/4 and 1/2 cycle per pixel, where a ×4 PixelShuffle leaves its pattern)
   relative to those of the original (1 = as peaked as the photo, > 1 = a periodic pattern), with the
   pattern's RMS amplitude in Y levels (``periodic_amplitude``) of the output and of the original.
2. PSNR on BSDS500 ``test`` (200 photos never trained on) with eval_sr's Set5 protocol: Y of BT.601,
   4-pixel border shaved, images cropped to a multiple of 4, LR = PIL bicubic ×4 with antialiasing;
   the gain of each network over bicubic, and on how many photos it beats bicubic.

Prints markdown tables (and writes the figures to ``--json``); it never writes into the model cards.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan_core import checkpoints, settings
from gan_core.pictures import as_rgb
from gan_core.runtime import get_runtime
from gan_core.sr import api as sr_api, metrics as sr_metrics
from gan_core.sr.data import downscale, mod_crop

from .eval_sr import load_set


def load_bsds(split: str = "test", limit: int = 0) -> list[tuple[str, np.ndarray]]:
    folder = settings.shared_data_dir() / "bsds500" / split / "images"
    files = sorted(folder.glob("*.jpg"))
    if not files:
        raise SystemExit(f"error: no JPEG images in {folder} (set GAN_SUITE_SHARED_DATA)")
    files = files[:limit] if limit > 0 else files
    return [(p.stem, mod_crop(as_rgb(Image.open(p)), 4)) for p in files]


def measure(method: str, images, runtime) -> dict:
    """Per-image PSNR (Y), periodic ratio, and pattern amplitudes (Y levels) of output and original."""
    rows = []
    for name, hr in images:
        sr = sr_api.upscale_array(downscale(hr, 4), method, runtime=runtime)
        rows.append({"image": name, "psnr": sr_metrics.psnr(sr, hr, 4),
                     "periodic": sr_metrics.periodic_artifacts(sr, hr, 4),
                     # hr is mod-cropped already (load_set / load_bsds): the same pixels as periodic_artifacts'
                     "amplitude": sr_metrics.periodic_amplitude(sr_metrics.shave(sr_metrics.luminance(sr), 4)),
                     "amplitude_hr": sr_metrics.periodic_amplitude(sr_metrics.shave(sr_metrics.luminance(hr), 4))})
    return {"images": rows, **{f"mean_{k}": float(np.mean([r[k] for r in rows]))
                               for k in ("psnr", "periodic", "amplitude", "amplitude_hr")},
            "median_periodic": float(np.median([r["periodic"] for r in rows]))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="*", default=["Set5", "Set14"], help="sets under shared/data/sr (none: skip)")
    parser.add_argument("--methods", nargs="+", default=list(sr_api.METHODS), choices=sr_api.METHODS)
    parser.add_argument("--bsds-split", default="test", help="BSDS500 split for the PSNR table ('' to skip)")
    parser.add_argument("--limit", type=int, default=0,
                        help="only the first N BSDS500 photos in sorted order (0 = all 200)")
    parser.add_argument("--json", type=Path, help="also write every figure, per image, to this file")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    fp32 = get_runtime(fp32=True)
    command = "python -m benchmarks.eval_sr_periodic " + " ".join(sys.argv[1:] if argv is None else argv)
    groups = [(s, load_set(s)) for s in args.sets]
    if args.bsds_split:
        groups.append((f"BSDS500-{args.bsds_split}", load_bsds(args.bsds_split, args.limit)))

    results: dict[str, dict] = {}
    for group, images in groups:
        for method in args.methods:
            t0 = time.time()
            try:
                results.setdefault(group, {})[method] = r = measure(method, images, fp32)
            except checkpoints.MissingCheckpointError:
                print(f"{method}: no checkpoint, skipped", file=sys.stderr)
                continue
            r["seconds"] = round(time.time() - t0, 1)
            print(f"{group} {method}: {len(images)} images, {r['seconds']} s", file=sys.stderr, flush=True)

    print("Periodic energy at the 2- and 4-pixel periods, output / original (1 = none added; "
          "metrics.periodic_artifacts), and the pattern's RMS in Y levels (metrics.periodic_amplitude)\n")
    print("| set | images | method | periodic ratio, mean | median | min .. max | pattern RMS (Y), output | original |")
    print("|---|---|---|---|---|---|---|---|")
    for group, by_method in results.items():
        for method, r in by_method.items():
            p = [x["periodic"] for x in r["images"]]
            print(f"| {group} | {len(p)} | {method} | {r['mean_periodic']:.2f} | {r['median_periodic']:.2f} | "
                  f"{min(p):.2f} .. {max(p):.2f} | {r['mean_amplitude']:.3f} | {r['mean_amplitude_hr']:.3f} |")
    print("\nPSNR (dB, Y, 4 px shaved, mod-4 crop, LR = PIL bicubic x4 antialiased; fp32) and the gain over bicubic\n")
    print("| set | images | method | PSNR | gain over bicubic | photos better than bicubic | time |")
    print("|---|---|---|---|---|---|---|")
    for group, by_method in results.items():
        base = by_method.get("bicubic")
        for method, r in by_method.items():
            n = len(r["images"])
            if base is None or method == "bicubic":
                gain, better = "", ""
            else:
                gains = [a["psnr"] - b["psnr"] for a, b in zip(r["images"], base["images"])]
                r["gain_over_bicubic"] = float(np.mean(gains))
                r["photos_better_than_bicubic"] = int(sum(g > 0 for g in gains))
                gain, better = f"{r['gain_over_bicubic']:+.2f} dB", f"{r['photos_better_than_bicubic']}/{n}"
            print(f"| {group} | {n} | {method} | {r['mean_psnr']:.2f} | {gain} | {better} | {r['seconds']:.0f} s |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        date = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        args.json.write_text(json.dumps({"command": command, "date": date, "results": results}, indent=1))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
