"""Many small adds to a rolling window: the time of each `add` call, Python's share included.

    .venv/bin/python benches/rolling_adds.py [ADDS] [RECORDS_PER_ADD] [hour|30y]

A monitor's usual load: ADDS (default 2,000) pyarrow tables of RECORDS_PER_ADD (default
1,000) records each, into a 1 h window of 1 min buckets, with timestamps as Arrow
timestamps and as int64 epoch microseconds. `30y`: a 30-year window of day buckets
instead, whose kept buckets (two windows behind the newest) reach back into 1970: there
`add` looks over an int64 column for the unit warning (`input_notes.filed_unit_hint`).
Prints the least and the median of five runs, in microseconds an add (the least: the
machine is often shared).
To race another build, unzip its wheel into DIR and run with `PYTHONPATH=DIR`.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from usage_analytics import RollingUsageAnalytics


def _tables(adds: int, size: int, integer: bool) -> list[pa.Table]:
    start = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp() * 1_000_000)
    tables = []
    for i in range(adds):
        micros = start + (i * size + np.arange(size, dtype=np.int64)) * 1_000_000
        stamps = pa.array(micros, pa.int64())
        if not integer:
            stamps = stamps.cast(pa.timestamp("us", tz="UTC"))
        tables.append(pa.table({"timestamp": stamps, "success": np.ones(size, bool)}))
    return tables


def main() -> None:
    adds = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    label, window, bucket = (
        ("30 y", timedelta(days=30 * 365), timedelta(days=1))
        if sys.argv[3:4] == ["30y"]
        else ("1 h", timedelta(hours=1), timedelta(minutes=1))
    )
    for integer in (False, True):
        tables = _tables(adds, size, integer)
        runs = []
        for _ in range(5):
            monitor = RollingUsageAnalytics(window, bucket)
            started = time.perf_counter()
            for table in tables:
                monitor.add(table)
            runs.append((time.perf_counter() - started) / adds * 1e6)
        kind = "int64 microseconds" if integer else "Arrow timestamps"
        least, median = min(runs), statistics.median(runs)
        print(
            f"{adds:,} adds of {size:,} records, {kind}, {label} window: "
            f"{least:.1f} / {median:.1f} us an add"
        )


if __name__ == "__main__":
    main()
