"""Running the `usage-analytics` command in a test, as its entry point runs it."""

from __future__ import annotations

import pytest
from usage_analytics.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit code, standard output and standard error for `argv`."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
