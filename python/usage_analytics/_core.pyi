"""Typed stubs for the Rust extension `usage_analytics._core`."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Self, TypeVar, final, overload
from uuid import UUID

from pydantic import BaseModel

_M = TypeVar("_M", bound=BaseModel)
_L = TypeVar("_L", bound=list[Any])

__all__ = [
    "ARROW_SLICE_ROWS",
    "RECORD_COLUMNS",
    "CancelFlag",
    "ColumnarTimestamps",
    "CoreBatchRolling",
    "CoreResult",
    "CoreRolling",
    "CoreState",
    "FieldsSetSlot",
    "GroupResults",
    "InternalError",
    "ModelFactory",
    "OutputBuilder",
    "OutputModels",
    "UsageAnalyticsError",
    "__version__",
    "bucket_width",
    "check_timezone",
    "check_window",
    "end_inherited_collector_pauses",
    "field_column",
    "fixed_text_codes",
    "indent_json",
    "local_instant",
    "local_offsets",
    "no_timestamp_type",
    "object_text_codes",
    "reduce_arrow",
    "reduce_records",
    "sqlite_columns",
    "untracked",
    "utc_offset",
]

__version__: str
#: The record fields the readers look for, then "pattern_id" (a batch's grouping column).
RECORD_COLUMNS: tuple[str, ...]
#: Rows of one-pattern Arrow input converted per pass (one pass reduced while the next is read).
ARROW_SLICE_ROWS: int

class UsageAnalyticsError(Exception):
    """Root of every error usage-analytics raises."""

class InternalError(UsageAnalyticsError):
    """A fault of usage-analytics itself (a broken invariant, a caught panic), not of the
    input: please report it."""

class ColumnarTimestamps(Exception):
    """A dict of columns whose timestamps include ints (epoch microseconds, a columnar form
    that records refuse): `ingest.read_any` then reads it as a table instead."""

def check_timezone(name: str) -> str:
    """The tzdb's spelling of the IANA time zone (or "UTC") `name` names in any case; a
    ValueError unless it names one."""

def local_instant(name: str, local_us: int) -> tuple[int, int]:
    """The UTC instant (epoch microseconds) of the wall-clock time `local_us`
    (microseconds since 1970-01-01T00:00 on the zone's clocks) in the zone `name`, and the
    zone's offset there (microseconds), by the core's tz database: the first instant at
    which the zone's clocks show that time or a later one (in a fold the earlier, in a gap
    the gap's end). A ValueError for an unknown zone."""

def local_offsets(name: str, local_us: int) -> list[int]:
    """The zone's offsets (microseconds) at the instants its clocks show the wall-clock
    time `local_us` (microseconds since 1970-01-01T00:00 on its clocks), by the core's tz
    database: one where they show it once; two, the earlier instant's first, where twice
    (a fold, clocks set back); none where never (a gap). A ValueError for an unknown
    zone."""

def utc_offset(name: str, utc_us: int) -> int:
    """The offset from UTC (microseconds) of the zone `name` at the UTC instant `utc_us`
    (epoch microseconds), by the core's tz database. A ValueError for an unknown zone."""

def bucket_width(start_us: int, end_us: int, window_type: str, bucket_width_us: int | None) -> int:
    """The trend buckets' width (microseconds) of the window: `bucket_width_us`, else the
    window type's default for its span; a ValueError as `check_window` raises."""

def check_window(start_us: int, end_us: int, window_type: str, bucket_width_us: int | None) -> int:
    """The number of trend buckets of the window (epoch microseconds) at the width given,
    else the window type's; a ValueError unless the core reduces such a window."""

@final
class CancelFlag:
    """Set from any thread to stop the reduction reading with it at its next chunk."""

    def __new__(cls) -> Self: ...
    def cancel(self) -> None:
        """Ask the reduction to stop (it raises UsageAnalyticsError)."""
    @property
    def cancelled(self) -> bool: ...

def reduce_records(
    records: Sequence[Any] | Mapping[str, Sequence[Any]],
    options: dict[str, Any],
    cancel: CancelFlag | None = None,
) -> dict[str, Any]:
    """Validate and reduce a list or tuple of record mappings, or a dict of equally long
    lists or tuples (record fields and, with `by_pattern`, `pattern_id`) as the records of
    its rows; `ColumnarTimestamps` for a dict whose timestamps include ints.

    `options` holds the window (`start_us`, `end_us`, `window_type`, `bucket_width_us`),
    `timezone`, the families wanted (`performance`, `trends`, `distribution`,
    `time_series`, `predictions`), `skip_invalid`, the trend `thresholds` tuple,
    `by_pattern` (group by `pattern_id`), `exact_budget` (execution times kept exactly;
    None: all) and `relative_accuracy` (of the percentile sketch past the budget).
    Returns a dict with `received`, `in_window`, `outside_window`, `invalid`, `errors`
    (up to five `(index, field, value_repr, reason)` samples) and `result`: the
    `CoreResult` that an `OutputBuilder` turns into the output (with analytics unless
    records were invalid and `skip_invalid` is false). With `by_pattern`, `result` holds
    the whole input's counts only (for its `data_quality`), and `groups` each pattern's
    `CoreResult`, with its own counts, as a `GroupResults`.
    """

def end_inherited_collector_pauses() -> bool:
    """In a forked child, end the collector pauses the parent's other threads had on when
    it forked (their threads are not in the child); whether the collector is to be enabled,
    as the last of them would have done."""

def untracked(items: _L) -> _L:
    """`items`, taken out of the cyclic garbage collector's lists: for a result's list,
    which holds no cycle (a cycle a caller makes through it is then never collected)."""

def no_timestamp_type(reason: str) -> tuple[str, bool, str | None, str | None] | None:
    """The parts of the core's reason for a record's timestamp of no timestamp type, as
    (type name, integer, epoch unit, instant) (`errors.NoTimestampType`); None for any
    other reason."""

def indent_json(compact: bytes, indent: int) -> bytes:
    """Compact JSON (`json.dumps(separators=(",", ":"))`, as UTF-8 bytes) laid out as
    `json.dumps(indent=indent)` lays it out, each non-finite number (`NaN`, `Infinity`,
    `-Infinity`) written `null`; ValueError for text not of that form or an indent past
    1,024 spaces. Bytes of lone surrogates (`surrogatepass`) pass through."""

def object_text_codes(values: Any, max_distinct: int) -> tuple[bytes, list[str]] | None:
    """The rows of a 1-D numpy array of objects as dictionary codes (native-endian
    int32s, -1 where None or a float NaN) and the distinct strings they index, first seen
    first; None where a value is neither a str nor missing, a str is not UTF-8, or more
    than `max_distinct` strings differ. TypeError for another array (`object_text`)."""

def field_column(
    field: str, values: list[Any] | tuple[Any, ...]
) -> tuple[list[bytes], bytes | None, int]:
    """Record field `field`'s values read as a list of dicts' records read them: the
    buffers of their Arrow array (native-endian int64 UTC microseconds; packed bits;
    float64s; or int64 offsets and UTF-8 text), its validity bits (None where no value is
    missing) and the count of missing ones (None; NaT as a time or duration).
    ValueError naming the row, the value and the reason at the first value its record
    refuses; TypeError for another container or field (`ingest.field_objects`)."""

def fixed_text_codes(values: Any, max_distinct: int) -> tuple[bytes, list[str]] | None:
    """The rows of a 1-D numpy text array (dtype U, native byte order) as dictionary codes
    (native-endian int32s) and the distinct strings they index, first seen first (a row's
    text numpy's: trailing NULs stripped, NULs within kept); None where a row holds a
    code point that is no Unicode scalar value, or more than `max_distinct` strings
    differ. TypeError for another array (`object_text`)."""

def sqlite_columns(
    uri: str, sql: str, params: list[Any], kinds: list[str], order: list[int] = ...
) -> tuple[int, list[Any], list[tuple[int, int, Any]]] | None:
    """Runs `sql` (bound to `params`) on a read-only connection to the SQLite `uri` and
    reads its rows into columns of `kinds` ("id", "text", "flag", "number", "score", "key"),
    the GIL released: (row count, columns, odd values) with ids as [(stored value, run
    length)] and the others as ("text", offsets, data, validity), ("int", values, validity),
    ("bool", values, validity: int64 0 and 1 of flags typed from text) or ("float", values,
    validity) Arrow buffers. Text in a flag or number column is typed where `typed_text`
    would type it beyond doubt (ASCII flag words, decimal numbers); each other value of a
    "text", "flag" or "number" column that its column does not hold is missing there and an
    odd value, (row, column place, value), in order of row (after any sort) and place; so is
    a bad number stored as an integer or an integer's text (a "number" below 0, a "score"
    outside [0, 1]), for an error to show it as stored. None where an id or key does not fit
    its kind, text is not UTF-8, a flag column holds both stored integers and flag texts, a
    number column integers past 2^53 beside reals or odd text, there are more than max(rows
    / 8, 4096) odd values, a parameter is not SQLite's, or SQLite fails
    (`sources.sqlite_native`). Where `order` names columns (an "id" column first, then
    present text or integers), the rows are sorted by them as SQLite's `ORDER BY` under the
    BINARY collation sorts them (None where a sort column holds a missing value). ValueError
    for an unknown kind, a statement selecting other than one column per kind, or an order
    not of that form."""

def reduce_arrow(
    data: Any, options: dict[str, Any], cancel: CancelFlag | None = None, whole: bool = False
) -> dict[str, Any]:
    """The same, for anything exporting `__arrow_c_stream__` or `__arrow_c_array__`.
    `whole`: the caller's object holds all of the data while it is read (a table or a
    frame, not a stream), so the core may keep references to its buffers."""

@final
class CoreState:
    """A mergeable, serializable reduction state: one pattern, or many (`by_pattern`)."""

    def __new__(cls, options: dict[str, Any]) -> Self: ...
    def update_records(
        self,
        records: Sequence[Any] | Mapping[str, Sequence[Any]],
        locate: Callable[[int], str | None] | None = None,
    ) -> dict[str, Any]:
        """Add records (atomic: nothing is added when one is invalid in raise mode);
        returns this update's report (`received`, `invalid`, `errors`, ...). `locate`,
        called with each kept error sample's index, gives its `location`, kept with the
        state (in its bytes too) and shown in its `data_quality`."""
    def update_arrow(
        self, data: Any, whole: bool = False, locate: Callable[[int], str | None] | None = None
    ) -> dict[str, Any]:
        """The same for Arrow data. `whole`: the caller's object holds all of the data
        while it is read, so slices are converted in place; the state keeps copies of
        what it keeps, never references to the input's buffers."""
    def merge(self, other: CoreState) -> CoreState:
        """A new state holding both; UsageAnalyticsError if the settings differ."""
    def merge_in(self, other: CoreState) -> None:
        """Fold `other` into this state, in place (same checks as `merge`)."""
    def finalize(self) -> dict[str, Any]:
        """The result dict of the records so far (as `reduce_records` returns)."""
    def to_bytes(self, meta: bytes) -> bytes:
        """The serialized state, carrying `meta`."""
    @staticmethod
    def from_bytes(data: bytes) -> tuple[CoreState, bytes]:
        """(state, meta) of serialized bytes; UsageAnalyticsError if malformed."""
    @staticmethod
    def merge_serialized(blobs: Sequence[bytes]) -> tuple[CoreState, list[bytes]]:
        """(merged state, each state's meta) of serialized states (at least one), each
        merged as it is read; errors as `from_bytes` for each and `merge` for each pair."""
    def configure(self, options: dict[str, Any]) -> None:
        """Check that `options` match the loaded state's settings; take its invalid mode."""
    @property
    def is_batch(self) -> bool: ...

@final
class CoreRolling:
    """The last `buckets` buckets of `bucket_us` microseconds, aligned to the epoch."""

    def __new__(cls, options: dict[str, Any], bucket_us: int, buckets: int) -> Self: ...
    def add_records(
        self,
        records: Sequence[Any] | Mapping[str, Sequence[Any]],
        until_us: int | None = None,
        locate: Callable[[int], str | None] | None = None,
    ) -> dict[str, Any]:
        """File records into their buckets (atomic); returns this add's report. Records
        after `until_us` are counted as outside the window, as those too old are.
        `locate`, as for `CoreState.update_records`: called with the index of each error
        sample the monitor keeps, it gives its `location` (kept, in its bytes too)."""
    def add_arrow(
        self,
        data: Any,
        whole: bool = False,
        until_us: int | None = None,
        locate: Callable[[int], str | None] | None = None,
    ) -> dict[str, Any]:
        """The same for Arrow data (`whole` as for `CoreState.update_arrow`)."""
    def snapshot(self, now_us: int) -> dict[str, Any]:
        """The result dict of the window ending with the bucket holding `now_us`, with its
        `start_us` and `end_us`; report counts are cumulative."""
    def to_bytes(self, meta: bytes) -> bytes:
        """The serialized monitor (b"UARW" frame: buckets, kept range, cumulative
        report), carrying `meta`."""
    @staticmethod
    def from_bytes(data: bytes) -> tuple[CoreRolling, bytes]:
        """(monitor, meta) of serialized bytes; UsageAnalyticsError if malformed."""
    def configure(self, options: dict[str, Any], bucket_us: int, buckets: int) -> None:
        """Check that `new`'s arguments match the loaded monitor's settings; take its
        invalid mode."""
    @property
    def newest_start_us(self) -> int | None:
        """The start of the newest bucket a record fell in (snapshots move nothing)."""
    @property
    def retained_buckets(self) -> int: ...

@final
class CoreBatchRolling:
    """A rolling window per pattern (`pattern_id` of each record), one kept range for all."""

    def __new__(cls, options: dict[str, Any], bucket_us: int, buckets: int) -> Self: ...
    def add_records(
        self,
        records: Sequence[Any] | Mapping[str, Sequence[Any]],
        until_us: int | None = None,
        locate: Callable[[int], str | None] | None = None,
    ) -> dict[str, Any]:
        """File records into their patterns' buckets (atomic), as `CoreRolling.add_records`;
        returns this add's report (of the whole add). `locate` names the monitor's own
        samples (a pattern's name none)."""
    def add_arrow(
        self,
        data: Any,
        whole: bool = False,
        until_us: int | None = None,
        locate: Callable[[int], str | None] | None = None,
    ) -> dict[str, Any]:
        """The same for Arrow data (`whole` as for `CoreState.update_arrow`)."""
    def snapshot(self, now_us: int) -> dict[str, Any]:
        """The grouped result dict (`groups`: a pattern per group with records in the
        window ending with the bucket holding `now_us`), with its `start_us` and `end_us`;
        report counts are cumulative."""
    def to_bytes(self, meta: bytes) -> bytes:
        """The serialized monitor (b"UARB" frame), carrying `meta`."""
    @staticmethod
    def from_bytes(data: bytes) -> tuple[CoreBatchRolling, bytes]:
        """(monitor, meta) of serialized bytes; UsageAnalyticsError if malformed."""
    def configure(self, options: dict[str, Any], bucket_us: int, buckets: int) -> None:
        """Check that `new`'s arguments match the loaded monitor's settings; take its
        invalid mode."""
    @property
    def newest_start_us(self) -> int | None:
        """The start of the newest bucket a record of any pattern fell in."""
    @property
    def retained_buckets(self) -> int: ...
    @property
    def pattern_count(self) -> int: ...

@final
class GroupResults:
    """A batch's (pattern id, `CoreResult`) pairs, in the order the ids first appear. The
    patterns are finalized on the core's threads while the first ones are read; reading
    waits (with the GIL released) for a pattern not finalized yet. UsageAnalyticsError if
    finalizing failed. One thread at a time: a second reader meanwhile gets RuntimeError
    ("Already borrowed")."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[str | int | UUID, CoreResult]: ...
    def __length_hint__(self) -> int: ...

@final
class CoreResult:
    """One reduction's ingest counts and analytics, opaque: see `OutputBuilder`."""

    @property
    def latest_us(self) -> int | None:
        """The newest valid record's instant in the window (epoch microseconds), exactly;
        None without one (or without analytics). The output has only the hours from it to
        the window's end, rounded (`time_since_last_use`)."""

@final
class OutputModels:
    """The output models' factories, and the trend classes by value; `time_series` makes
    a trend's `time_series` models from its `(start_us, end_us, executions, rate_per_day)`
    tuples. TypeError when `trend_types` lacks a class."""

    def __new__(
        cls,
        *,
        output: ModelFactory[Any],
        data_quality: ModelFactory[Any],
        error_sample: ModelFactory[Any],
        usage: ModelFactory[Any],
        success: ModelFactory[Any],
        performance: ModelFactory[Any],
        trend: ModelFactory[Any],
        prediction: ModelFactory[Any],
        distribution: ModelFactory[Any],
        trend_types: dict[str, Any],
        time_series: Callable[[list[tuple[int, int, int, float]]], list[Any]],
    ) -> Self: ...
    @property
    def factories(self) -> list[ModelFactory[Any]]:
        """The factories, of every model an output holds."""
    def builder(self, shared: dict[str, Any]) -> OutputBuilder:
        """The builder of one call's outputs; `shared` holds the fields they all have
        (`time_window_start`, `time_window_end`, `time_window_type`, `granularity`,
        `timezone`, `correlation_id`, `computed_at`; TypeError if one is missing)."""

@final
class OutputBuilder:
    """Builds one call's output models from its `CoreResult`s. One thread at a time."""

    def output(self, pattern_id: Any, result: CoreResult, computation_time_ms: float) -> Any:
        """The output (a `ModelUsageAnalyticsOutput`) of `result` (with analytics)."""
    def data_quality(self, result: CoreResult) -> Any:
        """The `DataQuality` of `result`'s counts."""

@final
class FieldsSetSlot:
    """A pydantic model class's `__pydantic_fields_set__`, wrapping pydantic's slot (its
    member descriptor, `BaseModel.__dict__["__pydantic_fields_set__"]`; TypeError for
    anything else): reads and stores go to the slot, but a model whose slot was never set
    gets its own set of all its class's fields on the first read, stored there (taken out
    of the cyclic collector's lists: names only)."""

    def __new__(cls, slot: Any) -> FieldsSetSlot: ...
    @overload
    def __get__(self, instance: None, owner: Any = None, /) -> FieldsSetSlot: ...
    @overload
    def __get__(self, instance: object, owner: Any = None, /) -> set[str]: ...
    def __set__(self, instance: object, value: set[str], /) -> None: ...
    def __delete__(self, instance: object, /) -> None: ...

@final
class ModelFactory(Generic[_M]):
    """Makes `model` instances from dicts of exactly its fields, without validation;
    `model.model_construct(**fields)` for any other dict. TypeError for a model that needs
    more (its own `__new__`, private attributes, a post-init, extra fields allowed). The
    dict becomes the instance's `__dict__`; for a frozen model, the instance and the dict
    are taken out of the cyclic garbage collector's lists (results hold no cycle). Where
    the class's `__pydantic_fields_set__` is a `FieldsSetSlot`, the instance's set is left
    to be made on its first read."""

    def __new__(cls, model: type[_M]) -> ModelFactory[_M]: ...
    def __call__(self, fields: dict[str, Any]) -> _M: ...
    @property
    def model_class(self) -> type[_M]: ...
