"""Record files' columns matched to record fields regardless of ASCII case, as the
SQLite and PostgreSQL sources match a table's: a CSV header `Timestamp,Success`, a
Parquet schema or JSON Lines keys of another case are the fields (the `Success` column
was ignored, every run a failure; `Timestamp` was "missing"); two columns of one field
but for case are refused naming both; an exact name, and the user's --column, win.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runs import run
from usage_analytics.sources import SourceError, TableSpec, jsonl_column_case, open_source
from usage_analytics.sources.column_case import ascii_folded

#: The runs every file holds: two successes of three.
TIMES = ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"]
SUCCESS = [True, False, True]
#: How each kind is written and read: the standard JSON Lines reader through a file
#: pyarrow's reader leaves to it (a line `{}`, as pyarrow reads a row of nulls).
KINDS = [
    "csv",
    "csv.gz",
    "parquet",
    "jsonl",
    "jsonl-standard",
    "csv-directory",
    "parquet-directory",
]


def write(tmp_path: Path, kind: str, columns: dict[str, list[Any]]) -> Path:
    """A record file (or directory) of `kind` holding `columns` (names as given)."""
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    if kind == "parquet":
        path = tmp_path / "runs.parquet"
        pq.write_table(pa.table(columns), path)
        return path
    if kind == "parquet-directory":
        path = tmp_path / "runs"
        path.mkdir()
        pq.write_table(pa.table(columns), path / "a.parquet")
        return path
    if kind.startswith("jsonl"):
        path = tmp_path / "runs.jsonl"
        lines = [json.dumps(row) for row in rows] + (["{}"] if kind == "jsonl-standard" else [])
        path.write_text("\n".join(lines) + "\n")
        return path
    text = "\n".join(
        [",".join(columns), *(",".join(_cell(value) for value in row.values()) for row in rows)]
    )
    if kind == "csv.gz":
        path = tmp_path / "runs.csv.gz"
        path.write_bytes(gzip.compress(text.encode()))
        return path
    if kind == "csv-directory":
        path = tmp_path / "runs"
        path.mkdir()
        (path / "a.csv").write_text(text + "\n")
        return path
    path = tmp_path / "runs.csv"
    path.write_text(text + "\n")
    return path


def _cell(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def fetched(path: Path, table: TableSpec | None = None) -> dict[str, list[Any]]:
    """The records of pattern p, as columns of the record fields."""

    async def fetch() -> Any:
        source = open_source(path, table)
        try:
            return (await source.fetch("p", datetime.min, datetime.max)).data
        finally:
            await source.close()

    data = asyncio.run(fetch())
    if isinstance(data, pa.Table):
        columns: dict[str, list[Any]] = data.to_pydict()
        return columns
    if isinstance(data, dict):
        return data
    names = {name for record in data for name in record}
    return {name: [record.get(name) for record in data] for name in names}


def success_rate(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> float:
    code, out, err = run(
        capsys, "analyze", str(path), "--pattern", "p", "--format", "json", "--end",
        "2026-03-02T00:00:00Z", *options,
    )  # fmt: skip
    assert code == 0, err
    return float(json.loads(out)["success_metrics"]["success_rate"])


@pytest.mark.parametrize("kind", KINDS)
def test_columns_named_in_another_case_are_the_fields(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, kind, {"Pattern_ID": ["p"] * 3, "Timestamp": TIMES, "Success": SUCCESS})
    columns = fetched(path)
    assert columns["success"] == SUCCESS
    assert len(columns["timestamp"]) == 3
    assert success_rate(capsys, path) == pytest.approx(2 / 3)


@pytest.mark.parametrize("kind", KINDS)
def test_two_columns_of_a_field_but_for_case_are_refused_naming_both(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        kind,
        {"pattern_id": ["p"] * 3, "timestamp": TIMES, "Success": SUCCESS, "SUCCESS": [False] * 3},
    )
    named = r"columns 'Success' and 'SUCCESS' both match 'success' .*--column success=COLUMN"
    with pytest.raises(SourceError, match=named):
        fetched(path)
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    assert code != 0
    assert "'Success' and 'SUCCESS'" in err
    assert "runs" in err  # the file named


@pytest.mark.parametrize("kind", KINDS)
def test_the_column_named_exactly_wins(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        kind,
        {"pattern_id": ["p"] * 3, "timestamp": TIMES, "success": SUCCESS, "Success": [False] * 3},
    )
    assert fetched(path)["success"] == SUCCESS
    assert success_rate(capsys, path) == pytest.approx(2 / 3)


@pytest.mark.parametrize("kind", KINDS)
def test_the_users_mapping_wins_over_case(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        kind,
        {"pattern_id": ["p"] * 3, "timestamp": TIMES, "Success": [False] * 3, "SUCCESS": SUCCESS},
    )
    assert fetched(path, TableSpec(columns={"success": "SUCCESS"}))["success"] == SUCCESS
    assert success_rate(capsys, path, "--column", "success=SUCCESS") == pytest.approx(2 / 3)


def test_a_directorys_files_are_matched_each_by_its_own_header(tmp_path: Path) -> None:
    # (Decided here: a text dataset's files each have their header, as each is read.)
    directory = tmp_path / "runs"
    directory.mkdir()
    (directory / "a.csv").write_text(f"pattern_id,Timestamp,Success\np,{TIMES[0]},true\n")
    (directory / "b.csv").write_text(f"pattern_id,timestamp,success\np,{TIMES[1]},false\n")
    assert sorted(fetched(directory)["success"]) == [False, True]


def test_a_jsonl_key_of_another_case_in_a_later_line_only_is_found(tmp_path: Path) -> None:
    # pyarrow's reader, given the fields' schema, never shows the key: the bytes tell.
    path = tmp_path / "runs.jsonl"
    lines: list[dict[str, Any]] = [{"pattern_id": "p", "timestamp": TIMES[0]}] * 1500
    lines = [*lines, {"pattern_id": "p", "timestamp": TIMES[1], "Success": True}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert fetched(path)["success"].count(True) == 1


def test_only_ascii_letters_are_folded() -> None:
    assert ascii_folded("SuccÄss") == "succÄss"
    assert ascii_folded("Ä") != ascii_folded("ä")


@pytest.mark.parametrize("block", [1, 7, 1 << 26])
def test_the_search_of_jsonl_bytes_finds_a_key_across_its_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Blocks overlap by a name's length: a key cut by a block's end is still found.
    monkeypatch.setattr(jsonl_column_case, "_BLOCK", block)
    read = pa.table({"pattern_id": ["p"], "timeout": pa.nulls(1, pa.bool_())})
    path = tmp_path / "runs.jsonl"
    for text, found in (
        ('{"pattern_id": "p", "timeout": null}', False),  # its own name: no other case
        ('{"pattern_id": "p", "timeOut": true}', True),
        ('{"pattern_id": "p", "TIMEOUT": true}', True),
        ('{"pattern_id": "p", "time_out": true}', False),
    ):
        path.write_text(text + "\n")
        assert jsonl_column_case.other_case_keys(pa, path, read, TableSpec()) is found, text
    mapped = TableSpec(columns={"timeout": "t"})  # the user's mapping: no search for it
    path.write_text('{"pattern_id": "p", "Timeout": true}\n')
    assert not jsonl_column_case.other_case_keys(pa, path, read, mapped)


def test_a_value_spelled_as_a_field_is_no_key(tmp_path: Path) -> None:
    # A log's "error": "Timeout" (or "role": "Agent") is a value, not a key of the
    # `timeout` field: taken for one, the whole file was read again by the standard
    # reader (twice the time and memory of pyarrow's read of it).
    read = pa.table({"pattern_id": ["p"], "timeout": pa.nulls(1, pa.bool_())})
    path = tmp_path / "runs.jsonl"
    for text, found in (
        ('{"pattern_id": "p", "error": "Timeout"}', False),
        ('{"pattern_id": "p", "note": "\\"Timeout\\": true"}', False),  # (escaped)
        ('{"pattern_id": "p", "Timeout": true}', True),
        ('{"pattern_id": "p", "Timeout" : true}', True),
        ('{"pattern_id":"p","Timeout":true}', True),
    ):
        path.write_text(text + "\n")
        assert jsonl_column_case.other_case_keys(pa, path, read, TableSpec()) is found, text


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_the_standard_readers_match_as_pyarrows_do(kind: str, tmp_path: Path) -> None:
    # (`arrow=False`: the readers of `records`, used without pyarrow.)
    path = write(tmp_path, kind, {"pattern_id": ["p"] * 3, "TimeStamp": TIMES, "sUccess": SUCCESS})

    async def fetch() -> Any:
        source = open_source(path, arrow=False)
        return (await source.fetch("p", datetime.min, datetime.max)).data

    records = asyncio.run(fetch())
    assert [record["success"] for record in records] == SUCCESS
    assert all("timestamp" in record for record in records)


def test_a_parquet_directorys_files_are_matched_each_by_its_own_schema(tmp_path: Path) -> None:
    # Matched once the files were joined, `success` won and `Success`'s rows failed.
    directory = tmp_path / "runs"
    (directory / "pattern_id=p").mkdir(parents=True)
    pq.write_table(
        pa.table({"Pattern_Id": ["p"], "Timestamp": TIMES[:1], "Success": [True]}),
        directory / "a.parquet",
    )
    pq.write_table(
        pa.table({"pattern_id": ["p"], "timestamp": TIMES[1:2], "success": [False]}),
        directory / "b.parquet",
    )
    pq.write_table(
        pa.table({"timestamp": TIMES[2:], "SUCCESS": [True]}),
        directory / "pattern_id=p" / "c.parquet",
    )
    columns = fetched(directory)
    assert sorted(columns["success"]) == [False, True, True]


@pytest.mark.parametrize("compress", [False, True])
def test_standard_input_is_matched_as_a_file_is(
    compress: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (Its copy, `spool`, is read as a file: the messages name standard input.)
    lines = [{"pattern_id": "p", "Timestamp": TIMES[0], "Success": True, "SUCCESS": False}]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    stream = io.TextIOWrapper(io.BytesIO(gzip.compress(data) if compress else data))
    monkeypatch.setattr("sys.stdin", stream)
    code, _, err = run(capsys, "analyze", "-", "--pattern", "p", "--format", "json")
    assert code != 0
    assert "standard input, line 1: columns 'Success' and 'SUCCESS' both match 'success'" in err
