"""A user's `percpu_arena` (`_RJEM_MALLOC_CONF=percpu_arena:percpu`) does not crash a call
made at the address-space limit on a CPU the process had not run the core on.

With `percpu_arena` each allocation takes the jemalloc arena of the CPU it runs on, made
on first use; at the limit it cannot be made, and jemalloc then moves the thread onto a
null arena (a segfault). The core makes every automatic arena when it holds its reserve
(`rust/reserve.rs`, `make_every_thread_arena`), but did it by moving its thread onto
each, which jemalloc refuses for the per-CPU arenas. Now each arena is made by a block
resized "in" it.

The child loads the core's library first (jemalloc starts then, and sees every CPU), then
keeps every thread on one CPU from the core's import on (so the other CPU's arena is made
by nothing but the core's load), takes its room, and then moves a thread onto another CPU
and reduces there. After, the limit lifted, the same call gives the unlimited result.
(Until helper-276 the child imported the core before keeping to one CPU, and passed
before the fix wherever the import ran on the other CPU: 10 children of 30, and the test
(three children) passed 2 runs of 4. Now 30 children of 30 segfault before the fix, none
after.)
Linux, two CPUs or more, all of them this process's to run on: jemalloc turns
`percpu_arena` off where the CPUs it may run on, online and configured are not as many.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from child import NOTED_REDUCE, SMALL_BATCH, TAKE_THE_ROOM, run_python


def per_cpu_arenas_possible() -> bool:
    """Whether jemalloc keeps `percpu_arena` here (`malloc_cpu_count_is_deterministic`:
    without `narenas`, it is turned off unless the CPUs this thread may run on, the online
    ones and the configured ones are as many), with a second CPU to move onto."""
    if sys.platform != "linux":
        return False
    counts = {
        len(os.sched_getaffinity(0)),
        os.sysconf("SC_NPROCESSORS_ONLN"),
        os.sysconf("SC_NPROCESSORS_CONF"),
    }
    return len(counts) == 1 and counts.pop() >= 2


pytestmark = pytest.mark.skipif(
    not per_cpu_arenas_possible(),
    reason="RLIMIT_AS as Linux applies it; per-CPU arenas (every CPU this process's) and a "
    "second CPU to move onto",
)

CHILD = (
    """
import ctypes, importlib.machinery, importlib.util, json, mmap, os, resource, threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

form = FORM
cpus = sorted(os.sched_getaffinity(0))
# The core's library loaded first, on every CPU: its jemalloc starts in the library's
# constructor and counts the CPUs this thread may run on (fewer than the machine's, it
# turns `percpu_arena` off). Then this thread only, and the threads it starts, kept on
# the first CPU: the core's module (and its reserve) is made there, and nothing of the
# core's runs on the last CPU until the worker below moves there.
package = Path(importlib.util.find_spec("usage_analytics").submodule_search_locations[0])
ctypes.CDLL(next(
    str(package / f"_core{suffix}")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES
    if (package / f"_core{suffix}").exists()
))
os.sched_setaffinity(0, {cpus[0]})
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
"""
    + SMALL_BATCH
    + NOTED_REDUCE
    + """
go = threading.Event()

def worker():
    go.wait()
    os.sched_setaffinity(0, {cpus[-1]})
    reduce()

# (Started before the limit: a thread's stack could not be mapped after.)
thread = threading.Thread(target=worker)
thread.start()
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + 64 * 2**20, resource.RLIM_INFINITY))
"""
    + TAKE_THE_ROOM
    + """
go.set()
thread.join()
del held
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
reduce()
print(json.dumps(outcomes))
"""
)


def test_a_call_at_the_limit_on_another_cpu_with_per_cpu_arenas_does_not_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "percpu_arena:percpu")
    # (Records: with an Arrow table the call failed before the core allocated on the
    # other CPU, and passed before the fix too.)
    done = run_python(CHILD.replace("FORM", repr("records")))
    # (jemalloc says so when it turns the option off: the case would not be this one.)
    assert "Per-CPU arena disabled" not in done.stderr, done.stderr[-2000:]
    # (A signal is a negative code: SIGSEGV -11.)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    # At the limit: the error (or, had the reserve sufficed for the whole call, the
    # result). Memory back: the call made after gives the unlimited result.
    assert outcomes[0] in ("MemoryError", "result"), outcomes
    assert outcomes[1:] == ["result"], outcomes
