"""The executions table in PostgreSQL: its layout and indexes, and bulk writes into it
(for the demo, tests and benchmarks; services write their own rows)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from usage_analytics.sources.base import (
    FIELDS,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    SourceError,
    TableSpec,
    executions_columns,
    pattern_id_text,
    quote_identifier,
)
from usage_analytics.sources.postgres_connection import connect, driver, postgres_pyarrow
from usage_analytics.sources.postgres_url import first_line, redacted
from usage_analytics.sources.records import int_as_double, plain_scalar
from usage_analytics.sources.timestamps import timestamp_of

__all__ = [
    "MAX_NAME_BYTES",
    "analysable_sql",
    "create_executions_table",
    "pattern_time_index_sql",
    "unplaced_sql",
    "write_executions",
    "write_executions_sync",
]

#: PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a name and drops the rest silently.
MAX_NAME_BYTES = 63


def unplaced_sql(ts: str) -> str:
    """The timestamps no window holds (written as the partial index of
    `create_executions_table` has it, so that PostgreSQL can serve `fetch_all` from it):
    NULL, `infinity`, `-infinity` and the instants outside the years 1-9999 that windows
    (Python's datetimes) span, such as epoch milliseconds read as seconds, or BC dates."""
    return f"({ts} IS NULL OR NOT {analysable_sql(ts)})"


def analysable_sql(ts: str) -> str:
    """The timestamps within the years 1-9999 (the session runs in UTC)."""
    return f"({ts} >= '0001-01-01' AND {ts} < '10000-01-01')"


def create_executions_table(cursor: Any, table: TableSpec | None = None) -> None:
    """Create the executions table (timestamptz timestamps), its index on
    (pattern_id, timestamp) and a partial index of the rows no window holds, unless they
    exist (blocking; an ADBC cursor)."""
    spec = table or TableSpec()
    c = {name: quote_identifier(spec.column(name)) for name in (PATTERN_ID, *FIELDS)}
    columns = executions_columns(
        spec, text="text", time="timestamptz", flag="boolean", number="double precision"
    )
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {spec.qualified} ({columns})")
    index = quote_identifier(_index_name(spec.table, "pattern_time"))
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {index} ON {spec.qualified} "
        f"({c[PATTERN_ID]}, {c['timestamp']})"
    )
    # The rows no window holds, usually none: `fetch_all` asks for them over all patterns.
    # (Named anew in session 36, when years outside 1-9999 joined them: a table's older
    # `_unplaced` index has the old condition, which no query now matches.)
    unplaced = quote_identifier(_index_name(spec.table, "no_window"))
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {unplaced} ON {spec.qualified} ({c[PATTERN_ID]}) "
        f"WHERE {unplaced_sql(c['timestamp'])}"
    )


def pattern_time_index_sql(
    cursor: Any, spec: TableSpec, pid: str, ts: str, suffix: str = "pattern_time"
) -> str:
    """The `CREATE INDEX` of the (pattern_id, timestamp) index `create_executions_table`
    makes, for table `spec` made elsewhere (`pid` and `ts` its quoted columns, or `pid` an
    expression of its pattern id in parentheses), named as that one is (`suffix` after the
    table's name); unnamed (PostgreSQL then picks a free name) where a relation of the
    table's schema has the name already (an index of other columns: the statement would
    fail)."""
    name = _index_name(spec.table, suffix)
    cursor.execute(
        "SELECT 1 FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = "
        "(SELECT t.relnamespace FROM pg_class t WHERE t.oid = to_regclass($2))",
        (name, spec.qualified),
    )
    named = f"{quote_identifier(name)} " if cursor.fetchone() is None else ""
    return f"CREATE INDEX {named}ON {spec.qualified} ({pid}, {ts})"


def _index_name(table: str, suffix: str) -> str:
    """The index `{table}_{suffix}` as PostgreSQL cuts it (the name existing tables'
    indexes have), unless the table's name leaves no letter of the suffix: the two
    indexes then had one name, or the table's, and CREATE INDEX IF NOT EXISTS made one or
    none. Such a table's indexes end in a digest and the suffix's initial instead."""
    name = f"{table}_{suffix}"
    if len(table.encode()) + 2 <= MAX_NAME_BYTES:
        return name.encode()[:MAX_NAME_BYTES].decode(errors="ignore")
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    kept = table.encode()[: MAX_NAME_BYTES - len(digest) - 4].decode(errors="ignore")
    return f"{kept}_{digest}_{suffix[0]}"


