"""RollingUsageAnalytics: a snapshot equals one reduction over the window it covers.

snapshot(now) covers whole buckets aligned to the Unix epoch: E = the end of the bucket
holding `now` (E = (floor(now_us / bucket_us) + 1) * bucket_us), window [E - window, E).
Its analytics must equal `execute_reduction_sync` over the added valid records with
E - window <= ts < E, window [E - window, E], bucket_width = bucket, type custom, the
same options: exactly (floats within 1e-9 relative), except the percentiles once the
snapshot holds more than `exact_budget` execution times (then within `relative_accuracy`).
Its data_quality is cumulative since creation: received = in window + outside + invalid.

Also: the bounds (a record at exactly E is out, one at exactly E - window is in), late
and expired records, the memory bound, constructor validation, atomic add, skip mode,
time zones, the real-time monitoring loop of the replaced system (alerts on a failure
burst) and examples/08_realtime_monitor.py.
"""

from __future__ import annotations

import math
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import pairwise
from types import ModuleType, SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from equivalence import comparable
from example_scripts import EXAMPLES, load_script
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from reference import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, datetime_to_micros, read_record
from strategies import (
    PROFILES,
    TIMEZONES,
    Window,
    as_contract_datetime,
    assert_matches_reference,
    disguised,
    micros_to_utc,
    output_as_dict,
    thresholds,
    valid_records,
    window_starts,
)
from usage_analytics import (
    AnalyticsGranularity,
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    TimeWindowType,
    UsageAnalyticsError,
    evaluate_health,
    streaming,
)
from zones import NoOffset

REDUCER = NodeUsageAnalyticsReducer()
US = timedelta(microseconds=1)
PERCENTILES = ("p50_execution_time_ms", "p95_execution_time_ms", "p99_execution_time_ms")
EXAMPLE = EXAMPLES / "08_realtime_monitor.py"

#: A bucket boundary for 5-minute, 1-hour and 1-day buckets.
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


# --------------------------------------------------------------------------- helpers


def window_end_us(now_us: int, bucket_us: int) -> int:
    """E: the end of the epoch-aligned bucket holding `now`."""
    return (now_us // bucket_us + 1) * bucket_us


def timestamp_us(record: Any) -> int:
    return read_record(record).timestamp_us


def expected_snapshot(
    records: list[Any],
    now_us: int,
    window: timedelta,
    bucket: timedelta,
    options: dict[str, Any],
    pattern_id: UUID | str = "rolling",
) -> ModelUsageAnalyticsOutput:
    """The reduction a snapshot at `now` must equal (over valid records only)."""
    end_us = window_end_us(now_us, bucket // US)
    start_us = end_us - window // US
    inside = [r for r in records if start_us <= timestamp_us(r) < end_us]
    return REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id=pattern_id,
            time_window_start=micros_to_utc(start_us),
            time_window_end=micros_to_utc(end_us),
            time_window_type="custom",
            bucket_width=bucket,
            execution_data=inside,
            **options,
        )
    )


def assert_percentile_close(
    actual: float, exact: float, largest: float, relative_accuracy: float
) -> None:
    """A sketch percentile is within `relative_accuracy` of the exact one (+1e-12, relative
    or absolute near 0, for float rounding)."""
    bound = relative_accuracy * abs(exact) + 1e-12 * max(1.0, abs(exact))
    assert abs(actual - exact) <= bound, (actual, exact, largest)


def assert_snapshot_equals(
    actual: ModelUsageAnalyticsOutput,
    expected: ModelUsageAnalyticsOutput,
    *,
    exact_budget: int = 1024,
    relative_accuracy: float = 0.01,
) -> None:
    """`actual` (a snapshot) equals `expected` (the reduction over its window): the window
    fields, every metric family and records_in_window; the rest of data_quality (and
    total_data_points, records received) is cumulative and checked by the callers."""
    assert actual.pattern_id == expected.pattern_id
    assert actual.time_window_start == expected.time_window_start
    assert actual.time_window_end == expected.time_window_end
    assert actual.time_window_type is TimeWindowType.CUSTOM
    assert actual.granularity is expected.granularity
    assert actual.timezone == expected.timezone
    assert actual.total_data_points == actual.data_quality.records_received

    a, e = output_as_dict(actual), output_as_dict(expected)
    for d in (a, e):
        d.pop("total_data_points")
        d["data_quality"] = {
            "records_in_window": d["data_quality"]["records_in_window"],
            "error_samples": [],
        }
    perf_a, perf_e = a["performance_metrics"], e["performance_metrics"]
    if perf_e is not None:
        assert perf_a is not None
        # buckets' moments are merged (Chan et al.): the std of nearly equal large values is
        # ill-conditioned, so allow rounding at the scale of the largest value
        scale = abs(perf_e["max_execution_time_ms"])
        std_a, std_e = perf_a.pop("std_dev_ms"), perf_e.pop("std_dev_ms")
        assert math.isclose(std_a, std_e, rel_tol=1e-9, abs_tol=max(1e-9, 4e-15 * scale))
        assert perf_e["percentile_method"] == "exact"  # a plain reduction is always exact
        if perf_e["sample_count"] <= exact_budget:
            assert perf_a["percentile_method"] == "exact"
            assert perf_a["percentile_relative_error"] == 0.0
        else:
            assert perf_a["percentile_method"] == "sketch"
            assert perf_a["percentile_relative_error"] == relative_accuracy
            largest = perf_e["max_execution_time_ms"]
            for key in PERCENTILES:
                assert_percentile_close(perf_a[key], perf_e[key], largest, relative_accuracy)
                perf_e[key] = perf_a[key]
            perf_e["percentile_method"] = perf_a["percentile_method"]
            perf_e["percentile_relative_error"] = perf_a["percentile_relative_error"]
    assert_matches_reference(a, e)


def assert_cumulative_quality(
    output: ModelUsageAnalyticsOutput, *, received: int, invalid: int
) -> None:
    quality = output.data_quality
    assert quality.records_received == received
    assert quality.invalid_records == invalid
    assert quality.records_outside_window == received - invalid - quality.records_in_window
    assert quality.records_in_window == output.usage_metrics.total_executions


def record(at: datetime, **fields: Any) -> dict[str, Any]:
    return {"timestamp": at, "success": True, "execution_time_ms": 100.0, **fields}


def rolling(
    window: timedelta = HOUR, bucket: timedelta = 5 * MINUTE, **options: Any
) -> RollingUsageAnalytics:
    return RollingUsageAnalytics(window=window, bucket=bucket, **options)


# --------------------------------------------------------------------------- property


BUCKETS_US = st.one_of(
    st.sampled_from(
        [
            *(m * US_PER_MINUTE for m in (1, 5, 7, 13, 90)),
            *(h * US_PER_HOUR for h in (1, 6, 24)),
        ]
    ),
    st.integers(US_PER_MINUTE, US_PER_DAY),  # odd widths, down to the microsecond
)


