"""Python source run in a child interpreter: for what could crash the process (a crash is
then the child's exit code, not the end of the test run) or needs a fresh one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Child source that takes all but a few pages of the address space its limit leaves
#: (anonymous maps, halving their size), held in `held`; the child imports `mmap`.
TAKE_THE_ROOM = """
held, size = [], 32 * 2**20
while size >= mmap.PAGESIZE:
    try:
        held.append(mmap.mmap(-1, size))
    except OSError:
        size //= 2
"""

#: Child source of a small batch (three records of two patterns, as records or an Arrow
#: table, by the child's `form`): `request`, `reducer` and `summary()`, the results'
#: headline numbers by pattern; the child imports datetime, timedelta, UTC and the models.
SMALL_BATCH = """
start = datetime(2024, 1, 1, tzinfo=UTC)
records = [
    {"pattern_id": p, "timestamp": start + timedelta(hours=h), "success": s,
     "execution_time_ms": float(h)}
    for p, h, s in (("a", 1, True), ("b", 2, False), ("a", 3, True))
]
if form == "arrow":
    import pyarrow as pa
    records = pa.Table.from_pylist(records)
request = ModelUsageAnalyticsBatchInput(
    execution_data=records,
    time_window_start=start,
    time_window_end=start + timedelta(days=1),
    time_window_type="daily",
)
reducer = NodeUsageAnalyticsReducer()

def summary():
    results = reducer.execute_batch_reduction_sync(request).results
    return sorted(
        (key, r.usage_metrics.total_executions, r.success_metrics.success_count,
         r.performance_metrics.p95_execution_time_ms)
        for key, r in results.items()
    )
"""


#: Child source after `SMALL_BATCH`: `expected`, the batch's `summary()` before any limit,
#: and `reduce()`, which notes each call's outcome in `outcomes`: "result", "a different
#: result" or "MemoryError".
NOTED_REDUCE = """
expected = summary()
outcomes = []

def reduce():
    try:
        outcomes.append("result" if summary() == expected else "a different result")
    except MemoryError:
        outcomes.append("MemoryError")
"""


def run_python(source: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -c source` (the interpreter running the tests), its output as text."""
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
