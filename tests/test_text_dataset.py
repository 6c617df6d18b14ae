"""A directory of CSV or JSON Lines files as a source (`sources.text_dataset`): split
any way, over files compressed or not, at any depth, it gives the single file's report
on both readers; a record is named by its file and line; CSV headers may differ; what
the directory cannot be read as is refused, naming a file; each file's compressed copy
is deleted once it is read."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import (
    COMPRESS,
    NOW,
    analyse,
    assert_same_reports,
    comparable,
    demo_rows,
)
from usage_analytics.cli import main
from usage_analytics.sources import (
    FileSource,
    MissingDependencyError,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    Unreadable,
    save_records,
)
from usage_analytics.sources import spool as spool_module
from usage_analytics.sources.base import FLAG_FIELDS

pytestmark = pytest.mark.usefixtures("own_temporary_directory")

KINDS = ["csv", "jsonl"]


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    """`rows` as the record file `path`, compressed as its last suffix says."""
    path.parent.mkdir(parents=True, exist_ok=True)
    compression = COMPRESS.get(path.suffix)
    if compression is None:
        save_records(path, rows)
        return
    plain = path.with_suffix("")
    save_records(plain, rows)
    path.write_bytes(compression(plain.read_bytes()))
    plain.unlink()


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(COMPRESS[path.suffix](data) if path.suffix in COMPRESS else data)


def reports(path: Path, arrow: bool, **options: Any) -> dict[str, Any]:
    """Each pattern's report of the source's records, read by pyarrow's readers or not."""

    async def groups() -> dict[str, Any]:
        async with FileSource(path, arrow=arrow) as source:
            fetched = await source.fetch_all(NOW, NOW)
            return {group.pattern_id: group.data for group in fetched}

    return {
        pattern: comparable(analyse(data, pattern, **options).to_dict())
        for pattern, data in asyncio.run(groups()).items()
    }


#: How a file's rows may be written (`styled`): as they are, their flags as the integers
#: 1 and 0 (as SQLite's booleans are exported), without flags, or without quality scores.
#: A JSON Lines file's table then types a column otherwise than another file's (integers
#: or booleans; a column of no value), which its files are read together despite.
STYLES = ["as is", "integer flags", "no flags", "no scores"]


def styled(rows: list[dict[str, Any]], style: str) -> list[dict[str, Any]]:
    if style == "integer flags":
        return [{k: int(v) if k in FLAG_FIELDS else v for k, v in row.items()} for row in rows]
    left_out = {"no flags": FLAG_FIELDS, "no scores": {"quality_score"}}.get(style, set())
    return [{k: v for k, v in row.items() if k not in left_out} for row in rows]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(KINDS),
    cuts=st.lists(st.integers(0, 2_500), max_size=5),
    compression=st.sampled_from(["", ".gz", ".zst"]),
    nested=st.booleans(),
    styles=st.lists(st.sampled_from(STYLES), min_size=6, max_size=6),
)
def test_files_of_any_records_give_the_single_files_report(
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
    cuts: list[int],
    compression: str,
    nested: bool,
    styles: list[str],
) -> None:
    rows = demo_rows()
    bounds = sorted({0, len(rows), *(min(cut, len(rows)) for cut in cuts)})
    directory = tmp_path_factory.mktemp("logs")
    parts = [
        styled(rows[start:end], style)
        for (start, end), style in zip(itertools.pairwise(bounds), styles, strict=False)
    ]
    for number, part in enumerate(parts):
        # (Names sort as the records go: 2026-11-00.csv, ... or 00/day.csv, ...)
        name = f"{number:02d}/day.{kind}" if nested else f"2026-11-{number:02d}.{kind}"
        write(directory / (name + compression), part)
    single = tmp_path_factory.mktemp("single") / f"runs.{kind}"
    save_records(single, [row for part in parts for row in part])
    # pyarrow's readers read them (their columns' types disagreeing or not), as the
    # standard reader does.
    assert FileSource(directory).read().arrow
    assert_same_reports(capsys, str(directory), str(single), "--on-invalid", "skip")
    assert reports(directory, arrow=False) == reports(single, arrow=False)
    assert reports(directory, arrow=True) == reports(directory, arrow=False)


