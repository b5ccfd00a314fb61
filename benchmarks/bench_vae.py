"""VAE speed: a training step of the suite's VAE (fp32, the runtime this CPU gets), and the
latency of the latent-map tab's actions with the shipped checkpoints.

    python -m benchmarks.bench_vae [--repeats 7] [--batch-size 128]
"""
from __future__ import annotations

import argparse
import functools

import torch

from benchmarks.common import machine, median_time
from gan_core.runtime import get_runtime
from gan_core.testing import fake_fmnist
from gan_core.vae.vae import VAE, VAETraining


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args(argv)
    runtime = get_runtime()
    images, _ = fake_fmnist(args.batch_size)
    print(f"machine: {machine()}; runtime: {runtime.describe()}")
    for d in (2, 16):
        torch.manual_seed(0)
        algo = VAETraining(VAE(latent_dim=d), runtime)
        gen = torch.Generator().manual_seed(0)
        t, _ = median_time(lambda: algo.train_step([images], gen), repeats=args.repeats)
        params = sum(p.numel() for p in algo.model.parameters())
        print(f"| VAE train step, latent {d}, {params / 1e6:.2f} M parameters, B{args.batch_size} | "
              f"{1000 * t:.0f} ms |")

    import gan_core
    from gan_core import checkpoints
    names = [name for name, _ in gan_core.VAES.values()]
    if all((checkpoints.checkpoint_path(n) / "model.safetensors").exists() for n in names):
        from apps.vae_tab import canvas_value, make_handlers
        from gan_core.fmnist import fashion_mnist
        x, y = fashion_mnist(train=False)
        build = functools.partial(make_handlers, gan_core.encode, gan_core.decode, gan_core.latents,
                                  gan_core.elbo_terms, x, y, gan_core.VAES)
        t_build, _ = median_time(build, repeats=1, warmup=1)
        h = build()
        marks = h["empty_marks"]()
        t_click, _ = median_time(lambda: h["decode_z"]("vae2d-fmnist", 0.5, -0.5, marks), repeats=args.repeats)
        t_enc, _ = median_time(lambda: h["encode_item"](canvas_value(x[0]), marks), repeats=args.repeats)
        t_int, _ = median_time(lambda: h["interpolate"](0, 1, 10, False, None, marks), repeats=args.repeats)
        t_smp, _ = median_time(lambda: h["sample"](0, 32, marks), repeats=args.repeats)
        print(f"| latent-map tab, shipped checkpoints | start-up (encode 10k test items, 2 manifolds) "
              f"{t_build:.2f} s | click -> decoded z + 4 maps {1000 * t_click:.0f} ms | encode an item "
              f"{1000 * t_enc:.0f} ms | interpolate 10 steps {1000 * t_int:.0f} ms | "
              f"32 prior samples x 3 models {1000 * t_smp:.0f} ms |")


if __name__ == "__main__":
    main()
