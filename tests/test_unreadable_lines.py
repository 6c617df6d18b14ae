"""A line of a CSV or JSON Lines file that holds no record (not valid JSON, no object, a
record field's key twice, a pattern id that names no pattern, bytes that are not UTF-8,
a CSV row of more cells than the header names, a quote left open) stops the read with
an error naming its line; read skipping such lines (`FileSource(skip_unreadable=True)`,
the CLI's `--on-invalid skip`) it is left out, counted and the first named, on pyarrow's
readers and the standard library's alike, and the other records keep their lines."""

from __future__ import annotations

import asyncio
import codecs
import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse, comparable
from test_odd_cells import plain, rows_of
from usage_analytics.cli import main
from usage_analytics.sources import (
    ExecutionSource,
    Fetched,
    FileSource,
    SourceError,
    SQLiteSource,
    Unreadable,
    arrow_jsonl,
    files,
    read_records,
    records,
)

A = '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "execution_time_ms": 12.5}'
B = '{"pattern_id": "q", "timestamp": "2026-02-21T10:00:00Z", "execution_time_ms": "fast"}'
C = '{"pattern_id": "p", "timestamp": "2026-02-22T10:00:00Z", "success": false}'
GOOD_LINES = [A, B, C, A, C]
D = '{"pattern_id": "q", "timestamp": "2026-02-21T10:00:00Z", "execution_time_ms": 4}'
#: Lines whose values are all of their columns' types: pyarrow's reader takes the file
#: whole (with `B`, it is read in pieces, and the piece holding `B` decoded by `json`).
TYPED_LINES = [A, D, C, A, C]

HEADER = "pattern_id,timestamp,execution_time_ms,success"
GOOD_ROWS = [
    "p,2026-02-20T10:00:00Z,12.5,true",
    "q,2026-02-21T10:00:00Z,fast,true",
    "p,2026-02-22T10:00:00Z,3,false",
    "p,2026-02-23T10:00:00Z,4,yes",
    "q,2026-02-24T10:00:00Z,5,no",
]

