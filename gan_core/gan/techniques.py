"""The "Improved Techniques" ablation (Salimans et al. 2016, https://arxiv.org/abs/1606.03498) on the
Fashion-MNIST DCGAN: each switch alone, then the switches that helped together, at one step budget.

    python -m gan_core.gan.techniques --steps 6000 --seeds 3            # every row, 3 seeds each
    python -m gan_core.gan.techniques --steps 1500 --configs vanilla ema   # some rows only
    python -m gan_core.gan.techniques --steps 6000 --first-seed 2 --seeds 1   # one seed (runs side by side)
    python -m gan_core.gan.techniques --long 30000 --ship                 # the best row, trained longer

Every run is ``python -m gan_core.train dcgan --steps N --seed S <switches>`` trained in this process
(run state in ``runs/techniques/``, never committed; an interrupted run resumes), then judged: FID
of ``--n-eval`` samples against the 10k test items with the suite's judge, the judge's class
coverage, and the memorisation ratio (median nearest-training-item distance of 1,000 samples over
that of 1,000 test items; ``gan_core.evaluate``). With an EMA of G the averaged generator is
judged. Results go to ``checkpoints/dcgan-fmnist/techniques/results.json`` with an 8x8 sample
grid per row (the first seed's, z from seed 0); rows already there are skipped, so the command
can be run again after an interruption, or by several processes at once (``--first-seed``).

The "best" row switches on together every switch whose row beat vanilla's mean FID; ``--long``
trains the row with the lowest mean FID for longer and, with ``--ship``, exports it as
``checkpoints/dcgan-fmnist`` when it beats the shipped model's judge FID.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import checkpoints, settings
from ..registry import GENERATORS

# row -> the switches of `python -m gan_core.train dcgan` it adds to today's recipe
CONFIGS: dict[str, list[str]] = {
    "vanilla": [],
    "label-smoothing": ["--label-smoothing", "0.1"],
    "feature-matching": ["--feature-matching", "replace"],
    "minibatch": ["--minibatch", "32"],
    "hist-avg": ["--hist-avg", "0.05"],
    "vbn": ["--vbn", "64"],
    "ema": ["--ema", "0.999"],
}
BEST = "best"      # the switches that beat vanilla alone, together (chosen from the results)
SINGLES = [c for c in CONFIGS if c != "vanilla"]
DEFAULT_ROWS = [*CONFIGS, BEST]

# what each row is, one or two sentences with the formula (the training-lab tab shows these)
EXPLANATIONS: dict[str, str] = {
    "vanilla": "Today's recipe: DCGAN, non-saturating G loss −log D(G(z)), Adam 2e-4, β₁ 0.5, batch 64, "
               "ngf = ndf = 32.",
    "label-smoothing": "One-sided label smoothing (Sec. 3.4): D's target for real items is 0.9 instead of 1, "
                       "fakes keep 0: L_D = −0.9 log D(x) − 0.1 log(1 − D(x)) − log(1 − D(G(z))).",
    "feature-matching": "Feature matching (Sec. 3.1): G no longer fools D but matches the mean of D's last "
                        "hidden layer f on real data, min_G ‖E_x f(x) − E_z f(G(z))‖².",
    "minibatch": "Minibatch discrimination (Sec. 3.2): D also sees, per kernel k, how close each sample is "
                 "to the rest of its batch, o(x_i)_k = Σ_{j≠i} exp(−‖M_{i,k} − M_{j,k}‖₁) with M = f(x)·T "
                 "(32 kernels of 4), so a collapsed batch is easy to spot.",
    "hist-avg": "Historical averaging (Sec. 3.3): both players pay λ‖θ − (1/t) Σ_i θ_i‖² for straying from "
                "the average of their past weights (λ = 0.05).",
    "vbn": "Virtual batch norm in G (Sec. 3.5): each sample is normalised with the mean and variance of a "
           "fixed reference batch of 64 codes plus itself, μ = (Σ_ref h + h_i)/(R + 1), so it never "
           "depends on its batch-mates.",
    "ema": "An exponential moving average of G's weights, θ_EMA ← 0.999 θ_EMA + 0.001 θ, kept for evaluation "
           "only (training is unchanged); its batch-norm statistics are re-measured before sampling.",
    BEST: "Every switch whose row beat vanilla's mean FID, on together.",
}

SHIPPED = GENERATORS["dcgan"][0]  # the shipped DCGAN checkpoint: the baseline, and what --ship replaces
RESULTS = Path(SHIPPED) / "techniques" / "results.json"  # under checkpoints/
GRID_N = 64
EVAL_SEED = 0


def results_path() -> Path:
    return settings.checkpoint_dir() / RESULTS


def machine() -> dict:
    """The CPU's model name and bf16 flags, the runtime, torch's threads and the load average."""
    from ..runtime import get_runtime
    model, flags = "", []
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        flags = sorted({f for f in info.split() if "bf16" in f})
    except (OSError, StopIteration):
        pass
    if torch.cuda.is_available():
        model = torch.cuda.get_device_name()
    return {"device": model, "bf16_flags": flags, "runtime": get_runtime().describe(),
            "torch_threads": torch.get_num_threads(), "loadavg": [round(x, 2) for x in os.getloadavg()],
            "torch": torch.__version__}


# ---- the results file, shared by processes running side by side ----------------------------------

@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_dir = settings.REPO_ROOT / "runs" / "techniques"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / (path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_results(path: Path | None = None) -> dict:
    path = path or results_path()
    if not path.exists():
        return {"runs": [], "long": []}
    data = json.loads(path.read_text())
    data.setdefault("runs", [])
    data.setdefault("long", [])
    return data


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def record(path: Path, key: str, entry: dict, replace=None, **top) -> dict:
    """Append ``entry`` to ``data[key]`` (re-read under a lock, so side-by-side runs keep each other's
    rows), dropping the rows for which ``replace(row)`` is true; refresh the summary and the top-level
    fields ``top``; return the new contents."""
    with _locked(path):
        data = load_results(path)
        data[key] = [row for row in data[key] if replace is None or not replace(row)] + [entry]
        data.update(top)
        data["summary"] = summarise(data)
        _write(path, data)
    return data


def run_key(r: dict) -> tuple:
    return r["config"], r["seed"], r["steps"], r["batch_size"], tuple(r["flags"])


# ---- what the table shows --------------------------------------------------------------------------

def summarise(data: dict) -> list[dict]:
    """One row per (steps, batch size, configuration): FID mean and std over seeds, classes covered
    (mean and worst seed), memorisation ratio, the seeds, the grid - in the order of DEFAULT_ROWS."""
    groups: dict[tuple, list[dict]] = {}
    for r in data.get("runs", []):
        groups.setdefault((r["steps"], r["batch_size"], r["config"]), []).append(r)
    order = {c: i for i, c in enumerate(DEFAULT_ROWS)}
    rows = []
    for (steps, bs, config), rs in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1],
                                                                        order.get(kv[0][2], 99), kv[0][2])):
        fids = np.array([r["judge_fid"] for r in rs])
        rows.append({
            "config": config, "flags": rs[0]["flags"], "steps": steps, "batch_size": bs,
            "seeds": sorted(r["seed"] for r in rs), "n_eval": rs[0]["n_eval"],
            "judge_fid_mean": float(fids.mean()), "judge_fid_std": float(fids.std(ddof=1)) if len(rs) > 1 else 0.0,
            "classes_covered_mean": float(np.mean([r["classes_covered"] for r in rs])),
            "classes_covered_min": int(min(r["classes_covered"] for r in rs)),
            "min_class_share_mean": float(np.mean([r["min_class_share"] for r in rs])),
            "nn_ratio_mean": float(np.mean([r["nn_ratio"] for r in rs])),
            "train_s_mean": float(np.mean([r["train_s"] for r in rs])),
            "grid": next((r["grid"] for r in sorted(rs, key=lambda r: r["seed"]) if r.get("grid")), None),
        })
    return rows


def best_flags(data: dict, steps: int, batch_size: int) -> tuple[list[str], list[str]]:
    """(switched-on rows, their flags together): the single switches whose mean FID beat vanilla's."""
    rows = {r["config"]: r for r in summarise(data) if (r["steps"], r["batch_size"]) == (steps, batch_size)}
    if "vanilla" not in rows:
        return [], []
    winners = [c for c in SINGLES if c in rows and rows[c]["judge_fid_mean"] < rows["vanilla"]["judge_fid_mean"]]
    return winners, [f for c in winners for f in rows[c]["flags"]]