@pytest.mark.parametrize("kind", KINDS)
def test_the_standard_reader_gives_the_arrow_readers_records_and_lines(
    tmp_path: Path, kind: str
) -> None:
    rows = demo_rows()
    write(tmp_path / f"a.{kind}.gz", rows[:1000])
    write(tmp_path / f"b.{kind}", rows[1000:])
    assert reports(tmp_path, arrow=True) == reports(tmp_path, arrow=False)
    arrow, standard = FileSource(tmp_path).read(), FileSource(tmp_path, arrow=False).read()
    assert (arrow.arrow, standard.arrow) == (True, False)
    first = 2 if kind == "csv" else 1  # (past a CSV file's header)
    labels = [
        f"a.{kind}.gz, line {first}",
        f"a.{kind}.gz, line {first + 999}",
        f"b.{kind}, line {first}",
    ]
    assert [arrow.locate_row(index) for index in (0, 999, 1000)] == labels
    assert [standard.locate_row(index) for index in (0, 999, 1000)] == labels


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_record_is_named_by_its_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    rows = [
        {"pattern_id": "p", "timestamp": "2026-11-01T10:00:00Z", "execution_time_ms": 5.0},
        {"pattern_id": "p", "timestamp": "2026-11-02T10:00:00Z", "execution_time_ms": -4.0},
    ]
    write(tmp_path / f"2026-11-01.{kind}.gz", rows[:1])
    write(tmp_path / f"2026-11-02.{kind}.gz", rows)
    line = 3 if kind == "csv" else 2
    assert main(["dashboard", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {tmp_path}, 2026-11-02.{kind}.gz, line {line}: field "
        "'execution_time_ms' = -4.0: must be >= 0; --on-invalid skip leaves invalid records "
        "out\n"
    )


def test_a_cell_of_no_value_of_its_field_is_judged_in_its_files_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pyarrow's table holds it missing, kept aside by file: the files' cells concatenated.
    header = "pattern_id,timestamp,execution_time_ms\n"
    write_text(tmp_path / "a.csv", header + "p,2026-11-01T10:00:00Z,5\n")
    write_text(tmp_path / "b.csv.gz", header + "p,2026-11-02T10:00:00Z,7\n" * 2)
    write_text(tmp_path / "c.csv", header + "q,2026-11-02T10:00:00Z,1\np,2026-11-02T11:00Z,fast\n")
    assert FileSource(tmp_path).read().odd is not None
    assert main(["dashboard", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {tmp_path}, pattern p, c.csv, line 3: field "
        "'execution_time_ms' = 'fast': must be a number, got str; --on-invalid skip leaves "
        "invalid records out\n"
    )
    skipping = reports(tmp_path, arrow=True, on_invalid="skip")
    assert skipping == reports(tmp_path, arrow=False, on_invalid="skip")
    assert skipping["p"]["data_quality"]["invalid_records"] == 1


@pytest.mark.parametrize("arrow", [True, False])
def test_a_line_no_reader_reads_is_named_by_its_file(tmp_path: Path, arrow: bool) -> None:
    good = '{"pattern_id": "p", "timestamp": "2026-11-01T10:00:00Z"}\n'
    write_text(tmp_path / "2026-11-01.jsonl.gz", good)
    write_text(tmp_path / "2026-11-02.jsonl.gz", good + '{"pattern_id": "p", "timestamp": \n')
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path, arrow=arrow).read()
    assert str(raised.value) == (
        f"{tmp_path}, 2026-11-02.jsonl.gz, line 2: not valid JSON: Expecting value (column 34)"
    )


@pytest.mark.parametrize("arrow", [True, False])
def test_lines_left_out_are_counted_over_the_files(tmp_path: Path, arrow: bool) -> None:
    good = '{"pattern_id": "p", "timestamp": "2026-11-01T10:00:00Z"}\n'
    write_text(tmp_path / "a.jsonl", good * 2)
    write_text(tmp_path / "b" / "c.jsonl.xz", good + "null\n" + good + "[1]\n")

    async def left_out() -> tuple[Unreadable, str]:
        async with FileSource(tmp_path, arrow=arrow, skip_unreadable=True) as source:
            (fetched,) = await source.fetch_all(NOW, NOW)
            return await source.unreadable(), fetched.locate(3)

    assert asyncio.run(left_out()) == (
        Unreadable(2, 2, "expected a JSON object, got null", "b/c.jsonl.xz"),
        "b/c.jsonl.xz, line 3",
    )


@pytest.mark.parametrize("arrow", [True, False])
def test_csv_files_of_different_headers_keep_every_column(tmp_path: Path, arrow: bool) -> None:
    write_text(tmp_path / "a.csv", "pattern_id,timestamp\np,2026-11-01T10:00:00Z\n")
    write_text(
        tmp_path / "b.csv.gz",
        "timestamp,execution_time_ms,pattern_id,note\n2026-11-02T10:00:00Z,12.5,p,hi\n",
    )
    write_text(tmp_path / "c.csv", "")  # (an empty file: no records)
    write_text(tmp_path / "d.csv.bz2", "execution_time_ms,timestamp\n3,2026-11-03T10:00:00Z\n")
    loaded = FileSource(tmp_path, arrow=arrow).read()
    assert loaded.arrow is arrow
    table = loaded.data
    columns = (
        {name: table.column(name).to_pylist() for name in table.column_names}
        if arrow
        else {name: [row.get(name) for row in table] for name in ("pattern_id", "note")}
    )
    assert columns["pattern_id"] == ["p", "p", None]
    assert columns["note"] == [None, "hi", None]
    assert loaded.locate_row(2) == "d.csv.bz2, line 2"


@pytest.mark.parametrize("arrow", [True, False])
def test_a_csv_file_without_a_header_is_refused(tmp_path: Path, arrow: bool) -> None:
    # Its one record would be taken for a header, and the file read as holding none.
    write_text(tmp_path / "a.csv", "pattern_id,timestamp\np,2026-11-01T10:00:00Z\n")
    write_text(tmp_path / "b.csv.gz", "p,2026-11-02T10:00:00Z\n")
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path, arrow=arrow).read()
    assert str(raised.value) == (
        f"{tmp_path}, b.csv.gz: its first line ('p', '2026-11-02T10:00:00Z') names no record "
        "field (pattern_id, timestamp, ...): a CSV file without a header (each CSV file of "
        "a directory starts with its header), or columns to map to the fields (--column "
        "FIELD=COLUMN)?"
    )


