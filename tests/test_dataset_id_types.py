"""A directory whose files write the pattern ids in other types (integers in one day's
Parquet export, text in the next; JSON integers in one file, strings in another) makes
the patterns its files make on their own: each id by the text `pattern_key` keys it by,
so that the int 1 of one file and the text "1" of another are one pattern "1", as they
are within one SQLite column or JSON Lines file, and `--pattern 1` finds both. A column
of other fields in types with no common one is refused naming two files and the types.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runs import other_than_an_index_note
from hypothesis import given, settings
from hypothesis import strategies as st
from source_cases import NOW, START
from usage_analytics.cli import main
from usage_analytics.sources import FileSource
from usage_analytics.sources.base import pattern_key

STAMP = "2026-03-01T10:00:00Z"
WINDOW = ["--start", "2026-02-01", "--end", "2026-03-03"]

#: Pairs of a Parquet id column's types, in two files. (All were refused, "its Parquet
#: files disagree on a column's type", naming neither file, but for int64 beside
#: double, where an id past 2**53 refused the directory, "not a readable Parquet
#: dataset", as did a uint64 beside an int32.)
PARQUET_PAIRS = {
    "int64 and string": (pa.array([1, 2]), pa.array(["1", "x"])),
    "int64 and dictionary": (pa.array([1, 2]), pa.array(["1", " 2 "]).dictionary_encode()),
    "double and string": (pa.array([2.5, 1.0]), pa.array(["2.5", "1"])),
    "int64 and double past 2**53": (
        pa.array([2**53 + 1, 7]),
        pa.array([float(2**53), 7.0]),
    ),
    "int32 and uint64": (pa.array([1, 2], pa.int32()), pa.array([2**64 - 1, 1], pa.uint64())),
    "decimal and string": (pa.array([Decimal("2.50")], pa.decimal128(5, 2)), pa.array(["2.5"])),
    "bool and string": (pa.array([True, False]), pa.array(["true", "1"])),
    "uuid bytes and text": (
        pa.array([UUID(int=5).bytes], pa.binary(16)),
        pa.array([str(UUID(int=5)).upper(), "y"]),
    ),
}


def _write_parquet(path: Path, ids: pa.Array, column: str = "pattern_id") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {column: ids, "timestamp": [STAMP] * len(ids), "success": [True] * len(ids)}
    pq.write_table(pa.table(columns), path)


def _dashboard(capsys: pytest.CaptureFixture[str], source: Path, *options: str) -> dict[str, int]:
    """Each pattern's executions in the dashboard of `source`, by the real command line."""
    code = main(["dashboard", str(source), *WINDOW, "--format", "json", *options])
    captured = capsys.readouterr()
    assert (code, other_than_an_index_note(captured.err)) == (0, [])
    patterns = json.loads(captured.out)["patterns"]
    return {pattern["pattern_id"]: pattern["total_executions"] for pattern in patterns}


def _analyzed(capsys: pytest.CaptureFixture[str], source: Path, pattern: str, *options: str) -> int:
    """The executions `analyze --pattern` finds of `pattern` in `source`."""
    argv = ["analyze", str(source), "--pattern", pattern, *WINDOW, "--format", "json", *options]
    code = main(argv)
    captured = capsys.readouterr()
    assert (code, other_than_an_index_note(captured.err)) == (0, [])
    executions: int = json.loads(captured.out)["usage_metrics"]["total_executions"]
    return executions


@pytest.mark.parametrize("pair", PARQUET_PAIRS)
def test_parquet_files_of_other_id_types_make_the_patterns_each_file_makes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pair: str
) -> None:
    first, second = PARQUET_PAIRS[pair]
    _write_parquet(tmp_path / "runs" / "a.parquet", first)
    _write_parquet(tmp_path / "runs" / "b.parquet", second)
    alone = Counter[str]()
    for name in ("a", "b"):
        alone.update(_dashboard(capsys, tmp_path / "runs" / f"{name}.parquet"))
    together = _dashboard(capsys, tmp_path / "runs")
    assert together == dict(alone)
    for pattern, executions in together.items():
        assert _analyzed(capsys, tmp_path / "runs", pattern) == executions


