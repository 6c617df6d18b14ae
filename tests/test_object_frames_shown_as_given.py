"""A pandas DataFrame's number or flag column of Python objects (dtype object: ints
among floats, numpy scalars) holding a bad value is read as the list of dicts of its rows
is, its bad value's error and samples showing it as given: an int -2 among floats as
"-2", a numpy scalar by its repr. Exported to Arrow, the column was floats, and the error
showed "-2.0" (the dict-of-columns form's twin, `test_object_arrays_beside_arrays.py`)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from equivalence import batch_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: Numbers of every kind a record's number or flag field may be given, good and bad.
VALUES = [
    None,
    math.nan,
    1.5,
    3.0,
    0.5,
    2,
    -2,
    0,
    1,
    -0.5,
    2.5,
    np.int64(-3),
    np.int64(4),
    np.int32(1),
    np.float64(-0.5),
    np.float64(0.25),
    np.float32(0.25),
    np.float32(-1.5),
]
FIELDS = [
    "execution_time_ms",
    "quality_score",
    "success",
    "timeout",
    "quality_gates_passed",
]


def _outcome(data: Any, mode: str) -> Any:
    return batch_outcome(data, mode, START, END)


def _forms(field: str, values: list[Any]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """`field`'s `values` as a pandas column of objects beside typed columns, and the
    list of dicts of the same records (NaN missing in the frame, None in a record)."""
    n = len(values)
    stamps = [START + timedelta(hours=i) for i in range(n)]
    objects = pd.Series(values, dtype=object)  # (each object as it is)
    frame = pd.DataFrame(
        {
            "pattern_id": np.arange(n) % 3,
            "timestamp": pd.to_datetime(stamps, utc=True),
            "agent": ["a", "b"] * (n // 2) + ["a"] * (n % 2),
            field: objects,
        }
    )
    records = [
        {
            "pattern_id": i % 3,
            "timestamp": stamp,
            "agent": "a" if i % 2 == 0 else "b",
            field: None if value is None or value is math.nan else value,
        }
        for i, (stamp, value) in enumerate(zip(stamps, values, strict=True))
    ]
    return frame, records


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    values=st.lists(st.sampled_from(VALUES), min_size=1, max_size=10),
    raise_mode=st.booleans(),
)
def test_an_object_column_of_a_frame_equals_the_list_of_its_rows(
    field: str, values: list[Any], raise_mode: bool
) -> None:
    frame, records = _forms(field, values)
    mode = "raise" if raise_mode else "skip"
    assert _outcome(frame, mode) == _outcome(records, mode)


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ([1.5, -2, 3.0], "-2"),
        ([1.5, np.int64(-2), 3.0], "np.int64(-2)"),
        ([1.5, np.float32(-0.5), 3.0], "np.float32(-0.5)"),
    ],
)
def test_a_bad_number_among_floats_is_shown_as_given(values: list[Any], shown: str) -> None:
    frame, _ = _forms("execution_time_ms", values)
    error = _outcome(frame, "raise")
    assert error[0] == "raised"
    assert error[1] == f"record 1: field 'execution_time_ms' = {shown}: must be >= 0"


def test_a_frame_of_good_objects_is_read_as_before() -> None:
    frame, records = _forms("execution_time_ms", [1.5, 2, np.int64(3), None])
    assert _outcome(frame, "raise") == _outcome(records, "raise")


def test_a_dask_partition_shows_the_bad_value_as_given() -> None:
    # (A partition is read as the reducer reads a frame: the same check decides.)
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    from usage_analytics.dask import analyze

    frame, _ = _forms("execution_time_ms", [1.5, -2, 3.0])
    # (dask converts a column of objects to text by default: kept as objects here.)
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        output = analyze(
            dd.from_pandas(frame, npartitions=1),
            time_window_start=START,
            time_window_end=END,
            on_invalid="skip",
        )
    samples = output.data_quality.error_samples
    assert [(s.index, s.field, s.value) for s in samples] == [(1, "execution_time_ms", "-2")]