def frozen_best(path: Path, steps: int, batch_size: int) -> list[str]:
    """The best row's flags at this budget: chosen once, when the first of its runs starts, and
    kept in the results (``best_rows``), so that its seeds, resumed runs and processes running
    side by side all train the same combination."""
    key = f"{steps}x{batch_size}"
    with _locked(path):
        data = load_results(path)
        chosen = data.setdefault("best_rows", {})
        if key not in chosen:
            winners, flags = best_flags(data, steps, batch_size)
            if not winners:
                return []
            chosen[key] = {"rows": winners, "flags": flags}
            _write(path, data)
        return chosen[key]["flags"]


# ---- one run -------------------------------------------------------------------------------------

def parse_train_args(flags: list[str], steps: int, seed: int, batch_size: int, extra: list[str] = ()):
    from ..train import parse_args
    return parse_args(["dcgan", "--steps", str(steps), "--seed", str(seed), "--batch-size", str(batch_size),
                       *flags, *extra])


@torch.no_grad()
def samples(model, runtime, n: int, seed: int = EVAL_SEED) -> torch.Tensor:
    """``n`` items ``(n, 1, 28, 28)`` in [0, 1] from ``model`` in eval mode, as ``gan_core.generate`` draws them."""
    was = model.training
    model.eval()
    z = model.prior(n, torch.Generator().manual_seed(seed))
    with runtime.autocast():
        x = torch.cat([model.decode(c).float().cpu() for c in z.split(500)])
    model.train(was)
    return x


