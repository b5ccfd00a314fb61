"""DCGAN speed: a training step in fp32 vs bf16 autocast + channels_last (same model, same
batch, interleaved in one run), and the latency of a 64-image grid from the shipped model.

    python -m benchmarks.bench_dcgan [--repeats 7] [--batch-size 64]
"""
from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import machine, median_time
from gan_core.dcgan import DCGAN, DCGANTraining
from gan_core.device import Runtime, cpu_supports_bf16, get_runtime
from gan_core.train import fake_fmnist


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--ngf", type=int, default=32)
    args = p.parse_args(argv)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    fast_dtype = torch.bfloat16
    runtimes = {"fp32": Runtime(dev, None, False), "bf16+channels_last": Runtime(dev, fast_dtype, True)}
    images, _ = fake_fmnist(args.batch_size)
    algos = {}
    for name, rt in runtimes.items():
        torch.manual_seed(0)
        algos[name] = DCGANTraining(DCGAN(ngf=args.ngf, ndf=args.ngf), rt)
    gen = torch.Generator().manual_seed(0)
    # interleave the two precisions so that machine noise hits both alike
    samples = {name: [] for name in algos}
    for name, algo in algos.items():
        for _ in range(2):
            algo.train_step([images], gen)
    for _ in range(args.repeats):
        for name, algo in algos.items():
            t0 = time.perf_counter()
            algo.train_step([images], gen)
            samples[name].append(time.perf_counter() - t0)
    med = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    print(f"machine: {machine()}; CPU bf16 instructions: {cpu_supports_bf16()}; "
          f"default runtime here: {get_runtime().describe()}")
    print(f"| DCGAN train step, ngf {args.ngf}, B{args.batch_size} | fp32 {1000 * med['fp32']:.0f} ms | "
          f"bf16+channels_last {1000 * med['bf16+channels_last']:.0f} ms | "
          f"speed-up x{med['fp32'] / med['bf16+channels_last']:.2f} |")

    import gan_core
    from gan_core import models
    if (models.checkpoint_path("dcgan-fmnist") / "model.safetensors").exists():
        from apps.sampling import make_handlers
        import functools
        h = make_handlers(functools.partial(gan_core.latents, "dcgan-fmnist"),
                          functools.partial(gan_core.decode, "dcgan-fmnist"))
        t, _ = median_time(lambda: h["sample_grid"](0, 64), repeats=args.repeats)
        t_gen, _ = median_time(lambda: gan_core.generate("dcgan-fmnist", 64, seed=0), repeats=args.repeats)
        print(f"| 64-image grid, shipped dcgan-fmnist, default runtime | generate {1000 * t_gen:.1f} ms | "
              f"generate + grid PNG image {1000 * t:.1f} ms |")


if __name__ == "__main__":
    main()
