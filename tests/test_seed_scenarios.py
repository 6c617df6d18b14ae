"""The replaced system's own scenarios, run on the public API.

Its README quick start (exactly as written there), its feature flags, its edge cases
(empty input, a single execution, 1,000 records), a steadily growing 30-day workflow,
and its health-check use cases evaluated on data built to trigger each check. Every
expected number is computed by hand here, from the records the test builds: this file
does not use the reference implementation.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from usage_analytics import (
    AnalyticsGranularity,
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    UsageTrendType,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EXACT = 1e-12  # relative tolerance for floats whose summation order is not specified


@pytest.fixture
def reducer() -> NodeUsageAnalyticsReducer:
    return NodeUsageAnalyticsReducer()


# ---------------------------------------------------------------- hand-computation helpers


def linear_percentile(values: Sequence[float], q: float) -> float:
    """numpy's default `method="linear"`: interpolate between the closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ols(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """(slope, intercept, |t| of the slope); |t| is inf for a perfect fit."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    rss = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    if rss == 0:
        return slope, intercept, math.inf
    return slope, intercept, abs(slope) / math.sqrt(rss / (n - 2) / sxx)


def contract_for(
    records: list[dict[str, Any]],
    start: datetime,
    end: datetime,
    window_type: TimeWindowType,
    **options: Any,
) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id=uuid4(),
        time_window_start=start,
        time_window_end=end,
        time_window_type=window_type,
        execution_data=records,
        **options,
    )


# ---------------------------------------------------------------- README quick start


def quick_start_data(now: datetime) -> list[dict[str, Any]]:
    """The README's `execution_data`, verbatim: 50 executions, one per hour back from now."""
    return [
        {
            "execution_id": str(uuid4()),
            "timestamp": now - timedelta(hours=i),
            "success": True,
            "execution_time_ms": 200,
            "quality_score": 0.85,
            "context_type": "debugging",
            "agent": "agent-1",
        }
        for i in range(50)
    ]


def quick_start_contract(now: datetime) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id=uuid4(),
        time_window_start=now - timedelta(days=7),
        time_window_end=now,
        time_window_type=TimeWindowType.WEEKLY,
        granularity=AnalyticsGranularity.DETAILED,
        execution_data=quick_start_data(now),
    )


# With a weekly window the trend buckets are 6 h wide: 28 of them. The records sit at
# 119, 120, ..., 168 hours after the window start, so bucket 19 holds one (119 h),
# buckets 20-26 six each, and the last bucket seven (162..168 h, the end instant included).
QUICK_START_COUNTS = [0] * 19 + [1] + [6] * 7 + [7]
QUICK_START_RATES = [count / 0.25 for count in QUICK_START_COUNTS]  # per day
QUICK_START_X = [(i + 0.5) * 0.25 for i in range(28)]  # bucket midpoints, days


