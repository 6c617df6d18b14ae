"""The core's SQLite reader (`sources.sqlite_native`): whatever a table holds, a fetch read
by the core equals the fetch read by `sqlite3` (the same groups, tables of the same
schema and values, the same places of rows in messages), and the core reads the rows
where every value fits its column."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from usage_analytics import _core
from usage_analytics.sources import SourceError, SQLiteSource, TableSpec, sqlite_newest, sqlite_scan
from usage_analytics.sources import sqlite as sqlite_source
from usage_analytics.sources.base import Fetched, pattern_key
from usage_analytics.sources.sqlite_native import native_rows, newest_instant
from usage_analytics.sources.sqlite_table import unplaced_sql

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=UTC)
COLUMNS = ("pattern_id", "timestamp", "success", "execution_time_ms", "agent")


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def write(path: Path, rows: Sequence[Sequence[Any]]) -> None:
    """A table of `rows` over `COLUMNS`, without declared types (each value keeps its
    storage class), and its (pattern_id, timestamp) index."""
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE pattern_executions ({', '.join(COLUMNS)})")
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?, ?, ?)", rows)
        connection.execute("CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)")
    connection.close()


def described(groups: Sequence[Fetched]) -> list[tuple[Any, ...]]:
    """Each group as everything a caller reads of it."""
    return [
        (
            g.pattern_id,
            g.count,
            g.data.schema if isinstance(g.data, pa.Table) else None,
            g.data.to_pylist() if isinstance(g.data, pa.Table) else g.data,
            [g.locate(i) for i in range(g.count)],
            None if g.together is None else g.together.to_pylist(),
        )
        for g in groups
    ]


def rows_read_by(patch: pytest.MonkeyPatch, reader: Callable[..., Any]) -> None:
    """The core's reads of rows (`native_rows`) made by `reader`: those of `sources.sqlite`
    and of its scans (`sqlite_scan`)."""
    for module in (sqlite_source, sqlite_scan):
        patch.setattr(module, "native_rows", reader)


def both(
    monkeypatch: pytest.MonkeyPatch, call: Callable[[], Coroutine[Any, Any, Any]]
) -> tuple[Any, Any, bool]:
    """`call`'s result (or its error) read by the core where it can, then by `sqlite3`
    alone; and whether the core read it."""
    read_natively: list[bool] = []

    def spied(*args: Any, **kwargs: Any) -> Any:
        result = native_rows(*args, **kwargs)
        read_natively.append(result is not None)
        return result

    def outcome() -> Any:
        try:
            return run(call())
        except SourceError as error:
            return (type(error), str(error))

    with monkeypatch.context() as patch:
        rows_read_by(patch, spied)
        first = outcome()
    with monkeypatch.context() as patch:
        rows_read_by(patch, lambda *args, **kwargs: None)
        second = outcome()
    return first, second, any(read_natively)


def at(day: int, hour: int, offset: str = "Z") -> str:
    return f"2026-03-{day:02d}T{hour:02d}:30:00.000000{offset}"


STAMPS = st.sampled_from(
    [
        at(1, 0),
        at(2, 12),
        at(3, 23),
        at(1, 0, "+01:00"),  # Feb 28, 23:30 UTC: outside
        at(3, 23, "-00:30"),  # Mar 4, 00:00 UTC: outside
        at(4, 0, "+01:00"),  # Mar 3, 23:30 UTC: inside, on a margin date
        "2026-02-28T23:59:59.999999-00:01",  # inside, a day before the window's first
        "2026-03-02 08:00",
        "2026-03-02T08:00:00,5Z",
        "2026-03-02",
        "2026-03-02Tnoon",  # placed by its date, no time the core reads
        "2026-03-10T00:00:00Z",  # far outside
    ]
)
ODD_STAMPS = st.sampled_from([None, 5, 1.5, b"\x01", "", "not a time", " 2026-03-02T08:00:00Z"])
IDS = st.sampled_from(["a", "b", "A", " a", 7, 7.0, "7", "", " ", b"0123456789abcdef"])
FLAGS = st.sampled_from([0, 1, None, 2, -1])
ODD_FLAGS = st.sampled_from([1.0, 0.5, "true", "", "maybe", b"\x00"])
NUMBERS = st.one_of(
    st.sampled_from([None, 0, 3, 2**53 + 1, -(2**63)]),
    st.floats(allow_nan=False, width=64),
)
ODD_NUMBERS = st.sampled_from(["2.5", "", "fast", b"\x00"])
AGENTS = st.sampled_from(["x", "y", "é", "", None, 5, 2.5, "a\x00b"])
ODD_AGENTS = st.sampled_from([b"blob"])


def rows_of(odd: bool) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    def field(clean: st.SearchStrategy[Any], odd_values: st.SearchStrategy[Any]) -> Any:
        return st.one_of(clean, odd_values) if odd else clean

    row = st.tuples(
        IDS,
        field(STAMPS, ODD_STAMPS),
        field(FLAGS, ODD_FLAGS),
        field(NUMBERS, ODD_NUMBERS),
        field(AGENTS, ODD_AGENTS),
    )
    return st.lists(row, max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=st.booleans().flatmap(rows_of))
@example(rows=[("a", at(2, 1), 1, 1.5, "x")])
@example(rows=[("a", at(2, 1), None, None, None), ("a", at(2, 2), None, None, "")])
@example(rows=[(7, at(2, 1), 1, 3, "x"), (7.0, at(2, 2), 0, 2.5, "y"), ("7", at(2, 3), 1, 1, 5)])
def test_a_fetch_read_by_the_core_equals_sqlite3s(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, ...]]
) -> None:
    path = tmp_path_factory.mktemp("native") / "runs.sqlite"
    write(path, rows)
    source = SQLiteSource(path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        native, python, _ = both(monkeypatch, lambda: source.fetch_all(START, END))
        assert (described(native) if isinstance(native, list) else native) == (
            described(python) if isinstance(python, list) else python
        )
        for pattern_id in ("a", "7", "b"):
            native, python, _ = both(monkeypatch, partial(source.fetch, pattern_id, START, END))
            if isinstance(native, Fetched):
                native, python = described([native]), described([python])
            assert native == python


@settings(max_examples=60, deadline=None)
@given(rows=st.booleans().flatmap(rows_of), late=st.sampled_from(["", "+14:00", "-14:00"]))
@example(
    rows=[
        ("a", "9999-12-31T01:00:00Z", 1, 1.5, "x"),
        ("a", "9999-12-31T23:00:00-02:00", 1, 1, "x"),  # past the years a window holds
    ],
    late="",
)
def test_the_newest_time_worked_out_by_the_core_equals_sqlite3s(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, ...]], late: str
) -> None:
    """`newest`, whose last dates' texts (and the unplaced ones) the core's SQLite reads
    (`newest_instant`), against reading each text here: offsets that move a text across
    dates, texts past the analysable range, unplaced values."""
    path = tmp_path_factory.mktemp("newest") / "runs.sqlite"
    if late:  # a text of the newest date that an offset moves before the others
        rows = [*rows, ("b", at(3, 23, late), 1, 1, "x")]
    write(path, rows)
    source = SQLiteSource(path)
    read_by: list[bool] = []

    def spied(*args: Any) -> Any:
        found = newest_instant(*args)
        read_by.append(found is not None)
        return found

    def newest(pattern_id: str | None) -> Any:
        try:
            return run(source.newest(pattern_id))
        except SourceError as error:
            return str(error)

    with pytest.MonkeyPatch.context() as monkeypatch:
        for pattern_id in (None, "a", "b"):
            monkeypatch.setattr(sqlite_newest, "newest_instant", spied)
            native = newest(pattern_id)
            monkeypatch.setattr(sqlite_newest, "newest_instant", lambda *args: None)
            assert native == newest(pattern_id)
    if rows:
        assert any(read_by)


def test_the_core_reads_a_table_of_clean_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.sqlite"
    rows = [
        ("a", at(2, 1), 1, 1.5, "x"),
        ("b", at(2, 2), None, 3, None),
        ("a", at(1, 0), 0, None, ""),
    ]
    write(path, rows)
    source = SQLiteSource(path)
    native, python, read_natively = both(monkeypatch, lambda: source.fetch_all(START, END))
    assert read_natively
    assert described(native) == described(python)
    [a, b] = native
    assert a.data.to_pylist() == [
        {"timestamp": at(1, 0), "success": 0, "execution_time_ms": None, "agent": None},
        {"timestamp": at(2, 1), "success": 1, "execution_time_ms": 1.5, "agent": "x"},
    ]
    assert a.data.schema == pa.schema(
        [
            ("timestamp", pa.string()),
            ("success", pa.int64()),
            ("execution_time_ms", pa.float64()),
            ("agent", pa.string()),
        ]
    )
    assert b.locate(0) == f"the row with rowid 2 (timestamp '{at(2, 2)}')"
    native, python, read_natively = both(monkeypatch, lambda: source.fetch("a", START, END))
    assert read_natively
    assert described([native]) == described([python])


@pytest.mark.parametrize(
    ("column", "value", "by_the_core"),
    [
        # A flag's text beside stored integers: pyarrow makes no column of Python's
        # bools and integers, and the Python path reads every row as records.
        ("success", "true", False),
        ("success", " YES\u3000", False),  # (typed by Python: a bool)
        ("success", "maybe", True),
        ("success", 1.0, True),
        ("execution_time_ms", "2.5", True),
        ("execution_time_ms", "1_000", True),  # (typed by Python)
        ("execution_time_ms", "fast", True),
        ("agent", b"blob", True),
    ],
)
def test_values_of_other_types_are_read_by_the_core_as_sqlite3_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str, value: Any, by_the_core: bool
) -> None:
    path = tmp_path / "runs.sqlite"
    row = {
        "pattern_id": "a",
        "timestamp": at(2, 1),
        "success": 1,
        "execution_time_ms": 1.5,
        "agent": "x",
    }
    write(path, [tuple(row.values()), tuple({**row, column: value}.values())])
    native, python, read_natively = both(
        monkeypatch, lambda: SQLiteSource(path).fetch_all(START, END)
    )
    assert read_natively is by_the_core
    assert described(native) == described(python)


def test_text_that_is_not_utf8_is_sqlite3s_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.sqlite"
    write(path, [("a", at(2, 1), 1, 1.5, "x")])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE pattern_executions SET agent = CAST(x'ff' AS TEXT)")
    connection.close()
    native, python, read_natively = both(
        monkeypatch, lambda: SQLiteSource(path).fetch_all(START, END)
    )
    assert not read_natively
    assert native == python
    assert native[0] is SourceError
    assert "utf-8" in native[1].lower()


@pytest.mark.parametrize(
    "layout",
    [", PRIMARY KEY (pattern_id, timestamp)) WITHOUT ROWID", ", rowid TEXT)"],
    ids=["without-rowid", "rowid-column"],
)
def test_rows_keyed_otherwise_are_placed_as_sqlite3_places_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    path = tmp_path / "runs.sqlite"
    rows = [("a", at(2, 1), 1, 1.5, "x"), ("a", at(2, 2), 0, 2.5, "y")]
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE pattern_executions ({', '.join(COLUMNS)}{layout}")
        marks = ", ".join("?" * len(COLUMNS))
        connection.executemany(
            f"INSERT INTO pattern_executions ({', '.join(COLUMNS)}) VALUES ({marks})", rows
        )
    connection.close()
    native, python, read_natively = both(
        monkeypatch, lambda: SQLiteSource(path).fetch_all(START, END)
    )
    assert read_natively
    assert described(native) == described(python)
    assert "with" in native[0].locate(1)


def test_a_view_has_no_keys_and_is_read_by_the_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.sqlite"
    write(path, [("a", at(2, 1), 1, 1.5, "x")])
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE VIEW runs AS SELECT * FROM pattern_executions")
    connection.close()
    source = SQLiteSource(path, table=TableSpec(table="runs"))
    native, python, read_natively = both(monkeypatch, lambda: source.fetch_all(START, END))
    assert read_natively
    assert described(native) == described(python)
    assert native[0].locate(0) == f"the row with timestamp '{at(2, 1)}'"


def test_the_readers_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match='unknown column kind "bool"'):
        _core.sqlite_columns("file:x?mode=ro", "SELECT 1", [], ["bool"])
    # A parameter SQLite's Python module binds otherwise (an int past 64 bits): sqlite3's.
    assert _core.sqlite_columns("file:x?mode=ro", "SELECT ?", [2**64], ["flag"]) is None


def test_a_statement_of_other_width_is_the_callers_bug(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    write(path, [])
    uri = f"file:{path}?mode=ro"
    with pytest.raises(ValueError, match="other than the 2 kinds"):
        _core.sqlite_columns(uri, "SELECT 1", [], ["flag", "flag"])
    assert _core.sqlite_columns(uri, "SELECT 1, 'x' WHERE 0", [], ["flag", "text"]) is not None
    assert _core.sqlite_columns(uri, "SELECT 1", [], ["flag"]) == (
        1,
        [("int", (1).to_bytes(8, "little"), None)],
        [],
    )


def orders_asked(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The `order` of each read the core is asked for (`()`: the statement's own)."""
    asked: list[Any] = []

    def spied(*args: Any, **kwargs: Any) -> Any:
        asked.append(tuple(kwargs.get("order", ())))
        return native_rows(*args, **kwargs)

    rows_read_by(monkeypatch, spied)
    return asked


