"""Command-line builder of the diffusion model (``python -m gan_core.train ddpm``)."""
from __future__ import annotations

from .. import fmnist


def build_ddpm(args, runtime):
    from .ddpm import DDPM, DDPMTraining, make_scheduler, make_unet
    unet = make_unet(block_out_channels=args.channels, layers_per_block=args.layers_per_block,
                     norm_num_groups=args.norm_groups, num_classes=10 if args.conditional else None)
    if args.init:
        init_from(unet, args.init)
    teacher = None
    if args.teacher:
        from .. import checkpoints
        teacher = checkpoints.load(args.teacher, runtime)
        if not isinstance(teacher, DDPM):
            raise SystemExit(f"--teacher {args.teacher} is not a diffusion checkpoint")
    algo = DDPMTraining(DDPM(unet, make_scheduler()), runtime, lr=args.lr, ema_decay=args.ema_decay,
                        teacher=teacher, teacher_name=args.teacher, uncond_prob=args.uncond_prob,
                        class_lr=args.class_lr)
    if args.init:
        algo.card_info["init"] = args.init
    images, labels = fmnist.for_training(args)
    if args.conditional:
        return algo, (images, labels), "Fashion-MNIST train split (60,000 items with their labels), 28x28"
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), 28x28"


def init_from(unet, name: str) -> None:
    """Start ``unet`` from the weights of diffusion checkpoint ``name`` (same widths).

    A conditional U-Net started from an unconditional one gets every weight but the class embedding, which
    starts at zero: at step 0 it is the unconditional model, whatever the label.
    """
    import torch
    from safetensors.torch import load_file

    from .. import checkpoints
    from .ddpm import DDPM
    state = load_file(str(checkpoints.require(name) / DDPM.WEIGHTS))
    own = unet.state_dict()
    extra = sorted(set(state) - set(own))
    if extra:
        raise SystemExit(f"--init {name}: weights this U-Net does not have ({', '.join(extra[:3])} ...)")
    for key, value in state.items():
        if own[key].shape != value.shape:
            raise SystemExit(f"--init {name}: {key} has shape {tuple(value.shape)}, this U-Net {tuple(own[key].shape)}")
    missing = set(own) - set(state)
    if missing - {"class_embedding.weight"}:
        raise SystemExit(f"--init {name}: it lacks {', '.join(sorted(missing)[:3])} ...")
    if "class_embedding.weight" in missing:
        state["class_embedding.weight"] = torch.zeros_like(own["class_embedding.weight"])
    unet.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)


def add_ddpm_args(p):
    p.add_argument("--channels", type=int, nargs="+", default=[32, 64, 64],
                   help="U-Net block channels, one level each (28 -> 14 -> 7 for three levels)")
    p.add_argument("--layers-per-block", type=int, default=1)
    p.add_argument("--norm-groups", type=int, default=8, help="GroupNorm groups (must divide every width)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--conditional", action="store_true",
                   help="class-conditional U-Net, trained on the labels (e.g. --name ddpm-fmnist-cond)")
    p.add_argument("--uncond-prob", type=float, default=0.1,
                   help="with --conditional: share of items trained without their class (classifier-free guidance)")
    p.add_argument("--class-lr", type=float, default=None,
                   help="with --conditional: the class embedding's learning rate (default --lr)")
    p.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="start from this diffusion checkpoint's weights (same widths; a conditional U-Net "
                        "started from an unconditional one gets a zero class embedding)")
    p.add_argument("--teacher", default=None, metavar="CHECKPOINT",
                   help="distil: regress on this diffusion checkpoint's predicted noise instead of the drawn "
                        "noise (e.g. --teacher ddpm-fmnist --channels 16 32 64 --name ddpm-fmnist-small)")


# command -> (add_args, build, default steps, default batch size); its checkpoint: registry.TRAIN_COMMANDS
COMMANDS = {
    "ddpm": (add_ddpm_args, build_ddpm, 6000, 64),
}