async def test_readme_quick_start_exactly(
    reducer: NodeUsageAnalyticsReducer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's code as written (a real `datetime.now`), and its four printed lines."""
    now = datetime.now(UTC)
    contract = quick_start_contract(now)

    result = await reducer.execute_reduction(contract)

    print(f"Total Executions: {result.usage_metrics.total_executions}")
    print(f"Success Rate: {result.success_metrics.success_rate:.1%}")
    assert result.performance_metrics is not None
    assert result.trend_analysis is not None
    print(f"P95 Latency: {result.performance_metrics.p95_execution_time_ms:.2f}ms")
    print(f"Trend: {result.trend_analysis.trend_type.value}")
    assert capsys.readouterr().out.splitlines() == [
        "Total Executions: 50",
        "Success Rate: 100.0%",
        "P95 Latency: 200.00ms",
        "Trend: growing",
    ]

    usage = result.usage_metrics
    assert usage.total_executions == 50
    assert usage.executions_per_day == pytest.approx(50 / 7, rel=EXACT)
    assert usage.executions_per_week == 50.0  # 7 days = 1 week
    assert usage.executions_per_month == 50.0  # max(7/30, 1) = 1
    assert usage.unique_contexts == 1
    assert usage.unique_users == 1
    expected_peak = max(Counter((now - timedelta(hours=i)).date() for i in range(50)).values())
    assert usage.peak_daily_usage == expected_peak
    assert usage.time_since_last_use == 0.0  # the newest record is at the window end

    success = result.success_metrics
    assert (success.success_count, success.failure_count) == (50, 0)
    assert (success.success_rate, success.error_rate) == (1.0, 0.0)
    assert (success.timeout_count, success.quality_gate_failures) == (0, 0)
    assert success.avg_quality_score == pytest.approx(0.85, rel=EXACT)

    perf = result.performance_metrics
    assert perf.p50_execution_time_ms == 200.0
    assert perf.p95_execution_time_ms == 200.0
    assert perf.p99_execution_time_ms == 200.0
    assert perf.avg_execution_time_ms == 200.0
    assert (perf.min_execution_time_ms, perf.max_execution_time_ms) == (200.0, 200.0)
    assert perf.std_dev_ms == 0.0
    assert perf.total_execution_time_ms == 10_000.0
    assert perf.sample_count == 50

    trend = result.trend_analysis
    velocity, _, t_stat = ols(QUICK_START_X, QUICK_START_RATES)
    late_velocity = ols(QUICK_START_X[14:], QUICK_START_RATES[14:])[0]
    assert trend.bucket_count == 28
    assert trend.bucket_width_seconds == 6 * 3600
    assert trend.velocity == pytest.approx(velocity, rel=1e-9)
    assert trend.velocity > 0.5
    assert trend.velocity_significant is (t_stat >= 2)
    assert trend.velocity_significant is True
    assert trend.trend_type is UsageTrendType.GROWING
    # The first half of the buckets is empty: its slope is 0.
    assert trend.acceleration == pytest.approx(late_velocity, rel=1e-9)
    assert trend.growth_percentage == 100.0  # first quarter empty, last quarter not
    # Every record is in the second half (after 84 h): nobody to retain, one adopter in
    # 3.5 days = 0.5 weeks.
    assert (trend.retention_rate, trend.churn_rate) == (0.0, 0.0)
    assert trend.adoption_rate == pytest.approx(2.0, rel=EXACT)
    assert trend.confidence_score == pytest.approx(0.7 * 0.5 + 0.3 * 1.0, rel=EXACT)
    assert trend.time_series is None  # DETAILED
    assert trend.predictions is None  # include_predictions defaults to False

    dist = result.context_distribution
    assert dist is not None
    assert dist.by_context_type == {"debugging": 50}
    assert dist.by_agent == {"agent-1": 50}
    assert dist.by_project == {"unknown": 50}
    assert dist.by_file_type == {}  # no file_path in the records
    assert sum(dist.by_time_of_day.values()) == 50
    assert sum(dist.by_day_of_week.values()) == 50

    assert result.total_data_points == 50
    assert result.analytics_quality_score == pytest.approx(0.7 * 0.5 + 0.3 * 7 / 30, rel=EXACT)
    assert result.pattern_id == contract.pattern_id
    assert result.correlation_id == contract.correlation_id


async def test_readme_quick_start_calendar_fields_with_a_fixed_now(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    """Now = Monday 2026-01-05 10:00 UTC: the 50 hourly records fall on Saturday
    (09:00-23:00, 15), Sunday (all 24 hours) and Monday (00:00-10:00, 11)."""
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

    result = await reducer.execute_reduction(quick_start_contract(now))

    assert result.usage_metrics.peak_daily_usage == 24
    dist = result.context_distribution
    assert dist is not None
    assert dist.by_day_of_week == {0: 11, 5: 15, 6: 24}
    expected_hours = dict.fromkeys(range(24), 2) | {9: 3, 10: 3}
    assert dist.by_time_of_day == expected_hours
    assert list(dist.by_time_of_day) == list(range(24))  # hours ordered by key


# ---------------------------------------------------------------- feature flags, granularity


async def test_feature_flags_off_give_none_families(reducer: NodeUsageAnalyticsReducer) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    base = quick_start_contract(now)
    contract = base.model_copy(
        update={
            "include_trends": False,
            "include_performance": False,
            "include_distribution": False,
        }
    )

    result = await reducer.execute_reduction(contract)

    assert result.performance_metrics is None
    assert result.trend_analysis is None
    assert result.context_distribution is None
    # The core families are always there, and unchanged.
    assert result.usage_metrics.total_executions == 50
    assert result.success_metrics.success_rate == 1.0
    assert result.total_data_points == 50


async def test_summary_granularity_skips_only_the_distribution(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    contract = quick_start_contract(now).model_copy(
        update={"granularity": AnalyticsGranularity.SUMMARY}
    )

    result = await reducer.execute_reduction(contract)

    assert result.context_distribution is None
    assert result.performance_metrics is not None
    assert result.performance_metrics.p95_execution_time_ms == 200.0
    assert result.trend_analysis is not None
    assert result.trend_analysis.trend_type is UsageTrendType.GROWING


async def test_include_predictions_flag_adds_predictions_without_time_series(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    contract = quick_start_contract(now).model_copy(update={"include_predictions": True})

    result = await reducer.execute_reduction(contract)

    trend = result.trend_analysis
    assert trend is not None
    assert trend.time_series is None
    assert trend.predictions is not None
    slope, intercept, _ = ols(QUICK_START_X, QUICK_START_RATES)
    rate = max(0.0, intercept + slope * 1.5 * 7)
    assert trend.predictions.horizon_days == 7.0
    assert trend.predictions.predicted_daily_rate == pytest.approx(rate, rel=1e-9)
    assert trend.predictions.predicted_executions == pytest.approx(rate * 7, rel=1e-9)


async def test_comprehensive_granularity_adds_time_series_and_predictions(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    now = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    contract = quick_start_contract(now).model_copy(
        update={"granularity": AnalyticsGranularity.COMPREHENSIVE}
    )

    result = await reducer.execute_reduction(contract)

    trend = result.trend_analysis
    assert trend is not None
    assert trend.predictions is not None
    assert trend.time_series is not None
    assert [bucket.executions for bucket in trend.time_series] == QUICK_START_COUNTS
    assert [bucket.rate_per_day for bucket in trend.time_series] == QUICK_START_RATES
    start = now - timedelta(days=7)
    assert [bucket.start for bucket in trend.time_series] == [
        start + i * 6 * HOUR for i in range(28)
    ]
    assert trend.time_series[-1].end == now
    assert result.context_distribution is not None  # COMPREHENSIVE includes DETAILED


# ---------------------------------------------------------------- edge cases


async def test_empty_input_gives_empty_analytics_not_an_error(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    end = datetime(2026, 1, 5, tzinfo=UTC)
    contract = contract_for([], end - 7 * DAY, end, TimeWindowType.WEEKLY)

    result = await reducer.execute_reduction(contract)

    usage = result.usage_metrics
    assert usage.total_executions == 0
    assert (usage.executions_per_day, usage.executions_per_week) == (0.0, 0.0)
    assert usage.executions_per_month == 0.0
    assert (usage.unique_contexts, usage.unique_users, usage.peak_daily_usage) == (0, 0, 0)
    assert usage.time_since_last_use is None

    success = result.success_metrics
    assert (success.success_count, success.failure_count) == (0, 0)
    assert (success.success_rate, success.error_rate) == (0.0, 0.0)
    assert (success.timeout_count, success.quality_gate_failures) == (0, 0)
    assert success.avg_quality_score == 0.0

    perf = result.performance_metrics
    assert perf is not None
    assert perf.sample_count == 0
    assert perf.percentile_method == "exact"
    numbers = perf.model_dump(exclude={"sample_count", "percentile_method"})
    assert numbers == dict.fromkeys(numbers, 0.0)

    trend = result.trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.EMERGING  # no records: n < 10, none abandoned
    assert (trend.velocity, trend.acceleration, trend.growth_percentage) == (0.0, 0.0, 0.0)
    assert (trend.retention_rate, trend.churn_rate, trend.adoption_rate) == (0.0, 0.0, 0.0)
    assert trend.bucket_count == 28
    assert trend.confidence_score == pytest.approx(0.3, rel=EXACT)  # 0.7 * 0 + 0.3 * 1

    dist = result.context_distribution
    assert dist is not None
    assert dist.model_dump() == {
        "by_context_type": {},
        "by_agent": {},
        "by_project": {},
        "by_file_type": {},
        "by_time_of_day": {},
        "by_day_of_week": {},
    }

    assert result.analytics_quality_score == 0.0
    assert result.total_data_points == 0
    assert result.data_quality.records_received == 0


async def test_single_recent_execution_is_emerging(reducer: NodeUsageAnalyticsReducer) -> None:
    end = datetime(2026, 1, 5, tzinfo=UTC)
    start = end - 7 * DAY
    record = {
        "timestamp": end - HOUR,
        "success": True,
        "execution_time_ms": 123.5,
        "quality_score": 0.9,
        "agent": "solo",
    }

    result = await reducer.execute_reduction(
        contract_for([record], start, end, TimeWindowType.WEEKLY)
    )

    usage = result.usage_metrics
    assert usage.total_executions == 1
    assert usage.executions_per_day == pytest.approx(1 / 7, rel=EXACT)
    assert (usage.executions_per_week, usage.executions_per_month) == (1.0, 1.0)
    assert (usage.unique_contexts, usage.unique_users, usage.peak_daily_usage) == (1, 1, 1)
    assert usage.time_since_last_use == pytest.approx(1.0, rel=EXACT)
    assert result.success_metrics.success_rate == 1.0
    assert result.success_metrics.avg_quality_score == pytest.approx(0.9, rel=EXACT)

    perf = result.performance_metrics
    assert perf is not None
    assert perf.sample_count == 1
    for value in (
        perf.avg_execution_time_ms,
        perf.p50_execution_time_ms,
        perf.p95_execution_time_ms,
        perf.p99_execution_time_ms,
        perf.min_execution_time_ms,
        perf.max_execution_time_ms,
        perf.total_execution_time_ms,
    ):
        assert value == 123.5
    assert perf.std_dev_ms == 0.0  # sample std of one value

    trend = result.trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.EMERGING
    rates = [0.0] * 27 + [4.0]  # one execution in the last 6 h bucket = 4 per day
    xs = [(i + 0.5) * 0.25 for i in range(28)]
    assert trend.velocity == pytest.approx(ols(xs, rates)[0], rel=1e-9)
    assert trend.growth_percentage == 100.0
    assert trend.adoption_rate == pytest.approx(2.0, rel=EXACT)  # 1 agent / 0.5 weeks
    assert trend.confidence_score == pytest.approx(0.7 * 0.01 + 0.3, rel=EXACT)
    assert result.analytics_quality_score == pytest.approx(0.7 * 0.01 + 0.3 * 7 / 30, rel=EXACT)
    assert result.total_data_points == 1


async def test_single_execution_long_ago_is_abandoned(reducer: NodeUsageAnalyticsReducer) -> None:
    """One execution on the first day of a 30-day window: none in the last quarter."""
    end = datetime(2026, 1, 31, tzinfo=UTC)
    start = end - 30 * DAY
    record = {"timestamp": start + 2 * HOUR, "success": True}

    result = await reducer.execute_reduction(
        contract_for([record], start, end, TimeWindowType.MONTHLY)
    )

    assert result.trend_analysis is not None
    assert result.trend_analysis.trend_type is UsageTrendType.ABANDONED
    assert result.usage_metrics.time_since_last_use == pytest.approx(30 * 24 - 2, rel=EXACT)
    # No execution time: the performance family is all zeros.
    assert result.performance_metrics is not None
    assert result.performance_metrics.sample_count == 0
    assert result.performance_metrics.p95_execution_time_ms == 0.0


async def test_single_execution_on_window_edges_is_inside(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    end = datetime(2026, 1, 5, tzinfo=UTC)
    start = end - 7 * DAY
    records = [
        {"timestamp": start, "success": True},  # both ends are inclusive
        {"timestamp": end, "success": True},
        {"timestamp": start - timedelta(microseconds=1), "success": True},
        {"timestamp": end + timedelta(microseconds=1), "success": True},
    ]

    result = await reducer.execute_reduction(
        contract_for(records, start, end, TimeWindowType.WEEKLY)
    )

    assert result.usage_metrics.total_executions == 2
    assert result.usage_metrics.time_since_last_use == 0.0
    assert result.data_quality.records_in_window == 2
    assert result.data_quality.records_outside_window == 2
    assert result.total_data_points == 4


# ---------------------------------------------------------------- 1,000 records


def thousand_records(start: datetime) -> list[dict[str, Any]]:
    """1,000 executions over 30 days; some leave optional fields out."""
    rng = random.Random(1000)
    records = []
    for i in range(1000):
        record: dict[str, Any] = {
            "timestamp": start + timedelta(microseconds=rng.randrange(30 * 86_400 * 10**6)),
            "success": rng.random() < 0.85,
            "timeout": rng.random() < 0.04,
            "quality_gates_passed": rng.random() < 0.93,
            "context_type": rng.choice(["debugging", "code_review", "testing", "docs"]),
            "agent": f"agent-{rng.randrange(12):02d}",
            "project": rng.choice(["alpha", "beta", "gamma"]),
            "file_path": rng.choice(["src/a.py", "src/b.rs", "web/c.tsx", "Makefile"]),
        }
        if rng.random() < 0.9:
            record["execution_time_ms"] = round(rng.lognormvariate(5.0, 0.7), 3)
        if rng.random() < 0.8:
            record["quality_score"] = round(rng.random(), 4)
        if i % 97 == 0:
            del record["success"]  # missing success counts as a failure
        if i % 89 == 0:
            del record["agent"]  # missing agent is "unknown"
        records.append(record)
    return records


def by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


async def test_thousand_records_exact_counts_and_rates(reducer: NodeUsageAnalyticsReducer) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + 30 * DAY
    records = thousand_records(start)

    result = await reducer.execute_reduction(
        contract_for(records, start, end, TimeWindowType.MONTHLY)
    )

    successes = sum(1 for r in records if r.get("success") is True)
    timeouts = sum(1 for r in records if r["timeout"])
    gate_failures = sum(1 for r in records if not r["quality_gates_passed"])
    scores = [r["quality_score"] for r in records if "quality_score" in r]
    times = [r["execution_time_ms"] for r in records if "execution_time_ms" in r]
    agents = Counter(r.get("agent", "unknown") for r in records)
    latest = max(r["timestamp"] for r in records)

    usage = result.usage_metrics
    assert usage.total_executions == 1000
    assert usage.executions_per_day == pytest.approx(1000 / 30, rel=EXACT)
    assert usage.executions_per_week == pytest.approx(1000 / (30 / 7), rel=EXACT)
    assert usage.executions_per_month == 1000.0
    assert usage.unique_contexts == 4
    assert usage.unique_users == len(agents)
    assert usage.peak_daily_usage == max(Counter(r["timestamp"].date() for r in records).values())
    assert usage.time_since_last_use == pytest.approx((end - latest) / HOUR, rel=EXACT)

    success = result.success_metrics
    assert success.success_count == successes
    assert success.failure_count == 1000 - successes
    assert success.success_rate == successes / 1000
    assert success.error_rate == (1000 - successes) / 1000
    assert success.timeout_count == timeouts
    assert success.quality_gate_failures == gate_failures
    assert success.avg_quality_score == pytest.approx(math.fsum(scores) / len(scores), rel=EXACT)

    perf = result.performance_metrics
    assert perf is not None
    assert perf.sample_count == len(times)
    assert perf.p50_execution_time_ms == pytest.approx(linear_percentile(times, 0.5), rel=EXACT)
    assert perf.p95_execution_time_ms == pytest.approx(linear_percentile(times, 0.95), rel=EXACT)
    assert perf.p99_execution_time_ms == pytest.approx(linear_percentile(times, 0.99), rel=EXACT)
    assert (perf.min_execution_time_ms, perf.max_execution_time_ms) == (min(times), max(times))
    mean = math.fsum(times) / len(times)
    assert perf.avg_execution_time_ms == pytest.approx(mean, rel=EXACT)
    assert perf.total_execution_time_ms == pytest.approx(math.fsum(times), rel=EXACT)
    variance = math.fsum((t - mean) ** 2 for t in times) / (len(times) - 1)
    assert perf.std_dev_ms == pytest.approx(math.sqrt(variance), rel=1e-9)

    dist = result.context_distribution
    assert dist is not None
    assert list(dist.by_agent.items()) == by_count(agents)
    assert list(dist.by_project.items()) == by_count(Counter(r["project"] for r in records))
    extension = {"src/a.py": "py", "src/b.rs": "rs", "web/c.tsx": "tsx", "Makefile": "unknown"}
    files = Counter(extension[r["file_path"]] for r in records)
    assert list(dist.by_file_type.items()) == by_count(files)
    assert dist.by_day_of_week == dict(
        sorted(Counter(r["timestamp"].weekday() for r in records).items())
    )

    assert result.analytics_quality_score == pytest.approx(1.0, rel=EXACT)
    assert result.total_data_points == len(records) == 1000


# ---------------------------------------------------------------- a growing 30-day workflow


def daily_workflow(start: datetime, counts: list[int]) -> list[dict[str, Any]]:
    """`counts[d]` executions on day d, evenly spaced inside the day."""
    records = []
    for day, count in enumerate(counts):
        for k in range(count):
            offset = day * DAY + (k + 0.5) * DAY / count
            records.append({"timestamp": start + offset, "success": True, "agent": "ci"})
    return records


async def test_thirty_day_workflow_growing_steadily_is_growing(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    """2, 3, 4, ..., 31 executions a day: daily buckets, a perfect line of slope 1."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + 30 * DAY
    counts = [2 + day for day in range(30)]
    records = daily_workflow(start, counts)

    result = await reducer.execute_reduction(
        contract_for(records, start, end, TimeWindowType.MONTHLY, include_predictions=True)
    )

    trend = result.trend_analysis
    assert trend is not None
    assert trend.trend_type is UsageTrendType.GROWING
    assert trend.bucket_count == 30
    assert trend.bucket_width_seconds == 86_400.0
    assert trend.velocity == pytest.approx(1.0, rel=1e-9)
    assert trend.velocity > 0.5
    assert trend.velocity_significant is True  # a perfect fit
    assert trend.acceleration == pytest.approx(0.0, abs=1e-9)  # both halves have slope 1
    # First 7 days average 5/day, last 7 average 28/day.
    assert trend.growth_percentage == pytest.approx((28 - 5) / 5 * 100, rel=1e-9)
    assert trend.confidence_score == pytest.approx(1.0, rel=EXACT)  # 495 records, 30 buckets
    assert (trend.retention_rate, trend.churn_rate, trend.adoption_rate) == (1.0, 0.0, 0.0)
    # The line 1.5 + x, extended to the middle of the next 30 days (x = 45).
    assert trend.predictions is not None
    assert trend.predictions.horizon_days == 30.0
    assert trend.predictions.predicted_daily_rate == pytest.approx(46.5, rel=1e-9)
    assert trend.predictions.predicted_executions == pytest.approx(1395.0, rel=1e-9)
    assert result.usage_metrics.total_executions == sum(counts) == 495
    assert result.usage_metrics.peak_daily_usage == 31


async def test_thirty_day_workflow_growing_with_noise_is_growing(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    rng = random.Random(30)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + 30 * DAY
    counts = [max(0, round(5 + 0.9 * day + rng.gauss(0, 2.5))) for day in range(30)]
    records = daily_workflow(start, counts)
    xs = [day + 0.5 for day in range(30)]
    velocity, _, t_stat = ols(xs, [float(c) for c in counts])

    result = await reducer.execute_reduction(
        contract_for(records, start, end, TimeWindowType.MONTHLY)
    )

    trend = result.trend_analysis
    assert trend is not None
    assert trend.velocity == pytest.approx(velocity, rel=1e-9)
    assert velocity > 0.5
    assert t_stat >= 2
    assert trend.velocity_significant is True
    assert trend.trend_type is UsageTrendType.GROWING


async def test_thirty_day_workflow_declining_steadily_is_declining(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + 30 * DAY
    counts = [31 - day for day in range(30)]  # 31 down to 2

    result = await reducer.execute_reduction(
        contract_for(daily_workflow(start, counts), start, end, TimeWindowType.MONTHLY)
    )

    trend = result.trend_analysis
    assert trend is not None
    assert trend.velocity == pytest.approx(-1.0, rel=1e-9)
    assert trend.trend_type is UsageTrendType.DECLINING
    assert trend.growth_percentage == pytest.approx((5 - 28) / 28 * 100, rel=1e-9)


async def test_thirty_day_workflow_flat_is_stable(reducer: NodeUsageAnalyticsReducer) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + 30 * DAY

    result = await reducer.execute_reduction(
        contract_for(daily_workflow(start, [12] * 30), start, end, TimeWindowType.MONTHLY)
    )

    trend = result.trend_analysis
    assert trend is not None
    assert trend.velocity == pytest.approx(0.0, abs=1e-9)
    assert trend.trend_type is UsageTrendType.STABLE
    assert trend.growth_percentage == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------- health-check use cases


def seed_health_checks(result: ModelUsageAnalyticsOutput) -> list[str]:
    """The design doc's use cases 1 (health), 2 (performance), 5 (quality gates) and the
    real-time monitoring alert, as the list of warnings they print."""
    issues = []
    success, usage, perf = (
        result.success_metrics,
        result.usage_metrics,
        result.performance_metrics,
    )
    if success.success_rate < 0.80:
        issues.append("low success rate")
    if success.error_rate > 0.20:
        issues.append("high error rate")
    if perf is not None and perf.p95_execution_time_ms > 500:
        issues.append("high latency")
    if usage.time_since_last_use is not None and usage.time_since_last_use > 168:
        issues.append("not used recently")
    if perf is not None and perf.p95_execution_time_ms > 2 * perf.p50_execution_time_ms:
        issues.append("high variance")
    if perf is not None and perf.p99_execution_time_ms > 1000:
        issues.append("p99 over 1 s")
    if success.quality_gate_failures > 0:
        issues.append("quality gate failures")
    if success.avg_quality_score < 0.70:
        issues.append("low quality score")
    return issues


END = datetime(2026, 1, 31, tzinfo=UTC)
START = END - 30 * DAY


def healthy(count: int, **overrides: Any) -> list[dict[str, Any]]:
    """`count` healthy executions in the last days of the window; `overrides` maps a
    field to a list of per-record values."""
    records = [
        {
            "timestamp": END - (i + 1) * HOUR,
            "success": True,
            "execution_time_ms": 100.0,
            "quality_score": 0.9,
            "quality_gates_passed": True,
        }
        for i in range(count)
    ]
    for name, values in overrides.items():
        for record, value in zip(records, values, strict=True):
            record[name] = value
    return records


async def run_checks(
    reducer: NodeUsageAnalyticsReducer, records: list[dict[str, Any]]
) -> tuple[ModelUsageAnalyticsOutput, list[str]]:
    result = await reducer.execute_reduction(
        contract_for(records, START, END, TimeWindowType.MONTHLY)
    )
    return result, seed_health_checks(result)


async def test_health_checks_pass_on_healthy_data(reducer: NodeUsageAnalyticsReducer) -> None:
    result, issues = await run_checks(reducer, healthy(20))

    assert issues == []
    assert result.success_metrics.success_rate == 1.0
    assert result.usage_metrics.time_since_last_use == 1.0


async def test_health_check_low_success_rate(reducer: NodeUsageAnalyticsReducer) -> None:
    """7 of 10 succeed: success rate 0.7 < 0.8, error rate 0.3 > 0.2."""
    records = healthy(10, success=[True] * 7 + [False] * 3)

    result, issues = await run_checks(reducer, records)

    assert result.success_metrics.success_rate == pytest.approx(0.7, rel=EXACT)
    assert result.success_metrics.error_rate == pytest.approx(0.3, rel=EXACT)
    assert issues == ["low success rate", "high error rate"]


async def test_health_check_high_p95_latency(reducer: NodeUsageAnalyticsReducer) -> None:
    """18 x 100 ms and 2 x 2000 ms: p95 sits at rank 18.05, between the two slow ones."""
    records = healthy(20, execution_time_ms=[100.0] * 18 + [2000.0] * 2)

    result, issues = await run_checks(reducer, records)

    perf = result.performance_metrics
    assert perf is not None
    assert perf.p50_execution_time_ms == 100.0
    assert perf.p95_execution_time_ms == 2000.0
    assert perf.p99_execution_time_ms == 2000.0
    assert perf.avg_execution_time_ms == pytest.approx(290.0, rel=EXACT)
    assert issues == ["high latency", "high variance", "p99 over 1 s"]


async def test_health_check_high_variance_only(reducer: NodeUsageAnalyticsReducer) -> None:
    """18 x 100 ms and 2 x 300 ms: p95 = 300 > 2 x p50 = 200, but under 500 ms."""
    records = healthy(20, execution_time_ms=[100.0] * 18 + [300.0] * 2)

    result, issues = await run_checks(reducer, records)

    perf = result.performance_metrics
    assert perf is not None
    assert (perf.p50_execution_time_ms, perf.p95_execution_time_ms) == (100.0, 300.0)
    assert issues == ["high variance"]


async def test_health_check_p95_interpolates_between_ranks(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    """19 x 100 ms and 1 x 5000 ms: p95 = 100 + 0.05 x 4900 = 345 (no latency alert),
    p99 = 100 + 0.81 x 4900 = 4069 (critical)."""
    records = healthy(20, execution_time_ms=[100.0] * 19 + [5000.0])

    result, issues = await run_checks(reducer, records)

    perf = result.performance_metrics
    assert perf is not None
    assert perf.p95_execution_time_ms == pytest.approx(345.0, rel=1e-12)
    assert perf.p99_execution_time_ms == pytest.approx(4069.0, rel=1e-12)
    assert issues == ["high variance", "p99 over 1 s"]


async def test_health_check_not_used_for_over_a_week(reducer: NodeUsageAnalyticsReducer) -> None:
    """The newest of 15 executions is 10 days before the window end: 240 h > 168 h."""
    records = [
        {
            "timestamp": END - 10 * DAY - i * HOUR,
            "success": True,
            "execution_time_ms": 100.0,
            "quality_score": 0.9,
        }
        for i in range(15)
    ]

    result, issues = await run_checks(reducer, records)

    assert result.usage_metrics.time_since_last_use == 240.0
    assert issues == ["not used recently"]
    assert result.trend_analysis is not None  # and nothing in the last quarter of the window
    assert result.trend_analysis.trend_type is UsageTrendType.ABANDONED


async def test_health_check_quality_gate_failures(reducer: NodeUsageAnalyticsReducer) -> None:
    records = healthy(12, quality_gates_passed=[True] * 9 + [False] * 3)

    result, issues = await run_checks(reducer, records)

    assert result.success_metrics.quality_gate_failures == 3
    assert issues == ["quality gate failures"]


async def test_health_check_low_average_quality(reducer: NodeUsageAnalyticsReducer) -> None:
    """Scores 0.5, 0.6, 0.7, 0.8 (three times): average 0.65 < 0.70."""
    records = healthy(12, quality_score=[0.5, 0.6, 0.7, 0.8] * 3)

    result, issues = await run_checks(reducer, records)

    assert result.success_metrics.avg_quality_score == pytest.approx(0.65, rel=EXACT)
    assert issues == ["low quality score"]


async def test_health_check_missing_quality_scores_are_not_averaged(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    """Records without a quality_score do not pull the average down."""
    records = healthy(4, quality_score=[0.9, 0.8, None, None])

    result, issues = await run_checks(reducer, records)

    assert result.success_metrics.avg_quality_score == pytest.approx(0.85, rel=EXACT)
    assert issues == []


# ---------------------------------------------------------------- total_data_points


async def test_total_data_points_counts_every_record_received(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    """10 in the window, 3 outside it and 2 invalid, skipped: 15 received."""
    records: list[dict[str, Any]] = healthy(10)
    records += [
        {"timestamp": START - DAY, "success": True},
        {"timestamp": END + HOUR, "success": True},
        {"timestamp": END + DAY, "success": False},
        {"success": True},  # index 13: no timestamp
        {"timestamp": END - HOUR, "quality_score": 1.5},  # index 14: score outside [0, 1]
    ]

    result = await reducer.execute_reduction(
        contract_for(records, START, END, TimeWindowType.MONTHLY, on_invalid="skip")
    )

    assert result.total_data_points == len(records) == 15
    assert result.usage_metrics.total_executions == 10
    quality = result.data_quality
    assert (quality.records_received, quality.records_in_window) == (15, 10)
    assert (quality.records_outside_window, quality.invalid_records) == (3, 2)
    assert [(s.index, s.field) for s in quality.error_samples] == [
        (13, "timestamp"),
        (14, "quality_score"),
    ]


async def test_invalid_record_raises_by_default_naming_index_and_field(
    reducer: NodeUsageAnalyticsReducer,
) -> None:
    records = healthy(5)
    records[3]["execution_time_ms"] = -1.0
    records[4]["execution_time_ms"] = float("nan")

    with pytest.raises(InvalidRecordError) as raised:
        await reducer.execute_reduction(contract_for(records, START, END, TimeWindowType.MONTHLY))

    error = raised.value
    assert isinstance(error, ValueError)
    assert (error.index, error.field, error.more) == (3, "execution_time_ms", 1)