#: JSON Lines lines that hold no record, and the reason each is given. (The cases named
#: "pyarrow_..." are JSON that pyarrow's reader took, reading the line, where Python's
#: `json` refuses it: under a key no record field reads, or as a number.)
JSONL_CASES: dict[str, tuple[bytes, str]] = {
    "cut_short": (
        b'{"pattern_id": "p", "timest',
        "not valid JSON: Unterminated string starting at (column 21)",
    ),
    "no_json": (
        b"{pattern_id: p}",
        "not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ),
    "null": (b"null", "expected a JSON object, got null"),
    "array": (b'["p", 1]', 'expected a JSON object, got an array ["p", 1]'),
    "number": (b"7", "expected a JSON object, got a number 7"),
    "string": (b'"p"', 'expected a JSON object, got a string "p"'),
    "nested_too_deeply": (
        b'{"pattern_id": "p", "agent": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "not valid JSON: nested too deeply",
    ),
    "number_of_5000_digits": (
        b'{"pattern_id": "p", "agent": ' + b"9" * 5000 + b"}",
        "not valid JSON: a number has too many digits",
    ),
    "a_field_twice": (
        b'{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "success": true, '
        b'"success": false}',
        "the record gives the key(s) 'success' more than once: keep one",
    ),
    "object_pattern_id": (
        b'{"pattern_id": {"a": 1}, "timestamp": "2026-02-20T10:00:00Z"}',
        "pattern_id must be a string or a number, got an object",
    ),
    "list_pattern_id": (
        b'{"pattern_id": ["p"], "timestamp": "2026-02-20T10:00:00Z"}',
        "pattern_id must be a string or a number, got a list",
    ),
    "surrogate_pattern_id": (
        b'{"pattern_id": "p\\ud800", "timestamp": "2026-02-20T10:00:00Z"}',
        "pattern_id 'p\\ud800' is not valid UTF-8 text",
    ),
    "not_utf8": (b'{"pattern_id": "p\xff", "timestamp": "2026-02-20T10:00:00Z"}', "not UTF-8 text"),
    "pyarrow_inf": (
        b'{"pattern_id": "p", "note": Inf}',
        "not valid JSON: Expecting value (column 29)",
    ),
    "pyarrow_minus_inf_as_a_number": (
        b'{"pattern_id": "q", "timestamp": "2026-02-20T10:00:00Z", "execution_time_ms": -Inf}',
        "not valid JSON: Expecting value (column 79)",
    ),
    "pyarrow_minus_nan": (
        b'{"pattern_id": "p", "note": [1, -NaN]}',
        "not valid JSON: Expecting value (column 33)",
    ),
    "pyarrow_nested_too_deeply": (
        b'{"pattern_id": "p", "note": ' + b"[" * 600 + b"]" * 600 + b"}",
        "not valid JSON: nested too deeply",
    ),
    "pyarrow_nested_501_levels": (
        b'{"pattern_id": "p", "note": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}",
        "not valid JSON: nested too deeply",
    ),
    "pyarrow_number_of_5000_digits": (
        b'{"pattern_id": "p", "note": -' + b"9" * 5000 + b"}",
        "not valid JSON: a number has too many digits",
    ),
    "pyarrow_number_of_5000_digits_as_a_number": (
        b'{"pattern_id": "q", "timestamp": "2026-02-20T10:00:00Z", "execution_time_ms": '
        + b"9" * 5000
        + b"}",
        "not valid JSON: a number has too many digits",
    ),
    "pyarrow_not_utf8": (
        b'{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "note": "\xc0\xaf"}',
        "not UTF-8 text",
    ),
}

#: CSV rows that hold no record, and the reason each is given (`{last}`: the file's last
#: line, where a quote left open ends).
CSV_CASES: dict[str, tuple[bytes, str]] = {
    "more_cells": (
        b"p,2026-02-20T10:00:00Z,1,true,extra",
        "5 cells but the header names 4 columns",
    ),
    "quote_left_open": (
        b'p,"2026-02-20T10:00:00Z,1,true',
        "malformed CSV: a quote is left open (its cell runs to the end of the file, line {last})",
    ),
    "not_utf8": (b"p\xff,2026-02-20T10:00:00Z,1,true", "not UTF-8 text"),
}

POSITIONS = ["first", "middle", "last"]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def placed(
    good: Sequence[str], bad: bytes, position: str, offset: int, unended: bool = True
) -> tuple[bytes, int]:
    """The lines `good` with `bad` among them at `position` (the last one, where
    `unended`, without its line ending, as a line being written is), and `bad`'s line
    number (`offset` lines come before)."""
    index = {"first": 0, "middle": len(good) // 2, "last": len(good)}[position]
    lines = [line.encode() for line in good]
    lines.insert(index, bad)
    text = b"\n".join(lines) + (b"" if position == "last" and unended else b"\n")
    return text, offset + index + 1


def read(path: Path, arrow: bool, pattern: str = "p") -> tuple[Fetched, Unreadable]:
    source = FileSource(path, arrow=arrow, skip_unreadable=True)

    async def both() -> tuple[Fetched, Unreadable]:
        return await source.fetch(pattern, START, NOW), await source.unreadable()

    fetched, unreadable = run(both())
    return fetched, unreadable


def records_of(fetched: Fetched) -> list[dict[str, Any]]:
    data = fetched.data
    if hasattr(data, "to_pydict"):
        data = data.to_pydict()
    return plain(rows_of(data) if isinstance(data, dict) else data)


def error_of(path: Path, arrow: bool) -> str:
    with pytest.raises(SourceError) as raised:
        run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    return str(raised.value)


def same_reading(fetched: Fetched, clean: Fetched, moved: dict[str, str]) -> None:
    """`fetched` holds `clean`'s records and gives its analytics, each skipped record's
    line `moved` to its line in `fetched`'s file."""
    assert records_of(fetched) == records_of(clean)
    one = analyse(fetched.data, fetched.pattern_id, on_invalid="skip")
    other = analyse(clean.data, clean.pattern_id, on_invalid="skip")
    assert comparable(one.to_dict()) == comparable(other.to_dict())
    named = [fetched.locate(sample.index) for sample in one.data_quality.error_samples]
    assert named == [moved[clean.locate(s.index)] for s in other.data_quality.error_samples]


def line_map(clean: int, bad: Sequence[int], offset: int = 0) -> dict[str, str]:
    """Line labels of a file of `clean` record lines (after `offset` header lines) to
    theirs in the file with lines `bad` inserted."""
    total = clean + len(bad)
    kept = [number for number in range(offset + 1, offset + total + 1) if number not in bad]
    return {f"line {offset + index + 1}": f"line {kept[index]}" for index in range(clean)}


# ------------------------------------------------------------------------- named cases


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", sorted(JSONL_CASES))
@pytest.mark.parametrize("good", [GOOD_LINES, TYPED_LINES], ids=["odd_value", "typed"])
def test_a_json_line_holding_no_record_is_left_out_and_named(
    tmp_path: Path, case: str, position: str, arrow: bool, good: list[str]
) -> None:
    bad, reason = JSONL_CASES[case]
    text, number = placed(good, bad, position, 0)
    path = tmp_path / "runs.jsonl"
    path.write_bytes(text)
    if position == "last" and case == "cut_short":  # (a line being written: said so)
        reason = reason.removesuffix(")") + records._CUT_SHORT + ")"
    # Raise mode: the error as it was, naming the line.
    assert error_of(path, arrow) == f"{path}, line {number}: {reason}"
    # Skip mode: the line left out, named, and the other records' lines kept.
    clean_path = tmp_path / "clean.jsonl"
    clean_path.write_text("\n".join(good) + "\n", encoding="utf-8")
    for pattern in ("p", "q"):
        fetched, unreadable = read(path, arrow, pattern)
        assert unreadable == Unreadable(1, number, reason)
        clean, _ = read(clean_path, arrow, pattern)
        same_reading(fetched, clean, line_map(len(good), [number]))


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_a_csv_row_holding_no_record_is_left_out_and_named(
    tmp_path: Path, case: str, position: str, arrow: bool
) -> None:
    bad, reason = CSV_CASES[case]
    # (Ended: a quote left open on an unended last line, its cell holding no line break,
    # is read as a cell by both readers, the file's end taken for the quote's.)
    text, number = placed(GOOD_ROWS, bad, position, 1, unended=False)
    path = tmp_path / "runs.csv"
    path.write_bytes(HEADER.encode() + b"\n" + text)
    last = len(GOOD_ROWS) + 2
    reason = reason.format(last=last)
    assert error_of(path, arrow) == f"{path}, line {number}: {reason}"
    clean_path = tmp_path / "clean.csv"
    clean_path.write_text("\n".join([HEADER, *GOOD_ROWS]) + "\n", encoding="utf-8")
    for pattern in ("p", "q"):
        fetched, unreadable = read(path, arrow, pattern)
        assert unreadable == Unreadable(1, number, reason)
        clean, _ = read(clean_path, arrow, pattern)
        same_reading(fetched, clean, line_map(len(GOOD_ROWS), [number], offset=1))


@pytest.mark.parametrize("arrow", [True, False])
def test_malformed_csv_the_csv_module_refuses_is_left_out(
    tmp_path: Path, arrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (The only csv.Error the readers' dialect raises: a cell over the module's limit,
    # here lowered. pyarrow's reader has no such limit: it reads the cell.)
    path = tmp_path / "runs.csv"
    path.write_text(
        "\n".join([HEADER, GOOD_ROWS[0], "p,2026-02-20T10:00:00Z,1," + "x" * 80, *GOOD_ROWS[1:]])
        + "\n",
        encoding="utf-8",
    )
    limit = csv.field_size_limit()
    monkeypatch.setattr(records, "_CELL_LIMIT", 50)
    csv.field_size_limit(50)
    try:
        assert error_of(path, False) == (
            f"{path}, line 3: malformed CSV: field larger than field limit (50)"
        )
        fetched, unreadable = read(path, False)
    finally:
        csv.field_size_limit(limit)
    assert unreadable == Unreadable(1, 3, "malformed CSV: field larger than field limit (50)")
    assert fetched.count == 3
    assert [fetched.locate(index) for index in range(3)] == ["line 2", "line 5", "line 6"]


def test_a_quote_left_open_mid_file_leaves_only_its_line_out(tmp_path: Path) -> None:
    # Its cell ran over the rows after it: they are read again as rows.
    path = tmp_path / "runs.csv"
    path.write_text(
        "\n".join([HEADER, GOOD_ROWS[0], 'p,"2026-02-20T10:00:00Z,1,true', *GOOD_ROWS[2:]]) + "\n",
        encoding="utf-8",
    )
    reason = "malformed CSV: a quote is left open (its cell runs to the end of the file, line 6)"
    for arrow in (True, False):
        fetched, unreadable = read(path, arrow)
        assert unreadable == Unreadable(1, 3, reason)
        assert [fetched.locate(index) for index in range(fetched.count)] == [
            "line 2",
            "line 4",
            "line 5",
        ]


@pytest.mark.parametrize("arrow", [True, False])
def test_other_records_errors_name_their_lines_after_skipped_ones(
    tmp_path: Path, arrow: bool
) -> None:
    lines = [
        A,
        "null",
        '{"pattern_id": "p", "timestamp": "not a time"}',
        "",
        '{"pattern_id": "p", "tim',
        '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "success": "maybe"}',
        '["p"]',
    ]
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # (Small blocks and pieces: the lines are numbered across them as in a large file.)
    with (
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", 64),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", 1),
        mock.patch.object(files, "read_records", refuse_records if arrow else read_records),
    ):
        fetched, unreadable = read(path, arrow)
    assert unreadable == Unreadable(3, 2, "expected a JSON object, got null")
    result = analyse(fetched.data, "p", on_invalid="skip")
    named = [fetched.locate(sample.index) for sample in result.data_quality.error_samples]
    assert named == ["line 3", "line 6"]
    assert [fetched.locate(index) for index in range(fetched.count)] == [
        "line 1",
        "line 3",
        "line 6",
    ]


def refuse_records(*_: Any, **__: Any) -> Any:
    raise AssertionError("the file went to the standard-library reader")


def test_a_cut_last_line_keeps_the_file_on_pyarrows_reader(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join([*GOOD_LINES * 40, '{"pattern_id": "p", "ti']), encoding="utf-8")
    with (
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", 1000),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", 4),
        mock.patch.object(files, "read_records", refuse_records),
    ):
        fetched, unreadable = read(path, True)
    assert unreadable.count == 1
    assert unreadable.line == 201
    assert fetched.count == 160
    source = FileSource(path, skip_unreadable=True)
    run(source.fetch("p", START, NOW))
    assert source._loaded is not None
    assert source._loaded.arrow


def test_a_csv_row_of_more_cells_keeps_the_file_on_pyarrows_reader(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "\n".join([HEADER, *GOOD_ROWS, "p,2026-02-20T10:00:00Z,1,true,x,y", *GOOD_ROWS]) + "\n",
        encoding="utf-8",
    )
    with mock.patch.object(files, "read_records", refuse_records):
        fetched, unreadable = read(path, True)
    assert unreadable == Unreadable(1, 7, "6 cells but the header names 4 columns")
    assert fetched.count == 6
    assert fetched.locate(3) == "line 8"


def test_a_json_lines_file_starting_with_null_is_not_handed_to_pyarrow(tmp_path: Path) -> None:
    # pyarrow 26.0.1's reader crashed the process (a segmentation fault) on data whose
    # first value is null: a file starting so, or a block or piece of one.
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(["null", B, A, "null", B]) + "\n", encoding="utf-8")
    assert error_of(path, True) == f"{path}, line 1: expected a JSON object, got null"
    with (
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", 30),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", 1),
    ):
        fetched, unreadable = read(path, True, "q")
    assert unreadable == Unreadable(2, 1, "expected a JSON object, got null")
    assert [fetched.locate(index) for index in range(fetched.count)] == ["line 2", "line 5"]


