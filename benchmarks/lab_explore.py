"""Exploration of 2-D lab configurations: train, and measure the current G and an average of its weights.

    python -m benchmarks.lab_explore ITERS EVERY CONFIG...
    python -m benchmarks.lab_explore 15000 2500 '{"dataset": "grid25", "g_layers": 4, "g_units": 128, "d_layers": 4, "d_units": 128, "pack": 2, "seed": 1}'

Each CONFIG is JSON: ``LabConfig`` fields over a preset (``"base"``, default "vanilla"), and ``"ema"``,
the decay of the exponential moving average of G's weights (default 0.999). Every EVERY iterations it
prints "modes / high-quality % / share of the most-populated mode / reverse KL" for the current G and
the average, on the benchmark's 2500-sample evaluation (``gan_core.lab.metrics``), followed by the
median distance of a sample to its nearest mode (d50; the data's own is 1.18σ), and at the end the CPU
time per iteration. BENCHMARKS.md, "GAN training lab", has the runs behind the presets.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import sys
import time

import numpy as np
import torch

from gan_core.lab import metrics
from gan_core.lab.train import PRESETS, Lab


def evaluate(G, lab: Lab) -> str:
    with torch.no_grad():
        pts = G(lab.noise(2500, torch.Generator().manual_seed(987654))).numpy()
    m = metrics.evaluate(pts, lab.data)
    top = m["counts"].max() / 2500
    d50 = np.median(np.linalg.norm(pts[:, None, :] - lab.data.modes[None], axis=2).min(1))
    return f"{m['modes']}/{100 * m['hq']:.0f}%/top{100 * top:.0f}/kl{m['reverse_kl']:.2f}/d50 {d50:.3f}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 3:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    iters, every = int(argv[0]), int(argv[1])
    for spec in argv[2:]:
        over = json.loads(spec)
        base = PRESETS[over.pop("base", "vanilla")]
        beta = over.pop("ema", 0.999)
        lab = Lab(dataclasses.replace(base, **over))
        ema = copy.deepcopy(lab.G)
        ema_params = list(ema.parameters())
        print("START", spec, flush=True)
        t0 = time.process_time()
        for t in range(1, iters + 1):
            lab.run(1)
            with torch.no_grad():
                torch._foreach_lerp_(ema_params, lab.g_params, 1 - beta)
            if t % every == 0:
                print(f"    {t}: {evaluate(lab.G, lab)} ema {evaluate(ema, lab)} "
                      f"cpu {time.process_time() - t0:.0f}s", flush=True)
        print(spec, f"{1000 * (time.process_time() - t0) / iters:.1f} ms/it", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
