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

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.ingest import dict_columns, field_objects
from usage_analytics.ingest.field_objects import arrow_of_field_objects
from usage_analytics.ingest.kinds import _value_types

START = datetime(2024, 1, 1, tzinfo=UTC)


def timed(call: Callable[[], object], calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1e3)
    return times


def shown(label: str, ours: list[float], theirs: list[float], names: tuple[str, str]) -> None:
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(
        f"{label}: {names[0]} {min(ours):.0f} / {statistics.median(ours):.0f} ms, "
        f"{names[1]} {min(theirs):.0f} / {statistics.median(theirs):.0f} ms, x{ratio:.2f}"
    )


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
            ours = timed(partial(arrow_of_field_objects, pa, field, column, types), calls)
        theirs = timed(partial(pa.array, column), calls)
        shown(label, ours, theirs, ("ours", "pyarrow"))


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

    lists = timed(partial(reduce, records), calls)
    by_rows = timed(
        partial(reduce, {"timestamp": stamps, "execution_time_ms": times.tolist()}), calls
    )
    beside = {"timestamp": stamps, "execution_time_ms": times}
    ours = timed(partial(reduce, beside), calls)
    with patch.object(dict_columns, "arrow_of_field_objects", lambda *_: None):
        theirs = timed(partial(reduce, beside), calls)  # (pyarrow's conversion, as before)
    shown("reduction: list beside an array vs the list of dicts", ours, lists, ("ours", "records"))
    shown("reduction: list beside an array vs a dict of lists", ours, by_rows, ("ours", "lists"))
    shown("reduction: list beside an array, ours vs pyarrow's", ours, theirs, ("ours", "pyarrow"))


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    import pandas  # noqa: F401  (pyarrow's conversion imports it: not timed)

    conversions(calls, rows)
    reductions(calls, rows)


if __name__ == "__main__":
    main()
