"""Giving memory back to the system after a large piece of work.

An import of a 10 MB file allocates a few hundred megabytes and frees them when it ends.
``malloc_trim(0)`` returns glibc's free pages to the system: after a preview of a 63,000-row
file the app was 26 MB smaller with it (279 -> 253 MB). What it cannot return is CPython's
own 1 MB arenas that a few surviving objects keep in use; those are reused by the next
import. Elsewhere than glibc there is no ``malloc_trim`` and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if name is None:  # pragma: no cover - no C library to ask
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "malloc_trim") else None


def release_free_memory() -> None:
    """Return the allocator's free pages to the system (glibc); cheap, a few milliseconds."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
