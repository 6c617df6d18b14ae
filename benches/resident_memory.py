"""What a service keeps resident after batch calls: the process's RSS while it holds a
10M-record, 10,000-pattern batch's output, and after dropping it.

    .venv/bin/python benches/resident_memory.py [CALLS]

Prints, per call of `execute_batch_reduction` on `peers.data.many_patterns_table`, the
MB (10^6 bytes, as the other memory figures) above the process's RSS before the first
call (the table and imports excluded). What stays after the drop is memory the allocators
keep for reuse (and Python's own free lists). The 2 s pause after the drop changes
nothing by itself: neither glibc nor the core's jemalloc (no background thread) returns
memory while the process is idle, only during later allocations; the figure is what an
idle service keeps until its next call. Two builds are compared by running this once with
each build first on `PYTHONPATH` (BENCHMARKS.md, session 23).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer


def resident_mb() -> int:
    """The process's resident set, in MB (10^6 bytes)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 // 1_000_000
    raise SystemExit("no VmRSS in /proc/self/status (Linux only)")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    table = data.many_patterns_table(10_000_000)
    data.clear_cache()
    gc.collect()
    contract = ModelUsageAnalyticsBatchInput(
        execution_data=table, time_window_start=data.WINDOW_START, time_window_end=data.WINDOW_END
    )
    reducer = NodeUsageAnalyticsReducer()
    before = resident_mb()
    print(f"resident before the first call: {before} MB")
    for call in range(calls):
        output = asyncio.run(reducer.execute_batch_reduction(contract))
        holding = resident_mb() - before
        del output
        gc.collect()
        time.sleep(2.0)
        idle = resident_mb() - before
        print(f"call {call}: holding the output +{holding} MB, dropped (2 s later) +{idle} MB")


if __name__ == "__main__":
    main()
