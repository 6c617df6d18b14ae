"""A CSV or Parquet file whose pattern id column is spelled otherwise (`pattern id`,
`Pattern-Id`, `patternId`) and no `pattern_id` (`cli.id_column`): `analyze --pattern ID`
took every record of every pattern as ID's without a word, and `dashboard` told the user
to do just that (`--pattern NAME`). Now `analyze` notes the column with its `--column`
mapping, and `dashboard` refuses the file naming it and the mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from child import run_python
from cli_runs import run

WINDOW = ["--start", "2026-11-01", "--end", "2026-11-30"]
ROWS = [("a", "2026-11-20T01:00:00Z", "true"), ("a", "2026-11-20T02:00:00Z", "false")] + [
    ("b", f"2026-11-2{day}T03:00:00Z", "true") for day in range(1, 4)
]


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def write_csv(path: Path, *id_columns: str) -> str:
    """The rows with each of `id_columns` holding the pattern id ("pattern_id" the field's
    own name), then a timestamp and success."""
    header = ",".join([*id_columns, "timestamp", "success"])
    lines = [",".join([*(p for _ in id_columns), t, s]) for p, t, s in ROWS]
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path.name


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if "usage-analytics: note: " in line]


@pytest.mark.parametrize(
    ("column", "mapping"),
    [
        ("pattern id", "'pattern_id=pattern id'"),
        ("Pattern-Id", "pattern_id=Pattern-Id"),
        ("patternId", "pattern_id=patternId"),
    ],
)
def test_analyze_notes_an_id_column_spelled_otherwise_with_its_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, column: str, mapping: str
) -> None:
    source = write_csv(tmp_path / "runs.csv", column)
    code, out, err = run(capsys, "analyze", source, "--pattern", "a", *WINDOW)
    assert code == 0, err
    assert notes(err) == [
        f"usage-analytics: note: column {column!r} of runs.csv is not read as the record "
        "field 'pattern_id', which is read by exact name only: without a pattern_id "
        "column, every record of runs.csv is taken as pattern 'a'. Rename the column: "
        f"{{{column!r}: 'pattern_id'}}, or map it: --column {mapping}"
    ]
    # (The report is still the file's records as the pattern's, as the note says.)
    code, out, _ = run(capsys, "analyze", source, "--pattern", "a", *WINDOW, "--format", "json")
    assert json.loads(out)["usage_metrics"]["total_executions"] == len(ROWS)


@pytest.mark.parametrize("column", ["pattern id", "Pattern-Id", "patternId"])
def test_dashboard_refuses_an_id_column_spelled_otherwise_naming_its_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, column: str
) -> None:
    source = write_csv(tmp_path / "runs.csv", column)
    mapping = f"pattern_id={column}"
    shown = f"'{mapping}'" if " " in column else mapping
    for window in ([], WINDOW):  # (the window from the records, or given)
        code, out, err = run(capsys, "dashboard", source, *window)
        assert (code, out) == (1, "")
        assert err == (
            "usage-analytics: error: runs.csv has no pattern_id column, so its records "
            f"cannot be told apart by pattern; its column {column!r} looks like one, but "
            "the field is read by exact name only: rename it 'pattern_id', or map it: "
            f"--column {shown}\n"
        )
    # The mapping the error offers reads the patterns.
    code, out, err = run(
        capsys, "dashboard", source, *WINDOW, "--column", mapping, "--format", "json"
    )
    assert (code, notes(err)) == (0, [])
    assert sorted(row["pattern_id"] for row in json.loads(out)["patterns"]) == ["a", "b"]


def test_a_parquet_file_and_a_directory_of_csv_files_are_told_of(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table = pa.table(
        {
            "Pattern ID": [p for p, _, _ in ROWS],
            "timestamp": [t for _, t, _ in ROWS],
            "success": [s == "true" for _, _, s in ROWS],
        }
    )
    pq.write_table(table, tmp_path / "runs.parquet")
    logs = tmp_path / "logs"
    logs.mkdir()
    write_csv(logs / "2026-11-20.csv", "Pattern ID")
    for source in ("runs.parquet", "logs"):
        code, _, err = run(capsys, "analyze", source, "--pattern", "a", *WINDOW)
        assert code == 0, err
        assert [f"column 'Pattern ID' of {source} is not read" in line for line in notes(err)] == [
            True
        ]
        code, _, err = run(capsys, "dashboard", source, *WINDOW)
        assert code == 1
        assert "its column 'Pattern ID' looks like one" in err, err
        assert "--column 'pattern_id=Pattern ID'" in err, err


def test_two_look_alikes_are_named_without_a_mapping_of_one_field_twice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "runs.csv", "pattern id", "PatternId")
    code, _, err = run(capsys, "analyze", source, "--pattern", "a", *WINDOW)
    assert code == 0, err
    assert notes(err) == [
        "usage-analytics: note: columns 'PatternId' and 'pattern id' of runs.csv are not "
        "read as the record field 'pattern_id', which is read by exact name only: without "
        "a pattern_id column, every record of runs.csv is taken as pattern 'a'. Rename one "
        "of them to 'pattern_id', or map it: --column pattern_id=COLUMN"
    ]
    code, _, err = run(capsys, "dashboard", source, *WINDOW)
    assert code == 1
    assert err.endswith(
        "its columns 'PatternId' and 'pattern id' look like one, but the field is read by "
        "exact name only: rename one of them to 'pattern_id', or map it: "
        "--column pattern_id=COLUMN\n"
    )


@pytest.mark.parametrize(
    "columns",
    [
        ("Pattern_ID",),  # (read as the pattern id: a column named so but for case)
        ("pattern_id", "pattern id"),  # (the field's own column is there)
        ("pattern",),  # (not a spelling of pattern_id: a file of one pattern's records)
    ],
)
def test_no_note_where_the_id_is_read_or_nothing_looks_like_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, columns: tuple[str, ...]
) -> None:
    source = write_csv(tmp_path / "runs.csv", *columns)
    code, _, err = run(capsys, "analyze", source, "--pattern", "a", *WINDOW)
    assert (code, notes(err)) == (0, []), err


def test_a_json_lines_key_is_told_of_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (Its keys are told of by `cli.key_spellings`, which this does not repeat.)
    lines = [{"patternId": p, "timestamp": t, "success": s == "true"} for p, t, s in ROWS]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(one) + "\n" for one in lines))
    code, _, err = run(capsys, "analyze", "runs.jsonl", "--pattern", "a", *WINDOW)
    assert code == 0, err
    assert [line.count("'patternId'") > 0 for line in notes(err)] == [True]


def test_without_pyarrow_the_csv_column_is_told_of(tmp_path: Path) -> None:
    write_csv(tmp_path / "runs.csv", "pattern id")
    script = (
        "import sys\n"
        "sys.modules['pyarrow'] = None  # as if not installed\n"
        "from usage_analytics.cli import main\n"
        f"sys.exit(main(['analyze', 'runs.csv', '--pattern', 'a', *{WINDOW!r}]))\n"
    )
    done = run_python(script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [
        line.startswith("usage-analytics: note: column 'pattern id' of runs.csv")
        for line in notes(done.stderr)
    ] == [True]
