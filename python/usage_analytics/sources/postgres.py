"""PostgreSQL as a source, through ADBC's PostgreSQL driver (the `postgres` extra).

    async with PostgresSource("postgresql://user@host/db") as source:
        fetched = await source.fetch("checkout", start, end)   # a pyarrow Table

The driver reads results with PostgreSQL's binary COPY protocol straight into Arrow
buffers (no Python object per row or value) and binds every value as a query parameter.
Timestamps are `timestamptz` (a `timestamp` column is taken as UTC, a `date` as midnight
UTC: the session runs in UTC). The window is an exact SQL condition on the timestamp
column, so an index on (pattern_id, timestamp) serves every query; `pattern_id` may be
text or uuid, or numbers or bytea, or json or jsonb, keyed as files key them
(`postgres_ids`: a JSON string its own text, a JSON number by its value). A read of one
pattern asks for its rows by the column's values (of its texts, those that are a value's:
`postgres_id_values`; a jsonb column's as jsonb), which the column's own index serves,
but a json column's (which no btree indexes) by their text. Its stored ids (padded text,
a UUID's spellings, a number's texts) are found by that index where the column's type and
collation allow (`postgres_spellings`), else by listing every id. Integer number columns are read as
integers, others as doubles (`_as_double`), so that an error shows -1 as -1. A row whose
timestamp is in no window (NULL, `infinity`, `-infinity`, an instant outside the years
1-9999) is fetched for every window, so that nothing is left out unseen: the core then
reports it as an invalid record. Such rows are rare, and only when a fetch holds one are
its timestamps handed over as ISO text (the same instants) instead of Arrow timestamps.

Messages name a row whose timestamp is in no window (NULL, `infinity`: timestamps that
do not tell rows apart) by the table's primary key, else its `ctid` (with the partition's
name in a partitioned table), and its timestamp: "the row with id 7 (timestamp NULL)".
Only those rows carry the key (`_ROW_KEY`): for every row it cost 10-20% more time and
memory per fetch (measured); a row in a window is named by its timestamp, a view's rows,
which have no key, too.

`fetch_present` (the records at one instant, of any pattern: `analyze`'s default window
checks them) reads a window's rows alone: by one range of a btree index leading with the
timestamp where the table has one (`_time_indexed`; the library makes none), else as
`fetch_all` reads them, each id's range of the (pattern_id, timestamp) index, without
listing the ids or making a group for each; or, where the table's statistics say its ids
have few rows each (`postgres_shape`), by one scan, as `fetch_all` then reads them too
(in the ranges' order), and lists the ids (`_pattern_ids`: else by one index seek each).

One connection per source (`postgres_connection`), opened on first use; calls are
serialized on it and run on a worker thread (the driver is synchronous), so the event
loop never blocks. The executions table's own layout, and writes into it, are in
`postgres_table`; URLs and their passwords in `postgres_url`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, NamedTuple

from usage_analytics.collector import made_paused
from usage_analytics.sources.arrow import group_by_pattern, pattern_table
from usage_analytics.sources.base import (
    FIELDS,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    WHITESPACE,
    ExecutionSource,
    Fetched,
    SourceError,
    TableSpec,
    Unattributed,
    checked_bounds,
    is_utf8_text,
    known_patterns,
    pattern_candidates,
    pattern_key,
    pattern_uuid,
    quote_identifier,
    row_place,
    unknown_pattern,
)
from usage_analytics.sources.column_case import ascii_folded as _folded
from usage_analytics.sources.column_case import other_case as _other_case
from usage_analytics.sources.missing_column import missing_column_error
from usage_analytics.sources.postgres_connection import (
    PostgresConnection,
    postgres_pyarrow,
)
from usage_analytics.sources.postgres_id_values import (
    RECHECKED_TYPES,
    VALUE_ID_TYPES,
    value_texts,
)
from usage_analytics.sources.postgres_ids import (
    FLOAT_ID_TYPES,
    KEYED_ID_TYPES,
    id_key,
    keyed_ids,
)
from usage_analytics.sources.postgres_shape import LIST_BY_SCAN_BELOW_ROWS_PER_ID, few_rows_per_id
from usage_analytics.sources.postgres_spellings import (
    NUMBER_TYPES,
    TEXT_TYPES,
    byte_ordered_collation,
    number_forms,
    text_forms,
)
from usage_analytics.sources.postgres_table import (
    analysable_sql,
    pattern_time_index_sql,
    unplaced_sql,
)
from usage_analytics.sources.query_as_table import query_hint

__all__ = ["PostgresSource"]

_TEXT_TYPES = ("text", "character varying", "character", "name", "citext")
_INTEGER_TYPES = ("smallint", "integer", "bigint")
_FLAG_TYPES = ("boolean", *_INTEGER_TYPES)
_NUMBER_TYPES = (*_INTEGER_TYPES, "real", "numeric", "double precision", "interval")

#: A table's columns: name, type (a domain's base type, with its modifier), whether it is
#: a domain, whether its collation is deterministic, the type's `typtype` (in the table's
#: order). (The column
#: `collisdeterministic` is read through `to_jsonb`: PostgreSQL 11 and older have none.)
_COLUMNS_QUERY = (
    "WITH RECURSIVE typed(attnum, attname, typid, typmod, is_domain, coll_oid) AS ("
    "SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, false, a.attcollation "
    "FROM pg_attribute a "
    "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
    "UNION ALL SELECT typed.attnum, typed.attname, t.typbasetype, t.typtypmod, true, "
    "typed.coll_oid FROM typed JOIN pg_type t ON t.oid = typed.typid WHERE t.typtype = 'd') "
    "SELECT typed.attname, format_type(typed.typid, typed.typmod), typed.is_domain, "
    "coalesce((to_jsonb(c) ->> 'collisdeterministic')::boolean, true), t.typtype::text FROM typed "
    "JOIN pg_type t ON t.oid = typed.typid LEFT JOIN pg_collation c ON c.oid = typed.coll_oid "
    "WHERE t.typtype <> 'd' ORDER BY typed.attnum"
)
#: The tables, views and foreign tables whose names (and schema's, where $2 is not '') are
#: those given but for case (lower() folds more than ASCII: `_folded` then checks), in
#: the search path where no schema is given.
_SAME_NAME_QUERY = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND lower(c.relname) = lower($1::text) AND CASE WHEN $2::text = '' "
    "THEN n.nspname = ANY (current_schemas(false)) ELSE lower(n.nspname) = lower($2::text) END "
    "ORDER BY 1, 2"
)
#: The least magnitude a numeric rounds to infinity as a double (the largest double and
#: half its last place: 2**1024 - 2**970), and the largest it rounds to zero (2**-1075).
#: PostgreSQL refuses to cast either; Python's float() reads them as inf and 0.0.
_DOUBLE_OVERFLOW = str((1 << 1024) - (1 << 970))
_DOUBLE_UNDERFLOW = "0." + str(5**1075).rjust(1075, "0")


#: The select list's name for a row's key (`_RowKey`), after the record fields: no record
#: field's name, so the core, which reads those alone, passes it over.
_ROW_KEY = "ua_row_key"
#: Spellings of a pattern id matched by `= ANY` of their array (see `_pattern_condition`).
_FEW_SPELLINGS = 64

#: The relation's kind and its primary key's columns, in the key's order.
_ROW_KEY_QUERY = (
    "SELECT c.relkind::text, coalesce((SELECT array_agg(a.attname::text ORDER BY k.place) "
    "FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, place) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "WHERE i.indrelid = c.oid AND i.indisprimary), '{}') "
    "FROM pg_class c WHERE c.oid = to_regclass($1)"
)


class _RowKey(NamedTuple):
    """What names a table's rows in messages: the SQL giving it as text, and its name
    there ("id", "(pattern_id, seq) =", "ctid")."""

    sql: str
    label: str


class _Column(NamedTuple):
    """A table's column: its SQL name, its type (a domain's base type), whether that type
    is a domain's, whether its collation is deterministic (not case-insensitive), and the
    type's kind (`pg_type.typtype`: "b" base, "c" composite, "e" enum, "r" range, "m"
    multirange)."""

    sql: str
    kind: str
    domain: bool = False
    deterministic: bool = True
    typtype: str = "b"

    @property
    def base(self) -> str:
        """The type without its modifier (`format_type` writes "numeric(10,3)") nor its
        schema (a type off the search path is written "ext.citext"); an array's keeps its
        "[]" ("numeric(10,3)[]": "numeric[]"). (Cut at the modifier, it was "numeric",
        and the ids were read as numbers: `fetch_all` raised decimal's InvalidOperation on
        "{1.000}"; a "character varying(5)[]" one's read failed the query, "operator does
        not exist: character varying[] = text".)"""
        name = self.kind.split("(", 1)[0].strip().rsplit(".", 1)[-1]
        return f"{name}[]" if self.kind.endswith("]") and not name.endswith("]") else name


def _as_double(sql: str, base: str) -> str:
    """A number column as double precision, valued as a CSV export of it reads: `real` by
    its shortest text (868.521, not 868.52099609375: the session's extra_float_digits is
    1), a numeric past a double's range infinite or zero (the cast refused it and failed
    the query), an interval in milliseconds."""
    if base == "real":
        return f"{sql}::text::double precision"
    if base == "interval":
        return f"(extract(epoch FROM {sql}) * 1000)::double precision"
    if base == "numeric":
        return (
            f"(CASE WHEN {sql} = 'NaN' THEN 'NaN'::double precision "
            f"WHEN abs({sql}) >= {_DOUBLE_OVERFLOW} "
            f"THEN sign({sql})::double precision * 'Infinity'::double precision "
            f"WHEN abs({sql}) <= {_DOUBLE_UNDERFLOW} THEN sign({sql})::double precision * 0 "
            f"ELSE {sql}::double precision END)"
        )
    return f"{sql}::double precision"


def _steps_by_index(column: _Column) -> bool:
    """Whether `_skip_scan`'s steps may list the column's ids through an index of it."""
    if column.base == "json":
        return False  # (no btree orders json: an index of it cannot be made)
    if column.base == "jsonb":
        # Its steps list one of the values jsonb finds equal, whose keys may be two
        # patterns: 9007199254740993 and 9007199254740993.0 (a float's, ...992), {"a": 1}
        # and {"a": 1.0}. A read of the one not listed was "no records", of the other
        # counted both's rows, where `fetch_all` (keying each row's text) made two groups.
        return False
    if not column.deterministic or column.base == "citext":
        # Its steps "the least id above x" would skip "A" after "a": a case-insensitive
        # collation's, or citext's, whose comparisons ignore case under any collation.
        return False
    # Or "1.000" after "1", and "2.50" after "2.5", which are other texts (the latter
    # another pattern) of one value. (A float's are one pattern, "0" of -0 and 0, and
    # matched by value: `_pattern_condition`.) So too an interval's ("1 day" and
    # "24:00:00") and an array's ("{1.0}" and "{1}", "{-0}" and "{0}"), whose texts are
    # their patterns: `fetch_all` had no group for the one not listed. And a range's, a
    # multirange's or a composite's of those ("[1.0,2)" and "[1,2)", "(-0)" and "(0)"),
    # whatever its type's name.
    if column.typtype in ("r", "m", "c"):
        return False
    return column.base not in ("numeric", "interval") and not column.kind.endswith("]")


#: Where a plan shows a node's condition: a scan's filter, an index's condition.
_CONDITIONS_SHOWN = ("Filter", "Index Cond", "Recheck Cond")


def _text_array(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of `values` (each double-quoted, `"` and `\\` escaped),
    bound as one text parameter and cast to text[]."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def _by_value(column: _Column) -> bool:
    """Whether a read of a pattern asks for the column's rows by value (the uuid, float
    and jsonb columns', and `postgres_id_values`' types), which the column's own index
    serves; not a column whose collation finds "A" equal to "a"."""
    if not column.deterministic:
        return False
    return column.base in ("uuid", "jsonb", *FLOAT_ID_TYPES, *VALUE_ID_TYPES)


def _any_of(target: str, array: str, parameter: int, count: int) -> str:
    """`target` one of the array parameter's `count` elements (of SQL type `array`)."""
    # One array parameter, however many spellings (PostgreSQL binds at most 65,535
    # parameters); `= ANY` of it is served by the index as an IN list is.
    if count <= _FEW_SPELLINGS:
        return f"{target} = ANY(${parameter}::{array})"
    # Many: a semi-join on the array's elements (hashed, or an index probe each). A
    # table scan filtering by `= ANY` of a bound array compares each row with every
    # element: 66,000 spellings over 66,000 rows took minutes, the plan a freshly
    # analysed table of distinct ids got.
    return f"{target} IN (SELECT unnest(${parameter}::{array}))"


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise SourceError(f"the timestamp column holds {type(value).__name__} values")


class PostgresSource(ExecutionSource):
    """Execution records in a PostgreSQL table (see the module docstring)."""

    def __init__(self, url: str, table: TableSpec | None = None) -> None:
        self.table = table or TableSpec()
        self._connection = PostgresConnection(url, on_connect=self._forget_columns)
        self.url = url
        self.description = self._connection.description
        self._columns: dict[str, _Column] | None = None
        self._row_key: _RowKey | None = None
        self._listed: list[str] | None = None

    def _forget_columns(self, connection: Any) -> None:
        self._columns = None

    async def _run(self, work: Callable[[Any, dict[str, _Column]], Any]) -> Any:
        def call(cursor: Any) -> Any:
            if self._columns is None:
                self._columns = self._introspect(cursor)
                self._row_key = self._key_of_rows(cursor)
            try:
                return work(cursor, self._columns)
            finally:
                self._listed = None  # (kept for one call: `_pattern_ids`)

        return await self._connection.run(call)

    async def close(self) -> None:
        await self._connection.close()

    def _skip_scan(self, cursor: Any, pid: str) -> str | None:
        """A recursive CTE `ua_ids(ua_id)` of the distinct pattern ids, one index seek each
        (PostgreSQL has no skip scan), when a btree index can serve "the least id above
        x": valid, not partial, leading with the pattern id column with the default
        operator class and the column's collation (any other index would turn each step
        into a scan). Else None: the callers scan. The CTE's names are qualified and
        unusual, so that the table's own columns cannot capture them."""
        table = self.table.qualified
        column = None if self._columns is None else self._columns[PATTERN_ID]
        if column is not None and not _steps_by_index(column):
            return None
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "JOIN pg_opclass o ON o.oid = i.indclass[0] "
            "WHERE i.indrelid = to_regclass($1) AND a.attname = $2 AND i.indpred IS NULL "
            "AND i.indisvalid AND am.amname = 'btree' AND o.opcdefault "
            "AND i.indcollation[0] = a.attcollation LIMIT 1",
            (table, _unquoted(pid)),
        )
        if cursor.fetchone() is None:
            return None
        return (
            f"WITH RECURSIVE ua_ids(ua_id) AS ((SELECT {pid} FROM {table} "
            f"WHERE {pid} IS NOT NULL ORDER BY {pid} LIMIT 1) UNION ALL "
            f"SELECT (SELECT ua_t.{pid} FROM {table} AS ua_t WHERE ua_t.{pid} > ua_ids.ua_id "
            f"ORDER BY ua_t.{pid} LIMIT 1) FROM ua_ids WHERE ua_ids.ua_id IS NOT NULL) "
        )

    def _pattern_ids(self, cursor: Any, pid: str, skip_scan: str | None) -> list[str]:
        """The distinct pattern ids, as text (NULL left out): by the index's steps
        (`_skip_scan`), one seek an id, but where the table's statistics say its ids have
        few rows each (`postgres_shape`): one scan then reads them faster (100,000 ids over
        1M rows: 0.25 s against 0.6 to 1.5), the same ids the steps list (DISTINCT by the
        type's equality, which the index's steps use). Listed once a call (`_run`): an
        unknown pattern's read listed them twice where the column's index finds no
        spellings (`_listed_forms`, then `_unknown`): 2.4 s, now 1.3, at 100,000 ids over
        1M rows in an ICU collation (BENCHMARKS.md, helper-290)."""
        if self._listed is None:
            self._listed = self._listed_ids(cursor, pid, skip_scan)
        return self._listed

    def _listed_ids(self, cursor: Any, pid: str, skip_scan: str | None) -> list[str]:
        """`_pattern_ids` listed by the server."""
        table = self.table.qualified
        if skip_scan is not None and few_rows_per_id(
            cursor, table, _unquoted(pid), LIST_BY_SCAN_BELOW_ROWS_PER_ID
        ):
            query = (
                f"SELECT ua_id::text FROM (SELECT DISTINCT {pid} AS ua_id FROM {table} "
                f"WHERE {pid} IS NOT NULL) AS ua_ids"
            )
        elif skip_scan is None:
            # (Under "C": a case-insensitive collation's DISTINCT kept one of "a" and "A".)
            query = (
                f'SELECT DISTINCT {pid}::text COLLATE "C" FROM {self.table.qualified} '
                f"WHERE {pid} IS NOT NULL"
            )
        else:
            query = f"{skip_scan}SELECT ua_id::text FROM ua_ids WHERE ua_id IS NOT NULL"
        cursor.execute(query)
        # (As Arrow: the driver's row by row fetch took 20 µs a row.)
        return [str(value) for value in cursor.fetch_arrow_table().column(0).to_pylist()]

    def _introspect(self, cursor: Any) -> dict[str, _Column]:
        """Record field -> (SQL expression naming it, its type), checking the table and
        its required (and mapped) columns."""
        found = self._table_columns(cursor, self.table)
        if not found:
            other = self._table_of_other_case(cursor)
            if other is not None:
                self.table, found = other, self._table_columns(cursor, other)
        spec = self.table
        if not found:
            cursor.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY 1 LIMIT 20"
            )
            tables = [str(row[0]) for row in cursor.fetchall()]
            has = f"tables: {', '.join(tables)}" if tables else "it has no tables"
            raise SourceError(
                f"{self.description} has no table {spec.label!r}{_dotted_hint(cursor, spec)} "
                f"({has}){query_hint(spec.label)}"
            )
        columns: dict[str, _Column] = {}
        where = f"table {spec.label!r} of {self.description}"
        for name in (PATTERN_ID, *FIELDS):
            wanted = spec.column(name)
            actual = wanted if wanted in found else _other_case(found, wanted, name, where)
            if actual is None:
                if name in (PATTERN_ID, "timestamp") or name in spec.columns:
                    raise SourceError(missing_column_error(where, wanted, name, found))
                continue
            columns[name] = found[actual]
            self._check_type(name, columns[name])
        return columns

    @staticmethod
    def _table_columns(cursor: Any, spec: TableSpec) -> dict[str, _Column]:
        """The columns of the table `spec` names, by name (none where there is no table)."""
        cursor.execute(_COLUMNS_QUERY, (spec.qualified,))
        return {
            str(name): _Column(
                quote_identifier(str(name)), str(kind), bool(domain), bool(exact), str(typtype)
            )
            for name, kind, domain, exact, typtype in cursor.fetchall()
        }

    def _table_of_other_case(self, cursor: Any) -> TableSpec | None:
        """The one table (in the schema named, else in the search path) named as the
        table asked for but for the case of its ASCII letters, as SQLite matches table
        names and `_other_case` columns: a quoted "Pattern_Executions" was "no table
        'pattern_executions'". None where there is none; more than one is an error naming
        them."""
        spec = self.table
        matches = _tables_named(cursor, spec.table, spec.schema)
        if len(matches) > 1:
            listed = " and ".join(repr(f"{schema}.{name}") for schema, name in matches)
            raise SourceError(
                f"{self.description} has no table {spec.label!r}; tables {listed} match it "
                "but for case: name one of them (--table SCHEMA.NAME)"
            )
        if not matches:
            return None
        schema, name = matches[0]
        return replace(spec, table=name, schema=schema)

    def _key_of_rows(self, cursor: Any) -> _RowKey | None:
        """What tells the table's rows apart in messages (they were named by their
        timestamps alone, which rows share, or NULL): its primary key; else its rows'
        `ctid` (where the row is now: `WHERE ctid = '(0,5)'` selects it until it is
        updated or the table vacuumed), with the partition's name in a partitioned table;
        None for a view or a foreign table."""
        cursor.execute(_ROW_KEY_QUERY, (self.table.qualified,))
        found = cursor.fetchone()
        if found is None:
            return None
        kind, key = str(found[0]), [str(name) for name in found[1] or []]
        if len(key) == 1:
            return _RowKey(f"{quote_identifier(key[0])}::text", key[0])
        if key:
            listed = ", ".join(quote_identifier(name) for name in key)
            return _RowKey(f"ROW({listed})::text", f"({', '.join(key)}) =")
        if kind in ("r", "m"):
            return _RowKey("ctid::text", "ctid")
        if kind == "p":
            return _RowKey("tableoid::regclass::text || ' ' || ctid::text", "partition and ctid")
        return None

    def _check_type(self, name: str, column: _Column) -> None:
        """Refuses a column whose type cannot hold the record field `name`, naming the type
        (the driver's Arrow type named another, "Utf8", and stopped the whole analysis)."""
        # An array's type keeps its element's modifier first ("numeric(10,3)[]"), whose
        # base was "numeric", which passed, and the queries failed in SQL's words
        # ("malformed array literal") without naming the column. (Its base is "numeric[]"
        # now; but "timestamp[]" starts as a timestamp's.)
        base = "" if column.kind.endswith("]") else column.base
        if name == "timestamp":
            needs = None if base.startswith("timestamp") or base == "date" else "timestamptz"
            hint = "timestamps must be timestamptz (or timestamp, taken as UTC)"
        elif name in FLAG_FIELDS:
            needs = None if base in _FLAG_TYPES else "boolean"
            hint = "flags must be boolean (or integers 0/1): cast it in a view"
        elif name in NUMBER_FIELDS:
            needs = None if base in _NUMBER_TYPES else "a number"
            hint = "numbers must be of a number type (or interval): cast it in a view"
        else:
            return
        if needs is not None:
            raise SourceError(
                f"column {self.table.column(name)!r} of table {self.table.label!r} is "
                f"{column.kind}; {hint}"
            )

    @staticmethod
    def _expression(name: str, column: _Column) -> str:
        """The column as the record field's Arrow type needs it: the driver reads the
        built-in types alone, so a domain is cast to its base type."""
        sql, base = column.sql, column.base
        if name == PATTERN_ID:
            return f"{sql}::text"
        if name in NUMBER_FIELDS and base in _INTEGER_TYPES:
            # As integers, which the core reads as it reads doubles (a bigint past 2**53
            # rounded as PostgreSQL's cast rounds it), so that an error shows the value
            # as the table holds it: -1, not -1.0.
            return f"{sql}::{column.kind}" if column.domain else sql
        if name in NUMBER_FIELDS:
            return _as_double(sql, base)
        if name in FLAG_FIELDS or name == "timestamp":
            return f"{sql}::{column.kind}" if column.domain else sql
        plain = base in ("text", "character varying") and not column.domain
        return sql if plain else f"{sql}::text"

    def _select(
        self,
        columns: Mapping[str, _Column],
        with_id: bool,
        timestamp_text: bool = False,
        keyed: bool = False,
    ) -> str:
        """The select list: the record fields, then (`keyed`) the row's key where the
        table has one (`_key_of_rows`); `timestamp_text` reads the timestamps as ISO
        text."""
        names = [n for n in ((PATTERN_ID,) if with_id else ()) + FIELDS if n in columns]

        def expression(name: str) -> str:
            if timestamp_text and name == "timestamp":
                return f"{columns[name].sql}::text"
            return self._expression(name, columns[name])

        listed = [f"{expression(n)} AS {quote_identifier(n)}" for n in names]
        if keyed and self._row_key is not None:
            listed.append(f"{self._row_key.sql} AS {quote_identifier(_ROW_KEY)}")
        return ", ".join(listed)

    def _unplaced(
        self, cursor: Any, columns: Mapping[str, _Column], condition: str, params: list[Any]
    ) -> Any:
        """The rows matching `condition` whose timestamp is in no window (see the module
        docstring), timestamps as text, pattern ids first."""
        ts = columns["timestamp"].sql
        cursor.execute(
            f"SELECT {self._select(columns, with_id=True, timestamp_text=True, keyed=True)} "
            f"FROM {self.table.qualified} WHERE {condition} AND {unplaced_sql(ts)}",
            params,
        )
        return cursor.fetch_arrow_table()

    def _pattern_forms(
        self, cursor: Any, columns: Mapping[str, _Column], wanted: str
    ) -> list[str] | None:
        """The stored ids `fetch_all` groups under `wanted` (`pattern_key`: padded text,
        other UUID spellings, a number's other texts), as text: found by the column's
        index where its type and collation allow (`postgres_spellings`), else listed from
        the distinct ids; None when no stored value can match (a non-UUID id against a
        uuid column, an id no number of a number column is)."""
        column = columns[PATTERN_ID]
        if column.base == "uuid":
            uuid = pattern_uuid(wanted)
            return None if uuid is None else [str(uuid)]
        if ("\x00" in wanted or not is_utf8_text(wanted)) and column.base not in ("json", "bytea"):
            # No stored id holds NUL: PostgreSQL's text refuses it, and every id is read as
            # text. Bound, it failed the query ("invalid byte sequence for encoding"), where
            # a SQLite table without it says "no records". (But a key may: a json value's
            # "\u0000", a bytea's UTF-8 text, b"a\x00b"; whose rows are asked for by the
            # stored text, "\x610062", without NUL: found by listing the ids. jsonb refuses
            # "\u0000".) Nor a lone surrogate, which binding raised UnicodeEncodeError of.
            return None
        key, table = pattern_key(wanted), self.table.qualified
        if key and column.base in NUMBER_TYPES:
            found = number_forms(cursor, table, column.sql, column.base, key)
            if found is not None:
                return found or None
        if key and column.base in TEXT_TYPES and self._skip_scan(cursor, column.sql) is not None:
            # (`_skip_scan`: an index of the column, in its collation, and one that
            # tells every stored text apart: not citext's, nor a case-insensitive one's.)
            collation = byte_ordered_collation(cursor, table, _unquoted(column.sql))
            if collation is not None:
                return text_forms(cursor, table, column.sql, collation, key)
        return self._listed_forms(cursor, column, wanted)

    def _listed_forms(self, cursor: Any, column: _Column, wanted: str) -> list[str] | None:
        """`_pattern_forms` by listing every distinct stored id."""
        key, key_of = pattern_key(wanted), id_key(column.base)
        stored = self._pattern_ids(cursor, column.sql, self._skip_scan(cursor, column.sql))
        forms = [value for value in stored if key_of(value) == key]
        if not forms and column.base in KEYED_ID_TYPES:
            # (The spellings asked for as text would match an id's own text: "1e+20",
            # "NaN", "\\x6162", which are no pattern of the column.)
            return None
        return forms or pattern_candidates(wanted.strip())  # (none: unknown, said later)

    @staticmethod
    def _pattern_condition(
        columns: Mapping[str, _Column], forms: list[str], first: int
    ) -> tuple[str, list[Any]]:
        """SQL matching the stored ids `forms` (`_pattern_forms`), parameters from
        `$first`: by the column's values where its type allows (`_by_value`), so that its
        own index serves it, else by its text (an index of that text serves it)."""
        column = columns[PATTERN_ID]
        if column.base == "uuid":
            return f"{column.sql} = ${first}::uuid", forms
        if column.base == "jsonb":
            # By value, which the column's own index serves (by text, `#>> '{}'`, as
            # before, none did), then by text, as a numeric's: jsonb finds equal values
            # whose keys (`postgres_ids`) are two patterns (see `_steps_by_index`), and
            # `forms` lists every text of the pattern's (1 and 1.0 where both are "1").
            condition = _any_of(column.sql, "jsonb[]", first, len(forms))
            condition += f" AND {_any_of(f'{column.sql}::text', 'text[]', first, len(forms))}"
            return condition, [_text_array(forms)]
        if column.base in FLOAT_ID_TYPES:
            # By value: the ids listed by an index are one a value, "0" of -0 and 0 (one
            # pattern), and matched as text it left out the rows of "-0".
            return f"{column.sql} = ANY(${first}::{column.base}[])", [_text_array(forms)]
        if _by_value(column):
            # The texts of values alone (`postgres_id_values`): another ("01", "abc")
            # matches no row, as by text, where its cast found 1's rows, or failed.
            kept = value_texts(column.base, forms)
            element = VALUE_ID_TYPES[column.base]
            condition = _any_of(column.sql, f"{element}[]", first, len(kept))
            if column.base in RECHECKED_TYPES:
                # (1.0's rows are 1's by value: those of another text left out, over the
                # index's rows of the value. One array, read as values and as texts.)
                condition += f" AND {_any_of(f'{column.sql}::text', 'text[]', first, len(kept))}"
            return condition, [_text_array(kept)]
        target = column.sql if column.base in _TEXT_TYPES else f"{column.sql}::text"
        if not column.deterministic:
            # A case-insensitive collation found "Alpha" equal to "alpha", where grouping
            # (`fetch_all`, files) keeps them apart. (No index of the column serves this.)
            target = f'{target} COLLATE "C"'
        return _any_of(target, "text[]", first, len(forms)), [_text_array(forms)]

    def _unknown(self, cursor: Any, columns: Mapping[str, _Column], wanted: str) -> Exception:
        column = columns[PATTERN_ID]
        # Every distinct stored id, as `fetch_all` lists them, named by the pattern each
        # is: the stored ids were listed as they are (blank ones, padded ones, each
        # spelling of a UUID), and counted so.
        stored = self._pattern_ids(cursor, column.sql, self._skip_scan(cursor, column.sql))
        where = f"table {self.table.label!r} of {self.description}"
        return unknown_pattern(wanted, where, known_patterns(map(id_key(column.base), stored)))

    def _exists(self, cursor: Any, condition: str, params: list[Any]) -> bool:
        cursor.execute(f"SELECT 1 FROM {self.table.qualified} WHERE {condition} LIMIT 1", params)
        return cursor.fetchone() is not None

    def _fetched(self, key: str, table: Any, together: Any = None) -> Fetched:
        """A pattern's rows (the select list's: the row keys, if any, located by and then
        left out of its data)."""
        keys = table.column(_ROW_KEY) if _ROW_KEY in table.column_names else None
        data = table if keys is None else table.drop_columns([_ROW_KEY])
        row_key = self._row_key

        def locate(index: int) -> str:
            stamp = data.column("timestamp")[index].as_py()
            if keys is None or row_key is None:
                return row_place(stamp, None, None)
            return row_place(stamp, keys[index].as_py(), row_key.label)

        return Fetched(key, data, int(data.num_rows), locate, together=together)

    # ------------------------------------------------------------------- the interface

    async def newest(self, pattern_id: str | None = None) -> datetime | None:
        def work(cursor: Any, columns: dict[str, _Column]) -> datetime | None:
            ts = columns["timestamp"].sql
            condition, params = "TRUE", list[Any]()
            if pattern_id is not None:
                forms = self._pattern_forms(cursor, columns, pattern_id)
                matched = None if forms is None else self._pattern_condition(columns, forms, 1)
                if matched is None or not self._exists(cursor, *matched):
                    raise self._unknown(cursor, columns, pattern_id)
                condition, params = matched
            elif not self._exists(cursor, "TRUE", []):
                # (as a file without records: the caller's "no valid timestamp" misled)
                where = f"table {self.table.label!r} of {self.description}"
                raise SourceError(f"{where} holds no records")
            cursor.execute(
                f"SELECT max({ts}) FROM {self.table.qualified} WHERE {condition} "
                f"AND {analysable_sql(ts)}",
                params,
            )
            return _as_datetime(cursor.fetchone()[0])

        result: datetime | None = await self._run(work)
        return result

    async def fetch(self, pattern_id: str, start: datetime, end: datetime) -> Fetched:
        checked_bounds(start, end)
        pa = postgres_pyarrow()

        def work(cursor: Any, columns: dict[str, _Column]) -> Fetched:
            ts = columns["timestamp"].sql
            forms = self._pattern_forms(cursor, columns, pattern_id)
            if forms is None:
                raise self._unknown(cursor, columns, pattern_id)
            condition, params = self._pattern_condition(columns, forms, 3)
            cursor.execute(
                f"SELECT {self._select(columns, with_id=False)} FROM {self.table.qualified} "
                f"WHERE {ts} >= $1 AND {ts} <= $2 AND {condition} ORDER BY {ts}",
                [start, end, *params],
            )
            table = cursor.fetch_arrow_table()
            renumbered = self._pattern_condition(columns, forms, 1)
            unplaced = self._unplaced(cursor, columns, *renumbered)
            nothing = table.num_rows == 0 and unplaced.num_rows == 0
            if nothing and not self._exists(cursor, *renumbered):
                raise self._unknown(cursor, columns, pattern_id)
            return self._fetched(pattern_id, _with_unplaced(pa, table, unplaced.drop([PATTERN_ID])))

        result: Fetched = await self._run(work)
        return result

    async def fetch_all(self, start: datetime, end: datetime) -> list[Fetched]:
        checked_bounds(start, end)
        result: list[Fetched] = await self._run(partial(self._window_groups, start, end, False))
        return result

    async def fetch_present(self, start: datetime, end: datetime) -> list[Fetched]:
        checked_bounds(start, end)
        result: list[Fetched] = await self._run(partial(self._window_groups, start, end, True))
        return result

    def _window_groups(
        self,
        start: datetime,
        end: datetime,
        present: bool,
        cursor: Any,
        columns: dict[str, _Column],
    ) -> list[Fetched]:
        """`fetch_all`'s groups of [start, end], the rows by each id's range of the index,
        or by one scan where the statistics say the ids have few rows each; `present`:
        only those with rows (`fetch_present`), the ids not listed, and the rows found by
        one range of an index leading with the timestamp where the table has one
        (`_time_indexed`), else as `fetch_all` finds them."""
        pa = postgres_pyarrow()
        pid, ts = columns[PATTERN_ID].sql, columns["timestamp"].sql
        base = columns[PATTERN_ID].base
        skip_scan = self._skip_scan(cursor, pid)
        every = [] if present else self._pattern_ids(cursor, pid, skip_scan)
        select, table_name = self._select(columns, with_id=True), self.table.qualified
        window = f"{ts} >= $1 AND {ts} <= $2"
        # Unordered: `_groups` puts the rows in groups by pattern, each in time order
        # (one stable sort). The server's ORDER BY sorted them in its work_mem (4 MB
        # by default): 1M rows of a 30-day window spilled 74 MB to disk, 3.8-4.4 s
        # of a 4.5 s query that takes 0.8 s unsorted.
        if (present and self._time_indexed(cursor, ts)) or (
            skip_scan is not None and few_rows_per_id(cursor, table_name, _unquoted(pid))
        ):
            # One range of the time index, or (where the statistics say ids have few rows
            # each, `postgres_shape`) one scan: `fetch_all` too (100,000 ids over 1M rows,
            # a day's window: 0.5 s, where each id's range took 4.3; BENCHMARKS.md,
            # helper-272). Where `fetch_all` reads each id's range
            # (below), rows of one pattern and time (ids "a" and " a") in the order it
            # fetches them: by id, then as the index's entries, by heap place (a narrow
            # window's few rows sorted).
            # (The table's columns, named with it: bare, ORDER BY named the select list's
            # text of the id: equal values (a double's -0 and 0) by text, not as the ranges.)
            by = f"{table_name}.{pid}, {table_name}.{ts}, ctid"
            order = "" if skip_scan is None else f" ORDER BY {by}"
            query = f"SELECT {select} FROM {table_name} WHERE {window} AND {pid} IS NOT NULL{order}"
        elif skip_scan is None:
            query = f"SELECT {select} FROM {table_name} WHERE {window} AND {pid} IS NOT NULL"
        else:
            # Each pattern's window by its own index range; OFFSET 0 keeps the planner
            # from flattening the LATERAL into a join over a scan of the whole table
            # (it guesses 100 ids from the CTE: 150 ms where the ranges take 10).
            query = (
                f"{skip_scan}SELECT ua_rows.* FROM ua_ids, LATERAL (SELECT {select} "
                f"FROM {table_name} WHERE {pid} = ua_ids.ua_id AND {window} OFFSET 0) "
                f"AS ua_rows WHERE ua_ids.ua_id IS NOT NULL"
            )
        cursor.execute(query, [start, end])
        table = keyed_ids(pa, cursor.fetch_arrow_table(), base)
        unplaced = keyed_ids(pa, self._unplaced(cursor, columns, f"{pid} IS NOT NULL", []), base)
        # The groups made with the collector paused (`made_paused`), the queries run
        # with it on: a pause is process-wide.
        return made_paused(self._groups, pa, table, unplaced, every, base)

    def _time_indexed(self, cursor: Any, ts: str) -> bool:
        """Whether a valid, not partial btree index of the table leads with the timestamp
        column: the window's rows are then one range of it. (Else a narrow window over
        many patterns is one range per id of the (pattern_id, timestamp) index, as
        `fetch_all` reads it: no read of the whole table.)"""
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE i.indrelid = to_regclass($1) AND a.attname = $2 AND i.indpred IS NULL "
            "AND i.indisvalid AND am.amname = 'btree' LIMIT 1",
            (self.table.qualified, _unquoted(ts)),
        )
        return cursor.fetchone() is not None

    def _groups(
        self, pa: Any, table: Any, unplaced: Any, every: Sequence[Any], base: str
    ) -> list[Fetched]:
        """`fetch_all`'s groups of the rows fetched: `table`'s in the window, `unplaced`
        those in no window, and a group for each id of `every` (a pattern with no row in
        the window has one, empty). A pattern's rows in the window come in time order,
        rows of one time in the order fetched (a stable sort, in `pattern_table`): as a
        file's usually do, and as the same records whichever way they were fetched (no
        timestamp is NULL there). The rows in no window follow them (`_with_unplaced`)."""
        by_pattern = pattern_table(pa, table, then_by="timestamp")
        # The groups' rows in one table, for a batch to read as it is; not where rows
        # no window places join some groups (their timestamps then text).
        together = by_pattern.together(pa) if unplaced.num_rows == 0 else None
        spans = {key: (first, count) for key, first, count in by_pattern.spans()}
        late = {key: rows for key, rows, _ in group_by_pattern(pa, unplaced)}
        empty = table.slice(0, 0)
        fetched = []
        for key in sorted({*spans, *late, *map(id_key(base), every)} - {""}):
            first, count = spans.get(key, (0, 0))
            if key in late:
                placed = by_pattern.rows.slice(first, count)
                fetched.append(self._fetched(key, _with_unplaced(pa, placed, late[key])))
            elif count:  # (its rows sliced when read: see `Fetched.deferred`)
                make = partial(by_pattern.rows.slice, first, count)
                fetched.append(Fetched.deferred(key, make, count, _placed(make), together=together))
            else:
                fetched.append(self._fetched(key, empty, together))
        return fetched

    async def first_record(self, pattern_id: str | None = None) -> Fetched | None:
        postgres_pyarrow()

        def work(cursor: Any, columns: dict[str, _Column]) -> Fetched | None:
            pid, base = columns[PATTERN_ID].sql, columns[PATTERN_ID].base
            condition = f"{pid} IS NOT NULL AND btrim({pid}::text, $1) COLLATE \"C\" <> ''"
            params: list[Any] = [WHITESPACE]
            if base in KEYED_ID_TYPES:
                # The ids of no pattern by their keys (`postgres_ids`): NaN, blank bytes.
                every = self._pattern_ids(cursor, pid, self._skip_scan(cursor, pid))
                blanks = [value for value in every if not id_key(base)(value)]
                condition += f" AND {pid}::text <> ALL($2::text[])"
                params.append(_text_array(blanks))
            if pattern_id is not None:
                forms = self._pattern_forms(cursor, columns, pattern_id)
                if forms is None:
                    raise self._unknown(cursor, columns, pattern_id)
                condition, params = self._pattern_condition(columns, forms, 1)
            # (Timestamps as text, as for the rows in no window: NULL and infinity too.)
            select = self._select(columns, with_id=True, timestamp_text=True, keyed=True)
            cursor.execute(
                f"SELECT {select} FROM {self.table.qualified} WHERE {condition} LIMIT 1", params
            )
            table = cursor.fetch_arrow_table()
            if table.num_rows == 0 and pattern_id is not None:
                raise self._unknown(cursor, columns, pattern_id)
            if table.num_rows == 0:
                return None
            key = id_key(base)(table.column(PATTERN_ID)[0].as_py())
            return self._fetched(key, table.drop([PATTERN_ID]))

        result: Fetched | None = await self._run(work)
        return result

    async def fields_with_columns(self) -> frozenset[str] | None:
        # (The table's columns, as introspected once per connection: `_introspect`.)
        fields: frozenset[str] = await self._run(lambda cursor, columns: frozenset(columns))
        return fields

    async def index_hint(self) -> str | None:
        def work(cursor: Any, columns: dict[str, _Column]) -> str | None:
            pid, ts = columns[PATTERN_ID], columns["timestamp"]
            # Views and foreign tables take no index; a partitioned table's is on its parent.
            cursor.execute(
                "SELECT relkind::text IN ('r', 'p', 'm') FROM pg_class WHERE oid = to_regclass($1)",
                (self.table.qualified,),
            )
            row = cursor.fetchone()
            if row is None or not row[0]:
                return None
            # A read of one pattern finds its stored ids by an index leading with the column
            # (`postgres_spellings`), or lists every id (`_pattern_forms`: by such an index
            # where `_skip_scan` may step through one), then asks for the rows by
            # `_pattern_condition`, whose left side the index must lead with: the column,
            # where the rows are asked for by value (`_by_value`: its index serves them, a
            # domain's too, which the plan writes as a cast), or an expression of it (the
            # text of a JSON value, or of a column of a case-insensitive collation), which
            # no index of the column serves, and an index of that expression does; but
            # none serves an interval's, an array's, a range's or a composite's: their text
            # follows session settings (IntervalStyle, DateStyle...), which PostgreSQL
            # refuses to index ("functions in index expression must be marked IMMUTABLE":
            # the statement given failed), and their ids are listed by a scan of the
            # table, not the index's steps (`_steps_by_index`), so no index serves their
            # reads and none is asked for (`_text_indexable`).
            by_value = _by_value(pid)
            key = pid.sql if by_value else self._pattern_key(cursor, columns)
            # (varchar's text is itself, which PostgreSQL matches to the column's index)
            plain = (
                by_value
                or key in (pid.sql, _unquoted(pid.sql))
                or (pid.base == "character varying" and not pid.domain)
            )
            key = pid.sql if plain else key
            statements = []
            unlisted = (
                not plain and _steps_by_index(pid) and self._skip_scan(cursor, pid.sql) is None
            )
            if unlisted or (plain and not self._leads_index(cursor, key)):
                statements.append(pattern_time_index_sql(cursor, self.table, pid.sql, ts.sql))
            if not plain and _text_indexable(cursor, pid) and not self._leads_index(cursor, key):
                statements.append(
                    pattern_time_index_sql(
                        cursor, self.table, f"({key})", ts.sql, suffix="pattern_text_time"
                    )
                )
            return "; ".join(statements) or None

        hint: str | None = await self._run(work)
        return hint

    def _pattern_key(self, cursor: Any, columns: Mapping[str, _Column]) -> str:
        """The left side of `_pattern_condition` as PostgreSQL writes it (in its plan, and
        in an index's definition), where the rows are not asked for by value: `pattern_id`,
        `(pattern_id)::text` (varchar's, and char(n)'s of a case-insensitive collation),
        `(pattern_id #>> '{}'::text[])`; read from the plan of a read of a pattern."""
        condition, params = self._pattern_condition(columns, ["0"], 1)
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {self.table.qualified} WHERE {condition}",
            params,
        )
        plan = cursor.fetchone()[0]
        node = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        while not any(name in node for name in _CONDITIONS_SHOWN):
            node = node["Plans"][0]
        shown = next(str(node[name]) for name in _CONDITIONS_SHOWN if name in node)
        # "(<key> = ANY ('{0}'::text[]))": the sample's side holds no " = ".
        return shown[1 : shown.rindex(" = ")]

    def _leads_index(self, cursor: Any, key: str) -> bool:
        """Whether a valid btree index of the whole table leads with `key` (a column, or
        an expression as `_pattern_key` writes it: an index's definition writes it in
        parentheses). (One of a later key, the timestamp's first, serves no read of a
        pattern: PostgreSQL walks all of it, filtering.)"""
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = ic.relam WHERE i.indrelid = to_regclass($1) "
            "AND i.indpred IS NULL AND i.indisvalid AND am.amname = 'btree' "
            "AND pg_get_indexdef(i.indexrelid, 1, false) IN ($2, $3, '(' || $2 || ')') LIMIT 1",
            (self.table.qualified, key, _unquoted(key) if key.startswith('"') else key),
        )
        return cursor.fetchone() is not None

    async def unattributed(self) -> Unattributed:
        def work(cursor: Any, columns: dict[str, _Column]) -> Unattributed:
            pid, ts = columns[PATTERN_ID].sql, columns["timestamp"].sql
            table, key_of = self.table.qualified, id_key(columns[PATTERN_ID].base)
            every = self._pattern_ids(cursor, pid, self._skip_scan(cursor, pid))
            blanks = [value for value in every if not key_of(value)]  # (NaN too)
            marks = ", ".join(f"${index}" for index in range(1, len(blanks) + 1))
            where = f"FROM {table} WHERE {pid} IS NULL OR {pid}::text IN ({marks or 'NULL'})"
            cursor.execute(f"SELECT count(*) {where}", blanks)
            count = int(cursor.fetchone()[0])
            key = self._row_key
            selected = f"{ts}::text" if key is None else f"{ts}::text, {key.sql}"
            cursor.execute(f"SELECT {selected} {where} ORDER BY {ts} NULLS FIRST LIMIT 1", blanks)
            first = cursor.fetchone()
            if first is None:
                return Unattributed(count, None)
            return Unattributed(count, row_place(first[0], first[-1], key and key.label))

        result: Unattributed = await self._run(work)
        return result


