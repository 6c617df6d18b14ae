"""A json or jsonb pattern id column (against a real server, see conftest.py): its ids are
keyed as a JSON Lines file's are (`pattern_key` of the JSON value: a string its own text,
a number by its value, `true` "true", null no pattern), and a read of one pattern asks for
a jsonb column's rows by value, which the column's own (pattern_id, timestamp) index
serves.

They were read as text (`pattern_id #>> '{}'`): jsonb's 1.0 was the pattern "1.0" and
2.50 "2.50" where a file's were "1" and "2.5" (json's 1e2 "1e2", -0 "-0"), and no index
of the column served a read of one pattern: it scanned the table. 1 and "1" are one
pattern, as in a file and as the batch keys an int id and its text.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import adbc_driver_postgresql.dbapi as dbapi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pg_calls import call, sql
from usage_analytics.sources import FileSource, PostgresSource, TableSpec
from usage_analytics.sources.base import pattern_key

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 10, tzinfo=UTC)
KINDS = ["jsonb", "json"]

#: JSON ids written as a file or a table would hold them: numbers of one value in several
#: spellings, strings of their texts, flags, null, blank and padded strings.
WRITTEN = [
    "1",
    "1.0",
    '"1"',
    "2.50",
    "2.5",
    "1e2",
    "-0",
    "0.1",
    "1e-7",
    "-3",
    "12345678901234567890123",
    "true",
    '"true"',
    "false",
    '"p"',
    '" p "',
    '"  "',
    "null",
    '"7f1b2c3d-4e5f-4a6b-8c9d-0e1f2a3b4c5d"',
    '"7F1B2C3D-4E5F-4A6B-8C9D-0E1F2A3B4C5D"',
]


def filled(url: str, kind: str, written: list[str], index: bool = True) -> TableSpec:
    """Table `ids` of one row per JSON text of `written`, its id column of `kind`."""
    rows = ", ".join(
        f"('{text.replace(chr(39), chr(39) * 2)}', '2026-01-05 10:00Z')" for text in written
    )
    statements = [
        "DROP TABLE IF EXISTS ids",
        f"CREATE TABLE ids (pattern_id {kind}, timestamp timestamptz, success boolean)",
    ]
    if rows:
        statements.append(f"INSERT INTO ids (pattern_id, timestamp) VALUES {rows}")
    if index and kind == "jsonb":  # (json has no btree operator class)
        statements.append("CREATE INDEX ON ids (pattern_id, timestamp)")
    sql(url, *statements, "ANALYZE ids")
    return TableSpec("ids")


def model(written: list[str]) -> Counter[str]:
    """The patterns of the JSON ids `written`, as a JSON Lines file keys them, and their
    rows' counts (no pattern left out)."""
    keys = Counter(pattern_key(json.loads(text)) for text in written if text != "null")
    del keys[""]
    return keys


def file_groups(tmp_path: Path, written: list[str]) -> Counter[str]:
    """The groups of a JSON Lines file of the same ids (the reference: a file's reader)."""
    path = tmp_path / "ids.jsonl"
    path.write_text(
        "".join(
            f'{{"pattern_id": {text}, "timestamp": "2026-01-05T10:00:00Z"}}\n' for text in written
        )
    )
    groups = asyncio.run(FileSource(path).fetch_all(START, END))
    return Counter({group.pattern_id: group.count for group in groups})


@pytest.mark.parametrize("kind", KINDS)
def test_json_ids_are_the_patterns_a_json_lines_file_makes(
    postgres_url: str, kind: str, tmp_path: Path
) -> None:
    spec = filled(postgres_url, kind, WRITTEN)
    groups = call(PostgresSource(postgres_url, spec), "fetch_all", START, END)
    found = Counter({group.pattern_id: group.count for group in groups})
    assert found == model(WRITTEN) == file_groups(tmp_path, WRITTEN)
    assert found["1"] == 3  # (1, 1.0 and "1"; 1e2 is 100)
    assert (found["2.5"], found["100"], found["0"]) == (2, 1, 1)
    for key, count in found.items():
        assert call(PostgresSource(postgres_url, spec), "fetch", key, START, END).count == count
        first = call(PostgresSource(postgres_url, spec), "first_record", key)
        assert first.pattern_id == key
    # (null, "  ": no pattern, as in a file)
    assert call(PostgresSource(postgres_url, spec), "unattributed").count == 2


def test_one_and_its_text_are_one_pattern(postgres_url: str) -> None:
    # (As the batch keys an int id and its text, and a file its 1 and "1".)
    spec = filled(postgres_url, "jsonb", ["1", '"1"', "1.00"])
    groups = call(PostgresSource(postgres_url, spec), "fetch_all", START, END)
    assert [(group.pattern_id, group.count) for group in groups] == [("1", 3)]
    assert call(PostgresSource(postgres_url, spec), "newest", "1") is not None


#: JSON values a file or a table may hold as ids. (Floats below 2**50: jsonb keeps a
#: number's value, not its spelling, and writes 1.5e300 as its 301 digits, an integer,
#: where a file's reader reads a float and keys the float's own digits.)
JSON_IDS = st.one_of(
    st.integers(-(10**30), 10**30),
    st.floats(-(2.0**50), 2.0**50, allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["1", "1.0", "true", " p", "p ", "", "2.5", "a\\b", 'q"', "é"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=4),
)


@pytest.fixture(scope="module")
def json_database(postgres_server: str) -> Iterator[str]:
    from pg_server import create_database, drop_database

    name, url = create_database(postgres_server)
    try:
        yield url
    finally:
        drop_database(postgres_server, name)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=40)
@given(ids=st.lists(JSON_IDS, max_size=12))
def test_any_json_ids_group_as_their_values_keys(
    json_database: str, kind: str, ids: list[Any]
) -> None:
    written = [json.dumps(value) for value in ids]
    spec = filled(json_database, kind, written)
    groups = call(PostgresSource(json_database, spec), "fetch_all", START, END)
    assert Counter({group.pattern_id: group.count for group in groups}) == model(written)
    for key, count in model(written).items():
        assert call(PostgresSource(json_database, spec), "fetch", key, START, END).count == count


def test_a_read_of_one_pattern_is_a_range_of_the_jsonb_column_s_index(postgres_url: str) -> None:
    # (Rows enough that the planner weighs a range against a scan of the table.)
    sql(
        postgres_url,
        "CREATE TABLE ids AS SELECT to_jsonb(i % 100) AS pattern_id, "
        "now() - i * interval '1 minute' AS timestamp, true AS success "
        "FROM generate_series(0, 19999) AS i",
        "CREATE INDEX ON ids (pattern_id, timestamp)",
        "ANALYZE ids",
    )

    async def condition() -> tuple[str, list[Any]]:
        async with PostgresSource(postgres_url, TableSpec("ids")) as source:
            forms = await source._run(
                lambda cursor, columns: source._pattern_forms(cursor, columns, "7")
            )
            return PostgresSource._pattern_condition(source._columns or {}, forms, 1)

    where, params = asyncio.run(condition())
    with dbapi.connect(postgres_url, autocommit=True) as connection, connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT 1 FROM ids WHERE {where}", params)
        rows = " ".join(str(row[0]) for row in cursor.fetchall())
    assert "Seq Scan" not in rows, rows
    assert "Index Cond: (pattern_id = ANY" in rows, rows
