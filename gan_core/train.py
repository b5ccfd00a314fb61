"""Command-line training: ``python -m gan_core.train MODEL [options]``.

Every model trains through ``gan_core.trainer.Trainer``: deterministic batches, a tqdm bar,
run-state checkpoints in ``runs/<name>/`` every ``--checkpoint-every`` steps, automatic resume
(run the same command again after an interruption), a NaN guard, and at the end an export
to ``checkpoints/<name>/`` (config.json + model.safetensors + model card).

    python -m gan_core.train classifier --steps 6000
    python -m gan_core.train dcgan --steps 9000
    python -m gan_core.train dcgan --dry-run          # a few steps on fake data: a smoke test
    python -m gan_core.train vae2d                    # also ae2d (β = 0) and vae16 (16-D latent)
    python -m gan_core.train srresnet --export-every 250   # resumable; see README, 'Tab: Super-resolution'
    python -m gan_core.train srgan --init checkpoints/srresnet-x4
    python -m gan_core.train pix2pix --task edges2clothing [--l1-only]   # also --task colorize --resolution 64
    python -m gan_core.train pix2pix --data-root DIR --resolution 256   # any AB-format folder (facades, maps...)
    python -m gan_core.train cyclegan --classes Sneaker "Ankle boot"
"""
from __future__ import annotations

import argparse
import functools
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import torch

from . import models, settings
from .data import MissingDataError, fashion_mnist
from .device import get_runtime
from .trainer import Trainer, TrainConfig, TrainingDivergedError


def _hardware(runtime) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{runtime.describe()}; {cpu}, {os.cpu_count()} cores"


