"""Named edge cases on the public API, against hand-computed numbers (and, where the
numbers are many, the reference as well).

The usual window is the week from Monday 2026-01-05 00:00 UTC to Monday 2026-01-12 00:00
UTC (weekly: 6-hour buckets, 28 of them; "recent" = the last 42 hours).
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from reference import reference_analytics
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import (
    AnalyticsGranularity,
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    UsageAccumulator,
    UsageAnalyticsError,
    UsageTrendType,
)
from usage_analytics.html_report import render_html

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
REDUCER = NodeUsageAnalyticsReducer()


def contract(records: Any, **options: Any) -> ModelUsageAnalyticsInput:
    options.setdefault("time_window_start", START)
    options.setdefault("time_window_end", END)
    return ModelUsageAnalyticsInput(pattern_id="edge", execution_data=records, **options)


def analyse(records: list[Any], **options: Any) -> ModelUsageAnalyticsOutput:
    """Reduce, and check the reference agrees on the same input."""
    request = contract(records, **options)
    output = REDUCER.execute_reduction_sync(request)
    assert_matches_reference(output_as_dict(output), reference_analytics(request))
    return output


def daily_series(counts: list[int], start: datetime = START) -> list[dict[str, Any]]:
    """`counts[d]` records spread evenly over day d."""
    records = []
    for day, count in enumerate(counts):
        for j in range(count):
            offset = timedelta(days=day) + timedelta(seconds=j * 86_400 / count)
            records.append({"timestamp": start + offset, "success": True, "agent": "a"})
    return records


def month(counts: list[int], **options: Any) -> ModelUsageAnalyticsOutput:
    """A 30-day monthly window (1-day buckets) holding `counts` per day."""
    assert len(counts) == 30
    return analyse(
        daily_series(counts),
        time_window_end=START + 30 * DAY,
        time_window_type=TimeWindowType.MONTHLY,
        **options,
    )


def test_the_reference_reads_the_time_zones_the_core_bundles() -> None:
    # Africa/Casablanca from 2026 on is UTC+0 in 2026f, the core's release; the reference
    # read this machine's older system files (2025b, UTC+1): hour 13, where the core said 12.
    at = datetime(2030, 6, 1, 12, tzinfo=UTC)
    output = analyse(
        [{"timestamp": at}],
        time_window_start=at - DAY,
        time_window_end=at + DAY,
        timezone="Africa/Casablanca",
    )
    assert output.context_distribution is not None
    assert output.context_distribution.by_time_of_day == {12: 1}


# --------------------------------------------------------------------------- empty / tiny


def test_empty_input_returns_empty_analytics() -> None:
    out = analyse([])
    usage = out.usage_metrics
    assert usage.total_executions == 0
    assert usage.executions_per_day == usage.executions_per_week == 0.0
    assert usage.executions_per_month == 0.0
    assert usage.unique_contexts == usage.unique_users == usage.peak_daily_usage == 0
    assert usage.time_since_last_use is None
    success = out.success_metrics
    assert (success.success_count, success.failure_count, success.timeout_count) == (0, 0, 0)
    assert success.success_rate == success.error_rate == success.avg_quality_score == 0.0
    assert out.performance_metrics is not None
    assert out.performance_metrics.sample_count == 0
    assert out.performance_metrics.p99_execution_time_ms == 0.0
    assert out.performance_metrics.std_dev_ms == 0.0
    trend = out.trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.EMERGING
    assert trend.velocity == trend.acceleration == trend.growth_percentage == 0.0
    assert trend.retention_rate == trend.churn_rate == trend.adoption_rate == 0.0
    assert trend.bucket_count == 28
    assert trend.confidence_score == pytest.approx(0.3)  # 0.7 * 0 + 0.3 * min(28 / 10, 1)
    assert out.context_distribution is not None
    assert out.context_distribution.by_agent == {}
    assert out.context_distribution.by_time_of_day == {}
    assert out.analytics_quality_score == 0.0
    assert out.total_data_points == 0
    quality = out.data_quality
    assert (quality.records_received, quality.records_in_window) == (0, 0)
    assert (quality.records_outside_window, quality.invalid_records) == (0, 0)
    assert quality.error_samples == []


def test_one_record_in_the_last_quarter_is_emerging() -> None:
    record = {
        "timestamp": START + 6 * DAY,  # Sunday 2026-01-11 00:00
        "success": True,
        "execution_time_ms": 42.0,
        "quality_score": 0.9,
        "context_type": "debugging",
        "agent": "alice",
        "project": "shop",
        "file_path": "src/app.py",
    }
    out = analyse([record])
    usage = out.usage_metrics
    assert usage.total_executions == 1
    assert usage.executions_per_day == pytest.approx(1 / 7)
    assert usage.executions_per_week == 1.0
    assert usage.executions_per_month == 1.0  # 1 / max(7/30, 1)
    assert usage.unique_contexts == usage.unique_users == usage.peak_daily_usage == 1
    assert usage.time_since_last_use == 24.0
    assert out.success_metrics.success_rate == 1.0
    assert out.success_metrics.avg_quality_score == 0.9
    perf = out.performance_metrics
    assert perf is not None
    assert perf.p50_execution_time_ms == perf.p95_execution_time_ms == 42.0
    assert perf.p99_execution_time_ms == perf.min_execution_time_ms == 42.0
    assert perf.max_execution_time_ms == perf.avg_execution_time_ms == 42.0
    assert perf.total_execution_time_ms == 42.0
    assert perf.std_dev_ms == 0.0
    assert perf.sample_count == 1
    assert out.trend_analysis is not None
    assert out.trend_analysis.trend_type is UsageTrendType.EMERGING
    # the only agent appears in the second half only: 1 new agent / 0.5 weeks
    assert out.trend_analysis.adoption_rate == 2.0
    assert out.trend_analysis.retention_rate == out.trend_analysis.churn_rate == 0.0
    dist = out.context_distribution
    assert dist is not None
    assert dist.by_context_type == {"debugging": 1}
    assert dist.by_file_type == {"py": 1}
    assert dist.by_time_of_day == {0: 1}
    assert dist.by_day_of_week == {6: 1}
    assert out.analytics_quality_score == pytest.approx(0.7 * 0.01 + 0.3 * 7 / 30)


def test_all_failures() -> None:
    records = [
        {"timestamp": START + 5 * DAY + i * HOUR, "success": False, "timeout": i % 2 == 0}
        for i in range(20)
    ]
    success = analyse(records).success_metrics
    assert (success.success_count, success.failure_count) == (0, 20)
    assert success.success_rate == 0.0
    assert success.error_rate == 1.0
    assert success.timeout_count == 10


@pytest.mark.parametrize("time", [0.1, 123456.789, 1.3407807929942596e154, 1.5e308])
def test_equal_execution_times_have_their_value_as_mean_and_no_spread(time: float) -> None:
    # The reference's mean was the rounded sum over the count, which for five times
    # 1.3407807929942596e154 lands below them, with a "std" of 1.7e138 (a session 34 hunt).
    records = [{"timestamp": START + i * HOUR, "execution_time_ms": time} for i in range(5)]
    performance = analyse(records).performance_metrics
    assert performance is not None
    assert performance.avg_execution_time_ms == performance.min_execution_time_ms == time
    assert performance.std_dev_ms == 0.0


# --------------------------------------------------------------------------- time


NEW_YEAR_RECORDS = [
    {"timestamp": datetime(2025, 12, 31, 23, 30, tzinfo=UTC)},  # Wednesday
    {"timestamp": "2026-01-01T00:30:00Z"},  # Thursday
    {"timestamp": datetime(2026, 1, 1, 4, 30)},  # naive = UTC
]
NEW_YEAR_WINDOW = {
    "time_window_start": datetime(2025, 12, 31),
    "time_window_end": datetime(2026, 1, 2),
    "time_window_type": TimeWindowType.DAILY,
}


@pytest.mark.parametrize(
    ("zone", "hours", "weekdays", "peak"),
    [
        pytest.param("UTC", {0: 1, 4: 1, 23: 1}, {2: 1, 3: 2}, 2, id="utc"),
        # UTC-5: 18:30, 19:30, 23:30 on Wednesday 31 December
        pytest.param("America/New_York", {18: 1, 19: 1, 23: 1}, {2: 3}, 3, id="new_york"),
        # UTC+5:30: 05:00, 06:00, 10:00 on Thursday 1 January
        pytest.param("Asia/Kolkata", {5: 1, 6: 1, 10: 1}, {3: 3}, 3, id="kolkata"),
    ],
)
def test_window_across_new_year_calendar_fields(
    zone: str, hours: dict[int, int], weekdays: dict[int, int], peak: int
) -> None:
    out = analyse(NEW_YEAR_RECORDS, timezone=zone, **NEW_YEAR_WINDOW)
    assert out.context_distribution is not None
    assert out.context_distribution.by_time_of_day == hours
    assert list(out.context_distribution.by_time_of_day) == sorted(hours)
    assert out.context_distribution.by_day_of_week == weekdays
    assert out.usage_metrics.peak_daily_usage == peak
    assert out.usage_metrics.total_executions == 3
    assert out.usage_metrics.time_since_last_use == pytest.approx(19.5)  # 04:30 -> 24:00


def test_calendar_fields_in_lord_howe_half_hour_dst() -> None:
    # Lord Howe Island is UTC+11 in January (daylight time, +30 min): 2026-01-05 12:45 UTC
    # is 23:45 local on Monday, 13:15 UTC is 00:15 local on Tuesday.
    records = [
        {"timestamp": START + timedelta(hours=12, minutes=45)},
        {"timestamp": START + timedelta(hours=13, minutes=15)},
    ]
    out = analyse(records, timezone="Australia/Lord_Howe")
    assert out.context_distribution is not None
    assert out.context_distribution.by_time_of_day == {0: 1, 23: 1}
    assert out.context_distribution.by_day_of_week == {0: 1, 1: 1}
    assert out.usage_metrics.peak_daily_usage == 1


def test_records_outside_the_window_both_sides_and_exactly_on_the_ends() -> None:
    us = timedelta(microseconds=1)
    records = [
        {"timestamp": START - us},
        {"timestamp": START},  # inside: ends are inclusive
        {"timestamp": END},  # inside
        {"timestamp": END + us},
        {"timestamp": datetime(1, 1, 1, tzinfo=UTC)},
        {"timestamp": datetime(9999, 12, 31, 23, 59, 59, 999999)},
    ]
    out = analyse(records)
    assert out.usage_metrics.total_executions == 2
    assert out.usage_metrics.time_since_last_use == 0.0
    assert out.data_quality.records_received == 6
    assert out.data_quality.records_in_window == 2
    assert out.data_quality.records_outside_window == 4
    assert out.data_quality.invalid_records == 0
    assert out.total_data_points == 6
    assert out.trend_analysis is not None
    assert out.trend_analysis.time_series is None
    # the end instant falls in the last bucket
    series = analyse(records, granularity=AnalyticsGranularity.COMPREHENSIVE).trend_analysis
    assert series is not None
    assert series.time_series is not None
    assert series.time_series[0].executions == 1
    assert series.time_series[-1].executions == 1


def test_naive_offset_zone_and_iso_timestamps_mean_the_same_instant() -> None:
    same_instant = [
        datetime(2026, 1, 7, 10, 0),  # naive = UTC
        datetime(2026, 1, 7, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 7, 15, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 1, 7, 5, 0, tzinfo=ZoneInfo("America/New_York")),
        "2026-01-07T10:00:00Z",
        "2026-01-07T10:00:00z",
        "2026-01-07T10:00Z",
        "2026-01-07 10:00",
        "2026-01-07T05:00:00-05:00",
        "2026-01-07T05:00:00-0500",
        "2026-01-07T12:00:00+02",
        "2026-01-07T10:44:30+00:44:30",  # offsets with seconds, as `isoformat()` writes
        "2026-01-07T10:44:30.5+004430.5",
        "2026-01-07T10:00:00.000000999Z",  # nanoseconds are truncated
    ]
    out = analyse([{"timestamp": ts} for ts in same_instant])
    assert out.usage_metrics.total_executions == len(same_instant)
    assert out.usage_metrics.peak_daily_usage == len(same_instant)
    assert out.context_distribution is not None
    assert out.context_distribution.by_time_of_day == {10: len(same_instant)}
    assert out.context_distribution.by_day_of_week == {2: len(same_instant)}
    assert out.usage_metrics.time_since_last_use == 4 * 24 + 14  # Wed 10:00 -> Mon 00:00


def test_isoformat_text_of_a_historic_zone_is_the_instant_of_its_datetime() -> None:
    # Monrovia kept UTC-00:44:30 until 1972: `isoformat()` writes "-00:44:30", which
    # Python's `fromisoformat` reads back; so do lists and Arrow text columns here.
    monrovia = ZoneInfo("Africa/Monrovia")
    start = datetime(1971, 6, 1, tzinfo=UTC)
    stamps = [datetime(1971, 6, 1, 23, 30, tzinfo=monrovia) + k * HOUR for k in range(3)]
    window = {
        "time_window_start": start,
        "time_window_end": start + 2 * DAY,
        "time_window_type": TimeWindowType.CUSTOM,
    }
    as_datetimes = analyse([{"timestamp": t} for t in stamps], **window)
    as_text = analyse([{"timestamp": t.isoformat()} for t in stamps], **window)
    columns = {"timestamp": np.array([t.isoformat() for t in stamps])}
    as_columns = REDUCER.execute_reduction_sync(contract(columns, **window))
    assert as_text.data_quality.invalid_records == 0
    assert output_as_dict(as_text) == output_as_dict(as_datetimes)
    assert output_as_dict(as_columns) == output_as_dict(as_datetimes)
    dist = as_text.context_distribution
    assert dist is not None
    assert dist.by_time_of_day == {0: 1, 1: 1, 2: 1}  # 23:30 local is 00:14:30 UTC


def test_zoneinfo_datetimes_in_dst_fold_and_gap_use_their_utcoffset() -> None:
    new_york = ZoneInfo("America/New_York")
    start = datetime(2025, 11, 1, tzinfo=UTC)
    records = [
        # 01:30 happens twice on 2025-11-02: fold=0 is EDT (05:30Z), fold=1 EST (06:30Z)
        {"timestamp": datetime(2025, 11, 2, 1, 30, tzinfo=new_york)},
        {"timestamp": datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=new_york)},
        # 02:30 does not exist on 2025-03-09; Python gives it the offset before the gap (EST)
        {"timestamp": datetime(2025, 3, 9, 2, 30, tzinfo=new_york)},
    ]
    out = analyse(
        records,
        time_window_start=datetime(2025, 3, 9, tzinfo=UTC),
        time_window_end=start + 2 * DAY,
        time_window_type=TimeWindowType.CUSTOM,
    )
    assert out.data_quality.records_in_window == 3
    assert out.usage_metrics.time_since_last_use == pytest.approx(24 - 6.5)  # 06:30Z -> 3 Nov
    dist = out.context_distribution
    assert dist is not None
    assert dist.by_time_of_day == {5: 1, 6: 1, 7: 1}  # UTC hours 05:30, 06:30, 07:30


def test_iso_date_only_string_is_midnight_utc_and_fraction_is_kept() -> None:
    out = analyse(
        [{"timestamp": "2026-01-11"}, {"timestamp": "2026-01-11 23:59:59.5Z"}],
    )
    assert out.usage_metrics.total_executions == 2
    assert out.usage_metrics.time_since_last_use == pytest.approx(0.5 / 3600)


def test_window_given_with_an_offset_equals_the_utc_window() -> None:
    plus_two = timezone(timedelta(hours=2))
    records = [{"timestamp": START + i * 7 * HOUR} for i in range(24)]
    in_utc = analyse(records)
    shifted = analyse(
        records,
        time_window_start=START.astimezone(plus_two),
        time_window_end=END.astimezone(plus_two),
    )
    assert output_as_dict(shifted) == output_as_dict(in_utc)


# --------------------------------------------------------------------------- fields


def test_missing_optional_fields_take_their_defaults() -> None:
    out = analyse(
        [
            {"timestamp": START + 6 * DAY},
            {
                "timestamp": START + 6 * DAY,
                "success": None,
                "execution_time_ms": None,
                "quality_score": None,
                "quality_gates_passed": None,
                "timeout": None,
                "context_type": None,
                "agent": None,
                "project": None,
                "file_path": None,
            },
        ]
    )
    success = out.success_metrics
    assert (success.success_count, success.failure_count) == (0, 2)  # success -> False
    assert success.quality_gate_failures == 0  # gates -> passed
    assert success.timeout_count == 0  # timeout -> False
    assert success.avg_quality_score == 0.0
    assert out.performance_metrics is not None
    assert out.performance_metrics.sample_count == 0
    assert out.usage_metrics.unique_contexts == out.usage_metrics.unique_users == 1
    dist = out.context_distribution
    assert dist is not None
    assert dist.by_context_type == dist.by_agent == dist.by_project == {"unknown": 2}
    assert dist.by_file_type == {}  # no file path: not counted


def test_explicit_unknown_and_missing_category_are_one_value() -> None:
    out = analyse(
        [
            {"timestamp": START + 6 * DAY, "context_type": "unknown", "agent": "unknown"},
            {"timestamp": START + 6 * DAY},
        ]
    )
    assert out.usage_metrics.unique_contexts == out.usage_metrics.unique_users == 1


def test_booleans_as_database_ints_and_numbers_of_other_types() -> None:
    from decimal import Decimal
    from fractions import Fraction

    out = analyse(
        [
            {"timestamp": START + 6 * DAY, "success": 1, "timeout": 1, "quality_gates_passed": 0},
            {"timestamp": START + 6 * DAY, "success": 0, "execution_time_ms": Decimal("2.5")},
            {"timestamp": START + 6 * DAY, "execution_time_ms": Fraction(1, 2)},
            {"timestamp": START + 6 * DAY, "execution_time_ms": 3, "quality_score": 1},
            {"timestamp": START + 6 * DAY, "quality_score": 0},
        ]
    )
    assert out.success_metrics.success_count == 1
    assert out.success_metrics.timeout_count == 1
    assert out.success_metrics.quality_gate_failures == 1
    assert out.success_metrics.avg_quality_score == 0.5
    assert out.performance_metrics is not None
    assert out.performance_metrics.total_execution_time_ms == 6.0
    assert out.performance_metrics.p50_execution_time_ms == 2.5


def test_negative_numbers_too_small_for_a_float_are_invalid_not_zero() -> None:
    # float(Decimal("-1e-400")) is -0.0, which counted as a time of 0 ms and a score of 0;
    # a negative number is invalid whatever its size. A zero with a sign is still zero.
    from decimal import Decimal
    from fractions import Fraction

    when = START + 6 * DAY
    for field in ("execution_time_ms", "quality_score"):
        for tiny in (Decimal("-1e-400"), Fraction(-1, 10**400), -5e-324):
            out = analyse([{"timestamp": when, field: tiny}], on_invalid="skip")
            assert out.data_quality.invalid_records == 1, (field, tiny)
            sample = out.data_quality.error_samples[0]
            assert sample.field == field
            assert sample.value.startswith(repr(tiny)[:30])  # (long ones shortened)
            assert sample.reason.startswith(("must be >= 0", "must be within [0, 1"))
        for zero in (Decimal("-0"), -0.0, np.float32(-0.0), Fraction(0)):
            out = analyse([{"timestamp": when, field: zero}])
            assert out.data_quality.invalid_records == 0, (field, zero)


def test_scores_a_hair_above_one_are_invalid_not_one() -> None:
    # float(Decimal("1.00000000000000000001")) is 1.0, which counted as a score of 1, where
    # the same value's hair below 0 was refused: a score outside [0, 1] is invalid whatever
    # its distance. One exactly 1, or a hair below it (also 1.0 as a float), is a score.
    from decimal import Decimal
    from fractions import Fraction

    import pyarrow as pa

    when = START + 6 * DAY
    above: list[Any] = [
        Decimal("1.00000000000000000001"),
        Fraction(10**20 + 1, 10**20),
        np.longdouble(1) + np.finfo(np.longdouble).eps,
    ]
    for value in above:
        assert float(value) == 1.0
        assert value > 1
        out = analyse([{"timestamp": when, "quality_score": value}], on_invalid="skip")
        assert out.data_quality.invalid_records == 1, value
        sample = out.data_quality.error_samples[0]
        assert (sample.field, sample.reason) == ("quality_score", "must be within [0, 1]")
    for value in (Decimal("1.000"), Decimal("0.99999999999999999999"), Fraction(1), 1):
        out = analyse([{"timestamp": when, "quality_score": value}])
        assert out.success_metrics.avg_quality_score == 1.0, value

    # A decimal column (PostgreSQL's or DuckDB's NUMERIC, polars' Decimal) as its records.
    texts = ["1.00000000000000000001", "1.00000000000000000000", "0.99999999999999999999"]
    table = pa.table(
        {
            "timestamp": pa.array([when] * 3),
            "quality_score": pa.array([Decimal(t) for t in texts], pa.decimal128(21, 20)),
        }
    )
    out = REDUCER.execute_reduction_sync(contract(table, on_invalid="skip"))
    records = analyse(table.to_pylist(), on_invalid="skip")
    assert out.data_quality == records.data_quality
    assert [s.index for s in out.data_quality.error_samples] == [0]
    assert out.data_quality.error_samples[0].value == "Decimal('1.00000000000000000001')"
    assert out.success_metrics.avg_quality_score == 1.0


def test_file_types_of_makefile_dotfile_double_extension_and_windows_path() -> None:
    paths = [
        "Makefile",
        ".env",
        "a.tar.gz",
        "dir.d/x",
        "C:\\x\\y.PY",
        "src/b.gz",
        "/home/u/.bashrc",
        "notes.txt",
        # Nothing after the last dot: no extension (it was an empty-text file type).
        "draft.",
        "dir/..",
        None,
    ]
    records = [{"timestamp": START + 6 * DAY, "file_path": p} for p in paths]
    records.append({"timestamp": START + 6 * DAY})
    dist = analyse(records).context_distribution
    assert dist is not None
    # count desc, then key asc ("PY" < "gz" < "txt")
    assert list(dist.by_file_type.items()) == [("unknown", 6), ("gz", 2), ("PY", 1), ("txt", 1)]


def test_distribution_key_order_is_count_desc_then_key() -> None:
    agents = ["b", "a", "c", "a", "b", "d", "B"]
    records = [{"timestamp": START + 6 * DAY + i * HOUR, "agent": a} for i, a in enumerate(agents)]
    dist = analyse(records).context_distribution
    assert dist is not None
    assert list(dist.by_agent.items()) == [("a", 2), ("b", 2), ("B", 1), ("c", 1), ("d", 1)]
    assert list(dist.by_time_of_day) == [0, 1, 2, 3, 4, 5, 6]


def test_percentiles_and_std_by_hand() -> None:
    records = [{"timestamp": START + 6 * DAY, "execution_time_ms": t} for t in (4, 1, 3, 2)]
    perf = analyse(records).performance_metrics
    assert perf is not None
    assert perf.p50_execution_time_ms == 2.5
    assert perf.p95_execution_time_ms == pytest.approx(3.85)  # 1 + 0.95 * 3 -> 3 + 0.85
    assert perf.p99_execution_time_ms == pytest.approx(3.97)
    assert perf.avg_execution_time_ms == 2.5
    assert perf.std_dev_ms == pytest.approx(math.sqrt(5 / 3))
    assert (perf.min_execution_time_ms, perf.max_execution_time_ms) == (1.0, 4.0)
    assert perf.total_execution_time_ms == 10.0


@pytest.mark.parametrize("count", [3, 1024, 3000])
def test_execution_times_whose_sum_passes_the_largest_double(count: int) -> None:
    """Valid (finite) times near 1.7e308 ms: the mean and percentiles stay accurate; the
    total passes the largest double, and so do the squared deviations (see
    `Moments::sample_std`): inf in Python, null in JSON; the HTML report draws no chart
    it cannot scale; a streaming state past its budget round-trips."""
    records = [
        {"timestamp": START + i * timedelta(seconds=1), "execution_time_ms": 1.7e308}
        for i in range(count)
    ]
    request = contract(records)
    perf = REDUCER.execute_reduction_sync(request).performance_metrics
    assert perf is not None
    assert perf.avg_execution_time_ms == pytest.approx(1.7e308, rel=1e-15)
    assert perf.p50_execution_time_ms == perf.p99_execution_time_ms == 1.7e308
    assert perf.total_execution_time_ms == math.inf
    output = REDUCER.execute_reduction_sync(request)
    document = json.loads(output.to_json(), parse_constant=_refuse)
    assert document["performance_metrics"]["total_execution_time_ms"] is None
    assert document["performance_metrics"]["avg_execution_time_ms"] == perf.avg_execution_time_ms
    assert "beyond 1e300 ms are not drawn" in render_html(output, name="edge")
    state = UsageAccumulator(START, END, time_window_type="weekly", exact_budget=2)
    state.update(records)
    loaded = UsageAccumulator.from_bytes(state.to_bytes()).finalize(pattern_id="edge")
    assert loaded.performance_metrics == state.finalize(pattern_id="edge").performance_metrics


def _refuse(constant: str) -> None:
    raise ValueError(f"not JSON: {constant}")


def test_retention_churn_and_adoption_by_hand() -> None:
    first_half = START + DAY
    second_half = START + 5 * DAY
    records = [
        {"timestamp": first_half, "agent": "a"},
        {"timestamp": first_half, "agent": "b"},
        {"timestamp": second_half, "agent": "b"},
        {"timestamp": second_half, "agent": "c"},
        {"timestamp": second_half, "agent": "d"},
        # exactly on the midpoint: second half
        {"timestamp": START + timedelta(days=3.5), "agent": "e"},
    ]
    trend = analyse(records).trend_analysis
    assert trend is not None
    assert trend.retention_rate == 0.5  # {a, b} -> only b stays
    assert trend.churn_rate == 0.5
    assert trend.adoption_rate == pytest.approx(3 / 0.5)  # c, d, e in half a week


# --------------------------------------------------------------------------- trends


def test_flat_noisy_daily_series_is_stable() -> None:
    rng = random.Random(7)
    counts = [100 + rng.randint(-10, 10) for _ in range(30)]
    trend = month(counts).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.STABLE
    assert abs(trend.velocity) < 0.5
    assert trend.bucket_count == 30
    assert trend.bucket_width_seconds == 86_400.0


def test_noisy_series_with_insignificant_slope_above_threshold_is_stable() -> None:
    # Daily counts ~100 +- 40 with a small drift: the fitted slope exceeds 0.5 executions/day
    # per day, but |t| < 2, so the noise is not called a trend.
    counts = [78, 138, 72, 119, 70, 84, 145, 82, 118, 104, 104, 108, 85, 137, 78]
    counts += [91, 74, 95, 107, 147, 106, 86, 98, 158, 84, 130, 111, 134, 109, 139]
    x = np.arange(30) + 0.5
    slope, intercept = np.polyfit(x, counts, 1)
    residuals = np.asarray(counts) - (intercept + slope * x)
    t = slope / math.sqrt((residuals @ residuals) / 28 / ((x - x.mean()) @ (x - x.mean())))
    assert slope > 0.5
    assert abs(t) < 2
    trend = month(counts).trend_analysis
    assert trend is not None
    assert trend.velocity == pytest.approx(slope, rel=1e-9)
    assert not trend.velocity_significant
    assert trend.trend_type is UsageTrendType.STABLE


def test_a_t_statistic_of_exactly_two_is_significant() -> None:
    # Daily counts 0, 0, 2, 8, 4: slope 8/5, residuals 96/5, sxx 10, so t = 2 exactly
    # (DESIGN.md: significant if |t| >= 2). In floats t came out 1.9999999999999998: STABLE.
    day = timedelta(days=1)
    counts = [0, 0, 2, 8, 4]
    records = [
        {"timestamp": START + d * day + 12 * HOUR} for d, count in enumerate(counts)
        for _ in range(count)
    ]  # fmt: skip
    out = analyse(
        records, time_window_end=START + 5 * day, time_window_type="custom", bucket_width=day
    )
    trend = out.trend_analysis
    assert trend is not None
    assert trend.velocity == pytest.approx(1.6)
    assert trend.velocity_significant
    assert trend.trend_type is UsageTrendType.GROWING


@pytest.mark.parametrize("counts", [[9] * 8 + [15], [9, 9, 9, 15], [3, 3, 5]])
def test_equal_rates_of_a_wider_last_bucket_are_a_flat_fit(counts: list[int]) -> None:
    # 9 records per 3.5 hours (3 per, in the last case) and 5/3 as many in the last
    # bucket, 5/3 as wide: every rate is equal. In floats the last differed in its last
    # bit: a slope of 1e-14, "not significant" or, with a residual sum of 0, GROWING for a
    # threshold of 0; and some acceleration and growth.
    from usage_analytics import TrendThresholds

    width = timedelta(hours=3, minutes=30)
    records = [
        {"timestamp": START + i * width + timedelta(minutes=j)}
        for i, count in enumerate(counts)
        for j in range(count)
    ]
    options: dict[str, Any] = {
        "time_window_end": START + (len(counts) - 1) * width + width * 5 / 3,
        "time_window_type": "custom",
        "bucket_width": width,
    }
    for growing, expected in ((0.0, UsageTrendType.STABLE), (-0.1, UsageTrendType.GROWING)):
        thresholds = TrendThresholds(  # (judged by velocity alone)
            growing_velocity=growing,
            emerging_max_executions=1,
            abandoned_max_executions=0,
            recent_fraction=1.0,
        )
        trend = analyse(records, trend_thresholds=thresholds, **options).trend_analysis
        assert trend is not None
        assert (trend.velocity, trend.velocity_significant) == (0.0, True)
        assert (trend.acceleration, trend.growth_percentage) == (0.0, 0.0)
        assert trend.trend_type is expected


def test_clearly_growing_series_is_growing_with_exact_numbers() -> None:
    counts = [10 + 5 * d for d in range(30)]
    out = month(counts, include_predictions=True)
    trend = out.trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.GROWING
    assert trend.velocity == pytest.approx(5.0)
    assert trend.velocity_significant  # a perfect fit
    assert trend.acceleration == pytest.approx(0.0, abs=1e-9)
    # q = 7: first week mean 25/day, last week mean 140/day
    assert trend.growth_percentage == pytest.approx(460.0)
    assert trend.confidence_score == pytest.approx(1.0)
    # line 7.5 + 5x; horizon 30 days; rate at x = 45 days: 232.5/day
    assert trend.predictions is not None
    assert trend.predictions.horizon_days == 30.0
    assert trend.predictions.predicted_daily_rate == pytest.approx(232.5)
    assert trend.predictions.predicted_executions == pytest.approx(6975.0)
    assert trend.time_series is None  # DETAILED: predictions only
    assert out.usage_metrics.peak_daily_usage == 155


def test_clearly_declining_series_is_declining() -> None:
    counts = [160 - 5 * d for d in range(30)]
    trend = month(counts).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.DECLINING
    assert trend.velocity == pytest.approx(-5.0)
    assert trend.growth_percentage == pytest.approx((30 - 145) / 145 * 100)


def test_fewer_than_ten_records_is_emerging() -> None:
    records = [{"timestamp": START + 6 * DAY + i * HOUR} for i in range(9)]
    trend = analyse(records).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.EMERGING


def test_ten_spread_records_are_stable_not_emerging() -> None:
    records = [{"timestamp": START + i * 16 * HOUR + timedelta(minutes=30)} for i in range(10)]
    trend = analyse(records).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.STABLE


def test_no_recent_use_is_abandoned() -> None:
    # 50 records, all in the first half: none in the last quarter of the window
    records = [{"timestamp": START + i * HOUR} for i in range(50)]
    out = analyse(records)
    assert out.trend_analysis is not None
    assert out.trend_analysis.trend_type is UsageTrendType.ABANDONED
    assert out.usage_metrics.time_since_last_use == 7 * 24 - 49


@pytest.mark.parametrize(
    ("latest", "abandoned"),
    [(END - 42 * HOUR, False), (END - 42 * HOUR - timedelta(microseconds=1), True)],
)
def test_recent_use_starts_exactly_a_quarter_before_the_window_end(
    latest: datetime, abandoned: bool
) -> None:
    # The last quarter of the week is [END - 42 h, END): a record at its first instant is
    # recent use, one a microsecond earlier is not.
    records = [{"timestamp": START + i * HOUR} for i in range(20)] + [{"timestamp": latest}]
    trend = analyse(records).trend_analysis
    assert trend is not None
    assert (trend.trend_type is UsageTrendType.ABANDONED) is abandoned


def test_growth_is_100_percent_when_the_first_buckets_are_empty() -> None:
    records = [{"timestamp": START + 6 * DAY + i * HOUR} for i in range(12)]
    trend = analyse(records).trend_analysis
    assert trend is not None
    assert trend.growth_percentage == 100.0


def test_single_bucket_has_zero_velocity_acceleration_and_growth() -> None:
    records = [{"timestamp": START + i * DAY} for i in range(7)]
    trend = analyse(records, bucket_width=timedelta(days=7)).trend_analysis
    assert trend is not None
    assert trend.bucket_count == 1
    assert trend.velocity == trend.acceleration == trend.growth_percentage == 0.0
    assert trend.velocity_significant


# --------------------------------------------------------------------------- flags


def test_feature_flags_off_give_none() -> None:
    records = daily_series([3] * 7)
    out = analyse(
        records, include_performance=False, include_trends=False, include_distribution=False
    )
    assert out.performance_metrics is None
    assert out.trend_analysis is None
    assert out.context_distribution is None
    assert out.usage_metrics.total_executions == 21


def test_predictions_flag_without_trends_gives_no_trend() -> None:
    out = analyse(daily_series([3] * 7), include_trends=False, include_predictions=True)
    assert out.trend_analysis is None


def test_summary_granularity_has_no_distribution() -> None:
    out = analyse(daily_series([3] * 7), granularity=AnalyticsGranularity.SUMMARY)
    assert out.context_distribution is None
    assert out.performance_metrics is not None
    assert out.trend_analysis is not None
    assert out.trend_analysis.time_series is None
    assert out.trend_analysis.predictions is None


def test_comprehensive_granularity_has_consistent_time_series_and_predictions() -> None:
    rng = random.Random(3)
    records = [
        {"timestamp": START + timedelta(seconds=rng.uniform(0, 7 * 86_400))} for _ in range(500)
    ]
    out = analyse(records, granularity=AnalyticsGranularity.COMPREHENSIVE)
    trend = out.trend_analysis
    assert trend is not None
    assert trend.time_series is not None
    assert trend.predictions is not None
    assert len(trend.time_series) == trend.bucket_count == 28
    assert sum(b.executions for b in trend.time_series) == out.usage_metrics.total_executions
    assert trend.time_series[0].start == START
    assert trend.time_series[-1].end == END
    for before, after in zip(trend.time_series, trend.time_series[1:], strict=False):
        assert before.end == after.start
    for bucket in trend.time_series:
        assert bucket.end - bucket.start == 6 * HOUR
        assert bucket.rate_per_day == pytest.approx(bucket.executions * 4)
    assert trend.predictions.horizon_days == 7.0
    assert trend.predictions.predicted_executions == pytest.approx(
        trend.predictions.predicted_daily_rate * 7
    )


def test_bucket_width_override_and_last_bucket_absorbs_remainder() -> None:
    records = [{"timestamp": START + i * 5 * HOUR} for i in range(34)]
    trend = analyse(
        records, bucket_width=timedelta(hours=12), granularity=AnalyticsGranularity.COMPREHENSIVE
    ).trend_analysis
    assert trend is not None
    assert trend.bucket_count == 14
    assert trend.bucket_width_seconds == 43_200.0

    trend = analyse(
        records, bucket_width=timedelta(days=3), granularity=AnalyticsGranularity.COMPREHENSIVE
    ).trend_analysis
    assert trend is not None
    assert trend.bucket_count == 2  # 7 // 3; the last bucket is 4 days long
    assert trend.time_series is not None
    first, last = trend.time_series
    assert (first.end - first.start, last.end - last.start) == (3 * DAY, 4 * DAY)
    assert first.executions == 15  # 0, 5, ..., 70 hours
    assert last.executions == 19
    assert last.rate_per_day == pytest.approx(19 / 4)


@pytest.mark.parametrize(
    ("window_type", "length", "width_seconds", "buckets"),
    [
        (TimeWindowType.HOURLY, HOUR, 300, 12),
        (TimeWindowType.DAILY, DAY, 3600, 24),
        (TimeWindowType.WEEKLY, 7 * DAY, 6 * 3600, 28),
        (TimeWindowType.MONTHLY, 30 * DAY, 86_400, 30),
        (TimeWindowType.QUARTERLY, 90 * DAY, 86_400, 90),
        (TimeWindowType.YEARLY, 365 * DAY, 7 * 86_400, 52),
        (TimeWindowType.ALL_TIME, 10 * HOUR, 300, 120),  # 5 min: exactly 120 buckets
        (TimeWindowType.ALL_TIME, 10 * DAY, 6 * 3600, 40),  # 1 h would give 240
        (TimeWindowType.CUSTOM, 100 * DAY, 86_400, 100),
        (TimeWindowType.CUSTOM, 3 * 365 * DAY, 7 * 86_400, 156),  # more than 120: 7 days
        (TimeWindowType.CUSTOM, timedelta(minutes=3), 300, 1),  # shorter than one bucket
    ],
)
def test_default_bucket_width_per_window_type(
    window_type: TimeWindowType, length: timedelta, width_seconds: float, buckets: int
) -> None:
    trend = analyse(
        [{"timestamp": START}],
        time_window_end=START + length,
        time_window_type=window_type,
    ).trend_analysis
    assert trend is not None
    assert trend.bucket_width_seconds == width_seconds
    assert trend.bucket_count == buckets


def test_time_since_last_use_is_relative_to_window_end_not_now() -> None:
    start = datetime(2020, 3, 1, tzinfo=UTC)
    records = [{"timestamp": start + 2 * DAY + 3 * HOUR}]
    first = analyse(records, time_window_start=start, time_window_end=start + 7 * DAY)
    time.sleep(0.01)
    second = analyse(records, time_window_start=start, time_window_end=start + 7 * DAY)
    assert first.usage_metrics.time_since_last_use == 4 * 24 + 21
    assert second.usage_metrics.time_since_last_use == first.usage_metrics.time_since_last_use


def test_custom_thresholds_change_the_classification() -> None:
    counts = [10 + 5 * d for d in range(30)]
    strict = {
        "growing_velocity": 6.0,
        "declining_velocity": -6.0,
    }
    from usage_analytics import TrendThresholds

    trend = month(counts, trend_thresholds=TrendThresholds(**strict)).trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.STABLE
    result = month(counts, trend_thresholds=TrendThresholds(emerging_max_executions=10_000))
    assert result.trend_analysis is not None
    assert result.trend_analysis.trend_type is UsageTrendType.EMERGING


def test_a_flat_series_of_inexact_rates_is_a_significant_perfect_fit() -> None:
    # A yearly window of weekly buckets, three records a week: every rate is 3/7, whose
    # float mean is not 3/7; the residuals were about 1e-16 and the t-statistic 0.
    weeks = 52
    records = [
        {"timestamp": START + timedelta(days=7 * week + day), "success": True}
        for week in range(weeks)
        for day in (1, 3, 5)
    ]
    output = analyse(
        records,
        time_window_end=START + timedelta(days=7 * weeks),
        time_window_type=TimeWindowType.YEARLY,
    )
    trend = output.trend_analysis
    assert trend is not None
    assert (trend.bucket_count, trend.velocity, trend.acceleration) == (weeks, 0.0, 0.0)
    assert trend.velocity_significant
    assert trend.trend_type is UsageTrendType.STABLE


def test_a_file_path_decoded_from_bytes_that_are_not_utf8_gives_its_type() -> None:
    # os.fsdecode leaves lone surrogates for such bytes: the record was invalid ("not
    # valid UTF-8 text"); only the extension is read, with U+FFFD for each of the three
    # bytes a surrogate takes (PyO3's lossy reading).
    paths = [os.fsdecode(b"/srv/data/caf\xe9.py"), "/srv/data/cafe.py", "notes.t\udcffxt"]
    records = [{"timestamp": START + timedelta(hours=1), "file_path": path} for path in paths]
    output = REDUCER.execute_reduction_sync(contract(records))
    assert output.data_quality.invalid_records == 0
    assert output.context_distribution is not None
    assert output.context_distribution.by_file_type == {"py": 2, "t\ufffd\ufffd\ufffdxt": 1}
    agent = [{"timestamp": START + timedelta(hours=1), "agent": "a\udcff"}]
    skipped = REDUCER.execute_reduction_sync(contract(agent, on_invalid="skip"))
    assert skipped.data_quality.error_samples[0].field == "agent"


def test_columns_holding_lone_surrogates_read_as_records_do() -> None:
    # A dict of columns went to pyarrow, whose UnicodeEncodeError escaped the library.
    when = [START + timedelta(hours=1)] * 2
    paths = {"timestamp": when, "file_path": ["b.py", os.fsdecode(b"caf\xe9.py")]}
    output = REDUCER.execute_reduction_sync(contract(paths))
    assert output.context_distribution is not None
    assert output.context_distribution.by_file_type == {"py": 2}
    # In another field, lists hold records as a list of dicts does: that record's error,
    # skipped in skip mode (the whole call failed); a numpy array is a column, refused.
    agents = {"timestamp": when, "agent": ["a", "b\udcff"]}
    with pytest.raises(InvalidRecordError, match=r"record 1: field 'agent' .* not valid UTF-8"):
        REDUCER.execute_reduction_sync(contract(agents))
    skipped = REDUCER.execute_reduction_sync(contract(agents, on_invalid="skip"))
    assert skipped.usage_metrics.total_executions == 1
    assert skipped.data_quality.invalid_records == 1
    stamps = np.array([t.replace(tzinfo=None) for t in when], "datetime64[us]")
    array = {"timestamp": stamps, "agent": np.array(["a", "b\udcff"])}
    with pytest.raises(UsageAnalyticsError, match=r"cannot read column 'agent': .* surrogate"):
        REDUCER.execute_reduction_sync(contract(array))
    # Deeper than a value (a list in a cell): each such record's error, as in a list of
    # dicts (a whole-call error while lists were converted to Arrow first).
    nested = {"timestamp": when, "file_path": [["a\udcff"], ["b.py"]]}
    with pytest.raises(
        InvalidRecordError, match=r"record 0: field 'file_path' = \['a\\udcff'\]: must be a str"
    ):
        REDUCER.execute_reduction_sync(contract(nested))


def test_std_of_times_with_a_large_offset_is_that_of_their_spread() -> None:
    # 1e9 ms plus up to 1e-3 (multiples of 2^-20, so every time is exact): the std is that
    # of the small parts. A block's mean is divided from a sum at 1e12, which rounds by
    # 1.2e-4 per addition; the squared deviations from that mean were 7e-7 relative off
    # at 1,000 times and 5e-6 at 100,000, and merged states kept their means to a double.
    rng = random.Random(3)
    small = [rng.randrange(1049) / 2**20 for _ in range(100_000)]
    records = [
        {"timestamp": START + timedelta(seconds=i % 500_000), "execution_time_ms": 1e9 + s}
        for i, s in enumerate(small)
    ]
    for n in (1_000, 100_000):
        mean = math.fsum(small[:n]) / n
        exact = math.sqrt(math.fsum((s - mean) ** 2 for s in small[:n]) / (n - 1))
        request = ModelUsageAnalyticsInput(
            pattern_id="p", execution_data=records[:n], time_window_start=START, time_window_end=END
        )
        one = REDUCER.execute_reduction_sync(request).performance_metrics
        assert one is not None
        assert one.std_dev_ms == pytest.approx(exact, rel=1e-12), n
        assert one.avg_execution_time_ms == pytest.approx(1e9 + mean, rel=1e-15), n
        parts = [UsageAccumulator(START, END, exact_budget=0) for _ in range(3)]
        for k, part in enumerate(parts):
            part.update(records[k:n:3])
        loaded = [UsageAccumulator.from_bytes(part.to_bytes()) for part in parts]
        for how, states in (("in memory", parts), ("loaded", loaded)):
            merged = states[0].merge(states[1]).merge(states[2]).finalize(pattern_id="p")
            assert merged.performance_metrics is not None
            assert merged.performance_metrics.std_dev_ms == pytest.approx(
                one.std_dev_ms, rel=1e-12
            ), (n, how)


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_names_past_a_chunks_text_budget_are_read_as_any_others(on_invalid: str) -> None:
    # A chunk of records ends early once its new strings pass a few megabytes (the GIL
    # was held for 100-300 ms by 4,096 records of new 4 KB non-ASCII names): 3,000
    # records of 8 KB names cross that boundary several times, an invalid one after it.
    long = "é" * 4096
    records = [
        {
            "timestamp": START + timedelta(minutes=i),
            "success": i % 3 > 0,
            "execution_time_ms": float(i % 50),
            "agent": f"{long}{i % 1000}",
            "context_type": f"{long}{i}",
            "project": "p" if i % 2 else long,
        }
        for i in range(3000)
    ]
    records[2500]["quality_score"] = 7.0
    if on_invalid == "raise":
        with pytest.raises(InvalidRecordError) as raised:
            REDUCER.execute_reduction_sync(contract(records))
        assert (raised.value.index, raised.value.field) == (2500, "quality_score")
        return
    output = analyse(records, on_invalid="skip")
    assert output.usage_metrics.unique_users == 1000
    assert output.usage_metrics.unique_contexts == 2999
    assert output.data_quality.error_samples[0].index == 2500
