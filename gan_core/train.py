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
    python -m gan_core.train ddpm --export-every 1000     # denoising diffusion (diffusers U-Net)
    python -m gan_core.train counting                     # the Failure gallery's GANs: also perspective, imbalance, collapse
    python -m gan_core.train nextframe-mse                # next-frame U-Net; also nextframe-gdl, nextframe-adv
    torchrun --nproc_per_node=4 -m gan_core.train dcgan   # data-parallel on 4 GPUs (README, 'Training on
                                                          # several GPUs or machines'); --batch-size is global
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import torch

from . import checkpoints, distributed, settings
from .diffusion.train import COMMANDS as DIFFUSION_COMMANDS
from .failures.train import COMMANDS as FAILURE_COMMANDS
from .fmnist import MissingDataError
from .gan.train import COMMANDS as GAN_COMMANDS
from .img2img.train import COMMANDS as IMG2IMG_COMMANDS
from .judge.train import COMMANDS as JUDGE_COMMANDS
from .registry import TRAIN_COMMANDS
from .runtime import get_runtime
from .sr.train import COMMANDS as SR_COMMANDS
from .trainer import Trainer, TrainConfig, TrainingDivergedError
from .vae.train import COMMANDS as VAE_COMMANDS
from .video.train import COMMANDS as VIDEO_COMMANDS


def _hardware(runtime) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{runtime.describe()}; {cpu}, {os.cpu_count()} cores"


# command -> (add_args, build, default steps, default batch size); each family's train.py lists its
# own commands, and registry.TRAIN_COMMANDS the checkpoint each one writes by default
MODELS = {**JUDGE_COMMANDS, **GAN_COMMANDS, **VAE_COMMANDS, **SR_COMMANDS, **IMG2IMG_COMMANDS,
          **DIFFUSION_COMMANDS, **VIDEO_COMMANDS, **FAILURE_COMMANDS}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gan_core.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="model", required=True)
    for name, (add_args, _, steps, bs) in MODELS.items():
        ckpt = TRAIN_COMMANDS[name]
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
        p.add_argument("--average-last", type=int, default=1, metavar="K",
                       help="with --export-every: each export holds the mean of the weights at the last K "
                            "exports (kept in <run dir>/exports), which smooths a GAN's oscillations")
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
    world = distributed.init(args.device)  # rank 0 of 1 unless started by torchrun
    try:
        return _main(args, argv, world)
    finally:
        if world.size > 1:
            torch.distributed.destroy_process_group()


def _main(args, argv, world: distributed.World) -> int:
    _, build, _, _ = MODELS[args.model]
    if args.batch_size % world.size:
        print(f"error: --batch-size {args.batch_size} is the global batch, shared by the {world.size} processes: "
              f"make it a multiple of {world.size}", file=sys.stderr)
        return 2
    if args.average_last > 1 and not args.export_every:  # refused before any data is read
        print("error: --average-last needs --export-every (the steps whose weights are averaged)", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    runtime = get_runtime(fp32=args.fp32 or None, device=args.device or distributed.default_device())
    if args.dry_run:
        args.steps, args.checkpoint_every = min(args.steps, 4), 2
    run_dir = args.run_dir or (settings.REPO_ROOT / "runs" / (args.name + ("-dry-run" if args.dry_run else "")))
    if (args.fresh or args.dry_run) and world.main:
        shutil.rmtree(run_dir, ignore_errors=True)
    try:
        # rank 0 builds first (it may download or cache the data), then the others read it
        if world.size > 1 and not world.main:
            torch.distributed.barrier()
        try:
            algo, data, data_desc = build(args, runtime)
        finally:
            if world.size > 1 and world.main:
                torch.distributed.barrier()
    except MissingDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    config = TrainConfig(steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                         checkpoint_every=args.checkpoint_every,
                         extra={k: v for k, v in vars(args).items() if isinstance(v, (int, float, str, bool))})
    if world.main:
        where = runtime.describe() + (f", {world.size} processes" if world.size > 1 else "")
        print(f"training {args.name} on {where} for {args.steps} steps (run state: {run_dir})")
    t0 = time.time()
    launcher = f"torchrun ({world.size} processes)" if world.size > 1 else "python"
    export_model = getattr(algo, "export_model", algo.model)  # e.g. SRGAN exports its generator only

    def export(step: int) -> Path:
        training = {
            "data": data_desc,
            "steps": step,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "hardware": _hardware(runtime),
            "wall_time_this_session_s": round(time.time() - t0),
            "command": launcher + " -m gan_core.train " + " ".join(sys.argv[1:] if argv is None else argv),
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
            **getattr(algo, "card_info", {}),
        }
        if world.size > 1:  # batch_size above is the global batch, shared by these processes
            training["processes"] = world.size
        # the rate the optimisers hold now: a resumed run keeps its own, and --set-lr changes it
        rates = sorted({g["lr"] for opt in algo.optimizers.values() for g in opt.param_groups})
        training["lr_at_export"] = rates[0] if len(rates) == 1 else rates
        if hasattr(algo, "before_export"):  # e.g. next-frame G re-estimates its BatchNorm statistics
            algo.before_export()
        live = None
        if args.average_last > 1:
            live = {k: v.detach().clone() for k, v in export_model.state_dict().items()}
            steps = checkpoints.keep_snapshot(live, run_dir / "exports", step)[-args.average_last:]
            export_model.load_state_dict(checkpoints.average_state(
                [checkpoints.read_snapshot(run_dir / "exports", s) for s in steps]))
            training["weights"] = (f"the mean of the weights at steps {', '.join(map(str, steps))} "
                                   f"(--average-last {args.average_last})")
        path = checkpoints.save(export_model, args.name, training=training)
        if live is not None:
            export_model.load_state_dict(live)  # training goes on from its own weights
        runtime.prepare(export_model)  # save() moved it to the CPU, contiguous: training goes on
        return path

    callbacks = []
    if args.export_every and not (args.dry_run or args.no_export) and world.main:
        callbacks.append(lambda step, logs: export(step) if step % args.export_every == 0 else None)
    try:
        result = Trainer(algo, data, config, run_dir, callbacks=callbacks, lr=args.set_lr).fit()
    except TrainingDivergedError as err:  # every rank sees the same (averaged) logs: all stop here
        if world.main:
            print(f"error: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as err:
        if world.main:
            print(f"\ninterrupted: {err}. Run the same command again to resume.", file=sys.stderr)
        return 130
    elapsed = time.time() - t0
    if not world.main:  # rank 0 alone reports and exports
        return 0
    print(f"done: step {result['step']} in {elapsed:.0f} s; last: {result.get('last_logs')}")
    if args.dry_run or args.no_export:
        return 0
    path = export(result["step"])
    print(f"exported {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
