"""Helpers shared by the tabs: tensors to pictures, input checks that raise readable errors."""
from __future__ import annotations

import math

import gradio as gr
import numpy as np
import torch
from PIL import Image, ImageDraw


def to_pil(img: torch.Tensor, scale: int = 1) -> Image.Image:
    """``(C, H, W)`` in [0, 1] -> PIL image, optionally enlarged with nearest-neighbour pixels."""
    arr = (img.detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy())
    pil = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    return pil


def grid(images: torch.Tensor, nrow: int | None = None, *, scale: int = 3, pad: int = 2,
         numbered: bool = False) -> Image.Image:
    """``(N, C, H, W)`` in [0, 1] -> one PIL image, ``nrow`` per row, optional index labels."""
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    cell_h, cell_w = h * scale + pad, w * scale + pad
    canvas = Image.new("RGB", (nrow * cell_w + pad, rows * cell_h + pad), (40, 40, 48))
    draw = ImageDraw.Draw(canvas)
    for i in range(n):
        r, col = divmod(i, nrow)
        x0, y0 = pad + col * cell_w, pad + r * cell_h
        canvas.paste(to_pil(images[i], scale).convert("RGB"), (x0, y0))
        if numbered:
            label = str(i)
            box = draw.textbbox((x0 + 2, y0 + 1), label)
            draw.rectangle((box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1), fill=(20, 20, 90))
            draw.text((x0 + 2, y0 + 1), label, fill=(255, 230, 80))
    return canvas


def check_int(value, name: str, low: int, high: int) -> int:
    """Coerce an API/slider value to int within [low, high] or raise a gr.Error saying why."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a whole number between {low} and {high}, got {value!r}.") from None
    if not math.isfinite(v) or v != int(v) or not low <= v <= high:
        raise gr.Error(f"{name} must be a whole number between {low} and {high}, got {value!r}.")
    return int(v)


def as_numpy(img: Image.Image) -> np.ndarray:
    return np.asarray(img)