#: Whether PostgreSQL can index the text of a column of type $1 (a `format_type` name):
#: the cast to text is binary, or its function's, else the type's output function's
#: (a cast by I/O) is immutable.
_TEXT_INDEXABLE_QUERY = (
    "SELECT CASE WHEN c.castmethod = 'b' THEN true "
    "WHEN c.castmethod = 'f' THEN (SELECT p.provolatile = 'i' FROM pg_proc p "
    "WHERE p.oid = c.castfunc) ELSE (SELECT p.provolatile = 'i' FROM pg_type t "
    "JOIN pg_proc p ON p.oid = t.typoutput WHERE t.oid = ty.oid) END "
    "FROM (SELECT $1::regtype::oid AS oid) AS ty LEFT JOIN pg_cast c "
    "ON c.castsource = ty.oid AND c.casttarget = 'text'::regtype"
)


def _text_indexable(cursor: Any, column: _Column) -> bool:
    """Whether an index of the text `_pattern_key` reads of the column can be made: a
    json value's (`#>>`, immutable), else the column's cast to text, where immutable
    (not an interval's, an array's, a range's, a composite's, an enum's, a date's...)."""
    if column.base == "json":
        return True
    cursor.execute(_TEXT_INDEXABLE_QUERY, (column.kind,))
    row = cursor.fetchone()
    return row is not None and bool(row[0])


