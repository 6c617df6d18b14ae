"""The exception hierarchy.

`UsageAnalyticsError` and `InternalError` are created by the Rust extension (so Rust can
raise them directly); everything else subclasses `UsageAnalyticsError` here.

What a caller can tell by type (a service choosing its answer's status, say):

- `InvalidRecordError`, and a `UsageAnalyticsError` of no subclass: the caller's input or
  settings are refused (a bad record, columns of different lengths, state bytes that are
  no state); fix them. The request models and the streaming settings refuse their own
  fields as they are built (an unknown time zone, a window that ends before it starts)
  with pydantic's `ValidationError`, a `ValueError` too, not a `UsageAnalyticsError`.
- `InternalError`: the library's own fault (a broken invariant, a caught panic in the
  core); the input may be fine. Please report it.
- `MemoryError` (Python's own, not a `UsageAnalyticsError`): memory ran short, in the
  core (`rust/room.rs`) or reading a file (`out_of_memory`); the same call may succeed
  with more memory or later.
- `extras.MissingDependencyError`: an optional dependency is not installed.
- `sources.SourceError` and its subclasses: a source or store could not be read or
  written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from usage_analytics import _core
from usage_analytics._core import InternalError, UsageAnalyticsError

__all__ = [
    "ColumnNameWarning",
    "InternalError",
    "InvalidRecordError",
    "NoTimestampType",
    "TimestampUnitWarning",
    "UsageAnalyticsError",
    "reason_detail",
]

#: The words the core's `CoreError::Internal` starts with (rust/error.rs); the library's
#: Python faults start with them too, so a caller who reads the message (the command's
#: error line, a log) sees the one kind of fault named one way.
INTERNAL_WORDS = "internal error in usage-analytics (please report)"


def internal_error(why: str) -> InternalError:
    """An `InternalError` for a fault of the library's own Python code (a broken
    invariant: a result the batch did not give, a state lost between two steps), worded
    as the core words its own: "internal error in usage-analytics (please report): WHY"."""
    return InternalError(f"{INTERNAL_WORDS}: {why}")


@dataclass(frozen=True)
class NoTimestampType:
    """The parts of the core's reason for a record's timestamp of no timestamp type (an
    int, a float, a bool, a list, ...): "must be a datetime, a date, a numpy datetime64
    or an ISO-8601 string, got int (a record's integer is no timestamp: ...; as epoch
    seconds, this one is 2026-02-20T10:00:00+00:00)".

    `type_name` is the value's type's name ("int", "float", "bool", "list", "dict");
    `integer` whether it is an int (an `IntEnum` member too, not a bool); for an int,
    `epoch_unit` is the unit its size suggests ("seconds", "milliseconds",
    "microseconds", "nanoseconds") and `instant` its instant in that unit as `isoformat`
    writes it, where the core shows one (None for a negative int or one past 64 bits)."""

    type_name: str
    integer: bool
    epoch_unit: str | None
    instant: str | None


def reason_detail(field: str, reason: str) -> NoTimestampType | None:
    """The machine-readable parts of an invalid record's `reason` (of record field
    `field`: an `InvalidRecordError`'s, or a `data_quality.error_samples` entry's), where
    the core has them: so far a timestamp of no timestamp type; None for any other.

    The core reads its own reason back with the pieces it writes it from
    (rust/timestamp_type.rs), so callers that word it their own way (the command line)
    need not match its text: the reason is all that a sample, a stored state's sample or
    a pickled error carries. (The design is silent on this; the choice is ours.)"""
    if field != "timestamp":
        return None
    parts = _core.no_timestamp_type(reason)
    return None if parts is None else NoTimestampType(*parts)


class InvalidRecordError(UsageAnalyticsError, ValueError):
    """A record that cannot be used: missing or unparseable timestamp, NaN, a negative
    time, a score outside [0, 1], a wrong type.

    Attributes name the first bad record: `index` (position in the input), `field`,
    `value` (its repr), `reason`, `more` (how many other records are bad), and where the
    index alone cannot place the record, `location` (its index label: a row of a pandas
    frame or Dask partition whose index is not the default 0 to n - 1).
    """

    def __init__(
        self,
        index: int,
        field: str,
        value: str,
        reason: str,
        more: int = 0,
        location: str | None = None,
    ) -> None:
        self.index = index
        self.field = field
        self.value = value
        self.reason = reason
        self.more = more
        self.location = location
        where = f"record {index}" if location is None else f"record {index} ({location})"
        message = f"{where}: field '{field}' = {value}: {reason}"
        if more:
            message += f" (and {more} more invalid record{'s' if more != 1 else ''})"
        super().__init__(message)

    @property
    def reason_detail(self) -> NoTimestampType | None:
        """`reason`'s machine-readable parts, where the core has them (`reason_detail`):
        a timestamp of no timestamp type's; else None."""
        return reason_detail(self.field, self.reason)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickle by the constructor's arguments (the default would pass only the message),
        # so the error crosses processes (Dask workers, multiprocessing) intact.
        arguments = (self.index, self.field, self.value, self.reason, self.more, self.location)
        return (type(self), arguments)


class TimestampUnitWarning(UserWarning):
    """Records fell outside the window and every integer timestamp of the input lies in
    1970: integer timestamps are read as epoch microseconds (the contract), and these
    look like epoch seconds or milliseconds. The results are as the contract has them;
    the message says what to multiply the timestamps by. Filter it as any warning
    (`warnings.filterwarnings("ignore", category=TimestampUnitWarning)`)."""


class ColumnNameWarning(UserWarning):
    """A column of the input (or a key of its first record) looks like a record field
    that no column names exactly, spelled otherwise: `Success`, `" success"`,
    `executionTimeMs`, `execution-time-ms` (`ingest.spellings` says which spellings).
    Fields are read by their exact names, so the column is not read and the field is
    missing from every record, which then has its default: a `Success` column left every
    record a failure, a 0% success rate that nothing explained. The message names the
    column, the field and what a record without it counts as, and how to rename it. The
    results are as the contract has them. Filter it as any warning
    (`warnings.filterwarnings("ignore", category=ColumnNameWarning)`).

    A warning, not a note in the output's `data_quality` (the design is silent; this is
    the library's choice): the mistake is the caller's code, not the data's, and a
    warning is where Python shows such mistakes, at the call that made it, in tests too
    (which may make it an error); the output's models and an accumulator's stored state
    stay as they are, and an accumulator's `update`, where the column is given, is not
    its `finalize`, where the output is made. It is given before the records are read, so
    a call that then fails for want of the field (a table without `timestamp`) has said
    why first.

    `renames`: each column told of, with the field it looks like ({"Success": "success"}).
    """

    def __init__(self, message: str, renames: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.renames = dict(renames or {})
