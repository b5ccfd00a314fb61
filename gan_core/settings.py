"""Every setting the suite reads from the environment, in one place.

| variable                  | default                               | meaning                                   |
|---------------------------|---------------------------------------|-------------------------------------------|
| GAN_SUITE_CHECKPOINTS     | <repo>/checkpoints                    | folder holding one sub-folder per model   |
| GAN_SUITE_DATA            | <repo>/data_cache                     | cache root for decompressed datasets      |
| FASHION_MNIST_DIR         | /usr/share/datasets/fashion-mnist     | folder with the four Fashion-MNIST files  |
| GAN_SUITE_SHARED_DATA     | <repo>/../shared/data                 | photos for super-resolution / colourising |
| GAN_SUITE_HUB_REPO        | gan-demo-suite/checkpoints            | Hub model repo that mirrors checkpoints/  |
| GAN_SUITE_HUB_REVISION    | main                                  | pinned revision of that repo              |
| GAN_SUITE_FP32            | 0                                     | 1 forces fp32 everywhere (no bf16 / AMP)  |
| GAN_SUITE_SHARE           | 0                                     | 1 asks Gradio for a public share link     |
| GAN_SUITE_WORKERS         | number of CPU cores                   | requests served at once (quick endpoints) |
| GAN_SUITE_HEAVY_WORKERS   | 1                                     | ... of the slow endpoints (SR, colour)    |
| GAN_SUITE_THREADS         | number of CPU cores                   | torch intra-op threads (process-wide)     |
| GAN_SUITE_QUEUE_SIZE      | 64                                    | waiting requests before "busy, try again" |
| GAN_SUITE_SESSIONS        | 200                                   | browser sessions whose state is kept      |
| GAN_SUITE_ARENAS          | 2                                     | glibc malloc arenas of the server         |
| GAN_SUITE_TRIM_SECONDS    | 30                                    | seconds between malloc_trim calls (0: off)|

An empty GAN_SUITE_HUB_REPO switches the start-up download of missing checkpoints off.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser() if value else default


def _flag(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}


def checkpoint_dir() -> Path:
    return _path("GAN_SUITE_CHECKPOINTS", REPO_ROOT / "checkpoints")


def data_cache_dir() -> Path:
    return _path("GAN_SUITE_DATA", REPO_ROOT / "data_cache")


def fashion_mnist_source_dir() -> Path:
    return _path("FASHION_MNIST_DIR", Path("/usr/share/datasets/fashion-mnist"))


def shared_data_dir() -> Path:
    return _path("GAN_SUITE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")


# the photo models' training sets, by name: folder under shared_data_dir() and the name the cards give it.
# Never Set5, Set14 or bsds500/test: those are test sets.
TRAINING_PHOTOS = {
    "sunhays80": ("sr/SunHays80", "SunHays80"),
    "bsds500": ("bsds500/train/images", "BSDS500 train"),
}


def hub_repo() -> str:
    """Hub model repo that mirrors checkpoints/ ("" when the start-up download is off)."""
    return os.environ.get("GAN_SUITE_HUB_REPO", "gan-demo-suite/checkpoints").strip()


def hub_revision() -> str:
    """Branch, tag or commit of ``hub_repo()`` the suite pulls (pin a commit for reproducibility)."""
    return os.environ.get("GAN_SUITE_HUB_REVISION", "").strip() or "main"


def tabs() -> list[str]:
    """The tabs ``python app.py`` serves, by title, in this order (empty: every tab, in the lecture's order)."""
    return [t.strip() for t in os.environ.get("GAN_SUITE_TABS", "").split(",") if t.strip()]


def force_fp32() -> bool:
    return _flag("GAN_SUITE_FP32")


def share_link() -> bool:
    return _flag("GAN_SUITE_SHARE")


def _int(var: str, default: int, low: int = 1) -> int:
    value = os.environ.get(var, "").strip()
    try:
        return max(low, int(value)) if value else default
    except ValueError:
        raise ValueError(f"{var} must be a whole number, got {value[:20]!r}") from None


def workers() -> int:
    """Requests of the quick endpoints served at once."""
    return _int("GAN_SUITE_WORKERS", os.cpu_count() or 1)


def heavy_workers() -> int:
    """Requests of the slow endpoints (super-resolution, colourisation) served at once."""
    return _int("GAN_SUITE_HEAVY_WORKERS", 1)


def torch_threads() -> int:
    """torch intra-op threads (one pool for the whole process, shared by the requests that run at once)."""
    return _int("GAN_SUITE_THREADS", os.cpu_count() or 1)


def queue_size() -> int:
    """Requests that may wait; one more gets "busy, try again"."""
    return _int("GAN_SUITE_QUEUE_SIZE", 64)


def queue_poll_ms() -> int:
    """Milliseconds Gradio's queue waits before it looks again for a request it can start, when none
    can start now (none waiting, or every slot busy). Gradio's own 1 ms wakes an idle server 1000 times
    a second."""
    return _int("GAN_SUITE_QUEUE_POLL_MS", 5)


def progress_poll_ms() -> int:
    """Milliseconds between two looks of Gradio's queue for progress to send (Gradio's own: 10 ms, also
    when nothing runs); a progress bar needs no more than a few updates a second."""
    return _int("GAN_SUITE_PROGRESS_POLL_MS", 50)


def session_capacity() -> int:
    """Browser sessions whose state the server keeps; beyond it, the least recently used is dropped.
    Each costs about 2.5 MB (Gradio's copy of the page's configuration, the session's own values), and
    Gradio's default of 10 000 would let a public link's visitors grow the server without bound."""
    return _int("GAN_SUITE_SESSIONS", 200)


def malloc_arenas() -> int:
    """glibc malloc arenas the server's threads share (glibc's default is 8 per core; every extra
    arena keeps its own freed pages, which is how a long-running server grows)."""
    return _int("GAN_SUITE_ARENAS", 2)


def trim_seconds() -> int:
    """Seconds between two ``malloc_trim`` calls of the server (0: never)."""
    return _int("GAN_SUITE_TRIM_SECONDS", 30, low=0)
