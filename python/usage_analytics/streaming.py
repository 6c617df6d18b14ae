"""Mergeable analytics state: streaming updates, partitions merged anywhere, rolling windows.

`UsageAccumulator` (one pattern) and `BatchUsageAccumulator` (many, by `pattern_id`) expose
the core's accumulate / merge / finalize shape: feed records as they come with `update`,
combine states built anywhere (threads, processes, Dask workers) with `merge`, ship them as
bytes (`to_bytes` / `from_bytes`, pickle), and `finalize` into the reducer's output models.

Exactness: a finalized accumulator equals one reduction over the same records - counts,
rates, distributions, the trend and the average quality score exactly (the scores' sum is
exact and correctly rounded, like `math.fsum`, so no split or merge order changes it); the
execution times' mean, std and total up to float rounding (merging moments in another
order: about 1e-14 relative for times of ordinary spread; the std of times whose spread is
tiny against their size, a coefficient of variation below about 1e-8 such as 1e9 ms plus
up to 1e-3, agrees to only 1e-8 to 1e-5, since each part's mean is held as a float) -
except the percentiles: while an
accumulator (a merge result too) holds at most `exact_budget` execution times it keeps them
and the percentiles are exact; past that it keeps exact moments and a DDSketch-style sketch,
and p50/p95/p99 are within `relative_accuracy` of the exact values
(`performance_metrics.percentile_method` says which).

Serialized state: `b"UAST"`, a format version (u16 LE; 8 since the state's error samples
keep their records' locations, stored after the rest where one has any: version 7's
states, which end before them, still load, their samples without locations, and a state
with no location is written as version 7, which releases before 8 read; 7 since a
sketch of a mostly empty span stores only its occupied bins, 6 since a summary stores the
low part of its mean, 5 since execution times and agents' instants are stored as bytes and
tally names once per state: versions 1-6, which no release wrote, are refused), the
CRC-32 of the payload (u32 LE, zlib's), then the payload (the core's state and these
settings as JSON). Loading checks all of it and the consistency of every part; malformed
bytes raise `UsageAnalyticsError`.

`RollingUsageAnalytics` keeps the last `window` of records in buckets of `bucket` (aligned
to the Unix epoch) and snapshots them: the old system's real-time monitoring loop. It is
saved and restored the same way (`to_bytes` / `from_bytes`, pickle) under its own magic,
`b"UARW"`, and format version (2 since its error samples keep their records' locations,
stored after the rest where one has any: a monitor with none is written as version 1,
which is read too): its buckets are stored as accumulators are.
"""

from __future__ import annotations

import contextlib
import functools
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from usage_analytics import _core
from usage_analytics.contracts import (
    AnalyticsGranularity,
    AnalyticsRequest,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    OnInvalid,
    TimeWindowType,
    TrendThresholds,
    known_time_zone,
    micros,
    normalize_pattern_id,
)
from usage_analytics.errors import TimestampUnitWarning, UsageAnalyticsError
from usage_analytics.ingest.dispatch import read_any
from usage_analytics.ingest.spellings import warn_of_spellings
from usage_analytics.input_notes import (
    epoch_unit_hint,
    filed_unit_hint,
    index_label,
    noted_stream,
)
from usage_analytics.merge_refusal import setting_differences
from usage_analytics.output import analytics_output, batch_output, datetime_of
from usage_analytics.reducer import core_options, raise_if_invalid
from usage_analytics.state_lock import StateLock

__all__ = [
    "BatchUsageAccumulator",
    "RollingUsageAnalytics",
    "StreamingSettings",
    "UsageAccumulator",
]

#: The finest sketch accuracy the core accepts.
FINEST_RELATIVE_ACCURACY = 1e-4
#: Most buckets a rolling window may have.
MAX_ROLLING_BUCKETS = 100_000
#: The longest rolling window (and so bucket).
MAX_ROLLING_WINDOW = timedelta(days=36_525)
#: Most execution times an accumulator may keep exactly (a state holds at most 2^53 records).
MAX_EXACT_BUDGET = 1 << 53

# Most bytes of stored settings read back. `to_bytes` stores their JSON, under a kilobyte
# (numbers, flags, a UUID, a zone's name, enums); a hostile state's can be as large as the
# state, and pydantic's JSON parser aborts the process where it cannot allocate (a 70 MB
# text under an address-space limit, with 128 MB to spare), while the rest of reading a
# state raises MemoryError. (The design is silent on this; the bound is ours.)
_MAX_SETTINGS_BYTES = 1 << 16
#: The validation context of settings read back from bytes (`RollingMonitor.from_bytes`).
STORED: Mapping[str, bool] = MappingProxyType({"stored": True})


