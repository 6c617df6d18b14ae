"""A read of one pattern from a PostgreSQL table whose id column is of integers, numerics,
flags, bytea or `char(n)` asks for its rows by value (`postgres_id_values`), so that the
column's own (pattern_id, timestamp) index serves it; the rows are those its text
matched (`pattern_id::text = ANY(...)`, the model here): an id matches a row iff it is
the row's id as PostgreSQL prints it. Against a real server (see conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics.sources import PostgresSource, TableSpec, UnknownPatternError
from usage_analytics.sources.postgres_connection import PostgresConnection

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sql(url: str, *statements: str) -> None:
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def text_array(values: list[str]) -> str:
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


# ------------------------------------------------------------- the rows, as by text

#: Column types, and texts PostgreSQL reads as values of them (their own texts, and other
#: spellings of the same values: a row's text is PostgreSQL's, not the spelling stored).
STORED: dict[str, list[str]] = {
    "smallint": ["0", "1", "-1", "7", "32767", "-32768", "010", "+5"],
    "integer": ["0", "1", "-1", "42", "2147483647", "-2147483648", " 3 "],
    "bigint": ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "12"],
    "ints": ["0", "1", "-1", "5", "2147483647"],  # (a domain over integer)
    "numeric": ["0", "1", "1.0", "1.00", "-0.5", "NaN", "Infinity", "-Infinity", "1e3", "0.000"],
    "numeric(6,2)": ["0", "1", "1.5", "-2.25", "9999.99", "NaN"],
    "boolean": ["true", "false", "t", "yes", "0"],
    "bytea": ["", "a", "ab", "\\x00ff", "\\xC3A9", " a"],
    "char(3)": ["", "a", "a  ", " a", "ab", "abc", "A", "é"],
    "bpchar": ["", "a", "a  ", " a", "abc"],
}


def spellings(text: str) -> list[str]:
    """Texts near `text` that are not it: other spellings of its value, padded, cased."""
    return [
        f"0{text}",
        f"+{text}",
        f" {text}",
        f"{text} ",
        f"{text}.0",
        f"{text}0",
        text.upper(),
        text.lower(),
        text.removeprefix("-"),
        f"-{text}",
        text.replace("\\x", "\\X"),
    ]


#: Texts a user may give that are some type's value's text, or nearly.
ODD_IDS = [
    "",
    "abc",
    "-0",
    "1e3",
    "1000",
    "NaN",
    "nan",
    "t",
    "TRUE",
    "\\x",
    "\\x61",
    "a\\",
    '"',
    "9" * 30,
]


@dataclass
class Tables:
    url: str
    cursor: Any  # (one connection's, for the many reads of a property test)
    columns: dict[str, Any] = field(default_factory=dict)  # (each table's, introspected)


@pytest.fixture(scope="module")
def typed_tables(postgres_server: str) -> Iterator[Tables]:
    """One table per type of `STORED` (`ids_<n>`, rows numbered `seq`), in a database
    of their own."""
    from pg_server import create_database, drop_database

    name, url = create_database(postgres_server)
    statements = ["CREATE DOMAIN ints AS integer CHECK (VALUE >= 0 OR VALUE = -1)"]
    for number, (kind, values) in enumerate(STORED.items()):
        rows = ", ".join(
            f"({seq}, '{v.replace(chr(39), chr(39) * 2)}')" for seq, v in enumerate(values)
        )
        statements += [
            f"CREATE TABLE ids_{number} (seq int, pattern_id {kind}, timestamp timestamptz "
            "DEFAULT '2026-03-01 11:00Z', success boolean DEFAULT true)",
            f"INSERT INTO ids_{number} (seq, pattern_id) SELECT seq, v::{kind} "
            f"FROM (VALUES {rows}) AS stored(seq, v)",
            f"CREATE INDEX ON ids_{number} (pattern_id, timestamp)",
        ]
    sql(url, *statements)
    try:
        with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
            yield Tables(url, cursor)
    finally:
        drop_database(postgres_server, name)


def matched(tables: Tables, table: str, ids: list[str]) -> tuple[list[int], list[int]]:
    """The rows (`seq`) a read of a pattern asks for as the stored ids `ids` (the
    condition `PostgresSource` makes of the table's columns), and those whose text is one
    of `ids` (the model)."""
    if table not in tables.columns:

        async def introspected() -> Any:
            async with PostgresSource(tables.url, TableSpec(table)) as source:
                return await source._run(lambda cursor, columns: columns)

        tables.columns[table] = asyncio.run(introspected())
    condition, params = PostgresSource._pattern_condition(tables.columns[table], ids, 1)
    cursor = tables.cursor
    cursor.execute(f"SELECT seq FROM {table} WHERE {condition} ORDER BY seq", params)
    read = [int(row[0]) for row in cursor.fetchall()]
    cursor.execute(
        f"SELECT seq FROM {table} WHERE pattern_id::text = ANY($1::text[]) ORDER BY seq",
        [text_array(ids)],
    )
    return read, [int(row[0]) for row in cursor.fetchall()]


def printed(tables: Tables, table: str) -> list[str]:
    """The table's ids as PostgreSQL prints them."""
    tables.cursor.execute(f"SELECT pattern_id::text FROM {table} ORDER BY seq")
    return [str(row[0]) for row in tables.cursor.fetchall()]


@pytest.mark.parametrize("number", range(len(STORED)), ids=list(STORED))
@given(data=st.data())
def test_a_pattern_read_by_value_finds_the_rows_its_text_matched(
    typed_tables: Tables, number: int, data: st.DataObject
) -> None:
    table = f"ids_{number}"
    texts = printed(typed_tables, table)
    near = [spelling for text in texts for spelling in spellings(text)]
    ids = data.draw(
        st.lists(
            st.one_of(
                st.sampled_from(texts),
                st.sampled_from(near + ODD_IDS),
                st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
            ),
            max_size=8,
        )
    )
    read, model = matched(typed_tables, table, ids)
    assert read == model


@pytest.mark.parametrize("number", range(len(STORED)), ids=list(STORED))
def test_many_ids_at_once_find_the_rows_their_texts_matched(
    typed_tables: Tables, number: int
) -> None:
    # (Over 64 ids the condition is a semi-join on the array's elements.)
    table = f"ids_{number}"
    texts = printed(typed_tables, table)
    ids = [*texts, *(s for text in texts for s in spellings(text)), *ODD_IDS]
    assert len(ids) > 64
    read, model = matched(typed_tables, table, ids)
    assert read == model
    assert model  # (the stored ids' own texts are among them)


@pytest.mark.parametrize(
    ("kind", "given_id", "others"),
    [
        ("integer", "1", ["01", "+1", " 1", "1.0", "1e0", "abc", "99999999999"]),
        ("numeric", "1.0", ["1.000", "01.0", "1e0", "+1.0", "1.0 "]),
        ("boolean", "true", ["t", "TRUE", "yes", "1"]),
        ("bytea", "\\x6162", ["ab", "\\X6162", "\\x6162 "]),
        ("char(3)", "ab", ["ab ", " ab", "AB"]),
    ],
)
def test_an_id_that_is_not_the_text_of_a_value_matches_no_row(
    typed_tables: Tables, kind: str, given_id: str, others: list[str]
) -> None:
    # A cast of "01" to integer is 1, whose rows its text did not match: nor here.
    table = f"ids_{list(STORED).index(kind)}"
    for other in others:
        assert matched(typed_tables, table, [other]) == ([], []), other
    read, model = matched(typed_tables, table, [given_id])
    assert read == model != []


# -------------------------------------------------------------- served by the index


class _Planned:
    """A cursor that runs EXPLAIN of each read of rows by pattern before running it."""

    def __init__(self, cursor: Any, plans: list[str]) -> None:
        self._cursor, self._plans = cursor, plans

    def execute(self, statement: str, *args: Any) -> Any:
        if statement.startswith("SELECT") and 'timestamp" >= $1' in statement:
            self._cursor.execute("SET enable_seqscan = off")
            self._cursor.execute("EXPLAIN " + statement, *args)
            self._plans.append(" ".join(str(row[0]) for row in self._cursor.fetchall()))
            self._cursor.execute("RESET enable_seqscan")
        return self._cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@pytest.mark.parametrize(
    ("kind", "value", "wanted"),
    [
        ("integer", "i % 100", "7"),
        ("smallint", "i % 100", "7"),
        ("bigint", "i % 100 - 50", "-7"),
        ("numeric(8,2)", "i % 100", "7"),
        ("boolean", "i % 2 = 0", "true"),
        ("bytea", "('p' || i % 100)::bytea", "p7"),
        ("char(4)", "'p' || i % 100", "p7"),
    ],
)
def test_a_pattern_read_is_a_range_of_the_columns_own_index(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, kind: str, value: str, wanted: str
) -> None:
    # The rows of one pattern as `fetch` asks for them, with the table's scan made
    # costly: by their text, the whole index was walked, filtering (`Filter:`).
    sql(
        postgres_url,
        f"CREATE TABLE typed AS SELECT ({value})::{kind} AS pattern_id, "
        f"timestamptz '{NOW.isoformat()}' - i * interval '1 minute' AS timestamp, "
        "true AS success FROM generate_series(0, 19999) AS i",
        "CREATE INDEX typed_pattern_time ON typed (pattern_id, timestamp)",
        "ANALYZE typed",
    )
    plans: list[str] = []
    run = PostgresConnection.run

    async def planned(self: PostgresConnection, work: Any) -> Any:
        return await run(self, lambda cursor: work(_Planned(cursor, plans)))

    monkeypatch.setattr(PostgresConnection, "run", planned)

    async def read() -> int:
        async with PostgresSource(postgres_url, TableSpec("typed")) as source:
            return (await source.fetch(wanted, NOW - timedelta(days=30), NOW)).count

    expected = 10_000 if kind == "boolean" else 200
    assert asyncio.run(read()) == expected
    (plan,) = plans
    assert "Index Cond: ((pattern_id = ANY " in plan, plan
    # (A numeric's rows of the value kept by their text, "7.00" not "7.0": a filter on
    # the index's rows of the pattern.)
    assert ("Filter:" in plan) == kind.startswith("numeric"), plan


def test_an_integer_id_given_as_another_spelling_is_an_unknown_pattern(
    postgres_url: str,
) -> None:
    sql(
        postgres_url,
        "CREATE TABLE typed (pattern_id integer, timestamp timestamptz, success boolean)",
        f"INSERT INTO typed VALUES (1, '{NOW.isoformat()}', true)",
        "CREATE INDEX ON typed (pattern_id, timestamp)",
    )

    async def read(wanted: str) -> int:
        async with PostgresSource(postgres_url, TableSpec("typed")) as source:
            return (await source.fetch(wanted, NOW - timedelta(days=1), NOW)).count

    assert asyncio.run(read("1")) == 1
    for other in ("01", "+1", "1.0", "abc", "99999999999"):
        with pytest.raises(UnknownPatternError):
            asyncio.run(read(other))
