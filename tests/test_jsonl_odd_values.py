"""A JSON Lines value of another JSON type than its column's (a string where a number
belongs, a number where text belongs, integer pattern ids) keeps the file on pyarrow's
reader, read in blocks: the pieces pyarrow refuses are decoded by `json`, each such value
kept aside as its JSON text and put back into its group's records, which give what the
standard-library reader's records give, one pattern at a time or in the CLI's batch,
with the same lines named."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.compute
import pyarrow.json
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse, comparable
from test_odd_cells import same_as_the_standard_readers
from usage_analytics import InvalidRecordError
from usage_analytics.sources import (
    Fetched,
    FileSource,
    SourceError,
    TableSpec,
    Unreadable,
    arrow_jsonl,
    files,
)
from usage_analytics.sources.records import MAX_JSON_DEPTH, decode_json_line

#: A key left out of a record.
MISSING = object()

PLACED = ["2026-02-20T10:00:00Z", "2026-02-25T23:30:00+02:00"]
#: Each field's values: of its column's JSON type, and of others.
VALUES: dict[str, list[Any]] = {
    "timestamp": [*PLACED, *PLACED, "not a time", 1767225600, 3.5, True, {"t": 1}],
    "success": [True, False, 1, 0, 2, "true", "maybe", 0.5, None, MISSING],
    "execution_time_ms": [
        *(12.5, 3, -1.5, 0, 2**60, 1e308, 9007199254740993, float("nan"), -(10**400)),
        *("12.5", "fast", True, [1], {"a": 1}, None, MISSING),
    ],
    "quality_score": [0.5, 1, "0.5", False, None, MISSING],
    # (Text holding what pyarrow's reader alone takes as values: `arrow_jsonl._odd_json`
    # finds it, and the line is decoded by json.)
    "agent": ["x", "y", 7, 2.5, True, ["a"], None, MISSING, ": Inf", "[-NaN]", float("inf")],
}
STRING_IDS = st.sampled_from(["a", "b", "c", " ", "", None, MISSING])
INTEGER_IDS = st.sampled_from([1, 2, 30, None, MISSING])


def records(ids: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Records of the `VALUES`, their pattern ids drawn from `ids`, keys left out at
    random."""
    fields = {"pattern_id": ids, **{name: st.sampled_from(v) for name, v in VALUES.items()}}
    one = st.fixed_dictionaries(fields).map(
        lambda record: {key: value for key, value in record.items() if value is not MISSING}
    )
    return st.lists(one, min_size=1, max_size=25)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def write_lines(path: Path, rows: list[dict[str, Any]], ending: str = "\n") -> Path:
    path.write_text("".join(json.dumps(row) + ending for row in rows), encoding="utf-8")
    return path


def refuse_records(*_: Any) -> Any:
    raise AssertionError("the file went to the standard-library reader")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.one_of(records(STRING_IDS), records(INTEGER_IDS)),
    block=st.integers(40, 400),
    piece=st.integers(1, 4),  # (lines decoded at once: halved parts down to it)
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_every_group_gives_the_standard_readers_records_and_numbers(
    tmp_path: Path, rows: list[dict[str, Any]], block: int, piece: int, ending: str
) -> None:
    # Small blocks and pieces: a file of a few lines is read as a large one is.
    path = write_lines(tmp_path / "odd.jsonl", rows, ending)
    if not any(str(row.get("pattern_id")).strip() for row in rows if row.get("pattern_id")):
        return  # (no pattern: fetch_all refuses both alike, tested elsewhere)
    slow = run(FileSource(path, arrow=False).fetch_all(START, NOW))
    with (
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", block),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", piece),
        mock.patch.object(files, "read_records", refuse_records),
    ):
        groups = run(FileSource(path).fetch_all(START, NOW))
    same_as_the_standard_readers(groups, [numbers_as_floats(group) for group in slow], "odd.jsonl")


NUMBER_FIELDS = ("execution_time_ms", "quality_score")