@st.composite
def rolling_cases(draw: st.DrawFn) -> dict[str, Any]:
    """Window, bucket and options; records spread over a few windows, added in batches
    in any order, with snapshots in between at non-decreasing `now`s, each at or after
    every record added so far."""
    bucket_us = draw(BUCKETS_US)
    window_us = draw(st.integers(1, 12)) * bucket_us
    start_us = draw(window_starts())
    end_us = start_us + draw(st.integers(1, 3)) * window_us
    span = Window(
        start=micros_to_utc(start_us),
        end=micros_to_utc(end_us),
        start_us=start_us,
        end_us=end_us,
        window_type=TimeWindowType.CUSTOM,
    )
    profile = draw(st.sampled_from(PROFILES))
    size = draw(st.integers(0, 50))
    records = draw(st.lists(valid_records(span, profile), min_size=size, max_size=size))
    records = [draw(disguised(r)) for r in draw(st.permutations(records))]
    cuts = sorted(draw(st.lists(st.integers(0, len(records)), max_size=5)))
    bounds = [0, *cuts, len(records)]
    batches = [records[lo:hi] for lo, hi in pairwise(bounds)]

    steps: list[tuple[list[Any], int | None, datetime | None]] = []
    latest = start_us
    previous_now = start_us
    for i, batch in enumerate(batches):
        latest = max([latest, *(timestamp_us(r) for r in batch)])
        last = i == len(batches) - 1
        if last or draw(st.booleans()):
            lag = draw(
                st.one_of(
                    st.sampled_from([0, 1, bucket_us - 1, bucket_us, window_us]),
                    st.integers(0, window_us),
                )
            )
            previous_now = max(previous_now, latest + lag)
            # aware UTC, naive (= UTC) or a fixed offset
            steps.append((batch, previous_now, draw(as_contract_datetime(previous_now))))
        else:
            steps.append((batch, None, None))

    options = {
        "granularity": draw(st.sampled_from(list(AnalyticsGranularity))),
        "include_trends": draw(st.sampled_from([True, True, False])),
        "include_performance": draw(st.sampled_from([True, True, False])),
        "include_distribution": draw(st.booleans()),
        "include_predictions": draw(st.booleans()),
        "timezone": draw(st.sampled_from(TIMEZONES)),
        "trend_thresholds": draw(thresholds()),
    }
    return {
        "window": timedelta(microseconds=window_us),
        "bucket": timedelta(microseconds=bucket_us),
        "steps": steps,
        "options": options,
        "pattern_id": draw(
            st.sampled_from(["rolling", "checkout-endpoint", UUID(int=5), str(UUID(int=7))])
        ),
        "exact_budget": draw(st.sampled_from([1024, 1024, 0, 3, 20])),
        "relative_accuracy": draw(st.sampled_from([0.01, 0.01, 0.05, 0.001])),
    }


def case_monitor(case: dict[str, Any], **settings: Any) -> RollingUsageAnalytics:
    """The monitor of a `rolling_cases` case (and `settings`)."""
    return RollingUsageAnalytics(
        window=case["window"],
        bucket=case["bucket"],
        pattern_id=case["pattern_id"],
        exact_budget=case["exact_budget"],
        relative_accuracy=case["relative_accuracy"],
        **case["options"],
        **settings,
    )


def assert_case_snapshot(
    actual: ModelUsageAnalyticsOutput, case: dict[str, Any], records: list[Any], now_us: int
) -> None:
    """`actual`, a snapshot at `now_us` of a case's monitor, is the reduction of `records`
    over its window."""
    options = case["options"]
    expected = expected_snapshot(
        records, now_us, case["window"], case["bucket"], options, pattern_id=case["pattern_id"]
    )
    assert_snapshot_equals(
        actual,
        expected,
        exact_budget=case["exact_budget"],
        relative_accuracy=case["relative_accuracy"],
    )


@settings(max_examples=100, deadline=None)
@given(rolling_cases())
def test_snapshot_equals_one_reduction_over_its_whole_buckets(case: dict[str, Any]) -> None:
    window, bucket = case["window"], case["bucket"]
    monitor = case_monitor(case)
    added: list[Any] = []
    for batch, now_us, now in case["steps"]:
        monitor.add(batch)
        added += batch
        if now is None:
            continue
        actual = monitor.snapshot(now)
        assert_case_snapshot(actual, case, added, now_us)
        assert_cumulative_quality(actual, received=len(added), invalid=0)
        quality = actual.data_quality
        event(f"in_window={min(quality.records_in_window // 10 * 10, 30)}+")
        event(f"outside={'some' if quality.records_outside_window else 'none'}")
        perf = actual.performance_metrics
        event(f"percentiles={perf.percentile_method if perf else None}")
        if actual.trend_analysis is not None:
            assert actual.trend_analysis.bucket_count == window // bucket
            assert actual.trend_analysis.bucket_width_seconds == bucket.total_seconds()


# --------------------------------------------------------------------------- window bounds


def test_record_exactly_at_window_end_belongs_to_the_next_bucket_not_the_snapshot() -> None:
    monitor = rolling()
    now = T0 + 2 * MINUTE  # bucket [12:00, 12:05): E = 12:05
    end = T0 + 5 * MINUTE
    monitor.add([record(end - US), record(end, success=False)])

    result = monitor.snapshot(now)

    assert result.time_window_start == end - HOUR
    assert result.time_window_end == end
    assert result.usage_metrics.total_executions == 1
    assert result.success_metrics.failure_count == 0
    assert result.usage_metrics.time_since_last_use == pytest.approx(1e-6 / 3600, rel=1e-9)
    assert_cumulative_quality(result, received=2, invalid=0)
    # one bucket later the record at E is in
    later = monitor.snapshot(end)
    assert later.time_window_end == end + 5 * MINUTE
    assert later.usage_metrics.total_executions == 2
    assert later.success_metrics.failure_count == 1


def test_record_exactly_at_window_start_is_in_the_snapshot() -> None:
    monitor = rolling()
    now = T0 + 4 * MINUTE + 59 * timedelta(seconds=1)
    start = T0 + 5 * MINUTE - HOUR
    monitor.add([record(start), record(start - US, success=False), record(now)])

    result = monitor.snapshot(now)

    assert result.time_window_start == start
    assert result.usage_metrics.total_executions == 2
    assert result.success_metrics.failure_count == 0
    assert_cumulative_quality(result, received=3, invalid=0)
    # when the window moves one bucket on, the record at its old start leaves it
    later = monitor.snapshot(now + 5 * MINUTE)
    assert later.time_window_start == start + 5 * MINUTE
    assert later.usage_metrics.total_executions == 1


