"""How a PostgreSQL source lists a table's pattern ids (`PostgresSource._pattern_ids`),
against a real server (see conftest.py): by the index's steps (one seek an id), but by one
scan where the table's statistics say its ids have few rows each (`postgres_shape`), which
is faster there (BENCHMARKS.md, helper-272); the same patterns either way, and the same
groups of `fetch_all`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pg_calls import call, sql
from source_cases import NOW, START
from usage_analytics.sources import PostgresSource, TableSpec
from usage_analytics.sources import postgres as postgres_source
from usage_analytics.sources.postgres_ids import id_key


class Recording:
    """A cursor that keeps the statements it runs."""

    def __init__(self, cursor: Any) -> None:
        self.cursor, self.statements = cursor, list[str]()

    def execute(self, statement: str, *args: Any) -> Any:
        self.statements.append(statement)
        return self.cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cursor, name)


def listed(url: str) -> tuple[set[str], list[str]]:
    """The patterns of the ids a source lists for table `ids`, and the statements run."""
    source = PostgresSource(url, TableSpec("ids"))

    def work(cursor: Any, columns: dict[str, Any]) -> tuple[set[str], list[str]]:
        column = columns["pattern_id"]
        recording = Recording(cursor)
        ids = source._pattern_ids(recording, column.sql, source._skip_scan(cursor, column.sql))
        return {id_key(column.base)(value) for value in ids}, recording.statements

    async def go() -> tuple[set[str], list[str]]:
        async with source:
            found: tuple[set[str], list[str]] = await source._run(work)
            return found

    return asyncio.run(go())


def table(url: str, kind: str, value: str, rows: int) -> None:
    """Table `ids` of `rows` rows in the window, ids `value` of `i` as `kind`, three rows
    a second (their execution times `i` tell them apart), indexed and ANALYZEd (its
    statistics tell the rows per id)."""
    sql(
        url,
        f"CREATE TABLE ids AS SELECT ({value})::{kind} AS pattern_id, "
        f"timestamptz '{START.isoformat()}' + (i / 3) * interval '1 second' AS timestamp, "
        "true AS success, i AS execution_time_ms FROM generate_series(0, "
        + str(rows - 1)
        + ") AS i",
        "CREATE INDEX ON ids (pattern_id, timestamp)",
        "ANALYZE ids",
    )


@pytest.mark.parametrize(("ids", "by_steps"), [(1000, False), (10, True)])
def test_ids_of_few_rows_each_are_listed_by_a_scan(
    postgres_url: str, ids: int, by_steps: bool
) -> None:
    table(postgres_url, "text", f"'p' || i % {ids}", 3000)
    patterns, statements = listed(postgres_url)
    assert patterns == {f"p{n}" for n in range(ids)}
    [listing] = [s for s in statements if "DISTINCT" in s or "RECURSIVE" in s]
    assert ("WITH RECURSIVE" in listing) == by_steps, listing


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        # (Two ids of one pattern at one time: their rows in the order of the ranges, ' q'
        # before 'q', not the table's.)
        ("text", "CASE i % 3 WHEN 0 THEN 'q' WHEN 1 THEN ' q' ELSE 'p' || i % 700 END"),
        # (Values of one id that the steps list once and a scan of their text twice.)
        ("double precision", "CASE i % 3 WHEN 0 THEN '-0' ELSE (i % 900)::text END"),
        # (Not jsonb: its steps list one of equal values whose texts may be two patterns,
        # so its ids are listed by their texts, whatever the statistics say:
        # test_postgres_jsonb_equal_ids.py.)
        ("uuid", "md5((i % 1000)::text)::uuid"),
        ("integer", "i % 1000"),
    ],
)
def test_a_scan_reads_what_the_steps_and_ranges_do(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, kind: str, value: str
) -> None:
    # The ids listed, and `fetch_all`'s groups (the window's rows by one scan, in the
    # order of each id's range: by id, time, then place), as where the statistics say
    # nothing (`few_rows_per_id` False: the steps, and each id's range of the index).
    table(postgres_url, kind, value, 3000)
    by_scan, statements = listed(postgres_url)
    assert not any("RECURSIVE" in statement for statement in statements)
    groups = call(PostgresSource(postgres_url, TableSpec("ids")), "fetch_all", START, NOW)
    monkeypatch.setattr(postgres_source, "few_rows_per_id", lambda *_: False)
    by_steps, statements = listed(postgres_url)
    assert any("RECURSIVE" in statement for statement in statements)
    assert by_scan == by_steps
    ranged = call(PostgresSource(postgres_url, TableSpec("ids")), "fetch_all", START, NOW)
    assert [(g.pattern_id, g.data) for g in groups] == [(g.pattern_id, g.data) for g in ranged]
    assert len(groups) == len(by_scan)


@pytest.mark.parametrize(
    ("kind", "in_window", "before"),
    [
        # (Equal values, other texts and so other patterns: an interval's days and hours,
        # a numeric array's scales.)
        ("interval", "1 day", "24:00:00"),
        ("numeric[]", "{1.0}", "{1}"),
        ("double precision[]", "{0}", "{-0}"),
        # (A range's, a multirange's and a composite's by their numbers' scales and signs.)
        ("numrange", "[1.0,2)", "[1,2)"),
        ("numrange", "[1,2)", "[1.0,2)"),
        ("nummultirange", "{[1.0,2)}", "{[1,2)}"),
        ("a_number", "(1.0)", "(1)"),
        ("a_number", "(1)", "(1.0)"),
        ("a_double", "(0)", "(-0)"),
        ("a_double", "(-0)", "(0)"),
    ],
)
def test_equal_ids_of_other_texts_are_each_listed(
    postgres_url: str, kind: str, in_window: str, before: str
) -> None:
    # The index's steps listed one of the two, so `fetch_all` had no group for the
    # other's pattern (no rows in the window: the empty one), which a DISTINCT of their
    # texts (the listing without an index) has.
    sql(
        postgres_url,
        "CREATE TYPE a_number AS (n numeric)",
        "CREATE TYPE a_double AS (n double precision)",
        f"CREATE TABLE ids (pattern_id {kind}, timestamp timestamptz, success bool)",
        "CREATE INDEX ON ids (pattern_id, timestamp)",
        f"INSERT INTO ids VALUES ('{in_window}', '{NOW.isoformat()}', true)",
        f"INSERT INTO ids VALUES ('{before}', '{(START - (NOW - START)).isoformat()}', true)",
    )
    patterns, _ = listed(postgres_url)
    assert patterns == {in_window, before}
    groups = call(PostgresSource(postgres_url, TableSpec("ids")), "fetch_all", START, NOW)
    assert [(g.pattern_id, g.count) for g in groups] == sorted([(in_window, 1), (before, 0)])


@pytest.mark.parametrize(
    ("kind", "ids"),
    [
        # (An array's type with its element's modifier: "numeric(10,3)[]" was read as a
        # numeric, and `fetch_all` raised decimal's InvalidOperation on "{1.000}".)
        ("numeric(10,3)[]", ["{1.000}", "{2.500}"]),
        # (And "character varying(5)[]" as varchar, its read of a pattern asked for the
        # column itself as text: "operator does not exist: character varying[] = text".)
        ("character varying(5)[]", ["{a}", '{"a b"}']),
        ("character(3)[]", ['{"a  "}']),
        ("timestamp(3) without time zone[]", ['{"2026-01-01 00:00:00"}']),
    ],
)
def test_an_array_of_a_type_with_a_modifier_is_read_by_its_text(
    postgres_url: str, kind: str, ids: list[str]
) -> None:
    sql(
        postgres_url,
        f"CREATE TABLE ids (pattern_id {kind}, timestamp timestamptz, success bool)",
        "CREATE INDEX ON ids (pattern_id, timestamp)",
        *(f"INSERT INTO ids VALUES ('{text}', '{NOW.isoformat()}', true)" for text in ids),
    )
    source = PostgresSource(postgres_url, TableSpec("ids"))
    groups = call(source, "fetch_all", START, NOW)
    assert [(g.pattern_id, g.count) for g in groups] == [(text, 1) for text in sorted(ids)]
    for text in ids:
        assert (
            call(PostgresSource(postgres_url, TableSpec("ids")), "fetch", text, START, NOW).count
            == 1
        )
