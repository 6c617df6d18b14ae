"""Running out of memory raises `MemoryError`; it never aborts the process.

Each case runs in a child that builds its input, then caps its address space
(`RLIMIT_AS`, as `ulimit -v` or a container's limit does) at what it uses plus a headroom,
and reduces. Before the core checked its memory (`rust/room.rs`), most headrooms here ended
the child with "memory allocation of N bytes failed" and SIGABRT, and the smallest with an
internal error (rayon's pool could not start its threads, and never tried again). Now
each child either gets the result it gets without a limit or a `MemoryError`. Linux only
(how the limit is set and the address space read).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from child import run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CHILD = """
import json, os, resource, sys
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa
from usage_analytics import (
    BatchUsageAccumulator, ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

case, headroom_mb = sys.argv[1], int(sys.argv[2])
n, patterns = 300_000, 30_000
rng = np.random.default_rng(7)
start = datetime(2024, 1, 1, tzinfo=UTC)
end = start + timedelta(days=30)
offsets = np.sort(rng.integers(0, 30 * 86_400 * 10**6, n)).astype("timedelta64[us]")
columns = {
    "timestamp": np.datetime64("2024-01-01", "us") + offsets,
    "success": rng.random(n) < 0.9,
    "execution_time_ms": rng.random(n) * 100,
    "pattern_id": rng.integers(0, patterns, n),
}
window = dict(time_window_start=start, time_window_end=end, time_window_type="monthly")
reducer = NodeUsageAnalyticsReducer()
if case == "one":
    del columns["pattern_id"]
    request = ModelUsageAnalyticsInput(pattern_id="p", execution_data=columns, **window)
elif case == "batch":
    request = ModelUsageAnalyticsBatchInput(execution_data=pa.table(columns), **window)
else:
    halves = [{k: v[i::2] for k, v in columns.items()} for i in range(2)]

def summary(results):
    return [
        sum(r.usage_metrics.total_executions for r in results),
        sum(r.success_metrics.success_count for r in results),
        sum(r.performance_metrics.p95_execution_time_ms for r in results),
        len(results),
    ]

if headroom_mb:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + headroom_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    if case == "one":
        out = summary([reducer.execute_reduction_sync(request)])
    elif case == "batch":
        out = summary(list(reducer.execute_batch_reduction_sync(request).results.values()))
    else:
        first, second = BatchUsageAccumulator(**window), BatchUsageAccumulator(**window)
        first.update(halves[0])
        second.update(halves[1])
        first.merge_in(second)
        out = summary(list(first.finalize().results.values()))
    print(json.dumps(["result", out]))
except MemoryError as error:
    print(json.dumps(["MemoryError", str(error)]))
"""

# Headrooms (MB) between the smallest and the first that succeeds: before, each of these
# aborted (or failed with an internal error) in one case or more.
HEADROOMS = {
    "one": [8, 24, 48, 64],
    "batch": [8, 24, 48, 96, 240, 400],
    "stream": [8, 48, 96, 160, 240],
}


def run_case(case: str, headroom_mb: int) -> list[object]:
    done = run_python(CHILD.replace("sys.argv[1], int(sys.argv[2])", f"{case!r}, {headroom_mb}"))
    # A signal (SIGABRT from "memory allocation of N bytes failed") is a negative code.
    assert done.returncode == 0, (case, headroom_mb, done.returncode, done.stderr[-2000:])
    outcome: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


@pytest.mark.parametrize("case", list(HEADROOMS))
def test_short_memory_raises_memory_error_or_gives_the_unlimited_result(case: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_case(case, h), [0, *HEADROOMS[case]])
    assert expected[0] == "result", expected
    for headroom, outcome in zip(HEADROOMS[case], limited, strict=True):
        assert outcome[0] in ("result", "MemoryError"), (headroom, outcome)
        if outcome[0] == "result":
            assert outcome == expected, headroom
