"""A CSV cell that is no value of its field (a number "fast", a flag "maybe") keeps the
file on pyarrow's reader: its group's records are handed over as a dict of lists with
the cell's text in place, and give what the standard-library reader's records give,
one pattern at a time or in the CLI's batch, with the same lines named (found without
reading the file again as records)."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse, comparable, contract_for
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsOutput,
)
from usage_analytics.cli import batch
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.common import CliError, reduce_all
from usage_analytics.progress import Progress
from usage_analytics.sources import (
    Fetched,
    FileSource,
    SourceError,
    SQLiteSource,
    files,
    sqlite_columns,
    sqlite_native,
)
from usage_analytics.sources import sqlite as sqlite_source
from usage_analytics.sources.base import quote_identifier, typed_text

HEADER = "pattern_id,timestamp,success,execution_time_ms,quality_score,timeout,agent"
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id"}


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def write(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def rows_of(data: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """A dict of lists as the records of its rows, missing values left out (as the
    standard-library reader leaves an empty cell out of its record)."""
    names = list(data)
    return [
        {name: value for name, value in zip(names, values, strict=True) if value is not None}
        for values in zip(*data.values(), strict=True)
    ]


def dumped(results: Sequence[ModelUsageAnalyticsOutput]) -> list[dict[str, Any]]:
    return [result.model_dump(exclude=VOLATILE) for result in results]


def test_a_cell_that_is_no_value_keeps_its_text_in_its_group_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path / "runs.csv",
        [
            "a,2026-02-20T10:00:00Z,true,12.5,0.5,false,x",
            "b,2026-02-20T11:00:00Z,maybe,fast,0.25,no,y",
            "a,2026-02-21T10:00:00Z,false,7,,true,x",
            "b,2026-02-21T11:00:00Z,true, ,0.75,,",
            "b,2026-02-22T11:00:00Z,yes,3.5,0.5,n,z",
        ],
    )
    groups = run(FileSource(path).fetch_all(START, NOW))
    slow = run(FileSource(path, arrow=False).fetch_all(START, NOW))
    assert [group.pattern_id for group in groups] == ["a", "b"]
    a, b = groups
    # The group without such cells stays a slice of the file's table, in its batch table.
    assert isinstance(a.data, pa.Table)
    assert a.together is not None
    assert a.together.num_rows == a.count == 2
    # The other is the standard reader's records, the cells' text as written.
    assert b.together is None
    assert isinstance(b.data, dict)
    assert rows_of(b.data) == slow[1].data
    assert b.data["success"] == ["maybe", True, True]
    assert b.data["execution_time_ms"] == ["fast", " ", 3.5]
    for fast, standard in zip(groups, slow, strict=True):
        assert comparable(analyse(fast.data, fast.pattern_id, on_invalid="skip").to_dict()) == (
            comparable(analyse(standard.data, standard.pattern_id, on_invalid="skip").to_dict())
        )
    assert [b.locate(index) for index in range(3)] == ["line 3", "line 5", "line 6"]
    # One pattern's records, as `fetch` gives them.
    one = run(FileSource(path).fetch("b", START, NOW))
    assert rows_of(one.data) == slow[1].data
    assert isinstance(run(FileSource(path).fetch("a", START, NOW)).data, pa.Table)


def test_a_file_without_pattern_ids_is_one_dict_of_lists(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "timestamp,success,execution_time_ms\n"
        "2026-02-20T10:00:00Z,true,12.5\n"
        "\n"
        '2026-02-21T10:00:00Z,"tr\nue",7\n'
        "2026-02-22T10:00:00Z,false,1e3\n",
        encoding="utf-8",
    )
    fast = run(FileSource(path).fetch("any", START, NOW))
    slow = run(FileSource(path, arrow=False).fetch("any", START, NOW))
    assert isinstance(fast.data, dict)
    assert rows_of(fast.data) == slow.data
    assert fast.data["success"] == [True, "tr\nue", False]
    result = analyse(fast.data, "any", on_invalid="skip")
    assert result.data_quality.invalid_records == 1
    assert result.performance_metrics is not None
    assert result.performance_metrics.total_execution_time_ms == 1012.5
    # Lines named as the standard reader names them: after a blank line, a record over two.
    assert [fast.locate(index) for index in range(3)] == ["line 2", "line 4", "line 6"]
    assert [fast.locate(index) for index in range(3)] == [slow.locate(i) for i in range(3)]
    first = run(FileSource(path).first_record("any"))
    assert first is not None
    assert first.data == {
        "timestamp": ["2026-02-20T10:00:00Z"],
        "success": [True],
        "execution_time_ms": [12.5],
    }


def test_the_batch_reads_the_other_groups_and_names_an_invalid_record(tmp_path: Path) -> None:
    lines = [
        f"p{index % 5},2026-02-{10 + index % 15}T{index % 24:02d}:00:00Z,"
        f"{'true' if index % 3 else 'false'},{index * 1.5},0.5,false,agent{index % 4}"
        for index in range(60)
    ]
    lines[17] = lines[17].replace(",true,", ",maybe,")  # p2, line 19
    lines[33] = lines[33].replace(",49.5,", ",fast,")  # p3, line 35
    path = write(tmp_path / "runs.csv", lines)
    groups = run(FileSource(path).fetch_all(START, NOW))
    slow = run(FileSource(path, arrow=False).fetch_all(START, NOW))
    table, batched = batch._one_table(groups)
    assert table is not None
    assert table.num_rows == 36
    assert [id(group) in batched for group in groups] == [True, True, False, False, True]
    skip = contract_for("skip")
    expected = run(
        reduce_all([skip(group) for group in slow], slow, "runs.csv", Progress(enabled=False))
    )
    got = run(reduce_patterns(groups, skip, "runs.csv", Progress(enabled=False)))
    assert dumped(got) == dumped(expected)
    assert [result.data_quality.invalid_records for result in got] == [0, 0, 1, 1, 0]
    with pytest.raises(CliError) as raised:
        run(reduce_patterns(groups, contract_for("raise"), "runs.csv", Progress(enabled=False)))
    assert str(raised.value) == (
        "runs.csv, pattern p2, line 19: field 'success' = 'maybe': must be a flag's text: "
        "true/false, t/f, yes/no, y/n or 1/0 (any case) (and 1 more invalid record); "
        "--on-invalid skip leaves invalid records out"
    )
    raising = [contract_for("raise")(group) for group in slow]
    with pytest.raises(CliError) as one_by_one:
        run(reduce_all(raising, slow, "runs.csv", Progress(enabled=False)))
    assert str(one_by_one.value) == str(raised.value)


def test_one_pattern_with_odd_cells_is_still_named_in_the_batchs_error(tmp_path: Path) -> None:
    # Reduced on its own beside the batch, it is one contract: its error names it still.
    path = write(
        tmp_path / "runs.csv",
        ["a,2026-02-20T10:00:00Z,true,1,,,", "b,2026-02-20T11:00:00Z,true,slow,,,"],
    )
    groups = run(FileSource(path).fetch_all(START, NOW))
    with pytest.raises(CliError, match=r"^runs.csv, pattern b, line 3: field 'execution_time"):
        run(reduce_patterns(groups, contract_for("raise"), "runs.csv", Progress(enabled=False)))


#: Cells of the number and flag fields: values, blanks, and texts that are none.
NUMBERS = st.sampled_from(["", "12.5", " 3", "1e2", "nan", "inf", "fast", " ", "5 ms", "-nan(ind)"])
FLAGS = st.sampled_from(["", "true", "F", " yes ", "0", "maybe", " ", "2"])
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "", " "]),
        st.integers(0, 40 * 24),
        FLAGS,
        NUMBERS,
        NUMBERS,
        FLAGS,
        st.sampled_from(["", "x", "y"]),
    ),
    min_size=1,
    max_size=30,
)


def same_as_the_standard_readers(
    groups: Sequence[Fetched], slow: Sequence[Fetched], where: str
) -> None:
    """`groups` hold the records `slow` (a standard reader's) hold, give their analytics
    and name their skipped records' places, one call per pattern and in the CLI's batch."""
    assert [group.pattern_id for group in groups] == [group.pattern_id for group in slow]
    for fast, standard in zip(groups, slow, strict=True):
        data = fast.data
        if isinstance(data, pa.Table):
            data = data.to_pydict()
        records = rows_of(data) if isinstance(data, dict) else data
        assert plain(records) == plain(standard.data)
        one = analyse(fast.data, fast.pattern_id, on_invalid="skip")
        other = analyse(standard.data, standard.pattern_id, on_invalid="skip")
        assert comparable(one.to_dict()) == comparable(other.to_dict())
        named = [fast.locate(sample.index) for sample in one.data_quality.error_samples]
        assert named == [standard.locate(s.index) for s in other.data_quality.error_samples]
    skip = contract_for("skip")
    progress = Progress(enabled=False)
    expected = run(reduce_all([skip(group) for group in slow], slow, where, progress))
    got = run(reduce_patterns(groups, skip, where, progress))
    assert dumped(got) == dumped(expected)


def plain(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without their missing values, NaN spelt out (NaN equals no NaN)."""
    return [
        {
            key: "NaN" if value != value else value
            for key, value in record.items()
            if value is not None
        }
        for record in records
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, blank=st.integers(0, 30))
def test_every_group_gives_the_standard_readers_records_and_numbers(
    tmp_path: Path, rows: list[tuple[Any, ...]], blank: int
) -> None:
    first = START - timedelta(days=5)
    lines = [
        f"{pid},{(first + timedelta(hours=hour)).isoformat()},{s},{ms},{score},{t},{agent}"
        for pid, hour, s, ms, score, t, agent in rows
    ]
    lines.insert(min(blank, len(lines)), ",,,,,,")
    path = write(tmp_path / "odd.csv", lines)
    if not any(pid.strip() for pid, *_ in rows):
        return  # (no pattern: fetch_all refuses both alike, tested elsewhere)
    groups = run(FileSource(path).fetch_all(START, NOW))
    slow = run(FileSource(path, arrow=False).fetch_all(START, NOW))
    same_as_the_standard_readers(groups, slow, "odd.csv")


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_record_is_named_by_its_line_without_reading_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str, kind: str
) -> None:
    # The file pyarrow read is split into lines or rows to name a record, not parsed or
    # typed again by the standard-library reader (a gigabyte of dicts for a million).
    stamp = '"timestamp": "2026-02-2{}T10:00:00Z"'
    if kind == "jsonl":
        lines = [
            '{"pattern_id": "p", ' + stamp.format(0) + "}",
            "",
            " \t",
            '{"pattern_id": "q", ' + stamp.format(1) + "}",
            # (A bad timestamp, as the CSV's below: a bad number is kept aside as
            # written, since session 56 a float too, `test_jsonl_numbers_as_written`.)
            '{"pattern_id": "p", "timestamp": "2026-02-22 at ten", "execution_time_ms": 1.5}',
        ]
    else:
        lines = [
            "pattern_id,timestamp,execution_time_ms",
            "p,2026-02-20T10:00:00Z,",
            " , ,",
            'q,2026-02-21T10:00:00Z,"1',
            '2"',
            # (A bad timestamp: a bad number is kept aside as written, its group's
            # records then Python values; `test_values_shown_as_stored`.)
            "p,2026-02-22 at ten,1.5",
        ]
    path = tmp_path / f"runs.{kind}"
    path.write_text(ending.join(lines) + ending, encoding="utf-8")
    slow = run(FileSource(path, arrow=False).fetch("p", START, NOW))
    named = [slow.locate(index) for index in range(2)]
    assert named == (["line 1", "line 5"] if kind == "jsonl" else ["line 2", "line 6"])

    def refuse(*_: Any) -> Any:
        raise AssertionError("the file was read again as records")

    monkeypatch.setattr(files, "read_records", refuse)
    fast = run(FileSource(path).fetch("p", START, NOW))
    assert isinstance(fast.data, pa.Table)
    with pytest.raises(InvalidRecordError) as raised:
        analyse(fast.data, "p")
    assert raised.value.index == 1
    assert [fast.locate(index) for index in range(2)] == named


