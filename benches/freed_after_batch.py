"""What a busy service keeps resident after one large batch: RSS above the start once a
2M-record, 20,000-pattern batch's output is dropped, then after SECONDS of small calls
(one 1,000-record pattern every 0.1 s, on the main thread).

    .venv/bin/python benches/freed_after_batch.py [SECONDS]

The batch's worker threads free their pages into their own jemalloc arenas; the small
calls allocate elsewhere. Two builds are compared by running this with each build first on
`PYTHONPATH` (BENCHMARKS.md, session 37).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from resident_memory import resident_mb
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    window = {"time_window_start": data.WINDOW_START, "time_window_end": data.WINDOW_END}
    batch = ModelUsageAnalyticsBatchInput(
        execution_data=data.many_patterns_table(2_000_000, 20_000), **window
    )
    small = ModelUsageAnalyticsInput(
        pattern_id="p", execution_data=data.one_pattern_table(1000, "dict"), **window
    )
    data.clear_cache()
    gc.collect()
    reducer = NodeUsageAnalyticsReducer()
    before = resident_mb()
    output = asyncio.run(reducer.execute_batch_reduction(batch))
    del output
    gc.collect()
    print(f"after the drop: +{resident_mb() - before} MB")
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        asyncio.run(reducer.execute_reduction(small))
        time.sleep(0.1)
    print(f"after {seconds:g} s of small calls: +{resident_mb() - before} MB")


if __name__ == "__main__":
    main()