@pytest.mark.parametrize("arrow", [True, False])
def test_partition_directories_give_their_records_a_text_column(
    tmp_path: Path, arrow: bool
) -> None:
    row = '{"timestamp": "2026-11-01T10:00:00Z"}\n'
    for value in ["007", "7", "a%2Fb"]:
        write_text(tmp_path / f"pattern_id={value}" / "day.jsonl.gz", row)

    async def ids() -> list[str]:
        async with FileSource(tmp_path, arrow=arrow) as source:
            return sorted(group.pattern_id for group in await source.fetch_all(NOW, NOW))

    assert asyncio.run(ids()) == ["007", "7", "a/b"]
    write_text(tmp_path / "pattern_id=q" / "day.jsonl", '{"pattern_id": "r", "timestamp": 1}\n')
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path, arrow=arrow).read()
    assert str(raised.value) == (
        f"{tmp_path}: pattern_id=q/day.jsonl has a column 'pattern_id' and lies in a "
        "directory pattern_id=...: which is its value?"
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # A row of fewer cells than the header names: only the standard reader reads it.
        (
            ("a.csv", "pattern_id,timestamp\np,2026-11-01T10:00:00Z\n"),
            ("b.csv.gz", "pattern_id,timestamp,success\np,2026-11-02T10:00:00Z\n"),
        ),
    ],
)
def test_files_pyarrow_cannot_read_alike_are_all_read_by_the_standard_reader(
    tmp_path: Path, first: tuple[str, str], second: tuple[str, str]
) -> None:
    for name, text in (first, second):
        write_text(tmp_path / name, text)
    loaded = FileSource(tmp_path).read()
    assert (loaded.arrow, loaded.data) == (False, FileSource(tmp_path, arrow=False).read().data)
    assert loaded.locate_row(1) == f"{second[0]}, line {2 if 'csv' in second[0] else 1}"
    assert reports(tmp_path, arrow=True) == reports(tmp_path, arrow=False)


def test_ids_of_integers_in_one_file_and_text_in_another_are_read_together_as_text(
    tmp_path: Path,
) -> None:
    # (pyarrow's tables of the two files disagree on the column's type, int64 and text:
    # until session 55 all the files were read again by the standard reader.)
    write_text(tmp_path / "a.jsonl", '{"pattern_id": 7, "timestamp": "2026-11-01T10:00:00Z"}\n')
    write_text(tmp_path / "b.jsonl", '{"pattern_id": " 7", "timestamp": "2026-11-02T10:00:00Z"}\n')
    loaded = FileSource(tmp_path).read()
    assert loaded.arrow
    assert loaded.data.column("pattern_id").to_pylist() == ["7", " 7"]
    assert loaded.locate_row(1) == "b.jsonl, line 1"
    assert list(reports(tmp_path, arrow=True)) == ["7"]
    assert reports(tmp_path, arrow=True) == reports(tmp_path, arrow=False)


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [
        ({}, SourceUnavailableError, "is a directory without record files"),
        ({"notes.md": "hi"}, SourceUnavailableError, "is a directory without record files"),
        ({".hidden.csv": "x"}, SourceUnavailableError, "is a directory without record files"),
        (
            {"a.csv": "", "b.jsonl.gz": ""},
            SourceError,
            "holds a.csv (CSV) and b.jsonl.gz (JSON Lines): a directory is read as a dataset "
            "of files of one kind",
        ),
        (
            {"a.csv": "", "z/b.parquet": ""},
            SourceError,
            "holds a.csv (CSV) and z/b.parquet (Parquet): ",
        ),
        (
            {"a.jsonl": "", "runs.sqlite": ""},
            SourceError,
            "holds a.jsonl (JSON Lines) and runs.sqlite (SQLite): ",
        ),
    ],
)
def test_what_the_directory_cannot_be_read_as_is_refused(
    tmp_path: Path, files: dict[str, str], error: type[Exception], message: str
) -> None:
    for name, text in files.items():
        write_text(tmp_path / name, text)
    with pytest.raises(error) as raised:
        FileSource(tmp_path).read()
    assert str(raised.value).startswith(f"{tmp_path}: {message}")


