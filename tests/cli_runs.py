"""Running the `usage-analytics` command in a test, as its entry point runs it."""

from __future__ import annotations

import pytest
from usage_analytics.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit code, standard output and standard error for `argv`."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def other_than_an_empty_window(err: str) -> list[str]:
    """The lines of `err` but the note of a window that holds no record
    (`cli.empty_window`, `test_cli_empty_window`): of the tests whose concern is not the
    records in their window (how the window is read or shown), which may hold none."""
    return [line for line in err.splitlines() if " lies in the window " not in line]


def other_than_an_index_note(err: str) -> list[str]:
    """The lines of `err` but the note of a database table without an index on its
    pattern id (`cli.index_hint`, `test_index_hint`): of the tests whose concern is not
    the table's layout, whose hand-made tables (as `.import` makes them) have none."""
    return [line for line in err.splitlines() if " has no index on its pattern id" not in line]
