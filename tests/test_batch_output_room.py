"""A batch whose outputs fit in what an address-space limit leaves is reduced; one whose
outputs do not is a `MemoryError`, never an abort.

Before a batch's outputs are made the core checks that they will find the memory
(`rust/group_results.rs`). Until session 61 it asked 8 KiB a pattern whatever the output
held: 40,000 one-record SUMMARY patterns asked for 344 MB where their outputs took about
175 MB (4.4 KB each), and the batch failed at 400 MB of headroom though the whole call
took 271 MB unlimited. Now the ask counts each pattern's breakdown entries and time series
points (5.5 KiB, 40 bytes an entry, 512 bytes a point: 241 MB here).

Each case runs in a child capping its address space (`RLIMIT_AS`) at what it uses plus a
headroom, with one glibc arena (`address_space.share_one_arena`, what a service under a
limit is told to do: else rayon's two workers reserve 64 MB each where they fit, and the
outcome would depend on whether they did). Linux only.
"""

from __future__ import annotations

import json
import sys

import pytest
from child import run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

PATTERNS = 40_000

CHILD = """
import json, os, resource
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
from usage_analytics.address_space import share_one_arena

patterns, headroom_mb = PATTERNS, HEADROOM
start = datetime(2024, 1, 1, tzinfo=UTC)
minute = np.timedelta64(60_000_000, "us")
request = ModelUsageAnalyticsBatchInput(
    execution_data=pa.table({
        "pattern_id": [f"p{i}" for i in range(patterns)],
        "timestamp": np.datetime64("2024-01-01", "us") + np.arange(patterns) * minute,
        "success": np.ones(patterns, bool),
        "execution_time_ms": np.ones(patterns),
    }),
    time_window_start=start,
    time_window_end=start + timedelta(days=30),
    time_window_type="monthly",
    granularity="summary",
)
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + headroom_mb * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
share_one_arena()
try:
    results = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(request).results
    outcome = ["result", len(results)]
except MemoryError as error:
    outcome = ["MemoryError", str(error)]
print(json.dumps(outcome))
"""


def _reduced_under(headroom_mb: int) -> list[object]:
    source = CHILD.replace("PATTERNS", str(PATTERNS)).replace("HEADROOM", str(headroom_mb))
    done = run_python(source)
    # (A signal is a negative code: SIGABRT -6, "memory allocation of N bytes failed".)
    assert done.returncode == 0, (headroom_mb, done.returncode, done.stderr[-2000:])
    outcome: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def test_a_batch_whose_outputs_fit_is_reduced() -> None:
    # 271 MB unlimited; the check asks 241 MB beside the reading's 90-100 MB (before: 344).
    assert _reduced_under(390) == ["result", PATTERNS]


@pytest.mark.parametrize("headroom_mb", [64, 160, 256])
def test_a_batch_whose_outputs_do_not_fit_is_a_memory_error(headroom_mb: int) -> None:
    kind, message = _reduced_under(headroom_mb)
    assert kind == "MemoryError", message
    assert "out of memory" in str(message), message