def judge(items: torch.Tensor) -> dict:
    """Judge FID against the test items, class coverage, memorisation (``gan_core.evaluate``)."""
    from ..evaluate import _RealData, class_coverage, fid, memorisation
    from ..judge.api import judge_predict
    logits, feats = judge_predict(items)
    cov = class_coverage(logits)
    mem = memorisation(items)
    return {"judge_fid": fid(feats, _RealData.get()["test_feats"]), "classes_covered": cov["classes_covered"],
            "min_class_share": cov["min_class_share"], "kl_to_uniform": cov["kl_to_uniform"],
            "class_shares": cov["class_shares"], "nn_ratio": mem["nn_ratio"]}


def save_grid(items: torch.Tensor, path: Path) -> None:
    """An 8x8 grid of 28x28 items, 2-pixel grey gaps, as an 8-bit grey PNG (about 30 kB)."""
    from PIL import Image
    from torchvision.utils import make_grid
    grid = make_grid(items[:GRID_N], nrow=8, padding=2, pad_value=0.5)[0]  # (H, W) in [0, 1]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((grid.clamp(0, 1) * 255).round().to(torch.uint8).numpy(), mode="L").save(path, optimize=True)


def train_and_judge(config: str, flags: list[str], seed: int, steps: int, batch_size: int, n_eval: int,
                    run_root: Path, grid: Path | None) -> tuple[dict, object, object]:
    """Train one row for one seed (resuming its run state), judge it; -> (result, algo, args)."""
    from ..runtime import get_runtime
    from ..trainer import Trainer, TrainConfig
    from .dcgan import recalibrate_batchnorm
    from .train import build_dcgan
    args = parse_train_args(flags, steps, seed, batch_size)
    torch.manual_seed(seed)  # as python -m gan_core.train does before building
    runtime = get_runtime()
    algo, data, _ = build_dcgan(args, runtime)
    run_dir = run_root / f"{config}-s{seed}-{steps}x{batch_size}"
    t0 = time.time()
    result = Trainer(algo, data, TrainConfig(steps=steps, batch_size=batch_size, seed=seed, checkpoint_every=500),
                     run_dir, progress=False).fit()
    train_s = time.time() - t0
    model = getattr(algo, "export_model", algo.model)
    if algo.ema_decay:
        recalibrate_batchnorm(model.generator)
    t1 = time.time()
    items = samples(model, runtime, n_eval)
    figures = judge(items)
    if grid is not None:
        save_grid(items, grid)
    out = {"config": config, "flags": flags, "seed": seed, "steps": steps, "batch_size": batch_size,
           "n_eval": n_eval, **figures, "train_s": round(train_s, 1),
           "resumed_from": result.get("resumed_from", steps), "eval_s": round(time.time() - t1, 1),
           "grid": grid.name if grid is not None else None,  # beside the results file
           "date": time.strftime("%Y-%m-%d %H:%M")}
    return out, algo, args


