"""A number field's list of ints and floats beside numpy arrays (a dict of columns) shows
its bad values as they were given, as the list of dicts of its rows does: the ints among
floats made a float column, whose error and samples showed -2 as "-2.0"."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from equivalence import VOLATILE
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.ingest import dict_columns

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: Numbers good and bad for either field, ints and floats (numpy's too), and missing ones.
NUMBERS = st.one_of(
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from([None, math.nan, np.int64(-2), np.float64(-0.5), np.float32(1.5)]),
)


def _reduce(data: Any, mode: str = "raise") -> Any:
    return REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="p",
            time_window_start=START,
            time_window_end=END,
            execution_data=data,
            on_invalid=mode,
        )
    )


def _outcome(data: Any, mode: str) -> Any:
    """The call's output (its data quality, samples and all), or its error's text."""
    try:
        output = _reduce(data, mode)
    except InvalidRecordError as error:
        return str(error)
    return output.model_dump(exclude=set(VOLATILE))


def _forms(field: str, values: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The records with `field`'s `values` as a dict of numpy columns and that field's
    list, and as a list of dicts."""
    stamps = [START + timedelta(hours=i) for i in range(len(values))]
    columns = {
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "success": np.arange(len(values)) % 2 == 0,
        field: values,
    }
    records = [
        {"timestamp": stamp, "success": i % 2 == 0, field: value}
        for i, (stamp, value) in enumerate(zip(stamps, values, strict=True))
    ]
    return columns, records


@settings(max_examples=80, deadline=None)
@given(
    field=st.sampled_from(["execution_time_ms", "quality_score"]),
    values=st.lists(NUMBERS, min_size=1, max_size=12),
    raise_mode=st.booleans(),
)
def test_a_number_list_beside_arrays_equals_the_list_of_its_rows(
    field: str, values: list[Any], raise_mode: bool
) -> None:
    columns, records = _forms(field, values)
    mode = "raise" if raise_mode else "skip"
    assert _outcome(columns, mode) == _outcome(records, mode)


@pytest.mark.parametrize(
    ("field", "values", "shown"),
    [
        ("execution_time_ms", [1.5, -2, 3.0], "-2"),
        ("execution_time_ms", [1.5, np.int64(-2), None], "np.int64(-2)"),  # (its repr)
        ("quality_score", [0.5, 2, None], "2"),
        ("execution_time_ms", [1, -2.5, 3], "-2.5"),  # (a float: shown as one)
    ],
)
def test_the_error_shows_a_bad_int_among_floats_as_given(
    field: str, values: list[Any], shown: str
) -> None:
    columns, records = _forms(field, values)
    with pytest.raises(InvalidRecordError) as error:
        _reduce(columns)
    assert error.value.value == shown
    assert str(error.value) == _outcome(records, "raise")


def test_good_ints_among_floats_stay_a_table_column(monkeypatch: pytest.MonkeyPatch) -> None:
    # (Read as rows only where a bad value would be shown: `benches/dict_of_lists.py`.)
    def no_rows(rows: Any) -> Any:
        raise AssertionError("read as its rows")

    monkeypatch.setattr(dict_columns, "_rows", no_rows)
    columns, _ = _forms("execution_time_ms", [1.5, 2, None, 3, -0.5])
    assert "-0.5" in _outcome(columns, "raise")


@pytest.mark.parametrize("number", [1.5, 2])
def test_a_number_after_a_duration_is_no_microseconds(number: float) -> None:
    # pyarrow's inference made a duration column of [timedelta, 1.5], the number read as
    # microseconds: an execution time of 1.5 ms became 0.001 ms, silently.
    columns, records = _forms("execution_time_ms", [timedelta(milliseconds=5), number])
    assert _outcome(columns, "raise") == _outcome(records, "raise")
    assert _reduce(columns).performance_metrics.min_execution_time_ms == number
