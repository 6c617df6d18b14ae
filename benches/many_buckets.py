"""A batch over a window of many trend buckets: time and peak memory added.

    .venv/bin/python benches/many_buckets.py [RECORDS] [PATTERNS] [BUCKET_SECONDS]

Defaults: 1,000,000 records over 10,000 integer pattern ids, uniformly at random in a
30-day window cut into one-minute buckets (43,200), DETAILED granularity (the trend, no
time series: the output stays small), from a pyarrow table. One call in a fresh process:
peak RSS is the process's high-water mark (`ru_maxrss`) less its mark before the call.
To race another build, unzip its wheel into DIR and run with `PYTHONPATH=DIR` (the
unzipped package shadows the installed one). BENCHMARKS.md, "Windows of many buckets".
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30


def main() -> None:
    records, patterns, bucket_seconds = (
        int(arg) for arg in (sys.argv[1:] + ["1000000", "10000", "60"][len(sys.argv) - 1 :])
    )
    rng = np.random.default_rng(1)
    micros = int(START.timestamp()) * 10**6 + rng.integers(0, DAYS * 86_400 * 10**6, records)
    table = pa.table(
        {
            "timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
            "pattern_id": pa.array(rng.integers(0, patterns, records)),
            "execution_time_ms": rng.lognormal(4, 1, records),
        }
    )
    contract = ModelUsageAnalyticsBatchInput(
        time_window_start=START,
        time_window_end=START + timedelta(days=DAYS),
        time_window_type="custom",
        bucket_width=timedelta(seconds=bucket_seconds),
        execution_data=table,
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    output = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(contract)
    seconds = time.perf_counter() - started
    added_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    trend = next(iter(output.results.values())).trend_analysis
    assert trend is not None
    print(
        f"{records:,} records / {len(output.results):,} patterns / {trend.bucket_count:,} "
        f"buckets: {seconds:.2f} s, peak RSS added {added_mb:,.0f} MB "
        f"(first pattern's velocity {trend.velocity:.9g})"
    )


if __name__ == "__main__":
    main()