# ---- the command ---------------------------------------------------------------------------------

def plan(configs: list[str], seeds: list[int]) -> list[tuple[str, int]]:
    """(row, seed) in the order they run: seed by seed within a row, the best row last."""
    return [(c, s) for c in configs for s in seeds]


def run_ablation(args, path: Path, command: str) -> dict:
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    run_root = settings.REPO_ROOT / "runs" / "techniques"
    for config, seed in plan(args.configs, seeds):
        data = load_results(path)  # also the rows that processes beside this one have added
        if config == BEST:
            flags = frozen_best(path, args.steps, args.batch_size)
            if not flags:
                print(f"{BEST}: no single switch beat vanilla at {args.steps} steps (or vanilla is missing): skipped",
                      flush=True)
                continue
        else:
            flags = CONFIGS[config]
        key = (config, seed, args.steps, args.batch_size, tuple(flags))
        if key in {run_key(r) for r in data["runs"]}:
            continue
        grid = None
        if seed == args.grid_seed:
            grid = path.parent / f"{config}-{args.steps}x{args.batch_size}.png"
        r, _, _ = train_and_judge(config, flags, seed, args.steps, args.batch_size, args.n_eval, run_root, grid)
        r["command"] = command
        record(path, "runs", r, machine=machine(), baseline=baseline())
        print(json.dumps({k: v for k, v in r.items() if k != "class_shares"}), flush=True)
    return load_results(path)


def baseline() -> dict:
    """The shipped dcgan-fmnist: its judge FID, steps, batch size and how it was trained."""
    metrics, training = checkpoints.read_json(SHIPPED, "metrics.json"), checkpoints.read_json(
        SHIPPED, "training.json")
    return {"judge_fid": metrics.get("judge_fid"), "n_samples": metrics.get("n_samples"),
            "steps": training.get("steps"), "batch_size": training.get("batch_size"),
            "command": training.get("command"), "techniques": training.get("techniques", "none")}


def best_row(data: dict) -> dict | None:
    """The row of the largest budget with the lowest mean FID."""
    rows = summarise(data)
    if not rows:
        return None
    top = max(r["steps"] for r in rows)
    return min((r for r in rows if r["steps"] == top), key=lambda r: r["judge_fid_mean"])