@pytest.mark.parametrize("arrow", [True, False])
def test_each_files_copy_is_deleted_once_it_is_read(
    own_temporary_directory: Path, tmp_path: Path, arrow: bool
) -> None:
    rows = [
        {"pattern_id": "p", "timestamp": "2026-11-01T10:00:00Z", "execution_time_ms": 1.0},
        {"pattern_id": "p", "timestamp": "2026-11-02T10:00:00Z", "execution_time_ms": 2.0},
    ]
    logs = tmp_path / "logs"
    for day in range(1, 4):
        write(logs / f"2026-11-0{day}.jsonl.gz", rows)
    loaded = FileSource(logs, arrow=arrow).read()
    assert loaded.arrow is arrow
    assert list(own_temporary_directory.iterdir()) == []  # (while the records are held)
    # A record's line is counted from its file decompressed again, its copy deleted.
    assert loaded.locate_row(5) == "2026-11-03.jsonl.gz, line 2"
    assert list(own_temporary_directory.iterdir()) == []


def test_an_empty_compressed_file_holds_no_records(tmp_path: Path) -> None:
    write_text(tmp_path / "a.jsonl", '{"pattern_id": "p", "timestamp": "2026-11-01T10:00Z"}\n')
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(b""))
    loaded = FileSource(tmp_path).read()
    assert (loaded.arrow, loaded.count) == (True, 1)


def test_a_missing_extra_names_the_file_in_the_directory(tmp_path: Path) -> None:
    write_text(tmp_path / "a.csv.zst", "pattern_id,timestamp\np,2026-11-01T10:00:00Z\n")
    with (
        mock.patch.object(spool_module, "load_pyarrow", return_value=None),
        mock.patch.dict(sys.modules, {"compression": None}),
        pytest.raises(MissingDependencyError) as raised,
    ):
        FileSource(tmp_path, arrow=False).read()
    assert str(raised.value).startswith(f"{tmp_path}, a.csv.zst: reading zstd-compressed ")


def test_reports_name_the_file_of_the_first_line_left_out(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = '{"pattern_id": "p", "timestamp": "2026-11-01T10:00:00Z"}\n'
    write_text(tmp_path / "a.jsonl", good)
    write_text(tmp_path / "b.jsonl.gz", good + "null\n")
    argv = ["dashboard", str(tmp_path), "--on-invalid", "skip", "--end", "2026-11-02"]
    assert main([*argv, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unreadable_lines"] == {
        "count": 1,
        "first": {"line": 2, "reason": "expected a JSON object, got null", "file": "b.jsonl.gz"},
    }
    assert main(argv) == 0
    heading = " ".join(capsys.readouterr().out.split())  # (wrapped to the terminal's width)
    assert (
        "1 unreadable line left out (b.jsonl.gz, line 2: expected a JSON object, got null)."
        in heading
    )


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_a_mapped_column_may_be_a_partitions(tmp_path: Path, kind: str, arrow: bool) -> None:
    # As in a Parquet dataset: `--column pattern_id=pid` over pid=x/ directories.
    rows = [{"when": "2026-11-01T10:00:00Z", "ms": 5.0}]
    write(tmp_path / "pid=x" / f"a.{kind}", rows)
    write(tmp_path / "pid=y" / f"a.{kind}.gz", rows)
    spec = TableSpec(columns={"pattern_id": "pid", "timestamp": "when"})

    async def ids() -> list[str]:
        async with FileSource(tmp_path, spec, arrow=arrow) as source:
            return [group.pattern_id for group in await source.fetch_all(NOW, NOW)]

    assert asyncio.run(ids()) == ["x", "y"]
    (tmp_path / "pid=y" / f"a.{kind}.gz").unlink()
    write(tmp_path / "b" / f"a.{kind}", rows)
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path, spec, arrow=arrow).read()
    columns = "; columns: ms, when" if kind == "csv" else ""  # (JSON Lines name none)
    assert str(raised.value) == (
        f"{tmp_path}, b/a.{kind}: no column 'pid' (mapped to the record field 'pattern_id'"
        f"{columns})"
    )
