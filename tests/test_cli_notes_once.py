"""The command shows each of the library's notes once (`cli._warnings_as_notes`): it
reduces a source more than once (the pass finding the window's end, then the report's;
without pyarrow a CSV file's records reach the library as each pattern's list), and each
reduction warned of the same column, so one `executionTimeMs` column was noted two to
seven times, the same line. Notes of other words are each still shown."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from child import run_python
from cli_runs import run
from usage_analytics.cli import _warnings_as_notes
from usage_analytics.errors import ColumnNameWarning, TimestampUnitWarning

#: Three patterns, and a column that looks like `execution_time_ms`.
CSV = "pattern_id,timestamp,success,Execution Time Ms\n" + "".join(
    f"{p},2026-11-2{day}T0{day}:00:00Z,true,5\n" for day, p in enumerate("aabbc", 1)
)
NOTE = (
    "usage-analytics: note: {what} 'Execution Time Ms' is not read as the record field "
    "'execution_time_ms'"
)


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs.csv").write_text(CSV, encoding="utf-8")


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("usage-analytics: note: ")]


@pytest.mark.parametrize("command", [["analyze", "--pattern", "a"], ["dashboard"]])
@pytest.mark.parametrize("window", [[], ["--start", "2026-11-01", "--end", "2026-11-30"]])
def test_a_column_is_noted_once(
    capsys: pytest.CaptureFixture[str], command: list[str], window: list[str]
) -> None:
    code, _, err = run(capsys, command[0], "runs.csv", *command[1:], *window)
    assert code == 0, err
    (note,) = notes(err)
    assert note.startswith(NOTE.format(what="column")), note


@pytest.mark.parametrize("command", [["analyze", "--pattern", "a"], ["dashboard"]])
def test_without_pyarrow_a_column_is_noted_once(tmp_path: Path, command: list[str]) -> None:
    # (The standard library's reader: each pattern's records a list of dicts, whose
    # first record's keys the library tells of, a reduction each.)
    script = (
        "import sys\n"
        "sys.modules['pyarrow'] = None  # as if not installed\n"
        "from usage_analytics.cli import main\n"
        f"sys.exit(main([{command[0]!r}, 'runs.csv', *{command[1:]!r}]))\n"
    )
    done = run_python(script, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (note,) = notes(done.stderr)
    assert note.startswith(NOTE.format(what="the first record's key")), note


def test_notes_of_other_words_are_each_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with _warnings_as_notes():
        for _ in range(3):
            warnings.warn(ColumnNameWarning("column 'A' ...", {"A": "agent"}), stacklevel=1)
            warnings.warn(ColumnNameWarning("column 'B' ...", {"B": "agent"}), stacklevel=1)
            warnings.warn(TimestampUnitWarning("seconds ..."), stacklevel=1)
    assert capsys.readouterr().err.splitlines() == [
        "usage-analytics: note: column 'A' ..., or map it: --column agent=A",
        "usage-analytics: note: column 'B' ..., or map it: --column agent=B",
        "usage-analytics: note: seconds ...",
    ]
