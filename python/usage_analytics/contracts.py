"""Pydantic v2 contracts: the replaced system's names, DESIGN.md's semantics.

The record list (`execution_data`) is deliberately *not* validated by pydantic:
validating a `list[dict]` costs more than the whole reduction. It is passed through
untouched and read by the Rust core, which validates every record itself and reports
bad ones by index, field, value and reason.

Time resolution: instants are microseconds (DESIGN.md: bucketing is integer arithmetic on
i64 microseconds), like Python's datetime. Finer ones (Arrow and numpy nanoseconds, ISO
text with 7-9 fraction digits, pandas Timestamps) are floored to the microsecond before
anything compares them, so a time less than a microsecond after the window end counts
as at the end, and is in the window.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticUndefined

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.dispatch import records_container
from usage_analytics.window_bounds import numeric_window_bound

if TYPE_CHECKING:
    from usage_analytics.health import HealthFinding, HealthThresholds


class TimeWindowType(str, Enum):
    """The kind of window analysed; it picks the default trend bucket width."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ALL_TIME = "all_time"
    CUSTOM = "custom"


class AnalyticsGranularity(str, Enum):
    """SUMMARY skips the breakdowns (context distribution); DETAILED follows the
    flags; COMPREHENSIVE adds the per-bucket time series and predictions."""

    SUMMARY = "summary"
    DETAILED = "detailed"
    COMPREHENSIVE = "comprehensive"


class UsageTrendType(str, Enum):
    GROWING = "growing"
    STABLE = "stable"
    DECLINING = "declining"
    EMERGING = "emerging"
    ABANDONED = "abandoned"


