"""`SQLiteSource.newest()` of every row (the default window's end of `analyze` and
`dashboard` alike) is the newest instant the core reads of any row's timestamp, whatever
the pattern id (none, blank, one differing in case only) and however the table is
indexed. Where an index leads with the pattern id it is asked for per id
(`sqlite_newest.ByPattern`: one index seek each, where it scanned the table whole);
without one, by a scan as before."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from usage_analytics.sources import SQLiteSource
from usage_analytics.sources.timestamps import window_stamp

_IDS = st.sampled_from([None, "", "a", "A", "b", 7])
_DAYS = st.sampled_from(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02", "2026-13-01"])
_TIMES = st.sampled_from(["T10:00:00Z", "T23:30:00-05:00", "T00:30:00+05:00", "T25:00:00Z", ""])
_TEXTS = st.one_of(
    st.builds(lambda day, time: day + time, _DAYS, _TIMES),
    st.sampled_from([" 2026-03-03T10:00:00Z", "1767225600", "noon", None]),
    st.integers(0, 2_000_000_000),
)
_ROWS = st.lists(st.tuples(_IDS, _TEXTS), min_size=1, max_size=12)
#: The indexes a table may have: none, the library's (and its partial one), one alone.
_INDEXES = {
    "none": [],
    "library": [
        "CREATE INDEX t_pt ON pattern_executions (pattern_id, timestamp)",
        "CREATE INDEX t_un ON pattern_executions (pattern_id, timestamp) WHERE NOT "
        "(typeof(timestamp) = 'text' AND timestamp GLOB "
        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*')",
    ],
    "pattern alone": ["CREATE INDEX t_p ON pattern_executions (pattern_id)"],
}


def newest_of(path: Path) -> datetime | None:
    async def asked() -> datetime | None:
        async with SQLiteSource(path) as source:
            return await source.newest()

    return asyncio.run(asked())


def expected(rows: list[tuple[object, object]]) -> datetime | None:
    stamps = [stamp for _, text in rows if (stamp := window_stamp(text)) is not None]
    if not stamps:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + (max(stamps) * datetime.resolution)


@settings(max_examples=150, deadline=None)
@given(rows=_ROWS, indexes=st.sampled_from(sorted(_INDEXES)))
@example(rows=[(None, "2026-03-02T10:00:00Z"), ("a", "2026-03-01T10:00:00Z")], indexes="library")
@example(
    rows=[("A", "2026-03-02T00:30:00+05:00"), ("a", "2026-03-01T23:30:00-05:00")], indexes="library"
)
@example(rows=[("a", "2026-03-02T25:00:00Z"), ("b", "2026-03-01T10:00:00Z")], indexes="library")
@example(rows=[("a", " 2026-03-03T10:00:00Z"), ("b", "2026-03-01T10:00:00Z")], indexes="none")
def test_the_newest_of_every_row_is_the_newest_instant_of_any(
    rows: list[tuple[object, object]], indexes: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp)")
            for statement in _INDEXES[indexes]:
                connection.execute(statement)
            connection.executemany("INSERT INTO pattern_executions VALUES (?, ?)", rows)
        connection.close()
        assert newest_of(path) == expected(rows)


def test_a_table_of_no_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp)")
    connection.close()
    with pytest.raises(Exception, match="holds no records"):
        newest_of(path)
