"""Pattern ids of numbers and flags make the same patterns in every source format.

A pandas column of integer ids with a missing one is a column of floats (1.0, NaN), and
Parquet keeps it so; JSON Lines and SQLite spelt 1.0 "1.0", Arrow's cast "1", a flag
"True" or "true". `pattern_key` keys numbers and flags by value wherever they are read.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from source_cases import NOW, START
from usage_analytics.sources import (
    FileSource,
    PostgresSource,
    SourceError,
    SQLiteSource,
    UnknownPatternError,
    save_records,
)
from usage_analytics.sources.arrow import group_by_pattern
from usage_analytics.sources.base import pattern_id_text, pattern_key
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres
from usage_analytics.sources.sqlite_table import write_executions_sync

#: Float ids and the patterns they are (NaN is none: pandas' missing id).
FLOAT_IDS = [1.0, 2.5, -0.0, 1e20, 1e-7, 3.0, math.nan, 1.0000000000000001e31]
FLOAT_PATTERNS = [
    "0",
    "1",
    "10000000-0000-0000-0761-796201807872",  # (32 digits spell a UUID, as an int's do)
    "100000000000000000000",
    "1e-07",
    "2.5",
    "3",
]
FLAG_IDS = [True, False, True]
FLAG_PATTERNS = ["false", "true"]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (2.5, "2.5"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-07"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, ""),
        (True, "true"),
        (False, "false"),
        (Decimal("1.00"), "1"),
        (Decimal("2.50"), "2.5"),
        (Decimal("0.10"), "0.1"),
        (Decimal("-Infinity"), "-inf"),
        (Decimal("0.10000000000000000000001"), "0.10000000000000000000001"),
        (Decimal("1.0000000000000000000000E-30"), "1e-30"),
        (Decimal("1.2345678901234567890E-30"), "1.234567890123456789E-30"),
        (
            Decimal("0.12345678901234567890123456789012345670"),
            "0.1234567890123456789012345678901234567",
        ),
        (Decimal("NaN"), ""),
        (Decimal("sNaN"), ""),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.00"), "0"),
        (Decimal("-1.0E+2"), "-100"),
        (Decimal("1E+5000"), "1" + "0" * 5000),  # (past `str(int)`'s 4,300 digits)
        (7, "7"),
        (10**30, str(10**30)),
        (" 7 ", "7"),
        ("1.0", "1.0"),  # (text is its text: only numbers are keyed by value)
    ],
)
def test_pattern_key_of_numbers_and_flags(value: Any, key: str) -> None:
    assert pattern_key(value) == key


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(2.0**53 + 2)
@example(-1e300)
@example(1.0000000000000001e31)  # (32 digits: a UUID's, as the int's are)
def test_an_integral_float_is_the_pattern_of_its_integer(value: float) -> None:
    key = pattern_key(value)
    if value.is_integer():
        assert key == pattern_key(int(value)) == pattern_key(str(int(value)))
        assert key == pattern_key(Decimal(value))
        assert pattern_key(key) == key  # (Arrow's grouping keys the text again)
    else:
        assert float(key) == value  # (its shortest text, which reads back as it)


@given(st.lists(st.one_of(st.floats(), st.booleans(), st.none()), min_size=1, max_size=30))
def test_arrow_groups_a_column_as_pattern_key_keys_each_value(values: list[Any]) -> None:
    floats = [value if value is None else float(value) for value in values]
    flags = [value if value is None else bool(value) for value in values]
    for column in (pa.array(floats, pa.float64()), pa.array(flags, pa.bool_())):
        table = pa.table({"pattern_id": column, "row": range(len(values))})
        grouped = {
            key: rows.column("row").to_pylist() for key, rows, _ in group_by_pattern(pa, table)
        }
        expected: dict[str, list[int]] = {}
        for row, value in enumerate(column.to_pylist()):
            if value is not None and pattern_key(value):
                expected.setdefault(pattern_key(value), []).append(row)
        assert grouped == expected


@given(st.floats(allow_nan=False))
@example(0.1)
@example(-2.5)
def test_a_decimal_is_the_pattern_of_the_float_of_its_value(value: float) -> None:
    # (A decimal kept its scale: 2.50 and 0.10 where a double's were "2.5" and "0.1", the
    # ids of a JSON Lines file of the same records.)
    # (The float's shortest text; an integral float's own integer, which for a large one
    # is not the integer of its shortest text: 4.335319987923573e+16 is ...728.)
    decimal = Decimal(value) if value.is_integer() else Decimal(repr(value))
    padded = decimal
    if decimal.is_finite():  # two zeros more: 2.500
        sign, digits, exponent = decimal.as_tuple()
        padded = Decimal((sign, (*digits, 0, 0), int(exponent) - 2))
    assert padded == decimal
    assert pattern_key(decimal) == pattern_key(padded) == pattern_key(value)


def test_a_decimal_column_is_keyed_as_a_column_of_doubles() -> None:
    values = ["1.00", "2.50", "0.10", "-3.25"]
    decimals = pa.array([Decimal(text) for text in values], pa.decimal128(5, 2))
    doubles = pa.array([float(text) for text in values], pa.float64())
    keys = [
        [key for key, _, _ in group_by_pattern(pa, pa.table({"pattern_id": column}))]
        for column in (decimals, doubles)
    ]
    assert keys[0] == keys[1] == ["-3.25", "0.1", "1", "2.5"]


def test_float32_ids_are_keyed_by_their_shortest_text() -> None:
    # (Widened to a double, 868.521 was 868.5210571289062.)
    table = pa.table({"pattern_id": pa.array([868.521, 2.0], pa.float32())})
    assert [key for key, _, _ in group_by_pattern(pa, table)] == ["2", "868.521"]


def test_writers_store_a_number_or_flag_id_as_its_pattern() -> None:
    assert [pattern_id_text(value) for value in (1.0, 2.5, math.nan, True, "x", 7)] == [
        "1",
        "2.5",
        None,
        "true",
        "x",
        7,
    ]


def _patterns(source: Any) -> tuple[list[str], int]:
    async def read() -> tuple[list[str], int]:
        async with source:
            groups = await source.fetch_all(START, NOW)
            return sorted(group.pattern_id for group in groups), (await source.unattributed()).count

    return asyncio.run(read())


def _written_by_others(directory: Path, kind: str, ids: list[Any]) -> Path:
    """The ids in their own types: a Parquet column of doubles or flags (as pandas writes
    one), SQLite REALs and integers in an untyped column, JSON numbers and flags."""
    stamp = NOW.isoformat()
    path = directory / f"theirs.{kind}"
    if kind == "parquet":
        pq.write_table(pa.table({"pattern_id": ids, "timestamp": [stamp] * len(ids)}), path)
    elif kind == "sqlite":
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp)")
            connection.executemany(
                "INSERT INTO pattern_executions VALUES (?, ?)", [(id_, stamp) for id_ in ids]
            )
        connection.close()
    else:
        lines = [json.dumps({"pattern_id": id_, "timestamp": stamp}) for id_ in ids]
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("ids", "patterns"), [(FLOAT_IDS, FLOAT_PATTERNS), (FLAG_IDS, FLAG_PATTERNS)]
)
@pytest.mark.parametrize(
    ("kind", "arrow"),
    [("parquet", True), ("jsonl", True), ("jsonl", False), ("sqlite", True)],
)
def test_files_written_elsewhere_make_the_same_patterns(
    tmp_path: Path, kind: str, arrow: bool, ids: list[Any], patterns: list[str]
) -> None:
    path = _written_by_others(tmp_path, kind, ids)
    source = SQLiteSource(path) if kind == "sqlite" else FileSource(path, arrow=arrow)
    if kind == "sqlite" and ids is FLAG_IDS:
        patterns = ["0", "1"]  # (SQLite has no flags: `sqlite3` stores True as 1)
    # (SQLite stores a NaN as NULL: no pattern either way.)
    assert _patterns(source) == (patterns, sum(map(_is_nan, ids)))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(
    ("ids", "patterns"), [(FLOAT_IDS, FLOAT_PATTERNS), (FLAG_IDS, FLAG_PATTERNS)]
)
@pytest.mark.parametrize(
    ("kind", "arrow"),
    [
        ("parquet", True),
        ("csv", True),
        ("csv", False),
        ("jsonl", True),
        ("jsonl", False),
        ("sqlite", True),
    ],
)
def test_saved_records_read_back_as_the_same_patterns(
    tmp_path: Path, kind: str, arrow: bool, ids: list[Any], patterns: list[str]
) -> None:
    # Parquet and CSV stored 1.0 as the text "1.0", SQLite's TEXT column likewise, and a
    # flag as "True" or 1: other patterns than the JSON Lines file of the same records.
    records = [{"pattern_id": id_, "timestamp": NOW} for id_ in ids]
    path = tmp_path / f"runs.{kind}"
    if kind == "sqlite":
        # (The table requires a pattern id: NaN, a missing one, is refused by its record.)
        records = [record for record in records if not _is_nan(record["pattern_id"])]
        with pytest.raises(
            SourceError, match=rf"record {len(records)}: field 'pattern_id' is missing"
        ):
            write_executions_sync(tmp_path / "nan.sqlite", [*records, {"pattern_id": math.nan}])
        write_executions_sync(path, records)
        source: Any = SQLiteSource(path)
    else:
        save_records(path, records)
        source = FileSource(path, arrow=arrow)
    assert _patterns(source) == (patterns, sum(map(_is_nan, ids)) if kind != "sqlite" else 0)


@pytest.mark.parametrize(
    ("ids", "patterns"), [(FLOAT_IDS, FLOAT_PATTERNS), (FLAG_IDS, FLAG_PATTERNS)]
)
@pytest.mark.parametrize(
    ("kind", "arrow"),
    [("parquet", True), ("jsonl", True), ("jsonl", False), ("sqlite", True)],
)
def test_each_pattern_listed_is_fetched_by_its_name(
    tmp_path: Path, kind: str, arrow: bool, ids: list[Any], patterns: list[str]
) -> None:
    # (`--pattern 1` found no record of a JSON Lines id 1.0, which the dashboard lists as
    # pattern "1", and said so naming "1" among the patterns the file has.)
    path = _written_by_others(tmp_path, kind, ids)
    source: Any = SQLiteSource(path) if kind == "sqlite" else FileSource(path, arrow=arrow)

    async def counts() -> tuple[dict[str, int], dict[str, int]]:
        async with source:
            listed = {group.pattern_id: group.count for group in await source.fetch_all(START, NOW)}
            fetched = {key: (await source.fetch(key, START, NOW)).count for key in listed}
            return listed, fetched

    listed, fetched = asyncio.run(counts())
    assert fetched == listed
    assert sum(listed.values()) == len(ids) - sum(map(_is_nan, ids))


@pytest.mark.parametrize(
    ("ids", "patterns"), [(FLOAT_IDS, FLOAT_PATTERNS), (FLAG_IDS, FLAG_PATTERNS)]
)
def test_records_written_to_postgresql_read_back_as_the_same_patterns(
    postgres_url: str, ids: list[Any], patterns: list[str]
) -> None:
    # Its writer stored `str` of the id: 1.0 was the pattern "1.0", True "True" and NaN
    # the pattern "nan", where the SQLite and file writers store "1", "true" and none.
    records = [{"pattern_id": id_, "timestamp": NOW} for id_ in ids if not _is_nan(id_)]
    with pytest.raises(
        SourceError, match=rf"record {len(records)}: field 'pattern_id' is missing, and the"
    ):
        write_postgres(postgres_url, [*records, {"pattern_id": math.nan, "timestamp": NOW}])
    write_postgres(postgres_url, records)
    assert _patterns(PostgresSource(postgres_url)) == (patterns, 0)


@pytest.mark.parametrize(
    ("kind", "ids", "patterns"),
    [
        ("double precision", FLOAT_IDS, FLOAT_PATTERNS),
        # (NaN the first row: `first_record` passes it over, as a blank id.)
        ("real", [math.nan, 0.1, 868.521, 2.0], ["0.1", "2", "868.521"]),
        (
            "numeric",
            [
                Decimal("1.00"),
                Decimal("2.50"),
                Decimal("NaN"),
                Decimal("1E+20"),
                Decimal("1E+5000"),
            ],
            ["1", "100000000000000000000", "1" + "0" * 5000, "2.5"],
        ),
    ],
)
def test_a_postgresql_number_column_makes_the_patterns_of_its_values(
    postgres_url: str, kind: str, ids: list[Any], patterns: list[str]
) -> None:
    # Read as text: the numeric 1.00 was the pattern "1.00", the double 1e20 "1e+20", and
    # NaN, none in every other source, the pattern "NaN".
    with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE pattern_executions (pattern_id {kind}, timestamp timestamptz)"
        )
        for id_ in ids:
            cursor.execute(
                f"INSERT INTO pattern_executions VALUES ('{id_!r}'::text::{kind}, '{NOW}')"
                if isinstance(id_, float)
                else f"INSERT INTO pattern_executions VALUES ('{id_}', '{NOW}')"
            )
    nans = sum(1 for id_ in ids if (id_ != id_))  # (NaN alone is not itself)
    assert _patterns(PostgresSource(postgres_url)) == (patterns, nans)

    async def fetched() -> tuple[list[int], str | None]:
        async with PostgresSource(postgres_url) as source:
            counts = [(await source.fetch(key, START, NOW)).count for key in patterns]
            first = await source.first_record()
            return counts, None if first is None else first.pattern_id

    counts, first = asyncio.run(fetched())
    assert counts == [1] * len(patterns)
    assert first in patterns


def test_an_unknown_pattern_of_json_lines_lists_a_flag_and_a_number_apart(tmp_path: Path) -> None:
    # (Gathered in a set, True and 1 were one value: "it has: 1.5, true", the pattern "1"
    # the dashboard lists left out.)
    path = _written_by_others(tmp_path, "jsonl", [True, 1, 1.0, 1.5])
    with pytest.raises(UnknownPatternError, match=r"\(it has: 1, 1\.5, true\)$"):
        asyncio.run(_fetch(FileSource(path, arrow=False), "nope"))


async def _fetch(source: Any, pattern: str) -> Any:
    async with source:
        return await source.fetch(pattern, START, NOW)
