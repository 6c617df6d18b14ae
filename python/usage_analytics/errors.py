"""The exception hierarchy.

`UsageAnalyticsError` is created by the Rust extension (so Rust can raise it directly);
everything else subclasses it here.
"""

from __future__ import annotations

from collections.abc import Mapping

from usage_analytics._core import UsageAnalyticsError

__all__ = [
    "ColumnNameWarning",
    "InvalidRecordError",
    "TimestampUnitWarning",
    "UsageAnalyticsError",
]


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
