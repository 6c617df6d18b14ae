"""What every source shares: errors, the table description, the fetched result, and the
`ExecutionSource` interface.

A source fetches execution records and hands them back in a form the reducer takes as
`execution_data` as is: a pyarrow Table when pyarrow is installed and the values have
clean types, else a list of record dicts (same numbers, see `usage_analytics.ingest`).
Every method is `async`; blocking work (files, SQLite, database drivers) runs on a
worker thread.

The window contract: `fetch(pattern, start, end)` returns at least every record of the
pattern in `[start, end]` and every record of the pattern that no window holds (a
timestamp that is missing or not a time, which the reducer reports as invalid); it may
return more (a file source returns all of the pattern's records, which the reducer then
counts as outside the window), never fewer. Records without a pattern id belong to no
pattern: `unattributed()` counts them, so that a caller can report them.
"""

from __future__ import annotations

import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Context, Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from usage_analytics.closing import AsyncClosing
from usage_analytics.contracts import uuid_spelled
from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.input_notes import cut_text, label_repr
from usage_analytics.sources.exact_numbers import (
    bad_as_written,
    may_be_past_its_bound,
    past_its_bound,
)
from usage_analytics.sources.number_text import number_of_text

__all__ = [
    "FALSE_TEXTS",
    "FIELDS",
    "FLAG_FIELDS",
    "FLAG_TEXTS",
    "NUMBER_FIELDS",
    "PATTERN_ID",
    "TEXT_FIELDS",
    "TRUE_TEXTS",
    "ExecutionSource",
    "Fetched",
    "FlagText",
    "SourceError",
    "SourceUnavailableError",
    "TableSpec",
    "Unattributed",
    "UnknownPatternError",
    "Unreadable",
    "UnsupportedSourceError",
    "matches_pattern",
    "no_pattern",
    "pattern_candidates",
    "pattern_id_text",
    "pattern_key",
    "quote_identifier",
    "refuse_special_file",
    "row_at",
    "special_file_kind",
    "typed_text",
]

#: The record fields of DESIGN.md, in the core's checking order.
FIELDS = (
    "timestamp",
    "success",
    "execution_time_ms",
    "quality_score",
    "quality_gates_passed",
    "timeout",
    "context_type",
    "agent",
    "project",
    "file_path",
)
PATTERN_ID = "pattern_id"
FLAG_FIELDS = frozenset({"success", "quality_gates_passed", "timeout"})
NUMBER_FIELDS = frozenset({"execution_time_ms", "quality_score"})
TEXT_FIELDS = frozenset({"context_type", "agent", "project", "file_path"})
#: The texts a flag is read from where a source stores it as text (any case, trimmed),
#: each true text with its false one.
FLAG_TEXTS = (("true", "false"), ("t", "f"), ("yes", "no"), ("y", "n"), ("1", "0"))
TRUE_TEXTS = frozenset(true for true, _ in FLAG_TEXTS)
FALSE_TEXTS = frozenset(false for _, false in FLAG_TEXTS)


class FlagText(str):
    """A text a source that stores flags as text (a CSV cell, a SQLite text cell) holds
    where a flag belongs and that is none of `FLAG_TEXTS`: the core refuses it, as any
    text in a flag field, with `flag_reason`, which names the texts such a source reads
    (it said "must be a bool, got str", which they are not). A text in a list of dicts,
    or a JSON string, is a plain `str`: no flag is read from text there. (DESIGN.md is
    silent on the wording; shown as the text, `'maybe'`.)"""

    __slots__ = ()

    #: Read by the core (`fields.rs`, `flag`) on the way to the record's error only.
    flag_reason = (
        "must be a flag's text: "
        + ", ".join(f"{true}/{false}" for true, false in FLAG_TEXTS[:-1])
        + f" or {'/'.join(FLAG_TEXTS[-1])} (any case)"
    )