def numbers_as_floats(group: Fetched) -> Fetched:
    """A standard reader's group with its integers of number fields as the floats nearest
    them, as pyarrow's reader reads them (the core reads them so too; only a skipped
    record's sample shows the difference, "3" against "3.0"), but those beyond a float's
    range: pyarrow's path keeps them as they are written, as the standard reader does."""

    def number(value: Any) -> Any:
        if type(value) is not int:
            return value
        try:
            return float(value)
        except OverflowError:
            return value

    records = [
        {key: number(value) if key in NUMBER_FIELDS else value for key, value in record.items()}
        for record in group.data
    ]
    return Fetched(group.pattern_id, records, group.count, group.locate, group.position)


def test_integer_pattern_ids_stay_one_table(tmp_path: Path) -> None:
    # pyarrow's reader was given text ids: a file of integer ids, as SQLite exports them,
    # went whole to the standard reader (the dashboard of a million lines: 9.0 s, 1.1 GB).
    rows = [
        {"pattern_id": index % 3, "timestamp": PLACED[index % 2], "execution_time_ms": index}
        for index in range(12)
    ]
    path = write_lines(tmp_path / "runs.jsonl", rows)
    with mock.patch.object(files, "read_records", refuse_records):
        groups = run(FileSource(path).fetch_all(START, NOW))
        one = run(FileSource(path).fetch("2", START, NOW))
    assert [group.pattern_id for group in groups] == ["0", "1", "2"]
    assert all(isinstance(group.data, pa.Table) and group.together is not None for group in groups)
    assert one.count == 4
    assert one.data.column("execution_time_ms").to_pylist() == [2.0, 5.0, 8.0, 11.0]
    slow = run(FileSource(path, arrow=False).fetch_all(START, NOW))
    same_as_the_standard_readers(groups, slow, "runs.jsonl")


def test_a_value_of_another_type_is_its_groups_alone(tmp_path: Path) -> None:
    rows = [
        {"pattern_id": "a", "timestamp": PLACED[0], "execution_time_ms": 12.5, "agent": "x"},
        {"pattern_id": "b", "timestamp": PLACED[0], "execution_time_ms": "fast", "agent": 7},
        {"pattern_id": "a", "timestamp": PLACED[1], "execution_time_ms": 3, "agent": "y"},
        {"pattern_id": "b", "timestamp": PLACED[1], "execution_time_ms": 4, "success": 1},
    ]
    path = write_lines(tmp_path / "runs.jsonl", rows)
    with mock.patch.object(files, "read_records", refuse_records):
        a, b = run(FileSource(path).fetch_all(START, NOW))
    assert isinstance(a.data, pa.Table)
    assert a.together is not None
    assert b.together is None
    assert isinstance(b.data, dict)
    assert b.data["execution_time_ms"] == ["fast", 4.0]
    assert b.data["agent"] == [7, None]
    assert b.data["success"] == [None, 1]
    with pytest.raises(InvalidRecordError) as raised:
        analyse(b.data, "b")
    assert (raised.value.index, raised.value.field) == (0, "execution_time_ms")
    assert b.locate(0) == "line 2"
    standard = run(FileSource(path, arrow=False).fetch("b", START, NOW)).data
    assert comparable(analyse(b.data, "b", on_invalid="skip").to_dict()) == comparable(
        analyse(standard, "b", on_invalid="skip").to_dict()
    )


def test_a_number_for_a_time_gives_its_group_as_records(tmp_path: Path) -> None:
    # A dict of lists reads an integer time as epoch microseconds; a record refuses it.
    rows: list[dict[str, Any]] = [
        {"pattern_id": "a", "timestamp": PLACED[0]},
        {"pattern_id": "a", "timestamp": 1771581600},
    ]
    path = write_lines(tmp_path / "runs.jsonl", rows)
    fetched = run(FileSource(path).fetch("a", START, NOW))
    assert isinstance(fetched.data, list)
    assert [record["timestamp"] for record in fetched.data] == [PLACED[0], 1771581600]
    with pytest.raises(InvalidRecordError, match="timestamp"):
        analyse(fetched.data, "a")