def test_databases_have_no_unreadable_lines(tmp_path: Path) -> None:
    source: ExecutionSource = SQLiteSource(tmp_path / "runs.db")
    assert run(source.unreadable()) == Unreadable(0)


def test_without_skipping_a_file_read_reports_none(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(GOOD_LINES) + "\n", encoding="utf-8")
    for arrow in (True, False):
        for skip in (True, False):
            source = FileSource(path, arrow=arrow, skip_unreadable=skip)
            run(source.fetch("p", START, NOW))
            assert run(source.unreadable()) == Unreadable(0)


# ----------------------------------------------------------------------- the property

BAD_JSONL = st.sampled_from(
    [
        b"null",
        b"[1]",
        b'"text"',
        b'{"pattern_id": "p", "tim',
        b'{"pattern_id": {"a": 1}}',
        b'{"pattern_id": "a", "success": true, "success": false}',
        b'{"pattern_id": "a\xff"}',
        b'{"pattern_id": "a\\udc00"}',
        b"{'pattern_id': 'a'}",
        # JSON pyarrow's reader took (Python's json refuses it), in fields read or not:
        b'{"pattern_id": "a", "note": Inf}',
        b'{"pattern_id": "b", "execution_time_ms": -Inf}',
        b'{"pattern_id": "a", "note": [-NaN]}',
        b'{"pattern_id": "c", "note": ' + b"[" * 501 + b"]" * 501 + b"}",
        b'{"pattern_id": "a", "execution_time_ms": ' + b"7" * 4301 + b"}",
        b'{"pattern_id": "a", "note": "\xed\xa0\x80"}',
    ]
)
GOOD_VALUES = {
    "pattern_id": st.sampled_from(["a", "b", "c"]),
    "timestamp": st.sampled_from(["2026-02-20T10:00:00Z", "2026-02-25T23:30:00+02:00", "x"]),
    "success": st.sampled_from([True, False, "maybe"]),
    "execution_time_ms": st.sampled_from([12.5, 3.0, "fast", -1.0]),
}
GOOD_RECORDS = st.lists(st.fixed_dictionaries(GOOD_VALUES), min_size=1, max_size=30)
#: JSON Lines records also given a key no field reads, its value valid JSON that looks
#: like what pyarrow's reader alone takes (`BAD_JSONL`): read on both paths.
GOOD_JSONL_RECORDS = st.lists(
    st.fixed_dictionaries(
        {
            **GOOD_VALUES,
            "execution_time_ms": st.sampled_from([12.5, 3.0, "fast", -1.0, math.inf]),
            "note": st.sampled_from(
                [
                    "x",
                    ": Inf",
                    "-NaN, Inf",
                    -math.inf,
                    [[[[]]]] * 300,
                    int("9" * 4300),
                    "[" * 600,
                    "\u00e9t\u00e9",
                    [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],
                ]
            ),
        }
    ),
    min_size=1,
    max_size=30,
)


