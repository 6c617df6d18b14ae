"""A PostgreSQL pattern id column of numbers or flags makes the patterns a file or SQLite
makes of the same ids (`pattern_key`: by value, 1.00 is "1", NaN no pattern), against a
real server (see conftest.py). PostgreSQL's text of them made other patterns: "1e+20",
"1.00", and "NaN" as a pattern where files count no pattern id.
"""

from __future__ import annotations

import asyncio
import math
import re
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import adbc_driver_postgresql.dbapi as dbapi
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from source_cases import NOW, START, analyse, api_document, comparable
from usage_analytics.sources import (
    FileSource,
    PostgresSource,
    SourceError,
    SQLiteSource,
    TableSpec,
    UnknownPatternError,
)
from usage_analytics.sources.base import pattern_key
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres
from usage_analytics.sources.sqlite_table import write_executions_sync as write_sqlite

STAMP = "2026-03-01T10:00:00+00:00"


def _table(url: str, kind: str, literals: list[str]) -> TableSpec:
    """A table of one row per literal (in that order), its pattern id of type `kind`."""
    rows = ", ".join(f"({literal}, '{STAMP}', true)" for literal in literals)
    with dbapi.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE ids (pattern_id {kind}, timestamp timestamptz, success bool)")
        cursor.execute(f"INSERT INTO ids VALUES {rows}")
    return TableSpec("ids")


def _patterns(source: Any) -> tuple[list[tuple[str, int]], int]:
    """fetch_all's patterns with their record counts, and the records without one."""

    async def read() -> tuple[list[tuple[str, int]], int]:
        async with source:
            groups = await source.fetch_all(START, NOW)
            return [(g.pattern_id, g.count) for g in groups], (await source.unattributed()).count

    return asyncio.run(read())


def _parquet(directory: Path, column: Any) -> FileSource:
    path = directory / "ids.parquet"
    stamps = pa.array([STAMP] * len(column), pa.string())
    pq.write_table(pa.table({"pattern_id": column, "timestamp": stamps}), path)
    return FileSource(path)


FLOATS = [1.0, 2.5, -0.0, 1e20, 1e-7, 3.0, math.nan, 1.0, math.inf]


@pytest.mark.parametrize(
    ("kind", "column", "expected"),
    [
        (
            "double precision",
            pa.array(FLOATS, pa.float64()),
            [
                ("0", 1),
                ("1", 2),
                ("100000000000000000000", 1),
                ("1e-07", 1),
                ("2.5", 1),
                ("3", 1),
                ("inf", 1),
            ],
        ),
        (
            "real",
            pa.array([868.521, 16777216.0, 1e20, math.nan], pa.float32()),
            [("100000000000000000000", 1), ("16777216", 1), ("868.521", 1)],
        ),
        (
            "numeric(10,2)",
            pa.array([Decimal("1.00"), Decimal("2.50"), Decimal("3.00")], pa.decimal128(10, 2)),
            [("1", 1), ("2.5", 1), ("3", 1)],  # (2.50 as the double 2.5 is keyed)
        ),
        ("boolean", pa.array([True, False, True]), [("false", 1), ("true", 2)]),
    ],
)
def test_a_number_or_flag_id_column_makes_the_patterns_of_a_file(
    postgres_url: str, tmp_path: Path, kind: str, column: Any, expected: list[tuple[str, int]]
) -> None:
    literals = [f"'{value}'::{kind}" for value in column.to_pylist()]
    spec = _table(postgres_url, kind, literals)
    nan = sum(isinstance(v, float) and math.isnan(v) for v in column.to_pylist())
    from_file = _patterns(_parquet(tmp_path, column))
    assert from_file == (expected, nan)
    assert _patterns(PostgresSource(postgres_url, spec)) == from_file


def test_numeric_ids_of_any_scale_are_keyed_as_their_decimals(postgres_url: str) -> None:
    texts = ["1", "1.000", "2.50", "NaN", "0.0000001", "1e3"]
    spec = _table(postgres_url, "numeric", [f"'{text}'::numeric" for text in texts])
    # (As a Parquet decimal of that value is keyed: its Decimal's `pattern_key`, which is
    # the double's where one has the same value.)
    assert pattern_key(Decimal("0.0000001")) == "1e-07"
    expected = [("1", 2), ("1000", 1), ("1e-07", 1), ("2.5", 1)]
    assert _patterns(PostgresSource(postgres_url, spec)) == (expected, 1)


