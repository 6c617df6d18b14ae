"""A directory of Parquet files as a source (`sources.parquet_dataset`): split any way,
into partitions by pattern or into files of any rows, it gives the single file's report;
partition values stay text; files of differing columns keep all of them; a bad record is
named by its file and row; what the dataset cannot read is refused, not left out."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, assert_same_reports, demo_rows
from usage_analytics.cli import main
from usage_analytics.sources import FileSource, SourceError, open_source, save_records


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("single") / "runs.parquet"
    save_records(path, demo_rows())
    return path


def test_partitions_by_pattern_give_the_single_files_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, single: Path
) -> None:
    table = pq.read_table(single)
    for pattern in table.column("pattern_id").unique().to_pylist():
        rows = table.filter(pa.compute.equal(table.column("pattern_id"), pattern))
        folder = tmp_path / "runs" / f"pattern_id={quote(pattern, safe='')}"
        folder.mkdir(parents=True)
        pq.write_table(rows.drop_columns(["pattern_id"]), folder / "part-0.parquet")
    (tmp_path / "runs" / "_SUCCESS").write_text("")  # (Spark's marker: not a record file)
    directory = str(tmp_path / "runs")
    assert_same_reports(capsys, directory, str(single), "--on-invalid", "skip")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(0, 4_000), max_size=6), nested=st.booleans())
def test_files_of_any_rows_give_the_single_files_report(
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
    single: Path,
    cuts: list[int],
    nested: bool,
) -> None:
    table = pq.read_table(single)
    bounds = sorted({0, table.num_rows, *(min(cut, table.num_rows) for cut in cuts)})
    directory = tmp_path_factory.mktemp("runs")
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        # (Names sort as the rows go: part-00, part-01, ... or 00/part.parquet, ...)
        path = directory / (f"{number:02d}/part.parquet" if nested else f"part-{number:02d}.pq")
        path.parent.mkdir(exist_ok=True)
        pq.write_table(table.slice(start, end - start), path)
    assert_same_reports(capsys, str(directory), str(single), "--on-invalid", "skip")


def write(path: Path, **columns: pa.Array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


STAMPS = pa.array([1_772_360_000_000_000, 1_772_363_600_000_000], pa.timestamp("us", "UTC"))


def test_partition_values_are_text_as_written(tmp_path: Path) -> None:
    # Inferred, "007" and "7" were the integer 7: one pattern of both directories' rows.
    for value in ["007", "7", "a%2Fb"]:
        write(tmp_path / f"pattern_id={value}" / "part.parquet", timestamp=STAMPS)

    async def ids() -> list[str]:
        async with open_source(tmp_path) as source:
            return sorted(group.pattern_id for group in await source.fetch_all(NOW, NOW))

    assert asyncio.run(ids()) == ["007", "7", "a/b"]


def test_a_column_one_file_lacks_is_missing_in_its_rows(tmp_path: Path) -> None:
    write(tmp_path / "a.parquet", pattern_id=pa.array(["p", "p"]), timestamp=STAMPS)
    write(
        tmp_path / "b.parquet",
        pattern_id=pa.array(["p", "p"]),
        timestamp=STAMPS,
        execution_time_ms=pa.array([5, 7], pa.int32()),
    )
    write(
        tmp_path / "c.parquet",
        pattern_id=pa.array(["p", "p"]),
        timestamp=STAMPS,
        execution_time_ms=pa.array([9, 11], pa.int64()),
    )
    table = FileSource(tmp_path).read().data
    assert table.column("execution_time_ms").to_pylist() == [None, None, 5, 7, 9, 11]


def test_a_bad_record_is_named_by_its_file_and_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(
        tmp_path / "pattern_id=p" / "a.parquet",
        timestamp=STAMPS,
        execution_time_ms=pa.array([1.0, 2.0]),
    )
    write(
        tmp_path / "pattern_id=p" / "b.parquet",
        timestamp=STAMPS,
        execution_time_ms=pa.array([3.0, -4.0]),
    )
    assert main(["dashboard", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {tmp_path}, pattern_id=p/b.parquet, row 2: field "
        "'execution_time_ms' = -4.0: must be >= 0; --on-invalid skip leaves invalid records out\n"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "is a directory without record files"),
        ({"notes.md": b"hi"}, "is a directory without record files"),
        (
            {"x.parquet": None, "day/runs.csv": b"pattern_id\np\n"},
            "holds day/runs.csv (CSV) and x.parquet (Parquet): a directory is read as a "
            "dataset of files of one kind",
        ),
        (
            {"x.parquet": None, "y.parquet.gz": b""},
            "holds x.parquet (Parquet) and y.parquet.gz (compressed Parquet): ",
        ),
        (
            {"x.parquet": None, "runs.db": b""},
            "holds runs.db (SQLite) and x.parquet (Parquet): ",
        ),
        (
            {"y.parquet.zst": b""},
            "holds y.parquet.zst (compressed Parquet), which a dataset does not read",
        ),
        ({"x.parquet": None, "y.parquet": b"junk"}, "y.parquet is not a readable Parquet file ("),
        (
            {"x.parquet": None, "z.parquet": "text"},
            "its Parquet files disagree on column 'execution_time_ms': x.parquet holds it as "
            "double, z.parquet as string",
        ),
    ],
)
def test_what_a_dataset_cannot_read_is_refused(
    tmp_path: Path, files: dict[str, bytes | str | None], message: str
) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            write(
                path,
                pattern_id=pa.array(["p", "p"]),
                timestamp=STAMPS,
                execution_time_ms=pa.array([1.0, 2.0]),
            )
        elif content == "text":
            write(
                path,
                pattern_id=pa.array(["p", "p"]),
                timestamp=STAMPS,
                execution_time_ms=pa.array(["a", "b"]),
            )
        else:
            assert isinstance(content, bytes)
            path.write_bytes(content)
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path).read()
    assert str(raised.value).startswith(f"{tmp_path}: ")
    assert message in str(raised.value)


def test_text_that_is_not_utf8_is_named_by_its_file_and_row(tmp_path: Path) -> None:
    # The file, dataset, was refused naming the column only: which of a million rows?
    # (Dictionary-encoded in the second file; a long value shown by its first 64 bytes.)
    def agents(*values: bytes) -> pa.Array:
        return pa.array(values, pa.binary()).view(pa.string())

    write(tmp_path / "a.parquet", pattern_id=pa.array(["p", "p"]), timestamp=STAMPS,
          agent=agents(b"a", b"b"))  # fmt: skip
    bad = b"\xff" + b"x" * 100
    write(tmp_path / "b.parquet", pattern_id=pa.array(["p", "p"]), timestamp=STAMPS,
          agent=agents(b"c", bad).dictionary_encode())  # fmt: skip
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path).read()
    assert str(raised.value) == (
        f"{tmp_path}, b.parquet, row 2: column 'agent' = {bad[:64]!r}...: is not UTF-8 text"
    )


def test_columns_in_another_encoding_are_read_alike(tmp_path: Path) -> None:
    # Text dictionary-encoded in one file, plain in another; times naive (UTC), in UTC
    # and in another zone, in two units: pyarrow's promotion merges none of these.
    naive = STAMPS.cast(pa.timestamp("ms"))
    write(
        tmp_path / "a.parquet",
        pattern_id=pa.array(["p", "q"]).dictionary_encode(),
        timestamp=naive,
    )
    write(tmp_path / "b.parquet", pattern_id=pa.array(["p", "q"]), timestamp=STAMPS)
    write(
        tmp_path / "c.parquet",
        pattern_id=pa.array(["q", "q"]),
        timestamp=STAMPS.cast(pa.timestamp("us", "Europe/Paris")),
    )
    table = FileSource(tmp_path).read().data
    assert table.schema.field("timestamp").type == pa.timestamp("us", "UTC")
    assert table.column("pattern_id").to_pylist() == ["p", "q", "p", "q", "q", "q"]
    assert table.column("timestamp").to_pylist() == STAMPS.to_pylist() * 3


def test_times_in_nanoseconds_beside_coarser_ones_keep_every_instant(tmp_path: Path) -> None:
    # pyarrow promotes times of two units to the finer: a pandas file's nanoseconds beside
    # a Spark file's milliseconds cast 1500-01-01 (past 64-bit nanoseconds) and the whole
    # dataset was refused, though either file alone is read. Microseconds (the core's
    # unit) hold both: nanoseconds floored, as the core floors them.
    coarse = pa.array([datetime(1500, 1, 1, 12), datetime(2026, 3, 1, 9)], pa.timestamp("ms"))
    fine = pa.array([-1_001, 1_772_360_000_000_000_500], pa.timestamp("ns", "UTC"))
    write(tmp_path / "a.parquet", pattern_id=pa.array(["p", "p"]), timestamp=coarse)
    write(tmp_path / "b.parquet", pattern_id=pa.array(["p", "p"]), timestamp=fine)
    table = FileSource(tmp_path).read().data
    assert table.schema.field("timestamp").type == pa.timestamp("us", "UTC")
    assert table.column("timestamp").cast(pa.int64()).to_pylist() == [
        -14_831_726_400_000_000,
        1_772_355_600_000_000,
        -2,
        1_772_360_000_000_000,
    ]


def test_a_partition_without_a_value_is_missing_and_a_clash_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "pattern_id=__HIVE_DEFAULT_PARTITION__" / "a.parquet", timestamp=STAMPS)
    write(tmp_path / "pattern_id=p" / "a.parquet", timestamp=STAMPS)
    table = FileSource(tmp_path).read().data
    assert table.column("pattern_id").to_pylist() == [None, None, "p", "p"]
    write(
        tmp_path / "pattern_id=q" / "b.parquet", timestamp=STAMPS, pattern_id=pa.array(["r", "r"])
    )
    with pytest.raises(SourceError) as raised:
        FileSource(tmp_path).read()
    assert str(raised.value) == (
        f"{tmp_path}: pattern_id=q/b.parquet has a column 'pattern_id' and lies in a "
        "directory pattern_id=...: which is its value?"
    )


def test_a_file_of_many_row_groups_is_one_chunk(tmp_path: Path) -> None:
    # (pyarrow's write_dataset leaves such files: thousands of chunks were slow to use.)
    path = tmp_path / "a.parquet"
    table = pa.table(
        {"pattern_id": pa.array(["p"] * 100), "timestamp": pa.concat_arrays([STAMPS] * 50)}
    )
    pq.write_table(table, path, row_group_size=3)
    read = FileSource(tmp_path).read().data
    assert read.column("timestamp").num_chunks == 1
    assert read.equals(table)


def test_files_are_read_in_the_order_of_their_paths(tmp_path: Path) -> None:
    # (A walk of the directory gives its own files before its folders'.)
    write(tmp_path / "z.parquet", pattern_id=pa.array(["z", "z"]), timestamp=STAMPS)
    write(tmp_path / "a" / "x.parquet", pattern_id=pa.array(["a", "a"]), timestamp=STAMPS)
    loaded = FileSource(tmp_path).read()
    assert loaded.data.column("pattern_id").to_pylist() == ["a", "a", "z", "z"]
    assert [loaded.locate_row(index) for index in (1, 2)] == [
        "a/x.parquet, row 2",
        "z.parquet, row 1",
    ]
