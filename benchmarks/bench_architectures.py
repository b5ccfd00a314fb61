"""GAN architectures speed: a training step of each model (the runtime this CPU gets), and the
latency of the tab's actions with the shipped checkpoints (medians of repeated runs).

    python -m benchmarks.bench_architectures [--repeats 7]
"""
from __future__ import annotations

import argparse

import torch

from benchmarks.common import machine, median_time
from gan_core.runtime import get_runtime
from gan_core.testing import fake_fmnist


def training_steps(repeats: int) -> None:
    from gan_core.gan.acgan import ACGAN, ACGANTraining
    from gan_core.gan.cgan import CGAN, CGANTraining
    from gan_core.gan.infogan import InfoGAN, InfoGANTraining
    from gan_core.gan.sgan import SGAN, SGANTraining
    runtime = get_runtime()
    images, labels = fake_fmnist(100)
    algos = {
        "cGAN, B64": (lambda: CGANTraining(CGAN(), runtime), [images[:64], labels[:64]]),
        "AC-GAN, B64": (lambda: ACGANTraining(ACGAN(), runtime), [images[:64], labels[:64]]),
        "InfoGAN, B64": (lambda: InfoGANTraining(InfoGAN(), runtime), [images[:64]]),
        "SGAN, B100 (+100 labelled)": (lambda: SGANTraining(SGAN(), runtime, images, labels), [images]),
        "supervised only, B100": (lambda: SGANTraining(SGAN(generator=False), runtime, images, labels), [images]),
    }
    for label, (build, batch) in algos.items():
        torch.manual_seed(0)
        algo = build()
        gen = torch.Generator().manual_seed(0)
        t, _ = median_time(lambda: algo.train_step(batch, gen), repeats=repeats)
        params = sum(p.numel() for p in algo.model.parameters())
        print(f"| {label} train step, {params / 1e6:.2f} M parameters | {1000 * t:.0f} ms |")


def tab_actions(repeats: int) -> None:
    import gan_core
    from apps.architectures import make_handlers
    from gan_core import checkpoints
    names = ("cgan-fmnist", "acgan-fmnist", "infogan-fmnist", "sgan-fmnist", "supervised-fmnist", "fmnist-classifier")
    missing = [n for n in names if not (checkpoints.checkpoint_path(n) / "model.safetensors").exists()]
    if missing:
        print(f"(tab timings skipped: {', '.join(missing)} missing)")
        return
    h = make_handlers(gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities,
                      gan_core.judge_probabilities, gan_core.FMNIST_CLASSES,
                      {"cgan-fmnist": "Conditional GAN", "acgan-fmnist": "AC-GAN"}, "infogan-fmnist",
                      ("sgan-fmnist", "supervised-fmnist"))
    from gan_core.fmnist import fashion_mnist
    from gan_core.pictures import to_pil
    path = "/tmp/bench_architectures_item.png"
    to_pil(fashion_mnist(train=False)[0][0].float().div(255)[None]).save(path)
    actions = {
        "class dial, 8 items + judge (cGAN)": lambda: h["class_dial"]("Conditional GAN", 7, 0, 8),
        "class x seed matrix, 10 x 6 + judge + own classifier (AC-GAN)": lambda: h["class_matrix"]("AC-GAN", 0, 6),
        "InfoGAN traversal, 4 seeds x 9 values": lambda: h["traverse"]("continuous c1", 3, 0.0, 0.0, 0, 4),
        "SGAN + supervised classify an upload": lambda: h["classify_upload"](path),
    }
    for label, fn in actions.items():
        t, samples = median_time(fn, repeats=repeats)
        print(f"| {label} | median {1000 * t:.0f} ms (max {1000 * max(samples):.0f} ms, {repeats} runs) |")


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    print(f"machine: {machine()}; runtime: {get_runtime().describe()}")
    training_steps(args.repeats)
    tab_actions(args.repeats)


if __name__ == "__main__":
    main()