def read_as_without_them(
    clean: Path, dirty: Path, bad_lines: list[int], moved: dict[str, str]
) -> None:
    """On both read paths, `dirty` read skipping gives `clean`'s groups and records (their
    lines renumbered by `moved`), and counts `bad_lines` and names the first."""
    for arrow in (True, False):
        expected = run(FileSource(clean, arrow=arrow).fetch_all(START, NOW))
        source = FileSource(dirty, arrow=arrow, skip_unreadable=True)
        groups = run(source.fetch_all(START, NOW))
        unreadable = run(source.unreadable())
        assert (unreadable.count, unreadable.line) == (len(bad_lines), bad_lines[0])
        assert [group.pattern_id for group in groups] == [g.pattern_id for g in expected]
        for group, want in zip(groups, expected, strict=True):
            same_reading(group, want, moved)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=GOOD_JSONL_RECORDS,
    inserted=st.lists(st.tuples(st.integers(0, 40), BAD_JSONL), min_size=1, max_size=6),
    cut=st.booleans(),
    block=st.integers(40, 400),
    piece=st.integers(1, 4),
    ending=st.sampled_from([b"\n", b"\r\n"]),
)
def test_jsonl_with_bad_lines_anywhere_reads_as_the_file_without_them(
    tmp_path: Path,
    rows: list[dict[str, Any]],
    inserted: list[tuple[int, bytes]],
    cut: bool,
    block: int,
    piece: int,
    ending: bytes,
) -> None:
    good = [json.dumps(row).encode() for row in rows]
    lines = list(good)
    for position, bad in inserted:
        lines.insert(min(position, len(lines)), bad)
    if cut:  # a last line being written
        lines.append(b'{"pattern_id": "a", "timest')
    bad_lines = [number for number, line in enumerate(lines, 1) if line not in good]
    clean, dirty = tmp_path / "clean.jsonl", tmp_path / "dirty.jsonl"
    clean.write_bytes(ending.join(good) + ending)
    dirty.write_bytes(ending.join(lines) + (b"" if cut else ending))
    moved = line_map(len(good), bad_lines)
    with (
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", block),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", piece),
    ):
        read_as_without_them(clean, dirty, bad_lines, moved)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=GOOD_RECORDS,
    inserted=st.lists(
        st.tuples(
            st.integers(0, 40),
            st.sampled_from([b"a,2026-02-20T10:00:00Z,true,1,x", b"a\xff,x,true,1", b",,,,,x"]),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_csv_with_bad_rows_anywhere_reads_as_the_file_without_them(
    tmp_path: Path, rows: list[dict[str, Any]], inserted: list[tuple[int, bytes]]
) -> None:
    header = b"pattern_id,timestamp,success,execution_time_ms"
    good = [",".join(str(row[name]).lower() for name in GOOD_VALUES).encode() for row in rows]
    lines = list(good)
    for position, bad in inserted:
        lines.insert(min(position, len(lines)), bad)
    bad_lines = [number for number, line in enumerate(lines, 2) if line not in good]
    clean, dirty = tmp_path / "clean.csv", tmp_path / "dirty.csv"
    clean.write_bytes(b"\n".join([header, *good]) + b"\n")
    dirty.write_bytes(b"\n".join([header, *lines]) + b"\n")
    moved = line_map(len(good), bad_lines, offset=1)
    read_as_without_them(clean, dirty, bad_lines, moved)


# ------------------------------------------------------------------------------ the CLI


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


WINDOW = ("--start", "2026-02-01", "--end", "2026-03-01")


@pytest.fixture
def live_log(tmp_path: Path) -> Path:
    """A log of two patterns with an invalid record, a line that is no object and a cut
    last line."""
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join([*GOOD_LINES, "[1]", A, '{"pattern_id": "p", "ti']), "utf-8")
    return path


def test_dashboard_skip_names_the_lines_left_out_in_its_heading(
    capsys: pytest.CaptureFixture[str], live_log: Path
) -> None:
    code, out, _ = cli(capsys, "dashboard", str(live_log), "--on-invalid", "skip", *WINDOW)
    assert code == 0
    heading = " ".join(out.split("\n\n")[0].split())
    assert heading.endswith(
        "Most in need of attention first. 2 unreadable lines left out (the first on line 6: "
        "expected a JSON object, got an array [1]). 1 invalid record left out, counted under "
        "INVALID."
    )


def test_dashboard_skip_of_one_line_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join([A, C, '{"pattern_id": "p", "ti']), "utf-8")
    code, out, _ = cli(capsys, "dashboard", str(path), "--on-invalid", "skip", *WINDOW)
    assert code == 0
    assert (
        "1 unreadable line left out (line 3: not valid JSON: Unterminated string starting at "
        "(column 21; the last line, with no line ending: still written?))." in " ".join(out.split())
    )


