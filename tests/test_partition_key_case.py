"""Hive partition directories (`key=value`) whose key names a record field but for ASCII
case (`Pattern_Id=checkout/`, `SUCCESS=true/`) give the field, as a column of that name
does (`sources/dataset.py`, `column_case`): passed over, every run under `SUCCESS=true/`
was a failure and the records under `Pattern_Id=p/` of no pattern (a Parquet dataset
matched the key once its files were joined: a directory also holding `pattern_id=q/`
lost the others' ids). Two keys of a field but for case are refused naming both; a field
given by a directory and by the file's own column, whatever their case, is refused as
one of the same name is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runs import run
from test_file_column_case import TIMES, fetched, success_rate
from test_jsonl_key_case_by_line import read
from usage_analytics.sources import SourceError, TableSpec, UnknownPatternError

#: A dataset's kinds of files, and how each is written.
KINDS = ["parquet", "csv", "jsonl"]


def write(path: Path, columns: dict[str, list[Any]]) -> None:
    """A record file at `path` (its kind by its suffix) holding `columns`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    if path.suffix == ".parquet":
        pq.write_table(pa.table(columns), path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        lines = [",".join(columns), *(",".join(map(str, row.values())) for row in rows)]
        path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("kind", KINDS)
def test_directory_keys_naming_a_field_but_for_case_are_the_field(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "runs"
    write(root / "Pattern_Id=p" / "SUCCESS=true" / f"a.{kind}", {"timestamp": TIMES[:1]})
    write(root / "pattern_id=p" / "success=false" / f"b.{kind}", {"timestamp": TIMES[1:2]})
    write(root / "PATTERN_ID=q" / "Success=true" / f"c.{kind}", {"timestamp": TIMES[2:]})
    columns = fetched(root)
    assert sorted(columns["success"]) == [False, True]
    assert len(columns["timestamp"]) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_reads_a_pattern_id_directory_of_another_case(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "runs"
    write(root / "Pattern_Id=p" / f"a.{kind}", {"timestamp": TIMES[:2], "success": [True, False]})
    write(root / "pattern_id=q" / f"b.{kind}", {"timestamp": TIMES[2:], "success": [True]})
    assert success_rate(capsys, root) == pytest.approx(1 / 2)
    code, out, err = run(capsys, "dashboard", str(root), "--format", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["records_without_pattern_id"] == 0
    assert sorted(row["pattern_id"] for row in shown["patterns"]) == ["p", "q"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_success_directory_of_another_case_is_read_as_the_exact_one_is(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (Passed over, the runs were counted failures without a word. Its value is the
    # flag its text is: `test_partition_flags`.)
    outcomes = []
    for key in ("success", "SUCCESS"):
        root = tmp_path / key
        write(root / f"{key}=true" / f"a.{kind}", {"pattern_id": ["p"], "timestamp": TIMES[:1]})
        code, out, err = run(capsys, "analyze", str(root), "--pattern", "p", "--format", "json")
        shown = json.loads(out)["success_metrics"]["success_rate"] if code == 0 else None
        outcomes.append((code, shown, err.replace(str(root), "DIR")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:2] == (0, 1.0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Success", "SUCCESS"),
        ("success", "Success"),
        ("Success", "success"),
        ("success", "success"),
    ],
)
def test_two_directories_of_a_field_of_different_values_are_refused_naming_both(
    kind: str, first: str, second: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Whatever their case, the exact key included (it won without a word, the other's
    # value lost): --column, which the error advised, maps a field to one name and
    # cannot choose between two directories. The directories are to be renamed.
    root = tmp_path / "runs"
    columns = {"pattern_id": ["p"], "timestamp": TIMES[:1]}
    write(root / f"{first}=true" / f"{second}=false" / f"a.{kind}", columns)
    with pytest.raises(SourceError) as raised:
        fetched(root)
    assert str(raised.value) == (
        f"{root}, {first}=true/{second}=false/a.{kind}: directories '{first}=true' and "
        f"'{second}=false' both give the record field 'success', with different values: "
        "which is its value? Rename or move one of them, so that the file's path gives "
        "it once"
    )
    code, _, err = run(capsys, "analyze", str(root), "--pattern", "p", "--format", "json")
    assert code != 0
    assert "Rename or move one of them" in err
    assert "--column" not in err


@pytest.mark.parametrize(
    ("kind", "arrow"),
    [("parquet", None), ("csv", None), ("csv", False), ("jsonl", None), ("jsonl", False)],
)
def test_two_directories_of_a_field_of_one_value_give_it(
    kind: str, arrow: bool | None, tmp_path: Path
) -> None:
    # Unambiguous: `Pattern_Id=p/pattern_id=p/` gives the pattern p (refused before).
    root = tmp_path / "runs"
    columns: dict[str, list[Any]] = {"timestamp": TIMES[:1], "success": [True]}
    write(root / "Pattern_Id=p" / "PATTERN_ID=p" / "pattern_id=p" / f"a.{kind}", columns)
    assert read(root, arrow) == {"success": [True], "timestamp": TIMES[:1]}


def test_a_key_other_than_a_fields_given_twice_with_two_values_is_refused(
    tmp_path: Path,
) -> None:
    # One key twice in a path kept the deeper value without a word.
    root = tmp_path / "runs"
    columns: dict[str, list[Any]] = {"pattern_id": ["p"], "timestamp": TIMES[:1]}
    columns["success"] = [True]
    write(root / "day=1" / "day=2" / "a.csv", columns)
    with pytest.raises(SourceError, match=r"directories 'day=1' and 'day=2' both give 'day', "):
        fetched(root)
    # Keys differing in case are two columns where they name no field.
    write(tmp_path / "other" / "day=1" / "Day=2" / "a.csv", columns)
    assert fetched(tmp_path / "other")["success"] == [True]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("key", "column"),
    [("Pattern_Id", "pattern_id"), ("pattern_id", "Pattern_ID"), ("Pattern_Id", "PATTERN_ID")],
)
def test_a_field_given_by_a_directory_and_by_a_column_is_refused_whatever_their_case(
    kind: str, key: str, column: str, tmp_path: Path
) -> None:
    # Exact names are refused ("which is its value?"); taking the exact one here would
    # drop the directory's ids, or the file's, without a word.
    root = tmp_path / "runs"
    write(root / f"{key}=p" / f"a.{kind}", {column: ["x"], "timestamp": TIMES[:1]})
    with pytest.raises(SourceError) as raised:
        fetched(root)
    assert str(raised.value) == (
        f"{root}: {key}=p/a.{kind} has a column {column!r} and lies in a directory {key}=...: "
        "which is its value? (both the record field 'pattern_id' but for case; --column "
        "pattern_id=NAME chooses, NAME as the directory or the file writes it)"
    )
    # The mapping chooses, naming either as written.
    assert fetched(root, TableSpec(columns={"pattern_id": key}))["timestamp"] == TIMES[:1]
    with pytest.raises(UnknownPatternError, match=r"it has: x\)"):
        fetched(root, TableSpec(columns={"pattern_id": column}))


@pytest.mark.parametrize("arrow", [None, False])
def test_json_lines_under_a_directory_key_of_another_case_are_read_by_both_readers(
    arrow: bool | None, tmp_path: Path
) -> None:
    root = tmp_path / "runs"
    write(root / "SUCCESS=true" / "a.jsonl", {"pattern_id": ["p"], "timestamp": TIMES[:1]})
    write(root / "success=false" / "b.jsonl", {"pattern_id": ["p"], "timestamp": TIMES[1:2]})
    assert read(root, arrow)["success"] == [True, False]
