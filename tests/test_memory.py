"""The server's allocator housekeeping (apps/memory.py): trimming hands freed pages back, and
`python app.py` caps the arenas and starts trimming."""
import subprocess
import sys
import textwrap

import pytest

from apps import memory

pytestmark = pytest.mark.skipif(memory._glibc() is None, reason="glibc only; elsewhere both calls are no-ops")


def test_trim_returns_freed_pages_that_free_alone_keeps():
    # 300 MB of 2000-byte blocks (above Python's small-object allocator, so glibc's malloc serves
    # them), every 64th kept: free() cannot hand the pages back, as a kept block sits above them
    script = textwrap.dedent("""
        from apps import memory
        def rss():
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) // 1024
        blocks = [bytes(2000) for _ in range(150_000)]
        kept = blocks[::64]
        del blocks
        before = rss()
        released = memory.trim()
        print(before, rss(), released)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    before, after, released = int(out[0]), int(out[1]), out[2]
    assert before > 250, before      # the freed blocks were still resident
    assert released == "True" and after < before - 200, (before, after)


def test_limit_arenas_is_taken_by_glibc():
    assert memory.limit_arenas(2) is True


def test_trimming_thread_runs_and_can_be_switched_off():
    assert memory.start_trimming(0) is None
    thread = memory.start_trimming(3600)
    assert thread.daemon and thread.is_alive() and thread.name == "malloc-trim"