def test_a_number_of_more_digits_than_python_reads_is_an_error_on_both_paths(
    tmp_path: Path,
) -> None:
    # Python's json refuses an integer past 4,300 digits; pyarrow read it as the float it
    # rounds to, an infinity, and the record was invalid there for that.
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "execution_time_ms": '
        + "9" * 5000
        + "}\n",
        encoding="utf-8",
    )
    for arrow in (True, False):
        with pytest.raises(
            SourceError, match=r"line 1: not valid JSON: a number has too many digits"
        ):
            run(FileSource(path, arrow=arrow).fetch("p", START, NOW))


#: Times a window places (text starting with a date).
PLACED = ["2026-02-20T10:00:00Z", "2026-02-25T23:30:00+02:00"]
#: SQLite values of each column, of the column's type or not (unplaced times included),
#: with text the core types itself (ASCII flag words, decimal numbers) and text it
#: leaves to Python's `typed_text` (which types some: '1_000', '١٢', ' yes\u3000').
SQLITE_VALUES = {
    "timestamp": st.sampled_from(
        [
            *PLACED,
            "not a time",
            1767225600,
            3.5,
            b"2026-02-21T10:00:00Z",
            None,
        ]
    ),
    "success": st.sampled_from(
        [1, 0, "true", " No ", "YES", "\x1cy\x0b", " yes\u3000", "maybe", 0.5, 2, "", None, b"x"]
    ),
    "execution_time_ms": st.sampled_from(
        [
            *(5.0, 3, "12.5", " 7 ", "1e3", "-0", ".5", "1_000", "١٢", " 12.5\u3000"),
            *("nan", "inf", "\x1c1", "fast", " ", "", -1.0, None, b"y"),
        ]
    ),
    "agent": st.sampled_from(["a", "", 7, 2.5, None, b"z"]),
}


