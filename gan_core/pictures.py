"""Every picture that enters the suite passes through here: uploads, drawings, photo folders.

One loader (``open_picture``) turns a file, bytes, a PIL image or an array into an 8-bit RGB or
RGBA PIL image, or raises ``PictureError`` with a one-line message a user can act on:

* EXIF orientation applied; palette, CMYK, grey+alpha converted; 16-bit and 32-bit integer
  images scaled by their bit depth, float images by their range ([0, 1] or [0, 255]);
* animated images: the first frame, with a note saying so;
* limits: an empty, truncated or unreadable file, a decompression bomb, or more pixels than
  the caller accepts are refused before any model runs.

The conversions the tabs share are written once below: alpha flattening, BT.601 luma, the
"item" rule that makes any drawing or photo of one object look like a Fashion-MNIST item
(light item on black, cropped to its content, fitted into the 28x28 frame), and photo folders.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

# ITU-R BT.601 luma weights, the ones PIL's "L" conversion uses
LUMA = (0.299, 0.587, 0.114)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MAX_FILE_PIXELS = 40_000_000  # anything larger is treated as a decompression bomb, never decoded
ITEM_THRESHOLD = 0.1          # grey level above which a pixel belongs to the item (crop to content)


class PictureError(ValueError):
    """A picture the suite cannot use; the message says what was wrong and what is accepted."""


@dataclass
class Picture:
    """A decoded picture and what the loader noticed on the way (shown to the user)."""

    image: Image.Image                                 # mode "RGB" or "RGBA", 8 bits per channel
    notes: list[str] = field(default_factory=list)


def _scale_to_u8(image: Image.Image, notes: list[str]) -> Image.Image:
    """16/32-bit integer and float images -> 8-bit "L" (by bit depth, or by value range)."""
    arr = np.asarray(image)
    if image.mode == "F":
        finite = arr[np.isfinite(arr)]
        if finite.size == 0:
            raise PictureError("The image holds no finite pixel values (all NaN or infinite).")
        lo, hi = float(finite.min()), float(finite.max())
        scale = 255.0 if hi <= 1.0 and lo >= 0.0 else 1.0
        if scale == 1.0 and (lo < 0 or hi > 255):
            notes.append(f"float pixels in [{lo:.3g}, {hi:.3g}] were stretched to 0-255")
            arr, scale = (arr - lo) / max(hi - lo, 1e-12), 255.0
        out = np.nan_to_num(arr * scale, nan=0.0, posinf=255.0, neginf=0.0)
    else:  # "I;16*" or "I": integers
        hi = int(arr.max()) if arr.size else 0
        bits = 16 if image.mode.startswith("I;16") or hi <= 65535 else 32
        out = arr.astype(np.float64) * (255.0 / (2 ** bits - 1)) if hi > 255 or bits == 16 else arr
        if image.mode.startswith("I;16") or hi > 255:
            notes.append(f"{bits}-bit pixels were scaled to 8 bits")
    return Image.fromarray(np.clip(np.round(out), 0, 255).astype(np.uint8), mode="L")


def _normalise(image: Image.Image, notes: list[str]) -> Image.Image:
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        notes.append(f"animated image: only its first of {image.n_frames} frames is used")
        image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _scale_to_u8(image, notes)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA")
    return image.convert("RGB")  # L, 1, P, CMYK, YCbCr, LAB, HSV -> RGB


def open_picture(source, *, max_pixels: int | None = None, min_side: int = 1, what: str = "image") -> Picture:
    """A path, bytes, PIL image or ``(H, W[, C])`` array -> ``Picture`` (8-bit RGB/RGBA), or PictureError.

    ``max_pixels`` bounds width x height (the message names the limit); ``min_side`` refuses
    slivers whose shorter side is below it.
    """
    notes: list[str] = []
    if source is None:
        raise PictureError(f"No {what} was given: upload or draw one first.")
    if isinstance(source, np.ndarray):
        source = _array_to_image(source)
    if isinstance(source, (str, Path, bytes, bytearray)):
        data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
        if not data:
            raise PictureError(f"The {what} file is empty (0 bytes).")
        image = _decode(data, what)
    elif isinstance(source, Image.Image):
        image = source
    else:
        raise PictureError(f"Expected an {what} (a file or a picture), got {type(source).__name__}.")
    w, h = image.size
    if w * h > MAX_FILE_PIXELS:
        raise PictureError(f"The {what} is {w}x{h} pixels; the suite opens at most {MAX_FILE_PIXELS // 10**6} "
                           "megapixels. Shrink it first.")
    if max_pixels is not None and w * h > max_pixels:
        side = int(max_pixels ** 0.5)
        raise PictureError(f"The {what} is {w}x{h} pixels; this demo accepts at most {max_pixels:,} pixels "
                           f"(about {side}x{side}). Crop or shrink it first.")
    if min(w, h) < min_side:
        raise PictureError(f"The {what} is {w}x{h} pixels; this demo needs at least {min_side} pixels on each side.")
    try:
        image = _normalise(image, notes)
    except PictureError:
        raise  # already a user's message
    except (OSError, ValueError, SyntaxError) as err:
        raise PictureError(f"The {what} could not be decoded ({_short(err)}); use a PNG or JPEG file.") from None
    return Picture(image, notes)


def _decode(data: bytes, what: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            w, h = image.size
            if w * h > MAX_FILE_PIXELS:
                raise PictureError(f"The {what} declares {w}x{h} pixels; the suite opens at most "
                                   f"{MAX_FILE_PIXELS // 10**6} megapixels (decompression bombs are refused).")
            image.load()
        except PictureError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PictureError(f"The {what} declares too many pixels to decode safely (a decompression bomb?); "
                               f"the suite opens at most {MAX_FILE_PIXELS // 10**6} megapixels.") from None
        except Image.UnidentifiedImageError:
            raise PictureError(f"The {what} is not a picture PIL can read; use a PNG, JPEG, WebP, BMP, GIF "
                               "or TIFF file.") from None
        except (OSError, ValueError, SyntaxError, EOFError) as err:
            raise PictureError(f"The {what} file is damaged or truncated ({_short(err)}).") from None
    return image


def _short(err: Exception, limit: int = 60) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _array_to_image(arr: np.ndarray) -> Image.Image:
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or 0 in a.shape:
        raise PictureError(f"Expected a picture of shape (H, W), (H, W, 3) or (H, W, 4), got {a.shape}.")
    if a.dtype == np.uint8:
        return Image.fromarray(a)
    if a.dtype == bool:
        return Image.fromarray(a.astype(np.uint8) * 255)
    a = a.astype(np.float64)
    finite = a[np.isfinite(a)]
    hi = float(finite.max()) if finite.size else 0.0
    scale = 255.0 if hi <= 1.0 else (255.0 / 65535 if hi > 255 else 1.0)
    return Image.fromarray(np.clip(np.round(np.nan_to_num(a) * scale), 0, 255).astype(np.uint8))


# --- conversions -------------------------------------------------------------------------------

def flatten(image: Image.Image, background: int = 255) -> Image.Image:
    """RGB(A) -> RGB, transparent pixels composited over a ``background`` grey level."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        canvas = Image.new("RGBA", image.size, (background,) * 3 + (255,))
        return Image.alpha_composite(canvas, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def as_rgb(image) -> np.ndarray:
    """PIL image or array -> ``(H, W, 3) uint8`` (grey repeated, alpha over white dropped)."""
    if isinstance(image, Image.Image):
        return np.asarray(flatten(image))
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3) image, got shape {image.shape}")
    return np.ascontiguousarray(image[..., :3])