def test_now_exactly_on_a_bucket_boundary_opens_the_next_bucket() -> None:
    monitor = rolling()
    monitor.add([record(T0 - HOUR), record(T0 - HOUR + 5 * MINUTE), record(T0 - US)])

    result = monitor.snapshot(T0)  # T0 is a boundary: the bucket [T0, T0 + 5 min)

    assert result.time_window_end == T0 + 5 * MINUTE
    assert result.usage_metrics.total_executions == 2  # [T0 - 55 min, T0 + 5 min)


def test_buckets_before_the_epoch_are_aligned_by_floor() -> None:
    monitor = rolling()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    monitor.add([record(epoch - 2 * MINUTE), record(epoch - US), record(epoch)])

    result = monitor.snapshot(epoch - timedelta(seconds=1))  # bucket [-5 min, 0)

    assert (result.time_window_start, result.time_window_end) == (epoch - HOUR, epoch)
    assert result.usage_metrics.total_executions == 2


def test_now_of_a_tzinfo_naming_no_offset_is_utc_as_the_contract_reads_it() -> None:
    # (Such a datetime is naive to Python: `now - epoch` raised "can't subtract
    # offset-naive and offset-aware datetimes", where the contract and `add` read it as
    # UTC.)
    monitor = rolling()
    monitor.add([record(T0 - MINUTE), {"timestamp": (T0 - 2 * MINUTE).replace(tzinfo=NoOffset())}])
    now = (T0 - US).replace(tzinfo=None)

    result = monitor.snapshot(now.replace(tzinfo=NoOffset()))

    assert comparable(result) == comparable(monitor.snapshot(now))
    assert result.time_window_end == T0
    assert result.usage_metrics.total_executions == 2


def test_now_that_is_not_a_time_is_refused_by_name() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match=r"^now must be an instant, got NaT$"):
        rolling().snapshot(pd.NaT)


