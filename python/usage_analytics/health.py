"""Health findings: the replaced system's health rules, applied to one result.

    findings = result.health()                                   # default thresholds
    findings = evaluate_health(result, HealthThresholds(max_p95_ms=2_000))

Each rule compares one number of the result with one threshold and, when the number is
on the wrong side, gives a `HealthFinding` with a stable `code`, a sentence naming both
numbers, and a severity. Findings come worst first.

Rules (default thresholds from the replaced system's design document; a threshold set to
None switches its rule off). A limit is a *strict* bound: a value equal to it is healthy.

| code                   | fires when                                   | severity            |
|------------------------|----------------------------------------------|---------------------|
| low_success_rate       | success_rate < min_success_rate (0.80)       | critical*           |
| high_error_rate        | error_rate > max_error_rate (0.20)           | critical*           |
| high_p99_latency       | p99 > max_p99_ms (1000 ms)                   | critical*           |
| high_p95_latency       | p95 > max_p95_ms (500 ms)                    | warning; critical*  |
|                        |                                              | above twice the max |
| wide_latency_spread    | p95 / p50 > max_p95_p50_ratio (2.0)          | warning             |
| quality_gate_failures  | quality_gate_failures > max (0)              | warning             |
| low_quality_score      | avg_quality_score < min_avg_quality (0.70)   | warning             |
| abandoned_trend        | trend ABANDONED (flag_abandoned)             | warning             |
| not_used_recently      | time_since_last_use > max_hours (168 h)      | warning             |
| declining_trend        | trend DECLINING (flag_declining)             | warning             |
| no_executions          | no executions in the window                  | info                |

(*) critical only with at least `min_samples_for_critical` (20) executions, or timed
executions for the latency rules; on fewer it is a warning, as a handful of runs says little
(two failures out of five is not yet an outage). The success and error rates are
complementary (error = 1 - success), so with the default thresholds both fire together:
they are separate rules because alerting keys on either code; switch one off if you key on
the other.

No rule fires on numbers that do not exist: a family that was not computed (None) is
skipped, and so is every rule when the window holds no executions (one `no_executions`
info finding says so instead), the latency rules when no execution time was recorded, the
spread rule when p50 is 0 (the ratio is undefined), and the quality-score rule when the
average is 0.0 (the output gives 0.0 both for "no scores recorded" and for "all scores 0";
the first is far more common).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field

from usage_analytics._core import ModelFactory
from usage_analytics.contracts import (
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    OverflowingFloat,
    SuccessMetrics,
    TrendAnalysis,
    UsageTrendType,
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

__all__ = [
    "SEVERITIES",
    "HealthFinding",
    "HealthThresholds",
    "JudgedHealth",
    "Severity",
    "evaluate_health",
    "finding_document",
    "shown_finding",
]

Severity = Literal["critical", "warning", "info"]
#: Severities, worst first.
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")

#: Rule codes in the order findings of the same severity are listed (most urgent first).
_CODE_ORDER = (
    "low_success_rate",
    "high_error_rate",
    "high_p99_latency",
    "high_p95_latency",
    "wide_latency_spread",
    "quality_gate_failures",
    "low_quality_score",
    "abandoned_trend",
    "not_used_recently",
    "declining_trend",
    "no_executions",
)


class HealthThresholds(BaseModel):
    """Limits of the health rules; None switches a rule off. Defaults: the replaced
    system's (success rate 0.80, error rate 0.20, p95 500 ms, p99 1 s, p95 at most twice
    p50, used within a week, no quality-gate failures, average quality 0.70)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_success_rate: float | None = Field(default=0.80, ge=0, le=1)
    max_error_rate: float | None = Field(default=0.20, ge=0, le=1)
    max_p95_ms: float | None = Field(default=500.0, ge=0, allow_inf_nan=False)
    max_p99_ms: float | None = Field(default=1000.0, ge=0, allow_inf_nan=False)
    max_p95_p50_ratio: float | None = Field(default=2.0, ge=1, allow_inf_nan=False)
    max_hours_since_last_use: float | None = Field(default=168.0, ge=0, allow_inf_nan=False)
    max_quality_gate_failures: int | None = Field(default=0, ge=0)
    min_avg_quality: float | None = Field(default=0.70, ge=0, le=1)
    flag_declining: bool = True
    flag_abandoned: bool = True
    min_samples_for_critical: int = Field(
        default=20,
        ge=0,
        description="Executions (timed executions for latency) needed before a rule may "
        "report 'critical'; below this it reports 'warning'.",
    )


