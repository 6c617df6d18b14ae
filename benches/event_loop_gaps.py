"""How long the event loop waits while a large reduction is awaited.

Run: `.venv/bin/python benches/event_loop_gaps.py` (a 1M-record list-of-dicts reduction,
the issue's case) or `.venv/bin/python benches/event_loop_gaps.py batch` (10M Arrow
records over 10,000 patterns, `peers.data.many_patterns_table`, awaited three times), or
`... series` (one pattern's 864,000-bucket COMPREHENSIVE time series, three times), or
`... names` (50,000 records of distinct 4 KB non-ASCII names, three times), or `... numpy`
(1M records as a dict of numpy arrays from a pandas frame: timestamps as pandas
Timestamp objects, text as str objects; three times), or `... frame` (those records as
the pandas frame, its timestamps as datetime objects; three times).
Prints the reduction time and the largest gaps between ticks of a 1 ms ticker task. Not a
pytest benchmark: it measures latency of *other* tasks, not throughput.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import WINDOW_START, records, window_end
from peers import data as tables
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

N = 1_000_000
REDUCER = NodeUsageAnalyticsReducer()


def one_pattern_list() -> tuple[str, Callable[[], Awaitable[Any]]]:
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=WINDOW_START,
        time_window_end=window_end(N),
        time_window_type="custom",
        execution_data=records(N, "scattered"),
    )
    return f"{N:,} records", lambda: REDUCER.execute_reduction(contract)


def batch_table() -> tuple[str, Callable[[], Awaitable[Any]]]:
    batch = ModelUsageAnalyticsBatchInput(
        execution_data=tables.many_patterns_table(10 * N),
        time_window_start=tables.WINDOW_START,
        time_window_end=tables.WINDOW_END,
    )
    return (
        f"{10 * N:,} records of {tables.PATTERNS:,} patterns",
        lambda: REDUCER.execute_batch_reduction(batch),
    )


def long_series() -> tuple[str, Callable[[], Awaitable[Any]]]:
    """100 records, COMPREHENSIVE, 0.7 s buckets over a week: 864,000 time-series buckets,
    each call's output kept (a service holding earlier results, which the collector walks)."""
    start = WINDOW_START
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=start + timedelta(days=7),
        time_window_type="custom",
        bucket_width=timedelta(seconds=0.7),
        granularity="comprehensive",
        execution_data=[{"timestamp": start + timedelta(minutes=i)} for i in range(100)],
    )
    kept: list[Any] = []

    async def reduce_and_keep() -> None:
        kept.append(await REDUCER.execute_reduction(contract))

    return "a 864,000-bucket time series (outputs kept)", reduce_and_keep


def long_names() -> tuple[str, Callable[[], Awaitable[Any]]]:
    """50,000 records, each with a new 4 KB non-ASCII agent name (all distinct) and a new
    4 KB context name (7 distinct): each name encoded, hashed and, for the agents, copied
    and made a key of the output's `by_agent`."""
    start, count, long = WINDOW_START, 50_000, "é" * 4096
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=start + timedelta(seconds=count),
        time_window_type="custom",
        execution_data=[
            {
                "timestamp": start + timedelta(seconds=i),
                "success": True,
                "execution_time_ms": 1.0,
                "agent": long + str(i),
                "context_type": long + str(i % 7),
            }
            for i in range(count)
        ],
    )
    return f"{count:,} records of 4 KB names", lambda: REDUCER.execute_reduction(contract)


def numpy_columns() -> tuple[str, Callable[[], Awaitable[Any]]]:
    """The list case's records as a dict of numpy arrays, as `frame[name].to_numpy()`
    gives them: a tz-aware timestamp column is an array of pandas Timestamp objects, each
    converted to Arrow by pyarrow holding the GIL (`object_slices`)."""
    import pandas as pd

    frame = pd.DataFrame(records(N, "scattered"))
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=WINDOW_START,
        time_window_end=window_end(N),
        time_window_type="custom",
        execution_data={name: frame[name].to_numpy() for name in frame.columns},
    )
    return f"{N:,} records in numpy object arrays", lambda: REDUCER.execute_reduction(contract)


def pandas_frame() -> tuple[str, Callable[[], Awaitable[Any]]]:
    """The list case's records as a pandas frame whose timestamp column holds datetime
    objects (as a frame built from records with aware datetimes of several UTC offsets
    keeps them): each object column's kind is inferred by pandas (`infer_dtype`, in C,
    holding the GIL) before the frame is read."""
    import pandas as pd

    frame = pd.DataFrame(records(N, "scattered"))
    frame["timestamp"] = frame["timestamp"].astype(object)
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=WINDOW_START,
        time_window_end=window_end(N),
        time_window_type="custom",
        execution_data=frame,
    )
    return f"{N:,} records in a pandas frame", lambda: REDUCER.execute_reduction(contract)


async def gaps_while(reduction: Callable[[], Awaitable[Any]]) -> tuple[float, list[float]]:
    """The reduction's wall time and the sorted gaps between a 1 ms ticker's ticks."""
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    await reduction()
    elapsed = time.perf_counter() - started
    done = True
    await task
    return elapsed, sorted(gaps)


async def main(case: str) -> None:
    cases = {
        "batch": batch_table,
        "series": long_series,
        "list": one_pattern_list,
        "names": long_names,
        "numpy": numpy_columns,
        "frame": pandas_frame,
    }
    what, reduction = cases[case]()
    # CPython's own generational GC walks every fresh dict once (about 40 ms for 1M):
    # collect and freeze now so the measurement sees the reduction, not the collector.
    gc.collect()
    gc.freeze()
    for _ in range(1 if case == "list" else 3):
        elapsed, gaps = await gaps_while(reduction)
        print(
            f"{what} awaited in {elapsed * 1e3:.0f} ms; {len(gaps)} ticks; "
            f"gap p50 {gaps[len(gaps) // 2] * 1e3:.1f} ms, "
            f"p99 {gaps[int(len(gaps) * 0.99)] * 1e3:.1f} ms, "
            f"max {gaps[-1] * 1e3:.1f} ms (issue target: no task waits more than 50 ms)"
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "list"))
