"""Super-resolution behind the Python API and the "Super-resolution" tab.

    >>> import gan_core
    >>> hr = gan_core.super_resolve(pil_image, method="srgan")   # PIL in, PIL 4x larger out

Networks run tile by tile: each tile of ``tile`` LR pixels is processed with ``overlap`` pixels
of context on every side and only its centre is kept, so memory is bounded by the tile size
while the result matches a whole-image pass (to within the influence of context beyond the
overlap, which is tiny: see tests/test_sr.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from PIL import Image

from .. import checkpoints, pictures, settings
from ..registry import SR_METHODS
from ..runtime import Runtime, get_runtime
from . import metrics
from .data import downscale, mod_crop, upscale_bicubic

METHODS = tuple(SR_METHODS)
MAX_INPUT_PIXELS = 512 * 512   # LR pixels: a 512x512 input becomes 2048x2048
TILE, OVERLAP = 128, 24        # LR pixels; the overlap covers most of SRResNet's receptive field

Progress = Callable[[float, str], None]  # (fraction done, description)


class ImageTooLargeError(ValueError):
    """The input exceeds ``MAX_INPUT_PIXELS``."""


def check_size(width: int, height: int, max_pixels: int = MAX_INPUT_PIXELS) -> None:
    if width * height > max_pixels:
        side = int(max_pixels ** 0.5)
        raise ImageTooLargeError(
            f"The input is {width}x{height} px; super-resolution accepts at most {max_pixels:,} input pixels "
            f"(e.g. {side}x{side}). Crop or downscale the image first.")


@torch.no_grad()
def upscale_tensor(model: torch.nn.Module, lr: torch.Tensor, runtime: Runtime, *, tile: int | None = TILE,
                   overlap: int = OVERLAP, progress: Progress | None = None) -> torch.Tensor:
    """LR ``(1, 3, h, w)`` in [0, 1] -> SR ``(1, 3, s*h, s*w)`` float32 on the CPU (unclamped).

    ``tile=None`` (or 0) runs the whole image at once.
    """
    s = model.scale
    _, c, h, w = lr.shape
    tile = tile or max(h, w)
    out = torch.empty(1, c, s * h, s * w)
    boxes = [(y0, x0) for y0 in range(0, h, tile) for x0 in range(0, w, tile)]
    for k, (y0, x0) in enumerate(boxes):
        y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
        # 1. cut the tile with its context (the image's own border is zero-padded, as in a whole pass)
        py0, px0, py1, px1 = max(y0 - overlap, 0), max(x0 - overlap, 0), min(y1 + overlap, h), min(x1 + overlap, w)
        patch = runtime.tensor(lr[..., py0:py1, px0:px1])
        # 2. run the network: (1, 3, th, tw) -> (1, 3, s*th, s*tw)
        with runtime.autocast():
            sr = model(patch).float().cpu()
        # 3. keep the centre
        oy, ox = s * (y0 - py0), s * (x0 - px0)
        out[..., s * y0:s * y1, s * x0:s * x1] = sr[..., oy:oy + s * (y1 - y0), ox:ox + s * (x1 - x0)]
        if progress is not None:
            progress((k + 1) / len(boxes), f"tile {k + 1}/{len(boxes)}")
    return out


_missing: dict[str, str] = {}  # checkpoint -> message, so a missing model is not re-fetched per request


def _load(name: str, runtime: Runtime) -> torch.nn.Module:
    """``checkpoints.load``, remembering a failed fetch until the checkpoint appears on disk."""
    if name in _missing and not (checkpoints.checkpoint_path(name) / "model.safetensors").exists():
        raise checkpoints.MissingCheckpointError(_missing[name])
    try:
        return checkpoints.load(name, runtime)
    except checkpoints.MissingCheckpointError as err:
        _missing[name] = str(err)
        raise


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb)).permute(2, 0, 1).unsqueeze(0).float().div(255)   # (H, W, 3) u8 -> (1, 3, H, W)


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x[0].clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).numpy()       # (1, 3, H, W) -> (H, W, 3) u8


def upscale_array(lr: np.ndarray, method: str = "srresnet", *, runtime: Runtime | None = None,
                  tile: int | None = TILE, overlap: int = OVERLAP,
                  progress: Progress | None = None) -> np.ndarray:
    """``(h, w, 3) uint8`` -> ``(4h, 4w, 3) uint8`` with ``method`` (raises MissingCheckpointError)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "bicubic":
        return upscale_bicubic(lr, 4)
    runtime = runtime or get_runtime()
    model = _load(SR_METHODS[method][0], runtime)
    return _to_uint8(upscale_tensor(model, _to_tensor(lr), runtime, tile=tile, overlap=overlap, progress=progress))


