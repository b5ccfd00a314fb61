"""The server's resident memory over hours of use: glibc's allocator, held to a few arenas and
trimmed now and then.

Every thread that allocates while another holds the allocator's lock may get an arena of its own
(up to 8 per core by default), and a freed block goes back to the system only when it sits at the
top of its arena. A server whose worker threads decode pictures, run networks and encode PNGs in
turn therefore keeps growing long after its working set has stopped: an hour of the load mix grew
the suite from 1.4 to 2.0 GB with the sessions already capped (BENCHMARKS.md, "An hour of load").
Two standard remedies, both no-ops where the C library is not glibc:

* ``limit_arenas(n)``: ``mallopt(M_ARENA_MAX, n)``, at start-up, before the worker threads exist;
* ``start_trimming(seconds)``: a daemon thread that calls ``malloc_trim(0)`` (every arena's free
  pages, not only the top, handed back with ``madvise``) every few seconds.
"""
from __future__ import annotations

import ctypes
import functools
import logging
import threading
import time

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)

log = logging.getLogger("gan_suite")


@functools.lru_cache(maxsize=1)
def _glibc():
    """The process's C library if it is glibc (it has ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(None)
        trim, mallopt = libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return libc


def limit_arenas(n: int) -> bool:
    """Cap the allocator's arenas at ``n`` for threads that have none yet; True if glibc took it."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, int(n)))


def trim() -> bool:
    """Hand every free page of every arena back to the system; True if some memory was released."""
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))


def start_trimming(every_s: float) -> threading.Thread | None:
    """Trim every ``every_s`` seconds on a daemon thread (None: off, or not glibc)."""
    if every_s <= 0 or _glibc() is None:
        return None

    def loop():
        while True:
            time.sleep(every_s)
            try:
                trim()
            except Exception:  # noqa: BLE001 - never take the server down for its housekeeping
                log.exception("malloc_trim failed; trimming stops")
                return

    thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
    thread.start()
    return thread