def test_snapshot_whose_window_leaves_the_datetime_range_is_an_error() -> None:
    monitor = rolling()
    with pytest.raises(UsageAnalyticsError, match="out of range"):
        monitor.snapshot(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    with pytest.raises(UsageAnalyticsError, match="out of range"):
        monitor.snapshot(datetime(1, 1, 1, 0, 1, tzinfo=UTC))


@pytest.mark.parametrize("zone", [None, NoOffset()], ids=["naive", "no-offset"])
def test_a_now_of_no_offset_out_of_range_is_named_as_utc(zone: tzinfo | None) -> None:
    # UTC (the contract's reading), and the message says so.
    with pytest.raises(
        UsageAnalyticsError,
        match="^"
        + re.escape(
            "the window ending with the bucket of 9999-12-31T23:59:00+00:00 is out of range"
        )
        + "$",
    ):
        rolling().snapshot(datetime(9999, 12, 31, 23, 59, tzinfo=zone))


def test_computation_time_is_the_snapshot_call_in_milliseconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monitor = rolling()
    # A clock read as the call starts and as the core answers, 0.25 s apart.
    clock = iter([10.0, 10.25])
    monkeypatch.setattr(streaming, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    assert monitor.snapshot(T0).computation_time_ms == 250.0


def test_snapshot_with_no_records_is_the_empty_analytics() -> None:
    monitor = rolling(granularity=AnalyticsGranularity.COMPREHENSIVE)

    result = monitor.snapshot(T0)

    options = {"granularity": AnalyticsGranularity.COMPREHENSIVE}
    expected = expected_snapshot([], datetime_to_micros(T0), HOUR, 5 * MINUTE, options)
    assert_snapshot_equals(result, expected)
    assert result.usage_metrics.total_executions == 0
    assert result.usage_metrics.time_since_last_use is None
    assert result.analytics_quality_score == 0.0
    assert result.success_metrics.success_rate == 0.0
    assert result.performance_metrics is not None
    assert result.performance_metrics.sample_count == 0
    assert result.trend_analysis is not None
    assert result.trend_analysis.time_series is not None
    assert [b.executions for b in result.trend_analysis.time_series] == [0] * 12
    assert_cumulative_quality(result, received=0, invalid=0)


def test_snapshot_does_not_consume_and_defaults_pattern_id_to_rolling() -> None:
    monitor = rolling()
    monitor.add([record(T0 - MINUTE)])

    first, second = monitor.snapshot(T0 - US), monitor.snapshot(T0 - US)

    assert comparable(first) == comparable(second)
    assert first.pattern_id == "rolling"
    assert first.usage_metrics.total_executions == 1


def test_every_snapshot_reports_the_monitor_s_correlation_id() -> None:
    assert rolling(correlation_id=UUID(int=3)).snapshot(T0).correlation_id == UUID(int=3)
    monitor = rolling()
    first, second = monitor.snapshot(T0), monitor.snapshot(T0 + HOUR)
    assert first.correlation_id == second.correlation_id == monitor.settings.correlation_id


def test_uuid_shaped_pattern_id_becomes_a_uuid_like_the_contract() -> None:
    text = "12345678-1234-5678-1234-567812345678"
    result = rolling(pattern_id=text).snapshot(T0)
    assert result.pattern_id == UUID(text)


@pytest.mark.parametrize(
    ("pattern_id", "refusal"),
    [
        ("  ", "pattern_id must not be empty"),
        (b"  ", "pattern_id must be a UUID or a str, got bytes"),
        (bytes(16), "pattern_id must be a UUID or a str, got bytes"),
        (7, "pattern_id must be a UUID or a str, got int"),
    ],
)
def test_a_pattern_id_the_contract_refuses_is_refused(pattern_id: Any, refusal: str) -> None:
    # Read before pydantic's own reading, as the contract reads it: blank bytes were taken
    # as the text "  ", and 16 bytes as a UUID.
    with pytest.raises(ValidationError, match=refusal):
        rolling(pattern_id=pattern_id)


# --------------------------------------------------------------------------- retention


def test_late_record_older_than_the_retained_range_counts_only_as_outside() -> None:
    monitor = rolling()
    monitor.add([record(T0 - MINUTE)])  # newest bucket [11:55, 12:00): keeps [11:00, 12:00)
    monitor.add([record(T0 - HOUR - US, success=False, execution_time_ms=9999.0)])

    result = monitor.snapshot(T0 - US)

    assert result.usage_metrics.total_executions == 1
    assert result.success_metrics.failure_count == 0
    assert result.performance_metrics is not None
    assert result.performance_metrics.max_execution_time_ms == 100.0
    assert_cumulative_quality(result, received=2, invalid=0)
    assert result.data_quality.records_outside_window == 1


def test_late_record_inside_the_retained_range_is_counted() -> None:
    monitor = rolling()
    monitor.add([record(T0 - MINUTE)])
    monitor.add([record(T0 - HOUR, success=False)])  # the oldest retained instant

    result = monitor.snapshot(T0 - US)

    assert result.usage_metrics.total_executions == 2
    assert result.success_metrics.failure_count == 1
    assert_cumulative_quality(result, received=2, invalid=0)


def test_records_that_age_out_leave_every_metric() -> None:
    monitor = rolling(granularity=AnalyticsGranularity.COMPREHENSIVE)
    old = [
        record(T0 - HOUR + i * MINUTE, success=False, agent="old", execution_time_ms=5000.0)
        for i in range(10)
    ]
    new = [record(T0 + 90 * MINUTE + i * MINUTE, agent="new") for i in range(3)]
    monitor.add(old)
    monitor.add(new)

    now = T0 + 95 * MINUTE
    result = monitor.snapshot(now)

    expected = expected_snapshot(
        old + new,
        datetime_to_micros(now),
        HOUR,
        5 * MINUTE,
        {"granularity": AnalyticsGranularity.COMPREHENSIVE},
    )
    assert_snapshot_equals(result, expected)
    assert result.usage_metrics.total_executions == 3
    assert result.success_metrics.failure_count == 0
    assert result.context_distribution is not None
    assert result.context_distribution.by_agent == {"new": 3}
    assert result.performance_metrics is not None
    assert result.performance_metrics.max_execution_time_ms == 100.0
    assert_cumulative_quality(result, received=13, invalid=0)
    assert result.data_quality.records_outside_window == 10


def test_a_snapshot_far_ahead_empties_the_window() -> None:
    monitor = rolling()
    monitor.add([record(T0 - MINUTE) for _ in range(5)])

    result = monitor.snapshot(T0 + 3 * HOUR)

    assert result.usage_metrics.total_executions == 0
    assert_cumulative_quality(result, received=5, invalid=0)
    assert result.data_quality.records_outside_window == 5


def test_memory_holds_at_most_two_windows_of_buckets_after_a_hundred_windows() -> None:
    # The window plus one window of lookahead (records ahead of a snapshot's now).
    window, bucket = HOUR, 5 * MINUTE
    monitor = rolling(window, bucket)
    limit = window // bucket
    counts = []
    for step in range(100 * limit):  # one record per bucket, in time order
        monitor.add([record(T0 + step * bucket + MINUTE)])
        counts.append(monitor.retained_buckets)
    assert max(counts) <= 2 * limit
    assert counts[-1] == 2 * limit  # every retained bucket holds a record
    result = monitor.snapshot(T0 + (100 * limit - 1) * bucket + MINUTE)
    assert result.usage_metrics.total_executions == limit
    assert_cumulative_quality(result, received=100 * limit, invalid=0)
    # a snapshot far ahead drops nothing (it reads: test_rolling_clock_jumps.py); the
    # bound above is the records'
    monitor.snapshot(T0 + 1000 * window)
    assert monitor.retained_buckets == 2 * limit


def test_memory_bound_holds_with_records_in_random_order() -> None:
    rng = random.Random(5)
    monitor = rolling(HOUR, 10 * MINUTE)
    for _ in range(200):
        at = T0 + timedelta(seconds=rng.uniform(0, 100 * 3600))
        monitor.add([record(at) for _ in range(rng.randint(0, 3))])
        assert monitor.retained_buckets <= 2 * 6


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("window", "bucket"),
    [
        pytest.param(timedelta(minutes=7), timedelta(minutes=5), id="window-not-multiple"),
        pytest.param(timedelta(minutes=61), timedelta(minutes=5), id="one-minute-over"),
        pytest.param(timedelta(minutes=4), timedelta(minutes=5), id="window-below-bucket"),
        pytest.param(HOUR + US, 5 * MINUTE, id="one-microsecond-over"),
        pytest.param(timedelta(0), 5 * MINUTE, id="window-zero"),
        pytest.param(-HOUR, 5 * MINUTE, id="window-negative"),
        pytest.param(-HOUR, -5 * MINUTE, id="both-negative"),
    ],
)
def test_window_not_a_positive_multiple_of_bucket_is_an_error(
    window: timedelta, bucket: timedelta
) -> None:
    if window <= timedelta(0):  # (its own message: test_window_not_positive_...)
        message = re.escape(f"Value error, window must be positive, got {window} [")
    else:
        message = re.escape(
            f"Value error, window ({window}) must be a positive multiple of bucket ({bucket}) ["
        )
    with pytest.raises(ValidationError, match=message):
        RollingUsageAnalytics(window=window, bucket=bucket)


@pytest.mark.parametrize(
    "window",
    [
        pytest.param(timedelta(0), id="zero"),
        pytest.param(-HOUR, id="negative"),
        pytest.param(-US, id="minus-one-microsecond"),
    ],
)
def test_window_not_positive_is_an_error_of_its_own(window: timedelta) -> None:
    message = re.escape(f"Value error, window must be positive, got {window} [type=value_error")
    with pytest.raises(ValidationError, match=message):
        RollingUsageAnalytics(window=window, bucket=5 * MINUTE)


@pytest.mark.parametrize(
    "bucket",
    [
        pytest.param(timedelta(0), id="zero"),
        pytest.param(-5 * MINUTE, id="negative"),
        pytest.param(-US, id="minus-one-microsecond"),
    ],
)
def test_bucket_not_positive_is_an_error(bucket: timedelta) -> None:
    message = re.escape(f"Value error, bucket must be positive, got {bucket} [type=value_error")
    with pytest.raises(ValidationError, match=message):
        RollingUsageAnalytics(window=HOUR, bucket=bucket)


def test_smallest_bucket_one_microsecond_and_window_equal_to_bucket_are_accepted() -> None:
    tiny = rolling(window=10 * US, bucket=US)
    tiny.add([record(T0), record(T0 - 9 * US), record(T0 - 10 * US)])
    assert tiny.snapshot(T0).usage_metrics.total_executions == 2  # [T0 - 9 us, T0 + 1 us)

    single = rolling(window=HOUR, bucket=HOUR)
    single.add([record(T0 + 59 * MINUTE), record(T0 - US)])
    result = single.snapshot(T0 + 30 * MINUTE)
    assert (result.time_window_start, result.time_window_end) == (T0, T0 + HOUR)
    assert result.usage_metrics.total_executions == 1


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"timezone": "Mars/Olympus_Mons"}, id="unknown-timezone"),
        pytest.param({"on_invalid": "ignore"}, id="unknown-on-invalid"),
        pytest.param({"relative_accuracy": 0.0}, id="relative-accuracy-zero"),
        pytest.param({"relative_accuracy": 1.0}, id="relative-accuracy-one"),
        pytest.param({"exact_budget": -1}, id="negative-budget"),
    ],
)
def test_invalid_settings_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises((ValueError, UsageAnalyticsError)):
        rolling(**options)


