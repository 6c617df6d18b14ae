"""`ingest.columns_to_arrow` of a dict of numpy arrays of Python objects: timestamps
(aware datetimes), execution times (ints among floats) and flags (bools), beside nothing
typed. Each such column's value types were found twice (the datetime64 check, then the
kinds' check of a column Arrow may have coerced) until session 56; also prints one pass of
`type` over each column (`object_slices.distinct`), the cost that was doubled.

    PYTHONPATH=<tree>/python .venv/bin/python benches/dict_object_column_looks.py [ROWS] [CALLS]

ROWS default 1,000,000; CALLS (default 5) calls after a first, printed as least and median
in seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import usage_analytics
from timing import least_median, wall_seconds
from usage_analytics import ingest
from usage_analytics.object_slices import distinct

START = datetime(2026, 1, 5, tzinfo=UTC)


def objects(values: list[Any]) -> Any:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def seconds_of(call: Callable[[], object], calls: int) -> str:
    """Least / median seconds of `calls` calls after a first."""
    return least_median(wall_seconds(call, calls, warm_ups=1), "s", 3)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(usage_analytics.__file__, rows, "rows")
    rng = np.random.default_rng(0)
    seconds = rng.integers(0, 7 * 86_400, rows).tolist()
    times = rng.uniform(0, 1000, rows).tolist()
    columns = {
        "timestamp": objects([START + timedelta(seconds=s) for s in seconds]),
        "execution_time_ms": objects([int(t) if i % 3 == 0 else t for i, t in enumerate(times)]),
        "success": objects((rng.random(rows) < 0.9).tolist()),
    }
    wanted = ingest.RECORD_COLUMNS
    print("columns_to_arrow:", seconds_of(lambda: ingest.columns_to_arrow(columns, wanted), calls))
    for name, column in columns.items():
        print(f"one pass of type, {name}:", seconds_of(partial(distinct, type, column), calls))


if __name__ == "__main__":
    main()