@pytest.mark.parametrize("indexed", [False, True])
@pytest.mark.parametrize(
    ("kind", "literals", "expected", "unknown"),
    [
        # NaN first: the table's first row with a pattern is the one after it. (-0 and 0
        # are one value to an index, "1" and "1.000" too: its ids are listed one a value.)
        (
            "double precision",
            ["'NaN'", "1", "1.0", "'1e20'", "2.5", "1", "'-0'", "0"],
            {"0": 2, "1": 3, "100000000000000000000": 1, "2.5": 1},
            ["1e+20", "NaN", "1.0", "-0"],
        ),
        (
            "numeric",
            ["'NaN'", "1", "1.000", "2.50", "2.5"],
            {"1": 2, "2.5": 2},
            ["1.000", "NaN"],
        ),
    ],
)
def test_one_pattern_of_a_number_id_column_is_every_row_fetch_all_groups_under_it(
    postgres_url: str,
    kind: str,
    literals: list[str],
    expected: dict[str, int],
    unknown: list[str],
    indexed: bool,
) -> None:
    spec = _table(postgres_url, kind, literals)
    if indexed:
        with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as c:
            c.execute("CREATE INDEX ON ids (pattern_id, timestamp)")
    assert _patterns(PostgresSource(postgres_url, spec)) == (sorted(expected.items()), 1)

    async def read() -> None:
        async with PostgresSource(postgres_url, spec) as source:
            first = await source.first_record()
            assert first is not None
            assert first.pattern_id == "1"
            for key, count in expected.items():
                assert (await source.fetch(key, START, NOW)).count == count
                assert (await source.newest(key)) is not None
                alone = await source.first_record(key)
                assert alone is not None
                assert alone.pattern_id == key
            listed = f"it has: {', '.join(sorted(expected))})"
            for asked in unknown:  # (PostgreSQL's texts of no pattern here)
                with pytest.raises(UnknownPatternError, match=re.escape(listed)):
                    await source.fetch(asked, START, NOW)
            assert (await source.unattributed()).count == 1

    asyncio.run(read())


def test_written_number_and_flag_ids_are_the_patterns_sqlite_writes(
    postgres_url: str, tmp_path: Path
) -> None:
    # The writer stored `str()` of them: "1.0", "True", "2.50": other patterns than the
    # SQLite writer's ("1", "true", "2.5") of the same records.
    ids = [1.0, True, 2.5, Decimal("2.50"), np.float64(3.0), np.int64(4), 7, "x"]
    records: list[dict[str, Any]] = [{"pattern_id": id_, "timestamp": NOW} for id_ in ids]
    # (and other fields' numpy and Decimal values, which were refused: "Could not convert")
    records[0].update(execution_time_ms=Decimal("12.5"), success=np.bool_(True))
    write_sqlite(tmp_path / "runs.sqlite", records)
    write_postgres(postgres_url, records)
    expected = ([("1", 1), ("2.5", 2), ("3", 1), ("4", 1), ("7", 1), ("true", 1), ("x", 1)], 0)
    assert _patterns(SQLiteSource(tmp_path / "runs.sqlite")) == expected
    assert _patterns(PostgresSource(postgres_url)) == expected

    async def first(source: Any) -> dict[str, Any]:
        async with source:
            row = (await source.fetch("1", START, NOW)).data.to_pylist()[0]
            return {name: row[name] for name in ("execution_time_ms", "success")}

    stored = asyncio.run(first(PostgresSource(postgres_url)))
    assert stored == {"execution_time_ms": 12.5, "success": True}
    assert asyncio.run(first(SQLiteSource(tmp_path / "runs.sqlite"))) == stored


def test_written_integer_numbers_are_the_doubles_sqlite_writes(
    postgres_url: str, tmp_path: Path
) -> None:
    # pyarrow refused an integer past 2^53 for a double column ("outside of the range
    # exactly representable"), so the record was not written: the SQLite and Parquet
    # writers store it as the double the library reads it as.
    records = [
        {"pattern_id": "p", "timestamp": NOW, "execution_time_ms": 2**53 + 1, "quality_score": 1}
    ]
    write_sqlite(tmp_path / "runs.sqlite", records)
    write_postgres(postgres_url, records)

    async def first(source: Any) -> dict[str, Any]:
        async with source:
            row = (await source.fetch("p", START, NOW)).data.to_pylist()[0]
            return {name: row[name] for name in ("execution_time_ms", "quality_score")}

    stored = asyncio.run(first(PostgresSource(postgres_url)))
    assert stored == {"execution_time_ms": 2.0**53, "quality_score": 1.0}
    assert asyncio.run(first(SQLiteSource(tmp_path / "runs.sqlite"))) == stored


def test_written_integer_flags_are_the_flags_sqlite_writes(
    postgres_url: str, tmp_path: Path
) -> None:
    # pyarrow refused the integers 0 and 1 for a boolean column, so the records (valid
    # ones: the library reads 0 and 1 as flags) were not written.
    records = [
        {"pattern_id": "p", "timestamp": NOW, "success": 1, "timeout": 0},
        {"pattern_id": "p", "timestamp": NOW, "success": np.int64(0), "quality_gates_passed": 0},
    ]
    write_sqlite(tmp_path / "runs.sqlite", records)
    write_postgres(postgres_url, records)
    expected = api_document(records, "p")
    for source in (PostgresSource(postgres_url), SQLiteSource(tmp_path / "runs.sqlite")):
        fetched = asyncio.run(_fetched(source, "p"))
        assert comparable(analyse(fetched, "p").to_dict()) == expected


