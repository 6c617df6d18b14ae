"""`address_space`: the room an address-space limit leaves, and glibc's arenas shared
under one. Before `share_one_arena`, `load_pyarrow` (its first `import pyarrow.compute`)
on a new thread of a child capped 48 MB above what it used aborted the child (SIGABRT:
`std::bad_alloc` in `arrow::compute::Initialize`): the thread's own arena did not fit,
and each of its allocations was then mapped alone. Linux only."""

from __future__ import annotations

import sys

import pytest
from child import run_python
from usage_analytics.address_space import room

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CAPPED = """
import os, resource, threading
import numpy, pyarrow
from usage_analytics.address_space import room

def used():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")

limit = used() + HEADROOM * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
print("room", abs(room() - (limit - used())) < 2**20, flush=True)

def load():
    from usage_analytics.extras import load_pyarrow
    print("loaded", load_pyarrow().compute.__name__, flush=True)

thread = threading.Thread(target=load)
thread.start()
thread.join()
"""


def test_no_limit_is_no_room_figure() -> None:
    assert room() is None  # (the test run sets none)


@pytest.mark.parametrize("headroom_mb", [24, 48])
def test_pyarrow_compute_loads_on_a_thread_near_the_limit(headroom_mb: int) -> None:
    done = run_python(CAPPED.replace("HEADROOM", str(headroom_mb)))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split("\n")[:2] == ["room True", "loaded pyarrow.compute"], done.stdout


#: A child that has glibc's arenas shared (or not: LIMIT_MB 0 sets no limit), then holds
#: four threads that allocate at once, and writes glibc's statistics (an "Arena N:" each).
ARENAS = """
import ctypes, os, resource, threading
from usage_analytics.address_space import share_one_arena

if LIMIT_MB:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + LIMIT_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
share_one_arena()
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
all_in = threading.Barrier(5)

def allocate():
    libc.malloc(1000)
    all_in.wait()  # (alive together: no thread's arena freed for the next)

threads = [threading.Thread(target=allocate) for _ in range(4)]
for thread in threads:
    thread.start()
all_in.wait()
libc.malloc_stats()
for thread in threads:
    thread.join()
"""


@pytest.mark.parametrize(("limit_mb", "shared"), [(0, False), (1024, True)])
def test_arenas_are_shared_only_under_a_limit(limit_mb: int, shared: bool) -> None:
    # The setting is the whole process's (a library caller's threads too): without a
    # limit, the process's threads keep their arenas.
    done = run_python(ARENAS.replace("LIMIT_MB", str(limit_mb)))
    assert done.returncode == 0, done.stderr[-2000:]
    arenas = done.stderr.count("Arena ")
    assert (arenas == 1) is shared, done.stderr
