"""The demo data set: each pattern is classified as the trend it is built to show, for
many seeds and end times, and the data are deterministic and realistic."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from uuid import UUID

import pytest
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    UsageTrendType,
)
from usage_analytics.demo import (
    DEFAULT_SEED,
    DEMO_PATTERNS,
    DEMO_WINDOW,
    generate_demo_records,
)

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # a Tuesday afternoon
BY_NAME = {pattern.name: pattern for pattern in DEMO_PATTERNS}


def analyse(
    records: list[dict[str, Any]], now: datetime, pattern_id: UUID
) -> ModelUsageAnalyticsOutput:
    contract = ModelUsageAnalyticsInput(
        pattern_id=pattern_id,
        time_window_start=now - DEMO_WINDOW,
        time_window_end=now,
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.DETAILED,
        execution_data=records,
    )
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract)


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict[str, Any]]]:
    return generate_demo_records(NOW, seed=DEFAULT_SEED)


def test_demo_covers_every_trend_type() -> None:
    assert {pattern.expected_trend for pattern in DEMO_PATTERNS} == set(UsageTrendType)


# Seeds with end times at every weekday and at odd hours (midnight, a Sunday, ...), so the
# classification cannot hinge on where the weekends fall in the window.
@pytest.mark.parametrize(
    ("seed", "now"),
    [(seed, NOW + timedelta(hours=37 * seed + 5 * (seed % 3))) for seed in range(24)]
    + [(DEFAULT_SEED, datetime(2026, 3, 1, 0, 0, tzinfo=UTC))],  # a Sunday, midnight
)
def test_each_demo_pattern_is_classified_as_intended(seed: int, now: datetime) -> None:
    records = generate_demo_records(now, seed=seed)
    for pattern in DEMO_PATTERNS:
        result = analyse(records[pattern.name], now, pattern.pattern_id)
        assert result.data_quality.invalid_records == 0
        assert result.trend_analysis is not None
        assert result.trend_analysis.trend_type is pattern.expected_trend, (
            pattern.name,
            result.trend_analysis.velocity,
            result.trend_analysis.velocity_significant,
            result.usage_metrics.total_executions,
        )


def test_demo_data_is_deterministic_for_a_seed() -> None:
    assert generate_demo_records(NOW, seed=3) == generate_demo_records(NOW, seed=3)


def test_demo_data_differs_between_seeds() -> None:
    first, second = generate_demo_records(NOW, seed=1), generate_demo_records(NOW, seed=2)
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


def test_demo_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert generate_demo_records(naive, seed=5) == generate_demo_records(NOW, seed=5)


def test_demo_records_are_sorted_inside_the_window(demo: dict[str, list[dict[str, Any]]]) -> None:
    assert list(demo) == [pattern.name for pattern in DEMO_PATTERNS]
    for records in demo.values():
        stamps = [record["timestamp"] for record in records]
        assert stamps == sorted(stamps)
        assert all(NOW - DEMO_WINDOW <= stamp <= NOW for stamp in stamps)


def test_demo_pattern_ids_are_stable_uuids_independent_of_seed() -> None:
    assert str(BY_NAME["code-review-assistant"].pattern_id) == (
        "375d8680-2360-5bbf-a42a-43b7a103a8d3"
    )
    assert len({pattern.pattern_id for pattern in DEMO_PATTERNS}) == len(DEMO_PATTERNS)
    for seed in (0, 9):
        for name, records in generate_demo_records(NOW, seed=seed).items():
            assert {record["pattern_id"] for record in records} == {str(BY_NAME[name].pattern_id)}


def test_demo_emerging_pattern_has_few_recent_records(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    records = demo["schema-migration-helper"]
    assert 0 < len(records) < 10
    assert all(NOW - record["timestamp"] <= timedelta(days=4) for record in records)


def test_demo_abandoned_pattern_is_used_early_only(demo: dict[str, list[dict[str, Any]]]) -> None:
    records = demo["xml-config-converter"]
    assert len(records) >= 10
    assert all(record["timestamp"] < NOW - DEMO_WINDOW + timedelta(days=11) for record in records)


def test_demo_timestamps_follow_working_hours_and_weekdays(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    records = [record for rows in demo.values() for record in rows]
    hours = Counter(record["timestamp"].hour for record in records)
    office = sum(hours[hour] for hour in range(9, 18)) / 9
    night = sum(hours[hour] for hour in range(0, 6)) / 6
    assert office > 8 * night
    weekdays = Counter(record["timestamp"].weekday() for record in records)
    assert min(weekdays[day] for day in range(5)) > 2 * max(weekdays[5], weekdays[6])


def test_demo_error_rates_and_latency_are_pattern_specific(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    def error_rate(name: str) -> float:
        rows = demo[name]
        return sum(not row["success"] for row in rows) / len(rows)

    assert error_rate("ci-failure-triage") > 0.12
    assert error_rate("unit-test-generator") < 0.08
    triage = analyse(demo["ci-failure-triage"], NOW, BY_NAME["ci-failure-triage"].pattern_id)
    tests = analyse(demo["unit-test-generator"], NOW, BY_NAME["unit-test-generator"].pattern_id)
    assert triage.success_metrics.timeout_count > 0
    assert triage.success_metrics.quality_gate_failures > 0
    assert triage.success_metrics.avg_quality_score < tests.success_metrics.avg_quality_score
    # Log-normal with outliers: a long right tail.
    perf = tests.performance_metrics
    assert perf is not None
    assert perf.p99_execution_time_ms > 2 * perf.p50_execution_time_ms
    assert perf.avg_execution_time_ms > perf.p50_execution_time_ms


def test_demo_records_carry_realistic_context_fields(demo: dict[str, list[dict[str, Any]]]) -> None:
    records = [record for rows in demo.values() for record in rows]
    contexts = {record["context_type"] for record in records}
    assert {"debugging", "code_review", "refactoring", "testing"} <= contexts
    assert len({record["agent"] for record in records}) >= 10
    assert len({record["project"] for record in records}) >= 5
    suffixes = {PurePosixPath(record["file_path"]).suffix for record in records}
    assert {".py", ".ts", ".go", ".rs", ".yaml", ""} <= suffixes
    # Some records lack a time or a score, as real logs do; none lacks a timestamp.
    assert any("execution_time_ms" not in record for record in records)
    assert any("quality_score" not in record for record in records)
    assert all(isinstance(record["timestamp"], datetime) for record in records)


def test_demo_growing_pattern_gains_agents(demo: dict[str, list[dict[str, Any]]]) -> None:
    pattern = BY_NAME["code-review-assistant"]
    result = analyse(demo[pattern.name], NOW, pattern.pattern_id)
    assert result.trend_analysis is not None
    assert result.trend_analysis.adoption_rate > 0
    assert result.trend_analysis.growth_percentage > 100
