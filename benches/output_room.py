"""The address space a batch's outputs take per pattern, by the shape of the output.

    MALLOC_ARENA_MAX=1 .venv/bin/python benches/output_room.py PATTERNS RECORDS_EACH GRANULARITY

Reduces PATTERNS patterns of RECORDS_EACH records each (every record of a pattern in its
own hour and day, with its own agent, context type, project and file type, so that each
record adds breakdown entries) and prints the growth of the process's address space
(`VmSize`, what `RLIMIT_AS` caps) across `batch_output`, the making of the outputs, per
pattern, beside the entries and time series points of one output. What
`rust/group_results.rs`'s `OUTPUT_BYTES_PER_*` are measured by (BENCHMARKS.md,
helper-250). `MALLOC_ARENA_MAX=1`: glibc's arenas per thread, reserved when a worker
first allocates, are not the outputs' (see `address_space`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import usage_analytics.reducer as reducer_module
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer


def address_space() -> int:
    """The process's `VmSize` in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def request(patterns: int, each: int, granularity: str) -> ModelUsageAnalyticsBatchInput:
    n = patterns * each
    i = np.arange(n)
    hour = 3_600 * 10**6
    start = datetime(2024, 1, 1, tzinfo=UTC)
    columns: dict[str, Any] = {
        "pattern_id": [f"p{k}" for k in i // each],
        # (25 hours apart: each record of a pattern in another hour of the day and day.)
        "timestamp": np.datetime64("2024-01-01", "us")
        + ((i % each) * 25 * hour).astype("timedelta64[us]"),
        "success": np.ones(n, bool),
        "execution_time_ms": np.ones(n),
    }
    for name in ("agent", "context_type", "project", "file_type"):
        columns[name] = [f"{name[0]}{k}" for k in i % each]
    return ModelUsageAnalyticsBatchInput(
        execution_data=pa.table(columns),
        time_window_start=start,
        time_window_end=start + timedelta(days=60),
        time_window_type="custom",
        granularity=granularity,
    )


def main() -> None:
    patterns, each, granularity = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    batch = request(patterns, each, granularity)
    grown: list[int] = []
    # (The reducer's own name for it, not exported: replaced where the reducer looks it up.)
    made: Callable[..., Any] = vars(reducer_module)["batch_output"]

    def measured(*args: Any, **kwargs: Any) -> Any:
        before = address_space()
        output = made(*args, **kwargs)
        grown.append(address_space() - before)
        return output

    vars(reducer_module)["batch_output"] = measured
    results = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch).results
    one = next(iter(results.values()))
    distribution = one.context_distribution
    entries = (
        0 if distribution is None else sum(len(part) for part in distribution.model_dump().values())
    )
    trend = one.trend_analysis
    points = 0 if trend is None else len(trend.time_series or [])
    print(
        f"{len(results)} patterns x {each} records, {granularity}: {entries} entries, "
        f"{points} points: {grown[0] / len(results):,.0f} bytes a pattern"
    )


if __name__ == "__main__":
    main()