def _records_table(pa: Any, records: list[Mapping[str, Any]], spec: TableSpec) -> Any:
    """The records as the table's columns, each value as the SQLite writer stores it (a
    number or flag pattern id as its pattern's text, numpy and Decimal scalars as plain
    values); a value the table cannot hold is refused by its record, field and value."""
    stamps = []
    for index, record in enumerate(records):
        stamp = timestamp_of(record.get("timestamp"))
        if stamp is None:
            raise SourceError(
                f"record {index}: timestamp {record.get('timestamp')!r} cannot be stored "
                "as timestamptz"
            )
        stamps.append(stamp)
    ids = [_stored_id(index, record.get(PATTERN_ID)) for index, record in enumerate(records)]
    arrays = [
        _column(pa, PATTERN_ID, ids, pa.string()),
        pa.array(stamps, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
    ]
    for name in FIELDS[1:]:
        values = [plain_scalar(record.get(name)) for record in records]
        if name in NUMBER_FIELDS:
            # (An integer as the double it is read as, as the other writers store it:
            # pyarrow refused one past 2^53, which no double holds exactly.)
            values = [int_as_double(value) if type(value) is int else value for value in values]
        elif name in FLAG_FIELDS:
            # (The integers 0 and 1 as the flags the library reads them as, and the SQLite
            # and Parquet writers store them: pyarrow refused them for a boolean column.)
            values = [
                value == 1 if type(value) is int and value in (0, 1) else value for value in values
            ]
        kind = (
            pa.bool_()
            if name in FLAG_FIELDS
            else pa.float64()
            if name in NUMBER_FIELDS
            else pa.string()
        )
        arrays.append(_column(pa, name, values, kind))
    return pa.Table.from_arrays(arrays, names=[spec.column(n) for n in (PATTERN_ID, *FIELDS)])


def _stored_id(index: int, value: Any) -> str:
    """A record's pattern id as stored: text, a number or flag as the text of its pattern
    (`pattern_id_text`: `str()` wrote 1.0 as "1.0" and True as "True", other patterns than
    the SQLite writer's "1" and "true"). A missing one (NaN too) is refused by record:
    the table requires it, and PostgreSQL's refusal named no record."""
    stored = pattern_id_text(plain_scalar(value))
    if stored is None:
        raise SourceError(
            f"record {index}: field {PATTERN_ID!r} is missing, and the table requires it"
        )
    return str(stored)  # (an int or a UUID as its text)


def _column(pa: Any, name: str, values: list[Any], kind: Any) -> Any:
    """The values of field `name` as an Arrow array of `kind`, or an error naming the
    first record whose value it cannot hold (a conversion's, or text with NUL, which
    PostgreSQL refused for the whole COPY: "invalid byte sequence for encoding"; or a
    flag in a number column, which pyarrow took as 1.0 or 0.0, a valid record where the
    library, and the Parquet writer, call it invalid)."""
    try:
        array = pa.array(values, kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    for index, value in enumerate(values):
        if isinstance(value, str) and "\x00" in value:
            raise SourceError(
                f"record {index}: field {name!r} = {value!r}: PostgreSQL text cannot hold NUL"
            )
        if isinstance(value, bool) and not pa.types.is_boolean(kind):
            raise SourceError(
                f"record {index}: field {name!r} = {value!r} cannot be stored as {kind}: "
                "a flag is no number"
            )
        if array is None:
            try:
                pa.array([value], kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                raise SourceError(
                    f"record {index}: field {name!r} = {value!r} cannot be stored as "
                    f"{kind}: {error}"
                ) from None
    return array


def write_executions_sync(
    url: str,
    records: Iterable[Mapping[str, Any]],
    table: TableSpec | None = None,
    *,
    replace: bool = False,
) -> int:
    """Write records (with `pattern_id`) into the executions table, creating it as
    needed, with one bulk COPY; `replace=True` deletes the table's rows first. Returns
    the number written (blocking)."""
    pa = postgres_pyarrow()
    spec = table or TableSpec()
    rows = list(records)
    data = _records_table(pa, rows, spec)
    dbapi = driver()
    connection = connect(url, autocommit=False)
    try:
        cursor = connection.cursor()
        try:
            create_executions_table(cursor, spec)
            if replace:
                cursor.execute(f"DELETE FROM {spec.qualified}")
            if rows:
                cursor.adbc_ingest(spec.table, data, mode="append", db_schema_name=spec.schema)
        finally:
            cursor.close()
        connection.commit()
    except dbapi.Error as error:
        raise SourceError(
            f"{redacted(url)}: cannot write the executions: {first_line(error, url)}"
        ) from None
    finally:
        connection.close()
    return len(rows)


async def write_executions(
    url: str,
    records: Iterable[Mapping[str, Any]],
    table: TableSpec | None = None,
    *,
    replace: bool = False,
) -> int:
    """`write_executions_sync` on a worker thread."""
    return await asyncio.to_thread(write_executions_sync, url, records, table, replace=replace)
