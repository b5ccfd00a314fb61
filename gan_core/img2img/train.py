"""Command-line builders of pix2pix and CycleGAN (``python -m gan_core.train pix2pix | cyclegan``)."""
from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image

from ..testing import fake_fmnist, fake_photos
from . import data
from .cyclegan import CycleGAN, CycleGANTraining
from .pix2pix import Pix2Pix, Pix2PixTraining

def _pix2pix_data(args):
    """(A, B) uint8 pairs and their description, for --task, --data-root or --dry-run."""
    if args.dry_run and not args.data_root:
        if args.task == "colorize":
            photos = [Image.fromarray(p) for p in fake_photos(n=4, size=args.resolution * 2)]
            return (*data.colorize_crops(photos, size=args.resolution, per_photo=8, downscale=1),
                    "fake photos (--dry-run)")
        images, _ = fake_fmnist(64)
        return (*data.edges2clothing(images=images), "fake items (--dry-run)")
    if args.data_root:
        load_size = args.load_size or round(args.resolution * 286 / 256)
        a, b = data.load_ab_folder(args.data_root, "train", load_size=load_size, direction=args.direction,
                                          limit=8 if args.dry_run else None)
        return a, b, (f"{len(a)} AB pairs from {args.data_root}/train ({args.direction}), resized to "
                      f"{load_size}, random {args.resolution} px crops" + (" and flips" if not args.no_flip else ""))
    if args.task == "edges2clothing":
        a, b = data.edges2clothing(train=True)
        return a, b, ("Fashion-MNIST train split (60,000 items) padded to 32x32 (B) and their Canny edge maps "
                      "(A, scikit-image, sigma 1), horizontal flips")
    a, b = data.colorize_train(size=args.resolution, per_photo=args.crops_per_photo)
    return a, b, (f"{len(a)} {args.resolution} px crops of sr/SunHays80 shrunk by 2 ({args.crops_per_photo} per "
                  "photo, seed 0): grey BT.601 luma (A) and colour (B), horizontal flips")


def pix2pix_name(args) -> str:
    source = Path(args.data_root).name if args.data_root else args.task
    return f"{'l1' if args.l1_only else 'pix2pix'}-{source}"


def build_pix2pix(args, runtime):
    if args.task == "edges2clothing" and not args.data_root and args.resolution != 32:
        raise SystemExit("error: edges2clothing is 32x32 (Fashion-MNIST); pass --resolution 32")
    a, b, desc = _pix2pix_data(args)
    model = Pix2Pix(in_channels=a.shape[1], out_channels=b.shape[1], resolution=args.resolution,
                    num_downs=args.num_downs, ngf=args.ngf, ndf=args.ndf, n_layers_d=args.n_layers_d,
                    predict_chroma=args.task == "colorize" and not args.data_root,
                    discriminator=not args.l1_only)
    algo = Pix2PixTraining(model, runtime, resolution=args.resolution, lambda_l1=args.lambda_l1,
                           l1_only=args.l1_only, flip=not args.no_flip, lr=args.lr)
    algo.card_info = {"objective": "L1 only (ablation)" if args.l1_only else f"cGAN + {args.lambda_l1:g} x L1",
                      "task": args.data_root or args.task, "resolution": args.resolution}
    return algo, (a, b), desc


def add_pix2pix_args(p):
    p.set_defaults(name=None, default_name=pix2pix_name)  # pix2pix-<task> or l1-<task>
    p.add_argument("--task", choices=["edges2clothing", "colorize"], default="edges2clothing")
    p.add_argument("--data-root", default=None,
                   help="an AB-format folder (train/ val/ test/, input|target side by side), e.g. facades")
    p.add_argument("--direction", choices=["AtoB", "BtoA"], default="AtoB", help="with --data-root")
    p.add_argument("--load-size", type=int, default=0, help="with --data-root: resize before the random crop "
                   "(default: resolution * 286/256, as the paper)")
    p.add_argument("--no-flip", action="store_true", help="no random horizontal flips (e.g. maps)")
    p.add_argument("--resolution", type=int, default=32, help="crop size: 32 (edges2clothing), 64, 128, 256")
    p.add_argument("--num-downs", type=int, default=0, help="U-Net levels (0: down to 1x1 at --resolution)")
    p.add_argument("--l1-only", action="store_true", help="the ablation: L1 loss alone, no discriminator")
    p.add_argument("--lambda-l1", type=float, default=100.0, help="weight of the L1 term (paper: 100)")
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--n-layers-d", type=int, default=2, help="PatchGAN depth (3 = 70x70 patches, paper at 256)")
    p.add_argument("--crops-per-photo", type=int, default=64, help="colorize: crops drawn from each photo")
    p.add_argument("--lr", type=float, default=2e-4)


def cyclegan_name(args) -> str:
    return f"cyclegan-{data.short_name(args.classes[0])}-{data.short_name(args.classes[1])}"


def build_cyclegan(args, runtime):
    if args.dry_run:
        images, _ = fake_fmnist(64)
        a = b = torch.nn.functional.pad(images, (2, 2, 2, 2)).unsqueeze(1)
    else:
        a, b = data.fmnist_class(args.classes[0]), data.fmnist_class(args.classes[1])
    n = min(len(a), len(b))
    model = CycleGAN(class_a=args.classes[0], class_b=args.classes[1], ngf=args.ngf, ndf=args.ndf,
                     n_blocks=args.n_blocks, n_layers_d=args.n_layers_d)
    algo = CycleGANTraining(model, runtime, lambda_cycle=args.lambda_cycle, lambda_identity=args.lambda_identity,
                            gan_mode=args.gan_mode, lr=args.lr)
    algo.card_info = {"gan_mode": args.gan_mode, "lambda_cycle": args.lambda_cycle,
                      "lambda_identity": args.lambda_identity}
    return algo, (a[:n], b[:n]), (f"Fashion-MNIST train split: {n} '{args.classes[0]}' items (A) and {n} "
                                  f"'{args.classes[1]}' items (B), unpaired, padded to 32x32, horizontal flips")


def add_cyclegan_args(p):
    p.set_defaults(name=None, default_name=cyclegan_name)  # cyclegan-<a>-<b>
    p.add_argument("--classes", nargs=2, default=["Sneaker", "Ankle boot"], metavar=("A", "B"),
                   help="two Fashion-MNIST classes, e.g. Sneaker \"Ankle boot\"")
    p.add_argument("--ngf", type=int, default=16)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--n-blocks", type=int, default=3, help="residual blocks of each generator (paper: 9 at 256)")
    p.add_argument("--n-layers-d", type=int, default=2)
    p.add_argument("--gan-mode", choices=["lsgan", "bce"], default="lsgan", help="paper: lsgan")
    p.add_argument("--lambda-cycle", type=float, default=10.0, help="paper: 10")
    p.add_argument("--lambda-identity", type=float, default=0.5, help="x lambda-cycle (paper: 0.5)")
    p.add_argument("--lr", type=float, default=2e-4)


# the "Image-to-image" tab: pix2pix-<task> / l1-<task> (--l1-only), and CycleGAN
COMMANDS = {
    "pix2pix": (add_pix2pix_args, build_pix2pix, 1000, 32),
    "cyclegan": (add_cyclegan_args, build_cyclegan, 1500, 8),
}
