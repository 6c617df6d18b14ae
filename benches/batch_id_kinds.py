"""A batch's pattern ids as integers against the same ids as strings: the figures of
BENCHMARKS.md's "Seeded pattern-id hashing" (session 36; there from an ad hoc script not
committed).

    .venv/bin/python benches/batch_id_kinds.py [CALLS] [RECORDS] [PATTERNS]

Defaults: `peers.data.many_patterns_table`'s 2,000,000 records over 10,000 patterns, its
dictionary-encoded string ids ("pattern-00042") and the same ids as int64 (42); CALLS
(default 5) calls of `execute_batch_reduction_sync` on each table, the two taking turns;
prints the least and median seconds of each. Run it in a few fresh processes: the ids'
hashing is seeded per process.
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
import pyarrow.compute as pc
from peers.data import WINDOW_END, WINDOW_START, many_patterns_table
from timing import timed
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer


def with_int_ids(table: pa.Table) -> pa.Table:
    """`table` with its "pattern-NNNNN" ids as the int64 NNNNN."""
    ids = pc.cast(table["pattern_id"], pa.string())
    numbers = pc.cast(pc.utf8_slice_codeunits(ids, len("pattern-")), pa.int64())
    return table.set_column(table.schema.get_field_index("pattern_id"), "pattern_id", numbers)


def main() -> None:
    defaults = (5, 2_000_000, 10_000)
    given = [int(arg) for arg in sys.argv[1:4]]
    calls, records, patterns = (*given, *defaults[len(given) :])
    strings = many_patterns_table(records, patterns)
    tables = {"int ids": with_int_ids(strings), "string ids": strings}
    contracts: dict[str, Any] = {
        name: ModelUsageAnalyticsBatchInput(
            time_window_start=WINDOW_START,
            time_window_end=WINDOW_END,
            time_window_type="custom",
            execution_data=table,
        )
        for name, table in tables.items()
    }
    reducer = NodeUsageAnalyticsReducer()
    seconds: dict[str, list[float]] = {name: [] for name in contracts}
    for _ in range(calls):
        for name, contract in contracts.items():
            took, output = timed(partial(reducer.execute_batch_reduction_sync, contract))
            seconds[name].append(took.wall)
            if len(output.results) != patterns:
                raise SystemExit(f"{name}: {len(output.results)} patterns, not {patterns}")
            del output
    for name, each in seconds.items():
        print(f"{name}: least {min(each):.3f} s, median {statistics.median(each):.3f} s")


if __name__ == "__main__":
    main()