def orders_of_a_read_as_sqlite3s(
    source: SQLiteSource, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """The orders `fetch_all` asked the core for, once its groups are checked to be those
    `sqlite3` alone reads (the ordered statement's)."""
    asked = orders_asked(monkeypatch)
    native = run(source.fetch_all(START, END))
    rows_read_by(monkeypatch, lambda *args, **kwargs: None)
    assert described(native) == described(run(source.fetch_all(START, END)))
    return asked


def sqlite_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row (rowid, id, timestamp, ...) in SQLite's `ORDER BY id, timestamp, rowid` under
    the BINARY collation: numbers (by value: 7 and 7.0 tie), then text, then blobs."""
    rowid, pid, stamp = row[:3]
    kind = 1 if isinstance(pid, int | float) else 2 if isinstance(pid, str) else 3
    value = pid.encode() if isinstance(pid, str) else pid
    return (kind, value, stamp.encode(), rowid)


SHUFFLED = [  # (ids of every type, out of time order, ties on one id and time)
    ("b", at(2, 12), 1, 1.0, "r1"),
    (7, at(2, 3), 0, 2.0, "r2"),
    ("a", at(3, 1), 1, 3.0, "r3"),
    (7.0, at(2, 3), 1, 4.0, "r4"),
    ("b", at(1, 5), 0, 5.0, "r5"),
    (b"\x00k", at(1, 1), 1, 6.0, "r6"),
    ("a", at(3, 1), 0, 7.0, "r7"),
    ("7", at(1, 2), 1, 8.0, "r8"),
    ("A", at(2, 2), 1, 9.0, "r9"),
    (7, at(1, 9), 0, 10.0, "r10"),
    (" a", at(2, 3), 1, 11.0, "r11"),
    ("b", at(2, 12), 0, 12.0, "r12"),
    ("a", at(3, 1), 1, 13.0, "r13"),
    (7, at(2, 3), 1, 14.0, "r14"),
    ("é", at(2, 1), 1, 15.0, "r15"),
    ("z", at(2, 1), 1, 16.0, "r16"),
]


def test_rows_read_in_table_order_are_sorted_as_the_index_gave_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fetch_all` reads a window holding most of a table by a scan, which the core sorts:
    each pattern's records come as the ordered statement gave them (`sqlite3`'s), and as
    a sort here of (id, timestamp, rowid) in SQLite's order puts them."""
    path = tmp_path / "runs.sqlite"
    write(path, SHUFFLED)
    source = SQLiteSource(path)
    asked = orders_asked(monkeypatch)
    native = run(source.fetch_all(START, END))
    assert asked == [(0, 1, 5)]  # (id, timestamp, rowid: a scan, sorted)
    rows_read_by(monkeypatch, lambda *args, **kwargs: None)
    assert described(native) == described(run(source.fetch_all(START, END)))
    rows = sorted(((rowid, *row) for rowid, row in enumerate(SHUFFLED, 1)), key=sqlite_order)
    for group in native:
        expected = [row[5] for row in rows if pattern_key(row[1]) == group.pattern_id]
        assert [record["agent"] for record in group.data.to_pylist()] == expected


def test_odd_values_of_rows_sorted_after_a_scan_are_in_their_sorted_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values the columns do not hold, in a scanned table: the core numbers them by the
    rows' places after its sort, and each is its record's, as `sqlite3` reads it."""
    odd = {2: (2, "maybe"), 6: (3, "fast"), 9: (4, b"blob"), 12: (3, " 2.5"), 14: (2, 0.5)}
    rows = [list(row) for row in SHUFFLED]
    for index, (column, value) in odd.items():
        rows[index][column] = value
    path = tmp_path / "runs.sqlite"
    write(path, [tuple(row) for row in rows])
    reads: list[tuple[Any, bool]] = []

    def spied(*args: Any, **kwargs: Any) -> Any:
        result = native_rows(*args, **kwargs)
        reads.append((tuple(kwargs.get("order", ())), result is not None))
        return result

    source = SQLiteSource(path)
    with monkeypatch.context() as patch:
        rows_read_by(patch, spied)
        native = run(source.fetch_all(START, END))
    assert reads == [((0, 1, 5), True)]  # (a scan the core read and sorted)
    rows_read_by(monkeypatch, lambda *args, **kwargs: None)
    assert described(native) == described(run(source.fetch_all(START, END)))
    [a] = [group for group in native if group.pattern_id == "a"]
    # "a" holds " a" (r11), then r3, r7 and r13 (one time, by rowid): r3's flag and r7's
    # number left as they are, r13's typed.
    assert a.data == {
        "timestamp": [at(2, 3), *[at(3, 1)] * 3],
        "success": [1, "maybe", 0, 1],
        "execution_time_ms": [11.0, 3.0, "fast", 2.5],
        "agent": ["r11", "r3", "r7", "r13"],
    }


@pytest.mark.parametrize(
    "stamp",
    [
        *(None, 5, b"\x01", "", "not a time", " 2026-03-02T08:00:00Z", "2026-03-0"),
        *("2026-03-1x", "2026-03-02Tnoon", "2026-03-10"),
    ],
)
@pytest.mark.parametrize("partial", [False, True], ids=["found-by-the-scan", "partial-index"])
def test_a_scan_that_meets_unplaced_rows_leaves_them_to_sqlite3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: Any, partial: bool
) -> None:
    """Rows whose timestamps no window places (text the window's date range holds among
    them; the last two placed by their date, in the window and out of it) among a scanned
    table's: the groups are those of `sqlite3`'s path, which reads the unplaced rows
    after the others. (With the partial index of unplaced rows, they are asked for first,
    and the table scanned where there are none.)"""
    path = tmp_path / "runs.sqlite"
    write(path, [*SHUFFLED[:8], ("a", stamp, 1, 1.0, "odd"), *SHUFFLED[8:]])
    if partial:
        with sqlite3.connect(path) as connection:
            connection.execute(
                "CREATE INDEX unplaced ON pattern_executions (pattern_id, timestamp) "
                f"WHERE {unplaced_sql('timestamp')}"
            )
        connection.close()
    source = SQLiteSource(path)
    asked = orders_of_a_read_as_sqlite3s(source, monkeypatch)
    placed = isinstance(stamp, str) and re.match("[0-9]{4}-[0-9]{2}-[0-9]{2}", stamp)
    assert asked == ([(0, 1, 5)] if not partial or placed else [])


@pytest.mark.parametrize(
    ("layout", "index", "old"),
    [
        ("", "(pattern_id, timestamp)", 400),  # the window holds 4% of the rows
        (" COLLATE NOCASE", "(pattern_id, timestamp)", 0),
        ("", "(pattern_id)", 0),  # SQLite sorts by time itself
        ("", "(pattern_id, timestamp, success)", 0),  # ties of one time ordered by success
        # read backwards: ties of one id and time in descending rowids
        ("", "(pattern_id DESC, timestamp DESC)", 0),
    ],
    ids=["narrow-window", "nocase", "sorted-by-sqlite", "wider-index", "descending-index"],
)
def test_the_rows_are_read_in_the_statements_order_where_a_scan_would_not_pay_or_give_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, index: str, old: int
) -> None:
    path = tmp_path / "runs.sqlite"
    rows = [
        *SHUFFLED,
        *(("a", f"2025-06-01T{i % 24:02d}:00:00Z", 1, 1.0, "old") for i in range(old)),
    ]
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"CREATE TABLE pattern_executions (pattern_id{layout}, timestamp, success, "
            "execution_time_ms, agent)"
        )
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?, ?, ?)", rows)
        connection.execute(f"CREATE INDEX by_pattern ON pattern_executions {index}")
    connection.close()
    source = SQLiteSource(path)
    asked = orders_of_a_read_as_sqlite3s(source, monkeypatch)
    assert asked == [()]


def test_an_index_of_ua_instant_made_elsewhere_is_not_read(tmp_path: Path) -> None:
    # A database may hold an index on `ua_instant(timestamp)` that another program made
    # with a function of that name: the core's SQLite read its stored values in place of
    # its own function's, and the newest instant was that program's (here 2100-01-01).
    path = tmp_path / "runs.sqlite"
    write(path, [("a", at(d, 0), 1, 1.5, "x") for d in (1, 2, 3)])
    lie = 4_102_444_800_000_000
    with sqlite3.connect(path) as connection:
        connection.create_function("ua_instant", 1, lambda _: lie, deterministic=True)
        connection.execute("CREATE INDEX lie ON pattern_executions (ua_instant(timestamp))")
    connection.close()
    truth = (datetime(2026, 3, 3, 0, 30, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // (
        timedelta(microseconds=1)
    )
    # (None: worked out by the caller from the texts, as it does where the core cannot.)
    assert newest_instant(path, "timestamp", "FROM pattern_executions WHERE 1", []) in (
        None,
        [truth],
    )