class StreamingSettings(AnalyticsRequest):
    """A request without records, plus how execution times are kept: exactly up to
    `exact_budget` of them per accumulator, then in a sketch of `relative_accuracy`."""

    relative_accuracy: float = Field(default=0.01, ge=FINEST_RELATIVE_ACCURACY, lt=1.0)
    exact_budget: int = Field(default=1024, ge=0, le=MAX_EXACT_BUDGET)

    @field_validator("execution_data")
    @classmethod
    def _no_records(cls, value: Any) -> Any:
        # (Not by truth: a DataFrame's is ambiguous, an error of its own.)
        if not (isinstance(value, (list, tuple, Mapping)) and len(value) == 0):
            raise ValueError("settings carry no records: pass them to update()")
        return value

    def core_options(self, *, batch: bool) -> dict[str, Any]:
        return core_options(
            self,
            by_pattern=batch,
            exact_budget=self.exact_budget,
            relative_accuracy=self.relative_accuracy,
        )

    def comparable(self) -> dict[str, Any]:
        """What two accumulators must share to merge (not the correlation id nor the
        invalid-record mode, which only governs updates). The window as instants: Python
        calls two datetimes of one instant unequal when one falls in a fold or gap of its
        zone's clock and the other has a fixed offset (a stored state's). The trend buckets'
        width as the core takes it: no `bucket_width` is the window type's default, which
        may also be given."""
        shared = self.model_dump(exclude={"correlation_id", "on_invalid", "execution_data"})
        start, end = micros(self.time_window_start), micros(self.time_window_end)
        shared["time_window_start"], shared["time_window_end"] = start, end
        given = None if self.bucket_width is None else self.bucket_width // _ONE_MICROSECOND
        shared["bucket_width"] = _core.bucket_width(start, end, self.time_window_type.value, given)
        return shared


