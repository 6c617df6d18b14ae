"""pandas' kind of a column of Python objects (`infer_dtype`) is inferred a slice at a
time: one call over a million datetimes held the GIL for 130 ms, and an awaited
reduction's worker thread stopped the event loop that long. The slices must give the
whole column's kind, whatever the mixture."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics.object_slices import OBJECT_SLICE, inferred_kind

#: One value of each kind a record column may hold, and pandas' missing markers.
VALUES: list[Any] = [
    None,
    math.nan,
    pd.NaT,
    pd.NA,
    np.datetime64("NaT"),
    0,
    7,
    np.int64(3),
    1.5,
    np.float32(2.5),
    True,
    np.bool_(False),
    "text",
    b"bytes",
    Decimal("1.25"),
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(2026, 1, 1),
    pd.Timestamp("2026-01-01", tz="UTC"),
    np.datetime64("2026-01-01T00:00:00"),
    date(2026, 1, 1),
    time(12, 0),
    timedelta(seconds=3),
    complex(1, 2),
    pd.Period("2026-01", "M"),
    pd.Period("2026", "Y"),
    pd.Interval(0, 1, "right"),
    pd.Interval(0, 1, "left"),
]


def _column(indices: list[int]) -> np.ndarray:
    column = np.empty(len(indices), dtype=object)
    column[:] = [VALUES[i] for i in indices]
    return column


@settings(max_examples=400, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.integers(0, len(VALUES) - 1), st.integers(1, 4)), min_size=1, max_size=8
    ),
    step=st.integers(1, 5),
)
def test_the_slices_kind_is_the_whole_columns(runs: list[tuple[int, int]], step: int) -> None:
    # (Runs of one value, as columns are: a slice then holds one kind, or two.)
    column = _column([index for index, length in runs for _ in range(length)])
    whole = pd.api.types.infer_dtype(column, skipna=True)
    assert inferred_kind(pd, column, step) == whole
    assert inferred_kind(pd, pd.Series(column, dtype=object), step) == whole


def test_periods_or_intervals_of_two_kinds_are_a_mixture() -> None:
    # Each slice's periods share a frequency, intervals a closed side: "period" or
    # "interval" each, where pandas finds the whole column's "mixed".
    for first, second in [
        (pd.Period("2026-01", "M"), pd.Period("2026", "Y")),
        (pd.Interval(0, 1, "right"), pd.Interval(0, 1, "left")),
    ]:
        column = np.array([first] * 3 + [second] * 3, dtype=object)
        assert pd.api.types.infer_dtype(column, skipna=True) == "mixed"
        assert inferred_kind(pd, column, 3) == "mixed"


def test_a_million_datetimes_are_inferred_a_slice_at_a_time(monkeypatch: Any) -> None:
    column = pd.Series([datetime(2026, 1, 1, tzinfo=UTC)] * 1_000_000, dtype=object)
    lengths: list[int] = []
    infer = pd.api.types.infer_dtype

    def recorded(values: Any, skipna: bool = True) -> str:
        lengths.append(len(values))
        return str(infer(values, skipna=skipna))

    monkeypatch.setattr(pd.api.types, "infer_dtype", recorded)
    assert inferred_kind(pd, column) == "datetime"
    assert max(lengths) == OBJECT_SLICE
    assert sum(lengths) == len(column)


def test_pandas_own_dtypes_are_inferred_at_once() -> None:
    text = pd.Series(["a", None, "b"] * OBJECT_SLICE, dtype="string")
    assert inferred_kind(pd, text, 2) == "string"
    assert inferred_kind(pd, pd.Series([1.0, math.nan] * OBJECT_SLICE), 2) == "floating"
