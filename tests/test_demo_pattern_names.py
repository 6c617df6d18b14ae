"""`usage-analytics demo` writes its patterns' names as their ids: the names its table
shows are the ones to pass to `analyze --pattern`, and the ones `dashboard` shows of its
file. (Its SQLite file held the library's demo UUIDs: `analyze ... --pattern
ci-failure-triage`, the name the table showed, was refused listing UUIDs.)"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_runs import run
from source_cases import demo_rows
from usage_analytics.demo import DEMO_PATTERNS
from usage_analytics.sources.sqlite_table import write_executions_sync

NOW_ARG = "2026-03-03T14:00Z"
NAMES = {pattern.name for pattern in DEMO_PATTERNS}


def first_cells(table: str) -> list[str]:
    """The first cell of each row of the dashboard table that starts `table`."""
    lines = table.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("PATTERN"))
    return [line.split()[0] for line in lines[header + 2 : header + 2 + len(DEMO_PATTERNS)]]


def test_the_names_the_demo_shows_are_the_ids_of_its_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    database = tmp_path / "demo.sqlite"
    code, demo, _ = run(capsys, "demo", "--now", NOW_ARG, "--db", str(database))
    assert code == 0
    shown = first_cells(demo)
    assert set(shown) == NAMES
    code, out, err = run(
        capsys, "analyze", str(database), "--pattern", "ci-failure-triage", "--format", "json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["pattern_id"] == "ci-failure-triage"
    code, dashboard, _ = run(capsys, "dashboard", str(database))
    assert code == 0
    assert first_cells(dashboard) == shown  # (the same rows, in the same order)
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT DISTINCT pattern_id FROM pattern_analytics")
        assert {row[0] for row in stored} == NAMES


def test_a_file_of_an_earlier_demo_holding_uuids_is_rewritten(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The ids an earlier demo wrote are the demo's own still: not "other data" to keep.
    database = tmp_path / "demo.sqlite"
    write_executions_sync(database, demo_rows())
    code, _, err = run(capsys, "demo", "--now", NOW_ARG, "--db", str(database))
    assert (code, err) == (0, "")
    with sqlite3.connect(database) as connection:
        ids = connection.execute("SELECT DISTINCT pattern_id FROM pattern_executions")
        assert {row[0] for row in ids} == NAMES
