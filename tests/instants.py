"""The microsecond a call reads each timestamp as: each one a pattern of its own in one
batch, whose `time_since_last_use` (hours from it to the window's end) shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

# (250 years, room for every time the tests read. The core rounds the hours a record lies
# before the end once, as Python's `int / int` in `hours_before_end_of` does, whatever the
# span: `rust/exact_ratio.rs`. At these magnitudes a double's step is about 1.7 µs, so
# stamps a microsecond apart may read as the same hours.)
START = datetime(1900, 1, 1, tzinfo=UTC)
END = datetime(2150, 1, 1, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_HOUR = 3_600_000_000
END_US = (END - EPOCH) // timedelta(microseconds=1)


def hours_before_end(stamps: list[Any]) -> list[float | None]:
    """Each stamp's `time_since_last_use` (read in one call, in this order)."""
    records = [{"pattern_id": f"p{i}", "timestamp": s} for i, s in enumerate(stamps)]
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=START,
        time_window_end=END,
        time_window_type="custom",
        execution_data=records,
    )
    results = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch).results
    return [results[f"p{i}"].usage_metrics.time_since_last_use for i in range(len(stamps))]


def hours_before_end_of(micros: int) -> float:
    """`time_since_last_use` of a record at `micros` (UTC microseconds since the epoch)."""
    return (END_US - micros) / US_PER_HOUR
