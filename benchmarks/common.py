"""Timing helpers for the benchmark scripts (medians of repeated runs, machine description)."""
from __future__ import annotations

import platform
import statistics
import time

import torch


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{cpu}, {torch.get_num_threads()} threads{gpu}, torch {torch.__version__}"


def median_time(fn, repeats: int = 7, warmup: int = 2) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` in seconds, and all the samples."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def interleaved_medians(fns: dict, repeats: int = 7, warmup: int = 1) -> dict[str, float]:
    """Median wall time in seconds of each ``fns[name]()``, the functions called in turn within each
    repeat so that machine noise hits all of them alike (their ratio is then measured in one run)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in samples.items()}