def super_resolve(image: Image.Image, method: str = "srresnet", scale: int = 4, *,
                  runtime: Runtime | None = None, tile: int | None = TILE, overlap: int = OVERLAP,
                  max_pixels: int = MAX_INPUT_PIXELS) -> Image.Image:
    """Upscale a PIL image ×4 with "bicubic", "srresnet" or "srgan"; returns an RGB PIL image.

    The networks were trained for ×4 only. Inputs above ``max_pixels`` raise ImageTooLargeError;
    a missing checkpoint raises ``checkpoints.MissingCheckpointError`` with the command that fixes it.
    """
    if scale != 4:
        raise ValueError(f"only scale=4 is available (the networks are x4), got {scale}")
    check_size(*image.size, max_pixels=max_pixels)
    out = upscale_array(pictures.as_rgb(image), method, runtime=runtime, tile=tile, overlap=overlap)
    return Image.fromarray(out)


def available_methods() -> dict[str, str | None]:
    """method -> None if it can run here, else the message saying why not (e.g. not trained yet)."""
    status: dict[str, str | None] = {"bicubic": None}
    for method, (name, label) in SR_METHODS.items():
        if name is None:
            continue
        try:
            checkpoints.require(name)  # the files are there (or fetched); the weights load on first use
            status[method] = None
        except checkpoints.MissingCheckpointError as err:
            status[method] = f"{label} is not trained yet. {err}"
    return status


@dataclass
class Comparison:
    """Everything the tab shows for one input."""

    mode: str                                   # "simulate" or "upscale"
    lr: np.ndarray                              # the network input (h, w, 3)
    original: np.ndarray | None                 # the ground truth (4h, 4w, 3), "simulate" only
    outputs: dict[str, np.ndarray | None] = field(default_factory=dict)   # method -> (4h, 4w, 3)
    notes: dict[str, str] = field(default_factory=dict)                   # method -> why no output
    scores: dict[str, metrics.Scores] = field(default_factory=dict)    # method -> PSNR/SSIM/sharpness


def compare(image: np.ndarray | Image.Image, mode: str = "simulate", methods=METHODS, *,
            runtime: Runtime | None = None, progress: Progress | None = None,
            max_pixels: int = MAX_INPUT_PIXELS) -> Comparison:
    """Run every method on one image.

    ``mode="simulate"``: the image is the ground truth; it is cropped to a multiple of 4 and
    downscaled ×4 (PIL bicubic, antialiased), and each output is scored against it with the
    paper's protocol. ``mode="upscale"``: the image itself is upscaled; there is nothing to score.
    """
    rgb = pictures.as_rgb(image)
    # 1. the input of the networks
    if mode == "simulate":
        original = mod_crop(rgb, 4)
        if min(original.shape[:2]) < 16:
            raise ValueError(f"the image ({rgb.shape[1]}x{rgb.shape[0]}) is too small to downscale x4")
        lr = downscale(original, 4)
    elif mode == "upscale":
        original, lr = None, rgb
    else:
        raise ValueError(f"mode must be 'simulate' or 'upscale', got {mode!r}")
    check_size(lr.shape[1], lr.shape[0], max_pixels)
    result = Comparison(mode, lr, original)
    # 2. every method, with progress spread over the networks' tiles
    for i, method in enumerate(methods):
        def sub(frac, desc, i=i, method=method):
            if progress is not None:
                progress((i + frac) / len(methods), f"{SR_METHODS[method][1]}: {desc}")
        sub(0.0, "starting")
        try:
            result.outputs[method] = upscale_array(lr, method, runtime=runtime, progress=sub)
        except checkpoints.MissingCheckpointError as err:
            result.outputs[method] = None
            result.notes[method] = f"{SR_METHODS[method][1]} is not trained yet. {err}"
            continue
        # 3. the paper's metrics, against the known original
        if original is not None:
            result.scores[method] = metrics.score(result.outputs[method], original, 4)
    if progress is not None:
        progress(1.0, "done")
    return result


EXAMPLES = ("astronaut", "chelsea", "coffee", "rocket")


def example_images() -> list[str]:
    """scikit-image's bundled photos, written once as PNG under the data cache (paths returned)."""
    from skimage import data

    folder = settings.data_cache_dir() / "sr_examples"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in EXAMPLES:
        path = folder / f"{name}.png"
        if not path.exists():
            Image.fromarray(pictures.as_rgb(getattr(data, name)())).save(path)
        paths.append(str(path))
    return paths