@pytest.mark.parametrize(
    "lines",
    [
        # (Pattern ids of two types were left to it too: now read as text, session 56,
        # `test_jsonl_mixed_ids.py`.)
        # A lone carriage return ends a line for the standard reader, not for pyarrow.
        [
            '{"pattern_id": "a", "timestamp": "2026-02-20T10:00:00Z", "agent": 1}\r'
            '{"pattern_id": "a", "timestamp": "2026-02-20T11:00:00Z"}'
        ],
        # A key given twice, in a line pyarrow refuses for another reason.
        ['{"pattern_id": "a", "timestamp": "2026-02-20T10:00:00Z", "agent": 1, "agent": 2}'],
    ],
)
def test_what_only_the_standard_reader_reads_rightly_is_left_to_it(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table) is None


@pytest.mark.parametrize("skip", [False, True])
def test_pattern_ids_of_two_types_under_a_mapped_key_are_read_as_text(
    tmp_path: Path, skip: bool
) -> None:
    # The pattern ids under `pid` (--column pattern_id=pid): a number after a text id
    # was kept aside as a value of another type, and its row had no pattern id (the
    # dashboard refused the file: "no pattern_id column"). Then the standard reader read
    # such a file; since session 56 pyarrow's does, the ids as text (`jsonl_text_ids`).
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"pid": "a", "timestamp": "2026-02-20T10:00:00Z"}\n'
        '{"pid": 7, "timestamp": "2026-02-20T11:00:00Z"}\n',
        encoding="utf-8",
    )
    spec = TableSpec(columns={"pattern_id": "pid"})
    read = arrow_jsonl.read_jsonl_arrow(pa, path, spec, skip)
    assert read is not None
    assert read.table.column("pattern_id").to_pylist() == ["a", "7"]
    groups = run(FileSource(path, spec, skip_unreadable=skip).fetch_all(START, NOW))
    assert [group.pattern_id for group in groups] == ["7", "a"]


def test_a_byte_order_mark_is_skipped_at_the_start_only(tmp_path: Path) -> None:
    line = '{"pattern_id": "a", "timestamp": "2026-02-20T10:00:00Z", "agent": 1}'
    path = tmp_path / "runs.jsonl"
    path.write_text("\ufeff" + line + "\n" + line + "\n", encoding="utf-8")
    read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert read is not None
    assert read.table.num_rows == 2
    assert read.odd["agent"].to_pylist() == ["1", "1"]
    path.write_text(line + "\n\ufeff" + line + "\n", encoding="utf-8")
    assert arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table) is None


@contextlib.contextmanager
def pieces_decoded() -> Iterator[list[int]]:
    """The line counts of the pieces `arrow_jsonl._decoded` decodes meanwhile."""
    decoded: list[int] = []
    real = arrow_jsonl._decoded

    def counted(pa: Any, piece: bytes, *options: Any, **named: Any) -> Any:
        decoded.append(piece.count(b"\n") + 1)
        return real(pa, piece, *options, **named)

    with mock.patch.object(arrow_jsonl, "_decoded", counted):
        yield decoded


def test_only_the_pieces_pyarrow_refuses_are_decoded_by_json(tmp_path: Path) -> None:
    # One value of another type in 5,000 lines: the block holding it is read again in
    # pieces, and only the piece holding it is decoded line by line.
    rows = [{"pattern_id": "a", "timestamp": PLACED[0], "execution_time_ms": 1.5}] * 5000
    rows = [*rows[:2500], {**rows[0], "execution_time_ms": "fast"}, *rows[2500:]]
    path = write_lines(tmp_path / "runs.jsonl", rows)
    with pieces_decoded() as decoded:
        read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert decoded == [arrow_jsonl._PIECE_LINES]
    assert read is not None
    assert read.table.num_rows == 5001
    assert read.odd["execution_time_ms"].to_pylist() == [None] * 2500 + ['"fast"'] + [None] * 2500
    assert read.table.column("execution_time_ms").null_count == 1


def offered_to_pyarrow(path: Path, rows: list[dict[str, Any]]) -> tuple[list[int], Any]:
    """`rows` (lines of one length) written to `path` and read in blocks of 20 lines and
    pieces of 5: the line endings of each part offered to pyarrow, and the read."""
    write_lines(path, rows)
    offered = []

    def counted(pa: Any, data: bytes, options: Any, **named: Any) -> Any:
        offered.append(data.count(b"\n"))
        return real(pa, data, options, **named)

    real = arrow_jsonl._arrow_table
    line = len(path.read_bytes()) // len(rows)
    with (
        mock.patch.object(arrow_jsonl, "_arrow_table", counted),
        mock.patch.object(arrow_jsonl, "_BLOCK_BYTES", 20 * line),
        mock.patch.object(arrow_jsonl, "_PIECE_LINES", 5),
    ):
        read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert read is not None
    return offered, read


