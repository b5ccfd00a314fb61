"""Command-line builders of pix2pix and CycleGAN (``python -m gan_core.train pix2pix | cyclegan``)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..registry import SKETCH, TASKS
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
    a, b = data.colorize_train(size=args.resolution, per_photo=args.crops_per_photo, photos=args.photos)
    sets = " + ".join(f"{data.COLORIZE_PHOTOS[k][0]}" + (f" shrunk by {data.COLORIZE_PHOTOS[k][1]}"
                                                         if data.COLORIZE_PHOTOS[k][1] > 1 else "")
                      for k in args.photos)
    return a, b, (f"{len(a)} {args.resolution} px crops of {sets} ({args.crops_per_photo} per "
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
                    discriminator=not args.l1_only, batch_stats=args.batch_stats)
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
    p.add_argument("--photos", nargs="+", choices=sorted(data.COLORIZE_PHOTOS), default=["sunhays80", "bsds500"],
                   help="colorize: training photo sets (sunhays80: sr/SunHays80; bsds500: bsds500/train/images; "
                        "default: both, as the shipped models)")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--batch-stats", action="store_true",
                   help="G's BatchNorm uses the statistics of the batch at hand, also at inference (the paper)")


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


# --- the pix2pix paper's settings: its data sets (AB format) and sketch -> photo on BSDS500 ------

@dataclass(frozen=True)
class Published:
    """One data set's training as the pix2pix paper ran it (Isola et al. 2017, appendix 6.2, and
    the official code's defaults: 286 -> random 256 crops, mirroring, Adam 2e-4 / beta1 0.5,
    lambda_L1 = 100, U-Net 256, 70x70 PatchGAN, ngf = ndf = 64, constant learning rate)."""

    data_set: str      # its name in the official datasets/download_pix2pix_dataset.sh
    epochs: int
    batch_size: int
    train_images: int  # the published training split: steps = epochs x train_images / batch_size

    @property
    def steps(self) -> int:
        return self.epochs * self.train_images // self.batch_size


# task of registry.TASKS -> its published training (the command is its checkpoint's name)
PAPER_TASKS = {
    "labels2facade": Published("facades", 200, 1, 400),
    "labels2street": Published("cityscapes", 200, 1, 2975),
    "aerial2map": Published("maps", 200, 1, 1096),
    "day2night": Published("night2day", 17, 4, 17823),
}
# sketch -> photo has no published run: the facades recipe (a few hundred pairs, 200 epochs, batch 1)
# on the 400 end squares of the 200 BSDS500 training photos
SKETCH_RUN = Published("bsds500", 200, 1, 400)


def _add_paper_model_args(p, run: Published):
    p.add_argument("--epochs", type=float, default=None,
                   help=f"set --steps from the training images found (published: {run.epochs} epochs)")
    p.add_argument("--resolution", type=int, default=256, help="crop size (paper: 256)")
    p.add_argument("--load-size", type=int, default=0, help="resize before the random crop "
                   "(default: resolution * 286/256, the paper's 286 at 256)")
    p.add_argument("--no-flip", action="store_true", help="no random mirroring (the paper mirrors)")
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--ndf", type=int, default=64)
    p.add_argument("--n-layers-d", type=int, default=3, help="PatchGAN depth (3 = the paper's 70x70)")
    p.add_argument("--lambda-l1", type=float, default=100.0, help="weight of the L1 term (paper: 100)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam's rate (paper: 2e-4, beta1 0.5, constant)")
    p.add_argument("--running-stats", action="store_true",
                   help="BatchNorm with running statistics at inference (the paper uses the test batch's)")


def _load_size(args) -> int:
    return args.load_size or round(args.resolution * 286 / 256)


def _fake_pairs(args, c_in: int):
    """A few smooth fake photos and their negatives, for --dry-run without data."""
    photos = torch.from_numpy(np.stack(fake_photos(n=4, size=_load_size(args)))).permute(0, 3, 1, 2)
    a = photos[:, :1].contiguous() if c_in == 1 else photos
    return a, 255 - photos


def _paper_model(args, c_in: int, l1_only: bool, runtime):
    model = Pix2Pix(in_channels=c_in, out_channels=3, resolution=args.resolution, ngf=args.ngf, ndf=args.ndf,
                    n_layers_d=args.n_layers_d, discriminator=not l1_only, batch_stats=not args.running_stats)
    return Pix2PixTraining(model, runtime, resolution=args.resolution, lambda_l1=args.lambda_l1, l1_only=l1_only,
                           flip=not args.no_flip, lr=args.lr)


def _epochs(args, run: Published, n: int) -> float:
    """--epochs -> --steps for the ``n`` training pairs found; the epochs the run then makes."""
    if args.epochs is not None and not args.dry_run:
        args.steps = max(1, math.ceil(args.epochs * n / args.batch_size))
    return args.steps * args.batch_size / n


def _card(algo, args, run: Published, what: str, n: int, l1_only: bool = False) -> None:
    algo.card_info = {"objective": "L1 only (ablation)" if l1_only else f"cGAN + {args.lambda_l1:g} x L1",
                      "task": what, "resolution": args.resolution, "load_size": _load_size(args),
                      "epochs": round(_epochs(args, run, n), 2), "published_epochs": run.epochs,
                      "published_batch_size": run.batch_size, "training_pairs": n,
                      "batchnorm_at_inference": "running statistics" if args.running_stats
                                                else "the test image's own statistics (the paper)"}


def paper_command(task: str):
    """``python -m gan_core.train pix2pix-<data set> --data DIR``: the published training of one task."""
    run, t = PAPER_TASKS[task], TASKS[task]

    def add_args(p):
        p.add_argument("--data", default=None, help=f"the {run.data_set} AB folder (train/ val/ test/), e.g. from "
                       f"the official datasets/download_pix2pix_dataset.sh {run.data_set}")
        p.add_argument("--direction", choices=["AtoB", "BtoA"], default=t.direction,
                       help=f"which half of the files is the input (default {t.direction}: {t.label})")
        _add_paper_model_args(p, run)

    def build(args, runtime):
        if args.data:
            folder = data.ABFolder(args.data, "train", load_size=_load_size(args), direction=args.direction,
                                   limit=8 if args.dry_run else None)
            pairs, where = (folder.a, folder.b), f"{len(folder)} AB pairs from {args.data}/train ({args.direction})"
        elif args.dry_run:
            pairs, where = _fake_pairs(args, 3), "fake photos (--dry-run)"
        else:
            raise data.MissingDataError(f"pass --data DIR, the {run.data_set} data set in the pix2pix AB format "
                                        f"(README, 'Image-to-image: the paper's data sets')")
        n = len(pairs[0])
        if n != run.train_images and args.data and not args.dry_run:
            print(f"note: {n} training pairs; the published {run.data_set} split has {run.train_images} "
                  f"(--epochs sets the steps from the pairs found)")
        algo = _paper_model(args, 3, False, runtime)
        _card(algo, args, run, f"{t.label} ({run.data_set})", n)
        if args.data:  # the tab takes its examples from the held-out split found here
            algo.card_info.update(data_root=str(Path(args.data).resolve()), direction=args.direction)
        desc = (f"{where}, each half resized to {_load_size(args)}, random {args.resolution} px crops"
                + ("" if args.no_flip else " and mirroring"))
        return algo, pairs, desc

    return add_args, build, run.steps, run.batch_size


def sketch_command(variant: str):
    """``python -m gan_core.train pix2pix-sketch | l1-sketch``: BSDS500 boundary maps -> photos."""
    l1_only = variant == "l1"

    def add_args(p):
        _add_paper_model_args(p, SKETCH_RUN)

    def build(args, runtime):
        if args.dry_run:
            pairs, where = _fake_pairs(args, 1), "fake photos (--dry-run)"
        else:
            pairs = data.sketch_pairs("train", load_size=_load_size(args))
            where = (f"BSDS500 train split ({len(pairs[0]) // 2} photos, never the test split): the two end "
                     f"squares of each photo (B) and of its human boundary map (A, the share of annotators who "
                     f"drew each pixel, white on black), {len(pairs[0])} pairs")
        algo = _paper_model(args, 1, l1_only, runtime)
        _card(algo, args, SKETCH_RUN, "sketch -> photo (BSDS500 boundary maps)", len(pairs[0]), l1_only)
        desc = (f"{where}, resized to {_load_size(args)}, random {args.resolution} px crops"
                + ("" if args.no_flip else " and mirroring"))
        return algo, pairs, desc

    return add_args, build, SKETCH_RUN.steps, SKETCH_RUN.batch_size


# the "Image-to-image" tab: pix2pix-<task> / l1-<task> (--l1-only), and CycleGAN; the paper's data
# sets (one command per data set, named as its checkpoint) and sketch -> photo
COMMANDS = {
    "pix2pix": (add_pix2pix_args, build_pix2pix, 1000, 32),
    "cyclegan": (add_cyclegan_args, build_cyclegan, 1500, 8),
    **{TASKS[task].checkpoints["pix2pix"]: paper_command(task) for task in PAPER_TASKS},
    **{name: sketch_command(variant) for variant, name in SKETCH.items()},
}