class HealthFinding(BaseModel):
    """One broken rule: how bad (`severity`), which rule (`code`, stable snake_case), a
    sentence for people (`message`), the measured `value` and the `threshold` it broke
    (None for the trend rules, which have no number of their own here)."""

    # As the output models: an infinite value (a ratio past the largest double) is
    # written to JSON as "Infinity", which reads back.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    severity: Severity
    code: str
    message: str
    value: OverflowingFloat
    threshold: float | None


def _notes(*notes: str) -> str:
    """ " (a; b)" of the non-empty notes, "" without any."""
    shown = [note for note in notes if note]
    return f" ({'; '.join(shown)})" if shown else ""


def _few(count: int, word: str, thresholds: HealthThresholds) -> str:
    """ "only 7 runs, so not critical" when too few for 'critical', else ""."""
    if count >= thresholds.min_samples_for_critical:
        return ""
    return f"only {plural(count, word)}, so not critical"


class _Limit:
    """A threshold, and how its rule's message writes a value against it (`apart`).

    Made once per thresholds (`_limits_of`), not per result: the limit's own text is the
    same for every result, and a dashboard judges 100,000 of them."""

    def __init__(
        self,
        value: float,
        show: Callable[[float], str],
        precise: Callable[[float, int], str],
        as_set: int | None = None,
    ) -> None:
        self.value = value
        self._show = show
        self._precise = precise
        self._as_set = as_set

    @cached_property
    def _shown(self) -> str:
        """The limit as `apart` first writes it. (Written when first asked for, as it was
        by each finding: `_hours` of a limit near the largest double raises, and a rule
        that never fires must not.)"""
        as_set = self._as_set
        return self._show(self.value) if as_set is None else self._precise(self.value, as_set)

    def apart(self, value: float) -> tuple[str, str]:
        """`value` and the limit as `show` writes them, or with more digits where it
        writes both alike (a p99 of 1000.4 ms against 1000 ms is not "1.00 s is above
        1.00 s"). `as_set` (see `_digits_as_set`): the digits `precise` needs to write
        the limit as it was set, where `show` would round it; then both are written so
        from the start (a 99.95% floor is not ">99.9%" nor "100.0%", a 2.25x limit not
        "2.2x")."""
        if self._as_set is None:
            shown = self._show(value), self._shown
            digits = 1
        else:
            shown = self._precise(value, self._as_set), self._shown
            digits = self._as_set + 1
        while shown[0] == shown[1] and digits <= 15:
            shown = self._precise(value, digits), self._precise(self.value, digits)
            digits += 1
        return shown


def _digits_as_set(limit: float, *, shown: int, scale: int = 0, offset: int = 0) -> int | None:
    """`_digits_of_text` of the threshold `limit` as Python writes it: cached by that text,
    which tells -0.0 from 0.0 (a cache by the number took one for the other: 0.0 and
    -0.0 are equal, and hash alike)."""
    return _digits_of_text(repr(limit), shown=shown, scale=scale, offset=offset)


# (Cached, as `_duration_digits_as_set`: a threshold's digits are the same for every
# result, and a dashboard asks them of each of 100,000 patterns.)
@lru_cache(maxsize=256)
def _digits_of_text(text: str, *, shown: int, scale: int = 0, offset: int = 0) -> int | None:
    """The `digits` argument with which a precise formatter writes the threshold written
    `text` (its `repr`) as it was set (its shortest decimal form, times 10**`scale`:
    0.9995 as a percentage has 2 decimals), where that is more decimals than `shown`, the
    number its short form writes; else None (the short form writes it as set). `offset`:
    how many decimals the precise formatter writes beyond its `digits` argument. None too
    where writing it as set takes more than `_MOST_DIGITS` digits (1e300 ms, a 5e-324
    rate): the short form then, not hundreds of digits."""
    number = Decimal(text).scaleb(scale).normalize()
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        return None
    decimals = -min(0, exponent)
    if max(number.adjusted() + 1, 1) + decimals > _MOST_DIGITS:
        return None
    return None if decimals <= shown else decimals - offset


