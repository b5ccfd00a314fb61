"""How the suite's pictures leave the server: written to Gradio's cache atomically, and fast.

Gradio 6.31 stores every image output (PIL, numpy, gallery items) with
``processing_utils.save_pil_to_cache``: the file name is the hash of the content, and the file is
written with ``Path.write_bytes``, which first truncates it. When two requests produce the same
picture (the same map, the same grid for the same seed) while a third client is still
downloading it, the second write truncates the file under the reader, and that download ends
early ("peer closed connection without sending complete message body"; the server logs h11's
"Too little data for declared Content-Length"). ``save_bytes_to_cache`` has the same flaw; file
outputs (``save_file_to_cache``) are already safe: they are copied under a temporary name and
renamed into place.

``install()`` gives the two functions the same discipline: write to a unique temporary file in
the same folder, then ``os.replace`` it onto the final name (atomic on POSIX), and reuse a file
that is already complete. PNGs are written with zlib level 1: the pixels are the same, the files
about a third larger, and encoding several times faster (BENCHMARKS.md, "Serving").
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from gradio import processing_utils

PNG_COMPRESS_LEVEL = 1


def _store(data: bytes, cache_dir: str, filename: str) -> str:
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    target = folder / filename
    try:
        if target.stat().st_size == len(data):  # the same content (same hash), already complete
            os.utime(target)                    # Gradio's delete_cache ages files by their time stamps
            return str(target.resolve())
    except FileNotFoundError:
        pass
    fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{filename}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
    return str(target.resolve())


def encode(image, format: str) -> bytes:
    """A PIL image as ``format`` bytes (PNG at ``PNG_COMPRESS_LEVEL``; other formats as Gradio does)."""
    if format.lower() != "png":
        return processing_utils.encode_pil_to_bytes(image, format)
    with io.BytesIO() as out:
        image.save(out, "png", pnginfo=processing_utils.get_pil_metadata(image), compress_level=PNG_COMPRESS_LEVEL)
        return out.getvalue()


def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    return _store(encode(img, format), cache_dir, f"{name}.{format}")


def save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    if not Path(file_name).suffix:
        file_name = file_name + processing_utils.detect_audio_format(data)
    return _store(data, cache_dir, Path(file_name).name)


def install() -> None:
    """Route Gradio's image and bytes outputs through the atomic writers above (idempotent)."""
    processing_utils.save_pil_to_cache = save_pil_to_cache
    processing_utils.save_bytes_to_cache = save_bytes_to_cache
