"""A record field's numpy array of Python objects of several kinds (a pandas object
column's `to_numpy()`) beside other numpy arrays, in a dict of columns, is read as the
same values in a list are: value by value, as the list of dicts of its rows, its missing
markers (NaN, NaT, pandas' NA) missing as in any numpy or pandas column. It was refused
naming its kinds ("it mixes values of the kinds float, int, str")."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from equivalence import batch_outcome
from hypothesis import assume, given, settings
from hypothesis import strategies as st

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: The missing markers of a numpy or pandas column of objects (None in a record).
MISSING = [None, math.nan, pd.NA, pd.NaT, np.datetime64("NaT"), Decimal("NaN")]
#: Values of every kind a record field may be given, good and bad for each field.
VALUES = [
    *MISSING,
    1.5,
    2,
    -2,
    0,
    1,
    True,
    False,
    "x",
    "0.5",
    "a.py",
    np.int64(-3),
    np.float64(-0.5),
    np.float32(0.25),
    Decimal("0.5"),
    timedelta(milliseconds=5),
    b"c",
]
#: Timestamps of every kind (ints, epoch microseconds in a column, are tested apart).
STAMPS = [
    *MISSING,
    START + timedelta(hours=1),
    (START + timedelta(hours=2)).replace(tzinfo=None),
    (START + timedelta(hours=3)).isoformat(),
    "2026-01-06T04:00:00Z",
    "not a time",
    date(2026, 1, 7),
    np.datetime64("2026-01-08T00:00:00"),
    np.datetime64("2026-01-09", "D"),
    1.5,
    True,
]
FIELDS = [
    "success",
    "timeout",
    "quality_gates_passed",
    "execution_time_ms",
    "quality_score",
    "context_type",
    "agent",
    "project",
    "file_path",
    "pattern_id",
    "timestamp",
]


def _objects(values: list[Any]) -> Any:
    """A numpy array of these objects as they are (`np.array` would convert some)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _missing(value: Any) -> bool:
    return any(value is marker for marker in MISSING) or (
        isinstance(value, float) and math.isnan(value)
    )


def _outcome(data: Any, mode: str) -> Any:
    return batch_outcome(data, mode, START, END)


def _forms(field: str, values: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`field`'s `values` as a numpy array of objects beside numpy columns, and the list
    of dicts of the same records (missing markers None)."""
    n = len(values)
    stamps = [START + timedelta(hours=i) for i in range(n)]
    columns: dict[str, Any] = {
        "pattern_id": np.arange(n) % 3,
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "success": np.arange(n) % 2 == 0,
        field: _objects(values),
    }
    records = [
        {
            "pattern_id": i % 3,
            "timestamp": stamp,
            "success": i % 2 == 0,
            field: None if _missing(value) else value,
        }
        for i, (stamp, value) in enumerate(zip(stamps, values, strict=True))
    ]
    return columns, records


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 12), raise_mode=st.booleans())
def test_an_object_array_beside_arrays_equals_the_list_of_its_rows(
    data: st.DataObject, n: int, raise_mode: bool
) -> None:
    field = data.draw(st.sampled_from(FIELDS), label="field")
    pool = STAMPS if field == "timestamp" else VALUES
    values = data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n), label="values")
    present = [value for value in values if not _missing(value)]
    # (Ids all floats are a column of float ids, read as the ints they stand for, as a
    # pandas column of them is: not a list's.)
    assume(field != "pattern_id" or not all(isinstance(v, float | np.floating) for v in present))
    columns, records = _forms(field, values)
    mode = "raise" if raise_mode else "skip"
    assert _outcome(columns, mode) == _outcome(records, mode)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("execution_time_ms", [1.5, "x", None, 2]),
        ("execution_time_ms", [1.5, -2, math.nan, 2]),
        ("timestamp", [START, "2026-01-06T00:00:00Z", "not a time", None]),
        ("success", [True, 1, None, "no"]),
        ("pattern_id", [1, "a", None, 1]),
    ],
)
def test_an_object_array_of_several_kinds_is_read_as_its_rows(
    field: str, values: list[Any]
) -> None:
    columns, records = _forms(field, values)
    for mode in ("raise", "skip"):
        outcome = _outcome(columns, mode)
        assert outcome[0] != "refused"
        assert outcome == _outcome(records, mode)


def test_an_object_array_of_int_timestamps_among_others_stays_refused() -> None:
    # (Ints are epoch microseconds in a column, which records refuse: no reading of its
    # rows holds them as given.)
    columns, _ = _forms("success", [True, False])
    columns["timestamp"] = _objects([1_767_600_000_000_000, "2026-01-06T00:00:00Z"])
    assert _outcome(columns, "skip") == (
        "refused",
        "cannot read column 'timestamp': it mixes values of the kinds int, str, which one "
        "Arrow column cannot hold as they are (pass the records as a list of dicts, whose "
        "values are judged one by one)",
    )
