"""A pandas Series of record dicts (`pd.Series(records)`, `df.apply(f, axis=1)` of a
function returning dicts) is read as the list of its records is, each value judged as
given. It was exported as one Arrow struct column, whose inference by pyarrow coerced the
records' values to one type per field silently (a date among datetimes cut every
timestamp to its date; a bool among execution times read as 1.0), or refused the input in
its own words ("Expected integer, got bool" for a success of 1, valid in a record); a
None among the records (a missing record, an invalid one in a list) failed the Arrow
import ("ArrowArray struct has non-zero null count"), and a NaN first made the Series
"one column"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from equivalence import VOLATILE, assert_same, batch_outcome
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=7)
REDUCER = NodeUsageAnalyticsReducer()


def runs() -> list[dict[str, Any]]:
    return [
        {
            "timestamp": START + timedelta(hours=7 * i + 1, minutes=13),
            "success": i % 3 != 0,
            "execution_time_ms": 10.0 * i + 0.5,
            "agent": "ab"[i % 2],
        }
        for i in range(6)
    ]


def outcome(data: Any, on_invalid: str) -> Any:
    """A call's whole outcome: its output, or its error's text and parts."""
    request = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        on_invalid=on_invalid,
    )
    try:
        return REDUCER.execute_reduction_sync(request).model_dump(exclude=set(VOLATILE))
    except InvalidRecordError as error:
        return ("raised", str(error), error.index, error.field, error.value, error.reason)
    except UsageAnalyticsError as error:
        return ("refused", str(error))


#: One record's field set to a value of another kind than the others' (None: the record
#: itself replaced), each valid or invalid as in a list.
ODD_VALUES: dict[str, tuple[int, str | None, Any]] = {
    "a date among datetimes": (2, "timestamp", date(2026, 1, 3)),
    "a date first": (0, "timestamp", date(2026, 1, 1)),
    "ISO text among datetimes": (4, "timestamp", "2026-01-03T05:00:00Z"),
    "a bool among execution times": (3, "execution_time_ms", True),
    "a success of 1": (1, "success", 1),
    "a success of 1.0": (1, "success", 1.0),
    "an int agent": (2, "agent", 5),
    "a dict agent": (2, "agent", {"name": "a"}),
    "a None record": (3, None, None),
    "a NaN record first": (0, None, float("nan")),
    "pandas' NA record": (5, None, pd.NA),
}


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
@pytest.mark.parametrize("case", list(ODD_VALUES))
def test_a_series_of_records_reads_as_their_list(case: str, on_invalid: str) -> None:
    position, field, value = ODD_VALUES[case]
    records: list[Any] = runs()
    if field is None:
        records[position] = value
    else:
        records[position][field] = value
    expected = outcome(records, on_invalid)
    assert_same(outcome(pd.Series(records, dtype=object), on_invalid), expected)


def test_an_invalid_record_of_a_labelled_series_is_named_by_its_label() -> None:
    records: list[Any] = runs()
    records[2] = None
    series = pd.Series(records, index=list("uvwxyz"), dtype=object)
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(
            ModelUsageAnalyticsInput(
                pattern_id="p", time_window_start=START, time_window_end=END, execution_data=series
            )
        )
    assert str(raised.value).startswith("record 2 (index label 'w'): field 'record' = None: ")


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_a_batch_of_a_series_of_records_reads_as_their_list(on_invalid: str) -> None:
    records: list[Any] = [dict(run, pattern_id=[1, "1", 2][i % 3]) for i, run in enumerate(runs())]
    records[1]["timestamp"] = date(2026, 1, 2)
    records[4]["pattern_id"] = np.float64(2.0)  # (an invalid id in a record)
    expected = batch_outcome(records, on_invalid, START, END)
    assert_same(batch_outcome(pd.Series(records), on_invalid, START, END), expected)


def test_a_series_of_arrow_structs_with_null_rows_is_refused_as_a_struct_array_is() -> None:
    # A polars Series of structs, or a pandas one of pyarrow structs, with a null row
    # failed the core's import in Arrow's words ("ArrowArray struct has non-zero null
    # count, cannot be imported as RecordBatch"); a pyarrow struct array says what to do.
    rows = pa.array([None, *runs()[1:]])
    refusal = "an Arrow struct array with null rows is not a table: drop or fill them first"
    for data in (rows, pl.Series("runs", rows), pd.Series(pd.arrays.ArrowExtensionArray(rows))):
        assert outcome(data, "skip")[1].endswith(refusal), type(data)
    whole = runs()
    for data in (
        pl.Series("runs", whole),
        pd.Series(pd.arrays.ArrowExtensionArray(pa.array(whole))),
    ):
        assert_same(outcome(data, "raise"), outcome(whole, "raise"))
