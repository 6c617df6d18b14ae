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