def test_pyarrow_is_not_offered_parts_where_it_refused_most(tmp_path: Path) -> None:
    # Values of another type all over: offering pyarrow each piece first is a wasted read.
    rows = [{"pattern_id": "a", "timestamp": PLACED[0], "agent": index % 10} for index in range(60)]
    offered, read = offered_to_pyarrow(tmp_path / "runs.jsonl", rows)
    assert read.odd["agent"].to_pylist() == [str(index % 10) for index in range(60)]
    # Three blocks of 20 lines: the first offered whole, then its 4 pieces; the others
    # neither whole (the one before was refused) nor in pieces (most of those were).
    assert offered == [20, 4, 4, 4, 4]


def test_blocks_after_one_pyarrow_read_in_pieces_are_offered_whole(tmp_path: Path) -> None:
    # One value of another type in the first block: the blocks after the one read in
    # pieces without a refusal were still read in pieces to the end (a million lines
    # with a `null` first, skipping: the dashboard 5.1-5.3 s, now 3.3-3.6).
    rows: list[dict[str, Any]] = [
        {"pattern_id": "a", "timestamp": PLACED[0], "agent": "x"} for _ in range(80)
    ]
    rows[2] = {**rows[2], "agent": 700}  # (as long as "x": lines of one length)
    offered, read = offered_to_pyarrow(tmp_path / "runs.jsonl", rows)
    assert read.odd["agent"].to_pylist() == [None, None, "700", *[None] * 77]
    # The first block refused whole, its pieces offered (one refused); the second read
    # in pieces (the block before it was refused), all taken; the others whole again.
    assert offered == [20, 4, 4, 4, 4, 4, 4, 4, 4, 20, 20]