#: The digits a threshold is written with at most, before and after the point.
_MOST_DIGITS = 15


def limit_percent(limit: float) -> str:
    """A rate threshold as a percentage, as it was set: "80.0%", "99.95%", "0.01%".
    (`_percent` is for measured rates: it writes 0.9995 as ">99.9%", 0.99995 too.)"""
    as_set = _digits_as_set(limit, shown=1, scale=2)
    return _precise_percent(limit, 1 if as_set is None else as_set)


#: The units `_duration_ms` writes, in milliseconds.
_DURATION_UNITS_MS = {"ms": 1, "s": 1_000, "min": 60_000, "h": 3_600_000}


def _duration_digits_as_set(limit: float) -> int | None:
    """`_duration_digits` of `limit`, cached by its type and text too (as `_digits_as_set`
    is: 0.0 and -0.0, equal numbers, are written "0.0 ms" and "-0 ms")."""
    return _duration_digits(limit, type(limit).__name__, repr(limit))


@lru_cache(maxsize=256)
def _duration_digits(limit: float, kind: str, text: str) -> int | None:
    """None where `_duration_ms` writes the latency threshold `limit` as it was set
    ("500 ms", "1.50 s"), else the digits `_precise_ms` needs to (100,000 ms was "1.7 min",
    999.96 ms "1.00 s")."""
    number, _, unit = _duration_ms(limit).partition(" ")
    scale = _DURATION_UNITS_MS.get(unit)
    written_as_set = (
        scale is not None
        and number[:1].isdigit()
        and Decimal(number.replace(",", "")) * scale == Decimal(repr(limit))
    )
    if written_as_set:
        return None
    return _digits_as_set(limit, shown=-1)


def limit_duration_ms(limit: float) -> str:
    """A latency threshold as it was set: "500 ms", "1.50 s", "100,000 ms" (not "1.7 min")."""
    as_set = _duration_digits_as_set(limit)
    return _duration_ms(limit) if as_set is None else _precise_ms(limit, as_set)


def limit_decimal(limit: float, places: int) -> str:
    """A threshold with `places` decimals, or as many more as it was set with: 0.7 with
    2 is "0.70", 0.695 "0.695" (not "0.69")."""
    as_set = _digits_as_set(limit, shown=places)
    return f"{limit:.{places if as_set is None else as_set}f}"


def _precise(value: float, digits: int) -> str:
    return f"{value:.{digits + 1}f}"


def _precise_hours(hours: float, digits: int) -> str:
    return f"{hours:,.{digits}f} h"


def _precise_percent(ratio: float, digits: int) -> str:
    # (Scaled exactly: `ratio * 100` rounds, and the float just below 0.8 became 80.0,
    # "80.000000000000000% is below 80.000000000000000%".)
    return f"{Decimal(repr(ratio)).scaleb(2):.{digits}f}%"


def _precise_ms(ms: float, digits: int) -> str:
    return f"{ms:,.{digits}f} ms"


def _two_decimals(value: float) -> str:
    return f"{value:.2f}"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}"


def _rate_limit(limit: float | None) -> _Limit | None:
    if limit is None:
        return None
    return _Limit(limit, _percent, _precise_percent, _digits_as_set(limit, shown=1, scale=2))


def _latency_limit(limit: float | None) -> _Limit | None:
    if limit is None:
        return None
    return _Limit(limit, _duration_ms, _precise_ms, _duration_digits_as_set(limit))


@dataclass(frozen=True, slots=True)
class _Limits:
    """The limits of one `HealthThresholds` as its rules write them; None where a rule is
    off."""

    success_rate: _Limit | None
    error_rate: _Limit | None
    avg_quality: _Limit | None
    p99_ms: _Limit | None
    p95_ms: _Limit | None
    p95_p50_ratio: _Limit | None
    hours_since_last_use: _Limit | None


def _limits_of(thresholds: HealthThresholds) -> _Limits:
    quality, ratio = thresholds.min_avg_quality, thresholds.max_p95_p50_ratio
    hours = thresholds.max_hours_since_last_use
    return _Limits(
        success_rate=_rate_limit(thresholds.min_success_rate),
        error_rate=_rate_limit(thresholds.max_error_rate),
        avg_quality=None
        if quality is None
        else _Limit(quality, _two_decimals, _precise, _digits_as_set(quality, shown=2, offset=1)),
        p99_ms=_latency_limit(thresholds.max_p99_ms),
        p95_ms=_latency_limit(thresholds.max_p95_ms),
        p95_p50_ratio=None
        if ratio is None
        else _Limit(ratio, _one_decimal, _precise, _digits_as_set(ratio, shown=1, offset=1)),
        hours_since_last_use=None if hours is None else _Limit(hours, _hours, _precise_hours),
    )


