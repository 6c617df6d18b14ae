"""Health findings: every rule at its threshold (healthy at the limit, a finding just past
it), custom thresholds, severities, ordering, and no findings made up from missing data."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError
from usage_analytics import (
    AnalyticsGranularity,
    HealthFinding,
    HealthThresholds,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
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
from usage_analytics.demo import DEMO_PATTERNS, DEMO_WINDOW, generate_demo_records
from usage_analytics.health import SEVERITIES, limit_duration_ms, limit_percent

END = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
START = END - timedelta(days=30)


def make_result(
    *,
    runs: int = 200,
    success_rate: float = 0.95,
    error_rate: float | None = None,
    gate_failures: int = 0,
    quality: float = 0.9,
    p50: float = 100.0,
    p95: float = 150.0,
    p99: float = 180.0,
    timed: int | None = None,
    hours_since_last_use: float | None = 2.0,
    trend_type: UsageTrendType = UsageTrendType.STABLE,
    velocity: float = 0.1,
    with_performance: bool = True,
    with_trend: bool = True,
) -> ModelUsageAnalyticsOutput:
    """A healthy result by default; each keyword moves one number."""
    failures = round(runs * (1 - success_rate))
    performance = None
    if with_performance:
        performance = PerformanceMetrics(
            avg_execution_time_ms=p50,
            p50_execution_time_ms=p50,
            p95_execution_time_ms=p95,
            p99_execution_time_ms=p99,
            min_execution_time_ms=min(p50, 10.0),
            max_execution_time_ms=max(p99, 200.0),
            std_dev_ms=10.0,
            total_execution_time_ms=p50 * runs,
            sample_count=runs if timed is None else timed,
        )
    trend = None
    if with_trend:
        trend = TrendAnalysis(
            trend_type=trend_type,
            velocity=velocity,
            acceleration=0.0,
            adoption_rate=0.0,
            retention_rate=1.0,
            churn_rate=0.0,
            growth_percentage=-40.0 if trend_type is UsageTrendType.DECLINING else 0.0,
            confidence_score=1.0,
            bucket_count=30,
            bucket_width_seconds=86_400.0,
            velocity_significant=True,
        )
    return ModelUsageAnalyticsOutput(
        pattern_id="checkout",
        time_window_start=START,
        time_window_end=END,
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.DETAILED,
        usage_metrics=UsageFrequencyMetrics(
            total_executions=runs,
            executions_per_day=runs / 30,
            executions_per_week=runs / 30 * 7,
            executions_per_month=float(runs),
            unique_contexts=2,
            unique_users=3,
            peak_daily_usage=max(1, runs // 10),
            time_since_last_use=hours_since_last_use if runs else None,
        ),
        success_metrics=SuccessMetrics(
            success_count=runs - failures,
            failure_count=failures,
            success_rate=success_rate,
            error_rate=1 - success_rate if error_rate is None else error_rate,
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


def codes(findings: list[HealthFinding]) -> list[str]:
    return [finding.code for finding in findings]


def find(findings: list[HealthFinding], code: str) -> HealthFinding:
    (finding,) = [f for f in findings if f.code == code]
    return finding


# ------------------------------------------------------------------------ thresholds

#: (code, default limit, True if a value above the limit is bad, result with that value)
RULES: list[tuple[str, float, bool, Callable[[float], ModelUsageAnalyticsOutput]]] = [
    (
        "low_success_rate",
        0.80,
        False,
        lambda v: make_result(success_rate=v, error_rate=0.0),
    ),
    (
        "high_error_rate",
        0.20,
        True,
        lambda v: make_result(success_rate=1.0, error_rate=v),
    ),
    ("high_p95_latency", 500.0, True, lambda v: make_result(p50=400.0, p95=v, p99=999.0)),
    ("high_p99_latency", 1000.0, True, lambda v: make_result(p99=v)),
    ("wide_latency_spread", 2.0, True, lambda v: make_result(p50=200.0, p95=200.0 * v)),
    ("not_used_recently", 168.0, True, lambda v: make_result(hours_since_last_use=v)),
    ("low_quality_score", 0.70, False, lambda v: make_result(quality=v)),
]


def test_a_spread_whose_ratio_equals_the_limit_is_healthy() -> None:
    # 3.0 * 83.8 rounds below 251.4, so `p95 > limit * p50` fired a finding whose value,
    # p95 / p50, is exactly its limit: "3.0000000000000000x ... above 3.0000000000000000x".
    result = make_result(p50=83.8, p95=251.4)
    assert 251.4 / 83.8 == 3.0
    limits = HealthThresholds(max_p95_p50_ratio=3.0)
    assert "wide_latency_spread" not in codes(evaluate_health(result, limits))


@pytest.mark.parametrize(
    ("code", "limit", "above_is_bad", "build"), RULES, ids=[r[0] for r in RULES]
)
def test_rule_is_healthy_at_its_limit_and_fires_just_past_it(
    code: str,
    limit: float,
    above_is_bad: bool,
    build: Callable[[float], ModelUsageAnalyticsOutput],
) -> None:
    bad = math.inf if above_is_bad else -math.inf
    good = -bad
    assert code not in codes(evaluate_health(build(limit)))
    assert code not in codes(evaluate_health(build(math.nextafter(limit, good))))
    findings = evaluate_health(build(math.nextafter(limit, bad)))
    assert code in codes(findings)
    finding = find(findings, code)
    assert finding.threshold == pytest.approx(limit)
    assert finding.value == pytest.approx(limit)


def test_quality_gate_failures_fire_on_the_first_failure_by_default() -> None:
    assert "quality_gate_failures" not in codes(make_result(gate_failures=0).health())
    finding = find(make_result(gate_failures=1).health(), "quality_gate_failures")
    assert (finding.severity, finding.value, finding.threshold) == ("warning", 1.0, 0.0)
    assert "1 run failed its quality gates" in finding.message


def test_quality_gate_failures_custom_limit_boundary() -> None:
    thresholds = HealthThresholds(max_quality_gate_failures=5)
    assert "quality_gate_failures" not in codes(make_result(gate_failures=5).health(thresholds))
    assert "quality_gate_failures" in codes(make_result(gate_failures=6).health(thresholds))


def test_custom_thresholds_move_every_boundary() -> None:
    slow = make_result(success_rate=0.85, p50=800.0, p95=1500.0, p99=1900.0, quality=0.75)
    assert set(codes(slow.health())) == {"high_p95_latency", "high_p99_latency"}
    strict = HealthThresholds(min_success_rate=0.9, max_error_rate=0.1, min_avg_quality=0.8)
    assert set(codes(slow.health(strict))) == {
        "low_success_rate",
        "high_error_rate",
        "high_p95_latency",
        "high_p99_latency",
        "low_quality_score",
    }
    lenient = HealthThresholds(max_p95_ms=2000, max_p99_ms=2000)
    assert slow.health(lenient) == []


def test_a_threshold_of_none_switches_its_rule_off() -> None:
    bad = make_result(success_rate=0.5, p99=5000.0, gate_failures=3)
    off = HealthThresholds(min_success_rate=None, max_p99_ms=None, max_quality_gate_failures=None)
    assert set(codes(bad.health(off))) == {"high_error_rate"}


def test_trend_flags_declining_and_abandoned_unless_switched_off() -> None:
    declining = make_result(trend_type=UsageTrendType.DECLINING, velocity=-1.25)
    finding = find(declining.health(), "declining_trend")
    assert (finding.severity, finding.value, finding.threshold) == ("warning", -1.25, None)
    assert "-1.25" in finding.message
    assert declining.health(HealthThresholds(flag_declining=False)) == []

    abandoned = make_result(trend_type=UsageTrendType.ABANDONED, hours_since_last_use=50.0)
    assert codes(abandoned.health()) == ["abandoned_trend"]
    assert abandoned.health(HealthThresholds(flag_abandoned=False)) == []


@pytest.mark.parametrize(
    "trend_type", [UsageTrendType.GROWING, UsageTrendType.STABLE, UsageTrendType.EMERGING]
)
def test_other_trends_give_no_trend_finding(trend_type: UsageTrendType) -> None:
    assert make_result(trend_type=trend_type).health() == []


def test_thresholds_are_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        HealthThresholds(min_success_rate=1.5)
    with pytest.raises(ValidationError):
        HealthThresholds(max_p95_ms=-1)
    with pytest.raises(ValidationError):
        HealthThresholds(max_p99_ms=math.nan)
    with pytest.raises(ValidationError):
        HealthThresholds(unknown_rule=1)  # type: ignore[call-arg]
    thresholds = HealthThresholds()
    with pytest.raises(ValidationError):
        thresholds.max_p95_ms = 1.0  # type: ignore[misc]


# ------------------------------------------------------------------------ severities


def test_low_success_is_critical_with_enough_runs_and_a_warning_with_few() -> None:
    many = find(make_result(runs=20, success_rate=0.5).health(), "low_success_rate")
    assert many.severity == "critical"
    few = find(make_result(runs=19, success_rate=0.5).health(), "low_success_rate")
    assert few.severity == "warning"
    assert "only 19 runs" in few.message


def test_latency_severity_p99_critical_p95_warning_until_twice_its_limit() -> None:
    findings = make_result(p50=400.0, p95=1000.0, p99=1200.0).health()
    assert find(findings, "high_p99_latency").severity == "critical"
    assert find(findings, "high_p95_latency").severity == "warning"  # exactly twice: warning
    far = find(make_result(p50=600.0, p95=1000.5, p99=1200.0).health(), "high_p95_latency")
    assert far.severity == "critical"
    assert "more than twice the limit" in far.message


def test_latency_on_few_timed_runs_is_never_critical() -> None:
    findings = make_result(p50=600.0, p95=5000.0, p99=9000.0, timed=3).health()
    assert {f.severity for f in findings} == {"warning"}
    assert "only 3 timed runs" in find(findings, "high_p99_latency").message


def test_min_samples_for_critical_is_configurable() -> None:
    result = make_result(runs=5, success_rate=0.4)
    assert find(result.health(), "low_success_rate").severity == "warning"
    eager = HealthThresholds(min_samples_for_critical=5)
    assert find(result.health(eager), "low_success_rate").severity == "critical"


def test_findings_are_ordered_worst_first() -> None:
    result = make_result(
        success_rate=0.7,
        gate_failures=4,
        quality=0.5,
        p50=300.0,
        p95=900.0,
        p99=1500.0,
        hours_since_last_use=200.0,
        trend_type=UsageTrendType.DECLINING,
        velocity=-2.0,
    )
    findings = result.health()
    ranks = [SEVERITIES.index(f.severity) for f in findings]
    assert ranks == sorted(ranks)
    assert codes(findings) == [
        "low_success_rate",
        "high_error_rate",
        "high_p99_latency",
        "high_p95_latency",
        "wide_latency_spread",
        "quality_gate_failures",
        "low_quality_score",
        "not_used_recently",
        "declining_trend",
    ]
    assert [f.severity for f in findings[:3]] == ["critical"] * 3
    assert findings[3].severity == "warning"  # p95 900 ms: under twice its limit


def test_messages_name_the_value_and_the_limit() -> None:
    findings = make_result(runs=400, success_rate=0.75, p99=1430.0).health()
    assert find(findings, "low_success_rate").message == (
        "Success rate 75.0% is below 80.0%: 100 of 400 runs failed."
    )
    assert find(findings, "high_p99_latency").message == "p99 latency 1.43 s is above 1.00 s."
    stale = find(make_result(hours_since_last_use=240.0).health(), "not_used_recently")
    assert stale.message == "Last used 10.0 days before the window end, more than 7.0 days (168 h)."


def test_messages_tell_a_value_from_its_limit_where_rounding_would_not() -> None:
    # "1.00 s is above 1.00 s" before.
    findings = make_result(p95=900.0, p99=1000.4, quality=0.69996).health()
    assert find(findings, "high_p99_latency").message == (
        "p99 latency 1,000.4 ms is above 1,000.0 ms."
    )
    assert find(findings, "low_quality_score").message == (
        "Average quality score 0.69996 is below 0.70000."
    )
    rate = find(make_result(runs=100_000, success_rate=0.79996).health(), "low_success_rate")
    assert rate.message.startswith("Success rate 79.996% is below 80.000%: 20,004 of 100,000")
    # The spread and recency rules said "2.0x ... above 2x" and "7.0 days ... more than
    # 7.0 days".
    spread = find(make_result(p50=100.0, p95=204.1).health(), "wide_latency_spread")
    assert spread.message == (
        "p95 latency 204 ms is 2.04x the median (100 ms), above 2.00x: a long tail of slow runs."
    )
    stale = find(make_result(hours_since_last_use=168.05).health(), "not_used_recently")
    assert stale.message == "Last used 168.1 h before the window end, more than 168.0 h (168 h)."


def test_messages_write_a_limit_as_it_was_set() -> None:
    # A limit with more digits than the short form writes was rounded as a measured value
    # would be: a 99.95% floor read ">99.9%", 99.995% "100.00%", a 0.01% error budget
    # "<0.1%", a 2.25x spread "2.2x" and a 0.695 quality floor "0.69".
    def message(result: ModelUsageAnalyticsOutput, code: str, **limits: Any) -> str:
        return find(result.health(HealthThresholds(**limits)), code).message

    three_nines = make_result(runs=1000, success_rate=0.999)
    assert message(three_nines, "low_success_rate", min_success_rate=0.9995).startswith(
        "Success rate 99.90% is below 99.95%: "
    )
    assert message(three_nines, "high_error_rate", max_error_rate=0.0001).startswith(
        "Error rate 0.10% is above 0.01%: "
    )
    close = make_result(runs=100_000, success_rate=0.99994)
    assert message(close, "low_success_rate", min_success_rate=0.99995).startswith(
        "Success rate 99.994% is below 99.995%: "
    )
    spread = make_result(p50=100.0, p95=300.0)
    assert message(spread, "wide_latency_spread", max_p95_p50_ratio=2.25) == (
        "p95 latency 300 ms is 3.00x the median (100 ms), above 2.25x: a long tail of slow runs."
    )
    assert message(make_result(quality=0.6), "low_quality_score", min_avg_quality=0.695) == (
        "Average quality score 0.600 is below 0.695."
    )
    slow = make_result(p50=50_000.0, p95=105_000.0, p99=110_000.0)
    assert message(slow, "high_p99_latency", max_p99_ms=100_000) == (
        "p99 latency 110,000 ms is above 100,000 ms."  # not "1.8 min is above 1.7 min"
    )
    assert message(make_result(p99=1000.5), "high_p99_latency", max_p99_ms=999.96) == (
        "p99 latency 1,000.50 ms is above 999.96 ms."  # not "... above 1,000.0 ms"
    )
    # Limits the short form writes as set keep it.
    assert message(three_nines, "low_success_rate", min_success_rate=0.9999).startswith(
        "Success rate 99.90% is below 99.99%: "
    )
    assert message(make_result(quality=0.6), "low_quality_score", min_avg_quality=0.7) == (
        "Average quality score 0.60 is below 0.70."
    )


def test_the_html_thresholds_table_writes_limits_as_set() -> None:
    from usage_analytics.html_report import render_html

    thresholds = HealthThresholds(
        min_success_rate=0.9995, max_error_rate=0.0001, min_avg_quality=0.695, max_p99_ms=100_000
    )
    markup = render_html(make_result(), thresholds=thresholds)
    for cell in ("99.95%", "0.01%", "0.695", "100,000 ms"):
        assert f'<td class="num">{cell}</td>' in markup
    assert "&gt;99.9%" not in markup.split("Thresholds used")[1]


def test_a_spread_past_the_largest_double_is_written_and_read_back() -> None:
    # p95 / p50 overflowed to inf: "infx the median", and JSON wrote the value as null,
    # which did not read back.
    spread = find(make_result(p50=1e-300, p95=1e308, p99=1e308).health(), "wide_latency_spread")
    assert spread.value == math.inf
    assert " is >1.8e+308x the median " in spread.message
    assert HealthFinding.model_validate_json(spread.model_dump_json()) == spread


# ----------------------------------------------------------------- nothing to judge


def test_healthy_result_has_no_findings() -> None:
    assert make_result().health() == []
    assert evaluate_health(make_result(), HealthThresholds()) == []


def test_empty_input_gives_only_the_no_executions_note() -> None:
    contract = ModelUsageAnalyticsInput(
        pattern_id="nothing",
        time_window_start=START,
        time_window_end=END,
        granularity=AnalyticsGranularity.COMPREHENSIVE,
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    findings = result.health()
    assert [(f.severity, f.code) for f in findings] == [("info", "no_executions")]
    # Even with every threshold at its strictest, nothing else is made up from zeros.
    strict = HealthThresholds(
        min_success_rate=1.0, max_p95_ms=0, max_p99_ms=0, max_hours_since_last_use=0
    )
    assert codes(result.health(strict)) == ["no_executions"]


def test_records_only_outside_the_window_count_as_no_executions() -> None:
    records = [{"timestamp": START - timedelta(days=1), "success": False}] * 3
    contract = ModelUsageAnalyticsInput(
        pattern_id="old", time_window_start=START, time_window_end=END, execution_data=records
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    assert codes(result.health()) == ["no_executions"]


def test_families_not_computed_skip_their_rules() -> None:
    result = make_result(
        p99=9000.0,
        trend_type=UsageTrendType.DECLINING,
        with_performance=False,
        with_trend=False,
    )
    assert result.health() == []


def test_no_execution_times_skip_the_latency_rules() -> None:
    result = make_result(p50=0.0, p95=0.0, p99=0.0, timed=0)
    assert result.health(HealthThresholds(max_p95_ms=0, max_p99_ms=0)) == []
    # The rule keys on the count, not on the percentiles being zero.
    stale = make_result(p50=300.0, p95=900.0, p99=5000.0, timed=0)
    assert stale.health() == []


def test_spread_rule_skipped_when_p50_is_zero() -> None:
    result = make_result(p50=0.0, p95=300.0, p99=400.0)
    assert "wide_latency_spread" not in codes(result.health())


def test_quality_score_zero_means_no_scores_and_is_not_judged() -> None:
    assert "low_quality_score" not in codes(make_result(quality=0.0).health())
    assert "low_quality_score" in codes(make_result(quality=0.01).health())


# -------------------------------------------------------------------- real results


@pytest.fixture(scope="module")
def demo_health() -> dict[str, list[HealthFinding]]:
    records = generate_demo_records(END, seed=7)
    reducer = NodeUsageAnalyticsReducer()
    out = {}
    for pattern in DEMO_PATTERNS:
        contract = ModelUsageAnalyticsInput(
            pattern_id=pattern.pattern_id,
            time_window_start=END - DEMO_WINDOW,
            time_window_end=END,
            time_window_type=TimeWindowType.MONTHLY,
            execution_data=records[pattern.name],
        )
        out[pattern.name] = reducer.execute_reduction_sync(contract).health()
    return out


def test_demo_patterns_get_the_findings_their_stories_tell(
    demo_health: dict[str, list[HealthFinding]],
) -> None:
    triage = demo_health["ci-failure-triage"]
    assert triage[0].severity == "critical"
    assert {"low_success_rate", "high_error_rate", "low_quality_score"} <= set(codes(triage))
    assert "declining_trend" in codes(demo_health["legacy-lint-fixer"])
    assert {"abandoned_trend", "not_used_recently"} <= set(
        codes(demo_health["xml-config-converter"])
    )
    # A handful of runs: nothing is critical.
    assert all(f.severity != "critical" for f in demo_health["schema-migration-helper"])
    # The busy, healthy patterns are only flagged for latency and quality gates.
    for name in ("unit-test-generator", "code-review-assistant"):
        assert set(codes(demo_health[name])) <= {
            "high_p95_latency",
            "high_p99_latency",
            "wide_latency_spread",
            "quality_gate_failures",
        }


def test_findings_serialize_to_json(demo_health: dict[str, list[HealthFinding]]) -> None:
    for findings in demo_health.values():
        for finding in findings:
            dumped: dict[str, Any] = finding.model_dump(mode="json")
            assert set(dumped) == {"severity", "code", "message", "value", "threshold"}
            assert HealthFinding.model_validate_json(finding.model_dump_json()) == finding


def test_a_threshold_too_long_to_write_as_set_is_written_short() -> None:
    # Written as set, 1e300 ms took 400 characters of digits, a 5e-324 rate hundreds of
    # zeros (helper-106's review): past 15 digits the short form stands.
    assert limit_duration_ms(1e300) == "2.78e+293 h"
    assert len(limit_percent(5e-324)) < 10
    assert limit_percent(0.99995) == "99.995%"


# ------------------------------------------------------- gaps found by a mutation audit


#: (code, result one step past the default limit, its message): value and limit written
#: apart however close they are.
ONE_STEP_PAST: list[tuple[str, ModelUsageAnalyticsOutput, str]] = [
    (
        "low_success_rate",
        make_result(success_rate=math.nextafter(0.8, 0), error_rate=0.0),
        "Success rate 79.99999999999999% is below 80.00000000000000%: 40 of 200 runs failed.",
    ),
    (
        "high_error_rate",
        make_result(success_rate=1.0, error_rate=math.nextafter(0.2, 1)),
        "Error rate 20.000000000000004% is above 20.000000000000000%: 0 of 200 runs failed.",
    ),
    (
        "high_p95_latency",
        make_result(p50=400.0, p95=math.nextafter(500.0, math.inf), p99=999.0),
        "p95 latency 500.0000000000001 ms is above 500.0000000000000 ms.",
    ),
    (
        "high_p99_latency",
        make_result(p99=math.nextafter(1000.0, math.inf)),
        "p99 latency 1,000.0000000000001 ms is above 1,000.0000000000000 ms.",
    ),
    (
        "wide_latency_spread",
        make_result(p50=200.0, p95=200.0 * math.nextafter(2.0, 3.0)),
        "p95 latency 400 ms is 2.0000000000000004x the median (200 ms), above "
        "2.0000000000000000x: a long tail of slow runs.",
    ),
    (
        "not_used_recently",
        make_result(hours_since_last_use=math.nextafter(168.0, math.inf)),
        "Last used 168.00000000000003 h before the window end, more than 168.00000000000000 h "
        "(168 h).",
    ),
    (
        "low_quality_score",
        make_result(quality=math.nextafter(0.7, 0)),
        "Average quality score 0.6999999999999998 is below 0.7000000000000000.",
    ),
]


@pytest.mark.parametrize(
    ("code", "result", "message"), ONE_STEP_PAST, ids=[case[0] for case in ONE_STEP_PAST]
)
def test_a_value_one_float_past_its_limit_is_written_apart_from_it(
    code: str, result: ModelUsageAnalyticsOutput, message: str
) -> None:
    # The float just below 0.8 was scaled to a percentage by `* 100`, which rounded it to
    # 80.0: "Success rate 80.000000000000000% is below 80.000000000000000%".
    assert find(result.health(), code).message == message


def test_severity_orders_findings_before_the_rule_table() -> None:
    # Few runs (a warning) but many timed runs (critical): the critical p99 comes first,
    # though the success rules come first in the table.
    findings = make_result(runs=10, success_rate=0.5, timed=100, p99=1500.0).health()
    assert [(f.severity, f.code) for f in findings] == [
        ("critical", "high_p99_latency"),
        ("warning", "low_success_rate"),
        ("warning", "high_error_rate"),
    ]


def test_findings_of_one_severity_follow_the_rule_table() -> None:
    latency = make_result(p50=400.0, p95=1500.0, p99=1500.0).health()
    assert [(f.severity, f.code) for f in latency] == [
        ("critical", "high_p99_latency"),
        ("critical", "high_p95_latency"),
        ("warning", "wide_latency_spread"),
    ]
    abandoned = make_result(
        trend_type=UsageTrendType.ABANDONED, hours_since_last_use=500.0, velocity=-2.5
    )
    assert codes(abandoned.health()) == ["abandoned_trend", "not_used_recently"]


def test_exactly_min_samples_runs_are_enough_for_critical_and_say_nothing_of_few() -> None:
    findings = make_result(runs=20, success_rate=0.5).health()
    assert [(f.severity, f.message) for f in findings] == [
        ("critical", "Success rate 50.0% is below 80.0%: 10 of 20 runs failed."),
        ("critical", "Error rate 50.0% is above 20.0%: 10 of 20 runs failed."),
    ]


def test_exactly_min_samples_timed_runs_make_latency_critical() -> None:
    slow: dict[str, Any] = {"p50": 1000.0, "p95": 1200.0, "p99": 1500.0}
    enough = make_result(runs=100, timed=20, **slow).health()
    assert [(f.severity, f.message) for f in enough] == [
        ("critical", "p99 latency 1.50 s is above 1.00 s."),
        ("critical", "p95 latency 1.20 s is above 500 ms (more than twice the limit)."),
    ]
    few = make_result(runs=100, timed=19, **slow).health()
    assert [(f.severity, f.message) for f in few] == [
        ("warning", "p99 latency 1.50 s is above 1.00 s (only 19 timed runs, so not critical)."),
        (
            "warning",
            "p95 latency 1.20 s is above 500 ms "
            "(more than twice the limit; only 19 timed runs, so not critical).",
        ),
    ]


def test_one_timed_run_is_judged_for_latency() -> None:
    findings = make_result(runs=100, timed=1, p50=1500.0, p95=1500.0, p99=1500.0).health()
    assert find(findings, "high_p99_latency").message == (
        "p99 latency 1.50 s is above 1.00 s (only 1 timed run, so not critical)."
    )


def test_p95_under_twice_its_limit_is_a_warning_without_notes_even_on_few_runs() -> None:
    findings = make_result(runs=5, timed=3, p50=500.0, p95=900.0, p99=950.0).health()
    assert [(f.severity, f.code, f.message) for f in findings] == [
        ("warning", "high_p95_latency", "p95 latency 900 ms is above 500 ms.")
    ]


def test_few_runs_message_names_the_count_on_both_rate_rules() -> None:
    findings = make_result(runs=5, success_rate=0.6, with_performance=False).health()
    assert [f.message for f in findings] == [
        "Success rate 60.0% is below 80.0%: 2 of 5 runs failed (only 5 runs, so not critical).",
        "Error rate 40.0% is above 20.0%: 2 of 5 runs failed (only 5 runs, so not critical).",
    ]


def test_rates_short_of_all_or_none_keep_their_marks_against_a_limit() -> None:
    # A measured 0.01% is "<0.1%", 99.99% ">99.9%", as in the rest of the report: not
    # "0.0% is below 0.1%" nor "100.0% is above 99.9%".
    result = make_result(runs=10_000, success_rate=0.0001, error_rate=0.9999)
    limits = HealthThresholds(min_success_rate=0.001, max_error_rate=0.999)
    assert [f.message for f in result.health(limits)] == [
        "Success rate <0.1% is below 0.1%: 9,999 of 10,000 runs failed.",
        "Error rate >99.9% is above 99.9%: 9,999 of 10,000 runs failed.",
    ]


def test_a_rate_as_close_to_a_limit_set_with_more_digits_gets_one_more_digit() -> None:
    result = make_result(runs=100_000, success_rate=0.99946)
    finding = find(result.health(HealthThresholds(min_success_rate=0.9995)), "low_success_rate")
    assert finding.message == "Success rate 99.946% is below 99.950%: 54 of 100,000 runs failed."


def test_a_latency_the_short_form_rounds_onto_its_limit_gets_one_decimal() -> None:
    finding = find(make_result(p99=1004.0).health(), "high_p99_latency")
    assert finding.message == "p99 latency 1,004.0 ms is above 1,000.0 ms."


def test_quality_gate_message_counts_in_the_plural_with_the_share() -> None:
    finding = find(make_result(runs=8, gate_failures=2).health(), "quality_gate_failures")
    assert finding.message == "2 runs failed their quality gates (25.0% of 8); at most 0 allowed."
    assert (finding.value, finding.threshold) == (2.0, 0.0)


def test_spread_message_names_the_ratio_and_the_limit() -> None:
    finding = find(make_result(p50=100.0, p95=300.0).health(), "wide_latency_spread")
    assert finding.message == (
        "p95 latency 300 ms is 3.0x the median (100 ms), above 2.0x: a long tail of slow runs."
    )


def test_trend_messages() -> None:
    abandoned = make_result(
        trend_type=UsageTrendType.ABANDONED, hours_since_last_use=50.0, velocity=-2.5
    )
    finding = find(abandoned.health(), "abandoned_trend")
    assert (
        finding.message
        == "Usage looks abandoned: 200 runs, last used 2.1 days before the window end."
    )
    assert (finding.value, finding.threshold) == (-2.5, None)
    declining = make_result(trend_type=UsageTrendType.DECLINING, velocity=-1.25)
    assert find(declining.health(), "declining_trend").message == (
        "Usage is declining: -1.25 runs/day per day, -40.0% in the last quarter of the window "
        "against the first."
    )


def test_no_executions_finding_in_full() -> None:
    (finding,) = make_result(runs=0).health()
    assert finding == HealthFinding(
        severity="info",
        code="no_executions",
        message="No executions in the window: nothing to judge.",
        value=0.0,
        threshold=None,
    )


SWITCHED_OFF: list[tuple[str, str, ModelUsageAnalyticsOutput]] = [
    ("min_success_rate", "low_success_rate", make_result(success_rate=0.5, error_rate=0.0)),
    ("max_error_rate", "high_error_rate", make_result(success_rate=1.0, error_rate=0.5)),
    ("max_p95_ms", "high_p95_latency", make_result(p50=500.0, p95=900.0, p99=950.0)),
    ("max_p99_ms", "high_p99_latency", make_result(p99=5000.0)),
    ("max_p95_p50_ratio", "wide_latency_spread", make_result(p50=100.0, p95=400.0)),
    ("max_hours_since_last_use", "not_used_recently", make_result(hours_since_last_use=500.0)),
    ("max_quality_gate_failures", "quality_gate_failures", make_result(gate_failures=3)),
    ("min_avg_quality", "low_quality_score", make_result(quality=0.3)),
]


@pytest.mark.parametrize(
    ("threshold", "code", "result"), SWITCHED_OFF, ids=[case[0] for case in SWITCHED_OFF]
)
def test_each_threshold_of_none_switches_its_rule_and_only_it_off(
    threshold: str, code: str, result: ModelUsageAnalyticsOutput
) -> None:
    assert codes(result.health()) == [code]
    assert result.health(HealthThresholds(**{threshold: None})) == []


#: (threshold, values accepted at its bounds, values rejected just past them)
BOUNDS: list[tuple[str, list[Any], list[Any]]] = [
    ("min_success_rate", [0.0, 1.0], [-0.01, 1.01]),
    ("max_error_rate", [0.0, 1.0], [-0.01, 1.01]),
    ("max_p95_ms", [0.0, 1e300], [-0.01, math.inf]),
    ("max_p99_ms", [0.0, 1e300], [-0.01, math.inf]),
    ("max_p95_p50_ratio", [1.0, 1e300], [0.99, math.inf]),
    ("max_hours_since_last_use", [0.0, 1e300], [-0.01, math.inf]),
    ("max_quality_gate_failures", [0, 10**9], [-1]),
    ("min_avg_quality", [0.0, 1.0], [-0.01, 1.01]),
    ("min_samples_for_critical", [0, 10**9], [-1]),
]


@pytest.mark.parametrize(("threshold", "good", "bad"), BOUNDS, ids=[case[0] for case in BOUNDS])
def test_each_threshold_accepts_its_bounds_and_rejects_past_them(
    threshold: str, good: list[Any], bad: list[Any]
) -> None:
    for value in good:
        assert getattr(HealthThresholds(**{threshold: value}), threshold) == value
    for value in bad:
        with pytest.raises(ValidationError):
            HealthThresholds(**{threshold: value})


def test_findings_are_frozen() -> None:
    (finding,) = make_result(gate_failures=1).health()
    with pytest.raises(ValidationError):
        finding.severity = "info"  # type: ignore[misc]


def test_a_finding_with_a_field_it_does_not_have_is_refused() -> None:
    # (A finding document read back with a misspelt or foreign key is not taken as one.)
    document = make_result(gate_failures=1).health()[0].model_dump()
    with pytest.raises(ValidationError, match="extra_forbidden"):
        HealthFinding.model_validate({**document, "rule": "quality_gate_failures"})


def test_a_finding_with_an_infinite_threshold_is_written_and_read_back() -> None:
    # The rules' thresholds are finite; a finding a caller makes may not be, and its JSON
    # writes "Infinity" (not null, which did not read back), as it does for the value.
    finding = HealthFinding(
        severity="info", code="own_rule", message="m", value=1.0, threshold=math.inf
    )
    assert '"threshold":"Infinity"' in finding.model_dump_json()
    assert HealthFinding.model_validate_json(finding.model_dump_json()) == finding


def test_the_thresholds_schema_says_what_min_samples_for_critical_counts() -> None:
    # (The one limit whose name does not say it: a form or API built from the schema
    # shows this text.)
    schema = HealthThresholds.model_json_schema()["properties"]["min_samples_for_critical"]
    assert schema["description"].startswith("Executions (timed executions for latency)")


def test_limits_are_written_in_the_unit_that_writes_them_as_set() -> None:
    assert [limit_percent(0.8), limit_percent(0.85)] == ["80.0%", "85.0%"]
    assert limit_duration_ms(500) == "500 ms"
    assert limit_duration_ms(120_000) == "2.0 min"
    assert limit_duration_ms(7_200_000) == "2.0 h"
    assert limit_duration_ms(3_600_000_000) == "1,000.0 h"  # (read back past its comma)


def test_a_limit_of_hours_near_the_largest_float_is_written() -> None:
    # (Its minutes, `hours * 60`, are infinite: rounding them raised OverflowError.)
    result = make_result(hours_since_last_use=1.7e308)
    (finding,) = result.health(HealthThresholds(max_hours_since_last_use=3e306))
    assert finding.code == "not_used_recently"
    assert finding.threshold == 3e306
    assert "days" in finding.message


def test_a_limit_is_written_as_set_up_to_fifteen_digits() -> None:
    assert limit_duration_ms(1234567.12345678) == "1,234,567.12345678 ms"  # 15 digits
    assert limit_duration_ms(1234567.123456789) == "20.6 min"  # 16: the short form
    assert limit_percent(1.2e-15) == "0.00000000000012%"  # (1 + 14 decimals)
    assert limit_percent(1.2e-16) == "0.0%"


def test_a_message_against_an_absurdly_small_limit_stays_short() -> None:
    # Value and limit are written with more digits until they differ, but not past 15:
    # 1e-301 against 1e-300 would take 300 digits.
    result = make_result(quality=1e-301)
    limits = HealthThresholds(min_avg_quality=1e-300)
    assert len(find(result.health(limits), "low_quality_score").message) < 80


@pytest.mark.parametrize("first", ["0.0", "-0.0"])
def test_a_thresholds_writing_does_not_hang_on_the_one_written_before(first: str) -> None:
    # Cached by the number, 0.0 and -0.0 (equal, hashing alike) took each other's
    # writing: "0 ms" for 0.0 after -0.0 (`HealthThresholds` takes -0.0: ge=0).
    written = {"0.0": ("0.0 ms", "0.0%"), "-0.0": ("-0 ms", "-0.0%")}
    other = "-0.0" if first == "0.0" else "0.0"
    for text in (first, other, first, other):
        limit = float(text)
        assert (limit_duration_ms(limit), limit_percent(limit)) == written[text]


def _batch_of_one() -> ModelUsageAnalyticsBatchOutput:
    records = [{"timestamp": END - timedelta(hours=1), "success": True, "pattern_id": "a"}]
    return NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=END, execution_data=records
        )
    )


def test_judging_a_batch_output_is_a_type_error_saying_to_judge_its_results() -> None:
    # (It was an AttributeError on usage_metrics, from evaluate_health and the HTML report.)
    from usage_analytics.html_report import render_html

    batch = _batch_of_one()
    expected = (
        "the health rules judge one pattern's ModelUsageAnalyticsOutput, got a "
        "ModelUsageAnalyticsBatchOutput: judge each of its results (batch.results.values())"
    )
    judges: list[Callable[[Any], Any]] = [evaluate_health, render_html]
    for judge in judges:
        with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
            judge(batch)
    assert evaluate_health(batch.results["a"]) == batch.results["a"].health()


def test_thresholds_of_another_type_are_a_type_error_saying_how_to_make_them() -> None:
    # (A dict of limits was an AttributeError on the first limit read.)
    result = _batch_of_one().results["a"]
    expected = (
        "thresholds must be a HealthThresholds, got dict: HealthThresholds(**limits) "
        "makes them of a dict of limits"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
        evaluate_health(result, {"min_success_rate": 0.5})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape(expected)):
        result.health({"min_success_rate": 0.5})  # type: ignore[arg-type]