@pytest.mark.parametrize("first", ["null", "  null", "1", "[]"])
def test_a_line_that_is_no_object_is_never_given_to_pyarrow(tmp_path: Path, first: str) -> None:
    # pyarrow 26's JSON reader crashed the process (SIGSEGV) on a file whose first line is
    # `null`: the command died without a word. In a process of its own, to see a crash.
    path = tmp_path / "runs.jsonl"
    path.write_text(first + '\n{"pattern_id": "a", "timestamp": "2026-02-20T10:00:00Z"}\n')
    script = (
        "import asyncio, sys\n"
        "from datetime import datetime\n"
        "from usage_analytics.sources import FileSource, SourceError\n"
        "try:\n"
        "    asyncio.run(FileSource(sys.argv[1]).fetch_all(datetime.min, datetime.max))\n"
        "except SourceError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{path}, line 1: expected a JSON object, got " + (
        "null" if first.strip() == "null" else "a number 1" if first == "1" else "an array []"
    )


@given(
    st.lists(
        st.tuples(
            st.sampled_from(['{"a": 1}', "null", " null", "[1]", "", " \t", '{"a": 1} null']),
            st.sampled_from(["\n", "\r\n", "\r"]),
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_only_data_of_objects_is_handed_to_pyarrow(lines: list[tuple[str, str]], bom: bool) -> None:
    # pyarrow 26.0.1's reader crashes on a block starting with `null`, and starts a block
    # at any line, ended by \n or by \r alone (both seen crashing, small blocks).
    data = ("\ufeff" if bom else "") + "".join(text + ending for text, ending in lines)
    starts = [line.strip(" \t") for line in data.removeprefix("\ufeff").splitlines()]
    expected = all(line.startswith("{") for line in starts if line)
    assert arrow_jsonl._only_objects(data.encode()) == expected
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.jsonl"
        path.write_bytes(data.encode())
        counted = arrow_jsonl._record_lines(path, chunk_size=7)
    assert counted == (
        sum(1 for line in starts if line),
        sum(1 for line in starts if line[:1] == "{"),
    )


# ------------------------------------------------ JSON that only pyarrow's reader takes

#: Values pyarrow's reader (RapidJSON) takes and Python's json refuses, or takes too.
ODD_VALUES = ["Inf", "-Inf", "-NaN", "NaN", "Infinity", "-Infinity", "1e999", "nan", "+Inf"]
#: JSON text and values around them: text with their letters, deep arrays, long integers.
AROUND = [
    '"Inf"',
    '"' + "I" * 40 + '"',  # (more letters than are looked at one by one)
    '"N-NaN"',
    "[" * 499 + "]" * 499,
    "[" * 500 + "]" * 500,
    '{"a": ' * 250 + "1" + "}" * 250,
    '{"a": ' * 501 + "1" + "}" * 501,
    "-" + "7" * 4300,
    "7" * 4301,
    "0." + "7" * 4301,
    '"\\u00e9"',
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ODD_VALUES + AROUND), min_size=1, max_size=4))
def test_what_only_pyarrow_takes_is_always_found(values: list[str]) -> None:
    # pyarrow's reader took `Inf`, `-NaN`, any nesting and integers of any length, where
    # Python's json refuses them: such a line must be found, to be decoded by json.
    line = '{"pattern_id": "a", "note": [' + ", ".join(values) + "]}"
    schema = pa.schema([("pattern_id", pa.string())])
    options = pa.json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        pa.json.read_json(pa.BufferReader(line.encode()), parse_options=options)
    except pa.ArrowInvalid:
        return  # (pyarrow refuses it: decoded by json as any refused piece)
    try:
        decode_json_line(line)
    except (ValueError, RecursionError):
        data = ("\n".join(['{"pattern_id": "b"}'] * 3 + [line]) + "\n").encode()
        assert arrow_jsonl._odd_json(data)
        assert arrow_jsonl._odd_json(data, data.index(b"\n") + 1, len(data))
        search = arrow_jsonl._OddJsonSearch()
        for start in range(0, len(data), 7):  # (in chunks that cut lines anywhere)
            search.add(data[start : start + 7])
        search.end()
        assert search.found


def test_only_the_piece_holding_what_only_pyarrow_takes_is_decoded(tmp_path: Path) -> None:
    # `Inf` under a key no field reads, in 5,000 lines: pyarrow's reader took it, and the
    # line was read; the piece holding it is decoded by json, which leaves it out here.
    rows = [{"pattern_id": "a", "timestamp": PLACED[0], "execution_time_ms": 1.5}] * 5000
    path = tmp_path / "runs.jsonl"
    lines = [json.dumps(row) for row in rows]
    lines.insert(2500, f'{{"pattern_id": "a", "timestamp": "{PLACED[0]}", "note": Inf}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pieces_decoded() as decoded:
        read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table, skip_unreadable=True)
        assert arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table) is None
    assert decoded == [arrow_jsonl._PIECE_LINES] * 2
    assert read is not None
    assert read.table.num_rows == 5000
    assert read.unreadable is not None
    assert read.unreadable.summary() == Unreadable(
        1, 2501, "not valid JSON: Expecting value (column 66)"
    )


def test_a_file_without_it_is_read_whole(tmp_path: Path) -> None:
    # Valid JSON that looks like it (in text, `Infinity`, arrays side by side) is read by
    # pyarrow at once, or in pieces where it may be one, with the same records.
    rows: list[dict[str, Any]] = [
        {"pattern_id": "a", "timestamp": PLACED[0], "agent": "Info", "note": "NaN"},
        {"pattern_id": "a", "timestamp": PLACED[1], "note": [float("inf"), "Inf"]},
        {"pattern_id": "b", "timestamp": PLACED[0], "agent": "x", "note": [[1]] * 600},
    ]
    path = write_lines(tmp_path / "runs.jsonl", rows[:2])

    def in_blocks(*_: Any, **__: Any) -> Any:
        raise AssertionError("read in blocks")

    with mock.patch.object(arrow_jsonl, "_read_in_blocks", in_blocks):
        read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert read is not None
    assert read.table.column("agent").to_pylist() == ["Info", None]
    path = write_lines(tmp_path / "runs.jsonl", rows)
    read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert read is not None
    assert read.table.column("agent").to_pylist() == ["Info", None, "x"]
    assert read.table.column("execution_time_ms").to_pylist() == [None, None, None]
    assert not read.odd


def test_pythons_limit_on_an_integers_digits_is_the_one_applied(tmp_path: Path) -> None:
    # Lowered (`sys.set_int_max_str_digits`), a shorter integer is refused on both paths.
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "note": ' + "9" * 1500 + "}\n",
        encoding="utf-8",
    )
    assert run(FileSource(path).fetch("p", START, NOW)).count == 1
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        for arrow in (True, False):
            with pytest.raises(SourceError, match="line 1: not valid JSON: a number has too many"):
                run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
    finally:
        sys.set_int_max_str_digits(limit)