class _Accumulator:
    """What both accumulators share; `_batch` tells the kind."""

    _batch: ClassVar[bool]
    # The core state is borrowed for the whole of each call (the GIL is released inside),
    # so calls on one accumulator from several threads are serialized here; a call from
    # code the state itself runs mid-call raises (`state_lock`).
    __slots__ = ("_lock", "_settings", "_state")

    def __init__(
        self,
        time_window_start: datetime,
        time_window_end: datetime,
        time_window_type: TimeWindowType | str = TimeWindowType.WEEKLY,
        **settings: Any,
    ) -> None:
        self._settings = StreamingSettings(
            time_window_start=time_window_start,
            time_window_end=time_window_end,
            time_window_type=time_window_type,
            **{k: v for k, v in settings.items() if v is not None},
        )
        self._state = _core.CoreState(self._core_options())
        self._lock = StateLock(type(self).__name__)

    @property
    def settings(self) -> StreamingSettings:
        return self._settings

    def update(self, data: Any) -> None:
        """Add records in any form the reducer takes (execution times as numbers or as
        durations, read as their milliseconds: see `usage_analytics.ingest`). Atomic: in
        raise mode an invalid
        record raises `InvalidRecordError` and nothing of `data` is added (sample indexes
        are rows of `data`).

        A table or frame is read in place, as the reducer reads it, with the GIL released:
        do not write to the arrays under its columns (numpy-backed pandas or pyarrow
        columns) from another thread during the call. The state copies what it keeps and
        holds no reference to `data` afterwards.

        As in the reducer, an invalid record of a pandas frame of another index than 0 to
        n - 1 is named by its index label too: in the error, and in skip mode in the
        samples the state keeps (`location`, kept through merges and `to_bytes`; a
        sample's `index` is its record's row within the update that brought it, so two
        updates' samples may share one: the label tells them apart, `df.iloc[a:b]` of a
        default index labelled from `a`). `TimestampUnitWarning` warns where
        records of `data` lie outside the window and its integer timestamps look like
        epoch seconds or milliseconds; `ColumnNameWarning` where a column of `data` looks
        like a record field that none names exactly (`Success`), before it is read."""
        warn_of_spellings(data, grouped=self._batch)
        raw = self._added(data)
        settings = self._settings
        hint = epoch_unit_hint(raw, settings.time_window_start, settings.time_window_end)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)

    def _added(
        self, data: Any, locate: Callable[[int], str | None] | None = None
    ) -> dict[str, Any]:
        """`update` without its warning: the core's result of adding `data` (raising as
        `update` does), for a caller that warns once of many updates (`usage_analytics.
        dask`'s tasks, each a partition's, note it with their states: `UnitNote`).
        `locate(index)` gives each kept sample's `location`, kept with the state: by
        default a pandas row's index label (`input_notes.index_label`), as the reducer
        names it; a Dask task's names the row's label in the whole frame."""
        if locate is None:
            locate = functools.partial(index_label, data)
        with self._lock:
            raw = read_any(
                data,
                records=functools.partial(self._state.update_records, locate=locate),
                arrow=functools.partial(self._state.update_arrow, locate=locate),
                grouped=self._batch,
            )
        raise_if_invalid(self._settings, raw, data)
        return raw

    def merge(self, other: Self) -> Self:
        """A new accumulator holding the records of both (neither is changed). It starts
        as a copy of this one's state, so folding many accumulators one `merge` at a time
        (`acc = acc.merge(x)`) copies ever larger states (10,000 one-pattern batch states
        took 37.8 s, `benches/merge_chain.py`): `merge_in` folds each into this one (0.11
        s), `merge_many` all into one copy."""
        self._check_mergeable(other)
        with _locked(self, other):
            return self._with(self._settings, self._state.merge(other._state))

    def merge_in(self, other: Self) -> None:
        """Add the records of `other` to this accumulator, in place (`other` is not
        changed): `merge` without the copy, for folding states into one as they come.
        Atomic: if their settings differ (`UsageAnalyticsError`) or their kinds
        (`TypeError`), or the memory it needs cannot be had (`MemoryError`, checked
        first), nothing changes. Should memory still run out part way, the accumulator
        holds part of the records and raises `MemoryError` on every later use, never a
        silently wrong result."""
        self._check_mergeable(other)
        with _locked(self, other):
            if other is self:  # (the core cannot read a state while it writes it)
                self._state = self._state.merge(self._state)
            else:
                self._state.merge_in(other._state)

    def _check_mergeable(self, other: _Accumulator) -> None:
        if type(other) is not type(self):
            raise TypeError(f"cannot merge {type(self).__name__} with {type(other).__name__}")
        _check_same_settings(self._settings, other._settings)

    def _core_options(self) -> dict[str, Any]:
        return self._settings.core_options(batch=self._batch)

    @classmethod
    def merge_many(cls, accumulators: Iterable[Self]) -> Self:
        """One accumulator holding the records of all of `accumulators` (at least one;
        none is changed): a k-way merge that copies the first state once, cheaper than
        chaining `merge`."""
        iterator = iter(accumulators)
        first = next(iterator, None)
        if first is None:
            raise ValueError("merge_many needs at least one accumulator")
        if not isinstance(first, cls):  # (the others are checked by merge_in)
            raise TypeError(f"{cls.__name__}.merge_many got a {type(first).__name__}")
        merged = first.merge(first._with(first._settings, _core.CoreState(first._core_options())))
        for position, other in enumerate(iterator, 1):
            try:
                merged._check_mergeable(other)
            except (UsageAnalyticsError, TypeError) as refused:
                # (Which of many: a job's eighth state of twenty, say.)
                raise type(refused)(
                    f"{refused} (accumulators[0] vs accumulators[{position}])"
                ) from None
            merged.merge_in(other)
        return merged

    @classmethod
    def merge_bytes(cls, states: Iterable[bytes | bytearray | memoryview]) -> Self:
        """One accumulator holding the records of all of the serialized `states` (at
        least one): what `merge_many(from_bytes(s) for s in states)` gives, but each
        state is merged as it is read instead of loaded whole first (a Dask merge node's
        eight 10,000-pattern states: BENCHMARKS.md). Each state is checked as
        `from_bytes` checks it and each pair as `merge` does: `UsageAnalyticsError` if
        one is not a valid state of this kind or their settings differ; `MemoryError` if
        the memory to read or merge one cannot be had. Like loading and
        merging them one at a time, it holds one state's decoded form besides the merged
        one (each is read twice: first for its patterns' numbers of kept times).

        A pattern whose execution times will pass the exact budget is summarized before
        its first merge rather than when the budget is passed: its percentiles are the
        same, and the mean, std and total of its times may differ from `merge_many`'s by
        rounding (both are exact to within it)."""
        if isinstance(states, (bytes, bytearray, memoryview)):
            # (Iterated, one state is its ints: "needs bytes, got int" of given bytes.)
            raise TypeError(
                "merge_bytes takes an iterable of states, got one state "
                f"({type(states).__name__}): from_bytes(state) loads it, "
                "merge_bytes([state]) merges it with others"
            )
        blobs = [_checked_bytes(state, "merge_bytes") for state in states]
        if not blobs:
            raise ValueError("merge_bytes needs at least one state")
        try:
            state, metas = _core.CoreState.merge_serialized(blobs)
        except UsageAnalyticsError as refused:
            # The core says what is wrong but not of which state, and refuses differing
            # settings by what it holds of them ("predictions family (off vs on)" of a
            # granularity). Only on this failing path is each state loaded again.
            raise cls._located_refusal(blobs) or refused from None
        first = cls._stored_settings(state, metas[0])
        for position, meta in enumerate(metas[1:], 1):
            _check_same_settings(
                first, cls._stored_settings(state, meta), _among(position, len(metas))
            )
        return cls._configured(first, state)

    @classmethod
    def _located_refusal(cls, blobs: list[bytes]) -> UsageAnalyticsError | None:
        """The error of the first of `blobs` that does not load as a state of this kind,
        or `merge`'s error naming the settings in which it differs from the first, each
        naming the state's place in `blobs` (a Dask job's eighth state of twenty, say);
        None if each loads and agrees (the caller's error stands)."""
        first: StreamingSettings | None = None
        for position, blob in enumerate(blobs):  # (one decoded state at a time, as merging)
            try:
                state, meta = _core.CoreState.from_bytes(blob)
                settings = cls._stored_settings(state, meta)
            except UsageAnalyticsError as unreadable:
                return UsageAnalyticsError(f"states[{position}] (of {len(blobs)}): {unreadable}")
            if first is None:
                first = settings
                continue
            try:
                _check_same_settings(first, settings, _among(position, len(blobs)))
            except UsageAnalyticsError as differ:
                return differ
        return None

    def to_bytes(self) -> bytes:
        meta = self._settings.model_dump_json(exclude={"execution_data"}).encode()
        with self._lock:
            data: bytes = self._state.to_bytes(meta)
        return data

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """An accumulator from `to_bytes()` output; `UsageAnalyticsError` if the bytes are
        not a valid state of this kind; `MemoryError` if the memory to load it cannot be
        had."""
        state, meta = _core.CoreState.from_bytes(_checked_bytes(data, "from_bytes"))
        return cls._configured(cls._stored_settings(state, meta), state)

    @classmethod
    def _stored_settings(cls, state: Any, meta: bytes) -> StreamingSettings:
        """The settings stored with a loaded state of this kind."""
        if state.is_batch != cls._batch:
            kind = "BatchUsageAccumulator" if state.is_batch else "UsageAccumulator"
            raise UsageAnalyticsError(f"these bytes hold a {kind}; use {kind}.from_bytes")
        if len(meta) > _MAX_SETTINGS_BYTES:
            raise _unreadable(ValueError(f"{len(meta):,} bytes of them, more than settings take"))
        try:
            return StreamingSettings.model_validate_json(meta)
        except (ValidationError, TypeError, OverflowError) as error:
            raise _unreadable(error) from None

    @classmethod
    def _configured(cls, settings: StreamingSettings, state: Any) -> Self:
        """A loaded state with the settings stored beside it, which must describe it (the
        core's `UsageAnalyticsError` where they do not). Settings that validated give the
        core options it takes: numbers within its integers, known names."""
        state.configure(settings.core_options(batch=cls._batch))
        return cls._with(settings, state)

    @classmethod
    def _with(cls, settings: StreamingSettings, state: Any) -> Self:
        accumulator = cls.__new__(cls)
        accumulator._settings, accumulator._state = settings, state
        accumulator._lock = StateLock(cls.__name__)
        return accumulator

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.to_bytes()))

    def __repr__(self) -> str:
        s = self._settings
        return (
            f"{type(self).__name__}({s.time_window_start.isoformat()} .. "
            f"{s.time_window_end.isoformat()}, {s.time_window_type.value})"
        )


