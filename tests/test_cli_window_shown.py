"""The window as the command shows it: the dashboard's heading (terminal and HTML), the
report's window line and the page's "Window (UTC)" all give the window's instants
exactly, seconds and fractions of a second where they have them, as the JSON does."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from usage_analytics.cli import main

#: The newest record ends the default window: half a minute and a quarter second past noon.
RECORDS = [
    '{"pattern_id": "p", "timestamp": "2026-11-20T12:00:30.25Z", "success": true}',
    '{"pattern_id": "p", "timestamp": "2026-11-10T08:00:00Z", "success": false}',
]
START, END = "2026-10-21 12:00:30.25", "2026-11-20 12:00:30.25"
END_JSON = "2026-11-20T12:00:30.250000Z"


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # (the heading on one line)
    monkeypatch.chdir(tmp_path)


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    return captured.out


@pytest.fixture
def runs(tmp_path: Path) -> str:
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(RECORDS) + "\n", encoding="utf-8")
    return path.name  # (in the working directory: a short heading, on one line)


def test_the_dashboard_heading_shows_the_window_exactly(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # (It was cut to the minute: "2026-10-21 12:00 to 2026-11-20 12:00 UTC".)
    expected = f"{START} to {END} UTC (monthly window)."
    table = output(capsys, "dashboard", runs)
    assert expected in table.splitlines()[0]
    page = output(capsys, "dashboard", runs, "--format", "html")
    (heading,) = re.findall(r'<p class="note page-heading">([^<]*)</p>', page)
    assert expected in html.unescape(heading)
    document = json.loads(output(capsys, "dashboard", runs, "--format", "json"))
    window = document["window"]
    assert (window["start"], window["end"]) == ("2026-10-21T12:00:30.250000Z", END_JSON)


def test_the_report_and_its_page_show_the_same_window(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # (Both cut the fraction: "12:00:30".)
    table = output(capsys, "analyze", runs, "--pattern", "p")
    assert f" {START} → {END} UTC · 30 days · monthly window" in table
    page = output(capsys, "analyze", runs, "--pattern", "p", "--format", "html")
    assert f"<dd>{START} → {END}</dd>" in html.unescape(page)
    document = json.loads(output(capsys, "analyze", runs, "--pattern", "p", "--format", "json"))
    assert document["time_window"]["end"] == END_JSON


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        # Whole minutes as before; seconds without a fraction; a single microsecond.
        (["--start", "2026-11-01", "--end", "2026-11-30"], "2026-11-01 00:00 to 2026-12-01 00:00"),
        (
            ["--start", "2026-11-01T00:00:05Z", "--end", "2026-11-30"],
            "00:00:05 to 2026-12-01 00:00 ",
        ),
        (["--end", "2026-11-30T00:00:00.000001Z"], "to 2026-11-30 00:00:00.000001 UTC"),
    ],
)
def test_the_heading_writes_what_the_window_has(
    capsys: pytest.CaptureFixture[str], runs: str, options: list[str], shown: str
) -> None:
    assert shown in output(capsys, "dashboard", runs, *options).splitlines()[0]
