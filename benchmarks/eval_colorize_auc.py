"""Per-pixel ab-error AuC of colourisation, raw and class-rebalanced: Zhang, Isola & Efros (2016),
"Colorful Image Colorization", ECCV, Table 1 ("AuC" columns), for grey, l1-colorize and pix2pix-colorize;
beside them, on the same photos, PSNR and SSIM on RGB and the CIELAB a/b histogram intersection
(``gan_core.img2img.metrics.color_scores``, the figures of ``eval_image_to_image``).

    python -m benchmarks.eval_colorize_auc                            # bsds500-test and Set14
    python -m benchmarks.eval_colorize_auc --sets Set14 --limit 3     # a quick run
    python -m benchmarks.eval_colorize_auc --json auc.json            # also write the figures as JSON
    python -m benchmarks.eval_colorize_auc --sets bsds500-train --limit 20   # choosing between runs: training photos

The metric is ``gan_core.img2img.metrics.ab_error_auc`` (its docstring says what exactly, and where a
choice was made). Protocol, that of ``benchmarks.eval_image_to_image`` for colourisation: every photo
at full size; the models get its BT.601 luma and their output, at the photo's size, is compared with
the photo in CIELAB's ab plane (``translate("colorize", photo, variant)``, the suite's runtime);
greyscale photos are skipped (``pictures.is_grey``: Set14's bridge and man). "grey" is the L channel
alone: the luma the models get, in R, G and B alike (eval_image_to_image's grey baseline), so its ab
is 0 up to the Lab conversion's rounding (|ab| < 0.005, as for a grey original's own pixels).

The prior of the rebalanced AuC comes from the training photos (bsds500/train/images + sr/SunHays80,
all pixels pooled), never from a test set. Data are read from ``GAN_SUITE_SHARED_DATA`` (default
``../shared/data``, see ``gan_core.settings``); nothing is downloaded.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from gan_core import checkpoints, pictures, settings
from gan_core.fmnist import MissingDataError
from gan_core.img2img import api as i2i
from gan_core.img2img.data import load_folder_photos
from gan_core.img2img.metrics import ab_error_auc, ab_bins, ab_prior, color_scores, lab_ab, rebalancing_weights
from gan_core.runtime import get_runtime

from .common import machine

SETS = {"bsds500-test": "bsds500/test/images", "Set14": "sr/Set14"}   # under the shared data folder
# training photos: for choosing a setting between runs (the test sets only report), never a result
SETS["bsds500-train"] = "bsds500/train/images"
PRIOR_FOLDERS = ("bsds500/train/images", "sr/SunHays80")               # training photos only
METHODS = {"grey": None, "l1-colorize": "l1", "pix2pix-colorize": "pix2pix"}
SCORE_KEYS = ("psnr", "ssim", "hist_a", "hist_b", "colorfulness", "colorfulness_original")


def load_set(name: str, limit: int | None = None):
    """(file name, RGB PIL photo) of the set's colour photos, sorted by name, and the greyscale names skipped."""
    folder = settings.shared_data_dir() / SETS[name]
    names = [p.stem for p in pictures.photo_files(folder)]
    photos = list(zip(names, load_folder_photos(folder)))
    colour = [(n, im) for n, im in photos if not pictures.is_grey(im)]
    return colour[:limit], [n for n, im in photos if pictures.is_grey(im)]


def grey_rgb(photo) -> np.ndarray:
    """The "grey" method: the photo's BT.601 luma (what the models are given) in R, G and B alike."""
    return np.repeat(np.asarray(photo.convert("L"))[..., None], 3, axis=2)


def training_prior() -> tuple[np.ndarray, int]:
    """The ab prior of the training photos, and the number of pixels it was estimated from."""
    sizes = []

    def photos():
        for folder in PRIOR_FOLDERS:
            for arr in pictures.load_photos(settings.shared_data_dir() / folder):
                sizes.append(arr.shape[0] * arr.shape[1])
                yield arr
    return ab_prior(photos()), sum(sizes)


