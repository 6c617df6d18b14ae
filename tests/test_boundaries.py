"""Inputs exactly at the edges DESIGN.md draws: trend thresholds met with equality, the
first instant of the window's last quarter, numpy's interpolation to the last bit, zone
transitions that fall inside a local hour or near local midnight, and strings that differ
only by a trailing NUL. For each, a wrong comparison or shortcut passed every other test
(session 15's mutation audit built each mutant and ran the suite); each input here gives
that mutant a different output. Checked against the reference as well (list inputs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from reference import reference_analytics
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TrendThresholds,
    UsageTrendType,
)

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
HOUR_US, DAY_US = HOUR // MICROSECOND, DAY // MICROSECOND


def analyse(
    records: Any, end: datetime, start: datetime = START, **options: Any
) -> ModelUsageAnalyticsOutput:
    request = ModelUsageAnalyticsInput(
        pattern_id="edge",
        time_window_start=start,
        time_window_end=end,
        time_window_type="custom",
        execution_data=records,
        **options,
    )
    output = REDUCER.execute_reduction_sync(request)
    if isinstance(records, list):
        assert_matches_reference(output_as_dict(output), reference_analytics(request))
    return output


def _two_buckets(first: int, last: int) -> list[dict[str, Any]]:
    """Two 2-day buckets holding `first` and `last` records: rates first/2 and last/2."""
    return [{"timestamp": START + (1 + i) * HOUR} for i in range(first)] + [
        {"timestamp": START + 3 * DAY + i * timedelta(minutes=30)} for i in range(last)
    ]


@pytest.mark.parametrize(
    ("first", "last", "velocity"),
    [(20, 22, 0.5), (22, 20, -0.5)],
)
def test_velocity_exactly_at_the_growing_or_declining_threshold_is_stable(
    first: int, last: int, velocity: float
) -> None:
    # "GROWING if velocity > 0.5", "DECLINING if velocity < -0.5": equality is neither.
    output = analyse(_two_buckets(first, last), START + 4 * DAY, bucket_width=2 * DAY)
    trend = output.trend_analysis
    assert trend is not None
    assert trend.velocity == velocity
    assert trend.trend_type is UsageTrendType.STABLE


def test_velocity_exactly_minus_two_with_few_records_is_abandoned() -> None:
    # "ABANDONED if velocity <= -2 and n < 5": 12-hour buckets of 2, 0 and 1 records.
    records = [{"timestamp": START + HOUR}, {"timestamp": START + 2 * HOUR}]
    records.append({"timestamp": START + 36 * HOUR - timedelta(microseconds=1)})
    trend = analyse(records, START + 36 * HOUR, bucket_width=12 * HOUR).trend_analysis
    assert trend is not None
    assert trend.velocity == -2.0
    assert trend.trend_type is UsageTrendType.ABANDONED


def test_a_t_statistic_equal_to_the_threshold_is_significant() -> None:
    # Daily counts 1, 0, 1: slope 0, t = 0, and "significant: t >= min_t_statistic".
    records = [{"timestamp": START + 12 * HOUR}, {"timestamp": START + 2 * DAY + 12 * HOUR}]
    output = analyse(
        records,
        START + 3 * DAY,
        bucket_width=DAY,
        trend_thresholds=TrendThresholds(min_t_statistic=0.0),
    )
    assert output.trend_analysis is not None
    assert output.trend_analysis.velocity == 0.0
    assert output.trend_analysis.velocity_significant


def test_the_only_record_at_the_last_quarters_first_instant_is_recent() -> None:
    # The last quarter of [start, start + 4 days) begins at start + 3 days.
    trend = analyse([{"timestamp": START + 3 * DAY}], START + 4 * DAY).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.EMERGING


def test_acceleration_of_three_buckets_is_the_second_halfs_slope_minus_the_firsts() -> None:
    # Buckets [:1] (one point: slope 0) and [1:] (5 then 2): -3 - 0.
    counts = [1, 5, 2]
    records = [
        {"timestamp": START + day * DAY + hour * HOUR}
        for day, n in enumerate(counts)
        for hour in range(n)
    ]
    trend = analyse(records, START + 3 * DAY, bucket_width=DAY).trend_analysis
    assert trend is not None
    assert trend.acceleration == -3.0


def test_percentile_interpolation_equals_numpy_to_the_last_bit() -> None:
    times = [0.3, 569203.8748222123]
    records = [{"timestamp": START + i * HOUR, "execution_time_ms": t} for i, t in enumerate(times)]
    performance = analyse(records, START + DAY).performance_metrics
    assert performance is not None
    assert performance.p50_execution_time_ms == float(np.percentile(times, 50))
    assert performance.p95_execution_time_ms == float(np.percentile(times, 95))


def test_hours_and_days_of_a_window_of_centuries_are_rounded_once() -> None:
    # Past 2^53 microseconds (285 years), float(n) / d rounds n first: for these instants
    # that second rounding moves the last bit of the window's days and the hours since use.
    start = datetime(1650, 1, 1, 0, 0, 0, 15838, tzinfo=UTC)
    end = datetime(2300, 1, 1, tzinfo=UTC)
    latest = datetime(1800, 1, 1, 0, 0, 7, 21, tzinfo=UTC)
    span, since = (end - start) // MICROSECOND, (end - latest) // MICROSECOND
    assert float(span) / DAY_US != span / DAY_US
    assert float(since) / HOUR_US != since / HOUR_US
    usage = analyse([{"timestamp": start}, {"timestamp": latest}], end, start).usage_metrics
    assert usage.time_since_last_use == since / HOUR_US
    assert usage.executions_per_day == 2 / (span / DAY_US)
    assert usage.executions_per_week == 2 / (span / DAY_US / 7)
    width = timedelta(days=300 * 365, microseconds=1)  # (two buckets, the first of it)
    assert float(width // MICROSECOND) / 1e6 != width / timedelta(seconds=1)
    trend = analyse([{"timestamp": latest}], end, start, bucket_width=width).trend_analysis
    assert trend is not None
    assert trend.bucket_width_seconds == width / timedelta(seconds=1)


NEW_YORK_MARCH: dict[str, Any] = {
    "start": datetime(2026, 3, 1, tzinfo=UTC),
    "end": datetime(2026, 3, 15, tzinfo=UTC),
    "timezone": "America/New_York",
}


def test_days_and_hours_after_a_dst_change_near_local_midnight() -> None:
    # EDT from 8 March: 16:00Z is 12:00 on Monday the 9th; 04:30Z and 04:40Z on the 10th
    # are 00:30 and 00:40 on Tuesday (with EST's offset they would be Monday 23:xx).
    stamps = [
        datetime(2026, 3, 9, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 10, 4, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 4, 40, tzinfo=UTC),
    ]
    output = analyse([{"timestamp": t} for t in stamps], **NEW_YORK_MARCH)
    assert output.usage_metrics.peak_daily_usage == 2
    distribution = output.context_distribution
    assert distribution is not None
    assert distribution.by_time_of_day == {0: 2, 12: 1}
    assert distribution.by_day_of_week == {0: 1, 1: 2}


# New York springs forward at 07:00Z on 8 March 2026: 07:00Z is 03:00 EDT, the first
# instant after the gap, and 06:30Z is 01:30 EST (records in either order). Pacific/Chatham
# falls back from +13:45 to +12:45 at 14:00Z on 4 April 2026 (03:45 local), inside a local
# hour: 13:50Z is 03:35 and 14:05Z is 02:50. America/Metlakatla's last tabled change (its
# rules take over after it) is from -08 to -09 at 10:00Z on 20 January 2019: 10:00Z is the
# second 01:00 and 09:30Z is 01:30 (the core's zone gave the span after it the rules'
# start, 2018-11-04, so that 09:30Z read after 10:00Z took -09: 00:30).
@pytest.mark.parametrize(
    ("zone", "day", "change", "offsets_minutes", "hours"),
    [
        (
            "America/New_York",
            datetime(2026, 3, 7, tzinfo=UTC),
            datetime(2026, 3, 8, 7, tzinfo=UTC),
            (0, -30),
            {1: 1, 3: 1},
        ),
        (
            "Pacific/Chatham",
            datetime(2026, 4, 4, tzinfo=UTC),
            datetime(2026, 4, 4, 14, tzinfo=UTC),
            (-10, 5),
            {2: 1, 3: 1},
        ),
        (
            "America/Metlakatla",
            datetime(2019, 1, 19, tzinfo=UTC),
            datetime(2019, 1, 20, 10, tzinfo=UTC),
            (0, -30),
            {1: 2},
        ),
    ],
)
def test_hours_on_either_side_of_a_zone_change(
    zone: str,
    day: datetime,
    change: datetime,
    offsets_minutes: tuple[int, int],
    hours: dict[int, int],
) -> None:
    records = [{"timestamp": change + m * timedelta(minutes=1)} for m in offsets_minutes]
    output = analyse(records, start=day, end=day + 2 * DAY, timezone=zone)
    assert output.context_distribution is not None
    assert output.context_distribution.by_time_of_day == hours


def test_plain_arrow_strings_that_differ_by_a_trailing_nul_are_two_agents() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table(
        {
            "timestamp": pa.array([START + HOUR, START + 2 * HOUR], pa.timestamp("us", "UTC")),
            "agent": pa.array(["a", "a\x00"], pa.string()),
        }
    )
    output = analyse(table, START + DAY)
    assert output.usage_metrics.unique_users == 2
    assert output.context_distribution is not None
    assert output.context_distribution.by_agent == {"a": 1, "a\x00": 1}
