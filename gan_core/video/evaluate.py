"""Measure the next-frame predictors the way Mathieu et al. (2016) did, per rollout horizon.

    python -m gan_core.video.evaluate                  # the three shipped models + copy-last, 256 test sequences
    python -m gan_core.video.evaluate --n 1000 --write # every test sequence; figures into the model cards
    python -m gan_core.video.evaluate --half-cost      # also: fp16-rounded weights vs a run state's fp32 ones

For every test sequence (``data.test_set``: test-split items, seeded motions) each model sees the
first 4 frames and predicts 10, feeding each prediction back as input (a rollout). At every
horizon h = 1..10 it scores the predicted frame against the true one:

* PSNR, SSIM and sharpness difference (``metrics``), on the whole frame and on the moving regions
  (the union of the two items' 28x28 boxes in the true frame);
* recognisability: the judge (``fmnist-classifier``) classifies the 28x28 crop of the prediction
  at each item's true position; the figure is the share of items it names correctly. The same
  crops of the true frames give the ceiling (items overlap, and the judge errs on some items).

The baseline "copy the last frame" predicts frame 4 for every horizon.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable

import torch

from .. import checkpoints
from ..judge.api import judge_predict
from ..registry import NEXT_FRAME
from ..runtime import get_runtime
from . import data, metrics
from .nextframe import copy_last

Predictor = Callable[[torch.Tensor, int], torch.Tensor]  # (B, 4, 64, 64) in [0, 1], horizon -> (B, horizon, 64, 64)
METRICS = ("psnr", "ssim", "sharpness", "psnr_moving", "ssim_moving", "sharpness_moving", "judge_accuracy")
BASELINE = "copy-last"


def model_predictor(name: str, runtime=None) -> Predictor:
    """A checkpoint's rollout as a predictor (loaded once, fp32 unless ``runtime`` says otherwise)."""
    runtime = runtime or get_runtime(fp32=True)
    model = checkpoints.load(name, runtime)
    return lambda frames, horizon: model.rollout(frames, horizon, runtime).cpu()


def recalibrate_batchnorm(model, batches: int = 50, batch_size: int = 64, seed: int = 0):
    """``nextframe.recalibrate_batchnorm`` on the training split's items; returns the model."""
    from ..fmnist import fashion_mnist
    from .nextframe import recalibrate_batchnorm as recalibrate
    return recalibrate(model, fashion_mnist(train=True)[0], batches, batch_size, seed).eval()