def grey(image: Image.Image, background: int = 255) -> np.ndarray:
    """PIL -> BT.601 luma, float ``(H, W)`` in [0, 1] (transparent pixels take ``background``)."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image, got {type(image).__name__}")
    return np.asarray(flatten(image, background).convert("L"), dtype=np.float32) / 255


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of ``(..., 3)`` values (any range), the same weights as PIL's "L"."""
    return np.asarray(rgb, dtype=np.float32) @ np.asarray(LUMA, dtype=np.float32)


def is_grey(image: Image.Image, tol: float = 2.0) -> bool:
    """True when the three channels of an RGB image are (nearly) equal everywhere."""
    arr = np.asarray(image.convert("RGB")).astype(np.int16)
    return float(np.abs(arr - arr.mean(2, keepdims=True)).mean()) < tol


def dark_on_light(arr: np.ndarray) -> bool:
    """True when the border of a grey ``(H, W)`` picture in [0, 1] is mostly light."""
    border = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return float(np.median(border)) > 0.5


def fit_to_frame(arr: np.ndarray, frame: int = 28, threshold: float = ITEM_THRESHOLD) -> np.ndarray:
    """Crop a grey picture (light item on black) to its content, centre it on a square and scale
    that square to ``frame`` x ``frame`` (box filter when shrinking, bicubic when enlarging)."""
    ys, xs = np.nonzero(arr > threshold)
    if len(ys) == 0:
        raise PictureError("The picture is empty: draw or upload an item first.")
    arr = arr[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    side = max(arr.shape)
    square = np.zeros((side, side), np.float32)
    oy, ox = (side - arr.shape[0]) // 2, (side - arr.shape[1]) // 2
    square[oy:oy + arr.shape[0], ox:ox + arr.shape[1]] = arr
    resample = Image.BOX if side > frame else Image.BICUBIC
    out = np.asarray(Image.fromarray(square, mode="F").resize((frame, frame), resample))
    return np.clip(out, 0, 1).astype(np.float32)


def item_28(image: Image.Image, background: int = 0) -> np.ndarray:
    """Any picture of one item -> float ``(28, 28)`` in [0, 1], light item on black like Fashion-MNIST.

    A 28x28 picture is taken as it is; a square whose side is a multiple of 28 (an enlarged
    28x28 frame, e.g. the drawing canvas) is averaged down block by block; anything else is
    cropped to its content and fitted into the frame. Dark-on-light pictures are inverted.
    Transparent pixels count as ``background`` before the inversion test.
    """
    arr = grey(image, background)
    if dark_on_light(arr):
        arr = 1 - arr
    if arr.max() < ITEM_THRESHOLD:
        raise PictureError("The picture is empty: draw in white on black (or black on white), or upload an item.")
    h, w = arr.shape
    if h == w and h % 28 == 0:
        k = h // 28
        return np.ascontiguousarray(arr.reshape(28, k, 28, k).mean(axis=(1, 3)), dtype=np.float32)
    return fit_to_frame(arr, 28)


def item_32(image: Image.Image, background: int = 0) -> np.ndarray:
    """``item_28`` with the 2-pixel black border of the 32x32 models (a 32x32 picture is taken as it is)."""
    if image.size == (32, 32):
        arr = grey(image, background)
        return 1 - arr if dark_on_light(arr) else arr
    return np.pad(item_28(image, background), 2)


def to_pil(x, scale: int = 1) -> Image.Image:
    """A tensor ``(1, C, H, W)`` / ``(C, H, W)`` or an array ``(H, W)`` in [0, 1] -> 8-bit PIL
    ("L" or "RGB"), optionally enlarged ``scale`` times with sharp (nearest-neighbour) pixels."""
    if isinstance(x, torch.Tensor):
        x = x[0] if x.dim() == 4 else x
        x = x.detach().float().cpu().permute(1, 2, 0).numpy()  # (C, H, W) -> (H, W, C)
    arr = np.clip(np.round(np.asarray(x, dtype=np.float32) * 255), 0, 255).astype(np.uint8)
    pil = Image.fromarray(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    if scale > 1:
        pil = pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)
    return pil


# --- folders of photos ---------------------------------------------------------------------------

def photo_files(folder: str | Path) -> list[Path]:
    """The picture files of ``folder``, sorted by name (empty if the folder does not exist)."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []


def load_photos(folder: str | Path, min_side: int = 1) -> list[np.ndarray]:
    """Every photo of ``folder`` as ``(H, W, 3) uint8``, sorted by name; shorter sides below
    ``min_side`` are skipped. An empty or missing folder raises ``FileNotFoundError``."""
    files = photo_files(folder)
    if not files:
        raise FileNotFoundError(f"no photos in {folder}")
    out = []
    for path in files:
        with Image.open(path) as im:
            out.append(np.asarray(im.convert("RGB")))
    return [im for im in out if min(im.shape[:2]) >= min_side]