def sqlite_rows(placed: bool) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Rows of the columns' values; with `placed`, of times a window places only (which
    the core reads)."""
    stamps = st.sampled_from(PLACED) if placed else SQLITE_VALUES["timestamp"]
    values = [stamps, *list(SQLITE_VALUES.values())[1:]]
    ids = st.sampled_from(["a", "b", " b", "c"])
    return st.lists(st.tuples(ids, *values), min_size=1, max_size=25)


def read_by_the_core(rows: Sequence[tuple[Any, ...]]) -> bool:
    """Whether the core reads `rows` (see `sources.sqlite_native`): every time is placed,
    and no flag column holds both stored integers and text that `typed_text` makes a
    flag of (pyarrow makes no column of Python's mix either)."""
    flags = [row[2] for row in rows]
    texts = any(
        isinstance(flag, str) and isinstance(typed_text("success", flag), bool) for flag in flags
    )
    integers = any(type(flag) is int for flag in flags)
    return all(row[1] in PLACED for row in rows) and not (texts and integers)


def refuse_sqlite3(patch: pytest.MonkeyPatch) -> None:
    """Rows read through `sqlite3` fail the test."""

    def refuse(*_: Any) -> Any:
        raise AssertionError("rows read through sqlite3, not by the core")

    patch.setattr(sqlite_source, "column_values", refuse)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.booleans().flatmap(sqlite_rows))
