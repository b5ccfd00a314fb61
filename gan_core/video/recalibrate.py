"""Re-estimate a shipped next-frame generator's BatchNorm statistics and save them into its checkpoint.

    python -m gan_core.video.recalibrate nextframe-adv --batches 50

The running averages a BatchNorm layer keeps during training trail weights that move fast, as an
adversarially trained generator's do; at test time the layer then normalises with statistics of
older weights (BENCHMARKS.md, "Next-frame prediction": 18.7 dB at h = 1 with them, 23.1 dB with
re-estimated ones). Training now re-estimates them before each export of ``nextframe-adv``
(``--recalibrate-bn``); this command does the same for a checkpoint exported before that. The
weights are unchanged; the card records what was done, and the model's figures are dropped from
its card until ``python -m gan_core.video.evaluate --write`` measures them again.
"""
from __future__ import annotations

import argparse
import json

from .. import checkpoints
from ..fmnist import fashion_mnist
from ..registry import NEXT_FRAME
from ..runtime import get_runtime
from .nextframe import NextFrame, recalibrate_batchnorm
from .train import recalibrated_note


def recalibrate_checkpoint(name: str, batches: int = 50, batch_size: int = 64, seed: int = 0) -> dict:
    """Rewrite ``checkpoints/<name>`` with re-estimated statistics; returns the largest change of
    any running mean and variance (a record of what moved)."""
    path = checkpoints.require(name)
    model = NextFrame.from_pretrained(str(path), strict=True)             # fp32, not the shared cached copy
    model = get_runtime(fp32=True).prepare(model)
    before = {k: v.clone() for k, v in model.generator.state_dict().items() if k.endswith(("running_mean", "running_var"))}
    recalibrate_batchnorm(model, fashion_mnist(train=True)[0], batches, batch_size, seed)
    after = model.generator.state_dict()
    change = {kind: max(float((after[k] - v).abs().max()) for k, v in before.items() if k.endswith(kind))
              for kind in ("running_mean", "running_var")}
    training = checkpoints.read_json(name, "training.json")
    training["batchnorm_statistics"] = (recalibrated_note(batches, batch_size) + " (`python -m "
                                        f"gan_core.video.recalibrate {name} --batches {batches}`)")
    checkpoints.save(model.eval(), name, training=training)              # the old figures no longer apply
    checkpoints.clear_cache()
    return change


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m gan_core.video.recalibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", choices=[ckpt for ckpt, _ in NEXT_FRAME.values()])
    p.add_argument("--batches", type=int, default=50, help="training batches of 64 clips")
    args = p.parse_args(argv)
    if args.batches < 1:
        p.error("--batches must be at least 1")
    print(json.dumps({"largest change": recalibrate_checkpoint(args.name, args.batches)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
