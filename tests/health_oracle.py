"""The health rules as they were written before their limits' text was worked out once per
thresholds (`usage_analytics.health._Limit`): each finding writes its limit itself. The
oracle `test_health_shared` holds the module to, copied from commit e1dafad.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from usage_analytics.contracts import ModelUsageAnalyticsOutput, UsageTrendType
from usage_analytics.health import (
    _CODE_ORDER,
    SEVERITIES,
    HealthFinding,
    HealthThresholds,
    Severity,
    _digits_as_set,
    _duration_digits_as_set,
    _precise,
    _precise_hours,
    _precise_ms,
    _precise_percent,
)
from usage_analytics.report import (
    _PAST_LARGEST,
    _count,
    _duration_ms,
    _hours,
    _percent,
    _signed,
    plural,
)


def _critical_if(enough: bool) -> Severity:
    return "critical" if enough else "warning"


def _notes(*notes: str) -> str:
    """ " (a; b)" of the non-empty notes, "" without any."""
    shown = [note for note in notes if note]
    return f" ({'; '.join(shown)})" if shown else ""


def _few(count: int, word: str, thresholds: HealthThresholds) -> str:
    """ "only 7 runs, so not critical" when too few for 'critical', else ""."""
    if count >= thresholds.min_samples_for_critical:
        return ""
    return f"only {plural(count, word)}, so not critical"


def _apart(
    value: float,
    limit: float,
    show: Callable[[float], str],
    precise: Callable[[float, int], str],
    as_set: int | None = None,
) -> tuple[str, str]:
    """`value` and `limit` as `show` writes them, or with more digits where it writes
    both alike (a p99 of 1000.4 ms against 1000 ms is not "1.00 s is above 1.00 s").
    `as_set` (see `_digits_as_set`): the digits `precise` needs to write the limit as it
    was set, where `show` would round it; then both are written so from the start (a
    99.95% floor is not ">99.9%" nor "100.0%", a 2.25x limit not "2.2x")."""
    if as_set is None:
        shown = show(value), show(limit)
        digits = 1
    else:
        shown = precise(value, as_set), precise(limit, as_set)
        digits = as_set + 1
    while shown[0] == shown[1] and digits <= 15:
        shown = precise(value, digits), precise(limit, digits)
        digits += 1
    return shown


def _success_findings(
    result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds
) -> list[HealthFinding]:
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    enough = runs >= thresholds.min_samples_for_critical
    failed = f"{_count(success.failure_count)} of {plural(runs, 'run')} failed"
    findings: list[HealthFinding] = []
    limit: float | int | None = thresholds.min_success_rate
    if limit is not None and success.success_rate < limit:
        findings.append(
            HealthFinding(
                severity=_critical_if(enough),
                code="low_success_rate",
                message="Success rate {} is below {}".format(
                    *_apart(
                        success.success_rate,
                        limit,
                        _percent,
                        _precise_percent,
                        _digits_as_set(limit, shown=1, scale=2),
                    )
                )
                + f": {failed}{_notes(_few(runs, 'run', thresholds))}.",
                value=success.success_rate,
                threshold=limit,
            )
        )
    limit = thresholds.max_error_rate
    if limit is not None and success.error_rate > limit:
        findings.append(
            HealthFinding(
                severity=_critical_if(enough),
                code="high_error_rate",
                message="Error rate {} is above {}".format(
                    *_apart(
                        success.error_rate,
                        limit,
                        _percent,
                        _precise_percent,
                        _digits_as_set(limit, shown=1, scale=2),
                    )
                )
                + f": {failed}{_notes(_few(runs, 'run', thresholds))}.",
                value=success.error_rate,
                threshold=limit,
            )
        )
    limit = thresholds.max_quality_gate_failures
    if limit is not None and success.quality_gate_failures > limit:
        share = success.quality_gate_failures / runs
        findings.append(
            HealthFinding(
                severity="warning",
                code="quality_gate_failures",
                message=f"{_count(success.quality_gate_failures)} "
                f"run{'' if success.quality_gate_failures == 1 else 's'} failed "
                f"{'its' if success.quality_gate_failures == 1 else 'their'} quality gates "
                f"({_percent(share)} of {_count(runs)}); at most {_count(limit)} allowed.",
                value=float(success.quality_gate_failures),
                threshold=float(limit),
            )
        )
    limit = thresholds.min_avg_quality
    if limit is not None and 0.0 < success.avg_quality_score < limit:
        findings.append(
            HealthFinding(
                severity="warning",
                code="low_quality_score",
                message="Average quality score {} is below {}.".format(
                    *_apart(
                        success.avg_quality_score,
                        limit,
                        "{:.2f}".format,
                        _precise,
                        _digits_as_set(limit, shown=2, offset=1),
                    )
                ),
                value=success.avg_quality_score,
                threshold=limit,
            )
        )
    return findings


def _latency_findings(
    result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds
) -> list[HealthFinding]:
    perf = result.performance_metrics
    if perf is None or perf.sample_count == 0:
        return []
    enough = perf.sample_count >= thresholds.min_samples_for_critical
    few = _few(perf.sample_count, "timed run", thresholds)
    findings: list[HealthFinding] = []
    p50, p95, p99 = (
        perf.p50_execution_time_ms,
        perf.p95_execution_time_ms,
        perf.p99_execution_time_ms,
    )
    limit = thresholds.max_p99_ms
    if limit is not None and p99 > limit:
        findings.append(
            HealthFinding(
                severity=_critical_if(enough),
                code="high_p99_latency",
                message="p99 latency {} is above {}".format(
                    *_apart(p99, limit, _duration_ms, _precise_ms, _duration_digits_as_set(limit))
                )
                + f"{_notes(few)}.",
                value=p99,
                threshold=limit,
            )
        )
    limit = thresholds.max_p95_ms
    if limit is not None and p95 > limit:
        far = p95 > 2 * limit
        findings.append(
            HealthFinding(
                severity=_critical_if(enough) if far else "warning",
                code="high_p95_latency",
                message="p95 latency {} is above {}".format(
                    *_apart(p95, limit, _duration_ms, _precise_ms, _duration_digits_as_set(limit))
                )
                + f"{_notes('more than twice the limit', few) if far else ''}.",
                value=p95,
                threshold=limit,
            )
        )
    ratio_limit = thresholds.max_p95_p50_ratio
    # (The ratio as reported is what is compared: `p95 > limit * p50` rounds otherwise,
    # and a finding of 3.0x "above 3.0x" fired.)
    ratio = p95 / p50 if p50 > 0 else 0.0  # (inf where it passes the largest double)
    if ratio_limit is not None and ratio > ratio_limit:
        shown_ratio, shown_limit = _apart(
            ratio,
            ratio_limit,
            "{:.1f}".format,
            _precise,
            _digits_as_set(ratio_limit, shown=1, offset=1),
        )
        if math.isinf(ratio):
            shown_ratio = _PAST_LARGEST
        findings.append(
            HealthFinding(
                severity="warning",
                code="wide_latency_spread",
                message=f"p95 latency {_duration_ms(p95)} is {shown_ratio}x the median "
                f"({_duration_ms(p50)}), above {shown_limit}x: a long tail of slow runs.",
                value=ratio,
                threshold=ratio_limit,
            )
        )
    return findings


def _usage_findings(
    result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds
) -> list[HealthFinding]:
    findings: list[HealthFinding] = []
    trend = result.trend_analysis
    if (
        trend is not None
        and thresholds.flag_abandoned
        and trend.trend_type is UsageTrendType.ABANDONED
    ):
        last = result.usage_metrics.time_since_last_use
        when = "" if last is None else f", last used {_hours(last)} before the window end"
        findings.append(
            HealthFinding(
                severity="warning",
                code="abandoned_trend",
                message=f"Usage looks abandoned: "
                f"{plural(result.usage_metrics.total_executions, 'run')}{when}.",
                value=trend.velocity,
                threshold=None,
            )
        )
    hours = result.usage_metrics.time_since_last_use
    limit = thresholds.max_hours_since_last_use
    if limit is not None and hours is not None and hours > limit:
        findings.append(
            HealthFinding(
                severity="warning",
                code="not_used_recently",
                message="Last used {} before the window end, more than {}".format(
                    *_apart(hours, limit, _hours, _precise_hours)
                )
                + f" ({limit:g} h).",
                value=hours,
                threshold=limit,
            )
        )
    if (
        trend is not None
        and thresholds.flag_declining
        and trend.trend_type is UsageTrendType.DECLINING
    ):
        findings.append(
            HealthFinding(
                severity="warning",
                code="declining_trend",
                message=f"Usage is declining: {_signed(trend.velocity)} runs/day per day, "
                f"{_signed(trend.growth_percentage, 1)}% in the last quarter of the window "
                "against the first.",
                value=trend.velocity,
                threshold=None,
            )
        )
    return findings


def _rank(finding: HealthFinding) -> tuple[int, int]:
    code = _CODE_ORDER.index(finding.code) if finding.code in _CODE_ORDER else len(_CODE_ORDER)
    return SEVERITIES.index(finding.severity), code


def evaluate_health(
    result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds | None = None
) -> list[HealthFinding]:
    """The health findings of `result`, worst first (by severity, then by the rule order
    of the module's table); empty for a healthy pattern. See the module docstring for the
    rules and their severities."""
    thresholds = thresholds or HealthThresholds()
    if result.usage_metrics.total_executions == 0:
        return [
            HealthFinding(
                severity="info",
                code="no_executions",
                message="No executions in the window: nothing to judge.",
                value=0.0,
                threshold=None,
            )
        ]
    findings = [
        *_success_findings(result, thresholds),
        *_latency_findings(result, thresholds),
        *_usage_findings(result, thresholds),
    ]
    return sorted(findings, key=_rank)
