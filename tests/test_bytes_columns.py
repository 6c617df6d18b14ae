"""A numpy bytes array (dtype `S`) as a dict of columns' field (or a batch's ids) is
refused before it is converted (`ingest.bytes_columns`): the core's own refusal of the
Arrow binary column it became, the same words, naming the array's first value and its
row too. Measured in benches/bytes_columns.py (BENCHMARKS.md, helper 239)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import numpy as np
import pytest
from equivalence import batch_outcome
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import _core
from usage_analytics.ingest import bytes_columns, dict_columns, text_buffers

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
FIELDS = sorted(_core.RECORD_COLUMNS)


def _columns(field: str, values: Any) -> dict[str, Any]:
    rows = len(values)
    stamps = np.datetime64("2026-01-06T01:00", "us") + np.arange(rows).astype("timedelta64[m]")
    return {"pattern_id": np.array(["p"] * rows), "timestamp": stamps, field: values}


def _converted_then_refused(columns: dict[str, Any]) -> Any:
    """The outcome as it was: the array converted to Arrow binary, refused by the core."""
    with mock.patch.object(dict_columns, "refuse_bytes_column", return_value=None):
        return batch_outcome(columns, "skip", START, END)


def _masked(data: st.DataObject, values: Any) -> Any:
    if not data.draw(st.booleans()):
        return values
    hidden = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    return np.ma.masked_array(values, mask=hidden)


@pytest.mark.parametrize("field", FIELDS)
@given(data=st.data())
def test_a_bytes_array_gets_the_cores_refusal_naming_its_first_value(
    field: str, data: st.DataObject
) -> None:
    values = data.draw(st.lists(st.binary(min_size=1, max_size=5), min_size=1, max_size=8))
    column = _masked(data, np.array(values, dtype=f"S{data.draw(st.integers(5, 9))}"))
    hidden = np.ma.getmaskarray(column)
    if hidden.all():
        return  # (no value: `test_a_bytes_array_of_no_value_is_all_missing_as_before`)
    ours = batch_outcome(_columns(field, column), "skip", START, END)
    theirs = _converted_then_refused(_columns(field, column))
    row = int(np.argmin(hidden))
    named = bytes_columns.first_value(row, values[row].rstrip(b"\0"))
    assert ours[0] == theirs[0] == "refused"
    assert named in ours[1]
    assert ours[1].replace(f" {named}", "") == theirs[1]  # (the core's words, the same)


@pytest.mark.parametrize("field", ["agent", "success", "timestamp", "pattern_id"])
def test_a_bytes_array_is_refused_before_it_is_converted(field: str) -> None:
    converted = mock.Mock(side_effect=AssertionError("converted"))
    columns = _columns(field, np.array([b"yes", b"no"] * 50))
    with mock.patch.object(text_buffers, "_bytes_slice", converted):
        outcome = batch_outcome(columns, "skip", START, END)
    assert outcome[0] == "refused"
    assert "(row 0 holds b'yes': bytes, not decoded text)" in outcome[1]
    converted.assert_not_called()  # (it was called once a slice of rows without the check)


def test_a_masked_bytes_arrays_first_value_is_its_first_unmasked_one() -> None:
    column = np.ma.masked_array(np.array([b"a", b"b", b"c"]), mask=[True, True, False])
    outcome = batch_outcome(_columns("agent", column), "skip", START, END)
    assert outcome[0] == "refused"
    assert "(row 2 holds b'c': bytes, not decoded text)" in outcome[1]


@pytest.mark.parametrize(
    "column",
    [
        np.array([], dtype="S3"),
        np.ma.masked_array(np.array([b"a", b"b"]), mask=[True, True]),
    ],
    ids=["no rows", "every row masked"],
)
def test_a_bytes_array_of_no_value_is_all_missing_as_before(column: Any) -> None:
    ours = batch_outcome(_columns("agent", column), "skip", START, END)
    assert ours == _converted_then_refused(_columns("agent", column))
    assert ours[0] != "refused"


def test_a_bytes_column_beside_no_timestamps_gets_the_missing_timestamps_refusal() -> None:
    columns = {"pattern_id": ["p"], "agent": np.array([b"a"])}
    ours = batch_outcome(columns, "skip", START, END)
    assert ours == _converted_then_refused(columns)
    assert "timestamp" in ours[1]
    assert "holds b'a'" not in ours[1]


def test_a_bytes_column_the_call_does_not_read_is_not_refused() -> None:
    columns = _columns("notes", np.array([b"x", b"y"]))
    assert batch_outcome(columns, "skip", START, END)[0] != "refused"
