"""Pages a whole batch call faults in, with its wall, CPU and kernel time: the figures of
BENCHMARKS.md's session 28 on jemalloc's thresholds (there from a script not committed).

    .venv/bin/python benches/batch_page_faults.py [ROUNDS] [RECORDS] [PATTERNS]
    _RJEM_MALLOC_CONF=oversize_threshold:0 .venv/bin/python benches/batch_page_faults.py

Defaults: 4 calls of `execute_batch_reduction_sync` on `peers.data.many_patterns_table`'s
10,000,000 records over 10,000 patterns (the columnar benchmark's batch), each call's
outputs dropped before the next. Prints, per call, the minor page faults of the process
(`getrusage`: the core's and CPython's alike, every thread's), its wall time, its CPU
time (every thread's) and the kernel's share of it. The first call pays for first touches:
compare the later ones. `_RJEM_MALLOC_CONF` overrides the core's compiled-in jemalloc
settings (`rust/allocator.rs`) for one run.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.data import WINDOW_END, WINDOW_START, many_patterns_table
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer


def mark() -> tuple[float, float, float, int]:
    """(wall, user and kernel seconds, minor page faults) of the process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime, usage.ru_stime, usage.ru_minflt


def main() -> None:
    defaults = (4, 10_000_000, 10_000)
    given = [int(arg) for arg in sys.argv[1:4]]
    rounds, records, patterns = (*given, *defaults[len(given) :])
    contract = ModelUsageAnalyticsBatchInput(
        time_window_start=WINDOW_START,
        time_window_end=WINDOW_END,
        time_window_type="custom",
        execution_data=many_patterns_table(records, patterns),
    )
    reducer = NodeUsageAnalyticsReducer()
    faults = []
    for call in range(rounds):
        before = mark()
        output = reducer.execute_batch_reduction_sync(contract)
        after = mark()
        del output  # (dropped outside the measure, as a caller done with it would)
        cpu = (after[1] - before[1]) + (after[2] - before[2])
        faults.append(after[3] - before[3])
        print(
            f"call {call + 1}: {after[3] - before[3]:,} faults, wall "
            f"{(after[0] - before[0]) * 1e3:.0f} ms, CPU {cpu * 1e3:.0f} ms "
            f"(kernel {(after[2] - before[2]) * 1e3:.0f} ms)",
            flush=True,
        )
    if rounds > 1:
        print(f"faults after the first call: median {statistics.median(faults[1:]):,.0f}")


if __name__ == "__main__":
    main()