def typed_text(name: str, text: str) -> Any:
    """The value a text holds for record field `name`, where a source stores every value
    as text (a CSV cell, a column SQLite's `.import` made): a flag from true/false, t/f,
    yes/no, y/n or 1/0 (any case, trimmed), a number in the grammar of `number_text`
    ("12", " 0.5 ", "1e3", "nan"; not "1_000") as `float()` reads it (an integer's text as
    an int, below; a bad value, or one whose float is on its field's bound but is itself
    past it, a `WrittenNumber`, shown as written: `exact_numbers`), any other field's
    text as it is. A text that does not convert is returned unchanged (a flag field's as
    a `FlagText`, whose error names the flag texts), so that the core reports it as an
    invalid value of the field. (An empty text, a missing value, is the
    caller's.)"""
    if name in FLAG_FIELDS:
        folded = text.strip().lower()
        if folded in TRUE_TEXTS:
            return True
        if folded in FALSE_TEXTS:
            return False
        return FlagText(text)
    if name in NUMBER_FIELDS:
        number = number_of_text(text)
        if number is None:
            return text
        # (Strictly inside its field's bounds, a number is good and off them: literals
        # only, no look-up, for the cells of every file. 1e309 is the float inf, a
        # constant of the code; a NaN is inside nothing.)
        if not 0.0 < number < (1.0 if name == "quality_score" else 1e309):
            # On a bound, past one, or not finite: `exact_numbers`. A text whose float
            # is on a bound may be past it ("-1e-400" is -0.0, "1.00000000000000000001"
            # 1.0), and a bad value is shown as written ("1e400", not inf;
            # "-0.00000000000000000001", not -1e-20).
            if number == 0.0 or number == 1.0:
                past = None
                if may_be_past_its_bound(name, text, number):
                    past = past_its_bound(name, text)
            else:
                past = bad_as_written(text)
            if past is not None:
                return past
        # An integer's text as its int where the double it is read as holds it exactly:
        # the same number to the core, shown as 1, not the 1.0 of `float()` (as a JSON or
        # PostgreSQL integer is shown; a bad one is a `WrittenNumber`, above). (A whole
        # number spelt without a point or an exponent is one `int()` reads; `int()` tried
        # first cost 5 us a cell of "12.5", raising.)
        if number.is_integer() and "." not in text and "e" not in text and "E" not in text:
            return int(number) if -_EXACT_INTEGERS < number < _EXACT_INTEGERS else number
        return number
    return text


#: Integers below this in magnitude are held exactly by a double; a text of one past it may
#: have been rounded to it, so the int would not be the text's own number: kept a float.
_EXACT_INTEGERS = 2**53


class SourceError(UsageAnalyticsError):
    """Records that cannot be read: a malformed file, a missing table or column, a
    failed query."""


class SourceUnavailableError(SourceError):
    """The source cannot be reached: no such file, a directory, no permission, a database
    server that does not answer or refuses the login."""


def refuse_special_file(path: Path, instead: str = "") -> None:
    """Refuse a path that is there but is neither a regular file nor a directory (which
    has its own message): a named pipe, a socket, a device. A source opens its file more
    than once (a CSV header, the records, their line numbers; SQLite at will), so from a
    pipe the first reader took the records and the next waited for a writer forever.
    `instead` adds another way ("or ...")."""
    kind = special_file_kind(path)
    if kind is not None:
        raise SourceUnavailableError(
            f"{path}: is {kind}, not a regular file; save the records to a file first"
            f"{instead} (a source is read more than once)"
        )