#: The default thresholds, made once (`evaluate_health` without any is called per pattern).
_DEFAULT_THRESHOLDS = HealthThresholds()
#: The `_Limits` of the thresholds judged last, kept by identity (a frozen model's fields
#: do not change; a cache by equality took 0.0 for -0.0, which are written differently).
#: A dashboard judges every pattern by the same thresholds.
_last_limits: tuple[HealthThresholds, _Limits] = (
    _DEFAULT_THRESHOLDS,
    _limits_of(_DEFAULT_THRESHOLDS),
)


def _limits(thresholds: HealthThresholds) -> _Limits:
    global _last_limits
    last = _last_limits
    if last[0] is not thresholds:
        last = _last_limits = (thresholds, _limits_of(thresholds))  # (one assignment: thread-safe)
    return last[1]


def _failed(success: SuccessMetrics, runs: int, thresholds: HealthThresholds) -> str:
    """ ": 3 of 10 runs failed (only 10 runs, so not critical)." of the rate rules."""
    failed = f"{_count(success.failure_count)} of {plural(runs, 'run')} failed"
    return f": {failed}{_notes(_few(runs, 'run', thresholds))}."


#: Builds a `HealthFinding` from a dict of exactly its fields, in their order, without
#: validating them (`_core.ModelFactory`): `_Fired.finding` passes floats and the rules'
#: own texts, which validation would hand back unchanged (it took about 1.5 µs a
#: finding: `evaluate_health` of 10,000 patterns firing 4.5 rules each, 31 -> 24 µs a
#: pattern).
_finding_model = ModelFactory(HealthFinding)

#: A rule that fired, as the rules note it: its place in the order of findings (`_RANKS`),
#: severity, code, value, threshold, and the function and arguments that write its
#: message. A tuple, made into a `_Fired` only when read: a dashboard of 100,000 patterns
#: reads one finding of each, and a `_Fired` made for every rule that fired was half the
#: rules' time (0.65 µs each against 0.09 for the tuple, 4.2 fired a pattern).
_Rule = tuple[int, Severity, str, float, float | None, Callable[..., str], tuple[Any, ...]]


class _Fired:
    """A rule that fired (`_Rule`), with its message, written (with the `HealthFinding`)
    only when `finding` is first asked for: a dashboard shows one finding of each
    pattern, and writing the others' messages was most of judging 100,000 patterns."""

    __slots__ = ("_args", "_built", "_message", "_text", "code", "severity", "threshold", "value")

    def __init__(self, rule: _Rule) -> None:
        _, self.severity, self.code, self.value, self.threshold, self._message, self._args = rule
        self._text: str | None = None
        self._built: HealthFinding | None = None

    def message(self) -> str:
        """The finding's message, written when first asked for."""
        text = self._text
        if text is None:
            text = self._text = self._message(*self._args)
        return text

    def fields(self) -> dict[str, Any]:
        """The `HealthFinding`'s fields, as its validation gives them (a float, an int as
        its float)."""
        threshold = self.threshold
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message(),
            "value": float(self.value),
            "threshold": None if threshold is None else float(threshold),
        }

    def finding(self) -> HealthFinding:
        built = self._built
        if built is None:
            built = self._built = _finding_model(self.fields())
        return built


def _rate_message(
    text: str,
    limit: _Limit,
    rate: float,
    success: SuccessMetrics,
    runs: int,
    thresholds: HealthThresholds,
) -> str:
    return text.format(*limit.apart(rate)) + _failed(success, runs, thresholds)


def _gates_message(success: SuccessMetrics, runs: int, limit: int) -> str:
    failures = success.quality_gate_failures
    share = failures / runs
    return (
        f"{_count(failures)} run{'' if failures == 1 else 's'} failed "
        f"{'its' if failures == 1 else 'their'} quality gates "
        f"({_percent(share)} of {_count(runs)}); at most {_count(limit)} allowed."
    )


