"""Optional ZeroGPU support for Hugging Face Spaces.

On a ZeroGPU Space a GPU is attached only while a function decorated with ``spaces.GPU`` runs
(https://huggingface.co/docs/hub/spaces-zerogpu). ``gpu`` is that decorator when the ``spaces``
package can be imported, and leaves the function unchanged everywhere else:

    @gpu                   # or @gpu(duration=120) for calls that may take longer than 60 s
    def generate(...): ...
"""
from __future__ import annotations

import functools
from typing import Callable


@functools.lru_cache(maxsize=1)
def _spaces():
    try:
        import spaces
    except ImportError:
        return None
    return spaces


def available() -> bool:
    """True when the ``spaces`` package can be imported (on a Space, ZeroGPU or not)."""
    return _spaces() is not None


def gpu(fn: Callable | None = None, *, duration: int | None = None):
    """``spaces.GPU`` (optionally with ``duration`` seconds) if ``spaces`` imports, else identity."""
    def wrap(f: Callable) -> Callable:
        spaces = _spaces()
        if spaces is None:
            return f
        return spaces.GPU(f) if duration is None else spaces.GPU(duration=duration)(f)
    return wrap(fn) if fn is not None else wrap