def test_a_line_nested_deeper_than_the_limit_is_refused_however_deep_the_caller(
    tmp_path: Path,
) -> None:
    # json stops at Python's recursion limit less its caller's frames: the same line was
    # read or refused depending on where it was read. The limit is now the same.
    path = tmp_path / "runs.jsonl"
    good = '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z"}\n'
    for levels, count in ((MAX_JSON_DEPTH, 1), (MAX_JSON_DEPTH + 1, 0)):
        arrays = levels - 1  # (the line's object is a level)
        path.write_text(
            good
            + '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "note": '
            + "[" * arrays
            + "]" * arrays
            + "}\n",
            encoding="utf-8",
        )

        def nested(depth: int, arrow: bool) -> Any:
            if depth:
                return nested(depth - 1, arrow)
            source = FileSource(path, arrow=arrow, skip_unreadable=True)
            return run(source.fetch("p", START, NOW)).count, run(source.unreadable()).count

        for arrow in (True, False):
            for depth in (0, 300):
                assert nested(depth, arrow) == (1 + count, 1 - count)


def test_an_integer_beyond_a_floats_range_is_the_same_error_on_both_paths(
    tmp_path: Path,
) -> None:
    # pyarrow's reader read it as infinite ("= inf: must be a finite number"); the
    # standard reader hands the core the integer ("is too large to be a number").
    path = tmp_path / "runs.jsonl"
    rows = [
        '{"pattern_id": "p", "timestamp": "2026-02-20T10:00:00Z", "execution_time_ms": 12}',
        '{"pattern_id": "p", "timestamp": "2026-02-20T11:00:00Z", "execution_time_ms": '
        + "9" * 400
        + "}",
        '{"pattern_id": "p", "timestamp": "2026-02-20T12:00:00Z", "execution_time_ms": Infinity}',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    errors, skipped = [], []
    for arrow in (True, False):
        fetched = run(FileSource(path, arrow=arrow).fetch("p", START, NOW))
        with pytest.raises(InvalidRecordError) as raised:
            analyse(fetched.data, "p")
        errors.append((str(raised.value), fetched.locate(raised.value.index)))
        result = analyse(fetched.data, "p", on_invalid="skip")
        skipped.append(
            [
                (sample.field, sample.reason, fetched.locate(sample.index))
                for sample in result.data_quality.error_samples
            ]
        )
    assert errors[0] == errors[1]
    assert "is too large to be a number" in errors[0][0]
    assert errors[0][1] == "line 2"
    assert skipped[0] == skipped[1]
    assert len(skipped[0]) == 2


def test_lines_ended_by_a_carriage_return_alone_are_searched_as_lines(tmp_path: Path) -> None:
    # Both readers end a line at \r alone: a file of such lines is one long line to the
    # search's \n, and was taken for one nested too deeply (its many brackets).
    line = '{"pattern_id": "a", "timestamp": "2026-02-20T10:00:00Z", "note": [1]}'
    path = tmp_path / "runs.jsonl"
    path.write_bytes((line + "\r").encode() * 2000)

    def in_blocks(*_: Any, **__: Any) -> Any:
        raise AssertionError("read in blocks")

    with mock.patch.object(arrow_jsonl, "_read_in_blocks", in_blocks):
        read = arrow_jsonl.read_jsonl_arrow(pa, path, FileSource(path).table)
    assert read is not None
    assert read.table.num_rows == 2000
