"""A batch called when the process is already at its address-space limit raises
`MemoryError`; it never aborts the process.

Each case runs in a child that caps its address space (`RLIMIT_AS`) and fills it with
Python objects until not a byte more can be had, then reduces a small batch, on the main
thread or on a thread started before (as the command's worker thread is). Before the core
held its reserve (`rust/reserve.rs`), the thread's call aborted the child with "memory
allocation of 5 bytes failed" (the options' "daily", extracted before the call's first
room check, in a jemalloc arena with no page free); helper-235's sweep of the command met
the same at 200 MB of headroom ("7 bytes": "monthly"). After the `MemoryError` the filling
is freed and the limit lifted, and the same call gives the unlimited result: the reserve
is taken again. Linux only.
"""

from __future__ import annotations

import json
import sys

import pytest
from child import NOTED_REDUCE, SMALL_BATCH, run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CHILD = (
    """
import json, os, resource, threading
from datetime import UTC, datetime, timedelta
import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

where, form = WHERE, FORM
"""
    + SMALL_BATCH
    + NOTED_REDUCE
    + """
go = threading.Event()

def worker():
    go.wait()
    reduce()

# (Started before the limit: a thread's stack could not be mapped after.)
thread = threading.Thread(target=worker)
thread.start()
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 64 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
filling, size = [], 2**20
while size:
    try:
        filling.append(bytearray(size))
    except MemoryError:
        size //= 2
if where == "thread":
    go.set()
    thread.join()
else:
    reduce()
del filling
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
go.set()
thread.join()
reduce()
print(json.dumps(outcomes))
"""
)

# (The main thread with Arrow input is left out: there pyarrow's own C++ code, reading
# the table in Python before the core is called, aborts with `std::bad_alloc`.)
CASES = [("thread", "arrow"), ("thread", "records"), ("main", "records")]


@pytest.mark.parametrize(("where", "form"), CASES)
def test_a_batch_at_the_limit_raises_memory_error_then_runs_once_memory_is_back(
    where: str, form: str
) -> None:
    done = run_python(CHILD.replace("WHERE", repr(where)).replace("FORM", repr(form)))
    # (A signal is a negative code: SIGABRT -6.)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    # At the limit: the error (or, had the reserve sufficed for the whole call, the result).
    assert outcomes[0] in ("MemoryError", "result"), outcomes
    # Memory back: the calls made after give the unlimited result.
    assert set(outcomes[1:]) == {"result"}, outcomes