def test_settings_default_as_the_reducer_and_the_accumulator_do() -> None:
    settings = rolling().settings
    request = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=T0, time_window_end=T0 + HOUR
    )
    for name in (
        "granularity",
        "include_trends",
        "include_performance",
        "include_distribution",
        "include_predictions",
        "on_invalid",
        "timezone",
        "trend_thresholds",
    ):
        assert getattr(settings, name) == getattr(request, name), name
    assert settings.pattern_id == "rolling"
    assert (settings.relative_accuracy, settings.exact_budget) == (0.01, 1024)
    assert settings.on_invalid == "raise"


def test_settings_one_step_past_their_bounds_are_refused_by_name() -> None:
    # The bounds written out, not read from the module, so that a moved bound fails here.
    with pytest.raises(ValidationError, match="relative_accuracy"):
        rolling(relative_accuracy=math.nextafter(1e-4, 0.0))
    with pytest.raises(ValidationError, match="relative_accuracy"):
        rolling(relative_accuracy=1.0)
    with pytest.raises(ValidationError, match="exact_budget"):
        rolling(exact_budget=2**53 + 1)
    assert rolling(exact_budget=2**53).settings.exact_budget == 2**53
    # (None of the lower bound 0 was named: the drawn cases reach it by chance.)
    with pytest.raises(ValidationError, match="exact_budget"):
        rolling(exact_budget=-1)
    assert rolling(exact_budget=0).settings.exact_budget == 0
    assert rolling(relative_accuracy=1e-4).settings.relative_accuracy == 1e-4
    assert rolling(relative_accuracy=0.999).settings.relative_accuracy == 0.999


def test_a_window_of_a_hundred_thousand_buckets_is_the_most() -> None:
    most = rolling(window=100_000 * MINUTE, bucket=MINUTE)
    most.add([record(T0)])
    result = most.snapshot(T0)
    assert result.time_window_start == T0 + MINUTE - 100_000 * MINUTE
    assert result.usage_metrics.total_executions == 1
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "Value error, window (69 days, 10:41:00) holds 100001 buckets of 0:01:00; "
            "at most 100000 are allowed [type=value_error"
        ),
    ):
        rolling(window=100_001 * MINUTE, bucket=MINUTE)


def test_a_window_of_a_century_is_the_longest() -> None:
    century = timedelta(days=36_525)
    snapshot = rolling(window=century, bucket=century).snapshot(T0)
    assert snapshot.time_window_end - snapshot.time_window_start == century
    message = re.escape(
        "Value error, window must be at most 36525 days, 0:00:00, got 36525 days, 0:00:00.000001 ["
    )
    with pytest.raises(ValidationError, match=message):
        rolling(window=century + US, bucket=century + US)


def test_settings_are_frozen_and_refuse_unknown_names() -> None:
    monitor = rolling()
    assert (monitor.settings.window, monitor.settings.bucket) == (HOUR, 5 * MINUTE)
    with pytest.raises(ValidationError, match="frozen"):
        monitor.settings.window = 2 * HOUR  # type: ignore[misc]
    with pytest.raises(ValidationError, match="windw"):
        rolling(windw=HOUR)


def test_the_time_zone_is_spelled_as_the_tzdb_spells_it() -> None:
    # As the reducer's contract reads it (`known_time_zone`): whatever the case given.
    monitor = rolling(timezone="europe/berlin")
    assert monitor.settings.timezone == "Europe/Berlin"
    assert monitor.snapshot(T0).timezone == "Europe/Berlin"


# --------------------------------------------------------------------------- data quality


def test_data_quality_is_cumulative_across_adds_and_snapshots() -> None:
    monitor = rolling(on_invalid="skip")
    now = T0 - US
    monitor.add([record(T0 - MINUTE), {"timestamp": "nope"}, record(T0 - 2 * HOUR)])
    first = monitor.snapshot(now)
    assert_cumulative_quality(first, received=3, invalid=1)
    assert first.data_quality.records_in_window == 1
    assert first.data_quality.records_outside_window == 1

    monitor.add([record(T0 - 2 * MINUTE), record(T0 - 3 * MINUTE, execution_time_ms=-1)])
    second = monitor.snapshot(now)
    assert_cumulative_quality(second, received=5, invalid=2)
    assert second.data_quality.records_in_window == 2

    third = monitor.snapshot(now + 2 * HOUR)  # everything ages out
    assert_cumulative_quality(third, received=5, invalid=2)
    assert third.data_quality.records_in_window == 0
    assert third.data_quality.records_outside_window == 3


def test_add_in_raise_mode_is_atomic_and_names_the_invalid_record() -> None:
    monitor = rolling()
    monitor.add([record(T0 - 10 * MINUTE), record(T0 - HOUR + MINUTE)])
    before = comparable(monitor.snapshot(T0 - US))

    bad_batch = [
        record(T0 - MINUTE, success=False),
        record(T0 + 3 * HOUR),  # would move the window and drop the buckets above
        {"timestamp": T0 - MINUTE, "quality_score": 1.5},
    ]
    with pytest.raises(InvalidRecordError) as raised:
        monitor.add(bad_batch)

    assert raised.value.index == 2
    assert raised.value.field == "quality_score"
    after = monitor.snapshot(T0 - US)
    assert comparable(after) == before
    assert_cumulative_quality(after, received=2, invalid=0)
    assert after.usage_metrics.total_executions == 2


def test_invalid_record_error_is_a_value_error_in_raise_mode() -> None:
    monitor = rolling()
    with pytest.raises(ValueError, match="timestamp"):
        monitor.add([{"success": True}])
    assert_cumulative_quality(monitor.snapshot(T0), received=0, invalid=0)


def test_skip_mode_counts_invalid_records_with_samples_indexed_per_add() -> None:
    monitor = rolling(on_invalid="skip")
    monitor.add([record(T0 - MINUTE), {"timestamp": T0, "execution_time_ms": math.nan}])
    monitor.add([5, record(T0 - MINUTE), {"timestamp": "2026-02-30T00:00:00Z"}])
    monitor.add([{"timestamp": T0 - MINUTE, "success": "yes"}] * 4)

    result = monitor.snapshot(T0 - US)

    assert result.usage_metrics.total_executions == 2
    assert_cumulative_quality(result, received=9, invalid=7)
    samples = [(s.index, s.field) for s in result.data_quality.error_samples]
    assert samples == [
        (1, "execution_time_ms"),
        (0, "record"),
        (2, "timestamp"),
        (0, "success"),
        (1, "success"),
    ]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York", "Pacific/Chatham"])
