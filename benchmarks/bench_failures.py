"""The Failure gallery's live figures and their cost on this machine (BENCHMARKS.md, "Failure gallery").

    python -m benchmarks.bench_failures              # every live case, structure, far-from-the-data, memorisation
    python -m benchmarks.bench_failures --only cycling --seeds 5    # one case; the cycling case over seeds 0-4

Prints one JSON object: for each live case its wall time and its figures, the global-structure
measures of the shipped DCGAN against real test items, every far-from-the-data row beside its
in-distribution reference, and the nearest-neighbour distances of 8 samples.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

import gan_core
from gan_core.failures import far, live


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - t0, 2)


def cycling(seed: int) -> dict:
    r, s = timed(live.run, "cycling", seed=seed)
    return {"seed": seed, "wall_s": s, "mode_hops": live.mode_hops(r["shares"]), "held": r["held"],
            "frames": len(r["shares"]), "distinct_modes_held": len(set(r["held"]))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_failures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["cycling"], help="run only this case")
    parser.add_argument("--seeds", type=int, default=1, help="seeds of the cycling case (0 .. N-1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out: dict = {}
    if args.only == "cycling":
        print(json.dumps({"cycling": [cycling(seed) for seed in range(args.seeds)]}, indent=1))
        return
    r, s = timed(live.run, "strong_d")
    won = [x for x in r["records"] if x["d_accuracy"] >= 0.9]
    out["strong_d"] = {"wall_s": s, "iterations_with_d_accuracy_ge_0.9": f"{len(won)}/{len(r['records'])}",
                       "median_grad_ratio_there": float(np.median([x["grad_nonsaturating"] / max(x["grad_saturating"], 1e-12)
                                                                   for x in won]))}
    r, s = timed(live.run, "weak_d")
    out["weak_d"] = {"wall_s": s, "weak": r["weak"], "balanced": r["balanced"]}
    out["cycling"] = [cycling(seed) for seed in range(args.seeds)]
    r, s = timed(live.dirac, steps=400, lr=0.1)
    out["dirac"] = {"wall_s": s, "simultaneous": r["simultaneous_final_distance"],
                    "alternating": r["alternating_final_distance"]}
    name = gan_core.FAILURES["structure"][0]
    items, s = timed(gan_core.generate, name, 1000, 0)
    fig, s2 = timed(gan_core.structure_figures, items, gan_core.judge_probabilities(items))
    out["structure"] = {"generated": fig, "real": gan_core.real_structure(), "wall_s": round(s + s2, 2)}
    rows, s = timed(far.far_table)
    out["far"] = {"wall_s": s, "rows": [{k: v for k, v in row.items() if k != "output"} for row in rows]}
    (near, dist), s = timed(gan_core.nearest_training_items, gan_core.generate(name, 8, 0))
    out["memorisation"] = {"wall_s": s, "distances": [round(float(d), 2) for d in dist]}
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
