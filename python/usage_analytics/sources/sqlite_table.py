"""The executions table in SQLite: its layout and indexes, and bulk writes into it (for
the demo, tests and benchmarks; services write their own rows). Timestamps are written as
fixed-width UTC text (`2026-01-05T10:00:00.000000Z`), so that text order is time order."""

from __future__ import annotations

import asyncio
import math
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from usage_analytics.sources.base import (
    FIELDS,
    FLAG_FIELDS,
    PATTERN_ID,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    executions_columns,
    pattern_id_text,
    quote_identifier,
    typed_text,
)
from usage_analytics.sources.records import plain_scalar
from usage_analytics.sources.timestamps import format_utc

__all__ = [
    "DATE_GLOB",
    "create_executions_table",
    "pattern_time_index_sql",
    "placed_sql",
    "unplaced_sql",
    "write_executions",
    "write_executions_sync",
]

#: Text that starts with a `YYYY-MM-DD` date.
DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*"


def placed_sql(ts: str) -> str:
    """SQL condition for the timestamps a window condition places: text that starts
    with a `YYYY-MM-DD` date (see `sources.sqlite`)."""
    return f"(typeof({ts}) = 'text' AND {ts} GLOB '{DATE_GLOB}')"


def unplaced_sql(ts: str) -> str:
    """The rest: NULL, numbers, blobs, text without a leading date. (The partial index
    of `create_executions_table` has this condition, written the same, so that SQLite
    serves these queries from it.)"""
    return f"NOT {placed_sql(ts)}"


def create_executions_table(connection: sqlite3.Connection, table: TableSpec | None = None) -> None:
    """Create the executions table (DESIGN.md's record fields plus `pattern_id`), its
    index on (pattern_id, timestamp) and a partial index of the rows no window places,
    unless they exist."""
    spec = table or TableSpec()
    c = {name: quote_identifier(spec.column(name)) for name in (PATTERN_ID, *FIELDS)}
    columns = executions_columns(spec, text="TEXT", time="TEXT", flag="INTEGER", number="REAL")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {spec.qualified} ({columns})")
    index = quote_identifier(f"{spec.table}_pattern_time")
    unplaced = quote_identifier(f"{spec.table}_unplaced")
    prefix = "" if spec.schema is None else f"{quote_identifier(spec.schema)}."
    connection.execute(
        f"CREATE INDEX IF NOT EXISTS {prefix}{index} "
        f"ON {quote_identifier(spec.table)} ({c[PATTERN_ID]}, {c['timestamp']})"
    )
    # The rows no window places, usually none: every fetch asks for them (see the module;
    # with the timestamp, so that the index covers the asking and SQLite prefers it).
    connection.execute(
        f"CREATE INDEX IF NOT EXISTS {prefix}{unplaced} "
        f"ON {quote_identifier(spec.table)} ({c[PATTERN_ID]}, {c['timestamp']}) "
        f"WHERE {unplaced_sql(c['timestamp'])}"
    )


def pattern_time_index_sql(
    connection: sqlite3.Connection, spec: TableSpec, pid: str, ts: str
) -> str:
    """The `CREATE INDEX` of the (pattern_id, timestamp) index `create_executions_table`
    makes, for table `spec` made elsewhere (`pid` and `ts` its quoted columns), named as
    that one is, or with a number after it where an object of the schema has the name
    (an index of other columns: the statement would fail)."""
    schema = quote_identifier(spec.schema or "main")
    taken = {
        str(name).lower()
        for (name,) in connection.execute(f"SELECT name FROM {schema}.sqlite_master")
    }
    name = f"{spec.table}_pattern_time"
    number = 2
    while name.lower() in taken:  # (SQLite's names are caseless)
        name = f"{spec.table}_pattern_time_{number}"
        number += 1
    prefix = "" if spec.schema is None else f"{quote_identifier(spec.schema)}."
    return (
        f"CREATE INDEX {prefix}{quote_identifier(name)} "
        f"ON {quote_identifier(spec.table)} ({pid}, {ts})"
    )


def _stored(value: Any) -> Any:
    # numpy and Decimal scalars as the Python values the library reads them as: `sqlite3`
    # bound numpy's through their buffers, as blobs (a flag True as b'\x01', a count 3 as
    # eight bytes: invalid records), and refused a Decimal.
    value = plain_scalar(value)
    if isinstance(value, datetime):
        try:
            return format_utc(value)
        except OverflowError:
            # An instant before the year 1 or after 9999 in UTC (no window holds it, but
            # it is a record): as written, with its offset, which reads as that instant.
            # (It raised a bare OverflowError and nothing was written.)
            return value.isoformat()
    return value


def _stored_field(name: str, value: Any) -> Any:
    """A record field's value as stored (`_stored`); NaN, and a flag outside the flag
    fields, as the CSV writer's cell ('nan', 'true', 'false'), read back as that cell is
    (in a number field NaN, or a flag: an invalid record, as the library has it).
    `sqlite3` bound NaN as NULL, a missing value, and a flag as 1 or 0, a valid time or
    score: such records were written as valid ones (and an agent True as the text '1').
    (A pattern id's NaN is none, as `pattern_id_text` has it.)"""
    value = _stored(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, bool) and name not in FLAG_FIELDS:
        return "true" if value else "false"
    return value


