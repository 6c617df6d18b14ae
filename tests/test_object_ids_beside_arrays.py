"""A dict of numpy arrays whose pattern ids are a numpy array of Python objects (a pandas
column's `to_numpy()`) gives what the list of dicts of its rows gives, and ids all str
stay a table column: since `b80433f` the coded text of such ids (a dictionary column,
`object_text_as_dictionary`) was taken for a type records read otherwise, and the whole
dict was read as its rows (1M rows: 0.3-0.6 s -> 18-25 s,
`benches/object_ids_beside_arrays.py`)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from equivalence import batch_outcome
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from usage_analytics.ingest import dict_columns

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: Ids of each kind a record takes, missing ones and ones records refuse (a float, bytes).
IDS = [
    "a",
    "b",
    "",
    "p 1",
    1,
    2,
    uuid.UUID(int=1),
    uuid.UUID(int=2),
    None,
    math.nan,
    1.5,
    b"c",
]


def _objects(values: list[Any]) -> Any:
    """A numpy array of these objects as they are (`np.array` would convert some)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _forms(ids: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The `ids` as a numpy array of objects beside numpy columns, and the list of dicts
    of the same records (a NaN id None there, as any numpy or pandas column's)."""
    n = len(ids)
    stamps = [START + timedelta(hours=i) for i in range(n)]
    columns = {
        "pattern_id": _objects(ids),
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "success": np.arange(n) % 2 == 0,
        "execution_time_ms": np.arange(n, dtype=float),
    }
    records = [
        {
            "pattern_id": None if isinstance(pid, float) and math.isnan(pid) else pid,
            "timestamp": stamp,
            "success": i % 2 == 0,
            "execution_time_ms": float(i),
        }
        for i, (stamp, pid) in enumerate(zip(stamps, ids, strict=True))
    ]
    return columns, records


def _no_rows(rows: Any) -> Any:
    raise AssertionError("read as its rows")


@pytest.mark.parametrize(
    "ids",
    [
        ["a", "b", "a", "b"],
        ["a", None, "b", math.nan],  # (missing ones: each record's error, or skipped)
        [1, 2, None, 1],
        [uuid.UUID(int=1), None, uuid.UUID(int=2)],
    ],
    ids=["str", "str and missing", "int", "UUID"],
)
def test_object_ids_of_one_kind_stay_a_table_column(
    ids: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    columns, records = _forms(ids)
    expected = {mode: batch_outcome(records, mode, START, END) for mode in ("raise", "skip")}
    monkeypatch.setattr(dict_columns, "_rows", _no_rows)
    for mode in ("raise", "skip"):
        assert batch_outcome(columns, mode, START, END) == expected[mode]


def test_a_pandas_series_of_str_ids_stays_a_table_column(monkeypatch: pytest.MonkeyPatch) -> None:
    columns, records = _forms(["a", None, "b", "a"])
    columns["pattern_id"] = pd.Series(columns["pattern_id"], dtype=object)
    expected = batch_outcome(records, "skip", START, END)
    monkeypatch.setattr(dict_columns, "_rows", _no_rows)
    assert batch_outcome(columns, "skip", START, END) == expected


@pytest.mark.parametrize(
    "ids", [[1, "a", None, 1], ["a", 1.5, "b"], ["a", b"c"]], ids=["int and str", "float", "bytes"]
)
def test_object_ids_of_several_kinds_are_read_as_their_rows(ids: list[Any]) -> None:
    columns, records = _forms(ids)
    for mode in ("raise", "skip"):
        outcome = batch_outcome(columns, mode, START, END)
        assert outcome[0] != "refused"
        assert outcome == batch_outcome(records, mode, START, END)


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.sampled_from(IDS), min_size=1, max_size=10), raise_mode=st.booleans())
def test_object_ids_beside_arrays_equal_the_list_of_their_rows(
    ids: list[Any], raise_mode: bool
) -> None:
    # (Ids all floats are a column of float ids, read as the ints they stand for, as a
    # pandas column of them is: not a list's. `test_object_arrays_beside_arrays.py`.)
    assume(not all(isinstance(pid, float) for pid in ids if pid is not None))
    columns, records = _forms(ids)
    mode = "raise" if raise_mode else "skip"
    assert batch_outcome(columns, mode, START, END) == batch_outcome(records, mode, START, END)