def _unquoted(sql: str) -> str:
    """A name `quote_identifier` quoted, as it is."""
    return sql[1:-1].replace('""', '"')


def _tables_named(cursor: Any, table: str, schema: str | None) -> list[tuple[str, str]]:
    """(schema, name) of the tables named `table` (in `schema`, else in the search path)
    but for the case of their ASCII letters (see `_SAME_NAME_QUERY`)."""
    cursor.execute(_SAME_NAME_QUERY, (table, schema or ""))
    return [
        (str(found_schema), str(name))
        for found_schema, name in cursor.fetchall()
        if _folded(str(name)) == _folded(table)
        and (schema is None or _folded(str(found_schema)) == _folded(schema))
    ]


def _dotted_hint(cursor: Any, spec: TableSpec) -> str:
    """Where --table SCHEMA.NAME names no table: the table whose own name is SCHEMA.NAME,
    dot and all, which --table then names with its schema (as the SQLite source says
    of `main`); the list of tables after the error holds at most 20."""
    if spec.schema is None:
        return ""
    found = _tables_named(cursor, spec.label, None)
    return f"; a table of that name is {found[0][0]}.{found[0][1]}" if len(found) == 1 else ""


def _placed(make: Callable[[], Any]) -> Callable[[int], str]:
    """Where a row of the rows `make()` gives is, all in a window (named by timestamp)."""

    def locate(index: int) -> str:
        return row_place(make().column("timestamp")[index].as_py(), None, None)

    return locate


def _with_unplaced(pa: Any, placed: Any, unplaced: Any) -> Any:
    """The window's rows followed by the rows in no window (timestamps as text, and the
    rows' keys where the table has them), with the window's timestamps then as ISO text
    too (one column has one type) and no keys."""
    if unplaced.num_rows == 0:
        return placed
    index = placed.schema.get_field_index("timestamp")
    as_text = placed.set_column(index, "timestamp", placed.column(index).cast(pa.string()))
    if _ROW_KEY in unplaced.column_names and _ROW_KEY not in as_text.column_names:
        as_text = as_text.append_column(_ROW_KEY, pa.nulls(as_text.num_rows, pa.string()))
    return pa.concat_tables([as_text, unplaced.cast(as_text.schema)])
