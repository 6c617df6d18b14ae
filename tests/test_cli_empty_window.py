"""A window that holds no record of the pattern (`analyze`) or of any pattern
(`dashboard`): the report is written as it was and the command exits 0 (an empty window
is a valid answer), with one note on stderr saying the window is empty and where the
newest record is (`cli.empty_window`). It said nothing: a full EMERGING report of zeros."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_runs import run

RECORDS = (
    "pattern_id,timestamp,success,execution_time_ms\n"
    "P,2026-11-01T10:00:00Z,true,12\n"
    "P,2026-11-03T12:00:00Z,true,20\n"
    "Q,2026-11-04T12:00:00Z,false,20\n"
)
EMPTY = ("--start", "2020-01-01", "--end", "2020-01-02")
SPAN = "the window 2020-01-01 00:00 to 2020-01-03 00:00 UTC"
HINT = "pass --start and --end to choose another window"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    path = tmp_path / "runs.csv"
    path.write_text(RECORDS)
    return path


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table pattern_executions (pattern_id, timestamp, success)")
        connection.executemany(
            "insert into pattern_executions values (?, ?, 1)",
            [("P", "2026-11-01T10:00:00Z"), ("P", "2026-11-03T12:00:00Z")],
        )
        # (Without it, the command notes its absence too: `cli.index_hint`.)
        connection.execute("create index by_pattern on pattern_executions (pattern_id, timestamp)")
    connection.close()
    return path


def note(err: str) -> str:
    (line,) = err.splitlines()
    return line


def test_analyze_of_a_window_without_the_patterns_records_notes_it_and_its_newest(
    capsys: pytest.CaptureFixture[str], runs: Path
) -> None:
    code, out, err = run(capsys, "analyze", str(runs), "--pattern", "P", *EMPTY)
    assert code == 0
    assert "EMERGING" in out  # (the report, as it was)
    assert note(err) == (
        f"usage-analytics: note: none of the 2 records of P lies in {SPAN}; the newest "
        f"record of P is at 2026-11-03 12:00 UTC; {HINT}"
    )
    # stdout is the report alone, the same with the note or without.
    assert "note" not in out


def test_a_database_sends_only_the_windows_records_so_none_are_counted(
    capsys: pytest.CaptureFixture[str], database: Path
) -> None:
    code, _, err = run(capsys, "analyze", str(database), "--pattern", "P", *EMPTY)
    assert code == 0
    assert note(err) == (
        f"usage-analytics: note: no record of P lies in {SPAN}; the newest record of P is "
        f"at 2026-11-03 12:00 UTC; {HINT}"
    )


def test_dashboard_of_a_window_without_any_record_notes_it(
    capsys: pytest.CaptureFixture[str], runs: Path, database: Path
) -> None:
    code, out, err = run(capsys, "dashboard", str(runs), *EMPTY)
    assert code == 0
    assert "No executions in the window" in out
    assert note(err) == (
        f"usage-analytics: note: none of the 3 records lies in {SPAN}; the newest record "
        f"is at 2026-11-04 12:00 UTC; {HINT}"
    )
    code, _, err = run(capsys, "dashboard", str(database), *EMPTY)
    assert code == 0
    assert note(err).startswith(f"usage-analytics: note: no record lies in {SPAN};")


def test_a_window_empty_once_invalid_records_are_skipped_counts_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The window holds no valid record: its invalid ones (counted invalid wherever they
    lie) are named as what may have been in it."""
    runs = tmp_path / "bad.csv"
    runs.write_text(
        "pattern_id,timestamp,execution_time_ms\n"
        "P,2020-01-01T10:00:00Z,-1\n"
        "P,2026-11-03T12:00:00Z,20\n"
    )
    argv = ("analyze", str(runs), "--pattern", "P", *EMPTY, "--on-invalid", "skip")
    code, _, err = run(capsys, *argv)
    assert code == 0
    assert note(err) == (
        f"usage-analytics: note: no valid record of P lies in {SPAN} (1 invalid record left "
        "out, wherever its timestamp lies, and 1 valid outside it); the newest record "
        f"of P is at 2026-11-03 12:00 UTC; {HINT}"
    )


@pytest.mark.parametrize("command", [("analyze", "--pattern", "P"), ("dashboard",)])
def test_a_window_with_a_record_is_not_noted(
    capsys: pytest.CaptureFixture[str], runs: Path, command: tuple[str, ...]
) -> None:
    window = ("--start", "2026-11-03", "--end", "2026-11-03")
    code, _, err = run(capsys, command[0], str(runs), *command[1:], *window)
    assert (code, err) == (0, "")


def test_a_pattern_without_any_record_is_still_an_error(
    capsys: pytest.CaptureFixture[str], runs: Path
) -> None:
    code, _, err = run(capsys, "analyze", str(runs), "--pattern", "Z", *EMPTY)
    assert code == 1
    assert "no records with pattern_id 'Z'" in err
    assert "note" not in err


def test_the_newest_record_is_shown_on_the_windows_clocks(
    capsys: pytest.CaptureFixture[str], runs: Path
) -> None:
    # (It was in UTC, with an offset, beside a window on --tz's clocks.)
    code, _, err = run(capsys, "analyze", str(runs), "--pattern", "P", *EMPTY, "--tz", "Asia/Tokyo")
    assert code == 0
    assert note(err) == (
        "usage-analytics: note: none of the 2 records of P lies in the window 2020-01-01 "
        "00:00 to 2020-01-03 00:00 Asia/Tokyo; the newest record of P is at 2026-11-03 "
        f"21:00 Asia/Tokyo; {HINT}"
    )
