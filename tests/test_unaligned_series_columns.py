"""A dict of columns whose pandas Series have different indexes is refused, naming them:
read by position, a record joined values of different rows, silently (pandas itself
pairs two Series by label). Series of one index, and Series beside lists or arrays, are
read by position as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=7)
REDUCER = NodeUsageAnalyticsReducer()
FRAME = pd.DataFrame(
    {
        "timestamp": [START + timedelta(hours=5 * i) for i in range(4)],
        "success": [True, False, True, True],
        "agent": ["a", "b", "c", "d"],
    }
)


def request(data: Any, on_invalid: str = "raise") -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        on_invalid=on_invalid,
    )


def test_series_of_another_order_are_refused_naming_them_and_their_first_difference() -> None:
    # One column sorted by its values: its index is [3, 2, 1, 0]; read by position, 'd'
    # was the agent of the first run and 'a' of the last, the successes not theirs.
    columns = {
        "timestamp": FRAME["timestamp"],
        "success": FRAME["success"],
        "agent": FRAME["agent"].sort_values(ascending=False),
    }
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_reduction_sync(request(columns))
    assert str(raised.value).startswith(
        "the columns 'timestamp' and 'agent' are pandas Series with different indexes "
        "(row 0 is labelled 0 in one and 3 in the other): a dict of columns pairs their "
        "values by position, not by label"
    )


def test_series_of_two_frames_of_as_many_rows_are_refused_in_a_batch_and_an_update() -> None:
    other = FRAME.set_axis(["w", "x", "y", "z"])
    columns = {
        "timestamp": FRAME["timestamp"],
        "pattern_id": other["agent"],
    }
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=columns
    )
    with pytest.raises(UsageAnalyticsError, match="row 0 is labelled 0 in one and 'w'"):
        REDUCER.execute_batch_reduction_sync(batch)
    # (One pattern's update reads no pattern id: its agents are the other frame's.)
    update = {"timestamp": FRAME["timestamp"], "agent": other["agent"]}
    with pytest.raises(UsageAnalyticsError, match="'timestamp' and 'agent' are pandas"):
        UsageAccumulator(START, END, "weekly").update(update)


@pytest.mark.parametrize(
    "columns",
    [
        {"timestamp": FRAME["timestamp"], "success": FRAME["success"]},
        {"timestamp": FRAME["timestamp"][::-1], "success": FRAME["success"][::-1]},
        {"timestamp": FRAME["timestamp"].sort_values(), "success": list(FRAME["success"])},
        {"timestamp": FRAME["timestamp"], "success": np.array(FRAME["success"])},
        # (A column the analytics never read is not compared.)
        {"timestamp": FRAME["timestamp"], "note": FRAME["agent"][::-1]},
    ],
    ids=["one index", "one reversed index", "beside a list", "beside an array", "an extra"],
)
def test_series_of_one_index_or_beside_unlabelled_columns_read_by_position(
    columns: dict[str, Any],
) -> None:
    positional = {name: list(column) for name, column in columns.items()}
    got = REDUCER.execute_reduction_sync(request(columns)).success_metrics
    assert got == REDUCER.execute_reduction_sync(request(positional)).success_metrics


def test_an_invalid_record_of_series_of_one_index_is_named_by_its_label_as_in_their_frame() -> None:
    # (Its position alone was given: "record 2: ...", where the frame of the same Series
    # said "record 2 (index label 'c'): ...".)
    frame = FRAME.set_axis(["a", "b", "c", "d"]).assign(execution_time_ms=[1.0, 2.0, -3.0, 4.0])
    columns = {name: frame[name] for name in frame.columns}
    for data in (columns, frame):
        with pytest.raises(InvalidRecordError) as raised:
            REDUCER.execute_reduction_sync(request(data))
        assert str(raised.value) == (
            "record 2 (index label 'c'): field 'execution_time_ms' = -3.0: must be >= 0"
        )
    skipped = REDUCER.execute_reduction_sync(
        request(columns).model_copy(update={"on_invalid": "skip"})
    )
    assert [sample.location for sample in skipped.data_quality.error_samples] == ["index label 'c'"]
    # (A column the analytics never read gives no label: its index is not theirs.)
    columns = {**dict.fromkeys(frame.columns), "note": frame["agent"]}
    columns.update({name: list(frame[name]) for name in frame.columns})
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(request(columns))
    assert raised.value.location is None


@pytest.mark.parametrize(
    ("labels", "same_labels"),
    [
        (pd.RangeIndex(4), pd.Index([0, 1, 2, 3], dtype="Int64")),
        (
            pd.date_range("2026-01-01", periods=4, freq="h", tz="UTC"),
            pd.date_range("2026-01-01", periods=4, freq="h", tz="UTC").tz_convert("Asia/Tokyo"),
        ),
    ],
    ids=["a nullable integer index", "the same instants in another zone"],
)
def test_series_of_equal_labels_in_indexes_of_other_dtypes_read_by_position(
    labels: Any, same_labels: Any
) -> None:
    # `Index.equals` refuses indexes of other dtypes whose labels are equal, which pandas
    # aligns row for row: these were refused as "their labels are equal but the indexes
    # are not", joining values of different rows, which they do not.
    columns = {
        "timestamp": FRAME["timestamp"].set_axis(labels),
        "success": FRAME["success"].set_axis(same_labels),
    }
    assert len(pd.DataFrame(columns)) == len(FRAME)  # (pandas pairs them row for row)
    positional = {name: list(column) for name, column in columns.items()}
    got = REDUCER.execute_reduction_sync(request(columns)).success_metrics
    assert got == REDUCER.execute_reduction_sync(request(positional)).success_metrics
