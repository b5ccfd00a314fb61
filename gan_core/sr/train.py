"""Command-line builders of SRResNet and SRGAN (``python -m gan_core.train srresnet | srgan``)."""
from __future__ import annotations

from pathlib import Path

import torch

from .. import settings
from ..testing import fake_photos
from .data import PatchSource, load_photos
from .srgan import SRGAN, Discriminator, SRGANTraining
from .srresnet import SRResNet, SRResNetTraining

PHOTO_SETS = settings.TRAINING_PHOTOS  # --photos: the training photo sets, by name


def _sr_photos(args):
    if args.dry_run:
        return PatchSource(fake_photos()), "fake photos (--dry-run)"
    photos, names = [], []
    for key in args.photos:
        folder, name = PHOTO_SETS[key]
        found = load_photos(settings.shared_data_dir() / folder, min_side=args.crop)
        photos += found
        names.append(f"{name} ({len(found)} photos)")
    source = PatchSource(photos)
    return source, (f"{' + '.join(names)}; random {args.crop}x{args.crop} HR crops with flips and "
                    "transposes, each photo drawn equally often; LR = PIL bicubic x4 with antialiasing")


def _generator(args, init) -> SRResNet:
    """The SRResNet to train: ``init``'s weights (a checkpoint folder), else a fresh one; with ``--upsampler
    resize`` a sub-pixel one is converted (``SRResNet.resize_from``)."""
    if init is None:
        return SRResNet(channels=args.channels, n_blocks=args.blocks, upsampler=args.upsampler or "subpixel")
    model = SRResNet.from_pretrained(str(init), strict=True)
    if args.upsampler and args.upsampler != model.upsampler:
        if args.upsampler != "resize":
            raise SystemExit(f"error: {init} has a {model.upsampler} upsampler; only sub-pixel -> resize converts")
        model = SRResNet.resize_from(model)
    return model


def build_srresnet(args, runtime):
    source, desc = _sr_photos(args)
    algo = SRResNetTraining(_generator(args, args.init), runtime, source, crop=args.crop, lr=args.lr)
    algo.card_info = {"loss": "MSE on RGB in [0, 1]", "upsampler": algo.model.upsampler}
    if args.init is not None:
        algo.card_info["init"] = str(args.init)
    return algo, (torch.arange(len(source)),), desc


def build_srgan(args, runtime):
    source, desc = _sr_photos(args)
    if args.init is not None or args.dry_run:
        generator = _generator(args, args.init)
    else:
        raise SystemExit("error: SRGAN fine-tunes a trained SRResNet: pass --init checkpoints/srresnet-x4")
    algo = SRGANTraining(SRGAN(generator, Discriminator(ndf=args.ndf)), runtime, source, crop=args.crop, lr=args.lr,
                         adv_weight=args.adv_weight, content_loss=args.content_loss, fm_weight=args.fm_weight,
                         pixel_weight=args.pixel_weight, grid_weight=args.grid_weight)
    algo.card_info = {"init": str(args.init), "content_loss": algo.content_loss_used,
                      "adversarial_weight": args.adv_weight, "grid_weight": args.grid_weight}
    return algo, (torch.arange(len(source)),), desc


def add_sr_args(p, *, lr: float):
    p.add_argument("--crop", type=int, default=96, help="HR crop size (paper: 96)")
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--blocks", type=int, default=16)
    p.add_argument("--lr", type=float, default=lr, help="Adam learning rate (paper: 1e-4)")
    p.add_argument("--photos", nargs="+", choices=sorted(PHOTO_SETS), default=["sunhays80"],
                   help="training photo sets (sunhays80: sr/SunHays80; bsds500: bsds500/train/images)")
    p.add_argument("--upsampler", choices=SRResNet.UPSAMPLERS, default=None,
                   help="subpixel (the paper, the default) or resize (nearest x2 + conv: no 2-pixel pattern); "
                        "with --init, a sub-pixel checkpoint is converted to resize")


def add_srresnet_args(p):
    add_sr_args(p, lr=1e-4)
    p.add_argument("--init", type=Path, default=None,
                   help="start from this SRResNet checkpoint (e.g. checkpoints/srresnet-x4 with --upsampler resize)")


def add_srgan_args(p):
    add_sr_args(p, lr=1e-4)
    p.add_argument("--init", type=Path, default=None, help="trained SRResNet checkpoint to start from")
    p.add_argument("--adv-weight", type=float, default=1e-3, help="weight of the adversarial loss (paper: 1e-3)")
    p.add_argument("--content-loss", choices=["auto", "vgg19", "l1+fm"], default="auto",
                   help="auto: ImageNet VGG19 features if the weights are available, else l1+fm")
    p.add_argument("--fm-weight", type=float, default=0.1,
                   help="feature-matching weight of l1+fm (1 with --pixel-weight 0.01 gave grid artifacts)")
    p.add_argument("--pixel-weight", type=float, default=1.0, help="L1 weight of l1+fm")
    p.add_argument("--ndf", type=int, default=64, help="discriminator width (paper: 64)")
    p.add_argument("--grid-weight", type=float, default=0.0,
                   help="weight of the penalty on the error's 4-pixel periodic part (the upsampler's grid; 0: off)")


# the "Super-resolution" tab: SRResNet (MSE), then SRGAN fine-tuned from it
COMMANDS = {
    "srresnet": (add_srresnet_args, build_srresnet, 20000, 16),
    "srgan": (add_srgan_args, build_srgan, 5000, 16),
}
