"""Judge figures and sampling cost of the diffusion model beside the DCGAN and the 16-D VAE.

One row per process, so rows run side by side (one thread each) and a slow one can be redone:

    python benchmarks/eval_diffusion.py sample --row ddim25 --n 256        # -> runs/eval-diffusion/ddim25.safetensors
    python benchmarks/eval_diffusion.py sample --row ddpm1000 --n 2000 --batch 500  # on a GPU: 500 at a time
    python benchmarks/eval_diffusion.py table --n 2000 --n-small 64 --write-metrics  # FID, coverage, memorisation
    python benchmarks/eval_diffusion.py table --n 2000 --n-small 64 --write-metrics --row dcgan  # one row's figures
    python benchmarks/eval_diffusion.py table --n 500 --rows cond_ddpm1000 acgan --at at500 --write-metrics  # a side count
    python benchmarks/eval_diffusion.py cost --repeats 3 --write-metrics             # s per 64 images on this CPU
    python benchmarks/eval_diffusion.py cost --repeats 5 --rows ddim25 small_ddim25  # some rows, in one run
    python benchmarks/eval_diffusion.py settings --n 512 --steps 50                  # DDIM sampler settings compared

Rows: dcgan, vae16 (their checkpoints from ``gan_core.FAMILIES``), acgan (the class-conditional
AC-GAN of ``gan_core.ARCHITECTURES``, told the classes 0-9 in turn, so its sample is class-balanced),
ddpm1000 (DDPM, 1000 ancestral steps), ddim10/25/50/100 (DDIM, eta = 0), small_ddim10/25/50 (DDIM on the
small U-Net distilled from the large, ``gan_core.DIFFUSION_MODELS["small"]``), cond_ddpm1000 and
cond_ddim10/25/50/100 (the class-conditional U-Net, ``gan_core.DIFFUSION_MODELS["cond"]``, told the classes
0-9 in turn like the AC-GAN row). Samples are drawn ``--batch`` at a time (seed = 1000 +
batch index), each batch timed. Figures use ``gan_core.evaluate`` on the same number of samples for
every row, since judge FID depends on n. The quality figures do not depend on where the samples
were drawn; the cost the tab shows (``<row>_s_per_64``) is measured by ``cost`` on the CPU, apart
from the sampling times (``<row>_s_per_64_sampled``, ``sampled_on``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "runs" / "eval-diffusion"  # samples (ignored by git)
ROWS = {  # row -> (key in gan_core.FAMILIES or gan_core.ARCHITECTURES, sampling options, label)
    "dcgan": ("gan", {}, "DCGAN"),
    "acgan": ("acgan", {}, "AC-GAN, told the class (0-9 in turn)"),
    "vae16": ("vae", {}, "VAE, 16-D"),
    "ddpm1000": ("diffusion", {"steps": 1000, "sampler": "ddpm"}, "DDPM, 1000 steps"),
    "ddim100": ("diffusion", {"steps": 100}, "DDIM, 100 steps"),
    "ddim50": ("diffusion", {"steps": 50}, "DDIM, 50 steps"),
    "ddim25": ("diffusion", {"steps": 25}, "DDIM, 25 steps"),
    "ddim10": ("diffusion", {"steps": 10}, "DDIM, 10 steps"),
    # the small U-Net distilled from the large one (gan_core.DIFFUSION_MODELS["small"])
    "small_ddim50": ("small", {"steps": 50}, "small U-Net, DDIM, 50 steps"),
    "small_ddim25": ("small", {"steps": 25}, "small U-Net, DDIM, 25 steps"),
    "small_ddim10": ("small", {"steps": 10}, "small U-Net, DDIM, 10 steps"),
    # the class-conditional U-Net (gan_core.DIFFUSION_MODELS["cond"]), told the classes 0-9 in turn, as the AC-GAN
    "cond_ddpm1000": ("cond", {"steps": 1000, "sampler": "ddpm"}, "class-conditional DDPM, 1000 steps, told the class"),
    "cond_ddim100": ("cond", {"steps": 100}, "class-conditional, DDIM, 100 steps, told the class"),
    "cond_ddim50": ("cond", {"steps": 50}, "class-conditional, DDIM, 50 steps, told the class"),
    "cond_ddim25": ("cond", {"steps": 25}, "class-conditional, DDIM, 25 steps, told the class"),
    "cond_ddim10": ("cond", {"steps": 10}, "class-conditional, DDIM, 10 steps, told the class"),
    # classifier-free guidance (Ho & Salimans 2022): eps(y) + w (eps(y) - eps(no class)), two passes per step
    "cond_ddim50_w05": ("cond", {"steps": 50, "guidance": 0.5}, "class-conditional, DDIM, 50 steps, guidance 0.5"),
    "cond_ddim50_w1": ("cond", {"steps": 50, "guidance": 1.0}, "class-conditional, DDIM, 50 steps, guidance 1"),
    "cond_ddim50_w2": ("cond", {"steps": 50, "guidance": 2.0}, "class-conditional, DDIM, 50 steps, guidance 2"),
}
TOLD_THE_CLASS = ("acgan", "cond")  # rows of these are told the classes 0-9 in turn: batches of a multiple of 10


def checkpoint_of(row: str) -> str:
    """The checkpoint a row samples: a family's (``gan_core.FAMILIES``), an architecture's or a diffusion U-Net's."""
    import gan_core
    key = ROWS[row][0]
    return (gan_core.FAMILIES.get(key) or gan_core.ARCHITECTURES.get(key) or gan_core.DIFFUSION_MODELS[key])[0]


