"""A rolling monitor that holds no bucket answers every snapshot whose window a datetime
can hold: the core refuses a snapshot only where its window reaches below the kept
buckets, which records placed. (`RollingMonitor._newest`, naming the newest bucket kept
in that refusal, relies on it.) The model: the window ending with the bucket of `now`,
[E - window, E] with E = (now // bucket + 1) x bucket from the epoch, is either within
datetime's range (an empty snapshot of that window) or refused as out of range.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from usage_analytics import (
    BatchRollingUsageAnalytics,
    RollingUsageAnalytics,
    UsageAnalyticsError,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_US = (datetime.min.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
LAST_US = (datetime.max.replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


def expected_window(now: datetime, window: timedelta, bucket: timedelta) -> tuple[int, int]:
    """The window's bounds in microseconds from the epoch (pure Python integers)."""
    now_us = (now - EPOCH) // timedelta(microseconds=1)
    bucket_us = bucket // timedelta(microseconds=1)
    end = (now_us // bucket_us + 1) * bucket_us
    return end - window // timedelta(microseconds=1), end


def monitor_of(kind: type[Any], window: timedelta, bucket: timedelta, left_out: bool) -> Any:
    """A monitor holding no bucket: fresh, or (`left_out`) one whose only record was
    left out as too far ahead of the clock (received, so counted, but never filed)."""
    if not left_out:
        return kind(window, bucket)
    monitor = kind(window, bucket, max_future=timedelta(0))
    record = {"timestamp": EPOCH + timedelta(days=1), "success": True, "execution_time_ms": 1.0}
    if kind is BatchRollingUsageAnalytics:
        record["pattern_id"] = "p"
    monitor.add([record], now=EPOCH)
    assert monitor.retained_buckets == 0
    return monitor


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from([RollingUsageAnalytics, BatchRollingUsageAnalytics]),
    now=st.datetimes(timezones=st.just(UTC)),
    bucket_us=st.one_of(
        st.integers(1, 10**6),
        st.integers(1, 10**15),
        st.sampled_from([60 * 10**6, 86_400 * 10**6, 365 * 86_400 * 10**6]),
    ),
    buckets=st.integers(1, 1000),
    left_out=st.booleans(),
)
@example(RollingUsageAnalytics, datetime.max.replace(tzinfo=UTC), 1, 1, False)
@example(RollingUsageAnalytics, datetime.min.replace(tzinfo=UTC), 1, 1, False)
@example(BatchRollingUsageAnalytics, datetime.min.replace(tzinfo=UTC), 10**6, 1000, True)
def test_a_monitor_of_no_bucket_refuses_only_windows_out_of_the_datetime_range(
    kind: type[Any], now: datetime, bucket_us: int, buckets: int, left_out: bool
) -> None:
    bucket = timedelta(microseconds=bucket_us)
    window = bucket * buckets
    if window > timedelta(days=36_525):  # (the longest window a monitor takes)
        window = bucket * max(1, timedelta(days=36_525) // bucket)
    monitor = monitor_of(kind, window, bucket, left_out)
    start, end = expected_window(now, window, bucket)

    if start >= FIRST_US and end <= LAST_US:
        result = monitor.snapshot(now)
        if kind is BatchRollingUsageAnalytics:
            assert result.results == {}  # (a pattern is listed once it has records)
        else:
            assert result.usage_metrics.total_executions == 0
            assert result.time_window_start == EPOCH + timedelta(microseconds=start)
            assert result.time_window_end == EPOCH + timedelta(microseconds=end)
        assert result.data_quality.records_outside_window == (1 if left_out else 0)
    else:
        with pytest.raises(UsageAnalyticsError, match=r" is out of range$"):
            monitor.snapshot(now)
