"""Memory per bucket a rolling window keeps: RollingUsageAnalytics of BUCKETS one-second
buckets, one `add` of a record per second over the two windows it keeps (2 x BUCKETS
buckets), as a list of dicts. Prints the resident memory the add took per bucket kept
and the add's seconds. To race another build, unzip its wheel into DIR and run with
`PYTHONPATH=DIR`. (helper-92's reproducer, session 38; BENCHMARKS.md, "Rolling buckets".)

    .venv/bin/python benches/rolling_buckets.py [BUCKETS]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from usage_analytics import RollingUsageAnalytics


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def main() -> None:
    buckets = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rolling = RollingUsageAnalytics(window=timedelta(seconds=buckets), bucket=timedelta(seconds=1))
    records = [
        {"timestamp": start + timedelta(seconds=i), "success": True, "execution_time_ms": 1.0}
        for i in range(2 * buckets)
    ]
    before = resident_mb()
    began = time.perf_counter()
    rolling.add(records)
    took = time.perf_counter() - began
    kept = rolling.retained_buckets
    per_bucket = (resident_mb() - before) * 1024 / kept
    print(f"{kept:,} buckets kept: {per_bucket:.2f} KB each, add {took:.3f} s")


if __name__ == "__main__":
    main()