def _limit_message(text: str, limit: _Limit, value: float) -> str:
    """`text` with `value` and the limit as `limit.apart` writes them."""
    return text.format(*limit.apart(value))


# (The rules below write each `_Rule` as a tuple in place, its rank looked up there: a
# helper function taking the fields was a Python call more per rule that fired.)


def _success_findings(
    result: ModelUsageAnalyticsOutput,
    thresholds: HealthThresholds,
    limits: _Limits,
    fired: list[_Rule],
) -> None:
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    severity: Severity = "critical" if runs >= thresholds.min_samples_for_critical else "warning"
    rate = limits.success_rate
    if rate is not None and (value := success.success_rate) < rate.value:
        fired.append(
            (
                _RANKS[severity, "low_success_rate"],
                severity,
                "low_success_rate",
                value,
                rate.value,
                _rate_message,
                ("Success rate {} is below {}", rate, value, success, runs, thresholds),
            )
        )
    rate = limits.error_rate
    if rate is not None and (value := success.error_rate) > rate.value:
        fired.append(
            (
                _RANKS[severity, "high_error_rate"],
                severity,
                "high_error_rate",
                value,
                rate.value,
                _rate_message,
                ("Error rate {} is above {}", rate, value, success, runs, thresholds),
            )
        )
    limit = thresholds.max_quality_gate_failures
    if limit is not None and (failures := success.quality_gate_failures) > limit:
        fired.append(
            (
                _RANKS["warning", "quality_gate_failures"],
                "warning",
                "quality_gate_failures",
                float(failures),
                float(limit),
                _gates_message,
                (success, runs, limit),
            )
        )
    quality = limits.avg_quality
    if quality is not None and 0.0 < (score := success.avg_quality_score) < quality.value:
        fired.append(
            (
                _RANKS["warning", "low_quality_score"],
                "warning",
                "low_quality_score",
                score,
                quality.value,
                _limit_message,
                ("Average quality score {} is below {}.", quality, score),
            )
        )


def _latency_message(
    text: str,
    limit: _Limit,
    value: float,
    notes: tuple[str, ...],
    timed: int,
    thresholds: HealthThresholds,
) -> str:
    """`text` with `value` and the limit, then `notes` and the few-runs note, if any."""
    return (
        text.format(*limit.apart(value))
        + f"{_notes(*notes, _few(timed, 'timed run', thresholds))}."
    )


def _spread_message(ratio_limit: _Limit, ratio: float, p95: float, p50: float) -> str:
    shown_ratio, shown_limit = ratio_limit.apart(ratio)
    if math.isinf(ratio):
        shown_ratio = _PAST_LARGEST
    return (
        f"p95 latency {_duration_ms(p95)} is {shown_ratio}x the median "
        f"({_duration_ms(p50)}), above {shown_limit}x: a long tail of slow runs."
    )


def _latency_findings(
    result: ModelUsageAnalyticsOutput,
    thresholds: HealthThresholds,
    limits: _Limits,
    fired: list[_Rule],
) -> None:
    perf = result.performance_metrics
    if perf is None or (timed := perf.sample_count) == 0:
        return
    severity: Severity = "critical" if timed >= thresholds.min_samples_for_critical else "warning"
    p95 = perf.p95_execution_time_ms
    limit = limits.p99_ms
    if limit is not None and (p99 := perf.p99_execution_time_ms) > limit.value:
        fired.append(
            (
                _RANKS[severity, "high_p99_latency"],
                severity,
                "high_p99_latency",
                p99,
                limit.value,
                _latency_message,
                ("p99 latency {} is above {}", limit, p99, (), timed, thresholds),
            )
        )
    limit = limits.p95_ms
    if limit is not None and p95 > limit.value:
        if p95 > 2 * limit.value:
            fired.append(
                (
                    _RANKS[severity, "high_p95_latency"],
                    severity,
                    "high_p95_latency",
                    p95,
                    limit.value,
                    _latency_message,
                    (
                        "p95 latency {} is above {}",
                        limit,
                        p95,
                        ("more than twice the limit",),
                        timed,
                        thresholds,
                    ),
                )
            )
        else:
            fired.append(
                (
                    _RANKS["warning", "high_p95_latency"],
                    "warning",
                    "high_p95_latency",
                    p95,
                    limit.value,
                    _limit_message,
                    ("p95 latency {} is above {}.", limit, p95),
                )
            )
    ratio_limit = limits.p95_p50_ratio
    if ratio_limit is None:
        return
    # (The ratio as reported is what is compared: `p95 > limit * p50` rounds otherwise,
    # and a finding of 3.0x "above 3.0x" fired.)
    p50 = perf.p50_execution_time_ms
    ratio = p95 / p50 if p50 > 0 else 0.0  # (inf where it passes the largest double)
    if ratio > ratio_limit.value:
        fired.append(
            (
                _RANKS["warning", "wide_latency_spread"],
                "warning",
                "wide_latency_spread",
                ratio,
                ratio_limit.value,
                _spread_message,
                (ratio_limit, ratio, p95, p50),
            )
        )