async def _fetched(source: Any, pattern_id: str) -> Any:
    async with source:
        return (await source.fetch(pattern_id, START, NOW)).data


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"pattern_id": math.nan}, "record 1: field 'pattern_id' is missing"),
        ({}, "record 1: field 'pattern_id' is missing"),
        ({"pattern_id": "a\x00b"}, r"record 1: field 'pattern_id' = 'a\\x00b': .*NUL"),
        ({"pattern_id": "p", "agent": "a\x00"}, r"record 1: field 'agent' = 'a\\x00': .*NUL"),
        (
            {"pattern_id": "p", "success": "yes"},
            "record 1: field 'success' = 'yes' cannot be stored as bool: ",
        ),
        (
            {"pattern_id": "p", "execution_time_ms": "x"},
            "record 1: field 'execution_time_ms' = 'x' cannot be stored as double",
        ),
        (
            {"pattern_id": "p", "execution_time_ms": True},
            "record 1: field 'execution_time_ms' = True cannot be stored as double: a flag",
        ),
        (
            {"pattern_id": "p", "quality_score": np.bool_(False)},
            "record 1: field 'quality_score' = False cannot be stored as double: a flag",
        ),
        (
            {"pattern_id": "p", "timeout": 2},
            "record 1: field 'timeout' = 2 cannot be stored as bool: ",
        ),
        (
            {"pattern_id": "p", "quality_score": 10**400},
            "record 1: field 'quality_score' = 10+ cannot be stored as double",
        ),
    ],
)
def test_a_record_the_writer_cannot_store_is_named(
    postgres_url: str, record: dict[str, Any], message: str
) -> None:
    write_postgres(postgres_url, [{"pattern_id": "p", "timestamp": NOW}])
    records = [{"pattern_id": "q", "timestamp": NOW}, {"timestamp": NOW, **record}]
    with pytest.raises(SourceError, match=message):
        write_postgres(postgres_url, records)
    assert _patterns(PostgresSource(postgres_url)) == ([("p", 1)], 0)  # (none of them)


#: Binary ids, a blob's in SQLite: UTF-8 text, 16 bytes a UUID, else hex digits; blank
#: text is no pattern. (The blank one first: the first row with a pattern follows it.)
BINARY_IDS = [b"  ", b"ab", UUID(int=5).bytes, b"\xff\xfe", b"ab", b"x\\y"]
BINARY_PATTERNS = [(str(UUID(int=5)), 1), ("ab", 2), ("fffe", 1), ("x\\y", 1)]


@pytest.mark.parametrize("indexed", [False, True])
def test_a_bytea_id_column_makes_the_patterns_of_sqlite_blobs(
    postgres_url: str, tmp_path: Path, indexed: bool
) -> None:
    # Read as PostgreSQL's text, "\x6162" was the pattern of b"ab", where SQLite's and
    # Arrow's bytes are "ab" (and 16 of them a UUID).
    path = tmp_path / "ids.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE ids (pattern_id BLOB, timestamp TEXT)")
        connection.executemany(
            "INSERT INTO ids VALUES (?, ?)", [(value, STAMP) for value in BINARY_IDS]
        )
    connection.close()
    assert _patterns(SQLiteSource(path, TableSpec("ids"))) == (BINARY_PATTERNS, 1)
    spec = _table(postgres_url, "bytea", [f"'\\x{value.hex()}'::bytea" for value in BINARY_IDS])
    if indexed:  # (and in a database that writes bytea as escapes, "ab" rather than hex)
        database = urlsplit(postgres_url).path.lstrip("/")
        with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as c:
            c.execute("CREATE INDEX ON ids (pattern_id, timestamp)")
            c.execute(f"ALTER DATABASE {database} SET bytea_output = 'escape'")
    assert _patterns(PostgresSource(postgres_url, spec)) == (BINARY_PATTERNS, 1)

    async def read() -> None:
        async with PostgresSource(postgres_url, spec) as source:
            first = await source.first_record()
            assert first is not None
            assert first.pattern_id == "ab"
            for key, count in BINARY_PATTERNS:
                assert (await source.fetch(key, START, NOW)).count == count
            upper = str(UUID(int=5)).upper()  # (any spelling of the UUID)
            assert (await source.fetch(upper, START, NOW)).count == 1
            with pytest.raises(UnknownPatternError, match=re.escape("it has: 0000")):
                await source.fetch("\\x6162", START, NOW)  # (PostgreSQL's text of b"ab")

    asyncio.run(read())