def test_an_int_id_and_its_text_in_two_parquet_files_are_one_pattern(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _write_parquet(tmp_path / "a.parquet", pa.array([1, 2]))
    _write_parquet(tmp_path / "b.parquet", pa.array(["1", "x"]))
    assert _dashboard(capsys, tmp_path) == {"1": 2, "2": 1, "x": 1}
    assert _analyzed(capsys, tmp_path, "1") == 2


def test_a_mapped_id_column_of_two_types_is_one_pattern_per_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _write_parquet(tmp_path / "a.parquet", pa.array([1, 2]), column="pid")
    _write_parquet(tmp_path / "b.parquet", pa.array(["1", "x"]), column="pid")
    mapped = ("--column", "pattern_id=pid")
    assert _dashboard(capsys, tmp_path, *mapped) == {"1": 2, "2": 1, "x": 1}
    assert _analyzed(capsys, tmp_path, "1", *mapped) == 2


def test_json_lines_files_of_integer_and_text_ids_stay_on_the_arrow_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (The patterns were these already: the directory was read by the standard reader,
    # a dict per record, in about twice the time and three times the memory.)
    for name, ids in (("a", [1, 2, 1]), ("b", ["1", "x"]), ("c", [])):
        lines = [
            json.dumps({"pattern_id": id_, "timestamp": STAMP, "success": True}) for id_ in ids
        ]
        (tmp_path / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines))
    assert FileSource(tmp_path).read().arrow
    assert _dashboard(capsys, tmp_path) == {"1": 3, "2": 1, "x": 1}
    assert _analyzed(capsys, tmp_path, "1") == 3


def test_csv_files_of_integer_and_text_ids_are_one_pattern_per_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (CSV ids are the text the file shows: "1.0" is not "1", as within one file.)
    (tmp_path / "a.csv").write_text(f"pattern_id,timestamp,success\n1,{STAMP},1\n2,{STAMP},1\n")
    (tmp_path / "b.csv").write_text(
        f"pattern_id,timestamp,success\n1,{STAMP},1\nx,{STAMP},1\n1.0,{STAMP},1\n"
    )
    assert _dashboard(capsys, tmp_path) == {"1": 2, "1.0": 1, "2": 1, "x": 1}


def test_another_fields_column_of_two_types_is_refused_naming_both_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name, times in (("x", [1.0]), ("y", [2.0]), ("z", ["fast"])):
        pq.write_table(
            pa.table({"pattern_id": ["p"], "timestamp": [STAMP], "execution_time_ms": times}),
            tmp_path / f"{name}.parquet",
        )
    assert main(["dashboard", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {tmp_path}: its Parquet files disagree on column "
        "'execution_time_ms': x.parquet holds it as double, z.parquet as string\n"
    )


def test_ids_of_lists_beside_text_are_refused_not_keyed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _write_parquet(tmp_path / "a.parquet", pa.array(["p"]))
    _write_parquet(tmp_path / "b.parquet", pa.array([["p"]]))
    assert main(["dashboard", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {tmp_path}: its Parquet files disagree on column "
        "'pattern_id': a.parquet holds it as string, b.parquet as list<element: string>\n"
    )


#: One file's pattern ids: a Parquet column of one type (None: a missing id).
_FILE_IDS = st.one_of(
    st.lists(st.one_of(st.none(), st.integers(-2, 3)), min_size=1, max_size=5).map(
        lambda ids: pa.array(ids, pa.int64())
    ),
    st.lists(
        st.one_of(st.none(), st.sampled_from(["1", " 1", "2", "x", "", "2.5", "1.0"])),
        min_size=1,
        max_size=5,
    ).map(lambda ids: pa.array(ids, pa.string())),
    st.lists(
        st.one_of(st.none(), st.sampled_from([1.0, 2.5, -0.0, float("nan")])),
        min_size=1,
        max_size=5,
    ).map(lambda ids: pa.array(ids, pa.float64())),
)


@settings(max_examples=40, deadline=None)
@given(files=st.lists(_FILE_IDS, min_size=2, max_size=4))
def test_a_directorys_patterns_are_its_ids_keyed_as_in_one_file(files: list[pa.Array]) -> None:
    # The reference: each stored id keyed by `pattern_key` (as a single file keys it),
    # blank and missing ids belonging to no pattern.
    expected = Counter(
        key for ids in files for value in ids.to_pylist() if value is not None
        for key in [pattern_key(value)] if key
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for number, ids in enumerate(files):
            _write_parquet(Path(folder) / f"part-{number}.parquet", ids)

        async def patterns() -> tuple[dict[str, int], int]:
            async with FileSource(folder) as source:
                groups = await source.fetch_all(START, NOW)
                return {group.pattern_id: group.count for group in groups}, (
                    await source.unattributed()
                ).count

        found, unattributed = asyncio.run(patterns())
    assert found == dict(expected)
    assert unattributed == sum(len(ids) for ids in files) - sum(expected.values())


def test_a_number_id_is_one_pattern_by_its_value_in_a_sqlite_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A REAL 2.5 is the pattern "2.5", found by `--pattern 2.5`; the INTEGER 1, the TEXT
    # "1" and the REAL 1.0 are the pattern "1". (So on main before session 55 too: kept.)
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "INSERT INTO pattern_executions VALUES (?, ?, ?)",
            [(id_, STAMP, 1) for id_ in (2.5, 1, "1", 1.0, "x")],
        )
    connection.close()
    assert _dashboard(capsys, path) == {"1": 3, "2.5": 1, "x": 1}
    assert [_analyzed(capsys, path, pattern) for pattern in ("1", "2.5")] == [3, 1]