def test_dashboard_json_reports_the_unreadable_lines(
    capsys: pytest.CaptureFixture[str], live_log: Path, tmp_path: Path
) -> None:
    code, out, _ = cli(
        capsys, "dashboard", str(live_log), "--on-invalid", "skip", "--format", "json", *WINDOW
    )
    assert code == 0
    document = json.loads(out)
    assert document["unreadable_lines"] == {
        "count": 2,
        "first": {"line": 6, "reason": "expected a JSON object, got an array [1]"},
    }
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(GOOD_LINES) + "\n", "utf-8")
    for mode in ("skip", "raise"):
        clean.write_text("\n".join([A, C] if mode == "raise" else GOOD_LINES) + "\n", "utf-8")
        argv = ("dashboard", str(clean), "--on-invalid", mode, "--format", "json", *WINDOW)
        code, out, _ = cli(capsys, *argv)
        assert json.loads(out)["unreadable_lines"] == {"count": 0, "first": None}


def test_dashboard_html_shows_the_heading_with_the_lines_left_out(
    capsys: pytest.CaptureFixture[str], live_log: Path
) -> None:
    code, out, _ = cli(
        capsys, "dashboard", str(live_log), "--on-invalid", "skip", "--format", "html", *WINDOW
    )
    assert code == 0
    assert "2 unreadable lines left out (the first on line 6: expected a JSON object" in out