def test_time_zone_gives_the_same_calendar_fields_as_the_reducer(zone: str) -> None:
    rng = random.Random(zone)
    window, bucket = timedelta(days=3), timedelta(hours=1)
    records = [
        record(T0 - timedelta(seconds=rng.uniform(0, 3 * 86400)), agent=rng.choice("ab"))
        for _ in range(300)
    ]
    monitor = rolling(window, bucket, timezone=zone)
    monitor.add(records[:150])
    monitor.add(records[150:])

    result = monitor.snapshot(T0)

    options = {"timezone": zone}
    expected = expected_snapshot(records, datetime_to_micros(T0), window, bucket, options)
    assert_snapshot_equals(result, expected)
    assert result.timezone == zone
    assert result.context_distribution is not None
    assert expected.context_distribution is not None
    assert (
        result.context_distribution.by_time_of_day == expected.context_distribution.by_time_of_day
    )
    # the zone matters: in UTC the hours differ
    utc = rolling(window, bucket)
    utc.add(records)
    utc_hours = utc.snapshot(T0).context_distribution
    assert utc_hours is not None
    assert utc_hours.by_time_of_day != result.context_distribution.by_time_of_day


def test_percentiles_beyond_the_budget_come_from_the_sketch() -> None:
    rng = random.Random(3)
    monitor = rolling(exact_budget=50, relative_accuracy=0.02)
    records = [
        record(
            T0 - timedelta(seconds=rng.uniform(1, 3500)), execution_time_ms=rng.expovariate(0.01)
        )
        for _ in range(400)
    ]
    monitor.add(records)

    result = monitor.snapshot(T0 - US)

    expected = expected_snapshot(records, datetime_to_micros(T0 - US), HOUR, 5 * MINUTE, {})
    assert_snapshot_equals(result, expected, exact_budget=50, relative_accuracy=0.02)
    assert result.performance_metrics is not None
    assert result.performance_metrics.percentile_method == "sketch"


def test_percentiles_are_exact_again_once_the_window_holds_few_values() -> None:
    monitor = rolling(exact_budget=10)
    monitor.add([record(T0 - HOUR + i * US, execution_time_ms=float(i)) for i in range(30)])
    monitor.add([record(T0 - MINUTE, execution_time_ms=t) for t in (1.0, 7.0, 20.0)])

    crowded = monitor.snapshot(T0 - US)
    assert crowded.performance_metrics is not None
    assert crowded.performance_metrics.percentile_method == "sketch"

    result = monitor.snapshot(T0 + 5 * MINUTE)  # the 30 values have left the window
    assert result.performance_metrics is not None
    assert result.performance_metrics.sample_count == 3
    assert result.performance_metrics.percentile_method == "exact"
    assert result.performance_metrics.p50_execution_time_ms == 7.0
    assert result.performance_metrics.p95_execution_time_ms == pytest.approx(18.7, rel=1e-12)


def test_columnar_add_equals_list_of_dicts() -> None:
    import pyarrow as pa

    records = [
        record(T0 - i * 7 * MINUTE, success=i % 3 != 0, execution_time_ms=float(i * 11))
        for i in range(12)
    ]
    by_rows, by_table = rolling(), rolling()
    by_rows.add(records)
    by_table.add(pa.Table.from_pylist(records))

    assert comparable(by_table.snapshot(T0)) == comparable(by_rows.snapshot(T0))


# --------------------------------------------------------------------------- monitoring


def simulated_executions(seed: int) -> list[dict[str, Any]]:
    """Three hours of ~4 executions a minute from T0; 2% fail, 90% in [+90, +115) min."""
    rng = random.Random(seed)
    records = []
    at = T0
    while at < T0 + 3 * HOUR:
        at += timedelta(seconds=rng.expovariate(1 / 15))
        burst = T0 + 90 * MINUTE <= at < T0 + 115 * MINUTE
        records.append(
            {
                "timestamp": at,
                "success": rng.random() >= (0.9 if burst else 0.02),
                "execution_time_ms": rng.lognormvariate(4.6, 0.3),
                "quality_score": rng.uniform(0.8, 1.0),
            }
        )
    return records


def test_monitoring_loop_alerts_when_the_error_rate_jumps_and_clears_after() -> None:
    """The replaced system's loop: add new executions as they arrive, snapshot every five
    minutes over the last hour, alert on health findings."""
    records = simulated_executions(seed=11)
    monitor = rolling(HOUR, 5 * MINUTE, include_trends=False)
    error_codes = {"high_error_rate", "low_success_rate"}
    alerting: list[tuple[int, set[str]]] = []
    delivered: list[dict[str, Any]] = []
    for minute in range(1, 181):
        batch = [
            r
            for r in records
            if T0 + (minute - 1) * MINUTE <= r["timestamp"] < T0 + minute * MINUTE
        ]
        monitor.add(batch)
        delivered += batch
        if minute % 5:
            continue
        now = T0 + minute * MINUTE - US  # the last instant of the bucket that just ended
        result = monitor.snapshot(now)
        assert result.time_window_end == T0 + minute * MINUTE

        # the numbers equal a hand count over the last hour
        inside = [
            r
            for r in delivered
            if T0 + (minute - 60) * MINUTE <= r["timestamp"] < T0 + minute * MINUTE
        ]
        failures = sum(not r["success"] for r in inside)
        assert result.usage_metrics.total_executions == len(inside)
        assert result.success_metrics.failure_count == failures
        assert_cumulative_quality(result, received=len(delivered), invalid=0)

        findings = result.health()
        assert findings == evaluate_health(result)
        codes = {f.code for f in findings}
        alerting.append((minute, codes & error_codes))
        if failures / len(inside) > 0.2:
            assert error_codes <= codes
            assert {f.severity for f in findings if f.code in error_codes} == {"critical"}
        else:
            assert not codes & error_codes

    fired = [minute for minute, codes in alerting if codes]
    assert fired, "the failure burst raised no alert"
    assert 90 < fired[0] <= 115  # during the burst
    assert fired == list(range(fired[0], fired[-1] + 1, 5))  # one episode
    assert fired[-1] >= 115
    assert not alerting[-1][1]  # cleared once the burst has left the hour


# --------------------------------------------------------------------------- the example


def load_example() -> ModuleType:
    return load_script("example_08", EXAMPLE)


STATUS = re.compile(
    r"^(\d\d):(\d\d)  runs\s+(\d+)  errors\s+(\d+\.\d)%  p95\s+(\d+\.\d) ms  (.+)$", re.MULTILINE
)


