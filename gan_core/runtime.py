"""Where models run, and in which precision.

* CUDA present  -> the GPU, with fp16/bf16 autocast (AMP).
* CPU with bf16 -> ``torch.autocast("cpu", torch.bfloat16)`` plus ``channels_last`` memory
  format: on CPUs with AMX / AVX512-BF16 this is several times faster than fp32
  (measured figures are in BENCHMARKS.md).
* ``fp32=True`` (or ``GAN_SUITE_FP32=1``) switches both tricks off.
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

import torch

from . import settings


@functools.lru_cache(maxsize=1)
def cpu_supports_bf16() -> bool:
    """True when this CPU has native bf16 matmul (AMX or AVX512-BF16)."""
    # Without these instructions bf16 is emulated and slower than fp32 (measured on an
    # AVX2-only AMD EPYC: see BENCHMARKS.md), so the fast path must not be switched on blindly.
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:  # pragma: no cover - non-Linux
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass(frozen=True)
class Runtime:
    """A device plus the precision policy used on it."""

    device: torch.device
    dtype: torch.dtype | None  # autocast dtype, or None for plain fp32
    channels_last: bool

    @property
    def fast(self) -> bool:
        return self.dtype is not None

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def prepare(self, module: torch.nn.Module) -> torch.nn.Module:
        module = module.to(self.device)
        if self.channels_last and getattr(module, "channels_last", True):  # a model may opt out (measured slower)
            module = module.to(memory_format=torch.channels_last)
        return module

    def tensor(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def describe(self) -> str:
        if self.device.type == "cuda":
            name = torch.cuda.get_device_name(self.device)
        else:
            name = f"CPU ({torch.get_num_threads()} threads)"
        mode = f"{str(self.dtype).replace('torch.', '')} autocast" if self.dtype else "fp32"
        return f"{name}, {mode}{' + channels_last' if self.channels_last else ''}"


def get_runtime(fp32: bool | None = None, device: str | None = None) -> Runtime:
    """Pick the best runtime: CUDA+AMP, else CPU bf16+channels_last, else CPU fp32."""
    if fp32 is None:
        fp32 = settings.force_fp32()
    dev = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if fp32:
        return Runtime(dev, None, False)
    if dev.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return Runtime(dev, dtype, True)
    if cpu_supports_bf16():
        return Runtime(dev, torch.bfloat16, True)
    return Runtime(dev, None, False)
