"""Peak memory of a batch whose patterns each have their own agent: N patterns, N records,
N distinct agents (one record each). Every pattern's tally used to list every name of the
shared chunk dictionary, so memory grew as N x N; it now grows as N.

    .venv/bin/python benches/many_names.py 4000

prints the process's peak RSS (including Python, pyarrow and the table) and the call's time.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 5, tzinfo=UTC)


def main(n: int) -> None:
    table = pa.table(
        {
            "timestamp": pa.array([START + timedelta(hours=3)] * n, pa.timestamp("us", tz="UTC")),
            "pattern_id": pa.array([str(i) for i in range(n)]),
            "agent": pa.array([f"agent-{i}" for i in range(n)]),
        }
    )
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=START + timedelta(days=7), execution_data=table
    )
    started = time.perf_counter()
    output = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch)
    seconds = time.perf_counter() - started
    assert len(output.results) == n
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} patterns x {n} agents: peak RSS {peak_mb:.0f} MB, {seconds:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
