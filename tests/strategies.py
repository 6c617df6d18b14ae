"""Hypothesis strategies for records, windows and contracts, and the comparison of a
`ModelUsageAnalyticsOutput` with the reference's dict.

Records are built around the drawn window: timestamps inside it, outside it on both
sides, exactly on both ends and on the midpoint, and in every accepted representation
(aware UTC, naive, fixed offsets, IANA zones, ISO strings with "Z"/"z"/offsets/no offset,
fractions of 0-9 digits). Optional fields are absent, None or valid values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import strategies as st
from reference import (
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MINUTE,
    datetime_to_micros,
)
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    TrendThresholds,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TIMEZONES = [
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Europe/Berlin",
    "Pacific/Chatham",
]

FILE_PATHS = [
    "Makefile",
    ".env",
    "a.tar.gz",
    "dir.d/x",
    "C:\\x\\y.PY",
    "src/main.rs",
    "/abs/path/file.Py",
    "a/b/.gitignore",
    "weird..dots",
    "x.py",
    "",
]

CATEGORIES = ["debugging", "refactoring", "unknown", "b", "B", "a", "", "agent-1", "äöü", "日本"]


# --------------------------------------------------------------------------- windows


@dataclass(frozen=True)
class Window:
    start: datetime  # as given to the contract (aware, naive or offset)
    end: datetime
    start_us: int
    end_us: int
    window_type: TimeWindowType

    @property
    def width_us(self) -> int:
        return self.end_us - self.start_us


#: Window length ranges (microseconds) per window type, so default bucket counts stay sane.
_DURATIONS = {
    TimeWindowType.HOURLY: (US_PER_MINUTE, 6 * US_PER_HOUR),
    TimeWindowType.DAILY: (US_PER_HOUR, 3 * US_PER_DAY),
    TimeWindowType.WEEKLY: (US_PER_DAY, 21 * US_PER_DAY),
    TimeWindowType.MONTHLY: (7 * US_PER_DAY, 90 * US_PER_DAY),
    TimeWindowType.QUARTERLY: (30 * US_PER_DAY, 200 * US_PER_DAY),
    TimeWindowType.YEARLY: (90 * US_PER_DAY, 800 * US_PER_DAY),
}
_NOMINAL = {
    TimeWindowType.HOURLY: US_PER_HOUR,
    TimeWindowType.DAILY: US_PER_DAY,
    TimeWindowType.WEEKLY: 7 * US_PER_DAY,
    TimeWindowType.MONTHLY: 30 * US_PER_DAY,
    TimeWindowType.QUARTERLY: 90 * US_PER_DAY,
    TimeWindowType.YEARLY: 365 * US_PER_DAY,
}


def micros_to_utc(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


#: The years windows start in, by default.
YEARS = (2000, 2035)

fixed_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def window_starts(draw: st.DrawFn, years: tuple[int, int] = YEARS) -> int:
    """Epoch microseconds: either a round midnight or any instant, in `years` (inclusive)."""
    day = draw(st.dates(date(years[0], 1, 1), date(years[1], 12, 31)))
    midnight = datetime_to_micros(datetime(day.year, day.month, day.day, tzinfo=UTC))
    if draw(st.booleans()):
        return midnight
    return midnight + draw(st.integers(0, US_PER_DAY - 1))


@st.composite
def as_contract_datetime(draw: st.DrawFn, micros: int) -> datetime:
    """The instant as an aware UTC, naive (= UTC) or fixed-offset datetime."""
    utc = micros_to_utc(micros)
    kind = draw(st.sampled_from(["utc", "naive", "offset"]))
    if kind == "utc":
        return utc
    if kind == "naive":
        return utc.replace(tzinfo=None)
    return utc.astimezone(draw(fixed_offsets))


@st.composite
def window_durations(draw: st.DrawFn, window_type: TimeWindowType) -> int:
    if window_type in _DURATIONS:
        low, high = _DURATIONS[window_type]
        return draw(st.one_of(st.just(_NOMINAL[window_type]), st.integers(low, high)))
    return draw(
        st.one_of(
            st.integers(1, 10**6),  # down to one microsecond
            st.integers(1, 3000 * US_PER_DAY),
            st.sampled_from([US_PER_HOUR, US_PER_DAY, 7 * US_PER_DAY, 30 * US_PER_DAY]),
        )
    )


@st.composite
def windows(draw: st.DrawFn, years: tuple[int, int] = YEARS) -> Window:
    window_type = draw(st.sampled_from(list(TimeWindowType)))
    start_us = draw(window_starts(years))
    end_us = start_us + draw(window_durations(window_type))
    return Window(
        start=draw(as_contract_datetime(start_us)),
        end=draw(as_contract_datetime(end_us)),
        start_us=start_us,
        end_us=end_us,
        window_type=window_type,
    )


@st.composite
def bucket_widths(draw: st.DrawFn, window: Window) -> timedelta | None:
    """None (the window type's default) or a width giving 1 to ~300 buckets, or (one draw
    in eight) 1,100 to ~3,000 buckets where the window is long enough: past the core's
    `DENSE_BUCKETS` (1,024), where it counts only the occupied buckets. Never below one
    minute, to keep the rates' magnitudes modest."""
    if draw(st.booleans()):
        return None
    if draw(st.integers(0, 7)) == 0 and window.width_us // 1_100 >= US_PER_MINUTE:
        low = max(US_PER_MINUTE, window.width_us // 3_000)
        return timedelta(microseconds=draw(st.integers(low, window.width_us // 1_100)))
    low = max(US_PER_MINUTE, window.width_us // 300)
    high = max(low, 2 * window.width_us)
    return timedelta(microseconds=draw(st.integers(low, high)))


# --------------------------------------------------------------------------- timestamps


#: How a contract's timestamps are spread: per record any of the kinds below ("mixed"),
#: uniformly inside the window, or with a density rising / falling linearly over it.
PROFILES = ["mixed", "mixed", "inside", "growing", "declining"]


@st.composite
def instants(draw: st.DrawFn, window: Window, profile: str = "mixed") -> int:
    """Epoch microseconds: the ends and the midpoint exactly, just outside the ends,
    uniformly around the window, or skewed towards one end (to make trends)."""
    w = window.width_us
    start = window.start_us
    if profile == "inside":
        return start + draw(st.integers(0, w))
    if profile in ("growing", "declining"):
        fraction = math.sqrt(draw(st.integers(0, 10**6)) / 10**6)
        offset = min(w, int(w * fraction))
        return start + (offset if profile == "growing" else w - offset)
    kind = draw(st.sampled_from(["special", "uniform", "uniform", "skewed", "skewed"]))
    if kind == "special":
        offset = draw(st.sampled_from([0, w, -1, w + 1, w // 2, w // 2 - 1, (w + 1) // 2, w - 1]))
    elif kind == "uniform":
        offset = draw(st.integers(-(w // 4) - 1, w + w // 4 + 1))
    else:
        exponent = draw(st.sampled_from([0.25, 0.5, 2.0, 4.0]))
        fraction = draw(st.integers(0, 1000)) / 1000
        offset = min(w, int(w * fraction**exponent))
    return start + offset


def _iso_offset(offset: timedelta, style: str) -> str:
    minutes = offset // timedelta(minutes=1)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    if style == "colon":
        return f"{sign}{hours:02d}:{minutes:02d}"
    if style == "compact":
        return f"{sign}{hours:02d}{minutes:02d}"
    return f"{sign}{hours:02d}"  # "hours": only used for whole-hour offsets


def _isoformat_with_seconds(draw: st.DrawFn, utc: datetime) -> str:
    east = draw(st.integers(-86_399_999_999, 86_399_999_999))
    local = utc.astimezone(timezone(timedelta(microseconds=east)))
    text = local.isoformat(sep=draw(st.sampled_from(["T", "t", " "])))
    if draw(st.booleans()):  # the basic form of the offset: "+055328.5"
        sign = max(text.rfind("+"), text.rfind("-"))  # (the date's "-" come before)
        text = text[:sign] + text[sign:].replace(":", "")
    return text


@st.composite
def iso_strings(draw: st.DrawFn, micros: int) -> str:
    """The instant as an ISO-8601 string in one of the accepted shapes."""
    utc = micros_to_utc(micros)
    zone_kind = draw(st.sampled_from(["Z", "z", "none", "offset", "isoformat"]))
    if zone_kind == "isoformat":  # any offset as `isoformat()` writes it: "+05:53:28.5"
        return _isoformat_with_seconds(draw, utc)
    if zone_kind == "offset":
        local = utc.astimezone(draw(fixed_offsets))
        offset = local.utcoffset()
        assert offset is not None
        whole_hours = offset % timedelta(hours=1) == timedelta(0)
        style = draw(st.sampled_from(["colon", "compact", "hours"] if whole_hours else ["colon"]))
        suffix = _iso_offset(offset, style)
    else:
        local = utc
        suffix = {"Z": "Z", "z": "z", "none": ""}[zone_kind]
    separator = draw(st.sampled_from(["T", "t", " "]))
    day = f"{local:%Y-%m-%d}"
    if local.time() == datetime.min.time() and zone_kind == "none" and draw(st.booleans()):
        return day  # date only: midnight UTC
    micro = local.microsecond
    if local.second == 0 and micro == 0 and draw(st.booleans()):
        return f"{day}{separator}{local:%H:%M}{suffix}"
    if micro == 0 and draw(st.booleans()):
        fraction = ""
    else:
        digits = f"{micro:06d}"
        shape = draw(st.sampled_from(["micro", "nano", "short"]))
        if shape == "nano":
            digits += draw(st.sampled_from(["000", "999", "123", "5", "50"]))  # truncated
        elif shape == "short":
            digits = digits.rstrip("0") or "0"
        fraction = draw(st.sampled_from([".", ","])) + digits  # ISO-8601 allows either
    return f"{day}{separator}{local:%H:%M:%S}{fraction}{suffix}"


@st.composite
def timestamps(draw: st.DrawFn, micros: int) -> Any:
    """The instant in any accepted record representation."""
    utc = micros_to_utc(micros)
    kind = draw(st.sampled_from(["utc", "naive", "offset", "zone", "iso", "datetime64"]))
    if kind == "utc":
        return utc
    if kind == "datetime64":  # naive = UTC, at any unit that holds the instant exactly
        unit = draw(st.sampled_from(["us", "ns"]))
        return np.datetime64(micros, "us").astype(f"datetime64[{unit}]")
    if kind == "naive":
        if utc.time() == datetime.min.time() and draw(st.booleans()):
            return utc.date()  # a date is its midnight UTC
        return utc.replace(tzinfo=None)
    if kind == "offset":
        return utc.astimezone(draw(fixed_offsets))
    if kind == "zone":
        return utc.astimezone(ZoneInfo(draw(st.sampled_from(TIMEZONES))))
    return draw(iso_strings(micros))


# --------------------------------------------------------------------------- records

bools = st.sampled_from([True, False, 0, 1, np.int64(0), np.uint8(1)])
execution_times = st.one_of(
    st.integers(0, 10**6),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.0, -0.0, 0.5, 1e-300]),
)
quality_scores = st.one_of(
    st.floats(0, 1, allow_nan=False), st.sampled_from([0, 1, 0.0, 1.0, -0.0, 0.5])
)
categories = st.one_of(st.sampled_from(CATEGORIES), st.text(max_size=4))
file_paths = st.one_of(
    st.sampled_from(FILE_PATHS),
    st.text(alphabet="ab./\\", max_size=8),
)


def _maybe_none(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values, values)


@st.composite
def valid_records(draw: st.DrawFn, window: Window, profile: str = "mixed") -> dict[str, Any]:
    """A valid record; each optional field absent, None or a valid value."""
    instant = draw(instants(window, profile))
    return draw(
        st.fixed_dictionaries(
            {"timestamp": timestamps(instant)},
            optional={
                "success": _maybe_none(bools),
                "execution_time_ms": _maybe_none(execution_times),
                "quality_score": _maybe_none(quality_scores),
                "quality_gates_passed": _maybe_none(bools),
                "timeout": _maybe_none(bools),
                "context_type": _maybe_none(categories),
                "agent": _maybe_none(categories),
                "project": _maybe_none(categories),
                "file_path": _maybe_none(file_paths),
                "execution_id": st.uuids().map(str),  # other keys are ignored
            },
        )
    )


# Subclasses and foreign types that must read like the built-ins they stand for (the core
# has fast paths for exact built-in types; these take the general ones).


class FloatSub(float):
    pass


class IntSub(int):
    pass


class StrSub(str):
    __slots__ = ()


class DatetimeSub(datetime):
    pass


class RecordDict(dict):  # type: ignore[type-arg]
    pass


class RecordMapping(Mapping[str, Any]):
    """A read-only mapping that is not a dict (e.g. a database row)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = dict(fields)

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"RecordMapping({self._fields!r})"


_STR_FIELDS = ("context_type", "agent", "project", "file_path")


def _disguise_value(draw: st.DrawFn, field: str, value: Any) -> Any:
    kind = type(value)
    if field == "timestamp" and kind is datetime:
        return DatetimeSub(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
            fold=value.fold,
        )
    if kind is str and (field == "timestamp" or field in _STR_FIELDS):
        return StrSub(value)
    if field in ("execution_time_ms", "quality_score"):
        if kind is float:
            return draw(st.sampled_from([FloatSub, np.float64]))(value)
        if kind is int and abs(value) < 2**62:
            return draw(st.sampled_from([IntSub, np.int64]))(value)
    return value


@st.composite
def disguised(draw: st.DrawFn, record: Any) -> Any:
    """Mostly `record` itself; sometimes with values turned into subclasses / numpy
    scalars and the dict into a dict subclass or a non-dict Mapping."""
    if not isinstance(record, dict) or draw(st.integers(0, 3)) != 0:
        return record
    fields = {
        key: _disguise_value(draw, key, value) if draw(st.booleans()) else value
        for key, value in record.items()
    }
    container = draw(st.sampled_from([dict, RecordDict, RecordMapping]))
    return container(fields)


#: Bad values per field (each one invalid on its own).
BAD_VALUES: dict[str, list[Any]] = {
    "timestamp": [
        "not a date",
        "2026-02-30T10:00:00Z",
        "2026-01-05T25:00:00",
        "",
        1_767_600_000,
        1_767_600_000.5,
        np.datetime64("NaT"),
        b"2026-01-05",
    ],
    "success": ["yes", 2, -1, 1.0, "true", [], np.int64(2), np.float64(1.0)],
    "execution_time_ms": [
        math.nan,
        math.inf,
        -math.inf,
        -1,
        -0.5,
        True,
        False,
        "10",
        [1],
    ],
    "quality_score": [
        -0.1,
        1.5,
        math.nan,
        math.inf,
        True,
        "0.5",
        2,
        # outside [0, 1] by less than a float tells: their floats are 1.0 and -0.0
        Decimal("1.00000000000000000001"),
        Fraction(-1, 10**400),
    ],
    "quality_gates_passed": ["true", 2, 0.0, "no"],
    "timeout": ["false", 3, 1.0],
    "context_type": [5, b"x", 1.5, ["a"], True],
    "agent": [7, b"agent", ("a",)],
    "project": [3.5, {"p": 1}],
    "file_path": [42, b"a.py", False],
}
NON_MAPPINGS: list[Any] = [5, None, "record", ["timestamp", "2026-01-05"], (1, 2), 1.5]


@st.composite
def invalid_records(draw: st.DrawFn, window: Window) -> Any:
    """A record that is invalid: a non-mapping, or a valid record with one or more
    fields replaced by bad values (or the timestamp removed)."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(NON_MAPPINGS))
    record = draw(valid_records(window))
    fields = draw(st.lists(st.sampled_from(list(BAD_VALUES)), min_size=1, max_size=3))
    for field in fields:
        if field == "timestamp" and draw(st.integers(0, 3)) == 0:
            if draw(st.booleans()):
                record.pop("timestamp", None)
            else:
                record["timestamp"] = None
        else:
            record[field] = draw(st.sampled_from(BAD_VALUES[field]))
    return record


# --------------------------------------------------------------------------- contracts


@st.composite
def thresholds(draw: st.DrawFn) -> TrendThresholds:
    if draw(st.integers(0, 3)) != 0:
        return TrendThresholds()
    growing = draw(st.floats(-1, 5, allow_nan=False))
    return TrendThresholds(
        growing_velocity=growing,
        declining_velocity=draw(st.floats(-5, min(1, growing), allow_nan=False)),
        abandoned_velocity=draw(st.floats(-10, 0, allow_nan=False)),
        abandoned_max_executions=draw(st.integers(0, 20)),
        emerging_max_executions=draw(st.integers(0, 30)),
        min_t_statistic=draw(st.floats(0, 5, allow_nan=False)),
        recent_fraction=draw(st.floats(0.01, 1, allow_nan=False)),
    )


@st.composite
def contracts(
    draw: st.DrawFn,
    *,
    invalid: bool = False,
    on_invalid: str = "skip",
    max_records: int = 80,
    years: tuple[int, int] = YEARS,
    zones: list[str] | None = None,
) -> ModelUsageAnalyticsInput:
    """A contract with random window (starting in `years`), options (the time zone one of
    `zones`, by default TIMEZONES) and records (with some invalid records when
    `invalid`)."""
    window = draw(windows(years))
    record_strategy = valid_records(window, draw(st.sampled_from(PROFILES)))
    if invalid:
        record_strategy = st.one_of(record_strategy, invalid_records(window))
    size = draw(st.integers(0, max_records))
    records = draw(st.lists(record_strategy, min_size=size, max_size=size))
    records = [draw(disguised(record)) for record in records]
    return ModelUsageAnalyticsInput(
        pattern_id=draw(st.one_of(st.uuids(), st.just("checkout-endpoint"))),
        time_window_start=window.start,
        time_window_end=window.end,
        time_window_type=window.window_type,
        granularity=draw(st.sampled_from(list(AnalyticsGranularity))),
        include_trends=draw(st.sampled_from([True, True, True, False])),
        include_performance=draw(st.booleans()),
        include_distribution=draw(st.booleans()),
        include_predictions=draw(st.booleans()),
        execution_data=records,
        correlation_id=uuid4(),
        on_invalid=on_invalid,
        timezone=draw(st.sampled_from(TIMEZONES if zones is None else zones)),
        bucket_width=draw(bucket_widths(window)),
        trend_thresholds=draw(thresholds()),
    )


# --------------------------------------------------------------------------- comparison

REL_TOL = 1e-9
ABS_TOL = 1e-9
#: Floats the core computes bit for bit like the reference.
EXACT_FLOAT_FIELDS = (".avg_quality_score",)


def output_as_dict(output: ModelUsageAnalyticsOutput) -> dict[str, Any]:
    """The fields the reference computes, from a pydantic output (trend_type as str)."""
    dumped = output.model_dump()
    if dumped["trend_analysis"] is not None:
        dumped["trend_analysis"]["trend_type"] = output.trend_analysis.trend_type.value  # type: ignore[union-attr]
    keys = [
        "usage_metrics",
        "success_metrics",
        "performance_metrics",
        "trend_analysis",
        "context_distribution",
        "analytics_quality_score",
        "total_data_points",
        "data_quality",
    ]
    return {key: dumped[key] for key in keys}


def _mismatches(actual: Any, expected: Any, path: str) -> list[str]:
    """Every difference between `actual` and `expected`: ints, bools, strs and datetimes
    exactly; floats within REL_TOL (or ABS_TOL near 0), those of EXACT_FLOAT_FIELDS exactly;
    dicts with their key order."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected a dict, got {actual!r}"]
        if list(actual) != list(expected):
            return [f"{path}: keys {list(actual)!r} != expected {list(expected)!r}"]
        problems: list[str] = []
        for key in expected:
            problems += _mismatches(actual[key], expected[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: {actual!r} != expected {expected!r}"]
        problems = []
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            problems += _mismatches(a, e, f"{path}[{i}]")
        return problems
    if isinstance(expected, float):
        if not isinstance(actual, float):
            return [f"{path}: expected float {expected!r}, got {actual!r}"]
        if path.endswith(EXACT_FLOAT_FIELDS):
            # Exactly rounded sums on both sides (the core's superaccumulator, math.fsum).
            return [] if actual == expected else [f"{path}: {actual!r} != exactly {expected!r}"]
        if math.isnan(expected) or math.isnan(actual):
            return [] if math.isnan(expected) and math.isnan(actual) else [f"{path}: NaN"]
        if math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
        return [f"{path}: {actual!r} != expected {expected!r}"]
    if type(actual) is not type(expected) or actual != expected:
        return [f"{path}: {actual!r} != expected {expected!r}"]
    return []


def assert_matches_reference(
    actual: dict[str, Any],
    expected: dict[str, Any],
    *,
    compare_reasons: bool = False,
) -> None:
    """`actual` (from `output_as_dict`) equals the reference's `expected` on every field.
    Error-sample reasons are free text, so only index, field and value are compared
    unless `compare_reasons`. The trend type is compared strictly: the core classes the
    exact velocity, t-statistic and recency as the reference does (session 56), so a
    velocity on a threshold is no tie to excuse."""
    actual = dict(actual)
    expected = dict(expected)
    if not compare_reasons:
        actual["data_quality"] = _without_reasons(actual["data_quality"])
        expected["data_quality"] = _without_reasons(expected["data_quality"])
    problems = _mismatches(actual, expected, "output")
    assert not problems, "\n".join(problems)


def _without_reasons(quality: dict[str, Any]) -> dict[str, Any]:
    for sample in quality["error_samples"]:
        assert isinstance(sample["reason"], str)
        assert sample["reason"]
    return {
        **quality,
        "error_samples": [
            {k: v for k, v in sample.items() if k != "reason"}
            for sample in quality["error_samples"]
        ],
    }
