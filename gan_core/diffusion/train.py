"""Command-line builder of the diffusion model (``python -m gan_core.train ddpm``)."""
from __future__ import annotations

from .. import fmnist


def build_ddpm(args, runtime):
    from .ddpm import DDPM, DDPMTraining, make_scheduler, make_unet
    unet = make_unet(block_out_channels=args.channels, layers_per_block=args.layers_per_block,
                     norm_num_groups=args.norm_groups)
    teacher = None
    if args.teacher:
        from .. import checkpoints
        teacher = checkpoints.load(args.teacher, runtime)
        if not isinstance(teacher, DDPM):
            raise SystemExit(f"--teacher {args.teacher} is not a diffusion checkpoint")
    algo = DDPMTraining(DDPM(unet, make_scheduler()), runtime, lr=args.lr, ema_decay=args.ema_decay,
                        teacher=teacher, teacher_name=args.teacher)
    images, _ = fmnist.for_training(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), 28x28"


def add_ddpm_args(p):
    p.add_argument("--channels", type=int, nargs="+", default=[32, 64, 64],
                   help="U-Net block channels, one level each (28 -> 14 -> 7 for three levels)")
    p.add_argument("--layers-per-block", type=int, default=1)
    p.add_argument("--norm-groups", type=int, default=8, help="GroupNorm groups (must divide every width)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--teacher", default=None, metavar="CHECKPOINT",
                   help="distil: regress on this diffusion checkpoint's predicted noise instead of the drawn "
                        "noise (e.g. --teacher ddpm-fmnist --channels 16 32 64 --name ddpm-fmnist-small)")


# command -> (add_args, build, default steps, default batch size); its checkpoint: registry.TRAIN_COMMANDS
COMMANDS = {
    "ddpm": (add_ddpm_args, build_ddpm, 6000, 64),
}