def judge_correct(frames: torch.Tensor, pos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether the judge names each item of each frame: ``frames (N, 64, 64)``, ``pos (N, 2, 2)``,
    ``labels (N, 2)`` -> bool ``(N, 2)``."""
    crops = data.crop_items(frames, pos)                                 # (N, 2, 28, 28)
    logits, _ = judge_predict(crops.reshape(-1, 1, data.ITEM, data.ITEM).clamp(0, 1))
    return (logits.argmax(1).view(-1, 2) == labels)


@torch.no_grad()
def rollout_scores(predict: Predictor, seqs: data.Sequences, horizon: int = data.HORIZON,
                   batch: int = 64) -> dict[str, list[float]]:
    """Every metric at every horizon, averaged over ``seqs``: name -> ``[h=1, ..., h=horizon]``."""
    if seqs.frames.shape[1] < data.CONTEXT + horizon:
        raise ValueError(f"sequences of {seqs.frames.shape[1]} frames cannot score a {horizon}-frame rollout")
    sums = {m: torch.zeros(horizon, dtype=torch.float64) for m in METRICS}
    for start in range(0, len(seqs), batch):
        part = seqs.subset(slice(start, start + batch))
        frames = part.frames.float() / 255                               # (B, T, 64, 64)
        pred = predict(frames[:, :data.CONTEXT], horizon).float()        # (B, horizon, 64, 64)
        for h in range(horizon):
            truth, pos = frames[:, data.CONTEXT + h], part.positions[:, data.CONTEXT + h]
            scores = metrics.frame_scores(pred[:, h], truth, data.moving_regions(pos))
            for m, v in scores.items():
                sums[m][h] += v.sum()
            sums["judge_accuracy"][h] += judge_correct(pred[:, h], pos, part.labels).double().mean(1).sum()
    return {m: [round(float(v) / len(seqs), 4) for v in s] for m, s in sums.items()}


@torch.no_grad()
def judge_ceiling(seqs: data.Sequences, horizon: int = data.HORIZON) -> list[float]:
    """The judge's accuracy on the true frames' crops, per horizon."""
    out = []
    for h in range(horizon):
        t = data.CONTEXT + h
        correct = judge_correct(seqs.frames[:, t].float() / 255, seqs.positions[:, t], seqs.labels)
        out.append(round(float(correct.double().mean()), 4))
    return out


def evaluate(names: dict[str, str] | None = None, n: int = 256, horizon: int = data.HORIZON,
             seqs: data.Sequences | None = None) -> dict:
    """Scores of the copy-last baseline and of each model ``{label: checkpoint}`` (default: the
    registry's NEXT_FRAME), plus the judge's ceiling, on the first ``n`` test sequences."""
    names = names if names is not None else {key: ckpt for key, (ckpt, _) in NEXT_FRAME.items()}
    seqs = seqs if seqs is not None else data.test_set(n)
    out = {"n_sequences": len(seqs), "horizons": list(range(1, horizon + 1)),
           "judge_ceiling": judge_ceiling(seqs, horizon),
           BASELINE: rollout_scores(copy_last, seqs, horizon)}
    for label, ckpt in names.items():
        out[label] = rollout_scores(model_predictor(ckpt), seqs, horizon)
    return out


def half_cost(run_dir, seqs: data.Sequences) -> dict:
    """What storing the weights in half precision costs: the figures of a run state's fp32 weights
    rounded to fp16 (as ``NextFrame._save_pretrained`` stores them) minus those of the fp32 weights,
    at horizons 1 and 10. The net is rebuilt from the settings the run state records."""
    from safetensors.torch import load_file
    from ..trainer import STATE_META, STATE_WEIGHTS
    from .nextframe import NextFrame
    extra = json.loads((run_dir / STATE_META).read_text())["config"]["extra"]
    objective = extra["model"].split("-", 1)[1]
    state = {k[len("model."):]: v for k, v in load_file(str(run_dir / STATE_WEIGHTS)).items() if k.startswith("model.")}
    nets = {}
    for precision in ("fp32", "fp16"):
        net = NextFrame(width=extra["width"], levels=extra["levels"], discriminator=objective == "adv",
                        d_width=extra["d_width"], d_scales=extra["d_scales"], objective=objective)
        net.load_state_dict({k: v.half().float() if precision == "fp16" and v.is_floating_point() else v
                             for k, v in state.items()})
        nets[precision] = net.eval()
    a = rollout_scores(lambda f, h: nets["fp16"].rollout(f, h), seqs)
    b = rollout_scores(lambda f, h: nets["fp32"].rollout(f, h), seqs)
    return {f"{m}_h{h}": round(a[m][h - 1] - b[m][h - 1], 4) for m in ("psnr", "sharpness", "judge_accuracy")
            for h in (1, 10)}


def table(results: dict, horizons=(1, 3, 5, 10)) -> str:
    """A markdown table: one row per (model, metric), one column per horizon."""
    labels = [BASELINE] + [k for k in results if k in NEXT_FRAME]
    head = "| model | metric | " + " | ".join(f"h={h}" for h in horizons) + " |"
    rows = [head, "|" + "---|" * (2 + len(horizons))]
    for m in METRICS:
        for label in labels:
            name = NEXT_FRAME[label][1] if label in NEXT_FRAME else label
            rows.append(f"| {name} | {m} | " + " | ".join(f"{results[label][m][h - 1]:.3f}" for h in horizons) + " |")
    rows.append("| (true frames) | judge_accuracy | " + " | ".join(f"{results['judge_ceiling'][h - 1]:.3f}"
                                                                   for h in horizons) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m gan_core.video.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=256, help="test sequences (the first n of the fixed set, at most 1000)")
    p.add_argument("--write", action="store_true", help="write the figures into the checkpoints' metrics.json")
    p.add_argument("--half-cost", nargs="*", default=None, metavar="RUN_DIR",
                   help="the cost of fp16 storage, measured on these run states' fp32 weights "
                        "(default: runs/nextframe-mse, -gdl, -adv where present)")
    p.add_argument("--json", default=None, help="also write all figures to this file")
    p.add_argument("--recalibrate-bn", type=int, default=0, metavar="BATCHES",
                   help="diagnostic: also score each model after re-estimating its BatchNorm statistics on "
                        "BATCHES training batches (in memory; the checkpoints are not changed)")
    args = p.parse_args(argv)
    if not 1 <= args.n <= data.TEST_SIZE:
        p.error(f"--n must be between 1 and {data.TEST_SIZE}")
    t0 = time.time()
    results = evaluate(n=args.n)
    command = "python -m gan_core.video.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)
    results["command"], results["seconds"] = command, round(time.time() - t0)
    if args.half_cost is not None:
        from pathlib import Path
        from .. import settings
        from ..trainer import STATE_WEIGHTS
        runs = [Path(r) for r in args.half_cost] or [settings.REPO_ROOT / "runs" / ckpt for ckpt, _ in NEXT_FRAME.values()]
        seqs = data.test_set(min(args.n, 128))
        results["half_precision_cost"] = {str(r): half_cost(r, seqs) for r in runs if (r / STATE_WEIGHTS).exists()}
    if args.recalibrate_bn:
        import copy
        seqs = data.test_set(args.n)
        for key, (ckpt, _) in NEXT_FRAME.items():
            model = recalibrate_batchnorm(copy.deepcopy(checkpoints.load(ckpt, get_runtime(fp32=True))),
                                          args.recalibrate_bn)
            results[f"{key}-recalibrated"] = rollout_scores(lambda f, h, m=model: m.rollout(f, h).cpu(), seqs)
            print(key, "recalibrated BatchNorm:", {m: [results[f"{key}-recalibrated"][m][h - 1] for h in (1, 3, 10)]
                                                   for m in ("psnr", "sharpness", "judge_accuracy")})
    print(table(results))
    if args.half_cost is not None:
        print("fp16 storage minus fp32:", json.dumps(results["half_precision_cost"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.write:
        for key, (ckpt, _) in NEXT_FRAME.items():
            mine = results[key]
            figures = {f"{m}_h{h}": mine[m][h - 1] for m in METRICS for h in (1, 3, 10)}
            figures.update({f"copy_last_{m}_h1": results[BASELINE][m][0] for m in ("psnr", "sharpness", "judge_accuracy")})
            figures.update({f"{m}_per_horizon": mine[m] for m in METRICS})
            figures.update({f"copy_last_{m}_per_horizon": results[BASELINE][m] for m in METRICS})
            figures.update(judge_ceiling_per_horizon=results["judge_ceiling"], n_sequences=results["n_sequences"],
                           command=command)
            checkpoints.update_metrics(ckpt, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
