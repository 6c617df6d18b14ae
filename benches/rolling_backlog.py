"""A backlog added to a rolling window in one call: peak memory and the buckets kept.

    .venv/bin/python benches/rolling_backlog.py [RECORDS]

A 1 h window of 1 s buckets (7,200 kept at most: two windows), and RECORDS records one
second apart (a collector catching up after an outage) added as one pyarrow table. One
call in a fresh process; prints the resident memory before, after and at its peak
(`VmHWM`). To race another build, unzip its wheel into DIR and run with `PYTHONPATH=DIR`.
(helper-83's reproducer, session 36; BENCHMARKS.md, "rolling backlogs".)
"""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from usage_analytics import RollingUsageAnalytics


def _megabytes(key: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(key))
    return int(line.split()[1]) // 1024


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    monitor = RollingUsageAnalytics(
        window=timedelta(hours=1), bucket=timedelta(seconds=1), include_trends=False
    )
    start = np.datetime64(datetime(2026, 3, 1, tzinfo=UTC).replace(tzinfo=None), "us")
    times = start + np.arange(records, dtype=np.int64).astype("timedelta64[s]")
    table = pa.table(
        {
            "timestamp": pa.array(times, pa.timestamp("us", tz="UTC")),
            "success": np.ones(records, bool),
            "execution_time_ms": np.full(records, 5.0),
        }
    )
    gc.collect()
    before = _megabytes("VmRSS")
    monitor.add(table)
    del table
    gc.collect()
    print(
        f"{records:,} records in one add: {monitor.retained_buckets:,} buckets kept; RSS "
        f"{before} MB before, {_megabytes('VmRSS')} MB after, peak {_megabytes('VmHWM')} MB"
    )


if __name__ == "__main__":
    main()
