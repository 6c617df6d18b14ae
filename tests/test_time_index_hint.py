"""A pandas frame whose datetimes are its index under another name than `timestamp` (or
none) has no 'timestamp' column: the error says which index holds datetimes and how to
have them read (`ingest._with_time_index_hint`). An index named `timestamp` is read as
the column (test_columnar_input.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
TIMES = pd.date_range("2026-11-05", periods=3, freq="h", tz="UTC")
OUTCOMES = [True, False, True]
HOW = "holds datetimes: name it 'timestamp' (DataFrame.rename_axis) to read them"


def reduce(data: pd.DataFrame) -> None:
    NodeUsageAnalyticsReducer().execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
        )
    )


@pytest.mark.parametrize(
    ("index", "holder"),
    [
        (TIMES, "the frame's index"),
        (TIMES.rename("when"), "the frame's index 'when'"),
        (TIMES.tz_localize(None), "the frame's index"),
        (pd.MultiIndex.from_arrays([list("abc"), TIMES]), "level 1 of the frame's index"),
        (
            pd.MultiIndex.from_arrays([list("abc"), TIMES], names=["k", "at"]),
            "level 1 'at' of the frame's index",
        ),
    ],
)
def test_a_frame_timed_by_its_index_is_told_how_to_name_it(index: pd.Index, holder: str) -> None:
    frame = pd.DataFrame({"success": OUTCOMES}, index=index)
    with pytest.raises(UsageAnalyticsError, match="has no 'timestamp' column") as raised:
        reduce(frame)
    assert str(raised.value).endswith(f"; {holder} {HOW} as the timestamps")
    # Named as the hint says, it is read.
    named = frame.rename_axis([*frame.index.names[:-1], "timestamp"])
    expected = NodeUsageAnalyticsReducer().execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="p",
            time_window_start=START,
            time_window_end=END,
            execution_data=[
                {"timestamp": t, "success": s} for t, s in zip(TIMES, OUTCOMES, strict=True)
            ],
        )
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="p", time_window_start=START, time_window_end=END, execution_data=named
        )
    )
    assert result.success_metrics == expected.success_metrics


def test_an_accumulator_and_a_batch_give_the_hint_too() -> None:
    frame = pd.DataFrame({"pattern_id": ["a"] * 3, "success": [True] * 3}, index=TIMES)
    with pytest.raises(UsageAnalyticsError, match=re.escape(f"the frame's index {HOW}")):
        UsageAccumulator(START, END).update(frame)
    with pytest.raises(UsageAnalyticsError, match=re.escape(f"the frame's index {HOW}")):
        NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(
                time_window_start=START, time_window_end=END, execution_data=frame
            )
        )


def test_an_index_of_no_datetimes_adds_nothing() -> None:
    frame = pd.DataFrame({"success": [True] * 3}, index=[1, 2, 3])
    with pytest.raises(UsageAnalyticsError) as raised:
        reduce(frame)
    assert str(raised.value) == (
        "invalid input: the columnar input has no 'timestamp' column "
        "(columns: success, __index_level_0__)"
    )