def test_realtime_monitor_example_prints_hand_checked_status_and_one_alert() -> None:
    process = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    output = process.stdout
    example = load_example()
    records = example.generate_executions()

    rows = STATUS.findall(output)
    assert [f"{hour}:{minute}" for hour, minute, *_ in rows] == [
        f"{example.START + 5 * i * MINUTE:%H:%M}" for i in range(1, 37)
    ]  # every five minutes for three hours
    alert_at = []
    for hour, minute, runs, errors, p95, state in rows:
        end = example.START.replace(hour=int(hour), minute=int(minute))
        inside = [r for r in records if end - example.WINDOW <= r["timestamp"] < end]
        failures = sum(not r["success"] for r in inside)
        times = sorted(r["execution_time_ms"] for r in inside)
        position = (len(times) - 1) * 0.95
        low = math.floor(position)
        high = min(low + 1, len(times) - 1)
        expected_p95 = times[low] + (times[high] - times[low]) * (position - low)
        assert int(runs) == len(inside)
        assert errors == f"{failures / len(inside) * 100:.1f}"
        assert float(p95) == pytest.approx(expected_p95, abs=0.051)
        if failures / len(inside) > 0.2:
            alert_at.append(f"{hour}:{minute}")
            assert state != "ok"
    assert alert_at, "the example's burst raised no alert"
    first = alert_at[0]
    assert (
        f"Alerts raised:           2 ({first} low_success_rate, {first} high_error_rate)" in output
    )
    assert output.count("ALERT critical") == 2
    assert output.count("resolved:") == 2
    assert f"Executions received:     {len(records)}" in output
    assert "Buckets held:            24 (2 x window / bucket)" in output


# --------------------------------------------------------------------------- review fixes


def test_a_record_up_to_a_window_ahead_of_now_does_not_change_the_snapshot() -> None:
    monitor = rolling()
    monitor.add([record(T0 + i * MINUTE) for i in range(60)])
    now = T0 + 59 * MINUTE
    before = monitor.snapshot(now)
    monitor.add([record(T0 + 60 * MINUTE + timedelta(seconds=1))])  # clock skew: next hour
    after = monitor.snapshot(now)
    cumulative = ("total_data_points", "data_quality")  # count the new record too
    assert {k: v for k, v in comparable(after).items() if k not in cumulative} == {
        k: v for k, v in comparable(before).items() if k not in cumulative
    }
    assert after.usage_metrics.total_executions == 60
    assert after.data_quality.records_outside_window == 1


def test_a_snapshot_below_the_kept_buckets_raises_and_changes_nothing() -> None:
    monitor = rolling()
    monitor.add([record(T0 + i * MINUTE) for i in range(60)])
    monitor.add([record(T0 + 3 * HOUR)])  # more than a window ahead of T0's hour
    kept = monitor.retained_buckets
    window = f"{T0.isoformat()} to {(T0 + HOUR).isoformat()}"  # (in microseconds, before)
    with pytest.raises(UsageAnalyticsError, match=rf"^snapshot of {re.escape(window)}: .* before"):
        monitor.snapshot(T0 + 59 * MINUTE)
    assert monitor.retained_buckets == kept
    with pytest.raises(TypeError, match=r"^now must be a datetime, got str$"):
        monitor.snapshot(T0.isoformat())  # type: ignore[arg-type]
    assert monitor.snapshot(T0 + 3 * HOUR).usage_metrics.total_executions == 1


def test_a_snapshot_out_of_the_datetime_range_raises_and_changes_nothing() -> None:
    monitor = rolling(timedelta(days=7), timedelta(days=1))
    now = datetime(2025, 1, 8, tzinfo=UTC)
    monitor.add([record(now - timedelta(hours=h)) for h in range(100)])
    first = monitor.snapshot(now)
    with pytest.raises(UsageAnalyticsError, match="out of range"):
        monitor.snapshot(datetime(9999, 12, 31, 12, tzinfo=UTC))
    assert comparable(monitor.snapshot(now)) == comparable(first)


def test_int64_timestamps_at_the_extremes_are_outside_not_a_crash() -> None:
    pa = pytest.importorskip("pyarrow")
    monitor = rolling()
    for extreme in (2**63 - 1, -(2**63), -(2**63) + 1):
        monitor.add(pa.table({"timestamp": pa.array([extreme], pa.int64()), "success": [True]}))
    result = monitor.snapshot(T0)
    assert result.data_quality.records_outside_window == 3
    assert result.usage_metrics.total_executions == 0


