"""Latency and peak memory of ×4 super-resolution: 128->512 and 256->1024, fp32 vs the fast path.

    python -m benchmarks.bench_sr                 # the table below, one subprocess per row
    python -m benchmarks.bench_sr --threads 2 --reps 3
    python -m benchmarks.bench_sr --train-step --reps 7   # one SRResNet training step, fp32 vs fast

Each row runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own.
"fast" is bf16 autocast + channels_last, forced on even where ``get_runtime()`` would not pick
it: on CPUs without AVX512-BF16/AMX it is emulated, and the table shows what that costs.
Latency does not depend on the weights, so a missing checkpoint is replaced by a freshly
initialised network of the same architecture (and the row says so).
"""
from __future__ import annotations

import argparse
import functools
import json
import platform
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from benchmarks.common import interleaved_medians

ROWS = [  # (method, LR side, precision, tile)
    ("bicubic", 128, "fp32", 128), ("bicubic", 256, "fp32", 128),
    ("srresnet", 128, "fp32", 128), ("srresnet", 128, "fast", 128),
    ("srresnet", 256, "fp32", 128), ("srresnet", 256, "fast", 128),
    ("srresnet", 256, "fp32", 0), ("srresnet", 256, "fast", 0),
    ("srgan", 128, "fp32", 128), ("srgan", 128, "fast", 128), ("srgan", 256, "fp32", 128), ("srgan", 256, "fast", 128),
]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one(method: str, side: int, precision: str, tile: int, reps: int) -> dict:
    from gan_core import checkpoints
    from gan_core.registry import SR_METHODS
    from gan_core.runtime import Runtime, get_runtime
    from gan_core.sr import api as sr_api
    from gan_core.sr.data import upscale_bicubic
    from gan_core.sr.srresnet import SRResNet
    torch.set_grad_enabled(False)
    rt = get_runtime(fp32=True) if precision == "fp32" else Runtime(torch.device("cpu"), torch.bfloat16, True)
    lr = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    weights = "-"
    if method == "bicubic":
        run = lambda: upscale_bicubic(lr, 4)  # noqa: E731
    else:
        try:
            model = checkpoints.load(SR_METHODS[method][0], rt)
            weights = "trained"
        except checkpoints.MissingCheckpointError:
            torch.manual_seed(0)
            model = rt.prepare(SRResNet()).eval()
            weights = "random init (no checkpoint)"
        x = sr_api._to_tensor(lr)
        run = lambda: sr_api.upscale_tensor(model, x, rt, tile=tile or None)  # noqa: E731
        sr_api.upscale_tensor(model, x[..., :32, :32], rt)  # warm the kernels up on a small input
    before = _rss_mib()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {"method": method, "in": side, "out": 4 * side, "precision": precision,
            "tile": tile if method != "bicubic" else "-", "weights": weights,
            "median_s": float(np.median(times)), "reps": reps,
            "peak_rss_mib": _rss_mib(), "peak_increase_mib": _rss_mib() - before}


def train_steps(batch_size: int, reps: int) -> dict[str, float]:
    """Median seconds of one SRResNet training step (96 px HR crops), fp32 and the fast path,
    interleaved step by step so that machine noise hits both alike."""
    from gan_core.runtime import Runtime
    from gan_core.sr.data import PatchSource
    from gan_core.sr.srresnet import SRResNet, SRResNetTraining
    from gan_core.testing import fake_photos
    source = PatchSource(fake_photos(8, 200))
    algos = {}
    for name, rt in {"fp32": Runtime(torch.device("cpu"), None, False),
                     "fast": Runtime(torch.device("cpu"), torch.bfloat16, True)}.items():
        torch.manual_seed(0)
        algos[name] = SRResNetTraining(SRResNet(), rt, source)
    gen = torch.Generator().manual_seed(0)
    batch = [torch.arange(batch_size) % len(source)]
    return interleaved_medians({name: functools.partial(algo.train_step, batch, gen)
                                for name, algo in algos.items()}, repeats=reps)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--fast-reps", type=int, default=None,
                   help="reps of the bf16 rows (default: --reps where the CPU has native bf16, else 1: "
                        "emulated bf16 is slow)")
    p.add_argument("--train-step", action="store_true",
                   help="time an SRResNet training step (batch 16, 96 px crops) instead, fp32 vs fast")
    p.add_argument("--one", nargs=4, metavar=("METHOD", "SIDE", "PRECISION", "TILE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.fast_reps is None:
        from gan_core.runtime import cpu_supports_bf16
        args.fast_reps = args.reps if cpu_supports_bf16() else 1
    if args.train_step:
        med = train_steps(16, args.reps)
        print(f"| SRResNet train step, batch 16, 96 px | fp32 {med['fp32'] * 1000:.0f} ms | bf16 autocast + "
              f"channels_last {med['fast'] * 1000:.0f} ms | speed-up x{med['fp32'] / med['fast']:.2f} | "
              f"{args.threads} threads, median of {args.reps} |")
        return 0
    if args.one:
        method, side, precision, tile = args.one
        reps = args.reps if precision == "fp32" else args.fast_reps
        print(json.dumps(one(method, int(side), precision, int(tile), reps)))
        return 0

    from gan_core.runtime import cpu_supports_bf16
    print(f"# {platform.processor() or platform.machine()}, {args.threads} threads, torch {torch.__version__}, "
          f"native bf16: {cpu_supports_bf16()}, {time.strftime('%Y-%m-%d')}")
    print("| model | input -> output | precision | tile (LR px) | median latency | peak RSS (increase) | weights |")
    print("|---|---|---|---|---|---|---|")
    for method, side, precision, tile in ROWS:
        cmd = [sys.executable, "-m", "benchmarks.bench_sr", "--threads", str(args.threads), "--reps", str(args.reps),
               "--fast-reps", str(args.fast_reps), "--one", method, str(side), precision, str(tile)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        label = {"fp32": "fp32", "fast": "bf16 autocast + channels_last"}[precision]
        print(f"| {method} | {side}² -> {4 * side}² | {label} | {r['tile'] if r['tile'] else 'whole'} | "
              f"{r['median_s'] * 1000:.0f} ms (n={r['reps']}) | {r['peak_rss_mib']:.0f} MiB "
              f"(+{r['peak_increase_mib']:.0f}) | {r['weights']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