def special_file_kind(path: Path) -> str | None:
    """What `path` is where it is there but is neither a regular file nor a directory ("a
    named pipe", "a socket", "a device"); else None (also where it cannot be looked at:
    opening it says why)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


class UnsupportedSourceError(SourceError):
    """A source description no reader handles: an unknown file extension, a malformed or
    unsupported URL."""


class UnknownPatternError(SourceError):
    """The source has no record of the requested pattern."""


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes (SQLite and PostgreSQL), embedded quotes doubled."""
    if not name or "\x00" in name:
        raise ValueError(f"not a usable SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def executions_columns(spec: TableSpec, *, text: str, time: str, flag: str, number: str) -> str:
    """The executions table's columns for `CREATE TABLE` (`pattern_id`, then the record
    fields, under `spec`'s names), each of the database's type for its kind."""

    def kind(name: str) -> str:
        if name in (PATTERN_ID, "timestamp"):
            return f"{time if name == 'timestamp' else text} NOT NULL"
        return flag if name in FLAG_FIELDS else number if name in NUMBER_FIELDS else text

    names = (PATTERN_ID, *FIELDS)
    return ", ".join(f"{quote_identifier(spec.column(name))} {kind(name)}" for name in names)


@dataclass(frozen=True)
class TableSpec:
    """Where execution records are stored: the table (optionally in a schema, or an
    attached SQLite database) and, for columns not named as the record fields, a mapping
    field -> column name (`{"timestamp": "started_at"}`).

    Only `pattern_id` and `timestamp` are required; a record field without a column is
    missing in every record (and takes its default, see DESIGN.md).
    """

    table: str = "pattern_executions"
    schema: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - {PATTERN_ID, *FIELDS})
        if unknown:
            raise ValueError(
                f"unknown record field(s) in the column mapping: {', '.join(unknown)} "
                f"(fields: {', '.join((PATTERN_ID, *FIELDS))})"
            )
        for name in (self.table, self.schema, *self.columns.values()):
            if name is not None:
                quote_identifier(name)
        object.__setattr__(self, "columns", dict(self.columns))

    def column(self, name: str) -> str:
        """The column holding record field `name`."""
        return self.columns.get(name, name)

    @property
    def qualified(self) -> str:
        """The quoted, schema-qualified table name for SQL."""
        table = quote_identifier(self.table)
        return table if self.schema is None else f"{quote_identifier(self.schema)}.{table}"

    @property
    def label(self) -> str:
        """The table name as people write it, for messages."""
        return self.table if self.schema is None else f"{self.schema}.{self.table}"

    @classmethod
    def from_options(cls, table: str | None = None, columns: Sequence[str] = ()) -> TableSpec:
        """From command-line text: `table` as NAME or SCHEMA.NAME, `columns` as
        FIELD=COLUMN items."""
        mapping: dict[str, str] = {}
        for item in columns:
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise ValueError(f"expected FIELD=COLUMN, got {item!r}")
            if name.strip() in mapping:  # (the last one won, silently)
                raise ValueError(f"the field {name.strip()!r} is mapped more than once")
            mapping[name.strip()] = column.strip()
        if table is not None and not table.strip():  # (the default table was read instead)
            raise ValueError("the table name is empty")
        schema: str | None = None
        name = table or cls.table
        if table and "." in table:
            schema, _, name = table.partition(".")
        return cls(table=name, schema=schema, columns=mapping)


def _default_locate(index: int) -> str:
    return f"record {index + 1}"


class Fetched:
    """The records of one pattern, ready for `ModelUsageAnalyticsInput.execution_data`.

    `data` is a pyarrow Table or a list of record dicts (or a dict of lists: the records of
    a CSV file's pattern with a cell that is no value of its field, see `sources.files`);
    `count` its number of records;
    `locate(i)` says where record `i` came from ("line 12", "row 7", "the row with
    timestamp '2026-01-05T10:00:00Z'"), for error messages; `position(i)` is its place
    in the whole source where records have one (a file's order), so that of several
    patterns' invalid records the first can be named, and None where they have not (a
    database's rows: the first is then by pattern, as `fetch_all` orders them).

    `data` may be given as a function that makes it (`Fetched.deferred`), called at each
    read: the groups of a file, a SQLite file or a PostgreSQL table are slices of one
    table, and a pyarrow slice held about 5 KB, half a gigabyte for a dashboard of
    100,000 patterns, most of which are read only through `together`.
    """

    __slots__ = ("_data", "_make", "count", "locate", "pattern_id", "position", "together")

    def __init__(
        self,
        pattern_id: str,
        data: Any,
        count: int,
        locate: Callable[[int], str] = _default_locate,
        position: Callable[[int], int] | None = None,
        together: Any = None,
    ) -> None:
        self.pattern_id = pattern_id
        self._data = data
        self._make: Callable[[], Any] | None = None
        self.count = count
        self.locate = locate
        self.position = position
        #: Where a source holds all of `fetch_all`'s groups in one Arrow table (a file's
        #: records, ordered by pattern), that table, shared by the groups: its `pattern_id`
        #: column holds each record's group, dictionary-encoded. A batch reduction reads
        #: it rather than a concatenation of the groups' tables (a copy of every record).
        self.together = together

    @classmethod
    def deferred(
        cls,
        pattern_id: str,
        make: Callable[[], Any],
        count: int,
        locate: Callable[[int], str] = _default_locate,
        position: Callable[[int], int] | None = None,
        together: Any = None,
    ) -> Fetched:
        """A group whose `data` is `make()`, made when read."""
        fetched = cls(pattern_id, None, count, locate, position, together)
        fetched._make = make
        return fetched

    @property
    def data(self) -> Any:
        return self._data if self._make is None else self._make()

    def __repr__(self) -> str:
        return f"Fetched({self.pattern_id!r}, {self.count} records)"


