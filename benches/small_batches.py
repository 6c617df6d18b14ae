"""What a small batch call of the core takes, records to every pattern's result: the
figures of BENCHMARKS.md's session 26 on finalizing a small batch on the rayon pool
(there from a script not committed).

    .venv/bin/python benches/small_batches.py [CALLS]

Two batches of dict records (`peers.data.many_patterns_table`'s records as a list):
100 records over 3 patterns and 2,000 over 200. CALLS (default 3,000) calls of
`_core.reduce_records` each, the two batches taking turns call by call, every pattern's
result read (the core finalizes a batch's patterns as they are read); prints the median
and least µs a call. The contract's validation and the output models are not timed.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.data import WINDOW_END, WINDOW_START, many_patterns_table
from usage_analytics import ModelUsageAnalyticsBatchInput, _core
from usage_analytics.reducer import core_options

BATCHES = ((100, 3), (2_000, 200))


def call_us(records: list[dict[str, Any]], options: dict[str, Any]) -> float:
    """µs of one call, its groups read."""
    started = time.perf_counter_ns()
    raw = _core.reduce_records(records, options)
    for _ in raw["groups"]:
        pass
    return (time.perf_counter_ns() - started) / 1000


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    cases = []
    for records, patterns in BATCHES:
        rows = many_patterns_table(records, patterns).to_pylist()
        contract = ModelUsageAnalyticsBatchInput(
            time_window_start=WINDOW_START,
            time_window_end=WINDOW_END,
            time_window_type="custom",
            execution_data=rows,
        )
        options = core_options(contract, by_pattern=True)
        cases.append((f"{records:,} records of {patterns} patterns", rows, options))
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(calls):
        for name, rows, options in cases:
            times[name].append(call_us(rows, options))
    for name, each in times.items():
        print(f"{name}: median {statistics.median(each):,.1f} µs, least {min(each):,.1f} µs")


if __name__ == "__main__":
    main()
