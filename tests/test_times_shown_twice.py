"""Times the clocks show twice, in the hour repeated when they go back (Berlin's
2026-10-25 02:00 to 03:00, at +02:00 and then at +01:00), are written with their offset,
and only they: the chart's bars, ticks and description, the headings' window (terminal,
page, dashboard) and the page's "computed" line, all through `report.on_clocks`. (Hourly
bars read "2026-10-25 02:00 to 2026-10-25 02:00 Europe/Berlin", an hour that was not
told apart from the next.)"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from reference import bundled_zone
from test_html_times_shown import activity, hourly_runs
from usage_analytics.cli import main
from usage_analytics.html_report import render_html
from usage_analytics.report import on_clocks, render_report, window_bounds

#: Berlin's clocks go back from 03:00 (+02:00) to 02:00 (+01:00) at 01:00Z.
BERLIN_BACK = datetime(2026, 10, 25, 1, tzinfo=UTC)
#: New York's go back from 02:00 (-04:00) to 01:00 (-05:00) at 06:00Z.
NEW_YORK_BACK = datetime(2026, 11, 1, 6, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_hourly_bars_over_berlins_repeated_hour_tell_its_two_passes_apart() -> None:
    output = hourly_runs(BERLIN_BACK - 3 * HOUR, 5, timezone="Europe/Berlin")
    tips, _, description, _ = activity(output)
    assert [tip.split(" Europe/Berlin:")[0] for tip in tips] == [
        "2026-10-25 00:00 to 2026-10-25 01:00",
        "2026-10-25 01:00 to 2026-10-25 02:00 +02:00",
        "2026-10-25 02:00 +02:00 to 2026-10-25 02:00 +01:00",
        "2026-10-25 02:00 +01:00 to 2026-10-25 03:00",
        "2026-10-25 03:00 to 2026-10-25 04:00",
    ]
    assert description.startswith(
        "5 bars from 2026-10-25 00:00 to 2026-10-25 04:00 Europe/Berlin; "
    )


def test_a_tick_in_the_repeated_hour_has_its_offset() -> None:
    # Every third bar's start is a tick: the first, in each pass of 02:00.
    for start, ticks_shown in [
        (BERLIN_BACK - HOUR, ["Oct 25 02:00 +02:00", "Oct 25 04:00"]),
        (BERLIN_BACK, ["Oct 25 02:00 +01:00", "Oct 25 05:00"]),
    ]:
        _, ticks, description, _ = activity(hourly_runs(start, 24, timezone="Europe/Berlin"))
        assert ticks[:2] == ticks_shown
        assert description.startswith(f"24 bars from 2026-10-25 {ticks_shown[0][7:]} to ")


def test_new_yorks_repeated_hour_has_its_offsets_west_of_utc() -> None:
    output = hourly_runs(NEW_YORK_BACK - 2 * HOUR, 4, timezone="America/New_York")
    tips, _, _, _ = activity(output)
    assert [tip.split(" America/New_York:")[0] for tip in tips] == [
        "2026-11-01 00:00 to 2026-11-01 01:00 -04:00",
        "2026-11-01 01:00 -04:00 to 2026-11-01 01:00 -05:00",
        "2026-11-01 01:00 -05:00 to 2026-11-01 02:00",
        "2026-11-01 02:00 to 2026-11-01 03:00",
    ]


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        # A start in each pass of the hour, an end in the second; a fraction kept.
        (BERLIN_BACK - HOUR / 2, BERLIN_BACK + HOUR, ("02:30 +02:00", "03:00")),
        (BERLIN_BACK + HOUR / 2, BERLIN_BACK + 23 * HOUR, ("02:30 +01:00", "01:00")),
        (
            BERLIN_BACK - 2 * HOUR,
            BERLIN_BACK + timedelta(minutes=59, seconds=59, microseconds=500_000),
            ("01:00", "02:59:59.5 +01:00"),
        ),
        # A bound just past the hour: none.
        (
            BERLIN_BACK - 2 * HOUR - timedelta(microseconds=1),
            BERLIN_BACK + HOUR,
            ("00:59:59.999999", "03:00"),
        ),
    ],
)
def test_a_window_bound_in_the_repeated_hour_has_its_offset(
    start: datetime, end: datetime, shown: tuple[str, str]
) -> None:
    first, last, clocks = window_bounds(start, end, "Europe/Berlin")
    assert (first[11:], last[11:], clocks) == (*shown, "Europe/Berlin")


def test_the_report_and_page_headings_show_the_offset() -> None:
    start = BERLIN_BACK + HOUR / 2  # (02:30 +01:00)
    output = hourly_runs(start, 24, timezone="Europe/Berlin")
    computed = BERLIN_BACK + timedelta(minutes=15, seconds=5)
    output = output.model_copy(update={"computed_at": computed})
    window = "2026-10-25 02:30 +01:00 → 2026-10-26 02:30"
    assert f" {window} Europe/Berlin · 1 day" in render_report(output, width=120)
    page = html.unescape(render_html(output))
    assert f"<dt>Window (Europe/Berlin)</dt><dd>{window}</dd>" in page
    assert "· computed 2026-10-25 02:15:05 +01:00 Europe/Berlin</p>" in page


def test_the_dashboard_heading_shows_the_offset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # (the heading on one line)
    monkeypatch.chdir(tmp_path)
    path = Path("runs.jsonl")
    record = '{"pattern_id": "p", "timestamp": "2026-11-01T06:00Z", "success": true}\n'
    path.write_text(record, encoding="utf-8")
    argv = ["dashboard", str(path), "--tz", "America/New_York", "--start", "2026-11-01T05:30Z"]
    code = main([*argv, "--end", "2026-11-01T06:30Z"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    heading = captured.out.splitlines()[0]
    assert "2026-11-01 01:30 -04:00 to 2026-11-01 01:30 -05:00 America/New_York" in heading


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # (its clocks go back half an hour)
    "Pacific/Chatham",  # (+13:45, +12:45)
    "America/St_Johns",  # (-02:30, -03:30)
    "Asia/Kolkata",  # (none since 1945)
    "UTC",
]


@cache
def changes(zone: str) -> list[datetime]:
    """The instants `zone`'s offset changes at, 1971-2037, by zoneinfo (a day apart at
    least: found day by day, then to the second)."""
    tz = bundled_zone(zone)
    found = []
    day = datetime(1971, 1, 1, tzinfo=UTC)
    while day.year < 2038:
        after = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            low, high = 0, 86_400  # (seconds into the day: the day's offset until `high`)
            while high - low > 1:
                middle = (low + high) // 2
                moment = day + timedelta(seconds=middle)
                same = moment.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(day + timedelta(seconds=high))
        day = after
    return found


@st.composite
def zoned_instants(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone, and an instant near one of its changes (half of them) or anywhere."""
    zone = draw(st.sampled_from(ZONES))
    near: bool = draw(st.booleans())
    if near and changes(zone):
        change = draw(st.sampled_from(changes(zone)))
        seconds = draw(st.integers(-3 * 3_600, 3 * 3_600))
        return zone, change + timedelta(seconds=seconds, microseconds=draw(st.integers(0, 1)))
    instant = draw(st.datetimes(datetime(1971, 1, 1), datetime(2037, 12, 31)))
    return zone, instant.replace(tzinfo=UTC)


@given(zoned_instants())
def test_exactly_the_times_the_clocks_show_twice_have_an_offset(
    zoned: tuple[str, datetime],
) -> None:
    # Against Python's zoneinfo of the `tzdata` package (the core's tz release): a wall
    # time is shown twice where its other fold has another offset.
    zone, instant = zoned
    local = instant.astimezone(bundled_zone(zone))
    twice = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    (shown,), clocks = on_clocks([instant], zone)
    assert clocks == zone
    assert shown.replace(tzinfo=None) == local.replace(tzinfo=None)
    assert shown.utcoffset() == (local.utcoffset() if twice else None)
