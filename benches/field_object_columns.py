"""A record field's lists of Python objects that are not plain values (datetimes of one
zone or several, naive ones, dates, Decimals, numpy float scalars) converted to Arrow:
by the core's parsers of a record's values (`ingest.field_objects.arrow_of_field_objects`,
session 60) against pyarrow's conversion (`pa.array`, which imports pandas; imported
here once before timing, so that its cost is not counted), raced in one run, ROWS values
each. Then a whole reduction of ROWS records whose timestamps are aware datetimes: as
a list of dicts, as a dict of lists (read row by row by the core), and as the same lists
beside a numpy array (read as a table: `field_objects` now, pyarrow before).

    PYTHONPATH=<tree>/python .venv/bin/python benches/field_object_columns.py [CALLS] [ROWS]

Prints least and median of CALLS (default 5) calls of each, in milliseconds, and the ratio
of the medians (theirs / ours: above 1, ours is faster).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
from timing import raced, wall_seconds
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.ingest import dict_columns, field_objects
from usage_analytics.ingest.field_objects import arrow_of_field_objects
from usage_analytics.ingest.kinds import _value_types

START = datetime(2024, 1, 1, tzinfo=UTC)


def conversions(calls: int, rows: int) -> None:
    zones = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")]
    aware = [START + timedelta(seconds=i) for i in range(rows)]
    columns: dict[str, tuple[str, list[Any]]] = {
        "aware datetimes (UTC)": ("timestamp", aware),
        "datetimes of three zones": (
            "timestamp",
            [t.astimezone(zones[i % 3]) for i, t in enumerate(aware)],
        ),
        "naive datetimes": ("timestamp", [t.replace(tzinfo=None) for t in aware]),
        "dates": ("timestamp", [t.date() for t in aware]),
        "Decimals": ("execution_time_ms", [Decimal(i % 1000) / 8 for i in range(rows)]),
        "numpy float64 scalars": ("execution_time_ms", list(np.arange(rows, dtype=np.float64))),
    }
    # (Ours as where pandas is not imported: where it is, dates are left to pyarrow,
    # `field_objects._pandas_imported`.)
    for label, (field, column) in columns.items():
        types = _value_types(column)
        with patch.object(field_objects, "_pandas_imported", lambda: False):
            ours = wall_seconds(partial(arrow_of_field_objects, pa, field, column, types), calls)
        theirs = wall_seconds(partial(pa.array, column), calls)
        print(raced(label, ("ours", ours), ("pyarrow", theirs)))


def reductions(calls: int, rows: int) -> None:
    reducer = NodeUsageAnalyticsReducer()
    stamps = [START + timedelta(seconds=i) for i in range(rows)]
    times = np.random.default_rng(3).random(rows) * 100
    records = [
        {"timestamp": t, "execution_time_ms": ms}
        for t, ms in zip(stamps, times.tolist(), strict=True)
    ]

    def reduce(data: Any) -> None:
        reducer.execute_reduction_sync(
            ModelUsageAnalyticsInput(
                pattern_id="p",
                execution_data=data,
                time_window_start=START,
                time_window_end=START + timedelta(days=30),
                time_window_type="monthly",
            )
        )

    lists = wall_seconds(partial(reduce, records), calls)
    by_rows = wall_seconds(
        partial(reduce, {"timestamp": stamps, "execution_time_ms": times.tolist()}), calls
    )
    beside = {"timestamp": stamps, "execution_time_ms": times}
    ours = wall_seconds(partial(reduce, beside), calls)
    with patch.object(dict_columns, "arrow_of_field_objects", lambda *_: None):
        theirs = wall_seconds(partial(reduce, beside), calls)  # (pyarrow's conversion, as before)
    beside_label = "reduction: list beside an array"
    print(raced(f"{beside_label} vs the list of dicts", ("ours", ours), ("records", lists)))
    print(raced(f"{beside_label} vs a dict of lists", ("ours", ours), ("lists", by_rows)))
    print(raced(f"{beside_label}, ours vs pyarrow's", ("ours", ours), ("pyarrow", theirs)))


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    import pandas  # noqa: F401  (pyarrow's conversion imports it: not timed)

    conversions(calls, rows)
    reductions(calls, rows)


if __name__ == "__main__":
    main()
