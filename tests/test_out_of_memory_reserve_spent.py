"""Calls made while the core's out-of-memory reserve is in use raise `MemoryError`, every
one of them; none aborts the process.

Each case runs in a child that caps its address space (`RLIMIT_AS`), takes all of it
(`child.TAKE_THE_ROOM`), and reduces a small batch on one thread, then takes the room
again (what that failed call freed) and reduces on another thread, whose jemalloc arena
has no page yet; then on the first thread again. Before (helper-242's reserve, given back
to the kernel on the first failure and mapped again only by a check that found room):
the first call spent the reserve and raised `MemoryError`, and the second aborted the
child on its first allocation, "memory allocation of 5 bytes failed" (the options'
"daily", extracted before the call's first room check), as one run of the command over a
CSV file at 16 MB of headroom did ("52 bytes"). Now every failure draws on the reserve's
own arena (`rust/reserve.rs`). After, the room is freed and the limit lifted, and the same
call gives the unlimited result. Linux only.
"""

from __future__ import annotations

import json
import sys

import pytest
from child import NOTED_REDUCE, SMALL_BATCH, TAKE_THE_ROOM, run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CHILD = (
    """
import json, mmap, os, resource, threading
from datetime import UTC, datetime, timedelta
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

form, calls = FORM, CALLS
"""
    + SMALL_BATCH
    + NOTED_REDUCE
    + """
# (Threads started before the limit: a thread's stack could not be mapped after. Each
# runs the calls named for it in `calls`, in turn.)
turns = [threading.Event() for _ in calls]
done = [threading.Event() for _ in calls]
def worker(mine):
    for i in mine:
        turns[i].wait()
        reduce()
        done[i].set()
threads = {
    name: threading.Thread(target=worker, args=([i for i, c in enumerate(calls) if c == name],))
    for name in dict.fromkeys(calls)
}
for thread in threads.values():
    thread.start()
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 64 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
kept = []
for turn, finished in zip(turns, done):
"""
    + "\n".join("    " + line for line in TAKE_THE_ROOM.strip().splitlines())
    + """
    kept.append(held)  # (the room taken before stays taken)
    turn.set()
    finished.wait()
del held, kept
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
for thread in threads.values():
    thread.join()
reduce()
print(json.dumps(outcomes))
"""
)

#: The threads making the calls at the limit, in turn: the reserve spent by the first call,
#: then a call on a thread whose arena has no page, then the first thread's again.
CALLS = ["first", "second", "first"]


@pytest.mark.parametrize("form", ["records", "arrow"])
def test_calls_after_the_reserve_is_spent_raise_memory_error_then_run_once_memory_is_back(
    form: str,
) -> None:
    source = CHILD.replace("FORM", repr(form)).replace("CALLS", repr(CALLS))
    done = run_python(source)
    # (A signal is a negative code: SIGABRT -6.)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    # At the limit: each call's error, not an abort.
    assert outcomes[: len(CALLS)] == ["MemoryError"] * len(CALLS), outcomes
    # Memory back: the call made after gives the unlimited result.
    assert outcomes[len(CALLS) :] == ["result"], outcomes