def _abandoned_message(total: int, last: float | None) -> str:
    when = "" if last is None else f", last used {_hours(last)} before the window end"
    return f"Usage looks abandoned: {plural(total, 'run')}{when}."


def _unused_message(limit: _Limit, hours: float) -> str:
    return (
        "Last used {} before the window end, more than {}".format(*limit.apart(hours))
        + f" ({limit.value:g} h)."
    )


def _declining_message(trend: TrendAnalysis) -> str:
    return (
        f"Usage is declining: {_signed(trend.velocity)} runs/day per day, "
        f"{_signed(trend.growth_percentage, 1)}% in the last quarter of the window "
        "against the first."
    )


def _usage_findings(
    result: ModelUsageAnalyticsOutput,
    thresholds: HealthThresholds,
    limits: _Limits,
    fired: list[_Rule],
) -> None:
    trend = result.trend_analysis
    trend_type = None if trend is None else trend.trend_type
    usage = result.usage_metrics
    if trend is not None and thresholds.flag_abandoned and trend_type is UsageTrendType.ABANDONED:
        fired.append(
            (
                _RANKS["warning", "abandoned_trend"],
                "warning",
                "abandoned_trend",
                trend.velocity,
                None,
                _abandoned_message,
                (usage.total_executions, usage.time_since_last_use),
            )
        )
    hours = usage.time_since_last_use
    limit = limits.hours_since_last_use
    if limit is not None and hours is not None and hours > limit.value:
        fired.append(
            (
                _RANKS["warning", "not_used_recently"],
                "warning",
                "not_used_recently",
                hours,
                limit.value,
                _unused_message,
                (limit, hours),
            )
        )
    if trend is not None and thresholds.flag_declining and trend_type is UsageTrendType.DECLINING:
        fired.append(
            (
                _RANKS["warning", "declining_trend"],
                "warning",
                "declining_trend",
                trend.velocity,
                None,
                _declining_message,
                (trend,),
            )
        )


#: Each severity's and rule's place in the order of findings.
_SEVERITY_RANKS = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_CODE_RANKS = {code: rank for rank, code in enumerate(_CODE_ORDER)}


#: The place of a finding of each severity and rule in the order of findings: by
#: severity, then by rule (an int: each pattern's few findings are sorted by it).
_RANKS = {
    (severity, code): _SEVERITY_RANKS[severity] * len(_CODE_ORDER) + _CODE_RANKS[code]
    for severity in SEVERITIES
    for code in _CODE_ORDER
}


def _nothing_to_judge() -> str:
    return "No executions in the window: nothing to judge."


_NO_EXECUTIONS: _Rule = (
    _RANKS["info", "no_executions"],
    "info",
    "no_executions",
    0.0,
    None,
    _nothing_to_judge,
    (),
)


def _fired(result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds | None) -> list[_Rule]:
    """The rules `result` breaks, in the rules' order (see `evaluate_health`). Checks
    what it is given: a batch output or a dict of limits was an AttributeError on the
    first field read (the design is silent on this; a TypeError saying what to pass)."""
    if not isinstance(result, ModelUsageAnalyticsOutput):
        hint = ""
        if isinstance(result, ModelUsageAnalyticsBatchOutput):
            hint = ": judge each of its results (batch.results.values())"
        raise TypeError(
            "the health rules judge one pattern's ModelUsageAnalyticsOutput, got a "
            f"{type(result).__name__}{hint}"
        )
    if thresholds is not None and not isinstance(thresholds, HealthThresholds):
        raise TypeError(
            f"thresholds must be a HealthThresholds, got {type(thresholds).__name__}: "
            "HealthThresholds(**limits) makes them of a dict of limits"
        )
    thresholds = thresholds or _DEFAULT_THRESHOLDS
    if result.usage_metrics.total_executions == 0:
        return [_NO_EXECUTIONS]
    last = _last_limits
    limits = last[1] if last[0] is thresholds else _limits(thresholds)
    fired: list[_Rule] = []
    _success_findings(result, thresholds, limits, fired)
    _latency_findings(result, thresholds, limits, fired)
    _usage_findings(result, thresholds, limits, fired)
    return fired


