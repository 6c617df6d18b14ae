"""The reading of a dict of columns (`ingest.columns_to_arrow`) looks at each column of
Python objects (a numpy array of them, a list beside arrays) once: the types of its
values are found in one pass, shared by the numpy datetime64 check and the kinds' check
(they were found twice, 110-150 ms a million objects each; a frame's twin is
`test_object_frame_looks.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from object_looks import counted_looks
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


def test_a_dicts_object_columns_are_each_looked_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = 300
    rng = np.random.default_rng(5)
    times = rng.uniform(0, 1000, rows)
    numbers = np.empty(rows, dtype=object)
    numbers[:] = [int(t) if i % 3 == 0 else float(t) for i, t in enumerate(times)]
    data = {
        "timestamp": np.datetime64(START.replace(tzinfo=None), "us")
        + rng.integers(0, 86_400, rows).astype("timedelta64[s]"),
        "success": rng.random(rows) < 0.9,  # (typed: no look)
        "execution_time_ms": numbers,  # (ints among floats: a float column, its kinds checked)
        "quality_score": [1 if i % 5 == 0 else 0.5 for i in range(rows)],  # (a list beside)
    }
    looked = counted_looks(monkeypatch)
    request = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
    )
    output = NodeUsageAnalyticsReducer().execute_reduction_sync(request)
    assert output.total_data_points == rows
    assert output.performance_metrics is not None
    assert output.performance_metrics.sample_count == rows
    assert looked == [("types", None), ("types", None)], str(looked)
