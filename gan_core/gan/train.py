"""Command-line builders of the Fashion-MNIST GANs (``python -m gan_core.train dcgan``)."""
from __future__ import annotations

from .. import fmnist

def build_dcgan(args, runtime):
    from .dcgan import DCGAN, DCGANTraining
    model = DCGAN(nz=args.nz, ngf=args.ngf, ndf=args.ndf, vbn=args.vbn, minibatch=args.minibatch)
    algo = DCGANTraining(model, runtime, g_loss=args.g_loss, real_label=1.0 - args.label_smoothing,
                         lr_d=args.lr_d, lr_g=args.lr_g, feature_matching=args.feature_matching,
                         hist_avg=args.hist_avg, ema=args.ema)
    images, _ = fmnist.for_training(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), padded to 32x32"


def add_dcgan_args(p):
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--g-loss", choices=["nonsaturating", "saturating"], default="nonsaturating")
    p.add_argument("--label-smoothing", type=float, default=0.0, help="one-sided: real label = 1 - this")
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--lr-g", type=float, default=2e-4)
    add_technique_args(p)


def add_technique_args(p):
    """The switches of "Improved Techniques for Training GANs" (Salimans et al. 2016); all off by default."""
    g = p.add_argument_group("improved techniques (Salimans et al. 2016), all off by default")
    g.add_argument("--feature-matching", choices=["off", "replace", "add"], default="off",
                   help="G matches the mean of D's last hidden layer on real data: instead of (replace) or "
                        "beside (add) its adversarial loss")
    g.add_argument("--minibatch", type=int, default=0, metavar="K",
                   help="minibatch discrimination with K kernels on D's last hidden layer (0: off)")
    g.add_argument("--hist-avg", type=float, default=0.0, metavar="LAMBDA",
                   help="historical averaging: LAMBDA ||theta - mean of past theta||^2 for both players (0: off)")
    g.add_argument("--vbn", type=int, default=0, metavar="R",
                   help="virtual batch norm in G with a fixed reference batch of R codes (0: batch norm)")
    g.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an EMA of G's weights (e.g. 0.999), evaluation only; the exported G is the EMA (0: off)")


def _train_part(args):
    """The training split less the validation items that choose checkpoints (gan.common.train_val_split)."""
    from .common import train_val_split
    images, labels = fmnist.for_training(args)
    train_idx, _ = train_val_split(images.shape[0])
    return images[train_idx], labels[train_idx]


def build_conditional(args, runtime):
    """cgan / acgan: the same G(z | y), two ways to give D the label."""
    from .acgan import ACGAN, ACGANTraining
    from .cgan import CGAN, CGANTraining
    model_cls, algo_cls = {"cgan": (CGAN, CGANTraining), "acgan": (ACGAN, ACGANTraining)}[args.model]
    acgan = args.model == "acgan"
    extra = {"d_class_fakes": args.d_class_loss == "real+fake", "g_class_weight": args.g_class_weight} if acgan else {}
    model = model_cls(nz=args.nz, ngf=args.ngf, ndf=args.ndf, **({} if acgan else {"projection": args.projection}))
    algo = algo_cls(model, runtime, lr_d=args.lr_d, lr_g=args.lr_g, ema=args.ema, **extra)
    return algo, _train_part(args), "Fashion-MNIST train split less 5,000 validation items, with labels, 32x32"


def build_infogan(args, runtime):
    from .infogan import InfoGAN, InfoGANTraining
    model = InfoGAN(nz=args.nz, ngf=args.ngf, ndf=args.ndf, z_std=args.z_std)
    algo = InfoGANTraining(model, runtime, lambda_cat=args.lambda_cat, lambda_cont=args.lambda_cont,
                           lr_d=args.lr_d, lr_g=args.lr_g)
    images, _ = _train_part(args)
    return algo, (images,), "Fashion-MNIST train split less 5,000 validation items, labels unused, 32x32"


def build_sgan(args, runtime):
    from .sgan import SGAN, SGANTraining, label_draw
    images, labels = _train_part(args)
    picked = label_draw(labels, args.labels, args.label_seed)
    model = SGAN(ngf=args.ngf, ndf=args.ndf, generator=not args.supervised_only)
    algo = SGANTraining(model, runtime, images[picked], labels[picked], lr=args.lr)
    kind = "supervised only" if args.supervised_only else "unlabelled items too"
    desc = f"Fashion-MNIST train split less 5,000 validation items: {len(picked)} labels (draw {args.label_seed}), {kind}"
    return algo, (images,), desc


def add_gan_size_args(p, nz: int):
    p.add_argument("--nz", type=int, default=nz)
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--lr-g", type=float, default=2e-4)


def add_infogan_args(p):
    add_gan_size_args(p, nz=62)
    p.add_argument("--z-std", type=float, default=1.0, help="std of z (1: the paper; 0.1: ClusterGAN's prior)")
    p.add_argument("--lambda-cat", type=float, default=1.0, help="weight of the categorical code's L_I")
    p.add_argument("--lambda-cont", type=float, default=1.0, help="weight of the continuous codes' L_I")


def add_sgan_args(p):
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--lr", type=float, default=4e-4)
    p.add_argument("--labels", type=int, default=100, help="label budget, balanced over classes; 0: all")
    p.add_argument("--label-seed", type=int, default=0, help="which fixed draw of labelled items")
    p.add_argument("--supervised-only", action="store_true", help="the baseline: the classifier on the labels alone")


def add_conditional_args(p, acgan: bool = False):
    add_gan_size_args(p, nz=100)
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an EMA of G's weights (e.g. 0.999); the exported G is the EMA (0: off)")
    if not acgan:
        p.add_argument("--projection", action="store_true",
                       help="D takes the label by projection (Miyato & Koyama 2018), not as 10 input planes")
    else:
        p.add_argument("--d-class-loss", choices=["real+fake", "real"], default="real+fake",
                       help="what D's class head learns from: real and fake items (the paper) or real items only")
        p.add_argument("--g-class-weight", type=float, default=1.0, metavar="W",
                       help="weight of the class term in G's loss (1: the paper); may change on a resumed run")


# command -> (add_args, build, default steps, default batch size); its checkpoint: registry.TRAIN_COMMANDS
COMMANDS = {
    "dcgan": (add_dcgan_args, build_dcgan, 6000, 64),
    "cgan": (add_conditional_args, build_conditional, 6000, 64),
    "acgan": (lambda p: add_conditional_args(p, acgan=True), build_conditional, 6000, 64),
    "infogan": (add_infogan_args, build_infogan, 8000, 64),
    "sgan": (add_sgan_args, build_sgan, 3000, 100),
}