def evaluate_health(
    result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds | None = None
) -> list[HealthFinding]:
    """The health findings of `result`, worst first (by severity, then by the rule order
    of the module's table); empty for a healthy pattern. See the module docstring for the
    rules and their severities."""
    rules = _fired(result, thresholds)
    # (Written in the rules' order: a message that cannot be written raises as it did,
    # the first rule's error first.)
    findings = [_Fired(rule).finding() for rule in rules]
    order = sorted(range(len(rules)), key=lambda index: rules[index][0])
    return [findings[index] for index in order]


class JudgedHealth(Sequence[HealthFinding]):
    """`evaluate_health(result, thresholds)` as a sequence whose findings are made when
    first read: their severities (`severities`) without making any. (A dashboard of
    100,000 patterns shows the worst finding of each and counts the others: making every
    finding took 31 µs a pattern where the rules fire 4.5 times, the worst alone 10 µs.)
    Equal to a sequence of the same findings. A message that cannot be written (`_hours`
    of a value near the largest double) raises when its finding is read, so one never
    read raises nowhere: `evaluate_health` raises it (a choice; the design is silent)."""

    __slots__ = ("_made", "_rules")

    def __init__(
        self, result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds | None = None
    ) -> None:
        rules = _fired(result, thresholds)
        if len(rules) > 1:
            # (By the tuples themselves, their ranks first: each rule fires at most once,
            # so no two ranks are equal and nothing after them is compared; a key function
            # took a quarter longer.)
            rules.sort()
        self._rules = rules
        #: The `_Fired` of each rule read so far, by place (made on the first read).
        self._made: list[_Fired | None] | None = None

    def _fired_at(self, index: int) -> _Fired:
        """The rule at `index` (as a list indexes), made when first read."""
        rule = self._rules[index]
        made = self._made
        if made is None:
            made = self._made = [None] * len(self._rules)
        fired = made[index]
        if fired is None:
            fired = made[index] = _Fired(rule)
        return fired

    def severities(self) -> list[Severity]:
        return [rule[1] for rule in self._rules]

    def __len__(self) -> int:
        return len(self._rules)

    @overload
    def __getitem__(self, index: int) -> HealthFinding: ...
    @overload
    def __getitem__(self, index: slice) -> list[HealthFinding]: ...
    def __getitem__(self, index: int | slice) -> HealthFinding | list[HealthFinding]:
        if isinstance(index, slice):
            return [self._fired_at(place).finding() for place in range(len(self._rules))[index]]
        return self._fired_at(index).finding()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # (as a list's: equal to one)

    def __repr__(self) -> str:
        return repr(list(self))


def shown_finding(findings: Sequence[HealthFinding], index: int) -> tuple[Severity, str]:
    """The severity and message of `findings[index]`: of `JudgedHealth`, without making
    the `HealthFinding` (the dashboard's table and HTML overview show these two of each
    pattern's worst; making the model took a fifth of the table's time at 100,000)."""
    if isinstance(findings, JudgedHealth):
        fired = findings._fired_at(index)
        return fired.severity, fired.message()
    finding = findings[index]
    return finding.severity, finding.message


def finding_document(findings: Sequence[HealthFinding], index: int) -> dict[str, Any]:
    """`findings[index].model_dump(mode="json", context={"non_finite": "null"})`: of
    `JudgedHealth`, where its numbers are finite (the model's JSON form of a float is then
    the float), the model's fields without making it."""
    if isinstance(findings, JudgedHealth):
        fields = findings._fired_at(index).fields()
        threshold = fields["threshold"]
        if math.isfinite(fields["value"]) and (threshold is None or math.isfinite(threshold)):
            return fields
    return findings[index].model_dump(mode="json", context={"non_finite": "null"})