def checked_bounds(start: Any, end: Any) -> None:
    """A TypeError naming the first of a fetch's window bounds that is no datetime (naive
    = UTC, as the sources read one). Text was an AttributeError in SQLite, a failed query
    in PostgreSQL ("operator does not exist: timestamp with time zone >= text") and, in a
    record file, which hands over the pattern's records whatever the window, nothing; a
    date or an int alike. (The design is silent on the sources' arguments: a TypeError,
    as the analytics stores' `get` gives.) The order is not checked: a window ending
    before it starts holds no record."""
    for name, value in (("start", start), ("end", end)):
        a_datetime(name, value)


def a_datetime(name: str, value: Any) -> datetime:
    """`value`, a window bound called `name`, if it is a datetime; else the TypeError
    that names it, its type and its value. The one wording of this refusal, for the
    sources' `fetch` (`checked_bounds`) and the analytics stores' `get`
    (`usage_analytics.store.base.checked_bound`)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__} {value!r}")
    return value


def pattern_uuid(text: str) -> UUID | None:
    """The UUID a stored id spells (stripped; the spellings `uuid_spelled` reads)."""
    return uuid_spelled(text.strip())


#: The characters Python's `str.strip()` removes (those `str.isspace()` calls space), for
#: a database's `trim` to find the ids `no_pattern` calls blank.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def no_pattern(value: Any) -> bool:
    """Whether a stored pattern id names no pattern: missing, or blank text (bytes too:
    their text, as `pattern_key` reads them, not Python's `b'...'`)."""
    return value is None or not pattern_key(value)


def pattern_key(value: Any) -> str:
    """The pattern id under which a stored value is grouped: its text, stripped; a UUID in
    its canonical lower-case form (so "ABC..." and "abc..." are one pattern). Bytes (a
    SQLite blob, Arrow binary) are a UUID where 16 long, else their UTF-8 text, else their
    hex digits (not Python's `b'...'`). A number or a flag is keyed by its value, whatever
    the file's format: see `_value_text`.

    (The design is silent on stored ids that are not whole numbers. A SQLite REAL 2.5 or a
    Parquet double 2.5 is the pattern "2.5" here, and a source hands the batch reduction
    its rows keyed so: the CLI's results and `--pattern 2.5` name it "2.5", and
    `--pattern 1` finds an integer 1, a text "1" and a REAL 1.0 alike. The library's
    batch input refuses a float id in a caller's records instead, as its record's error:
    there it is the caller's value, which a caller can fix; a stored column of doubles is
    the data an analyst was given, every row of which would be refused.)"""
    if isinstance(value, (bool, float, Decimal)):
        return _value_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if len(raw) == 16:
            return str(UUID(bytes=raw))
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.hex()
    text = str(value).strip()
    uuid = pattern_uuid(text)
    return text if uuid is None else str(uuid)


def _value_text(value: bool | float | Decimal) -> str:
    """A flag or a non-integer number as a pattern id: a flag "true" or "false" (as JSON,
    Arrow and PostgreSQL write it, not Python's "True"); an integral number as its integer
    ("1" for 1.0: pandas stores integer ids beside a missing one as floats, Parquet keeps
    them so, and JSONL, SQLite and Arrow's casts spelt them "1.0" or "1"); NaN, which
    pandas writes for a missing id, as no pattern (""); others by Python's shortest text.
    The same records thus make the same patterns in every format."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = Decimal(value)  # (exact: a float's value, not its text)
    if number.is_nan():  # (sNaN too, whose comparisons raise)
        return ""
    if number.is_finite() and number == number.to_integral_value():
        # (Keyed as the int's text is: 32 digits spell a UUID, which the int's key was and
        # the float's not, and Arrow's grouping keyed the float's digits again, as the
        # UUID. Its digits written by Decimal: `str(int(...))` of a PostgreSQL numeric
        # 1e5000 raised ValueError, past Python's limit of 4,300 digits.)
        digits = f"{number:f}".partition(".")[0]
        return pattern_key("0" if digits == "-0" else digits)
    if isinstance(value, Decimal):
        # As the float of the same value where there is one (a decimal column's 2.50 and
        # 0.10 were "2.50" and "0.10", by its scale, where a double's were "2.5", "0.1").
        shortest = repr(float(number))
        if Decimal(shortest) == number:
            return shortest
        # Else its digits without trailing zeros, every one kept (`normalize` rounds to
        # the context's 28 digits, which would make two ids of 38 digits one).
        return str(number.normalize(Context(prec=len(number.as_tuple().digits))))
    return str(value)


def pattern_id_text(value: Any) -> Any:
    """A pattern id as the writers store it in a column of text (Parquet, CSV, SQLite): a
    flag or a number as the text `pattern_key` groups it under (NaN as missing), so that
    it reads back as the pattern it is in JSON Lines; other values as they are."""
    if isinstance(value, bool | float | Decimal):
        return pattern_key(value) or None
    return value


def is_utf8_text(text: str) -> bool:
    """Whether `text` is writable as UTF-8 (has no lone surrogates): a database's text,
    or a bound parameter, is (a wanted id that is not names no stored one)."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def pattern_candidates(wanted: str) -> list[str]:
    """The stored spellings a database query matches for `wanted` (an indexed `IN`): as
    given and, for a UUID, the spellings systems write, in lower and upper case: hyphens,
    braces, 32 hex digits, `urn:uuid:`. (`fetch_all` groups any spelling `uuid_spelled`
    reads under its canonical form, mixed case too, which is not asked for here; the
    single-pattern fetches list the stored ids and match them by `pattern_key`.)"""
    forms = [wanted]
    uuid = pattern_uuid(wanted)
    if uuid is not None:
        for text in (str(uuid), "{" + str(uuid) + "}", uuid.hex):
            forms += [text, text.upper()]
        urn = uuid.urn.removeprefix("urn:uuid:")
        forms += [
            f"{prefix}{hex_}"
            for prefix in ("urn:uuid:", "URN:UUID:")
            for hex_ in (urn, urn.upper())
        ]
    return list(dict.fromkeys(forms))


def matches_pattern(value: Any, wanted: str, wanted_uuid: UUID | None) -> bool:
    """Whether a stored pattern id `value` names pattern `wanted` (UUIDs in any form; a
    number or a flag by the text `pattern_key` groups it under, as `fetch_all` names it)."""
    if value is None:
        return False
    # (A JSON Lines id 1.0 was its text "1.0", which `--pattern 1`, the pattern the
    # dashboard lists, did not find; and `true` was "True".)
    text = pattern_key(value) if isinstance(value, bool | float | Decimal) else str(value).strip()
    if text == wanted:
        return True
    if wanted_uuid is None:
        return False
    return pattern_uuid(text) == wanted_uuid


def known_patterns(stored: Iterable[Any]) -> list[str]:
    """The patterns of the stored pattern ids `stored`, sorted: each id as `pattern_key`
    groups it, blank ones (which belong to no pattern) left out. An unknown pattern's
    error listed the stored ids as they are: blank ones (", ,"), padded ones (" p ") and
    each spelling of a UUID, none of them a pattern `fetch_all` or `--pattern` knows."""
    # Each id keyed once (`no_pattern` keys it too): a mistyped --pattern over a table of
    # a million distinct UUIDs spent 5.5 s here, twice what the keys take.
    keys = {pattern_key(value) for value in stored if value is not None}
    keys.discard("")
    return sorted(keys)


def unknown_pattern(
    wanted: str, where: str, known: Sequence[str], total: int | None = None
) -> UnknownPatternError:
    """The error for a pattern `where` has no record of, naming up to five it has
    (`known`, of `total` in all), each id (and `wanted`) cut after `LABEL_CHARS`
    characters, as an index label is (`label_repr`): five ids of a megabyte each made
    a message of megabytes."""
    asked = label_repr(wanted)
    if not known:
        return UnknownPatternError(f"no records with pattern_id {asked} in {where}")
    # (The dashboard's table shows UUIDs by their start, `short_ids`: one given so is
    # named whole, where the five first ids in order need not hold it.)
    starting = [key for key in known if key.startswith(wanted)]
    if starting:
        more = f" and {len(starting) - 5} more" if len(starting) > 5 else ""
        return UnknownPatternError(
            f"no records with pattern_id {asked} in {where}; ids starting with it: "
            f"{_shown_ids(starting)}{more} (pass the whole id)"
        )
    total = len(known) if total is None else total
    listed = _shown_ids(known) + (f" and {total - 5} more" if total > 5 else "")
    return UnknownPatternError(f"no records with pattern_id {asked} in {where} (it has: {listed})")


def _shown_ids(keys: Sequence[str]) -> str:
    """The first five of `keys`, each cut after `LABEL_CHARS` characters."""
    return ", ".join(cut_text(key) for key in keys[:5])


def row_at(timestamp: Any) -> str:
    """Where a database row is, for messages (its table has no row numbers that mean
    anything): by its timestamp (`stored_time`)."""
    if timestamp is None:
        return "a row with timestamp NULL"
    return f"the row with timestamp {stored_time(timestamp)}"


def row_place(timestamp: Any, key: Any, label: str | None) -> str:
    """A database row for messages by its key, which tells rows of one time apart and
    selects the row (`key`, named `label`: "rowid", "id", "ctid"; None where the table
    has none, or the row reads NULL, as a view's rowid does), and its timestamp."""
    if label is None or key is None:
        return row_at(timestamp)
    return f"the row with {label} {key} (timestamp {stored_time(timestamp)})"


def stored_time(timestamp: Any) -> str:
    """A stored timestamp for messages: ISO text for a datetime, NULL for none, else the
    stored value's repr."""
    if timestamp is None:
        return "NULL"
    return timestamp.isoformat() if hasattr(timestamp, "isoformat") else repr(timestamp)


@dataclass(frozen=True)
class Unattributed:
    """The records of a source without a pattern id: how many, and where the first is
    (in a file, the first by position: "line 12"; in a database, the earliest by
    timestamp, NULL first; None when there is none); `row`, the first's place in the
    source's order of records where it has one (a file's, as `Fetched.position` gives a
    record's), so that it can be told whether an invalid record comes before it; None
    in a database."""

    count: int
    first: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Unreadable:
    """The lines of a record file left out as holding no record, where the source was
    asked to skip them (`FileSource(skip_unreadable=True)`, `--on-invalid skip`): how
    many, and the first one's line (where a CSV row spanning lines starts) and reason
    ("not valid JSON: ..."); None when there is none. In a directory of files, `file`
    names the first one's file (its path in the directory)."""

    count: int
    line: int | None = None
    reason: str | None = None
    file: str | None = None

    @property
    def place(self) -> str:
        """Where the first one is: "line 12", "2026-11-02.jsonl.gz, line 12"."""
        line = f"line {self.line}"
        return line if self.file is None else f"{self.file}, {line}"


class ExecutionSource(AsyncClosing, ABC):
    """Execution records, fetched by pattern and window (see the module docstring).

    Use as an async context manager, or call `close()`.
    """

    #: What the source reads, for messages ("runs.csv", "postgresql://host/db").
    description: str

    @abstractmethod
    async def newest(self, pattern_id: str | None = None) -> datetime | None:
        """The newest valid timestamp of the pattern (of every record without one);
        None when no record has a valid timestamp. Raises `UnknownPatternError` for a
        pattern without records."""

    @abstractmethod
    async def fetch(self, pattern_id: str, start: datetime, end: datetime) -> Fetched:
        """The pattern's records in `[start, end]` (see the module docstring): those whose
        stored id `fetch_all` groups under `pattern_id` (`pattern_key`: stripped text, a
        UUID in any spelling). Raises `UnknownPatternError` when the source has no record
        of the pattern at all. (The databases list their distinct ids for this: one index
        seek each where an index leads with the pattern id, about 40 ms at 10,000
        patterns, else a scan; for many patterns, `fetch_all`.)"""

    @abstractmethod
    async def fetch_all(self, start: datetime, end: datetime) -> list[Fetched]:
        """Every pattern of the source with its records in `[start, end]` (possibly
        none), ordered by pattern id. Records without a pattern id are left out (see
        `unattributed`)."""

    async def fetch_present(self, start: datetime, end: datetime) -> list[Fetched]:
        """`fetch_all`'s groups that hold records: the patterns with records in
        `[start, end]` (or records no window holds, which every window hands over), each
        with those records, as `fetch_all` gives them, ordered by pattern id. For a narrow
        window over many patterns (the records at one instant, which `analyze`'s default
        window checks): a database reads the window's rows alone, by one range of an
        index leading with the timestamp where it has one (else by each pattern id's
        range of the (pattern_id, timestamp) index, as `fetch_all` reads them), and
        neither lists every id nor makes a group for each. A record file hands over
        every pattern with all its records, as its `fetch_all` does (its records are
        read whole already)."""
        return [group for group in await self.fetch_all(start, end) if group.count]

    @abstractmethod
    async def first_record(self, pattern_id: str | None = None) -> Fetched | None:
        """The first record of the pattern (of the records with a pattern id), in the
        source's own order: a file's first, a table's first row as it stores them. For
        messages about a source as a whole, at the cost of one record; None without
        one."""

    @abstractmethod
    async def unattributed(self) -> Unattributed:
        """The records without a pattern id (missing or blank), which `fetch_all` leaves
        out: whatever their timestamps, as no pattern's window holds them. A file without
        a pattern id field has none: its records belong to any pattern."""

    async def unreadable(self) -> Unreadable:
        """The lines left out as holding no record (see `Unreadable`): none but in a
        record file read with `skip_unreadable`. (A database's rows are records.)"""
        return Unreadable(0)

    async def fields_with_columns(self) -> frozenset[str] | None:
        """The record fields (and `pattern_id`) the source has a column for, under its
        mapping (`TableSpec.columns`): a table's columns, a file's header or schema. A
        field without one is missing in every record (DESIGN.md's default: a missing
        `success` is a failure). None where records name their fields one by one (JSON
        Lines, whose lines may hold a key or not), and by default: only the records
        tell."""
        return None

    async def index_hint(self) -> str | None:
        """The SQL statement that makes the index a read of one pattern needs, where the
        source is a database table that has none leading with its pattern id column (a
        table SQLite's `.import` made, which has no index): each `fetch` and `newest` of
        a pattern then scans the whole table (12-15 times slower at a million rows:
        BENCHMARKS.md, helper-236). Two, joined by "; ", where a PostgreSQL column's ids
        are listed by its index and its rows asked for by an expression of it, which
        another index serves (`PostgresSource.index_hint`). None where they are served,
        for a view (which takes no index: its tables' serve it), and for files. A few
        looks at the catalogue."""
        return None