def run_long(args, path: Path, command: str) -> dict | None:
    """Train the best row for ``args.long`` steps (seed 0); with ``--ship``, export it as dcgan-fmnist
    when its judge FID beats the shipped one."""
    from ..evaluate import evaluate_generator, untrained_twin
    data = load_results(path)
    row = best_row(data) if args.long_config is None else {"config": args.long_config,
                                                            "flags": CONFIGS[args.long_config]}
    if row is None:
        print("no results yet: run the ablation first", file=sys.stderr)
        return None
    done = [r for r in data["long"] if (r["flags"], r["steps"], r["batch_size"]) ==
            (row["flags"], args.long, args.batch_size)]
    if done and (done[-1].get("shipped") or not args.ship):
        print(f"already trained: {json.dumps(done[-1])}")
        return done[-1]
    # trained earlier without --ship: its finished run state resumes at once, is judged again and shipped
    r, algo, train_args = train_and_judge(row["config"], row["flags"], 0, args.long, args.batch_size, 10000,
                                          settings.REPO_ROOT / "runs" / "techniques", None)
    r["command"] = command
    if done:  # the training's own time and command, not this process's (which only resumed it)
        r.update(train_s=done[-1]["train_s"], resumed_from=done[-1].get("resumed_from", 0),
                 trained_by=done[-1].get("trained_by") or done[-1].get("command"))
    shipped = checkpoints.read_json(SHIPPED, "metrics.json").get("judge_fid")
    r["shipped_judge_fid_before"] = shipped
    r["shipped"] = False
    if args.ship and (shipped is None or r["judge_fid"] < shipped):
        from ..runtime import get_runtime
        model = getattr(algo, "export_model", algo.model)
        train_cmd = "python -m gan_core.train dcgan " + " ".join(
            ["--steps", str(args.long), "--batch-size", str(args.batch_size), *row["flags"]])
        training = {"data": "Fashion-MNIST train split (60,000 items, labels unused), padded to 32x32",
                    "steps": args.long, "batch_size": args.batch_size, "seed": 0,
                    "hardware": machine()["runtime"] + "; " + machine()["device"],
                    "wall_time_this_session_s": round(r["train_s"]), "command": train_cmd,
                    "trained_by": r.get("trained_by") or command, "shipped_by": command,
                    "torch": torch.__version__, "date": time.strftime("%Y-%m-%d"),
                    **getattr(algo, "card_info", {})}
        checkpoints.save(model, SHIPPED, training=training)
        get_runtime().prepare(model)
        checkpoints.clear_cache()
        figures = evaluate_generator(SHIPPED, 10000, 0, untrained=untrained_twin(SHIPPED))
        figures.update(command="python -m gan_core.evaluate dcgan-fmnist", evaluated=time.strftime("%Y-%m-%d"))
        checkpoints.update_metrics(SHIPPED, figures)
        r["shipped"] = True
        r["judge_fid_shipped_checkpoint"] = figures["judge_fid"]
    same = (row["flags"], args.long, args.batch_size)
    record(path, "long", r, replace=lambda x: (x["flags"], x["steps"], x["batch_size"]) == same, machine=machine())
    print(json.dumps({k: v for k, v in r.items() if k != "class_shares"}), flush=True)
    return r


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_core.gan.techniques", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=6000, help="the fixed budget of every row")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="number the seeds from here")
    parser.add_argument("--configs", nargs="+", default=DEFAULT_ROWS, choices=DEFAULT_ROWS, metavar="ROW",
                        help=f"rows to run (default: all): {', '.join(DEFAULT_ROWS)}")
    parser.add_argument("--n-eval", type=int, default=10000, help="samples per judge FID")
    parser.add_argument("--grid-seed", type=int, default=0, help="the seed whose samples make each row's grid")
    parser.add_argument("--results", type=Path, default=None, help=f"default: checkpoints/{RESULTS}")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--long", type=int, default=0, metavar="STEPS",
                        help="instead of the ablation: train the best row for STEPS steps and judge it")
    parser.add_argument("--long-config", choices=list(CONFIGS), default=None, help="with --long: this row instead")
    parser.add_argument("--ship", action="store_true",
                        help="with --long: export it as checkpoints/dcgan-fmnist if it beats the shipped FID")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    path = args.results or results_path()
    command = "python -m gan_core.gan.techniques " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.long:
        return 0 if run_long(args, path, command) is not None else 1
    data = run_ablation(args, path, command)
    for row in summarise(data):
        print(f"{row['config']:>17} {row['steps']:>6}x{row['batch_size']}: FID {row['judge_fid_mean']:.2f} "
              f"± {row['judge_fid_std']:.2f} (seeds {row['seeds']}), classes covered ≥ {row['classes_covered_min']}/10, "
              f"nn ratio {row['nn_ratio_mean']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
