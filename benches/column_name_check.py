"""What telling of columns spelled otherwise (`ColumnNameWarning`) costs a call: the check
alone (`ingest.spellings.spelling_note`, names only, so whatever the size) on each form,
and whole `execute_reduction_sync` calls on 1M records, a list of dicts (the hot path) and
a pandas frame, the median of a few.

    PYTHONPATH=python .venv/bin/python benches/column_name_check.py [records] [rounds]

Run it on the code before and after, alternated, noting the load (`uptime`): before the
check existed, its part prints "(no check)" and the calls are timed alone.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import WINDOW_START, records, window_end
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer


def _contract(data: Any, n: int) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="bench",
        execution_data=data,
        time_window_start=WINDOW_START,
        time_window_end=window_end(n) + timedelta(seconds=3),
        time_window_type="custom",
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rows = records(n, "fresh")
    frame = pd.DataFrame(rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    forms: dict[str, Any] = {
        "list of dicts": rows,
        "pandas": frame,
        "polars": pl.from_arrow(table),
        "pyarrow table": table,
        "dict of lists": {name: frame[name].tolist() for name in frame.columns},
        "duckdb": duckdb.arrow(table),
    }
    try:
        from usage_analytics.ingest.spellings import spelling_note
    except ImportError:
        print("check alone: (no check)")
    else:
        for name, data in forms.items():

            def check(data: Any = data) -> str | None:
                return spelling_note(data, grouped=False)

            loops, total = timeit.Timer(check).autorange()
            print(f"check alone, {name}: {total / loops * 1e6:.2f} µs")
    reducer = NodeUsageAnalyticsReducer()
    for name in ("list of dicts", "pandas"):

        def reduce(data: Any = forms[name]) -> object:  # (the contract's making timed too)
            return reducer.execute_reduction_sync(_contract(data, n))

        times = wall_seconds(reduce, rounds)
        shown = ", ".join(f"{t * 1e3:.1f}" for t in times)
        print(f"{n:,} records, {name}: median {statistics.median(times) * 1e3:.1f} ms ({shown})")


if __name__ == "__main__":
    main()
