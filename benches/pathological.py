"""Inputs that once cost far more than their size: each case prints its time, so that a
build can be raced against an older one (`PYTHONPATH=DIR` with the older wheel unzipped in
DIR, as in `batch_calls.py`). Run: `.venv/bin/python benches/pathological.py [CASE ...]`.

- `bad-floats`: 1M Arrow records over 10,000 patterns, every execution time negative (skip
  mode): up to 5 samples described per pattern. Each description converted the whole
  column (95-132 s); now one row (about 1 s).
- `bad-dictionary-times`: the same with a dictionary-encoded timestamp column of one bad
  text (33 s, then about 1 s).
- `long-bad-values`: 50,000 records as dicts over 10,000 patterns, each execution time a
  str of 160,000 characters (skip mode): each sample wrote the whole value out before
  cutting it to 80 characters (18.5-19.9 s, then about 1 s).
- `million-buckets`: one record, a window of 1,000,000 one-second buckets, COMPREHENSIVE
  (the per-bucket time series): 7.1 s, then 3.7 s (bucket datetimes by adding widths, the
  models built with the collector paused).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
REDUCER = NodeUsageAnalyticsReducer()


def _batch(data: object) -> None:
    REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=START + timedelta(days=1),
            time_window_type="custom",
            execution_data=data,
            on_invalid="skip",
        )
    )


def _arrow_case(name: str, column: pa.Array) -> Callable[[], None]:
    n = len(column)
    stamps = pa.array(np.full(n, int(START.timestamp() * 1e6)), pa.timestamp("us", "UTC"))
    columns = {"pattern_id": pa.array(np.arange(n) % 10_000), "timestamp": stamps, name: column}
    return lambda: _batch(pa.table(columns))


def bad_floats() -> Callable[[], None]:
    return _arrow_case("execution_time_ms", pa.array(np.full(1_000_000, -1.0)))


def bad_dictionary_times() -> Callable[[], None]:
    table = pa.table(
        {
            "pattern_id": pa.array(np.arange(1_000_000) % 10_000),
            "timestamp": pa.array(["bad"] * 1_000_000).dictionary_encode(),
        }
    )
    return lambda: _batch(table)


def long_bad_values() -> Callable[[], None]:
    value = "x" * 160_000
    when = START + timedelta(hours=1)
    records = [
        {"timestamp": when, "execution_time_ms": value, "pattern_id": f"p{i % 10_000}"}
        for i in range(50_000)
    ]
    return lambda: _batch(records)


def million_buckets() -> Callable[[], object]:
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=START + timedelta(seconds=1_000_000),
        time_window_type="custom",
        bucket_width=timedelta(seconds=1),
        granularity="comprehensive",
        execution_data=[{"timestamp": START}],
    )
    return lambda: REDUCER.execute_reduction_sync(contract)


CASES = {
    "bad-floats": bad_floats,
    "bad-dictionary-times": bad_dictionary_times,
    "long-bad-values": long_bad_values,
    "million-buckets": million_buckets,
}


def main() -> None:
    for name in sys.argv[1:] or list(CASES):
        call = CASES[name]()
        started = time.perf_counter()
        call()
        print(f"{name}: {time.perf_counter() - started:.2f} s", flush=True)


if __name__ == "__main__":
    main()
