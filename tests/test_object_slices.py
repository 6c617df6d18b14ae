"""Columns of Python objects (a dict of numpy arrays, as a tz-aware pandas column's
`to_numpy()` gives them) are converted a slice at a time: one pyarrow call over a million
pandas Timestamps held the GIL for half a second, and an awaited reduction's worker
thread stopped the event loop that long. The slices give the list of dicts' results."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from equivalence import comparable
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, _core
from usage_analytics.object_slices import OBJECT_SLICE, distinct

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ROWS = 3 * OBJECT_SLICE + 5
REDUCER = NodeUsageAnalyticsReducer()


def _records(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [
        {
            "timestamp": NOW - timedelta(seconds=rng.randrange(30 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.expovariate(1 / 120),
            "agent": f"agent-{rng.randrange(7)}",
        }
        for _ in range(n)
    ]


def _analytics(data: Any) -> dict[str, Any]:
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=NOW - timedelta(days=30),
        time_window_end=NOW,
        execution_data=data,
    )
    return comparable(REDUCER.execute_reduction_sync(contract))


def _object_lengths_converted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the numpy object arrays pyarrow is asked to convert, and of the
    lists of objects the core's parsers read (`_core.field_column`), as they come."""
    lengths: list[int] = []
    convert, read = pa.array, _core.field_column

    def counting(values: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(values, np.ndarray) and values.dtype.kind == "O":
            lengths.append(len(values))
        return convert(values, *args, **kwargs)

    def reading(field: str, values: Any) -> Any:
        lengths.append(len(values))
        return read(field, values)

    monkeypatch.setattr(pa, "array", counting)
    monkeypatch.setattr(_core, "field_column", reading)
    return lengths


def test_a_numpy_column_of_timestamps_is_converted_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = _records(ROWS)
    frame = pd.DataFrame(records)
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    assert isinstance(columns["timestamp"][0], pd.Timestamp)
    expected = _analytics(records)
    lengths = _object_lengths_converted(monkeypatch)
    assert _analytics(columns) == expected
    assert lengths, "the timestamps were converted at once"
    assert max(lengths) <= OBJECT_SLICE


@pytest.mark.parametrize("form", ["dict of Series", "frame"])
def test_pandas_datetime_objects_are_converted_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    # Times of several UTC offsets: pandas keeps them as objects.
    records = _records(ROWS)
    for i, record in enumerate(records):
        record["timestamp"] = record["timestamp"].astimezone(timezone(timedelta(hours=i % 3)))
    frame = pd.DataFrame(records)
    assert frame["timestamp"].dtype == object
    expected = _analytics(records)
    lengths = _object_lengths_converted(monkeypatch)
    data = {name: frame[name] for name in frame.columns} if form == "dict of Series" else frame
    assert _analytics(data) == expected
    assert lengths, "the timestamps were converted by pyarrow as numpy objects"
    assert max(lengths) <= OBJECT_SLICE


def test_slices_inferred_as_other_types_give_the_whole_columns_values() -> None:
    # ints in the first slice, floats after: the whole column's inference (floats), not
    # one chunk of int64 beside chunks of doubles.
    records = _records(ROWS)
    for record in records[:OBJECT_SLICE]:
        record["execution_time_ms"] = int(record["execution_time_ms"])
    columns = {name: np.array([r[name] for r in records], dtype=object) for name in records[0]}
    assert _analytics(columns) == _analytics(records)


def test_distinct_takes_every_value() -> None:
    values = [1, "a", 2.0, None] * OBJECT_SLICE + [b"x"]
    assert distinct(type, values) == set(map(type, values))
    assert distinct(type, iter(values)) == {int, str, float, type(None), bytes}
    assert distinct(type, []) == set()
