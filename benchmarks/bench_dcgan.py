"""DCGAN speed: a training step in fp32 vs bf16 autocast + channels_last (same model, same
batch, interleaved in one run), and the latency of a 64-image grid from the shipped model.

    python -m benchmarks.bench_dcgan [--repeats 7] [--batch-size 64]
"""
from __future__ import annotations

import argparse
import functools

import torch

from benchmarks.common import interleaved_medians, machine, median_time
from gan_core.gan.dcgan import DCGAN, DCGANTraining
from gan_core.runtime import Runtime, cpu_supports_bf16, get_runtime
from gan_core.testing import fake_fmnist


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
    med = interleaved_medians({name: functools.partial(algo.train_step, [images], gen)
                               for name, algo in algos.items()}, repeats=args.repeats, warmup=2)
    print(f"machine: {machine()}; CPU bf16 instructions: {cpu_supports_bf16()}; "
          f"default runtime here: {get_runtime().describe()}")
    print(f"| DCGAN train step, ngf {args.ngf}, B{args.batch_size} | fp32 {1000 * med['fp32']:.0f} ms | "
          f"bf16+channels_last {1000 * med['bf16+channels_last']:.0f} ms | "
          f"speed-up x{med['fp32'] / med['bf16+channels_last']:.2f} |")

    import gan_core
    from gan_core import checkpoints
    if (checkpoints.checkpoint_path("dcgan-fmnist") / "model.safetensors").exists():
        from apps.sampling import make_handlers
        h = make_handlers(functools.partial(gan_core.latents, "dcgan-fmnist"),
                          functools.partial(gan_core.decode, "dcgan-fmnist"))
        t, _ = median_time(lambda: h["sample_grid"](0, 64), repeats=args.repeats)
        t_gen, _ = median_time(lambda: gan_core.generate("dcgan-fmnist", 64, seed=0), repeats=args.repeats)
        print(f"| 64-image grid, shipped dcgan-fmnist, default runtime | generate {1000 * t_gen:.1f} ms | "
              f"generate + grid PNG image {1000 * t:.1f} ms |")


if __name__ == "__main__":
    main()
