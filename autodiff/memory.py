"""``keep_freed_memory()``: let a training loop reuse its freed arrays instead of faulting them in.

glibc serves large blocks with fresh mmaps and hands the top of the heap back to the
OS once enough of it is free. A training step frees its temporaries together at its
end (megabytes for a 784-256 layer), so in some processes the next step faults the same
pages in again: hundreds of minor page faults per step and up to 40% more time, for
this engine and hand-written numpy alike. Raising the two thresholds keeps that memory
in the process. It is a process-wide setting (freed memory is not returned to the OS),
so it is opt-in: call it once at the start of a long training run.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def keep_freed_memory(trim_threshold: int = 512 << 20, mmap_threshold: int = 32 << 20) -> bool:
    """Ask glibc to keep up to ``trim_threshold`` bytes of freed heap and to serve blocks up
    to ``mmap_threshold`` bytes from the heap. True if applied (Linux with glibc), else False."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_TRIM_THRESHOLD, trim_threshold)) and bool(
            libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
        )
    except (OSError, AttributeError):
        return False
