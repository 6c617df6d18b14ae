"""RollingUsageAnalytics under a monitor's clock that jumps: a snapshot reads, it never
drops records.

A monitor's clock can step forward and back (an NTP correction, a resumed virtual
machine, a replay's mistaken `now`). A snapshot taken during such a jump used to move the
kept buckets to its `now`: one snapshot three hours ahead dropped the hour of records
every later snapshot of the present needed, those snapshots raised "the window starts
before the oldest bucket kept" until the real clock caught up, and the records that
arrived meanwhile were counted outside the window, older than the buckets kept. Only
records move the kept range now (`max_future` guards that against hosts whose clocks
run ahead); memory stays bounded by them.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from equivalence import comparable
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rolling import case_monitor, rolling_cases
from usage_analytics import RollingUsageAnalytics, UsageAnalyticsError

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)
T0_US = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // US


def record(at: datetime, **fields: Any) -> dict[str, Any]:
    return {"timestamp": at, "success": True, "execution_time_ms": 100.0, **fields}


def monitor_of_an_hour() -> RollingUsageAnalytics:
    monitor = RollingUsageAnalytics(window=HOUR, bucket=5 * MINUTE)
    monitor.add([record(T0 + i * MINUTE, success=i % 4 != 0) for i in range(60)])
    return monitor


def without_times(result: Any) -> dict[str, Any]:
    """A snapshot's analytics, less when and how long it was computed."""
    shown = comparable(result)
    for key in ("computed_at", "computation_time_ms"):
        shown.pop(key, None)
    return shown


def test_a_snapshot_far_ahead_keeps_the_records_a_snapshot_of_the_present_needs() -> None:
    monitor = monitor_of_an_hour()
    now = T0 + 59 * MINUTE
    before = monitor.snapshot(now)
    kept = monitor.retained_buckets

    ahead = monitor.snapshot(now + 3 * HOUR)  # the clock stepped forward, for one tick

    assert ahead.usage_metrics.total_executions == 0
    assert monitor.retained_buckets == kept
    after = monitor.snapshot(now)  # raised: the window starts before the oldest bucket kept
    assert without_times(after) == without_times(before)
    assert after.usage_metrics.total_executions == 60


def test_records_of_the_present_are_filed_after_a_snapshot_far_ahead() -> None:
    monitor = monitor_of_an_hour()
    monitor.snapshot(T0 + 3 * HOUR)

    monitor.add([record(T0 + 60 * MINUTE, success=False)])  # were older than every bucket

    result = monitor.snapshot(T0 + 60 * MINUTE)
    assert result.usage_metrics.total_executions == 55 + 1  # 12:05 to 13:05
    assert result.success_metrics.failure_count == len(range(8, 60, 4)) + 1
    assert result.data_quality.records_outside_window == 5  # 12:00 to 12:04 only


def test_a_snapshot_moves_nothing_so_memory_is_bounded_by_the_records() -> None:
    # (A silent pattern keeps its last buckets until its next record: at most two windows
    # of them, as a busy one holds.)
    monitor = monitor_of_an_hour()
    for hours in range(1, 50):
        monitor.snapshot(T0 + hours * HOUR)
    assert monitor.retained_buckets == 12
    monitor.add([record(T0 + 10 * HOUR)])  # a record moves the kept range: 2 hours of it
    assert monitor.retained_buckets == 1


@settings(max_examples=60, deadline=None)
@given(case=rolling_cases(), jumps=st.data())
def test_snapshots_at_any_times_between_change_no_other_snapshot(
    case: dict[str, Any], jumps: st.DataObject
) -> None:
    # A monitor whose clock jumps (extra snapshots ahead, behind, far ahead) answers each
    # snapshot of the present as one that never took them.
    window_us = case["window"] // US
    jumped, steady = case_monitor(case), case_monitor(case)
    for batch, now_us, now in case["steps"]:
        jumped.add(batch)
        steady.add(batch)
        if now is None:
            continue
        for _ in range(jumps.draw(st.integers(0, 3))):
            shift = jumps.draw(st.integers(-3 * window_us, 100 * window_us))
            with contextlib.suppress(UsageAnalyticsError):  # (one below the kept buckets)
                jumped.snapshot(T0 + (now_us + shift - T0_US) * US)
        assert without_times(jumped.snapshot(now)) == without_times(steady.snapshot(now))
