"""Benchmark of the GAN training lab: mode coverage, sample quality and speed on the 2-D sets.

    nice python -m benchmarks.bench_lab --seeds 5 --iters 15000           # presets on ring and grid
    nice python -m benchmarks.bench_lab --presets improved --sets grid25  # one preset, one set
    nice python -m benchmarks.bench_lab --ablation --sets grid25          # one switch on at a time
    nice python -m benchmarks.bench_lab --ablation --switches "packing (4)" "learning-rate decay"
    nice python -m benchmarks.bench_lab --ablation --base improved        # improved with one switch changed
    nice python -m benchmarks.bench_lab --presets improved --seeds 2 --first-seed 3 --jsonl runs/lab.jsonl
    python -m benchmarks.bench_lab --summarise runs/lab.jsonl              # tables of runs split over processes
    python -m benchmarks.bench_lab --speed                                 # it/s and the first frame

Measures (gan_core/lab/metrics.py): on 2500 samples of G, a sample is high quality if it lies within
3σ of its nearest mode, a mode is covered if it is the nearest mode of at least one high-quality
sample (VEEGAN / PacGAN), and the reverse KL is KL(p_G ‖ p_data) on a 50×50 grid.
Every configuration runs the same seeds; each seed fixes the initial weights and the data stream.
``--jsonl FILE`` also appends one line per run (configuration, set, seed, measures) to FILE.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import time

import torch

from gan_core.lab import metrics
from gan_core.lab.sessions import AB
from gan_core.lab.train import PRESET_ITERATIONS, PRESETS, Lab

SWITCHES = ["feature matching", "minibatch discrimination", "historical averaging", "label smoothing",
            "virtual batch norm", "packing (4)", "unrolled D (5)", "learning-rate decay", "average of G's weights",
            "R1 penalty"]


def ablation(base: str, switches: list[str]) -> dict:
    """The preset ``base``, then ``base`` with one switch of ``switches`` changed at a time: turned on
    ("base + switch"), or, where the preset already has it on, turned off ("base − switch")."""
    configs = {base: PRESETS[base]}
    for name in switches:
        field, on, off = AB[name]
        if getattr(PRESETS[base], field) != on:
            configs[f"{base} + {name}"] = dataclasses.replace(PRESETS[base], **{field: on})
        else:
            configs[f"{base} − {name}"] = dataclasses.replace(PRESETS[base], **{field: off})
    return configs


def run(config, iters: int) -> dict:
    lab = Lab(config)
    t0, c0 = time.perf_counter(), time.process_time()
    lab.run(iters)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {**metrics.evaluate(lab.samples().numpy(), lab.data), "its": iters / seconds, "its_cpu": iters / cpu}


def mean_std(values) -> str:
    values = list(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {sd:.1f}"


def row(name: str, results: list[dict]) -> str:
    return (f"| {name} | {mean_std(r['modes'] for r in results)} / {results[0]['n_modes']} | "
            f"{mean_std(100 * r['hq'] for r in results)} | {mean_std(r['reverse_kl'] for r in results)} | "
            f"{statistics.median(r['its'] for r in results):.0f} |")


def table(dataset: str, configs: dict, seeds: int, iters: int, jsonl: str | None = None, first_seed: int = 0) -> None:
    print(f"\n{dataset}, {iters} iterations, seeds {first_seed}-{first_seed + seeds - 1} (mean ± std), "
          f"load average {os.getloadavg()[0]:.1f}:\n")
    print("| configuration | modes covered | high quality % | reverse KL | median it/s |\n|---|---|---|---|---|")
    for name, config in configs.items():
        results = []
        for s in range(first_seed, first_seed + seeds):
            results.append(run(dataclasses.replace(config, dataset=dataset, seed=s), iters))
            if jsonl:
                with open(jsonl, "a") as f:
                    r = {k: v for k, v in results[-1].items() if k != "counts"}
                    f.write(json.dumps({"configuration": name, "dataset": dataset, "seed": s, "iters": iters,
                                        **r, "load": os.getloadavg()[0]}) + "\n")
        print(row(name, results), flush=True)


def speed(frames: int = 20) -> None:
    """Throughput of the play stream itself (training + a frame every ``every`` iterations) and the
    time from pressing play to its first frame, through the tab's own handler.

    The page draws its initial frame when it loads (``demo.load`` -> restart), so "first frame" is
    measured from pressing play on a loaded page; the cold first call of the process is listed too.
    Rates are given by the wall clock and by this process's CPU time: on a shared machine the wall
    clock also counts time the process waited for a core, the CPU time does not.
    """
    from apps import training_lab as tl
    h = tl.make_handlers(max_steps=10**9)
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print("| preset | batch | frame every | it/s incl. frames (wall) | it/s incl. frames (CPU time) | "
          "first frame after play | frame alone |\n|---|---|---|---|---|---|---|")
    cold = None
    for preset in PRESETS:
        values = dict(zip([n for n in tl.NAMES if n not in ("dataset", "points", "seed")], h["preset"](preset)))
        for every in (25, 50):
            v = {**tl.DEFAULTS, **values, "every": every}
            args = [v[n] for n in tl.NAMES]
            t0 = time.perf_counter()
            session, _, _ = h["restart"](None, *args)                    # the page's initial frame
            cold = cold if cold is not None else time.perf_counter() - t0
            t0 = time.perf_counter()
            stream = h["play"](session, *args)
            session, _, _ = next(stream)
            first = time.perf_counter() - t0
            next(stream)
            w1, c1, start = time.perf_counter(), time.process_time(), session.a.g_steps
            for _ in range(frames):
                next(stream)
            done = session.a.g_steps - start
            wall, cpu = done / (time.perf_counter() - w1), done / (time.process_time() - c1)
            stream.close()
            f0 = time.perf_counter()
            for _ in range(5):
                tl.figure(session)
            frame_ms = (time.perf_counter() - f0) / 5 * 1000
            print(f"| {preset} | {v['batch']} | {every} | {wall:.0f} | {cpu:.0f} | {1000 * first:.0f} ms | "
                  f"{frame_ms:.0f} ms |", flush=True)
        bare = Lab(dataclasses.replace(PRESETS[preset]))
        bare.run(50)
        w0, c0 = time.perf_counter(), time.process_time()
        bare.run(1000)
        print(f"| {preset} | training only, 1000 it. | – | {1000 / (time.perf_counter() - w0):.0f} | "
              f"{1000 / (time.process_time() - c0):.0f} | – | – |", flush=True)
    print(f"cold first frame of the process (imports, first calls): {1000 * cold:.0f} ms; "
          f"load average at end: {os.getloadavg()[0]:.1f}")


def summarise(path: str) -> None:
    """Tables from a ``--jsonl`` file, e.g. of seeds run in several processes (the last run of each
    configuration, set, budget and seed counts)."""
    runs = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            runs[r["dataset"], r["iters"], r["configuration"], r["seed"]] = r
    for dataset, iters in dict.fromkeys((d, i) for d, i, _, _ in runs):
        rows = {}
        for (d, i, name, seed), r in runs.items():
            if (d, i) == (dataset, iters):
                rows.setdefault(name, []).append(r)
        print(f"\n{dataset}, {iters} iterations (mean ± std over the seeds listed; it/s: median, wall clock):\n")
        print("| configuration | seeds | modes covered | high quality % | reverse KL | median it/s |\n"
              "|---|---|---|---|---|---|")
        for name, results in rows.items():
            results.sort(key=lambda r: r["seed"])
            seeds = ", ".join(str(r["seed"]) for r in results)
            print(row(name, results).replace(f"| {name} |", f"| {name} | {seeds} |", 1))
        print("\nper seed, modes / high quality %:")
        for name, results in rows.items():
            print(f"- {name}: " + ", ".join(f"{r['modes']}/{100 * r['hq']:.1f}" for r in results))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0, help="number the seeds from here (split runs across processes)")
    p.add_argument("--summarise", metavar="JSONL", help="only print the tables of a --jsonl file")
    p.add_argument("--iters", type=int, default=PRESET_ITERATIONS,
                   help="iterations per run (default: the presets' budget)")
    p.add_argument("--sets", nargs="+", default=["ring8", "grid25"])
    p.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS), metavar="PRESET",
                   help="the presets of the presets table (default: all)")
    p.add_argument("--ablation", action="store_true", help="a preset (--base) + one switch at a time")
    p.add_argument("--base", default="vanilla", choices=list(PRESETS), help="the ablation's preset (default vanilla)")
    p.add_argument("--without-base", action="store_true",
                   help="ablation: leave out the preset's own row (runs are deterministic: the presets table has it)")
    p.add_argument("--jsonl", help="append one line per run to this file")
    p.add_argument("--switches", nargs="+", default=SWITCHES, choices=SWITCHES, metavar="SWITCH",
                   help="the switches of the ablation (default: all)")
    p.add_argument("--speed", action="store_true")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for these MLPs)")
    args = p.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return
    torch.set_num_threads(args.threads)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
    flags = [f for f in ("avx512_bf16", "amx_bf16") if f in cpu]
    print(f"CPU: {model}; {', '.join(flags) or 'no avx512_bf16/amx'}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s), fp32")
    if args.speed:
        speed()
        return
    for dataset in args.sets:
        if args.ablation:
            configs = ablation(args.base, args.switches)
            if args.without_base:
                configs.pop(args.base)
        else:
            configs = {name: PRESETS[name] for name in args.presets}
        table(dataset, configs, args.seeds, args.iters, args.jsonl, args.first_seed)


if __name__ == "__main__":
    main()
