"""Command-line builders of the next-frame predictors (``python -m gan_core.train nextframe-mse |
nextframe-gdl | nextframe-adv``): one U-Net, three objectives (see ``nextframe.py``)."""
from __future__ import annotations

from .. import fmnist
from . import data
from .nextframe import NextFrame, NextFrameTraining

OBJECTIVE_LABELS = {"mse": "L2 (MSE) only", "gdl": "L2 + gradient difference loss",
                    "adv": "adversarial (multi-scale sequence D) + L2 + GDL"}


def recalibrated_note(batches: int, batch_size: int = 64) -> str:
    return (f"re-estimated with the exported weights over {batches} x {batch_size} training clips "
            "(cumulative average), not the running averages of training")


def build_nextframe(args, runtime):
    objective = args.model.split("-", 1)[1]                       # nextframe-mse -> mse
    if args.recalibrate_bn is None:
        args.recalibrate_bn = 50 if objective == "adv" else 0
    images, _ = fmnist.for_training(args)                         # the training split's items
    sequences = data.TrainSequences(images, n=args.sequences, seed=args.seed)
    model = NextFrame(width=args.width, levels=args.levels, discriminator=objective == "adv",
                      d_width=args.d_width, d_scales=args.d_scales, objective=objective)
    if args.init:  # e.g. start the adversarial model from the l2+GDL one
        from safetensors.torch import load_file
        state = load_file(f"{args.init}/model.safetensors")
        model.generator.load_state_dict({k[len("generator."):]: v.float() for k, v in state.items()
                                         if k.startswith("generator.")})
    algo = NextFrameTraining(model, runtime, images, lambda_l2=args.lambda_l2, lambda_gdl=args.lambda_gdl,
                             lambda_adv=args.lambda_adv, lr=args.lr, recalibrate_bn=args.recalibrate_bn)
    weights = {"mse": "", "gdl": f" (lambda_2 {args.lambda_l2:g}, lambda_gdl {args.lambda_gdl:g})",
               "adv": f" (lambda_adv {args.lambda_adv:g}, lambda_2 {args.lambda_l2:g}, "
                      f"lambda_gdl {args.lambda_gdl:g})"}[objective]
    algo.card_info = {"objective": OBJECTIVE_LABELS[objective] + weights, "generator": "U-Net",
                      "context_frames": data.CONTEXT, **({"init": args.init} if args.init else {}),
                      **({"batchnorm_statistics": recalibrated_note(args.recalibrate_bn)} if args.recalibrate_bn else {})}
    desc = (f"moving Fashion-MNIST: {args.sequences} seeded pairs of training-split items with seeded motions "
            f"(at most {data.MAX_SPEED} px per frame per axis, bouncing in a {data.FRAME}x{data.FRAME} frame), "
            f"clips of {data.CONTEXT} + 1 frames at a random time offset, rendered each step"
            + (" (fake items, --dry-run)" if args.dry_run else ""))
    return algo, sequences.tensors(), desc


def add_nextframe_args(p):
    p.add_argument("--width", type=int, default=16, help="U-Net channels at 64x64")
    p.add_argument("--levels", type=int, default=3, help="U-Net down-samplings (3: 8x8 bottleneck)")
    p.add_argument("--d-width", type=int, default=16, help="adv: channels of each D scale's first layer")
    p.add_argument("--d-scales", type=int, default=3, help="adv: scales of the sequence D (1, 2, 4, ...)")
    p.add_argument("--lambda-l2", type=float, default=1.0, help="weight of L2 (paper: 1)")
    p.add_argument("--lambda-gdl", type=float, default=1.0, help="gdl/adv: weight of the GDL (paper: 1)")
    p.add_argument("--lambda-adv", type=float, default=0.05, help="adv: weight of the adversarial term (paper: 0.05)")
    p.add_argument("--sequences", type=int, default=60000, help="item pairs + motions drawn for training")
    p.add_argument("--init", default=None, help="start G from this checkpoint folder's generator")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--recalibrate-bn", type=int, default=None, metavar="BATCHES",
                   help="re-estimate G's BatchNorm statistics over BATCHES training batches before each export "
                        "(default: 50 for nextframe-adv, whose weights outrun the running averages; 0 for the others)")


# the "Next frame" tab: one U-Net, three objectives
COMMANDS = {f"nextframe-{o}": (add_nextframe_args, build_nextframe, 3000, 32) for o in ("mse", "gdl", "adv")}