def test_dashboard_raise_names_the_line_as_before(
    capsys: pytest.CaptureFixture[str], live_log: Path
) -> None:
    code, _, err = cli(capsys, "dashboard", str(live_log), *WINDOW)
    assert code == 1
    assert err == (
        f"usage-analytics: error: {live_log}, line 6: expected a JSON object, got an array [1]\n"
    )


def test_analyze_skip_leaves_the_lines_out_and_says_so(
    capsys: pytest.CaptureFixture[str], live_log: Path, tmp_path: Path
) -> None:
    argv = ("analyze", str(live_log), "--pattern", "p", "--on-invalid", "skip", *WINDOW)
    code, out, _ = cli(capsys, *argv)
    assert code == 0
    assert out.startswith("2 unreadable lines left out (the first on line 6: expected a JSON")
    code, out, _ = cli(capsys, *argv, "--format", "html")
    assert 'page-heading">2 unreadable lines left out (the first on line 6: expected' in out
    code, out, _ = cli(capsys, *argv, "--format", "json")
    document = json.loads(out)
    assert document["unreadable_lines"]["count"] == 2
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join([*GOOD_LINES, A]) + "\n", "utf-8")
    code, out, _ = cli(capsys, "analyze", str(clean), "--pattern", "p", "--format", "json", *WINDOW)
    expected = json.loads(out)
    assert "unreadable_lines" not in expected  # (the document as it was, where none are)
    del document["unreadable_lines"]
    for one in (document, expected):
        del one["summary"]["computation_time_ms"], one["summary"]["computed_at"]
        del one["correlation_id"]
    assert document == expected


