"""Helpers shared by the tabs: grids of items. (Input checks live in ``apps.inputs``.)"""
from __future__ import annotations

import math

import torch
from PIL import Image, ImageDraw

from gan_core.pictures import to_pil


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
