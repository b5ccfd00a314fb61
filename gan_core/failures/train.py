"""Command-line builders of the Failure Gallery's models (``python -m gan_core.train counting``).

    python -m gan_core.train counting        # 64x64 DCGAN on 1-3 shapes  -> checkpoints/counting-gan
    python -m gan_core.train perspective     # 64x64 DCGAN on shaded boxes -> checkpoints/perspective-gan
    python -m gan_core.train imbalance       # DCGAN, D too strong, saturating G loss, gradients recorded
    python -m gan_core.train collapse        # DCGAN, G too fast, the judge's class histogram recorded
    python -m gan_core.failures.measure NAME # the case's figures -> the model card (see measure.py)

The synthetic sets are drawn from ``--data-seed``; the box pictures are cached in
``data_cache/failures/`` (uint8 .npy) because rendering them takes a minute on 2 cores.
"""
from __future__ import annotations

import numpy as np
import torch

from .. import fmnist, settings

ITEMS = 20_000    # synthetic pictures in a training set


def boxes_cached(n: int, seed: int) -> torch.Tensor:
    """``perspective.make_boxes(n, seed)`` pictures, rendered once and kept in the data cache."""
    from .perspective import make_boxes
    path = settings.data_cache_dir() / "failures" / f"boxes-{n}-seed{seed}.npy"
    if path.exists():
        return torch.from_numpy(np.load(path, allow_pickle=False))
    images, _ = make_boxes(n, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, images.numpy(), allow_pickle=False)
    tmp.replace(path)
    return images


def synthetic(kind: str, n: int, seed: int) -> torch.Tensor:
    """The training pictures uint8 ``(n, 64, 64)`` of the counting or the perspective case."""
    if kind == "counting":
        from .counting import make_canvases
        return make_canvases(n, seed)[0]
    return boxes_cached(n, seed)


def build_canvas(args, runtime):
    from .model import CanvasGAN, CanvasGANTraining
    n = 256 if args.dry_run else args.items
    images = synthetic(args.model, n, args.data_seed)
    algo = CanvasGANTraining(CanvasGAN(nz=args.nz, ngf=args.ngf, ndf=args.ndf, d_norm=args.d_norm), runtime,
                             lr_d=args.lr_d, lr_g=args.lr_g,
                             instance_noise=args.instance_noise, r1=args.r1)
    what = {"counting": "1-3 white discs and squares, never touching, on a black 64x64 canvas "
                        "(gan_core.failures.counting)",
            "perspective": "shaded boxes under random yaw and pitch through a pinhole camera, 64x64 "
                           "(gan_core.failures.perspective)"}[args.model]
    return algo, (images,), f"{n} synthetic pictures drawn from seed {args.data_seed}: {what}"


def canvas_args(r1: float):
    """The options of a canvas GAN's command; ``r1`` its default R1 weight (the shipped model's)."""
    def add(p):
        p.add_argument("--items", type=int, default=ITEMS, help="pictures in the synthetic training set")
        p.add_argument("--instance-noise", type=float, default=0.0,
                       help="sigma of the Gaussian noise added to every picture D sees (0: none)")
        p.add_argument("--r1", type=float, default=r1,
                       help=f"gamma of the R1 penalty on D's gradient at the real pictures (0: none; default {r1:g})")
        p.add_argument("--data-seed", type=int, default=0)
        p.add_argument("--nz", type=int, default=64)
        p.add_argument("--ngf", type=int, default=32)
        p.add_argument("--ndf", type=int, default=32)
        p.add_argument("--lr-d", type=float, default=2e-4)
        p.add_argument("--lr-g", type=float, default=2e-4)
        p.add_argument("--d-norm", choices=["batch", "spectral"], default="batch",
                       help="D's normalisation: DCGAN's batch norm, or spectral norm without batch norm")
    return add


def build_recorded(args, runtime):
    from ..gan.dcgan import DCGAN
    from .recorded import ProbedDCGANTraining
    model = DCGAN(nz=100, ngf=args.ngf, ndf=args.ndf)
    algo = ProbedDCGANTraining(model, runtime, g_loss=args.g_loss, lr_d=args.lr_d, lr_g=args.lr_g,
                               d_steps=args.d_steps, g_steps=args.g_steps, probe_every=args.probe_every,
                               beta1=args.beta1)
    images, _ = fmnist.for_training(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), padded to 32x32"


def add_recorded_args(kind: str):
    # the unbalanced settings of each run; every one can be changed on the command line
    defaults = {"imbalance": dict(g_loss="saturating", lr_d=1e-3, lr_g=2e-4, d_steps=3, g_steps=1, probe_every=100),
                "collapse": dict(g_loss="nonsaturating", lr_d=2e-4, lr_g=2e-3, d_steps=1, g_steps=3,
                                 probe_every=50)}[kind]

    def add(p):
        p.add_argument("--ngf", type=int, default=32)
        p.add_argument("--ndf", type=int, default=32)
        p.add_argument("--g-loss", choices=["nonsaturating", "saturating"], default=defaults["g_loss"])
        p.add_argument("--lr-d", type=float, default=defaults["lr_d"])
        p.add_argument("--lr-g", type=float, default=defaults["lr_g"])
        p.add_argument("--beta1", type=float, default=0.5)
        p.add_argument("--d-steps", type=int, default=defaults["d_steps"], help="D updates per step")
        p.add_argument("--g-steps", type=int, default=defaults["g_steps"], help="G updates per step")
        p.add_argument("--probe-every", type=int, default=defaults["probe_every"],
                       help="steps between the judge's class histograms of 500 samples")
    return add


# command -> (add_args, build, default steps, default batch size); its checkpoint: registry.TRAIN_COMMANDS
COMMANDS = {
    # counting: without R1 its D won outright (D(G(z)) ~ 0 for 4,000 steps on a GPU); with R1 (gamma 10)
    # the samples became clean shapes on black within 1,000 steps (BENCHMARKS.md, "Counting")
    "counting": (canvas_args(r1=10.0), build_canvas, 6000, 64),
    "perspective": (canvas_args(r1=0.0), build_canvas, 4000, 64),
    "imbalance": (add_recorded_args("imbalance"), build_recorded, 1500, 64),
    "collapse": (add_recorded_args("collapse"), build_recorded, 1500, 64),
}
