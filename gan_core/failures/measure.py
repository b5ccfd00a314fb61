"""The Failure gallery's figures for its trained models, written into their model cards.

    python -m gan_core.failures.measure counting-gan       # count histograms, real vs generated
    python -m gan_core.failures.measure perspective-gan    # box-fit errors, real vs generated
    python -m gan_core.failures.measure imbalance-fmnist   # gradient norms vs D's accuracy (from the run)
    python -m gan_core.failures.measure collapse-fmnist    # the judge's class histogram over training

Real pictures are drawn from a seed the training set never used (``HELD_OUT_SEED``), so real and
generated are compared on equal terms. For the two recorded Fashion-MNIST runs the run's history
(``runs/<name>/history.jsonl``) is copied next to the checkpoint, where the tab reads it.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import checkpoints, settings
from ..evaluate import publish
from ..registry import FAILURES
from ..trainer import HISTORY, read_history
from .api import failure_samples as samples

HELD_OUT_SEED = 10_001


def counting_figures(name: str, n: int = 2000) -> dict:
    from .counting import count_figures, make_canvases
    real, _ = make_canvases(n, HELD_OUT_SEED)
    out = {f"real_{k}": v for k, v in count_figures(real).items()}
    out.update({f"generated_{k}": v for k, v in count_figures(samples(name, n)).items()})
    return out


def perspective_figures(name: str, n: int = 300) -> dict:
    from .perspective import IMPOSSIBLE, geometry_figures, make_boxes
    real, _ = make_boxes(n, HELD_OUT_SEED)
    out = {f"real_{k}": v for k, v in geometry_figures(real).items()}
    out.update({f"generated_{k}": v for k, v in geometry_figures(samples(name, n)[:, 0]).items()})
    out["impossible_threshold"] = IMPOSSIBLE
    return out


HISTORY_FROM: dict = {}  # name -> a history file to use instead of runs/<name>/ (--history)


def copy_history(name: str) -> list[dict]:
    """``runs/<name>/history.jsonl`` (or the ``--history`` file) -> ``checkpoints/<name>/history.jsonl``
    (kept if the run is gone)."""
    src = HISTORY_FROM.get(name) or settings.REPO_ROOT / "runs" / name / HISTORY
    dst = checkpoints.checkpoint_path(name) / HISTORY
    if src.exists() and (name in HISTORY_FROM or not dst.exists() or src.stat().st_mtime > dst.stat().st_mtime):
        shutil.copyfile(src, dst)
    return read_history(dst.parent)


def imbalance_figures(name: str) -> dict:
    h = copy_history(name)
    if not h:
        raise SystemExit(f"no history for {name}: train it first (python -m gan_core.train imbalance)")
    sat = np.array([r["grad_G_saturating"] for r in h])
    nonsat = np.array([r["grad_G_nonsaturating"] for r in h])
    acc = np.array([r["D_accuracy"] for r in h])
    strong = acc >= 0.9
    return {"logged_steps": len(h), "d_accuracy_median": float(np.median(acc)),
            "share_of_steps_d_accuracy_ge_0.9": float(strong.mean()),
            "grad_ratio_nonsat_over_sat_median": float(np.median(nonsat / np.maximum(sat, 1e-12))),
            "grad_ratio_when_d_accuracy_ge_0.9": float(np.median(nonsat[strong] / np.maximum(sat[strong], 1e-12)))
            if strong.any() else float("nan"),
            "grad_saturating_median": float(np.median(sat)), "grad_nonsaturating_median": float(np.median(nonsat)),
            "d_of_x_last": float(h[-1]["D(x)"]), "d_of_g_z_last": float(h[-1]["D(G(z))"])}


def collapse_figures(name: str) -> dict:
    h = [r for r in copy_history(name) if "share_0" in r]
    if not h:
        raise SystemExit(f"no history for {name}: train it first (python -m gan_core.train collapse)")
    shares = np.array([[r[f"share_{k}"] for k in range(10)] for r in h])        # (T, 10)
    top = shares.max(1)
    dominant = shares.argmax(1)
    return {"logged_steps": len(h), "max_single_class_share": float(top.max()),
            "median_single_class_share": float(np.median(top)),
            "min_classes_covered": int(min(r["classes_covered"] for r in h)),
            "last_classes_covered": int(h[-1]["classes_covered"]), "last_classes_kl": float(h[-1]["classes_kl"]),
            "dominant_class_changes": int((np.diff(dominant) != 0).sum()),
            "last_class_shares": [round(float(s), 3) for s in shares[-1]]}


def halve(name: str, n: int = 500, tolerance: float = 1 / 255) -> dict:
    """Store ``name``'s weights in fp16 if the same z through the fp32 and the fp16-rounded weights gives
    pictures within ``tolerance`` (half a grey level) at the 99.9th percentile of pixels
    (``checkpoints.store_half_if_lossless``). Returns the comparison."""
    return checkpoints.store_half_if_lossless(name, lambda model: samples(name, n), tolerance=tolerance)


FIGURES = {FAILURES["counting"][0]: counting_figures, FAILURES["perspective"][0]: perspective_figures,
           FAILURES["imbalance"][0]: imbalance_figures, FAILURES["collapse"][0]: collapse_figures}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.failures.measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(FIGURES))
    parser.add_argument("--no-write", action="store_true", help="print only; leave the model card alone")
    parser.add_argument("--half", action="store_true",
                        help="first store the weights in fp16 if the pictures stay within half a grey level")
    parser.add_argument("--history", type=Path, default=None,
                        help="the run's history.jsonl when the run folder was not runs/NAME (e.g. --run-dir on a GPU)")
    args = parser.parse_args(argv)
    if args.history is not None:
        HISTORY_FROM[args.name] = args.history
    t0 = time.time()
    command = "python -m gan_core.failures.measure " + " ".join(sys.argv[1:] if argv is None else argv)
    half = halve(args.name) if args.half and not args.no_write else {}
    figures = {**half, **FIGURES[args.name](args.name), "command": command, "evaluated": time.strftime("%Y-%m-%d")}
    publish(args.name, figures, t0, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
