"""The address space a limit leaves (`RLIMIT_AS`: `ulimit -v`, some containers), and
threads that fit in it.

Under an address-space limit a new thread costs more than its stack. glibc gives each
thread that allocates an arena of its own, reserving 64 MB of address space for it (128 MB
while it aligns it). Where the limit leaves less, the arena is not made and every later
allocation of that thread is mapped on its own, a page or more for a few bytes: pyarrow's
first `import pyarrow.compute` on a worker thread (which the sources' read is) then asked
for tens of MB more than it holds, and its kernel registry's `std::bad_alloc`, thrown
where nothing catches it, aborted the process (SIGABRT) with 48 MB still free.
`share_one_arena` has every thread allocate from the main arena once a limit is set
(`mallopt(M_ARENA_MAX, 1)`, what `MALLOC_ARENA_MAX=1` does at start): no reservation per
thread, at the price of threads contending for one arena's lock, which only a process
under a limit pays. It is the process's setting, not the library's: a library caller's
threads share the arena too, from the first file read or awaited reduction on. And it
must come early: glibc fixes its arena limit when a thread asks for an arena beyond
nine (more than `arena_test`, 8, on 64 bits), after which `mallopt` changes nothing (seen
on glibc 2.36: eight threads that had allocated, then the call, then twelve more threads:
no arena more; nine threads, then the call: the twelve made six more). The command calls
it before it starts a thread; a service under a limit sets `MALLOC_ARENA_MAX=1` in its
environment instead.

`room` is what the limit leaves, for the readers' checks before a read
(`sources.short_room`).
"""

from __future__ import annotations

import ctypes
import sys
import threading

__all__ = ["room", "share_one_arena"]

#: glibc's `M_ARENA_MAX` (malloc.h).
_M_ARENA_MAX = -8
_shared = False
_sharing = threading.Lock()


def _limit() -> int | None:
    """The soft address-space limit in bytes, None without one (or off Linux)."""
    if sys.platform != "linux":
        return None
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def room() -> int | None:
    """The bytes of address space the limit leaves this process, None without a limit."""
    limit = _limit()
    if limit is None:
        return None
    import os

    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    return max(limit - used, 0)


def share_one_arena() -> None:
    """Under an address-space limit, glibc's arenas per thread made one (see the module);
    once per process, and nothing without a limit or without glibc."""
    global _shared
    if _shared or _limit() is None:
        return
    with _sharing:
        if _shared:
            return
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):  # (not glibc: musl has no arenas to share)
            _shared = True
            return
        mallopt(_M_ARENA_MAX, 1)
        _shared = True