@pytest.mark.parametrize("arrow", [True, False])
def test_a_file_of_no_record_says_what_it_left_out(tmp_path: Path, arrow: bool) -> None:
    # (A file of another format, read skipping: "holds no records" alone hid why.)
    path = tmp_path / "runs.jsonl"
    path.write_text("[1, 2]\n[3]\n", encoding="utf-8")
    source = FileSource(path, arrow=arrow, skip_unreadable=True)
    left_out = "2 lines left out as holding none, the first, line 1: expected a JSON object, "
    with pytest.raises(SourceError) as raised:
        run(source.fetch_all(START, NOW))
    assert str(raised.value) == f"{path} holds no records ({left_out}got an array [1, 2])"
    with pytest.raises(SourceError) as raised:
        run(source.fetch("p", START, NOW))
    assert str(raised.value) == (
        f"no records with pattern_id 'p' in {path} (it holds no records, {left_out}got an "
        "array [1, 2])"
    )


@pytest.mark.parametrize("arrow", [True, False])
def test_lines_after_a_byte_order_mark_are_numbered_as_without(tmp_path: Path, arrow: bool) -> None:
    path = tmp_path / "runs.jsonl"
    text = "\n".join(["null", A, "[1]", C, '{"pattern_id": "p", "ti'])
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    with mock.patch.object(arrow_jsonl, "_PIECE_LINES", 2):
        fetched, unreadable = read(path, arrow)
    assert unreadable == Unreadable(3, 1, "expected a JSON object, got null")
    assert [fetched.locate(index) for index in range(fetched.count)] == ["line 2", "line 4"]


@pytest.mark.parametrize("arrow", [True, False])
def test_lines_after_a_carriage_return_before_a_crlf_are_numbered_as_two(
    tmp_path: Path, arrow: bool
) -> None:
    # "\r\r\n" ends two lines for the standard reader (a lone \r, then \r\n): the pieces
    # decoded skipping numbered it one, and named the lines after it one too early.
    path = tmp_path / "runs.jsonl"
    path.write_bytes(f"{B}\r\r\n{A}\r\r\nnull\n{C}\n".encode())
    fetched, unreadable = read(path, arrow)
    assert unreadable == Unreadable(1, 5, "expected a JSON object, got null")
    assert [fetched.locate(index) for index in range(fetched.count)] == ["line 3", "line 6"]
