"""The label-budget sweep of the semi-supervised GAN: SGAN vs the same classifier on the labels alone.

    python -m gan_core.gan.sweep                       # 100 / 250 / 1000 / all labels, 3 draws of 100
    python -m gan_core.gan.sweep --budgets 100 --draws 3 --steps 1500

Every run is ``python -m gan_core.train sgan --labels B --label-seed D [--supervised-only]`` trained
in this process, with the validation accuracy (5,000 items held out of the training split)
measured every ``--eval-every`` steps: the best-on-validation weights are kept and only they
meet the test set. Finished runs are recorded in ``runs/sgan-sweep/results.json`` (``--results``
names another file, for sweeps run side by side) and skipped when the sweep is run again (an
interrupted run resumes from its run state). Draw 0 of 100 labels is shipped as
``checkpoints/sgan-fmnist`` and ``checkpoints/supervised-fmnist``; the curve, gathered from every
results file under ``runs/sgan-sweep/`` at the same number of steps, is written into sgan-fmnist's
model card with the commands that produced its runs.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from .. import checkpoints, settings
from ..evaluate import _RealData
from ..registry import ARCHITECTURES
from ..runtime import get_runtime
from ..trainer import Trainer, TrainConfig
from .evaluate import validation_items

# (kind, labels, draw) -> the checkpoint it ships as
SHIPPED = {(kind, 100, 0): ARCHITECTURES[kind][0] for kind in ("sgan", "supervised")}


def accuracy(model, items: torch.Tensor, labels: torch.Tensor) -> float:
    return float((model.classify(items).argmax(1) == labels).float().mean())


def run_one(kind: str, budget: int, draw: int, steps: int, eval_every: int, root, command: str,
            extra: list[str] = ()) -> dict:
    from ..train import parse_args
    from .train import build_sgan
    argv = ["sgan", "--labels", str(budget), "--label-seed", str(draw), "--steps", str(steps), "--seed", str(draw)]
    argv += ["--supervised-only"] if kind == "supervised" else []
    argv += list(extra)
    args = parse_args(argv)
    runtime = get_runtime()
    torch.manual_seed(draw)
    algo, data, desc = build_sgan(args, runtime)
    val_x, val_y = validation_items()
    best = {"acc": -1.0, "step": 0, "state": None}

    def keep_best(step, logs):
        if step % eval_every == 0 or step == steps:
            acc = accuracy(algo.model, val_x, val_y)
            if acc > best["acc"]:
                best.update(acc=acc, step=step, state={k: v.clone() for k, v in algo.model.state_dict().items()})

    t0 = time.time()
    run_dir = root / (f"{kind}-{budget}-d{draw}" + "".join(extra).replace("--", "-"))
    Trainer(algo, data, TrainConfig(steps=steps, batch_size=args.batch_size, seed=draw),
            run_dir, callbacks=[keep_best], progress=False).fit()
    if best["state"] is None:  # resumed after the last step: judge the final weights
        keep_best(steps, {})
    algo.model.load_state_dict(best["state"])
    real = _RealData.get()
    result = {"kind": kind, "labels": budget, "draw": draw, "steps": steps, "chosen_step": best["step"],
              "validation_accuracy": best["acc"], "test_accuracy": accuracy(algo.model, real["test"], real["test_labels"]),
              "wall_s": round(time.time() - t0), "hardware": runtime.describe()}
    name = SHIPPED.get((kind, budget, draw))
    if name:
        training = {"data": desc, "steps": steps, "chosen_step_on_validation": best["step"], "batch_size": args.batch_size,
                    "seed": draw, "hardware": runtime.describe(), "command": command,
                    "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"), **algo.card_info}
        checkpoints.save(algo.model, name, training=training,
                         metrics={"test_accuracy": result["test_accuracy"], "validation_accuracy": best["acc"]})
    return result


def gathered(root, steps: int) -> list[dict]:
    """Every finished run of ``steps`` steps in the results files under ``root`` (one file per sweep
    run side by side), each (kind, labels, draw) once: the first file in name order wins."""
    seen, out = set(), []
    for path in sorted(root.glob("*.json")):
        for r in json.loads(path.read_text()):
            key = (r["kind"], r["labels"], r["draw"])
            if r["steps"] == steps and key not in seen:
                seen.add(key)
                out.append(r)
    return out


def curve(results: list[dict]) -> dict:
    """label budget -> kind -> (mean, std, n) of the test accuracy over draws."""
    out: dict = {}
    for r in results:
        out.setdefault(str(r["labels"]), {}).setdefault(r["kind"], []).append(r["test_accuracy"])
    return {b: {k: [float(np.mean(v)), float(np.std(v)), len(v)] for k, v in kinds.items()} for b, kinds in out.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.gan.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 250, 1000, 0], help="0: all labels")
    parser.add_argument("--draws", type=int, default=3, help="label draws for the 100-label budget")
    parser.add_argument("--other-draws", type=int, default=1, help="label draws for the other budgets")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--first-draw", type=int, default=0,
                        help="number the draws from here (sweeps of other draws can run side by side)")
    parser.add_argument("--lr", type=float, default=None, help="Adam's learning rate (default: the trainer's)")
    parser.add_argument("--kinds", nargs="+", choices=["sgan", "supervised"], default=["sgan", "supervised"],
                        help="which of the two to train (the baseline can run beside the SGAN of the same budget)")
    parser.add_argument("--results", default="results.json",
                        help="file under runs/sgan-sweep/ (one per sweep run side by side)")
    args = parser.parse_args(argv)
    root = settings.REPO_ROOT / "runs" / "sgan-sweep"
    root.mkdir(parents=True, exist_ok=True)
    store = root / args.results
    results = json.loads(store.read_text()) if store.exists() else []
    done = {(r["kind"], r["labels"], r["draw"], r["steps"]) for r in results}
    cmd = "python -m gan_core.gan.sweep " + " ".join(sys.argv[1:] if argv is None else argv)
    plan = [(kind, b, args.first_draw + d) for b in args.budgets
            for d in range(args.draws if b == 100 else args.other_draws) for kind in args.kinds]
    for kind, b, d in plan:
        if (kind, b, d, args.steps) in done:
            continue
        extra = ["--lr", str(args.lr)] if args.lr is not None else []
        r = {**run_one(kind, b, d, args.steps, args.eval_every, root, cmd, extra), "command": cmd}
        print(json.dumps(r), flush=True)
        results.append(r)
        store.write_text(json.dumps(results, indent=1))
        if checkpoints.checkpoint_path(SHIPPED["sgan", 100, 0]).exists():
            runs = gathered(root, args.steps)
            commands = sorted({x["command"] for x in runs if x.get("command")})
            where = sorted({f"{x['labels'] or 'all'} labels: {x['hardware']}" for x in runs if x.get("hardware")})
            checkpoints.update_metrics(SHIPPED["sgan", 100, 0], {"label_curve": curve(runs),
                                                                 "label_curve_command": "; ".join(commands),
                                                                 "label_curve_hardware": "; ".join(where)})
    print(json.dumps(curve(gathered(root, args.steps)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
