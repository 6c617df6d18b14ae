"""A bad number of a CSV file or a SQLite table is shown as stored: -1 for the text "-1"
or an INTEGER -1, -1.5 for -1.5, a text "-3e0" as written (`exact_numbers`). Read into a
column of doubles, it was shown as -1.0 by every reader with pyarrow (CSV's and SQLite's,
the core's SQLite reader too), where the readers without it showed -1 for the SQLite
integer (as the PostgreSQL source shows an integer column's). Each such value is kept
aside as stored, its group's records then Python values; the numbers themselves are the
same."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics.cli import main
from usage_analytics.sources import FileSource, SQLiteSource, sqlite_scan
from usage_analytics.sources import sqlite as sqlite_source

#: Stored values of execution times and scores, and how an error shows each.
TIMES: list[tuple[str, str | None]] = [
    ("-1", "-1"),
    (" -2 ", "-2"),
    ("-1.5", "-1.5"),
    ("-2.0", "-2.0"),
    ("-3e0", "-3e0"),
]
SCORES: list[tuple[str, str | None]] = [
    ("2", "2"),
    ("-1", "-1"),
    ("1.5", "1.5"),
    ("1.0", None),
    ("1", None),
    ("0", None),
]


def _csv(path: Path, times: list[str], scores: list[str]) -> Path:
    lines = ["pattern_id,timestamp,execution_time_ms,quality_score"]
    lines += [
        f'p,2026-02-20T{i:02}:00:00Z,"{ms}","{score}"'
        for i, (ms, score) in enumerate(zip(times, scores, strict=True))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: How many invalid records a result gives samples of.
SAMPLES = 5


def _shown(data: Any) -> list[tuple[int, str, str]]:
    """The invalid records' samples (the first `SAMPLES`): index, field, value."""
    samples = analyse(data, "p", on_invalid="skip").data_quality.error_samples
    return [(sample.index, sample.field, sample.value) for sample in samples]


def _expected(
    times: list[tuple[str, str | None]], scores: list[tuple[str, str | None]]
) -> list[Any]:
    samples = []
    for index, ((_, time), (_, score)) in enumerate(zip(times, scores, strict=True)):
        if time is not None:
            samples.append((index, "execution_time_ms", time))
        elif score is not None:  # (a record's first bad field is its sample)
            samples.append((index, "quality_score", score))
    return samples


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "csv_module"])
def test_a_csv_files_bad_numbers_are_shown_as_written(tmp_path: Path, arrow: bool) -> None:
    time: list[tuple[str, str | None]] = [("5", None)]
    score: list[tuple[str, str | None]] = [("0.5", None)]
    for times, scores in ((TIMES, score * len(TIMES)), (time * len(SCORES), SCORES)):
        path = _csv(tmp_path / "runs.csv", [t for t, _ in times], [s for s, _ in scores])
        fetched = asyncio.run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
        assert _shown(fetched.data) == _expected(times, scores)


#: A CSV cell of an execution time: integers and decimals, good and bad, in any spelling
#: `int()` or `float()` reads (with `_` between digits, no number in `number_text`'s
#: grammar: a text, refused as one).
CELLS = st.one_of(
    st.integers(-50, 50).map(str),
    st.floats(-50, 50, allow_nan=False).map(repr),
    st.sampled_from([" -3 ", "+4", "-0", "1e1", "-1E1", "-07", "1_0", "-1_0"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(CELLS, min_size=1, max_size=12))
def test_every_bad_time_of_a_csv_file_is_shown_as_the_cell_reads(
    tmp_path: Path, cells: list[str]
) -> None:
    # (As the cell is written, trimmed: "-1E1", not -10.0; "-07", not -7.)
    path = _csv(tmp_path / "cells.csv", cells, [""] * len(cells))
    for arrow in (True, False):
        fetched = asyncio.run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
        expected = []
        for index, cell in enumerate(cells):
            if "_" in cell:
                expected.append((index, "execution_time_ms", repr(cell)))
            elif float(cell) < 0:
                expected.append((index, "execution_time_ms", cell.strip()))
        assert _shown(fetched.data) == expected[:SAMPLES]


def _sqlite(path: Path, rows: list[tuple[Any, Any]]) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT, "
            "execution_time_ms INTEGER, quality_score)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES ('p', ?, ?, ?)",
            [(f"2026-02-20T{i:02}:00:00Z", *row) for i, row in enumerate(rows)],
        )
    connection.close()
    return path


#: Stored values (an INTEGER column's execution time, a score of no type), and how an
#: error shows each.
STORED: list[tuple[Any, Any, Any]] = [
    (-1, 0.5, ("execution_time_ms", "-1")),
    (-1.5, 0.5, ("execution_time_ms", "-1.5")),
    ("-2.0", 0.5, ("execution_time_ms", "-2")),  # (stored as the integer -2: its affinity)
    (3, 2, ("quality_score", "2")),
    (3, 2.0, ("quality_score", "2.0")),
    (3, "-1", ("quality_score", "-1")),  # (text, as `.import` makes it)
    (3, " 2 ", ("quality_score", "2")),
    (3, "1.5", ("quality_score", "1.5")),
    (3, 1, None),
    (4, None, None),
]


@pytest.mark.parametrize("reader", ["core", "sqlite3"])
def test_a_sqlite_tables_bad_numbers_are_shown_as_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: str
) -> None:
    if reader == "sqlite3":
        for module in (sqlite_source, sqlite_scan):
            monkeypatch.setattr(module, "native_rows", lambda *_, **__: None)
    for part, stored in enumerate((STORED[:4], STORED[4:])):
        path = _sqlite(
            tmp_path / f"runs{part}.sqlite", [(time, score) for time, score, _ in stored]
        )
        fetched = asyncio.run(SQLiteSource(path).fetch("p", START, NOW))
        expected = [(i, *shown) for i, (_, _, shown) in enumerate(stored) if shown is not None]
        assert _shown(fetched.data) == expected
        # Batched with the other patterns, as the dashboard reads them.
        groups = asyncio.run(SQLiteSource(path).fetch_all(START, NOW))
        assert _shown(groups[0].data) == expected


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_the_command_line_names_the_value_as_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "csv":
        path = _csv(tmp_path / "runs.csv", ["10", "-1"], ["0.5", "0.5"])
    else:
        path = _sqlite(tmp_path / "runs.sqlite", [(10, 0.5), (-1, 0.5)])
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p", *window]) == 1
    assert "field 'execution_time_ms' = -1: must be >= 0" in capsys.readouterr().err


def test_patterns_made_tables_one_by_one_show_their_bad_numbers_as_stored(
    tmp_path: Path,
) -> None:
    # Flags stored as integers for one pattern and as text for another make no one table
    # (pyarrow refuses Python's ints beside bools): each pattern's rows are made a table
    # of their own, its bad integers kept aside there too.
    path = tmp_path / "apart.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE pattern_executions "
            "(pattern_id TEXT, timestamp TEXT, success, execution_time_ms INTEGER)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?, ?)",
            [
                ("p", "2026-02-20T01:00:00Z", 1, 5),
                ("p", "2026-02-20T02:00:00Z", 0, -1),
                ("q", "2026-02-20T03:00:00Z", "yes", -2),
            ],
        )
    connection.close()
    groups = asyncio.run(SQLiteSource(path).fetch_all(START, NOW))
    assert [_shown(group.data) for group in groups] == [
        [(1, "execution_time_ms", "-1")],
        [(0, "execution_time_ms", "-2")],
    ]
