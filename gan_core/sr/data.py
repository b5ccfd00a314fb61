"""Training data for super-resolution: photos cut into aligned (LR, HR) crops, and the
degradation that makes an LR image from an HR one (the test protocol of Ledig et al. 2017).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import pictures
from ..fmnist import MissingDataError


# --- the degradation: HR -> LR ---------------------------------------------------------------

def mod_crop(image: np.ndarray, scale: int = 4) -> np.ndarray:
    """Crop the bottom/right so that height and width are multiples of ``scale``."""
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def downscale(hr: np.ndarray, scale: int = 4) -> np.ndarray:
    """The LR input of the protocol: PIL bicubic with antialiasing (PIL filters downscales)."""
    h, w = hr.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f"{w}x{h} is not a multiple of {scale}: mod_crop it first")
    return np.asarray(Image.fromarray(hr).resize((w // scale, h // scale), Image.BICUBIC))


def upscale_bicubic(lr: np.ndarray, scale: int = 4) -> np.ndarray:
    """The baseline: PIL bicubic interpolation by ``scale``."""
    h, w = lr.shape[:2]
    return np.asarray(Image.fromarray(lr).resize((w * scale, h * scale), Image.BICUBIC))


# --- training crops ----------------------------------------------------------------------------

class PatchSource:
    """Training photos held as aligned (HR, LR) pairs; crops are drawn with a given generator.

    Each photo is mod-cropped to the scale and downscaled once, with the degradation of the
    benchmarks. A crop takes an LR window at (y, x) and the HR window at (scale*y, scale*x), so
    pairs are exactly what the test protocol feeds the network. Random flips and transposes
    (the 8 symmetries of the square) augment them.
    """

    def __init__(self, images: list[np.ndarray], scale: int = 4):
        self.scale = scale
        self.hr = [torch.from_numpy(mod_crop(im, scale).copy()).permute(2, 0, 1) for im in images]   # (3, H, W) u8
        self.lr = [torch.from_numpy(downscale(mod_crop(im, scale)).copy()).permute(2, 0, 1) for im in images]

    def __len__(self) -> int:
        return len(self.hr)

    def crops(self, indices: torch.Tensor, hr_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices ``(B,)`` -> LR ``(B, 3, hr_size/scale, ...)`` and HR ``(B, 3, hr_size, hr_size)`` in [0, 1]."""
        s, lr_size = self.scale, hr_size // self.scale
        lrs, hrs = [], []
        for i in indices.tolist():
            lr_img, hr_img = self.lr[i], self.hr[i]
            h, w = lr_img.shape[1:]
            if h < lr_size or w < lr_size:
                raise ValueError(f"training image {i} ({w * s}x{h * s}) is smaller than the {hr_size} px crop")
            y = int(torch.randint(0, h - lr_size + 1, (1,), generator=gen))
            x = int(torch.randint(0, w - lr_size + 1, (1,), generator=gen))
            lr_c = lr_img[:, y:y + lr_size, x:x + lr_size]
            hr_c = hr_img[:, s * y:s * (y + lr_size), s * x:s * (x + lr_size)]
            flip_h, flip_v, transpose = torch.randint(0, 2, (3,), generator=gen).tolist()
            for cond, op in ((flip_h, lambda t: t.flip(-1)), (flip_v, lambda t: t.flip(-2)),
                             (transpose, lambda t: t.transpose(-1, -2))):
                if cond:
                    lr_c, hr_c = op(lr_c), op(hr_c)
            lrs.append(lr_c)
            hrs.append(hr_c)
        return torch.stack(lrs).float().div(255), torch.stack(hrs).float().div(255)


def load_photos(folder: str | Path, min_side: int = 96) -> list[np.ndarray]:
    """Every photo in ``folder`` as ``(H, W, 3) uint8``, sorted by name (for determinism)."""
    try:
        return pictures.load_photos(folder, min_side)
    except FileNotFoundError:
        raise MissingDataError(f"no training photos in {folder}; set GAN_SUITE_SHARED_DATA to the folder "
                               "holding sr/SunHays80 (see README, 'Tab: Super-resolution')") from None