#: Text that SQLite's INTEGER affinity stores as a number: a decimal literal, blanks around.
_SQLITE_NUMBER = re.compile(
    r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\v\f\r]*"
)


def _made_a_flag(name: str, value: Any) -> bool:
    """Whether the INTEGER column of flag field `name` would store `value` (as stored) as
    the integer 0 or 1, a flag, where the record holds none: a float 1.0, the text '1.0'
    or '+1' (invalid in the library, and as the CSV writer's cell)."""
    if name not in FLAG_FIELDS or isinstance(value, bool | int) or value is None:
        return False
    if isinstance(value, str):
        if type(typed_text(name, value)) is bool or not _SQLITE_NUMBER.fullmatch(value):
            return False  # (a flag's text, read as that flag; or text SQLite keeps)
        value = float(value)
    return isinstance(value, float) and value in (0.0, 1.0)


def write_executions_sync(
    path: str | Path,
    records: Iterable[Mapping[str, Any]],
    table: TableSpec | None = None,
    *,
    replace: bool = False,
) -> int:
    """Write records (with `pattern_id`) into the executions table of a SQLite file,
    creating the file and table as needed; `replace=True` deletes the table's rows
    first. Datetimes are stored as fixed-width UTC text, NaN and a flag of another field
    as the CSV writer's cell (`_stored_field`); a flag the table would make of another
    value (1.0, '1.0') is refused (`_made_a_flag`). Returns the number written."""
    spec = table or TableSpec()
    names = (PATTERN_ID, *FIELDS)
    columns = ", ".join(quote_identifier(spec.column(name)) for name in names)
    marks = ", ".join("?" for _ in names)
    try:
        connection = sqlite3.connect(Path(path))
    except sqlite3.Error as error:
        raise SourceUnavailableError(f"{path}: cannot open: {error}") from None
    # The last record handed to SQLite, by its index: the one refused, on an error.
    handed: list[tuple[int, list[Any]]] = []

    def rows() -> Iterator[list[Any]]:
        for index, record in enumerate(records):
            # (A float id 1.0 as "1": TEXT made it "1.0".)
            row = [pattern_id_text(_stored(record.get(PATTERN_ID)))]
            row += [_stored_field(name, record.get(name)) for name in FIELDS]
            handed[:] = [(index, row)]
            for name, value in zip(FIELDS, row[1:], strict=True):
                if _made_a_flag(name, value):
                    # (Refused, as the Parquet and PostgreSQL writers refuse it: the
                    # column cannot hold it as it is, and read it back as a valid flag.)
                    raise SourceError(
                        f"{path}: cannot write the executions: record {index}: field "
                        f"{name!r} = {value!r}: the INTEGER column would store it as the "
                        f"flag {int(float(value))}, which the record does not hold"
                    )
            yield handed[0][1]

    try:
        with connection:
            create_executions_table(connection, spec)
            if replace:
                connection.execute(f"DELETE FROM {spec.qualified}")
            cursor = connection.executemany(
                f"INSERT INTO {spec.qualified} ({columns}) VALUES ({marks})", rows()
            )
            return cursor.rowcount
    # (A value SQLite cannot hold is refused by `sqlite3` before SQLite sees it: an int
    # past 64 bits as OverflowError, text with a lone surrogate as UnicodeEncodeError.)
    except (sqlite3.Error, OverflowError, UnicodeEncodeError) as error:
        where = _refused(connection, names, *handed[0]) if handed else None
        raise SourceError(f"{path}: cannot write the executions: {where or error}") from None
    finally:
        connection.close()


def _refused(
    connection: sqlite3.Connection, names: Sequence[str], index: int, row: Sequence[Any]
) -> str | None:
    """Which value of record `index` (its stored `row`) SQLite refused, and why: the first
    that cannot be bound, or a required field missing; None where none is (the error
    then is not the record's). The error named neither the record nor the value ("Error
    binding parameter 9: type 'list' is not supported", or a bare OverflowError)."""
    for name, value in zip(names, row, strict=True):
        try:
            connection.execute("SELECT ?", (value,))
        except (sqlite3.Error, OverflowError, UnicodeEncodeError) as error:
            # (Not "Error binding parameter 1: ...", the number of this probe's parameter.)
            why = re.sub(r"^Error binding parameter \d+: ", "", str(error))
            return f"record {index}: field {name!r} = {value!r}: {why}"
    for name, value in zip(names, row, strict=True):
        if value is None and name in (PATTERN_ID, "timestamp"):
            return f"record {index}: field {name!r} is missing, and the table requires it"
    return None


async def write_executions(
    path: str | Path,
    records: Iterable[Mapping[str, Any]],
    table: TableSpec | None = None,
    *,
    replace: bool = False,
) -> int:
    """`write_executions_sync` on a worker thread."""
    return await asyncio.to_thread(write_executions_sync, path, records, table, replace=replace)