def sample(row: str, n: int, batch: int = 64) -> Path:
    import gan_core
    _, options, _ = ROWS[row]
    name = checkpoint_of(row)
    if ROWS[row][0] in TOLD_THE_CLASS and batch % 10:
        raise SystemExit(f"{row} is told the classes 0-9 in turn: --batch must be a multiple of 10 for a "
                         "class-balanced sample")
    batches, times = [], []
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{row}.safetensors"
    for i in range((n + batch - 1) // batch):
        t0 = time.perf_counter()
        batches.append(gan_core.generate(name, batch, seed=1000 + i, **options))
        times.append((time.perf_counter() - t0) * 64 / batch)  # seconds per 64 images
        print(f"{row}: batch {i + 1} in {times[-1] * batch / 64:.1f} s", flush=True)
        # written after every batch: a slow row that is stopped keeps what it has
        save_file({"images": torch.cat(batches)[:n].contiguous()}, str(path))
        path.with_suffix(".json").write_text(json.dumps({
            "row": row, "checkpoint": name, "options": options, "n": min(n, batch * len(batches)), "batch": batch,
            "seconds_per_64": times, "threads": torch.get_num_threads(),
            "runtime": gan_core.sampling.get_runtime().describe()}, indent=1))
    return path


def figures(images: torch.Tensor, told: bool = False) -> dict:
    """Judge FID, class coverage, memorisation; for a row told the classes 0-9 in turn (``told``), also the
    share of items the judge puts in the class they were told."""
    from gan_core import evaluate
    from gan_core.judge.api import judge_predict
    logits, feats = judge_predict(images)
    cov = evaluate.class_coverage(logits)
    out = {"fid": evaluate.fid(feats, evaluate._RealData.get()["test_feats"]), "kl": cov["kl_to_uniform"],
           "min_share": cov["min_class_share"], "covered": cov["classes_covered"],
           "nn_ratio": evaluate.memorisation(images)["nn_ratio"]}
    if told:
        out["consistency"] = float((logits.argmax(1).cpu() == torch.arange(len(images)) % 10).float().mean())
    return out


def training_minutes(name: str) -> str:
    from gan_core import checkpoints
    t = checkpoints.read_json(name, "training.json")
    wall = t.get("wall_time_s", t.get("wall_time_this_session_s", 0))
    if not isinstance(wall, (int, float)):  # a run of several sittings records its wall time in words
        return f"{wall} s, {t.get('steps')} steps"
    return f"{wall / 60:.0f} min, {t.get('steps')} steps"


def measured(n: int, n_small: int, only: list[str] | None = None) -> dict:
    """Figures of every sampled row (or of those in ``only``): {row: {"big": figures at n or None,
    "small": at n_small, "s_per_64", "info"}}."""
    out = {}
    for row in only or ROWS:
        path = OUT / f"{row}.safetensors"
        if path.exists():
            images, info = load_file(str(path))["images"], json.loads(path.with_suffix(".json").read_text())
            told = ROWS[row][0] in TOLD_THE_CLASS
            out[row] = {"big": figures(images[:n], told) if images.shape[0] >= n else None,
                        "small": figures(images[:n_small], told), "info": info,
                        "s_per_64": statistics.median(info["seconds_per_64"])}
    return out


def table(rows: dict, n: int, n_small: int) -> str:
    from gan_core import evaluate
    real = evaluate._RealData.get()["train"]
    idx = torch.randperm(real.shape[0], generator=torch.Generator().manual_seed(0))
    lines = [f"| row | FID @ {n} | FID @ {n_small} | KL to uniform | rarest class | classes | NN ratio | "
             "s / 64 images | training (wall) | judge agrees with the told class |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    floor, floor_s = figures(real[idx[:n]]), figures(real[idx[:n_small]])
    lines.append(f"| real training items (the floor) | {floor['fid']:.1f} | {floor_s['fid']:.1f} | {floor['kl']:.3f} | "
                 f"{floor['min_share']:.3f} | {floor['covered']} | {floor['nn_ratio']:.2f} | - | - | - |")
    for row, (_, _, label) in ROWS.items():
        if row not in rows:
            lines.append(f"| {label} | not measured | | | | | | | | |")
            continue
        r = rows[row]
        f = r["big"] or r["small"]
        lines.append(f"| {label} | {r['big']['fid']:.1f} | " if r["big"] else f"| {label} | - | ")
        lines[-1] += (f"{r['small']['fid']:.1f} | {f['kl']:.3f} | {f['min_share']:.3f} | {f['covered']} | "
                      f"{f['nn_ratio']:.2f} | {r['s_per_64']:.2f} | {training_minutes(r['info']['checkpoint'])} | "
                      + (f"{f['consistency']:.1%} |" if "consistency" in f else "- |"))
    return "\n".join(lines)


def write_metrics(rows: dict, n: int, n_small: int, only: str | None = None) -> None:
    """The comparison into the diffusion checkpoint's metrics.json (the tab's table reads it); with
    ``only``, that row's figures alone."""
    import gan_core
    from gan_core import checkpoints
    metrics = {"comparison_n": n, "comparison_n_small": n_small}
    for row, r in rows.items():
        f = r["big"] or r["small"]
        if r["big"]:
            metrics[f"{row}_fid"] = r["big"]["fid"]
        if "consistency" in f:
            metrics[f"{row}_consistency"] = f["consistency"]
        metrics.update({f"{row}_fid_small": r["small"]["fid"], f"{row}_kl": f["kl"],
                        f"{row}_classes": f["covered"], f"{row}_nn_ratio": f["nn_ratio"],
                        f"{row}_s_per_64_sampled": r["s_per_64"]})
    command = f"python benchmarks/eval_diffusion.py table --n {n} --n-small {n_small} --write-metrics"
    if only is None:
        metrics["sampled_on"] = next(iter(rows.values()))["info"]["runtime"] if rows else ""
        metrics["command"] = command
        metrics["evaluated"] = time.strftime("%Y-%m-%d")
    else:  # one row redone: where and when it was, beside the others' common fields
        metrics.update({f"{only}_sampled_on": rows[only]["info"]["runtime"], f"{only}_command": f"{command} --row {only}",
                        f"{only}_evaluated": time.strftime("%Y-%m-%d")})
    checkpoints.update_metrics(gan_core.FAMILIES["diffusion"][0], metrics)
    for name in {checkpoint_of(row) for row in rows} - {gan_core.FAMILIES["diffusion"][0]}:
        if name in {m for m, _ in gan_core.DIFFUSION_MODELS.values()}:  # another U-Net: its own card too
            checkpoints.update_metrics(name, {k: v for k, v in metrics.items()
                                              if any(k.startswith(f"{r}_") for r in rows if checkpoint_of(r) == name)})


def cost(repeats: int, rows: list[str], write: bool) -> dict:
    """Seconds per 64 images on this machine: the median of ``repeats`` timed batches per row (one
    for the 1000-step DDPM), after a warm-up call; written into the card as ``<row>_s_per_64``."""
    import gan_core
    from gan_core import checkpoints
    out = {}
    for row in rows:
        family, options, label = ROWS[row]
        name = checkpoint_of(row)
        diffusion = family == "diffusion" or family in gan_core.DIFFUSION_MODELS
        gan_core.generate(name, 64, seed=0, **({"steps": 2} if diffusion else {}))  # load, warm up
        times = []
        for i in range(1 if options.get("steps", 0) >= 1000 else repeats):
            t0 = time.perf_counter()
            gan_core.generate(name, 64, seed=2000 + i, **options)
            times.append(time.perf_counter() - t0)
        out[f"{row}_s_per_64"] = statistics.median(times)
        print(f"{label}: {out[f'{row}_s_per_64']:.2f} s per 64 images ({len(times)} timed)", flush=True)
    runtime = gan_core.sampling.get_runtime().describe()
    command = f"python benchmarks/eval_diffusion.py cost --repeats {repeats} --write-metrics"
    if set(rows) != set(ROWS):
        command += f" --rows {' '.join(rows)}"
    for row in rows:  # each row says how and when it was measured, so no older row's note is left beside it
        out.update({f"{row}_cost_runtime": runtime, f"{row}_cost_command": command,
                    f"{row}_cost_date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    if write:
        checkpoints.update_metrics(gan_core.FAMILIES["diffusion"][0], out)
        for row in rows:  # a second U-Net's cost into its own card too
            name = checkpoint_of(row)
            if ROWS[row][0] in gan_core.DIFFUSION_MODELS and name != gan_core.FAMILIES["diffusion"][0]:
                checkpoints.update_metrics(name, {k: v for k, v in out.items() if k.startswith(f"{row}_")})
    return out


# DDIM settings compared by ``settings``: name -> (scheduler config overrides, step options, U-Net in float32)
SAMPLER_SETTINGS = {
    "leading, eta 0 (shipped)": ({}, {"eta": 0.0}, False),
    "trailing, eta 0": ({"timestep_spacing": "trailing"}, {"eta": 0.0}, False),
    "leading, eta 1": ({}, {"eta": 1.0}, False),
    "leading, eta 0, float32": ({}, {"eta": 0.0}, True),
    # x_0 clipped to [-1, 1] and the noise re-derived from the clipped x_0, so the step is consistent
    "leading, eta 0, eps from clipped x_0": ({}, {"eta": 0.0, "use_clipped_model_output": True}, False),
    "leading, eta 0, x_0 not clipped": ({"clip_sample": False}, {"eta": 0.0}, False),
}


def sampler_settings(n: int, steps: int, batch: int = 64, only: list[str] | None = None) -> dict:
    """Judge figures of DDIM at ``steps`` under each of ``SAMPLER_SETTINGS`` (or those named in ``only``),
    from the same ``n`` x_T (seed 1000 + batch index), with the loop of ``DDPM.denoise`` and a
    differently configured scheduler; "float32" runs the U-Net without the bf16 fast path."""
    import contextlib

    from diffusers import DDIMScheduler

    import gan_core
    from gan_core import checkpoints
    from gan_core.diffusion.ddpm import to_unit
    model, runtime = checkpoints.load(gan_core.FAMILIES["diffusion"][0]), gan_core.sampling.get_runtime()
    out = {}
    for name, (overrides, step_options, fp32) in SAMPLER_SETTINGS.items():
        if only and name not in only:
            continue
        scheduler, images, t0 = DDIMScheduler.from_config({**model.scheduler.config, **overrides}), [], time.time()
        for b in range((n + batch - 1) // batch):
            gen = torch.Generator().manual_seed(1000 + b)
            x = torch.randn(batch, *model.shape, generator=gen)                       # x_T
            scheduler.set_timesteps(steps)
            with torch.no_grad(), contextlib.nullcontext() if fp32 else runtime.autocast():
                for t in scheduler.timesteps:
                    eps = model.unet(x, t).sample
                    x = scheduler.step(eps.float(), t, x.float(), generator=gen, **step_options).prev_sample
            images.append(to_unit(x.float()))
        out[name] = {**figures(torch.cat(images)[:n]), "seconds": round(time.time() - t0)}
        print(f"DDIM {steps} steps, {name}: judge FID {out[name]['fid']:.2f} at n = {n}", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["sample", "table", "cost", "settings"])
    parser.add_argument("--steps", type=int, default=50, help="settings: DDIM steps")
    parser.add_argument("--setting", action="append", choices=list(SAMPLER_SETTINGS),
                        help="settings: only this one (repeatable; default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="cost: timed batches per row")
    parser.add_argument("--row", choices=list(ROWS), help="sample: the row; table: only its figures")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), help="cost: these rows, timed in one run; table: "
                        "only their figures")
    parser.add_argument("--at", default=None, metavar="TAG", help="table: the figures at --n are a side comparison "
                        "(e.g. --n 500 --at at500): written as <row>_fid_<TAG> ..., the main comparison untouched")
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--n-small", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64, help="images per generate call (timings are per 64)")
    parser.add_argument("--write-metrics", action="store_true", help="also into the diffusion model's card")
    args = parser.parse_args(argv)
    if args.what == "sample":
        print(sample(args.row, args.n, args.batch))
    elif args.what == "settings":
        print(json.dumps(sampler_settings(args.n, args.steps, args.batch, args.setting), indent=1))
    elif args.what == "cost":
        cost(args.repeats, args.rows or ([args.row] if args.row else list(ROWS)), args.write_metrics)
    else:
        only = args.rows or ([args.row] if args.row else None)
        rows = measured(args.n, args.n_small, only)
        print(table(rows, args.n, args.n_small))
        if args.write_metrics and args.at:  # figures at another count, beside the main comparison's
            write_figures_at(rows, args.n, args.at)
        elif args.write_metrics:  # with --row(s), only those rows' figures (e.g. after retraining one model)
            for row in only or [None]:
                write_metrics({r: v for r, v in rows.items() if row in (None, r)}, args.n, args.n_small, row)
    return 0


def write_figures_at(rows: dict, n: int, tag: str) -> None:
    """Rows measured at a count other than the comparison's (a row too slow to sample 2000 times): their
    FID, KL and agreement as ``<row>_fid_<tag>`` ..., and ``<tag>_n``; the comparison's own keys stay."""
    import gan_core
    from gan_core import checkpoints
    metrics = {f"{tag}_n": n, f"{tag}_command": f"python benchmarks/eval_diffusion.py table --n {n} --rows "
               f"{' '.join(rows)} --at {tag} --write-metrics", f"{tag}_evaluated": time.strftime("%Y-%m-%d")}
    for row, r in rows.items():
        f = r["big"]
        if f is None:
            raise SystemExit(f"{row} has fewer than {n} samples")
        metrics.update({f"{row}_fid_{tag}": f["fid"], f"{row}_kl_{tag}": f["kl"], f"{row}_nn_ratio_{tag}": f["nn_ratio"]})
        if "consistency" in f:
            metrics[f"{row}_consistency_{tag}"] = f["consistency"]
    checkpoints.update_metrics(gan_core.FAMILIES["diffusion"][0], metrics)
    for name in {checkpoint_of(row) for row in rows} & {m for m, _ in gan_core.DIFFUSION_MODELS.values()}:
        if name != gan_core.FAMILIES["diffusion"][0]:
            checkpoints.update_metrics(name, metrics)


if __name__ == "__main__":
    sys.exit(main())