def evaluate_set(name: str, prior: np.ndarray, methods: dict, limit: int | None = None) -> dict:
    """Per-image raw and rebalanced AuC of each method on the set, and their means; the means of
    ``color_scores`` (PSNR, SSIM, histogram intersections, colourfulness) on the same photos."""
    photos, skipped = load_set(name, limit)
    per_image = {m: {"raw": [], "rebalanced": []} for m in methods}
    scores = {m: [] for m in methods}
    unseen = 0
    for _, photo in photos:
        orig = np.asarray(photo)
        ab_orig = lab_ab(orig)
        weights = rebalancing_weights(ab_orig, prior)
        unseen += int((prior[ab_bins(ab_orig)] == 0).sum())
        for method, variant in methods.items():
            out = grey_rgb(photo) if variant is None else np.asarray(i2i.translate("colorize", photo, variant))
            ab_out = lab_ab(out)  # converted once for both figures
            per_image[method]["raw"].append(ab_error_auc(ab_out, ab_orig))
            per_image[method]["rebalanced"].append(ab_error_auc(ab_out, ab_orig, weights))
            scores[method].append(color_scores(out, orig))
    n_pixels = sum(p.width * p.height for _, p in photos)
    return {"n_images": len(photos), "images": [n for n, _ in photos], "skipped_greyscale": skipped,
            "pixels_in_bins_unseen_in_training": unseen, "n_pixels": n_pixels,
            "methods": {m: {"raw_auc": float(np.mean(s["raw"])), "rebalanced_auc": float(np.mean(s["rebalanced"])),
                            "per_image_raw_auc": s["raw"], "per_image_rebalanced_auc": s["rebalanced"],
                            **{k: float(np.mean([c[k] for c in scores[m]])) for k in SCORE_KEYS}}
                        for m, s in per_image.items()}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=["bsds500-test", "Set14"], choices=list(SETS),
                   help="bsds500-train: training photos, for choosing between runs only")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--limit", type=int, default=None, help="only the first N colour photos of each set (quick run)")
    p.add_argument("--json", metavar="PATH", help="also write the figures (and per-image ones) to this JSON file")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    command = "python -m benchmarks.eval_colorize_auc " + " ".join(sys.argv[1:] if argv is None else argv)
    t_start = time.time()

    methods = {}
    for m in args.methods:
        variant = METHODS[m]
        try:
            if variant is not None:
                i2i.load("colorize", variant)
            methods[m] = variant
        except checkpoints.MissingCheckpointError as e:
            print(f"{m}: no checkpoint, skipped ({e})", file=sys.stderr)
    try:
        prior, prior_pixels = training_prior()
        results = {s: evaluate_set(s, prior, methods, args.limit) for s in args.sets}
    except (MissingDataError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e} (set GAN_SUITE_SHARED_DATA to the folder of ../shared/data/README.md)")
    seconds = time.time() - t_start

    print("\nab-error AuC (Zhang et al. 2016, Table 1: thresholds 0..150, mean over images, %)\n")
    print("| set | images | method | raw AuC (%) | rebalanced AuC (%) |")
    print("|---|---|---|---|---|")
    for s, r in results.items():
        for m, f in r["methods"].items():
            print(f"| {s} | {r['n_images']} | {m} | {100 * f['raw_auc']:.2f} | {100 * f['rebalanced_auc']:.2f} |")
    print("\nOn the same photos: PSNR / SSIM on RGB, a/b histogram intersection, colourfulness (means)\n")
    print("| set | method | PSNR (dB) | SSIM | hist a | hist b | colourfulness (originals) |")
    print("|---|---|---|---|---|---|---|")
    for s, r in results.items():
        for m, f in r["methods"].items():
            print(f"| {s} | {m} | {f['psnr']:.2f} | {f['ssim']:.3f} | {f['hist_a']:.3f} | {f['hist_b']:.3f} | "
                  f"{f['colorfulness']:.1f} ({f['colorfulness_original']:.1f}) |")
    print(f"\nprior: {int((prior > 0).sum())} ab bins seen in {prior_pixels:,} training pixels "
          f"({', '.join(PRIOR_FOLDERS)})")
    for s, r in results.items():
        print(f"{s}: skipped greyscale: {', '.join(r['skipped_greyscale']) or 'none'}; test pixels in ab bins unseen "
              f"in training: {r['pixels_in_bins_unseen_in_training']:,} of {r['n_pixels']:,}")
    print(f"{seconds:.0f} s; inference: {get_runtime().describe()}")

    if args.json:
        doc = {"metric": "ab-error AuC, Zhang, Isola & Efros 2016 (Colorful Image Colorization), Table 1; "
                         "gan_core.img2img.metrics.ab_error_auc",
               "command": command, "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(),
               "inference": get_runtime().describe(), "seconds": round(seconds, 1),
               "prior": {"folders": list(PRIOR_FOLDERS), "pixels": prior_pixels, "bins_seen": int((prior > 0).sum())},
               "sets": results}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