def test_a_sqlite_tables_values_of_other_types_give_the_records_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[Any, ...]]
) -> None:
    # Read by the core (its odd values typed and patched in by Python, or set aside) where
    # every time is placed, else by `sqlite3`: the patterns without values of other types
    # are slices of one table and those with them dicts of lists (lists of dicts where a
    # timestamp is a number): the same records as without pyarrow.
    path = tmp_path / "odd.sqlite"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions "
            "(pattern_id TEXT, timestamp, success, execution_time_ms, agent)"
        )
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?, ?, ?)", rows)
    connection.close()
    with monkeypatch.context() as patch:
        if read_by_the_core(rows):
            refuse_sqlite3(patch)
        groups = run(SQLiteSource(path).fetch_all(START, NOW))
    with monkeypatch.context() as without:
        without.setattr(sqlite_columns, "load_pyarrow", lambda: None)
        without.setattr(sqlite_native, "load_pyarrow", lambda: None)
        slow = run(SQLiteSource(path).fetch_all(START, NOW))
    same_as_the_standard_readers(groups, slow, "odd.sqlite")


def write_times(path: Path, rows: Sequence[tuple[Any, Any, Any]]) -> None:
    """A table of `rows` of pattern id, timestamp and execution time, of any types."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp, execution_time_ms)"
        )
        connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?)", rows)
    connection.close()


def test_a_sqlite_pattern_with_values_of_other_types_is_read_apart(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    write_times(
        path,
        [
            ("a", "2026-02-20T10:00:00Z", 5.0),
            ("b", "2026-02-20T11:00:00Z", "fast"),
            ("b", "2026-02-21T11:00:00Z", "7.5"),
            ("c", "2026-02-22T11:00:00Z", 2),
            ("d", 1767225600, 1.0),
        ],
    )
    a, b, c, d = run(SQLiteSource(path).fetch_all(START, NOW))
    # One table of "a" and "c", the batch's; "b" as a dict of lists, "d" as records (a
    # number for a time is epoch microseconds in a dict of lists, an error in a record).
    assert isinstance(a.data, pa.Table)
    assert a.together is c.together
    assert a.together is not None
    assert a.together.column("pattern_id").to_pylist() == ["a", "c"]
    assert b.together is None
    assert b.data["execution_time_ms"] == ["fast", 7.5]
    assert d.data == [{"timestamp": 1767225600, "execution_time_ms": 1.0}]
    with pytest.raises(InvalidRecordError, match="record 0: field 'timestamp' = 1767225600"):
        analyse(d.data, "d")


def import_csv_as_text(csv_path: Path, database: Path) -> None:
    """What `sqlite3 db ".import --csv runs.csv pattern_executions"` does: a table of TEXT
    columns named by the header, every cell stored as its text (an empty cell as '')."""
    with csv_path.open(newline="", encoding="utf-8") as stream:
        header, *cells = list(csv.reader(stream))
    columns = ", ".join(f"{quote_identifier(name)} TEXT" for name in header)
    marks = ", ".join("?" for _ in header)
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TABLE pattern_executions ({columns})")
        connection.executemany(f"INSERT INTO pattern_executions VALUES ({marks})", cells)
    connection.close()


def test_a_table_imported_from_a_csv_is_read_by_the_core_with_the_csvs_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every value is text: the core types flags and numbers itself, Python the few it
    # leaves (odd values), and the analytics are the CSV's, pattern by pattern and in the
    # CLI's batch.
    # (Patterns p2 and p3 hold text the core types; p0 and p1 text left to Python too. In
    # time order, as the table's rows come: the same records of the same index.)
    flags = ["true", "false", "TRUE", " no ", "y", "0", "", "maybe", " yes\u3000", "\x1cn"]
    numbers = ["12.5", " 7 ", "1e3", "-0", "", ".5", "1_000", "١٢", "fast", "nan", "inf"]

    def cell(values: list[str], index: int, turn: int) -> str:
        return values[turn % (len(values) if index % 4 < 2 else 6)]

    lines = [
        f"p{i % 4},2026-02-{10 + i // 6}T{i % 6 * 4:02d}:00:00Z,{cell(flags, i, i // 4)},"
        f"{cell(numbers, i, i // 3) if i % 3 else i * 1.5},{i % 10 / 10},"
        f"{cell(flags, i, i // 2)},agent{i % 3}"
        for i in range(80)
    ]
    lines[5] = "p1,2026-02-10T20:00:00Z,true,5.5,0.5,false,"  # (an empty agent: missing)
    csv_path = write(tmp_path / "runs.csv", lines)
    import_csv_as_text(csv_path, tmp_path / "runs.sqlite")
    with monkeypatch.context() as patch:
        refuse_sqlite3(patch)
        groups = run(SQLiteSource(tmp_path / "runs.sqlite").fetch_all(START, NOW))
    from_csv = run(FileSource(csv_path).fetch_all(START, NOW))
    assert [group.pattern_id for group in groups] == [group.pattern_id for group in from_csv]
    tables = [group for group in groups if isinstance(group.data, pa.Table)]
    assert tables  # (the groups without odd values: slices of one table, flags bools)
    assert tables[0].data.schema.field("success").type == pa.bool_()
    assert tables[0].data.schema.field("execution_time_ms").type == pa.float64()
    for group, standard in zip(groups, from_csv, strict=True):
        one = analyse(group.data, group.pattern_id, on_invalid="skip")
        other = analyse(standard.data, standard.pattern_id, on_invalid="skip")
        assert comparable(one.to_dict()) == comparable(other.to_dict())
    skip = contract_for("skip")
    progress = Progress(enabled=False)
    expected = run(reduce_patterns(from_csv, skip, "runs.csv", progress))
    assert dumped(run(reduce_patterns(groups, skip, "runs.sqlite", progress))) == dumped(expected)


def test_groups_of_odd_cells_are_not_all_built_to_find_they_are_no_tables() -> None:
    # A file whose every row holds an odd cell ("12 ms" throughout) has no batch table:
    # its groups, dicts of lists made when read, were all built to find that out, then
    # built again for their contracts (the dashboard of a million such rows over 100,000
    # patterns: 38.7 s against 26.8 s, and 370 MB more at the peak).
    made: list[int] = []

    def maker(number: int) -> Callable[[], dict[str, list[Any]]]:
        def make() -> dict[str, list[Any]]:
            made.append(number)
            return {"timestamp": ["2026-02-20T10:00:00Z"], "execution_time_ms": ["12 ms"]}

        return make

    groups = [Fetched.deferred(f"p{number}", maker(number), 1) for number in range(3)]
    assert batch._one_table(groups) == (None, set())
    assert made == [0]


def every_row_odd(path: Path, count: int, patterns: int) -> Path:
    return write(
        path,
        [
            f"p{row % patterns},2026-02-20T10:00:00Z,true,{row % 900} ms,0.5,false,x"
            for row in range(count)
        ],
    )


def test_a_file_of_odd_cells_holds_them_in_arrow_not_as_python_objects(tmp_path: Path) -> None:
    # A dict of row -> text held a Python int, str and dict entry per cell for as long as
    # the file (about 130 MB for a million "12 ms"): the texts stay Arrow columns.
    path = every_row_odd(tmp_path / "runs.csv", 50_000, 10)
    FileSource(path).read()  # (the modules it imports, once)
    tracemalloc.start()
    try:
        loaded = FileSource(path).read()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loaded.odd is not None
    assert held < 2_000_000
    group = run(FileSource(path).fetch("p3", START, NOW))
    assert group.data["execution_time_ms"][:2] == ["3 ms", "13 ms"]


def test_groups_of_odd_cells_are_sliced_when_read(tmp_path: Path) -> None:
    # As the other groups' rows are: a slice of the table made at once for each of
    # 100,000 groups held 300 MB (C++ objects beside the shared buffers).
    path = every_row_odd(tmp_path / "runs.csv", 40, 20)
    groups = run(FileSource(path).fetch_all(START, NOW))
    assert all(isinstance(group.data, dict) for group in groups)
    held = {
        id(value) for group in groups for value in group._make.args if isinstance(value, pa.Table)
    }
    assert len(held) <= 1


def test_sqlite_patterns_with_values_of_other_types_are_sliced_when_read(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    write_times(
        path,
        [(f"p{row % 20}", "2026-02-20T10:00:00Z", f"{row} ms") for row in range(40)],
    )
    groups = run(SQLiteSource(path).fetch_all(START, NOW))
    assert all(isinstance(group.data, dict) for group in groups)
    by_id = {group.pattern_id: group for group in groups}
    assert by_id["p3"].data["execution_time_ms"] == ["3 ms", "23 ms"]
    held = {
        id(value) for group in groups for value in group._make.args if isinstance(value, pa.Table)
    }
    assert len(held) <= 1