OnInvalid = Literal["raise", "skip"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """A datetime as integer microseconds since the Unix epoch, exactly; naive (or of a
    tzinfo naming no offset) = UTC, as the contract reads it. (A request changed by
    `model_copy(update=...)`, which pydantic does not validate, may hold a naive bound.)"""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // ONE_MICROSECOND


#: The core's cap on trend buckets (rust/buckets.rs MAX_BUCKETS): memory stays bounded.
MAX_TREND_BUCKETS = 1_000_000
#: The widest trend bucket (10,000 years: any window of Python's datetime range in one).
MAX_BUCKET_WIDTH = timedelta(days=3_652_500)


def json_safe(value: Any) -> Any:
    """`value` with every non-finite float in its dicts and lists replaced by None, as
    JavaScript's JSON.stringify writes them (Python would write `Infinity`, which JSON
    parsers and PostgreSQL's jsonb reject)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def _json_float(value: float, info: SerializationInfo) -> float | str | None:
    """A float as JSON holds it: itself, or the string pydantic writes for a non-finite
    one (and reads back into a float); None where the dump's context asks for JSON
    without such strings (`to_dict`)."""
    if math.isfinite(value):
        return value
    context = info.context
    if isinstance(context, Mapping) and context.get("non_finite") == "null":
        return None
    return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")


#: A float that can pass the largest double (a total or a std of huge execution times, a
#: health ratio): in JSON, and in `model_dump(mode="json")` alike, the string "Infinity"
#: when it does, and a JSON schema that says so. (Left to pydantic, `model_dump_json`
#: wrote "Infinity" but `model_dump(mode="json")` the float, which web frameworks'
#: encoders refuse, and the schema promised only numbers.)
OverflowingFloat = Annotated[
    float,
    PlainSerializer(_json_float, return_type=float | str | None, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"enum": ["Infinity", "-Infinity", "NaN"]}]}),
]


#: A list or dict field longer than this is shown by `repr` as its first items and its
#: length (a time series of a million buckets, a batch of 20,000 patterns).
REPR_ITEMS = 100
_REPR_SHOWN = 3

#: pydantic's own slot of a model's set of given fields, read past `_Model`'s descriptor.
_PYDANTIC_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"]


def _holds_fields_set(model: BaseModel) -> bool:
    """Whether `model`'s set of given fields exists (not yet made on read: see `_Model`)."""
    try:
        _PYDANTIC_FIELDS_SET.__get__(model, type(model))
    except AttributeError:
        return False
    return True


def _copy_without_fields_set(model: BaseModel, memo: dict[int, Any] | None) -> Any:
    """pydantic's `__copy__` of `model` (`__deepcopy__` with `memo`, None for a shallow
    copy), but the copy's set of given fields left unmade, as `model`'s is (a set never
    made reads as all the fields, on either: see `_Model`). pydantic's read the set,
    making it on `model` and each model it holds, then copied it (4.8 KB a DETAILED
    output, made twice, `benches/output_copy.py`)."""
    cls = type(model)
    copied = cls.__new__(cls)
    if memo is not None:
        memo[id(model)] = copied  # (before its values, which may hold it)

    def take(value: Any) -> Any:
        return copy.copy(value) if memo is None else copy.deepcopy(value, memo)

    object.__setattr__(copied, "__dict__", take(model.__dict__))
    object.__setattr__(copied, "__pydantic_extra__", take(model.__pydantic_extra__))
    private = getattr(model, "__pydantic_private__", None)
    if private is not None:
        # (pydantic's own: a shallow copy's private values are its own dict's, unset ones
        # left out.)
        private = {key: value for key, value in private.items() if value is not PydanticUndefined}
        private = private if memo is None else copy.deepcopy(private, memo)
    object.__setattr__(copied, "__pydantic_private__", private)
    return copied


class _Elided:
    """What `repr` shows of a long list or dict: its first items, then how many."""

    def __init__(self, items: list[Any] | dict[Any, Any]) -> None:
        self.items = items

    def __repr__(self) -> str:
        if isinstance(self.items, dict):
            shown = [f"{key!r}: {value!r}" for key, value in list(self.items.items())[:_REPR_SHOWN]]
            opening, closing = "{", "}"
        else:
            shown = [repr(item) for item in self.items[:_REPR_SHOWN]]
            opening, closing = "[", "]"
        return f"{opening}{', '.join(shown)}, ... ({len(self.items):,} in all){closing}"


class _Model(BaseModel):
    # An infinite or NaN float (a sum of execution times past the largest double) is
    # written to JSON as the string "Infinity" or "NaN", which reads back as the float;
    # pydantic's default, null, would not read back into a float field.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="strings")

    if not TYPE_CHECKING:
        # pydantic's slot of the fields each model was given, but a model the core made
        # (every field set) gets its set of all the fields on the first read, not when it
        # is made: half of a batch output's memory, and read by almost nobody. Each model
        # still has its own set, the same one on every read (`rust/fields_set.rs`).
        __pydantic_fields_set__ = _core.FieldsSetSlot(_PYDANTIC_FIELDS_SET)

        def __getstate__(self) -> dict[Any, Any]:
            # A set never made is left out of the pickle rather than made for it: pydantic's
            # state reads the set, so pickling an output made its seven sets (4.8 KB) and
            # unpickling gave each copy its own (10.4 KB an output instead of 5.2).
            if _holds_fields_set(self):
                return super().__getstate__()
            return {
                "__dict__": self.__dict__,
                "__pydantic_extra__": self.__pydantic_extra__,
                "__pydantic_private__": self.__pydantic_private__,
            }

        def __setstate__(self, state: dict[Any, Any]) -> None:
            super().__setstate__(state)
            if "__pydantic_fields_set__" not in state:
                # (pydantic stored an empty set: emptied, the slot reads as all the fields.)
                object.__delattr__(self, "__pydantic_fields_set__")

        # A set never made is left unmade by a copy too, on the model and on its copy
        # (which reads as all the fields, as the model's would): pydantic's copies read
        # the set. `model_copy` copies through these; with `update`, it reads the copy's
        # set (made then, of all the fields) to add the updated names, as pydantic does.
        def __copy__(self) -> Any:
            if _holds_fields_set(self):
                return super().__copy__()
            return _copy_without_fields_set(self, None)

        def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
            if _holds_fields_set(self):
                return super().__deepcopy__(memo)
            return _copy_without_fields_set(self, {} if memo is None else memo)

    def __repr_args__(self) -> Any:
        # Long fields elided, as numpy elides long arrays: besides being unreadable, the
        # whole repr of a large output took seconds, and CPython 3.11's asyncio.run makes
        # one of the coroutine's result when it closes (an error message it formats in
        # `signal.getsignal` holds the task): 2.3 s of a 0.3 s batch of 20,000 patterns.
        for name, value in super().__repr_args__():
            if isinstance(value, (list, dict)) and len(value) > REPR_ITEMS:
                yield name, _Elided(value)
            else:
                yield name, value


class UsageFrequencyMetrics(_Model):
    total_executions: int
    executions_per_day: float
    executions_per_week: float
    executions_per_month: float
    unique_contexts: int
    unique_users: int
    peak_daily_usage: int
    time_since_last_use: float | None = Field(
        description="Hours from the latest execution to the window end; None without records."
    )


class SuccessMetrics(_Model):
    success_count: int
    failure_count: int
    success_rate: float
    error_rate: float
    timeout_count: int
    quality_gate_failures: int
    avg_quality_score: float


class PerformanceMetrics(_Model):
    """Over the records that carry an execution time (`sample_count` of them).
    Percentiles are numpy's `method="linear"`: exact from a reduction, and from a streaming
    accumulator while it holds at most its `exact_budget` times; past that they come from a
    relative-error sketch (`percentile_method`). std is the sample std (ddof=1). min and
    max are always exact; the total, mean and std are kept whatever the budget (never
    sketched), in floating point: a float sum of the times, so within rounding of the
    exact values (the total of 0.1, 0.2 and 0.3 is 0.6000000000000001, as `sum` gives)."""

    avg_execution_time_ms: float
    p50_execution_time_ms: float
    p95_execution_time_ms: float
    p99_execution_time_ms: float
    min_execution_time_ms: float
    max_execution_time_ms: float
    std_dev_ms: OverflowingFloat
    total_execution_time_ms: OverflowingFloat
    sample_count: int
    percentile_method: Literal["exact", "sketch"] = Field(
        default="exact", description="How p50/p95/p99 were computed."
    )
    percentile_relative_error: float = Field(
        default=0.0,
        description="Bound on the percentiles' relative error (0.0 when exact).",
    )


class UsageTimeBucket(_Model):
    """One trend bucket (COMPREHENSIVE granularity)."""

    start: datetime
    end: datetime
    executions: int
    rate_per_day: float


class UsagePrediction(_Model):
    """Linear extrapolation of the trend line over the next window of the same length.

    Experimental, as in the replaced system: a straight line through bucket rates, clipped
    at zero, not a forecast model.
    """

    horizon_days: float
    predicted_daily_rate: float
    predicted_executions: float


class TrendAnalysis(_Model):
    """The trend over the window's buckets. Where DESIGN.md is silent or its `n` is
    ambiguous, these are the choices (and the tests' reference makes the same):

    - `n` is the number of buckets in the halves (`n // 2`), the quarters
      (`q = max(1, n // 4)`) and growth's "n < 2"; it is the number of records in the
      confidence score and the ABANDONED (`n < 5`) and EMERGING (`n < 10`) rules. So a
      single record in a window of many buckets has a growth: 100.0 when it falls in the
      last quarter (the first quarter's buckets are empty).
    - A record exactly at the window's midpoint is in the second half; one exactly a
      quarter of the window before its end is in the last quarter ("recent").
    - Buckets are fixed spans of microseconds from the window's start, not local calendar
      days: across a daylight-saving change a day-wide bucket does not end at local
      midnight (days, hours and weekdays in the distributions are local)."""

    trend_type: UsageTrendType
    velocity: float = Field(description="OLS slope of bucket rates, executions/day per day.")
    acceleration: float
    adoption_rate: float = Field(description="New agents in the second half per week.")
    retention_rate: float
    churn_rate: float
    growth_percentage: float
    confidence_score: float
    bucket_count: int
    bucket_width_seconds: float
    velocity_significant: bool = Field(
        description="|t| of the OLS slope >= the threshold (a perfect fit or < 3 buckets counts)."
    )
    time_series: list[UsageTimeBucket] | None = None
    predictions: UsagePrediction | None = None


class ContextDistribution(_Model):
    """Counts per value; only values that occur appear. String keys are ordered by count
    (descending, ties by value); hours and weekdays (0 = Monday) by key."""

    by_context_type: dict[str, int]
    by_agent: dict[str, int]
    by_project: dict[str, int]
    by_file_type: dict[str, int]
    by_time_of_day: dict[int, int]
    by_day_of_week: dict[int, int]


class InvalidRecordSample(_Model):
    index: int
    field: str
    value: str = Field(description="repr() of the offending value, shortened.")
    reason: str
    location: str | None = Field(
        default=None,
        description=(
            "Where the record is when its index alone does not place it: a pandas "
            "frame's row by its index label (\"index label 'b'\"), for `df.loc`. Left "
            "out of dumps and `to_dict()` when None."
        ),
        exclude_if=lambda location: location is None,
    )

    def describe(self) -> str:
        """The record as an error names it: "record 1", "record 1 (index label 'b')"."""
        return f"record {self.index}" + ("" if self.location is None else f" ({self.location})")


class DataQuality(_Model):
    records_received: int
    records_in_window: int
    records_outside_window: int
    invalid_records: int
    error_samples: list[InvalidRecordSample]


class TrendThresholds(_Model):
    """Trend classification thresholds (DESIGN.md defaults)."""

    growing_velocity: float = 0.5
    declining_velocity: float = -0.5
    abandoned_velocity: float = -2.0
    # (The core counts in unsigned 64-bit integers.)
    abandoned_max_executions: int = Field(default=5, ge=0, le=2**64 - 1)
    emerging_max_executions: int = Field(default=10, ge=0, le=2**64 - 1)
    min_t_statistic: float = Field(default=2.0, ge=0)
    recent_fraction: float = Field(default=0.25, gt=0, le=1)

    @model_validator(mode="after")
    def _finite(self) -> TrendThresholds:
        for name, value in self:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        # GROWING is tested first: with the thresholds crossed, a flat series would grow.
        if self.declining_velocity > self.growing_velocity:
            raise ValueError(
                f"declining_velocity ({self.declining_velocity}) must not be above "
                f"growing_velocity ({self.growing_velocity})"
            )
        return self


def _as_utc(value: datetime) -> datetime:
    """The instant `value` names, in UTC: naive datetimes are UTC (DESIGN.md), aware ones
    are converted (the calendar's zone is the request's `timezone`, not the bound's). An
    offset kept as given did not survive JSON, which writes whole minutes (a local mean
    time's -00:44:30 named another instant), nor equality, which Python denies a time in
    a DST fold or gap after a round trip. The instant must be one Python can write in
    UTC (years 1 to 9999): the output's buckets and times are UTC datetimes. A subclass
    (pandas' Timestamp) becomes a plain datetime, floored to the microsecond as the core
    reads it, so that the output holds the instant analysed; pandas' NaT is refused."""
    if value != value:  # (pandas' NaT, a datetime that equals nothing)
        raise ValueError("not a time (NaT): a window bound must be an instant")
    if type(value) is not datetime:  # (by its fields: a subclass may override methods)
        value = datetime(
            *(value.year, value.month, value.day, value.hour, value.minute, value.second),
            value.microsecond,
            value.tzinfo,
            fold=value.fold,
        )
    if value.tzinfo is None or value.utcoffset() is None:  # (a tzinfo that names no offset)
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is outside the years 1 to 9999 in UTC") from None


#: The `timezone` fields' description (a request's and a batch request's).
TIMEZONE_DESCRIPTION = (
    "IANA zone of the calendar fields, by the tz database bundled with the library: the "
    "same rules on every platform, which may be newer than the system's (zoneinfo's)."
)


def known_time_zone(value: str) -> str:
    """The tzdb's spelling of the IANA time zone (or "UTC") `value` names, whatever its
    case ("europe/berlin" is "Europe/Berlin", which `zoneinfo.ZoneInfo` reads), else a
    ValueError."""
    return _core.check_timezone(value)


def normalize_pattern_id(value: Any) -> Any:
    """A UUID, or a str: a UUID-shaped str becomes a UUID, any other non-empty str stays
    as given (services often name patterns, e.g. "checkout-endpoint"). Any other value
    is refused in one line naming its type, as `UsageAccumulator.finalize` refuses it."""
    if not isinstance(value, (str, UUID)):
        # Bytes: pydantic read them as text, b"" an empty id past the check below, or 16
        # of them as a UUID's. None, an int, a float: pydantic's error of the union was
        # two, one a UUID's ("UUID input should be a string, bytes or UUID object") that
        # misled where the id was just not set.
        raise ValueError(f"pattern_id must be a UUID or a str, got {type(value).__name__}")
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("pattern_id must not be empty")
        try:
            value.encode()
        except UnicodeEncodeError as error:  # (no output of it could be written as JSON)
            raise ValueError(
                f"pattern_id must be Unicode text: it holds a lone surrogate "
                f"({value[error.start]!r}) at position {error.start}"
            ) from None
        return uuid_or_text(value)
    return value


#: The spellings of a UUID that systems write, and the only ones read as one (the core's
#: batch grouping, rust/group.rs `uuid_text`, reads the same): 32 hex digits, or 8-4-4-4-12
#: with hyphens, in either case, optionally in braces, optionally after "urn:uuid:" in
#: either case. (`uuid.UUID` also reads "uuid:" and "urn:" alone, any number of braces and
#: hyphens anywhere: text that no system writes for a UUID stays text.)
_UUID_SPELLING = re.compile(
    r"(?:urn:uuid:)?(?P<brace>\{)?"
    r"(?P<hex>[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?(brace)\})",
    re.ASCII | re.IGNORECASE,
)


def uuid_spelled(text: str) -> UUID | None:
    """The UUID `text` spells (see `_UUID_SPELLING`), else None."""
    if len(text) < 32:  # every spelling has at least the 32 hex digits: no match needed
        return None
    match = _UUID_SPELLING.fullmatch(text)
    return None if match is None else UUID(hex=match["hex"])


def uuid_or_text(text: str) -> UUID | str:
    """`text` as the UUID it spells (see `uuid_spelled`), else as given."""
    uuid = uuid_spelled(text)
    return text if uuid is None else uuid


class AnalyticsRequest(BaseModel):
    """What every reduction request has: the window, what to compute, and the records.

    The window's bounds are datetimes (naive = UTC), ISO-8601 text, numpy datetime64s,
    or ints of epoch microseconds, as columnar records' integer timestamps are (one in
    1970 is refused as looking like seconds or milliseconds; a float or the text of a
    number is refused: see `usage_analytics.window_bounds`).

    `execution_data` is a list (or tuple) of record mappings, a dict of columns, or any
    Arrow-compatible table (see `usage_analytics.ingest`). It is passed through without
    per-record pydantic validation or copying; the Rust core validates each record.
    An `execution_time_ms` may be a duration in any form (`datetime.timedelta`, pandas
    `Timedelta`, numpy `timedelta64`, an Arrow `duration` column of any unit, polars
    `Duration`, DuckDB's INTERVAL without months): it is read as its milliseconds,
    exactly, rounded once; NaT is missing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    time_window_start: datetime
    time_window_end: datetime
    time_window_type: TimeWindowType = TimeWindowType.WEEKLY
    granularity: AnalyticsGranularity = AnalyticsGranularity.DETAILED
    include_trends: bool = True
    include_performance: bool = True
    include_distribution: bool = True
    include_predictions: bool = False
    execution_data: Any = Field(default_factory=list, repr=False)
    correlation_id: UUID = Field(default_factory=uuid4)
    on_invalid: OnInvalid = "raise"
    timezone: str = Field(default="UTC", description=TIMEZONE_DESCRIPTION)
    bucket_width: timedelta | None = Field(
        default=None,
        description="Trend bucket width; default from the window type.",
        validate_default=True,
    )
    trend_thresholds: TrendThresholds = Field(default_factory=TrendThresholds)

    # An int bound is epoch microseconds, as records' integer timestamps are; another
    # number, or the text of one, is refused (pydantic read them as epoch seconds).
    _numeric_bound = field_validator("time_window_start", "time_window_end", mode="before")(
        numeric_window_bound
    )

    @field_validator("time_window_start", "time_window_end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("execution_data")
    @classmethod
    def _records_container(cls, value: Any) -> Any:
        try:
            return records_container(value)
        except UsageAnalyticsError as error:
            raise ValueError(str(error)) from None

    _known_zone = field_validator("timezone")(known_time_zone)

    @field_validator("bucket_width")
    @classmethod
    def _positive_width(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(microseconds=1):
            raise ValueError(f"bucket_width must be positive, got {value}")
        if value is not None and value > MAX_BUCKET_WIDTH:
            raise ValueError(f"bucket_width must be at most {MAX_BUCKET_WIDTH}, got {value}")
        return value

    # The window's checks are field validators, not one of the model: a model's error
    # carries the whole input, and a web framework's 422 response echoes it (a request of
    # 10,000 records with its window the wrong way round answered with a megabyte).
    @field_validator("time_window_end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("time_window_start")  # (absent if it was invalid itself)
        if start is not None and end <= start:
            raise ValueError(
                f"time_window_end ({end.isoformat()}) must be after "
                f"time_window_start ({start.isoformat()})"
            )
        return end

    @field_validator("bucket_width")
    @classmethod
    def _buckets_allowed(cls, width: timedelta | None, info: ValidationInfo) -> timedelta | None:
        """The trend buckets (of the width given, else the window type's): the core knows
        the widths and its cap (MAX_TREND_BUCKETS), so it checks them. (Run for the
        default width too: `validate_default`.)"""
        start, end = info.data.get("time_window_start"), info.data.get("time_window_end")
        window_type = info.data.get("time_window_type")
        if start is None or end is None or window_type is None:
            return width  # (one of them was refused already)
        try:
            _core.check_window(
                micros(start),
                micros(end),
                window_type.value,
                None if width is None else width // ONE_MICROSECOND,
            )
        except ValueError as error:
            span = end - start
            if width is not None:
                raise ValueError(f"bucket_width {width} over {span}: {error}") from None
            raise ValueError(
                f"time_window_type {window_type.value!r} over {span}: {error}; "
                "set a wider bucket_width or another time_window_type"
            ) from None
        return width


class ModelUsageAnalyticsInput(AnalyticsRequest):
    """One pattern's records and the window to analyse."""

    pattern_id: UUID | str

    _normalize_pattern_id = field_validator("pattern_id", mode="before")(normalize_pattern_id)


class ModelUsageAnalyticsBatchInput(AnalyticsRequest):
    """Many patterns' records in one input: each record (or row) carries a `pattern_id`
    (a str, an int or a UUID). Records are grouped once and the groups reduced in
    parallel; each pattern gets the same analytics as a single call on its records.
    An id given in two forms (a UUID and its text, an int and its decimal text) is one
    pattern, keyed in `results` by the form met first. A column of float ids (numpy's
    and pandas' ints with a missing one) is read as ints: a whole number is that int id,
    NaN a missing id, any other float its record's error (a float in a record or a list
    is the caller's value, and that record's error).

    With `on_invalid="skip"` each pattern's `data_quality` counts and describes its own
    invalid records (a sample's `index` is among the pattern's records), as that single
    call does; a pattern whose records are all invalid has a result too. A record whose
    `pattern_id` is missing or bad belongs to no pattern: the batch output's
    `data_quality` (over the whole input, indexes into it) counts it."""


class ModelUsageAnalyticsOutput(_Model):
    pattern_id: UUID | str

    # A UUID written as JSON text reads back as the UUID, as the input contract reads it.
    _uuid_pattern_id = field_validator("pattern_id", mode="before")(
        lambda value: uuid_or_text(value) if isinstance(value, str) else value
    )
    time_window_start: datetime
    time_window_end: datetime
    time_window_type: TimeWindowType
    granularity: AnalyticsGranularity
    timezone: str = Field(default="UTC", description=TIMEZONE_DESCRIPTION)
    usage_metrics: UsageFrequencyMetrics
    success_metrics: SuccessMetrics
    performance_metrics: PerformanceMetrics | None
    trend_analysis: TrendAnalysis | None
    context_distribution: ContextDistribution | None
    total_data_points: int = Field(description="Records received, valid or not.")
    analytics_quality_score: float
    computation_time_ms: float
    correlation_id: UUID
    computed_at: datetime
    data_quality: DataQuality

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (full precision): the window, the five families (None where
        not computed), a summary and the data quality. JSON has no infinities, so the
        numbers that can pass the largest double (a total, a standard deviation of
        execution times near 1e154 ms and beyond) are None (see `json_safe`)."""
        dumped = self.model_dump(mode="json", context={"non_finite": "null"})
        document: dict[str, Any] = json_safe(
            {
                "pattern_id": dumped["pattern_id"],
                "correlation_id": dumped["correlation_id"],
                "time_window": {
                    "start": dumped["time_window_start"],
                    "end": dumped["time_window_end"],
                    "type": dumped["time_window_type"],
                    "granularity": dumped["granularity"],
                    "timezone": self.timezone,
                },
                "usage_metrics": dumped["usage_metrics"],
                "success_metrics": dumped["success_metrics"],
                "performance_metrics": dumped["performance_metrics"],
                "trend_analysis": dumped["trend_analysis"],
                "context_distribution": dumped["context_distribution"],
                "summary": {
                    "total_data_points": self.total_data_points,
                    "analytics_quality_score": self.analytics_quality_score,
                    "computation_time_ms": self.computation_time_ms,
                    "computed_at": dumped["computed_at"],
                },
                "data_quality": dumped["data_quality"],
            }
        )
        return document

    def to_json(self, **kwargs: Any) -> str:
        """`to_dict()` as JSON text (`json.dumps` options pass through)."""
        return json.dumps(self.to_dict(), **{"allow_nan": False, **kwargs})

    def health(self, thresholds: HealthThresholds | None = None) -> list[HealthFinding]:
        """Health findings (success, errors, latency, quality, recency, trend), worst
        first; empty for a healthy pattern. See `usage_analytics.health`."""
        from usage_analytics.health import evaluate_health  # here: health imports this module

        return evaluate_health(self, thresholds)


class ModelUsageAnalyticsBatchOutput(_Model):
    """One `ModelUsageAnalyticsOutput` per pattern, keyed by the pattern id as given.

    JSON object keys are text: read back from JSON (`model_validate_json`), an int key is
    its text and a UUID's text its UUID; each result's own `pattern_id` reads back as it
    was. `model_validate` of a dict decoded from JSON (an HTTP client's `resp.json()`)
    keeps every key as its text: a key that is text may spell a UUID as given (the first
    spelling of its pattern met), so only JSON's own reading turns such text into UUIDs.
    Key by `str(pattern_id)` where both forms must meet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    results: dict[UUID | int | str, ModelUsageAnalyticsOutput]
    data_quality: DataQuality = Field(description="Over the whole input.")
    computation_time_ms: float = Field(
        description="From the call's start until every pattern's output was built. "
        "Each result's own runs until its pattern's result was read from the core "
        "(patterns are finalized while the first outputs are built, so later ones show "
        "more)."
    )
    correlation_id: UUID
    computed_at: datetime

    def to_arrow(self) -> Any:
        """One row per pattern with the headline metrics (a pyarrow Table), for dashboards.

        `pattern_id` is each result's id as text, a UUID in its canonical form (as the
        store and the dashboard write it), which for a key given in another spelling is not
        that key (join on `str(result.pattern_id)`). The execution-time columns are null for
        a pattern without timed records (`sample_count`, the last column, 0)."""
        from usage_analytics.extras import require_pyarrow

        pa = require_pyarrow("to_arrow()")
        columns = _headline_columns(self.results)
        return pa.table(
            [pa.array(columns[name], getattr(pa, kind)()) for name, kind in _HEADLINE_FIELDS],
            names=[name for name, _ in _HEADLINE_FIELDS],
        )


_HEADLINE_FIELDS: tuple[tuple[str, str], ...] = (
    ("pattern_id", "string"),
    ("total_executions", "int64"),
    ("executions_per_day", "float64"),
    ("success_rate", "float64"),
    ("error_rate", "float64"),
    ("avg_quality_score", "float64"),
    ("p50_execution_time_ms", "float64"),
    ("p95_execution_time_ms", "float64"),
    ("p99_execution_time_ms", "float64"),
    ("avg_execution_time_ms", "float64"),
    ("std_dev_ms", "float64"),
    ("trend_type", "string"),
    ("velocity", "float64"),
    ("time_since_last_use", "float64"),
    ("analytics_quality_score", "float64"),
    ("sample_count", "int64"),
)


def _headline_columns(results: dict[Any, ModelUsageAnalyticsOutput]) -> dict[str, list[Any]]:
    """The headline metrics column by column (None where a family was not computed, and
    the execution-time metrics None for a pattern without timed records, whose model
    holds zeros: as the store and the dashboard write them). A pattern's id is its
    result's, as text (a UUID in its canonical form, whatever the key's spelling), as the
    store and the dashboard write it. pyarrow converts each list in one typed pass,
    several times faster than a table from one dict per pattern."""
    outputs = list(results.values())
    usage = [r.usage_metrics for r in outputs]
    success = [r.success_metrics for r in outputs]
    performance = [r.performance_metrics for r in outputs]
    trend = [r.trend_analysis for r in outputs]

    def of_performance(field: str) -> list[Any]:
        return [None if p is None or not p.sample_count else getattr(p, field) for p in performance]

    return {
        "pattern_id": [str(r.pattern_id) for r in outputs],
        "total_executions": [u.total_executions for u in usage],
        "executions_per_day": [u.executions_per_day for u in usage],
        "success_rate": [s.success_rate for s in success],
        "error_rate": [s.error_rate for s in success],
        "avg_quality_score": [s.avg_quality_score for s in success],
        "p50_execution_time_ms": of_performance("p50_execution_time_ms"),
        "p95_execution_time_ms": of_performance("p95_execution_time_ms"),
        "p99_execution_time_ms": of_performance("p99_execution_time_ms"),
        "avg_execution_time_ms": of_performance("avg_execution_time_ms"),
        "std_dev_ms": of_performance("std_dev_ms"),
        "trend_type": [None if t is None else t.trend_type.value for t in trend],
        "velocity": [None if t is None else t.velocity for t in trend],
        "time_since_last_use": [u.time_since_last_use for u in usage],
        "analytics_quality_score": [r.analytics_quality_score for r in outputs],
        "sample_count": [None if p is None else p.sample_count for p in performance],
    }
