"""The reducer's reading of a pandas frame looks at each column of Python objects once:
pandas' kind of it inferred once, and the types of its values found in one pass, shared
by the numpy datetime64 NaT check and the kinds' check (the types were found twice, about
90 ms a million objects each; the Dask path's twin is in `test_dask.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from object_looks import counted_looks
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


def _frame(rows: int) -> pd.DataFrame:
    """Typed columns beside number and flag columns of Python objects (ints among
    floats, bools among None), and an id column of objects (ints and str)."""
    rng = np.random.default_rng(5)
    times = rng.uniform(0, 1000, rows)
    return pd.DataFrame(
        {
            "pattern_id": pd.Series([i if i % 2 else f"p{i}" for i in range(rows)], dtype=object),
            "timestamp": pd.Timestamp(START)
            + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s"),
            "success": pd.Series([True if i % 4 else None for i in range(rows)], dtype=object),
            "execution_time_ms": pd.Series(
                [int(t) if i % 3 == 0 else float(t) for i, t in enumerate(times)], dtype=object
            ),
            "quality_score": pd.Series([0.5] * rows, dtype=object),
        }
    )


def test_a_batchs_object_columns_are_each_looked_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _frame(300)
    looked = counted_looks(monkeypatch)
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=frame
    )
    output = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(request)
    assert output.results
    # (execution_time_ms: ints and floats, a "mixed-integer-float" kind, looked at by both.)
    assert ("types", "execution_time_ms") in looked
    assert ("types", "pattern_id") in looked
    assert sorted(looked) == sorted(set(looked)), str(looked)


def test_a_reductions_object_columns_are_each_looked_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _frame(300).drop(columns="pattern_id")
    looked = counted_looks(monkeypatch)
    request = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=frame
    )
    output = NodeUsageAnalyticsReducer().execute_reduction_sync(request)
    assert output.total_data_points == 300
    assert ("types", "execution_time_ms") in looked
    assert sorted(looked) == sorted(set(looked)), str(looked)


def test_numpy_nats_among_objects_are_still_missing() -> None:
    # (The check the shared types now serve: a NaT among a number column's objects is
    # None before pyarrow's conversion, which crashes on it before a numpy scalar.)
    frame = _frame(30).drop(columns="pattern_id")
    values = list(frame["execution_time_ms"])
    values[0], values[1] = np.datetime64("NaT"), np.int64(7)
    frame["execution_time_ms"] = pd.Series(values, dtype=object)
    records = frame.to_dict("records")
    records[0]["execution_time_ms"] = None
    reducer = NodeUsageAnalyticsReducer()

    def reduced(data: Any) -> Any:
        request = ModelUsageAnalyticsInput(
            pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
        )
        output = reducer.execute_reduction_sync(request)
        return output.model_dump(exclude={"correlation_id", "computed_at", "computation_time_ms"})

    assert reduced(frame) == reduced(records)