def test_threads_sharing_a_monitor_equal_one_thread() -> None:
    import threading

    shared, alone = rolling(), rolling()
    batches = [
        [record(T0 + (i * 7 + k) * timedelta(seconds=13)) for k in range(50)] for i in range(8)
    ]
    threads = [threading.Thread(target=shared.add, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for batch in batches:
        alone.add(batch)
    now = T0 + 30 * MINUTE
    assert comparable(shared.snapshot(now)) == comparable(alone.snapshot(now))


def test_windows_beyond_a_century_are_rejected() -> None:
    with pytest.raises(ValueError, match="at most"):
        rolling(timedelta(days=999_999_999), timedelta(days=999_999_999))


def test_retained_buckets_waits_for_a_running_add() -> None:
    import threading

    monitor = rolling()
    batch = [record(T0 + k * timedelta(seconds=7)) for k in range(20_000)]

    def add_eight_times() -> None:
        for _ in range(8):
            monitor.add(batch)

    adding = threading.Thread(target=add_eight_times)
    adding.start()
    reads = []
    while adding.is_alive():
        reads.append(monitor.retained_buckets)  # raised "Already mutably borrowed"
    adding.join()
    assert reads
    assert all(count >= 0 for count in reads)
    assert monitor.retained_buckets > 0


# --------------------------------------------------------------------------- max_future


@settings(max_examples=60, deadline=None)
@given(rolling_cases(), st.data())
def test_max_future_leaves_out_exactly_the_records_past_the_clock(
    case: dict[str, Any], data: st.DataObject
) -> None:
    """Each add has a clock; its records after clock + max_future are not filed (counted
    outside), the rest are: snapshots equal one reduction over the filed records."""
    window, bucket = case["window"], case["bucket"]
    window_us, bucket_us = window // US, bucket // US
    max_future_us = data.draw(
        st.one_of(st.sampled_from([0, 1, bucket_us, window_us]), st.integers(0, 3 * window_us)),
        label="max_future_us",
    )
    monitor = case_monitor(case, max_future=timedelta(microseconds=max_future_us))
    filed: list[Any] = []
    received = 0
    for batch, now_us, now in case["steps"]:
        stamps = sorted(timestamp_us(r) for r in batch) or [0]
        # A clock at a record's time, one microsecond before or after it, or anywhere.
        clock_us = data.draw(
            st.one_of(
                st.sampled_from(stamps).map(lambda t: t - max_future_us),
                st.sampled_from(stamps).map(lambda t: t - max_future_us - 1),
                st.integers(stamps[0] - window_us, stamps[-1] + window_us),
            ),
            label="clock_us",
        )
        monitor.add(batch, now=micros_to_utc(clock_us).replace(tzinfo=None))  # naive = UTC
        received += len(batch)
        filed += [r for r in batch if timestamp_us(r) <= clock_us + max_future_us]
        if now is None:
            continue
        actual = monitor.snapshot(now)
        assert_case_snapshot(actual, case, filed, now_us)
        assert_cumulative_quality(actual, received=received, invalid=0)
        event(f"left out={'some' if len(filed) < received else 'none'}")


def test_a_record_from_a_clock_far_ahead_does_not_stop_a_monitor_with_max_future() -> None:
    pa = pytest.importorskip("pyarrow")
    monitor = rolling(max_future=5 * MINUTE)
    clock = T0 + 30 * MINUTE
    skewed = record(datetime(2099, 1, 1, tzinfo=UTC), success=False)
    edge = record(clock + 5 * MINUTE, execution_time_ms=7.0)  # filed: not *more* than 5 min
    past_edge = record(clock + 5 * MINUTE + US, success=False)
    monitor.add([record(T0), skewed, edge, past_edge], now=clock)
    monitor.add(pa.Table.from_pylist([record(T0 + MINUTE), skewed]), now=clock)  # Arrow too

    result = monitor.snapshot(clock + 5 * MINUTE)

    assert result.usage_metrics.total_executions == 3
    assert result.success_metrics.failure_count == 0
    assert result.performance_metrics is not None
    assert result.performance_metrics.min_execution_time_ms == 7.0
    assert_cumulative_quality(result, received=6, invalid=0)
    assert result.data_quality.records_outside_window == 3
    assert monitor.snapshot(clock + 20 * MINUTE).usage_metrics.total_executions == 3


def test_max_future_measures_from_the_wall_clock_by_default() -> None:
    monitor = rolling(max_future=HOUR)
    now = datetime.now(UTC)
    monitor.add([record(now - MINUTE), record(now + 30 * MINUTE), record(now + 3 * HOUR)])

    result = monitor.snapshot(now + 30 * MINUTE)

    assert result.usage_metrics.total_executions == 2
    assert result.data_quality.records_outside_window == 1


def test_without_max_future_a_far_record_is_filed_and_the_failed_snapshot_names_it() -> None:
    monitor = rolling()
    monitor.add([record(T0), record(datetime(2099, 1, 1, 0, 3, tzinfo=UTC))])

    with pytest.raises(UsageAnalyticsError) as raised:
        monitor.snapshot(T0)

    message = str(raised.value)
    assert message.endswith(
        " (the newest bucket kept starts at 2099-01-01T00:00:00+00:00; max_future= leaves"
        " out records timestamped too far after the clock)"
    )
    assert monitor.snapshot(datetime(2099, 1, 1, tzinfo=UTC)).usage_metrics.total_executions == 1


def test_a_failed_snapshot_with_max_future_set_does_not_suggest_it() -> None:
    monitor = rolling(max_future=HOUR)
    monitor.add([record(T0 + 3 * HOUR)], now=T0 + 3 * HOUR)  # the clock itself moved on

    with pytest.raises(UsageAnalyticsError, match=r"starts at .*T15:00:00\+00:00\)$"):
        monitor.snapshot(T0)


def test_max_future_as_large_as_a_timedelta_files_every_record() -> None:
    # (The limit, past the core's 64-bit instants, is held at the last one a datetime has.)
    monitor = rolling(max_future=timedelta.max)
    last = datetime(9999, 12, 31, 23, 50, tzinfo=UTC)
    monitor.add([record(T0), record(last)], now=T0)
    result = monitor.snapshot(last)  # (the 9999 record moved the kept range there)
    assert result.usage_metrics.total_executions == 1
    assert_cumulative_quality(result, received=2, invalid=0)


@pytest.mark.parametrize(
    ("options", "now", "error", "message"),
    [
        pytest.param(
            {},
            T0,
            ValueError,
            "^now= is the clock that max_future is measured from; set max_future$",
            id="now-without-max-future",
        ),
        pytest.param({"max_future": HOUR}, "now", TypeError, "got str$", id="now-not-a-time"),
        pytest.param({"max_future": HOUR}, datetime.max, None, "", id="clock-at-the-last-instant"),
    ],
)
def test_add_checks_its_clock(
    options: dict[str, Any], now: Any, error: type[Exception] | None, message: str
) -> None:
    monitor = rolling(**options)
    if error is None:
        monitor.add([record(T0)], now=now)
        assert monitor.snapshot(T0).usage_metrics.total_executions == 1
        return
    with pytest.raises(error, match=message):
        monitor.add([record(T0)], now=now)
    assert monitor.retained_buckets == 0


def test_negative_max_future_is_refused() -> None:
    with pytest.raises(ValueError, match="max_future must not be negative, got -1 day"):
        rolling(max_future=-US)


def test_max_future_of_zero_files_records_up_to_the_clock() -> None:
    # (Not negative: allowed, and a record at the clock itself is filed.)
    monitor = rolling(max_future=timedelta(0))
    monitor.add([record(T0), record(T0 + US)], now=T0)
    assert monitor.snapshot(T0).usage_metrics.total_executions == 1


def test_a_clock_in_another_zone_is_the_same_instant() -> None:
    # An aware `now` is the instant it names, not its wall time read as UTC.
    two_hours_east = timezone(timedelta(hours=2))
    monitor = rolling()
    monitor.add([record(T0 - 30 * MINUTE)])
    shown = monitor.snapshot(T0.astimezone(two_hours_east))
    assert shown.time_window_end == monitor.snapshot(T0).time_window_end
    assert shown.usage_metrics.total_executions == 1


def test_max_future_of_none_given_is_no_limit_as_left_out() -> None:
    # (The check of a negative limit compared None with a timedelta: a TypeError.)
    monitor = rolling(max_future=None)
    assert monitor.settings.max_future is None
    monitor.add([record(T0 + 3 * HOUR)])
    assert monitor.snapshot(T0 + 3 * HOUR).usage_metrics.total_executions == 1


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("1784246400000000 + range", id="integer"),
        pytest.param(
            "TIMESTAMPTZ '2026-07-17 00:00:00+00' + INTERVAL (range) SECOND", id="datetime"
        ),
    ],
)
def test_a_failed_add_of_a_duckdb_result_leaves_its_connection_free(timestamp: str) -> None:
    # A stream of integer timestamps is read through a reader noting their range, which
    # pyarrow's close left holding the DuckDB result: while the error of a read that
    # failed was kept (logged, collected, chained), the connection refused every query
    # ("connection has an open result; drain or destroy it before starting a new query").
    duckdb = pytest.importorskip("duckdb")
    connection = duckdb.connect()
    rolling = RollingUsageAnalytics(window=timedelta(hours=1), bucket=timedelta(minutes=5))
    query = f"SELECT {timestamp} AS timestamp, [1] AS success FROM range(10)"
    try:
        with pytest.raises(UsageAnalyticsError, match="column 'success' has Arrow type") as raised:
            rolling.add(connection.sql(query))
        assert connection.sql("SELECT 42").fetchall() == [(42,)]
        assert raised.value.__traceback__ is not None  # (the error, still held)
    finally:
        connection.close()
