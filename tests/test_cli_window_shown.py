"""The window as the command shows it: the dashboard's heading (terminal and HTML), the
report's window line and the page's "Window" row all give the window's instants
exactly, seconds and fractions of a second where they have them, as the JSON does, and on
--tz's clocks, the clocks --start and --end are read on."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from cli_runs import other_than_an_empty_window
from usage_analytics.cli import main
from usage_analytics.report import window_bounds

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
    # (Some of these windows hold no record.)
    assert (code, other_than_an_empty_window(captured.err)) == (0, []), captured.err
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


#: Berlin's March, asked for on Berlin's clocks: 2026-02-28T23:00Z to 2026-03-31T22:00Z,
#: the clocks going forward on the 29th.
BERLIN = ["--start", "2026-03-01", "--end", "2026-03-31", "--tz", "Europe/Berlin"]
BERLIN_MARCH = "2026-03-01 00:00 to 2026-04-01 00:00 Europe/Berlin"


def test_the_headings_show_the_window_on_the_zones_clocks(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # (They showed the UTC instants: "2026-02-28 23:00 to 2026-03-31 22:00 UTC". The
    # window is an hour short of 31 days: the clocks went forward.)
    assert (
        f"{BERLIN_MARCH} (custom window)"
        in output(capsys, "dashboard", runs, *BERLIN).splitlines()[0]
    )
    table = output(capsys, "analyze", runs, "--pattern", "p", *BERLIN)
    assert f" {BERLIN_MARCH.replace(' to ', ' → ')} · 30.96 days" in table
    page = html.unescape(
        output(capsys, "analyze", runs, "--pattern", "p", "--format", "html", *BERLIN)
    )
    assert "<dt>Window (Europe/Berlin)</dt><dd>2026-03-01 00:00 → 2026-04-01 00:00</dd>" in page
    document = json.loads(
        output(capsys, "analyze", runs, "--pattern", "p", "--format", "json", *BERLIN)
    )
    assert document["time_window"]["start"] == "2026-02-28T23:00:00Z"


@pytest.mark.parametrize(
    ("start", "end", "zone", "shown"),
    [
        # Summer time, fractions kept; a zone west of UTC; UTC itself.
        (
            "2026-07-01T10:00:00.5Z",
            "2026-07-02T10:00:00Z",
            "Europe/Berlin",
            ("2026-07-01 12:00:00.5", "2026-07-02 12:00", "Europe/Berlin"),
        ),
        (
            "2026-01-01T05:00:00Z",
            "2026-01-02T05:00:00Z",
            "America/New_York",
            ("2026-01-01 00:00", "2026-01-02 00:00", "America/New_York"),
        ),
        (
            "2026-01-01T05:00Z",
            "2026-01-02T05:00Z",
            "UTC",
            ("2026-01-01 05:00", "2026-01-02 05:00", "UTC"),
        ),
        # Monrovia's clocks of 1970, 44 min 30 s behind UTC: every second kept.
        (
            "1970-01-01T00:00:00Z",
            "1970-01-02T00:00:00Z",
            "Africa/Monrovia",
            ("1969-12-31 23:15:30", "1970-01-01 23:15:30", "Africa/Monrovia"),
        ),
        # Clocks that cannot show the end within the year 9999: both bounds in UTC.
        (
            "9999-12-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "Asia/Tokyo",
            ("9999-12-01 00:00", "9999-12-31 23:59:59.999999", "UTC"),
        ),
    ],
)
def test_window_bounds(start: str, end: str, zone: str, shown: tuple[str, str, str]) -> None:
    parse = datetime.fromisoformat
    assert window_bounds(parse(start), parse(end), zone) == shown
