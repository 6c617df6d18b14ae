"""The health findings with their limits' text worked out once per thresholds
(`health._Limit`), held to the rules as first written, where every finding writes its
limit itself (`health_oracle`): the same findings, byte for byte, on varied results and
thresholds, several thresholds taking turns (the module keeps the last one's text)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from health_oracle import _apart as oracle_apart
from health_oracle import evaluate_health as oracle_health
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import (
    AnalyticsGranularity,
    HealthFinding,
    HealthThresholds,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    UsageTrendType,
    evaluate_health,
)
from usage_analytics.contracts import (
    DataQuality,
    PerformanceMetrics,
    SuccessMetrics,
    TrendAnalysis,
    UsageFrequencyMetrics,
)
from usage_analytics.health import (
    _digits_as_set,
    _duration_digits_as_set,
    _limits_of,
    _precise,
    _precise_hours,
    _precise_ms,
    _precise_percent,
)
from usage_analytics.report import _duration_ms, _hours, _percent

END = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)

#: Limits set with more digits than their short form writes ("99.95%", "2.25x").
_FINE = [0.9995, 0.99995, 2.25]
#: Numbers at and around the default limits, their doubles and `_FINE`, where the
#: messages write more digits to tell a value from its limit.
_NEAR = [
    near
    for limit in (0.2, 0.7, 0.8, 2.0, 168.0, 336.0, 500.0, 1000.0, 2000.0, *_FINE)
    for near in (limit, math.nextafter(limit, 0), math.nextafter(limit, math.inf))
]


def _numbers(most: float) -> st.SearchStrategy[float]:
    """Floats from 0 to `most`, often at, next to or near a limit (within a few digits)."""
    near = st.tuples(st.sampled_from(_NEAR), st.integers(-3, 3), st.integers(3, 9))
    return st.one_of(
        st.floats(0, most),
        st.sampled_from([n for n in [0.0, -0.0, *_NEAR, most] if n <= most]),
        near.map(lambda n: n[0] * (1 + n[1] * 10.0 ** -n[2])).filter(lambda n: 0 <= n <= most),
    )


def _limits(least: float, most: float) -> st.SearchStrategy[float | None]:
    """A threshold: None (the rule off), -0.0 (written "-0"), or any allowed number,
    often one set with more digits than its short form writes."""
    return st.one_of(
        st.none(),
        st.sampled_from([n for n in [-0.0, *_FINE, 1e300, 5e-324] if least <= n]),
        st.floats(least, most),
    ).filter(lambda n: n is None or n <= most)


@st.composite
def thresholds(draw: st.DrawFn) -> HealthThresholds:
    return HealthThresholds(
        min_success_rate=draw(_limits(0, 1)),
        max_error_rate=draw(_limits(0, 1)),
        max_p95_ms=draw(_limits(0, 1e308)),
        max_p99_ms=draw(_limits(0, 1e308)),
        max_p95_p50_ratio=draw(_limits(1, 1e308)),
        max_hours_since_last_use=draw(_limits(0, 1e308)),
        max_quality_gate_failures=draw(st.none() | st.integers(0, 5)),
        min_avg_quality=draw(_limits(0, 1)),
        flag_declining=draw(st.booleans()),
        flag_abandoned=draw(st.booleans()),
        min_samples_for_critical=draw(st.integers(0, 30)),
    )


def _result(
    *,
    runs: int,
    failures: int,
    success_rate: float,
    error_rate: float,
    gate_failures: int,
    quality: float,
    latencies: tuple[float, float, float] | None,
    timed: int,
    trend: TrendAnalysis | None,
    hours: float | None,
) -> ModelUsageAnalyticsOutput:
    performance = None
    if latencies is not None:
        p50, p95, p99 = latencies
        performance = PerformanceMetrics(
            avg_execution_time_ms=p50,
            p50_execution_time_ms=p50,
            p95_execution_time_ms=p95,
            p99_execution_time_ms=p99,
            min_execution_time_ms=0.0,
            max_execution_time_ms=p99,
            std_dev_ms=0.0,
            total_execution_time_ms=p50 * timed,
            sample_count=timed,
        )
    return ModelUsageAnalyticsOutput(
        pattern_id="p",
        time_window_start=END - timedelta(days=30),
        time_window_end=END,
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.DETAILED,
        usage_metrics=UsageFrequencyMetrics(
            total_executions=runs,
            executions_per_day=runs / 30,
            executions_per_week=runs / 30 * 7,
            executions_per_month=float(runs),
            unique_contexts=1,
            unique_users=1,
            peak_daily_usage=runs,
            time_since_last_use=hours,
        ),
        success_metrics=SuccessMetrics(
            success_count=runs - failures,
            failure_count=failures,
            success_rate=success_rate,
            error_rate=error_rate,
            timeout_count=0,
            quality_gate_failures=gate_failures,
            avg_quality_score=quality,
        ),
        performance_metrics=performance,
        trend_analysis=trend,
        context_distribution=None,
        total_data_points=runs,
        analytics_quality_score=1.0,
        computation_time_ms=0.1,
        correlation_id=UUID(int=1),
        computed_at=END,
        data_quality=DataQuality(
            records_received=runs,
            records_in_window=runs,
            records_outside_window=0,
            invalid_records=0,
            error_samples=[],
        ),
    )


@st.composite
def results(draw: st.DrawFn) -> ModelUsageAnalyticsOutput:
    runs = draw(st.integers(0, 40) | st.just(1_234_567))
    success_rate = draw(_numbers(1.0))
    latency = _numbers(1e308) | st.just(math.inf)
    trend = None
    if draw(st.booleans()):
        trend = TrendAnalysis(
            trend_type=draw(st.sampled_from(UsageTrendType)),
            velocity=draw(st.floats(-1e6, 1e6)),
            acceleration=0.0,
            adoption_rate=0.0,
            retention_rate=1.0,
            churn_rate=0.0,
            growth_percentage=draw(st.floats(-100, 1e6)),
            confidence_score=1.0,
            bucket_count=30,
            bucket_width_seconds=86_400.0,
            velocity_significant=True,
        )
    return _result(
        runs=runs,
        failures=draw(st.integers(0, runs)),
        success_rate=success_rate,
        error_rate=draw(st.just(1 - success_rate) | _numbers(1.0)),
        gate_failures=draw(st.integers(0, runs)),
        quality=draw(_numbers(1.0)),
        latencies=draw(st.none() | st.tuples(latency, latency, latency)),
        timed=draw(st.integers(0, runs)),
        trend=trend,
        hours=draw(st.none() | _numbers(1e308) | st.just(math.inf)) if runs else None,
    )


def judged(
    judge: Callable[[ModelUsageAnalyticsOutput, HealthThresholds | None], list[HealthFinding]],
    output: ModelUsageAnalyticsOutput,
    thresholds: HealthThresholds | None,
) -> list[str] | str:
    """The findings as JSON text (equal floats of other signs, -0.0, told apart), or the
    error raised: a number that cannot be written (`_hours` of one near the largest
    double) must raise as it did, and only where it did."""
    try:
        findings = judge(output, thresholds)
    except (OverflowError, ValueError) as error:
        return repr(error)
    return [finding.model_dump_json() for finding in findings]


@given(
    st.lists(results(), min_size=1, max_size=6),
    st.lists(st.none() | thresholds(), min_size=1, max_size=3),
)
def test_findings_are_those_of_the_rules_as_first_written(
    outputs: list[ModelUsageAnalyticsOutput], limits: list[HealthThresholds | None]
) -> None:
    # Each result judged by each thresholds in turn: the kept text of the last thresholds
    # must not be taken for the next one's.
    for output in outputs:
        for chosen in limits:
            assert judged(evaluate_health, output, chosen) == judged(oracle_health, output, chosen)


def test_thresholds_equal_but_written_differently_keep_their_own_text() -> None:
    # 0.0 and -0.0 are equal (and so are thresholds holding them), but written "0 ms" and
    # "-0 ms": the text kept for one must not serve the other.
    positive = HealthThresholds(max_p95_ms=0.0, max_p99_ms=None, min_samples_for_critical=10)
    negative = HealthThresholds(max_p95_ms=-0.0, max_p99_ms=None, min_samples_for_critical=10)
    assert positive == negative
    slow = _result(
        runs=10,
        failures=0,
        success_rate=1.0,
        error_rate=0.0,
        gate_failures=0,
        quality=0.9,
        latencies=(0.05, 0.05, 0.05),
        timed=10,
        trend=None,
        hours=1.0,
    )
    messages = [
        evaluate_health(slow, chosen)[0].message for chosen in (positive, negative, positive)
    ]
    assert messages == [
        "p95 latency 0.05 ms is above 0.0 ms (more than twice the limit).",
        "p95 latency 0 ms is above -0 ms (more than twice the limit).",
        "p95 latency 0.05 ms is above 0.0 ms (more than twice the limit).",
    ]


#: Each limit's arguments to `_apart` as each finding gave them, by `_Limits` field.
_AS_WRITTEN: dict[str, Callable[[float], tuple[Any, ...]]] = {
    "success_rate": lambda n: (_percent, _precise_percent, _digits_as_set(n, shown=1, scale=2)),
    "error_rate": lambda n: (_percent, _precise_percent, _digits_as_set(n, shown=1, scale=2)),
    "avg_quality": lambda n: ("{:.2f}".format, _precise, _digits_as_set(n, shown=2, offset=1)),
    "p99_ms": lambda n: (_duration_ms, _precise_ms, _duration_digits_as_set(n)),
    "p95_ms": lambda n: (_duration_ms, _precise_ms, _duration_digits_as_set(n)),
    "p95_p50_ratio": lambda n: ("{:.1f}".format, _precise, _digits_as_set(n, shown=1, offset=1)),
    "hours_since_last_use": lambda n: (_hours, _precise_hours),
}


@given(
    st.sampled_from(_NEAR) | st.floats(0, 1e6),
    st.integers(-9, 9),
    st.integers(1, 16),
)
def test_a_limit_written_once_writes_a_value_against_it_as_each_finding_did(
    limit: float, steps: int, digits: int
) -> None:
    # A value a few units of one digit away from the limit: written apart from it with
    # as many digits as that takes, from the digits the limit was set with.
    value = limit * (1 + steps * 10.0**-digits)
    rates = {"success_rate", "error_rate", "avg_quality"}
    limits = _limits_of(
        HealthThresholds(
            **{
                "min_success_rate": limit if limit <= 1 else None,
                "max_error_rate": limit if limit <= 1 else None,
                "min_avg_quality": limit if limit <= 1 else None,
                "max_p99_ms": limit,
                "max_p95_ms": limit,
                "max_p95_p50_ratio": limit if limit >= 1 else None,
                "max_hours_since_last_use": limit,
            }
        )
    )
    for name, as_written in _AS_WRITTEN.items():
        kept = getattr(limits, name)
        if kept is None:
            assert name in rates or name == "p95_p50_ratio"
            continue
        assert kept.apart(value) == oracle_apart(value, limit, *as_written(limit))