def fake_fmnist(n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random blobs shaped like Fashion-MNIST, for --dry-run and tests."""
    g = torch.Generator().manual_seed(seed)
    images = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
    return images, torch.randint(0, 10, (n,), generator=g)


def _fmnist(args, train: bool = True):
    if args.dry_run:
        return fake_fmnist()
    return fashion_mnist(train=train, download=args.download)


# --- one builder per model: returns (algorithm, data, name, description of data) -------------

def build_dcgan(args, runtime):
    from .dcgan import DCGAN, DCGANTraining
    model = DCGAN(nz=args.nz, ngf=args.ngf, ndf=args.ndf)
    algo = DCGANTraining(model, runtime, g_loss=args.g_loss, real_label=1.0 - args.label_smoothing,
                         lr_d=args.lr_d, lr_g=args.lr_g)
    images, _ = _fmnist(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), padded to 32x32"


def add_dcgan_args(p):
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--ngf", type=int, default=32)
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--g-loss", choices=["nonsaturating", "saturating"], default="nonsaturating")
    p.add_argument("--label-smoothing", type=float, default=0.0, help="one-sided: real label = 1 - this")
    p.add_argument("--lr-d", type=float, default=2e-4)
    p.add_argument("--lr-g", type=float, default=2e-4)


def build_classifier(args, runtime):
    from .classifier import ClassifierTraining, FashionClassifier
    algo = ClassifierTraining(FashionClassifier(), runtime, lr=args.lr, total_steps=args.steps)
    return algo, _fmnist(args), "Fashion-MNIST train split (60,000 items), flips and 2-px shifts"


def add_classifier_args(p):
    p.add_argument("--lr", type=float, default=2e-3)


def build_vae(args, runtime):
    from .vae import VAE, VAETraining
    model = VAE(latent_dim=args.latent_dim, beta=args.beta, width=args.width, hidden=args.hidden)
    algo = VAETraining(model, runtime, lr=args.lr)
    images, _ = _fmnist(args)
    return algo, (images,), "Fashion-MNIST train split (60,000 items, labels unused), 28x28 grey levels in [0, 1]"


def add_vae_args(p, *, latent_dim: int, beta: float):
    p.add_argument("--latent-dim", type=int, default=latent_dim)
    p.add_argument("--beta", type=float, default=beta, help="KL weight: 1 = VAE, 0 = plain autoencoder")
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)


def _sr_photos(args):
    from .sr import PatchSource, fake_photos, load_photos
    if args.dry_run:
        return PatchSource(fake_photos()), "fake photos (--dry-run)"
    folder = settings.shared_data_dir() / "sr" / "SunHays80"
    source = PatchSource(load_photos(folder, min_side=args.crop))
    return source, (f"SunHays80 ({len(source)} photos); random {args.crop}x{args.crop} HR crops with flips and "
                    "transposes; LR = PIL bicubic x4 with antialiasing")


def build_srresnet(args, runtime):
    from .sr import SRResNet, SRResNetTraining
    source, desc = _sr_photos(args)
    algo = SRResNetTraining(SRResNet(channels=args.channels, n_blocks=args.blocks), runtime, source,
                            crop=args.crop, lr=args.lr)
    algo.card_info = {"loss": "MSE on RGB in [0, 1]"}
    return algo, (torch.arange(len(source)),), desc


def build_srgan(args, runtime):
    from .sr import SRGAN, Discriminator, SRGANTraining, SRResNet
    source, desc = _sr_photos(args)
    if args.init is not None:
        generator = SRResNet.from_pretrained(str(args.init), strict=True)
    elif args.dry_run:
        generator = SRResNet(channels=args.channels, n_blocks=args.blocks)
    else:
        raise SystemExit("error: SRGAN fine-tunes a trained SRResNet: pass --init checkpoints/srresnet-x4")
    algo = SRGANTraining(SRGAN(generator, Discriminator(ndf=args.ndf)), runtime, source, crop=args.crop, lr=args.lr,
                         adv_weight=args.adv_weight, content_loss=args.content_loss, fm_weight=args.fm_weight,
                         pixel_weight=args.pixel_weight)
    algo.card_info = {"init": str(args.init), "content_loss": algo.content_loss_used,
                      "adversarial_weight": args.adv_weight}
    return algo, (torch.arange(len(source)),), desc


def add_sr_args(p, *, lr: float):
    p.add_argument("--crop", type=int, default=96, help="HR crop size (paper: 96)")
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--blocks", type=int, default=16)
    p.add_argument("--lr", type=float, default=lr, help="Adam learning rate (paper: 1e-4)")


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


def _pix2pix_data(args):
    """(A, B) uint8 pairs and their description, for --task, --data-root or --dry-run."""
    from . import paired_data
    if args.dry_run and not args.data_root:
        if args.task == "colorize":
            from PIL import Image
            from .sr import fake_photos
            photos = [Image.fromarray(p) for p in fake_photos(n=4, size=args.resolution * 2)]
            return (*paired_data.colorize_crops(photos, size=args.resolution, per_photo=8, downscale=1),
                    "fake photos (--dry-run)")
        images, _ = fake_fmnist(64)
        return (*paired_data.edges2clothing(images=images), "fake items (--dry-run)")
    if args.data_root:
        load_size = args.load_size or round(args.resolution * 286 / 256)
        a, b = paired_data.load_ab_folder(args.data_root, "train", load_size=load_size, direction=args.direction,
                                          limit=8 if args.dry_run else None)
        return a, b, (f"{len(a)} AB pairs from {args.data_root}/train ({args.direction}), resized to "
                      f"{load_size}, random {args.resolution} px crops" + (" and flips" if not args.no_flip else ""))
    if args.task == "edges2clothing":
        a, b = paired_data.edges2clothing(train=True)
        return a, b, ("Fashion-MNIST train split (60,000 items) padded to 32x32 (B) and their Canny edge maps "
                      "(A, scikit-image, sigma 1), horizontal flips")
    a, b = paired_data.colorize_train(size=args.resolution, per_photo=args.crops_per_photo)
    return a, b, (f"{len(a)} {args.resolution} px crops of sr/SunHays80 shrunk by 2 ({args.crops_per_photo} per "
                  "photo, seed 0): grey BT.601 luma (A) and colour (B), horizontal flips")


def pix2pix_name(args) -> str:
    source = Path(args.data_root).name if args.data_root else args.task
    return f"{'l1' if args.l1_only else 'pix2pix'}-{source}"


def build_pix2pix(args, runtime):
    from .pix2pix import Pix2Pix, Pix2PixTraining
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
    from .paired_data import short_name
    return f"cyclegan-{short_name(args.classes[0])}-{short_name(args.classes[1])}"


def build_cyclegan(args, runtime):
    from .cyclegan import CycleGAN, CycleGANTraining
    from .paired_data import fmnist_class
    if args.dry_run:
        images, _ = fake_fmnist(64)
        a = b = torch.nn.functional.pad(images, (2, 2, 2, 2)).unsqueeze(1)
    else:
        a, b = fmnist_class(args.classes[0]), fmnist_class(args.classes[1])
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


# name -> (default checkpoint name, add_args, build, default steps, default batch size)
MODELS = {
    "dcgan": ("dcgan-fmnist", add_dcgan_args, build_dcgan, 6000, 64),
    "classifier": ("fmnist-classifier", add_classifier_args, build_classifier, 3000, 128),
    # the three checkpoints of the "VAE latent map" tab: one network, two presets of (d, β)
    "vae2d": ("vae2d-fmnist", functools.partial(add_vae_args, latent_dim=2, beta=1.0), build_vae, 5000, 128),
    "ae2d": ("ae2d-fmnist", functools.partial(add_vae_args, latent_dim=2, beta=0.0), build_vae, 5000, 128),
    "vae16": ("vae16-fmnist", functools.partial(add_vae_args, latent_dim=16, beta=1.0), build_vae, 5000, 128),
    # the "Super-resolution" tab: SRResNet (MSE), then SRGAN fine-tuned from it
    "srresnet": ("srresnet-x4", functools.partial(add_sr_args, lr=1e-4), build_srresnet, 20000, 16),
    "srgan": ("srgan-x4", add_srgan_args, build_srgan, 5000, 16),
    # the "Image-to-image" tab: pix2pix-<task> / l1-<task> (--l1-only), and CycleGAN
    "pix2pix": ("pix2pix-edges2clothing", add_pix2pix_args, build_pix2pix, 1000, 32),
    "cyclegan": ("cyclegan-sneaker-boot", add_cyclegan_args, build_cyclegan, 1500, 8),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gan_core.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="model", required=True)
    for name, (ckpt, add_args, _, steps, bs) in MODELS.items():
        p = sub.add_parser(name)
        p.add_argument("--steps", type=int, default=steps)
        p.add_argument("--batch-size", type=int, default=bs)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--checkpoint-every", type=int, default=250)
        p.add_argument("--name", default=ckpt, help="checkpoint folder name under checkpoints/")
        p.add_argument("--run-dir", type=Path, default=None, help="run state folder (default runs/<name>)")
        p.add_argument("--fp32", action="store_true", help="disable bf16 autocast / AMP and channels_last")
        p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: best available)")
        p.add_argument("--fresh", action="store_true", help="ignore an existing run state and start over")
        p.add_argument("--download", action="store_true", help="allow downloading the dataset when online")
        p.add_argument("--dry-run", action="store_true", help="a few steps on fake data, no export")
        p.add_argument("--no-export", action="store_true", help="do not write checkpoints/<name>")
        p.add_argument("--export-every", type=int, default=0,
                       help="also export checkpoints/<name> every N steps, so a partial model exists")
        p.add_argument("--set-lr", type=float, default=None, metavar="LR",
                       help="set every optimiser's learning rate to LR, also on a resumed run (whose "
                            "run state otherwise keeps its rate), e.g. to lower it for a final phase")
        add_args(p)
    args = parser.parse_args(argv)
    if args.name is None:  # a name that depends on the options (e.g. pix2pix --task, --l1-only)
        args.name = args.default_name(args)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    _, _, build, _, _ = MODELS[args.model]
    torch.manual_seed(args.seed)
    runtime = get_runtime(fp32=args.fp32 or None, device=args.device)
    if args.dry_run:
        args.steps, args.checkpoint_every = min(args.steps, 4), 2
    run_dir = args.run_dir or (settings.REPO_ROOT / "runs" / (args.name + ("-dry-run" if args.dry_run else "")))
    if args.fresh or args.dry_run:
        shutil.rmtree(run_dir, ignore_errors=True)
    try:
        algo, data, data_desc = build(args, runtime)
    except MissingDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                         checkpoint_every=args.checkpoint_every,
                         extra={k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, bool))})
    print(f"training {args.name} on {runtime.describe()} for {args.steps} steps (run state: {run_dir})")
    t0 = time.time()
    export_model = getattr(algo, "export_model", algo.model)  # e.g. SRGAN exports its generator only

    def export(step: int) -> Path:
        training = {
            "data": data_desc,
            "steps": step,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "hardware": _hardware(runtime),
            "wall_time_this_session_s": round(time.time() - t0),
            "command": "python -m gan_core.train " + " ".join(sys.argv[1:] if argv is None else argv),
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
            **getattr(algo, "card_info", {}),
        }
        # the rate the optimisers hold now: a resumed run keeps its own, and --set-lr changes it
        rates = sorted({g["lr"] for opt in algo.optimizers.values() for g in opt.param_groups})
        training["lr_at_export"] = rates[0] if len(rates) == 1 else rates
        path = models.save(export_model, args.name, training=training)
        runtime.prepare(export_model)  # save() moved it to the CPU, contiguous: training goes on
        return path

    callbacks = []
    if args.export_every and not (args.dry_run or args.no_export):
        callbacks.append(lambda step, logs: export(step) if step % args.export_every == 0 else None)
    try:
        result = Trainer(algo, data, config, run_dir, callbacks=callbacks, lr=args.set_lr).fit()
    except TrainingDivergedError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as err:
        print(f"\ninterrupted: {err}. Run the same command again to resume.", file=sys.stderr)
        return 130
    elapsed = time.time() - t0
    print(f"done: step {result['step']} in {elapsed:.0f} s; last: {result.get('last_logs')}")
    if args.dry_run or args.no_export:
        return 0
    path = export(result["step"])
    print(f"exported {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
