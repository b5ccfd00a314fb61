"""A corpus of broken and odd picture files, made by code: what hostile or careless users upload.

``corpus(folder)`` writes every case and returns ``{case: (path, expectation)}``, where the
expectation is "refused" (the suite must answer with a clear message) or "accepted" (it must
produce a result, possibly with a note).
"""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _photo(size=(64, 48), seed=0) -> Image.Image:
    g = np.random.default_rng(seed)
    coarse = g.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize(size, Image.BICUBIC)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels and holds almost nothing: a bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def corpus(folder: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, str]] = {}

    def save(name: str, data: bytes | Image.Image, expect: str, **kw) -> None:
        path = folder / name
        if isinstance(data, Image.Image):
            data.save(path, **kw)
        else:
            path.write_bytes(data)
        cases[path.stem] = (path, expect)

    photo = _photo()
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    png = buf.getvalue()
    save("empty.png", b"", "refused")
    save("garbage.png", np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes(), "refused")
    save("text.jpg", b"This is not a picture, only text saved with a .jpg name.\n" * 20, "refused")
    save("truncated.png", png[: len(png) // 2], "refused")
    save("bomb.png", _png_header_only(30_000, 30_000), "refused")
    save("one_pixel.png", Image.new("RGB", (1, 1), (200, 30, 30)), "refused")
    save("sliver.png", Image.new("RGB", (3, 2000), (90, 90, 90)), "refused")
    rgba = photo.convert("RGBA")
    save("rgba.png", rgba, "accepted")
    translucent = rgba.copy()
    translucent.putalpha(60)
    save("translucent.png", translucent, "accepted")
    save("cmyk.jpg", photo.convert("CMYK"), "accepted")
    save("palette.png", photo.convert("P", palette=Image.ADAPTIVE, colors=16), "accepted")
    grey16 = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    save("grey16.png", Image.fromarray(grey16, mode="I;16"), "accepted")
    floats = np.asarray(photo.convert("L"), dtype=np.float32) / 255
    save("float.tiff", Image.fromarray(floats, mode="F"), "accepted")
    frames = [Image.new("RGB", (64, 48), (0, 0, 0)), photo, photo.transpose(Image.FLIP_LEFT_RIGHT)]
    save("animated.gif", frames[0], "accepted", save_all=True, append_images=frames[1:], duration=100, loop=0)
    save("huge.png", Image.new("RGB", (6000, 5000), (120, 140, 160)), "refused")
    return cases