def _check_same_settings(
    mine: StreamingSettings, theirs: StreamingSettings, which: str = ""
) -> None:
    """`UsageAnalyticsError` naming each setting in which `theirs` differs from `mine`,
    and `which` states they are (" (states[0] vs states[3], of 8)"), if any differ."""
    shared, other = mine.comparable(), theirs.comparable()
    if shared != other:
        differing = sorted(k for k in shared if shared[k] != other[k])
        if mine.bucket_width is None and theirs.bucket_width is None:
            # (Both the defaults: theirs differ as the window type or span they follow.)
            differing = [k for k in differing if k != "bucket_width"] or differing
        named = setting_differences(
            {k: shared[k] for k in differing}, {k: other[k] for k in differing}
        )
        raise UsageAnalyticsError(
            f"cannot merge accumulators with different settings: {', '.join(named)}{which}"
        )


def _among(position: int, count: int) -> str:
    """Which two of `count` serialized states a settings refusal compares."""
    return f" (states[0] vs states[{position}], of {count})"


def _checked_bytes(data: Any, method: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{method} needs bytes, got {type(data).__name__}")
    return bytes(data)


def _unreadable(error: Exception) -> UsageAnalyticsError:
    return UsageAnalyticsError(
        f"not a valid usage-analytics state: its settings do not read back: {error}"
    )


@contextlib.contextmanager
def _locked(*accumulators: _Accumulator) -> Iterator[None]:
    """Hold the locks of `accumulators` (each once), always taken in the same order so
    that `a.merge(b)` and `b.merge(a)` in two threads cannot deadlock."""
    with contextlib.ExitStack() as stack:
        for accumulator in sorted(set(accumulators), key=id):
            stack.enter_context(accumulator._lock)
        yield


def _restore(cls: type[_Accumulator], data: bytes) -> _Accumulator:
    return cls.from_bytes(data)


class UsageAccumulator(_Accumulator):
    """One pattern's analytics as a mergeable, serializable state (see the module docs).

    The constructor takes `ModelUsageAnalyticsInput`'s settings (without records and
    pattern id) plus `relative_accuracy` (of the percentile sketch, default 1%) and
    `exact_budget` (execution times kept exactly, default 1,024).
    """

    _batch = False
    __slots__ = ()

    def finalize(self, pattern_id: UUID | str) -> ModelUsageAnalyticsOutput:
        """The analytics of every record added so far (the state is kept)."""
        if not isinstance(pattern_id, (UUID, str)):  # (as the input contract's)
            raise TypeError(f"pattern_id must be a UUID or a str, got {type(pattern_id).__name__}")
        pattern = normalize_pattern_id(pattern_id)
        started = time.perf_counter()
        with self._lock:
            raw = self._state.finalize()
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return analytics_output(
            self._settings,
            pattern,
            raw,
            elapsed_ms,
            computed_at=datetime.now(UTC),
        )


class BatchUsageAccumulator(_Accumulator):
    """Many patterns' analytics as one mergeable state: records carry a `pattern_id`
    (UUID, str or int), as for `execute_batch_reduction`."""

    _batch = True
    __slots__ = ()

    def finalize(self) -> ModelUsageAnalyticsBatchOutput:
        """The analytics of every pattern seen so far (the state is kept)."""
        started = time.perf_counter()
        with self._lock:
            raw = self._state.finalize()
        return batch_output(self._settings, raw, started, computed_at=datetime.now(UTC))


class MonitorSettings(BaseModel):
    """The settings both rolling monitors take: `RollingSettings` adds the pattern id of
    a one-pattern monitor, `batch_rolling.BatchRollingSettings` (whose records carry
    their ids) adds nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: timedelta
    bucket: timedelta
    granularity: AnalyticsGranularity = AnalyticsGranularity.DETAILED
    include_trends: bool = True
    include_performance: bool = True
    include_distribution: bool = True
    include_predictions: bool = False
    on_invalid: OnInvalid = "raise"
    timezone: str = "UTC"
    trend_thresholds: TrendThresholds = Field(default_factory=TrendThresholds)
    correlation_id: UUID = Field(default_factory=uuid4)
    relative_accuracy: float = Field(default=0.01, ge=FINEST_RELATIVE_ACCURACY, lt=1.0)
    exact_budget: int = Field(default=1024, ge=0, le=MAX_EXACT_BUDGET)
    #: Records timestamped more than this after the clock when they are added are not
    #: filed (see `RollingUsageAnalytics`); None: every record is.
    max_future: timedelta | None = None

    _known_zone = field_validator("timezone")(known_time_zone)

    @field_validator("bucket")
    @classmethod
    def _positive_bucket(cls, value: timedelta) -> timedelta:
        if value < timedelta(microseconds=1):
            raise ValueError(f"bucket must be positive, got {value}")
        return value

    @field_validator("max_future")
    @classmethod
    def _not_negative(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(0):
            raise ValueError(f"max_future must not be negative, got {value}")
        return value

    @field_validator("window")
    @classmethod
    def _positive_window(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(f"window must be positive, got {value}")
        if value > MAX_ROLLING_WINDOW:
            raise ValueError(f"window must be at most {MAX_ROLLING_WINDOW}, got {value}")
        return value

    @model_validator(mode="after")
    def _whole_buckets(self) -> Self:
        window, bucket = self.window, self.bucket
        if window < bucket or window % bucket:
            raise ValueError(f"window ({window}) must be a positive multiple of bucket ({bucket})")
        if window // bucket > MAX_ROLLING_BUCKETS:
            raise ValueError(
                f"window ({window}) holds {window // bucket} buckets of {bucket}; "
                f"at most {MAX_ROLLING_BUCKETS} are allowed"
            )
        return self

    def request(self, start: datetime, end: datetime) -> AnalyticsRequest:
        """The request a snapshot over [start, end] answers (no records: they are in
        the buckets)."""
        return AnalyticsRequest.model_construct(
            time_window_start=start,
            time_window_end=end,
            time_window_type=TimeWindowType.CUSTOM,
            granularity=self.granularity,
            include_trends=self.include_trends,
            include_performance=self.include_performance,
            include_distribution=self.include_distribution,
            include_predictions=self.include_predictions,
            execution_data=[],
            correlation_id=self.correlation_id,
            on_invalid=self.on_invalid,
            timezone=self.timezone,
            bucket_width=self.bucket,
            trend_thresholds=self.trend_thresholds,
        )


class RollingSettings(MonitorSettings):
    """The settings of a `RollingUsageAnalytics`: `MonitorSettings` and the pattern its
    snapshots name."""

    pattern_id: UUID | str = "rolling"

    _normalize_pattern_id = field_validator("pattern_id", mode="before")(normalize_pattern_id)


#: The settings model of a monitor class (`RollingMonitor`'s type parameter).
SettingsT = TypeVar("SettingsT", bound=MonitorSettings)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)
#: The last instant a datetime holds, in microseconds.
_LAST_US = micros(datetime.max.replace(tzinfo=UTC))
#: The windows of buckets a rolling state keeps behind its newest (rolling.rs's
#: KEPT_WINDOWS): the window and one of lookahead.
_KEPT_WINDOWS = 2


class RollingMonitor(Generic[SettingsT]):
    """What `RollingUsageAnalytics` (one pattern) and `BatchRollingUsageAnalytics` (every
    pattern, `batch_rolling`) share: settings (of the model `_SETTINGS`), the core monitor
    (`_CORE`, filing records of one pattern or grouped by their `pattern_id`), its lock,
    adds, bytes and the window of a snapshot. Not exported: the two public classes are
    the API."""

    _CORE: ClassVar[Any]  # (the core's class: `_core.CoreRolling` or `CoreBatchRolling`)
    _GROUPED: ClassVar[bool]  # (whether records carry their pattern_id)
    # (`SettingsT` itself, which a ClassVar cannot name: `RollingSettings` or
    # `BatchRollingSettings`)
    _SETTINGS: ClassVar[type[Any]]

    __slots__ = ("_core", "_kept_span_us", "_lock", "_settings")

    def __init__(self, window: timedelta, bucket: timedelta, **settings: Any) -> None:
        checked: SettingsT = self._SETTINGS(window=window, bucket=bucket, **settings)
        self._take(checked, self._CORE(*_core_arguments(checked)))

    def _take(self, settings: SettingsT, core: Any) -> None:
        """Hold `core`, a core monitor of `settings`."""
        self._settings, self._core = settings, core
        self._lock = StateLock(type(self).__name__)
        # From the start of the oldest bucket kept to the newest's: the core keeps
        # `_KEPT_WINDOWS` windows of buckets, the newest's included.
        self._kept_span_us = (_KEPT_WINDOWS * settings.window - settings.bucket) // _ONE_MICROSECOND

    @property
    def settings(self) -> SettingsT:
        return self._settings

    @property
    def retained_buckets(self) -> int:
        """Buckets currently held (at most 2 x window / bucket, of each pattern)."""
        with self._lock:  # (an `add` in another thread holds the core state)
            return int(self._core.retained_buckets)

    def to_bytes(self) -> bytes:
        """The monitor as bytes, for `from_bytes` in another process or after a restart:
        its buckets (each pattern's), kept range, cumulative counts and error samples, and
        its settings (see `RollingUsageAnalytics`'s "Restarts")."""
        meta = self._settings.model_dump_json().encode()
        with self._lock:
            data: bytes = self._core.to_bytes(meta)
        return data

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """A monitor from `to_bytes()` output, whose snapshots and adds are those the saved
        one's would have been. `UsageAnalyticsError` if the bytes are not a valid monitor
        of this class (malformed, truncated, altered, an accumulator's or the other
        monitor's, or of another format version);
        `MemoryError` if the memory to load it cannot be had."""
        core, meta = cls._CORE.from_bytes(_checked_bytes(data, "from_bytes"))
        if len(meta) > _MAX_SETTINGS_BYTES:
            raise _unreadable(ValueError(f"{len(meta):,} bytes of them, more than settings take"))
        try:
            # (The context lets a model read what an earlier version stored: see
            # `BatchRollingSettings`.)
            settings: SettingsT = cls._SETTINGS.model_validate_json(meta, context=STORED)
            core.configure(*_core_arguments(settings))
        except (ValidationError, TypeError, OverflowError) as error:
            raise _unreadable(error) from None
        monitor = cls.__new__(cls)
        monitor._take(settings, core)
        return monitor

    def add(self, data: Any, *, now: datetime | None = None) -> None:
        """File records (any form the reducer takes; a `BatchRollingUsageAnalytics`'s
        with their `pattern_id`) into their buckets. Atomic (when it
        raises `MemoryError` too), and reading a table in place, like
        `UsageAccumulator.update`. `now` (naive = UTC) is the clock `max_future` is
        measured from, by default the wall clock's time. (Pass an aware time: the naive
        local `datetime.now()` of a host west of UTC, read as UTC, is hours behind, and
        every record of the present is left out as ahead of it, counted only in
        `data_quality.records_outside_window`.)

        `TimestampUnitWarning` warns where every integer timestamp of `data` lies in 1970
        and the records the state holds do not (its newest bucket), or, a fresh state (or
        one of 1970), the clock (`now`, else the wall clock's) does not, a year at least
        after them (a replay's records of late 1970 beside 1971's are not told of): epoch
        seconds or milliseconds, read as the contract's microseconds, filed in 1970 or left
        out as older than the buckets kept (`input_notes.filed_unit_hint`). And
        `ColumnNameWarning`, as `UsageAccumulator.update` gives it.

        In skip mode a skipped record of a pandas frame of another index than 0 to n - 1
        is named by its index label in the samples the monitor keeps (`location`, as
        `UsageAccumulator.update` keeps it: through snapshots, `to_bytes` and pickle; a
        sample's `index` is its row within this add).
        """
        warn_of_spellings(data, grouped=self._GROUPED)
        until = self._until(now)
        given = data
        # (A pandas row's index label, as the reducer names it, for the samples kept.)
        locate = functools.partial(index_label, given)
        data, streamed = noted_stream(data)  # (a stream's integer times, as they pass)
        try:
            with self._lock:
                core = self._core
                raw = read_any(
                    data,
                    records=lambda records: core.add_records(records, until, locate),
                    arrow=lambda table, whole: core.add_arrow(table, whole, until, locate),
                    grouped=self._GROUPED,
                )
                newest = core.newest_start_us
        finally:
            if data is not given:  # (a reader made of the caller's stream: a DuckDB
                data.close()  # result is released with it, not when collected)
            if streamed is not None:
                streamed.close()  # (the stream under the noting reader: see its close)
        raise_if_invalid(self._settings.request(_EPOCH, _EPOCH + self._settings.bucket), raw, data)
        kept = None if newest is None else (newest - self._kept_span_us, newest)
        hint = filed_unit_hint(raw, data, kept, None if now is None else _aware(now), streamed)
        if hint is not None:
            warnings.warn(hint, TimestampUnitWarning, stacklevel=2)

    def _until(self, now: datetime | None) -> int | None:
        """The latest instant an add files, in microseconds (None: no limit)."""
        limit = self._settings.max_future
        if limit is None:
            if now is not None:  # (a replay's clock that would silently change nothing)
                raise ValueError(
                    "now= is the clock that max_future is measured from; set max_future"
                )
            return None
        clock = datetime.now(UTC) if now is None else _aware(now)
        return min(micros(clock) + limit // _ONE_MICROSECOND, _LAST_US)  # (the core's i64)

    def _window_of(self, now: datetime) -> tuple[int, datetime, datetime]:
        """`now` (naive = UTC) in microseconds, and the window ending with its bucket.
        Checked before the core reads anything: a failed snapshot changes nothing."""
        now = _aware(now)
        now_us = micros(now)
        bucket_us = self._settings.bucket // _ONE_MICROSECOND
        end_us = (now_us // bucket_us + 1) * bucket_us
        start_us = end_us - self._settings.window // _ONE_MICROSECOND
        try:
            return now_us, datetime_of(start_us), datetime_of(end_us)
        except OverflowError:
            raise UsageAnalyticsError(
                f"the window ending with the bucket of {now.isoformat()} is out of range"
            ) from None

    def _core_snapshot(self, now_us: int, start: datetime, end: datetime) -> Any:
        """The core's snapshot at `now_us`, its refusal naming the window and where the
        kept buckets end."""
        with self._lock:
            try:
                return self._core.snapshot(now_us)
            except UsageAnalyticsError as error:
                window = f"{start.isoformat()} to {end.isoformat()}"
                raise UsageAnalyticsError(
                    f"snapshot of {window}: {error}{self._newest()}"
                ) from None

    def _newest(self) -> str:
        """Where the kept buckets end, and how a monitor avoids a record far ahead."""
        # (Never None here: the core refuses a snapshot whose window datetimes hold only
        # where it reaches below the kept buckets, which a record placed: a monitor of no
        # bucket answers every such window, `tests/test_rolling_empty_snapshots.py`.)
        newest = self._core.newest_start_us
        ahead = "; max_future= leaves out records timestamped too far after the clock"
        if self._settings.max_future is not None:
            ahead = ""
        return f" (the newest bucket kept starts at {datetime_of(newest).isoformat()}{ahead})"


class RollingUsageAnalytics(RollingMonitor[RollingSettings]):
    """The analytics of the last `window` of executions, as they arrive.

    Time is cut into buckets of `bucket` aligned to the Unix epoch (UTC); `window` must be
    a multiple of it. `add(data)` files records into their buckets; `snapshot(now)` covers
    whole buckets: the window [E - window, E], E the end of the bucket holding `now`, with
    one trend bucket per rolling bucket. A record at exactly E belongs to the next bucket.
    A snapshot equals `execute_reduction` over the records in [E - window, E) with that
    window, `time_window_type="custom"` and `bucket_width=bucket` (percentiles as for
    `UsageAccumulator`: exact within `exact_budget` per snapshot).

    Time zones: `timezone` names the clocks of the analytics' hours and weekdays (summer
    time included); the buckets stay aligned to the epoch in UTC, so with `bucket=
    timedelta(days=1)` a bucket is a UTC day, not a day of that zone. The window's newest
    bucket is the one still filling: a snapshot at 12:01 with 5-minute buckets covers
    11:05 to 12:05, of which 56 minutes have passed. A loop that ticks on the bucket
    boundaries (12:00:00.2, 12:05:00.1) so judges a nearly empty newest bucket, which the
    trend reads as a fall: `snapshot(now - bucket)` is the window of the last whole
    buckets. (Steady traffic of three runs a minute, 132 snapshots with trends on: 20
    `declining_trend` findings at the boundaries, 5 a bucket earlier.)

    Memory is bounded: at most 2 x window / bucket buckets are kept, the window and one
    window of lookahead behind the newest bucket a record fell in (each about 3 KB of
    address space beside its execution times: 100,000 one-second buckets, 300 MB).
    Records older than the kept buckets are counted as outside the window. So records up
    to one window ahead of a snapshot's `now` never cost it data, and a snapshot whose
    window reaches below the kept buckets (after records more than a window ahead of its
    `now`) raises `UsageAnalyticsError` rather than answer from part of its window. Memory
    that cannot be had (an address-space limit) raises `MemoryError`, checked before
    anything changes: the failed add leaves the window as it was, to be tried again. One
    instance may be shared by threads (calls are serialized).

    A snapshot reads: it moves nothing, so a monitor's clock that jumps (an NTP step, a
    resumed machine) costs only the snapshots taken meanwhile. (Until session 58 a
    snapshot moved the kept buckets to its `now`: one taken three hours ahead dropped the
    hour that every later snapshot of the present needed, those raised until the clock
    caught up, and the records of the present were counted as too old meanwhile. The
    design is silent on it; a silent pattern now keeps its last buckets until its next
    record, no more than a busy pattern holds.)

    A snapshot's `data_quality` counts every record since creation: records_received,
    invalid_records, records_in_window (this snapshot's), records_outside_window (the rest);
    its `error_samples` (skip mode) name each invalid record by its place in the `add`
    that brought it, so samples of two adds may share an index, and a pandas row by its
    index label too (`location`, where the frame's index is not 0 to n - 1), as
    `UsageAccumulator` does.

    Restarts: `to_bytes()` (or pickle) saves the monitor whole - its buckets, kept range,
    cumulative counts and error samples, and its settings (window, bucket, `max_future`,
    time zone, flags, thresholds, `on_invalid`, correlation id...) - and `from_bytes`
    restores it: its snapshots and adds are exactly those the saved monitor's would have
    been. Save on shutdown, and against a crash every few buckets (an hour of 5-minute
    buckets: 99 KB with 1,000 records a bucket, most of it their execution times, kept
    exactly up to `exact_budget` a bucket; 8.6 KB with 10,000 a bucket, sketched). The bytes
    are framed as a `UsageAccumulator`'s are, under their own magic (b"UARW") and format
    version (2 since the error samples keep their locations, stored after the rest: a
    monitor none of whose samples has one is written as version 1, which older releases
    read, and version 1 is read): malformed, truncated or altered bytes, an accumulator's,
    or another format version raise `UsageAnalyticsError`. A monitor loads under any release
    that reads its format version; a release that changes the format refuses older monitors,
    naming both versions, rather than read them differently (the design is silent; our
    choice). Where no saved state can be had (lost, refused), a new monitor's snapshots
    cover only what was added since it started, and nothing in them says that their window
    is only partly filled (an error rate of a restart's first five minutes is judged as an
    hour's): add the last window's records again from where they are kept
    (`usage_analytics.sources`' `fetch(pattern, now - window, now).data`; older records are
    counted as outside the window) before the first snapshot, or judge no snapshot until a
    window has passed.

    A pattern that goes silent: its snapshots hold no executions once its last records
    leave the window, and `health()` gives one `no_executions` finding of severity
    "info" (`time_since_last_use` is None: the records before the window are gone);
    alert on that code for a pattern that must not stop.

    `max_future` guards a monitor against clocks that run ahead: a record timestamped in
    2099 by a misconfigured host moves the kept buckets there, and every snapshot of the
    present fails from then on. With `max_future=timedelta(minutes=5)`, say, `add` leaves
    out the records more than five minutes after the clock (the wall clock, or its `now=`
    for a replay) and counts them as outside the window, as it counts those too old. Off
    by default: records are filed whatever their time, for replays of past data.
    """

    _CORE = _core.CoreRolling
    _GROUPED = False
    _SETTINGS = RollingSettings

    __slots__ = ()

    def snapshot(self, now: datetime) -> ModelUsageAnalyticsOutput:
        """The analytics of the window ending with the bucket holding `now` (naive = UTC)."""
        now_us, start, end = self._window_of(now)
        started = time.perf_counter()
        raw = self._core_snapshot(now_us, start, end)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        return analytics_output(
            self._settings.request(start, end),
            self._settings.pattern_id,
            raw,
            elapsed_ms,
            computed_at=datetime.now(UTC),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_rolling, (self.to_bytes(),))


def _core_arguments(settings: MonitorSettings) -> tuple[dict[str, Any], int, int]:
    """`_core.CoreRolling`'s arguments for `settings`: options, bucket (us), buckets."""
    # The core's template needs some window; snapshots replace it.
    options = core_options(
        settings.request(_EPOCH, _EPOCH + settings.bucket),
        by_pattern=False,
        exact_budget=settings.exact_budget,
        relative_accuracy=settings.relative_accuracy,
    )
    return options, settings.bucket // _ONE_MICROSECOND, settings.window // settings.bucket


def _restore_rolling(data: bytes) -> RollingUsageAnalytics:
    return RollingUsageAnalytics.from_bytes(data)


def _aware(now: datetime) -> datetime:
    """`now` checked, naive (or of a tzinfo that names no offset) read as UTC, as the
    contract reads a window bound or a record's timestamp."""
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, got {type(now).__name__}")
    if now != now:  # (pandas' NaT, a datetime that equals nothing)
        raise ValueError("now must be an instant, got NaT")
    if now.tzinfo is None or now.utcoffset() is None:
        return now.replace(tzinfo=UTC)
    return now
