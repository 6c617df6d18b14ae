"""How long the event loop waits while a 1M-record list-of-dicts reduction is awaited.

Run: `.venv/bin/python benches/event_loop_gaps.py` (prints the reduction time and the largest
gaps between ticks of a 1 ms ticker task). Not a pytest benchmark: it measures latency of
*other* tasks, not throughput.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import WINDOW_START, records, window_end
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

N = 1_000_000


async def main() -> None:
    data = records(N, "scattered")
    # CPython's own generational GC walks every fresh dict once (about 40 ms for 1M):
    # collect and freeze now so the measurement sees the reduction, not the collector.
    gc.collect()
    gc.freeze()
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=WINDOW_START,
        time_window_end=window_end(N),
        time_window_type="custom",
        execution_data=data,
    )
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
    await NodeUsageAnalyticsReducer().execute_reduction(contract)
    elapsed = time.perf_counter() - started
    done = True
    await task
    gaps.sort()
    print(
        f"{N:,} records awaited in {elapsed * 1e3:.0f} ms; {len(gaps)} ticks; "
        f"gap p50 {gaps[len(gaps) // 2] * 1e3:.1f} ms, "
        f"p99 {gaps[int(len(gaps) * 0.99)] * 1e3:.1f} ms, "
        f"max {gaps[-1] * 1e3:.1f} ms (issue target: no task waits more than 50 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
