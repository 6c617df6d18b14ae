"""A user's `percpu_arena` (`_RJEM_MALLOC_CONF=percpu_arena:percpu`) does not crash a call
made at the address-space limit on a CPU the process had not run the core on.

With `percpu_arena` each allocation takes the jemalloc arena of the CPU it runs on, made
on first use; at the limit it cannot be made, and jemalloc then moves the thread onto a
null arena (a segfault). The core makes every automatic arena when it holds its reserve
(`rust/reserve.rs`, `make_every_thread_arena`), but did it by moving its thread onto
each, which jemalloc refuses for the per-CPU arenas: before helper-269 the child below
segfaulted in 6 runs of 7, and this test (three children) failed 2 times of 3; it passes
only where the core's import ran on the other CPU and made its arena (2 CPUs here). Now
each arena is made by a block resized "in" it.

The child keeps every thread on one CPU from the core's import on (so the other CPU's
arena is made by nothing but the core's load), takes its room, and then moves a thread
onto another CPU and reduces there. After, the limit lifted, the same call gives the
unlimited result. Linux, two CPUs or more.
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from child import SMALL_BATCH, TAKE_THE_ROOM, run_python

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or len(os.sched_getaffinity(0)) < 2,
    reason="RLIMIT_AS as Linux applies it; a second CPU to move onto",
)

CHILD = (
    """
import json, mmap, os, resource, threading
from datetime import UTC, datetime, timedelta
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

form = FORM
cpus = sorted(os.sched_getaffinity(0))
# (This thread only, and the threads it starts: jemalloc found every CPU at its start,
# or it would have turned `percpu_arena` off.)
os.sched_setaffinity(0, {cpus[0]})
"""
    + SMALL_BATCH
    + """
expected = summary()
go, outcomes = threading.Event(), []

def reduce():
    try:
        outcomes.append("result" if summary() == expected else "a different result")
    except MemoryError:
        outcomes.append("MemoryError")

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


#: Children run: the core's import may run on the other CPU and make its arena, and the
#: child then passes whatever the load did (before the fix, 1 run of 3 passed so).
RUNS = 3


def test_a_call_at_the_limit_on_another_cpu_with_per_cpu_arenas_does_not_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "percpu_arena:percpu")
    for run in range(RUNS):
        # (Records: with an Arrow table the call failed before the core allocated on the
        # other CPU, and passed before the fix too.)
        done = run_python(CHILD.replace("FORM", repr("records")))
        # (jemalloc says so when it turns the option off: the case would not be this one.)
        assert "Per-CPU arena disabled" not in done.stderr, done.stderr[-2000:]
        # (A signal is a negative code: SIGSEGV -11.)
        assert done.returncode == 0, (run, done.returncode, done.stdout, done.stderr[-2000:])
        outcomes = json.loads(done.stdout.strip().splitlines()[-1])
        # At the limit: the error (or, had the reserve sufficed for the whole call, the
        # result). Memory back: the call made after gives the unlimited result.
        assert outcomes[0] in ("MemoryError", "result"), (run, outcomes)
        assert outcomes[1:] == ["result"], (run, outcomes)
