"""The command line's date options in --tz's zone (`usage_analytics.cli.dates`): a date or
date-time without an offset is a time on that zone's clocks (a gap's time its end, a
fold's the earlier instant); one with an offset is that instant."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cli_runs import other_than_an_empty_window, run
from hypothesis import given
from hypothesis import strategies as st
from reference import bundled_zone
from usage_analytics.cli.dates import END_OF_DATES, parse_end, parse_start

BERLIN = "Europe/Berlin"
SAO_PAULO = "America/Sao_Paulo"
TICK = timedelta(microseconds=1)

#: Berlin's March 2026 (+01:00 to the 29th's 02:00, then +02:00) in UTC.
BERLIN_MARCH = (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)  # (`demo` writes its SQLite file to the working directory)


@pytest.fixture
def runs(tmp_path: Path) -> str:
    """Records of pattern "p" around Berlin's March 2026; the comments say which of them
    the window --tz Europe/Berlin --start 2026-03-01 --end 2026-03-31 holds."""
    start, end = BERLIN_MARCH
    times = [
        start - TICK,  # no: February in Berlin (in UTC, March was read from here on)
        start,  # yes: 2026-03-01T00:00+01:00
        datetime(2026, 3, 31, 21, 59, tzinfo=UTC),  # yes: the 31st, 23:59+02:00
        end,  # yes: the window's end instant (the design's window is closed)
        end + TICK,  # no: April in Berlin
    ]
    path = tmp_path / "runs.jsonl"
    lines = [
        json.dumps({"pattern_id": "p", "timestamp": t.isoformat(), "success": True}) for t in times
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def analyzed(capsys: pytest.CaptureFixture[str], runs: str, *options: str) -> dict[str, Any]:
    code, out, err = run(capsys, "analyze", runs, "--pattern", "p", *options, "--format", "json")
    assert (code, other_than_an_empty_window(err)) == (0, []), err
    document: dict[str, Any] = json.loads(out)
    return document


def test_a_date_alone_is_a_day_of_the_zone() -> None:
    # Winter (+01:00) and summer (+02:00) in Berlin.
    assert parse_start("2026-03-01", BERLIN) == BERLIN_MARCH[0]
    assert parse_end("2026-03-31", BERLIN) == BERLIN_MARCH[1]
    assert parse_start("2026-07-01", BERLIN) == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert parse_end("2026-07-01", BERLIN) == datetime(2026, 7, 1, 22, tzinfo=UTC)
    # (West of UTC, the day starts after UTC's.)
    assert parse_start("2026-07-01", "America/New_York") == datetime(2026, 7, 1, 4, tzinfo=UTC)


def test_a_date_time_without_an_offset_is_on_the_zones_clocks() -> None:
    assert parse_start("2026-01-15T12:00", BERLIN) == datetime(2026, 1, 15, 11, tzinfo=UTC)
    assert parse_end("2026-07-15 12:00:30", BERLIN) == datetime(2026, 7, 15, 10, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2026-03-01T00:00Z", "2026-03-01T00:00z", "2026-03-01T05:30+05:30", "2026-02-28T19:00-05:00"],
)
def test_an_explicit_offset_is_that_instant_whatever_the_zone(text: str) -> None:
    expected = datetime(2026, 3, 1, tzinfo=UTC)
    for zone in ("UTC", BERLIN, SAO_PAULO):
        assert parse_start(text, zone) == parse_end(text, zone) == expected


def test_a_day_whose_midnight_is_skipped_starts_at_the_gaps_end() -> None:
    # America/Sao_Paulo went from 00:00-03:00 to 01:00-02:00 on 2018-11-04: that day's
    # clocks started at 01:00, 03:00Z, which also ends the day before.
    first = datetime(2018, 11, 4, 3, tzinfo=UTC)
    assert parse_start("2018-11-04", SAO_PAULO) == first
    assert parse_start("2018-11-04", SAO_PAULO).isoformat() == "2018-11-04T01:00:00-02:00"
    assert parse_end("2018-11-03", SAO_PAULO) == first
    # A time within the gap is its end too.
    assert parse_start("2018-11-04T00:30", SAO_PAULO) == first
    # Berlin's 2026-03-29T02:00 (+01:00) was 03:00 (+02:00), at 01:00Z.
    assert parse_start("2026-03-29T02:30", BERLIN) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_a_time_shown_twice_is_the_earlier_instant() -> None:
    # Berlin's clocks went from 03:00 (+02:00) back to 02:00 (+01:00) at 2026-10-25T01:00Z:
    # 02:30 was shown at 00:30Z and at 01:30Z.
    assert parse_start("2026-10-25T02:30", BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_end("2026-10-25T02:30", BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_the_last_date_ends_at_the_zones_next_midnight_where_python_holds_it() -> None:
    # East of UTC the next midnight is an instant of 9999 in UTC; west of it, past Python's
    # dates: the last microsecond they hold, as in UTC.
    assert parse_end("9999-12-31", BERLIN) == datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert parse_end("9999-12-31", "Pacific/Kiritimati") == datetime(9999, 12, 31, 10, tzinfo=UTC)
    assert parse_end("9999-12-31", "America/New_York") == END_OF_DATES
    assert parse_end("9999-12-31", "UTC") == END_OF_DATES


def test_the_cli_reports_the_zones_days(capsys: pytest.CaptureFixture[str], runs: str) -> None:
    window = ["--start", "2026-03-01", "--end", "2026-03-31"]
    document = analyzed(capsys, runs, *window, "--tz", BERLIN)
    assert document["time_window"]["start"] == "2026-02-28T23:00:00Z"
    assert document["time_window"]["end"] == "2026-03-31T22:00:00Z"
    assert document["time_window"]["timezone"] == BERLIN
    assert document["usage_metrics"]["total_executions"] == 3
    assert document["data_quality"]["records_outside_window"] == 2
    # --tz may come first, and a zone's name in any case is the zone.
    again = analyzed(capsys, runs, "--tz", "europe/berlin", *window)
    assert again["time_window"] == document["time_window"]
    # Without --tz, UTC's March, as before.
    utc = analyzed(capsys, runs, *window)
    assert (utc["time_window"]["start"], utc["time_window"]["end"]) == (
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    )


def test_the_cli_reads_an_explicit_offset_as_given(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    window = ["--start", "2026-03-01T00:00Z", "--end", "2026-03-31T12:00+05:00"]
    document = analyzed(capsys, runs, *window, "--tz", BERLIN)
    assert document["time_window"]["start"] == "2026-03-01T00:00:00Z"
    assert document["time_window"]["end"] == "2026-03-31T07:00:00Z"


def test_the_dashboard_reads_the_zones_days(capsys: pytest.CaptureFixture[str], runs: str) -> None:
    window = ["--start", "2026-03-01", "--end", "2026-03-31", "--tz", BERLIN]
    code, out, err = run(capsys, "dashboard", runs, *window, "--format", "json")
    assert (code, err) == (0, ""), err
    document = json.loads(out)
    assert (document["window"]["start"], document["window"]["end"]) == (
        "2026-02-28T23:00:00Z",
        "2026-03-31T22:00:00Z",
    )


def test_the_demos_now_is_on_the_zones_clocks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "demo", "--db", "demo.sqlite", "--now", "2026-11-30", "--tz", BERLIN
    )
    assert (code, err) == (0, ""), err
    # (Shown on Berlin's clocks, as the report's window is: it was "2026-11-30 23:00 UTC".
    # Read in UTC, --now would show as "2026-12-01 01:00 Europe/Berlin".)
    assert "the 30 days up to 2026-12-01 00:00 Europe/Berlin" in " ".join(out.split())


def test_an_end_before_the_start_is_shown_on_the_zones_clocks(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    window = ["--start", "2026-12-01", "--end", "2026-11-30", "--tz", BERLIN]
    code, out, err = run(capsys, "analyze", runs, "--pattern", "p", *window)
    assert (code, out) == (2, "")
    assert err == (
        "usage-analytics: error: the window end (2026-12-01T00:00:00+01:00) must be after its "
        "start (2026-12-01T00:00:00+01:00); a date alone as --end includes that day, ending "
        "the window at the next day's 00:00 Europe/Berlin\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "zone"),
    [
        ("--end", "9999-12-31T23:30", "America/New_York"),  # 10000-01-01T04:30Z
        ("--start", "0001-01-01", BERLIN),  # 0000-12-31 in UTC
    ],
)
def test_a_time_of_the_zone_past_the_years_python_holds_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], runs: str, option: str, value: str, zone: str
) -> None:
    other = ["--start", "2026-01-01"] if option == "--end" else ["--end", "2026-01-01"]
    code, out, err = run(
        capsys, "analyze", runs, "--pattern", "p", option, value, *other, "--tz", zone
    )
    assert (code, out) == (2, "")
    assert err == (
        "usage-analytics: error: the window from --start/--end reaches past the years 1-9999 "
        "that can be analysed\n"
    )


def test_the_last_date_as_an_end_east_of_utc_is_analysed(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    document = analyzed(
        capsys, runs, "--start", "2026-01-01", "--end", "9999-12-31", "--tz", BERLIN
    )
    assert document["time_window"]["end"] == "9999-12-31T23:00:00Z"
    assert document["usage_metrics"]["total_executions"] == 5


# ----------------------------------------------------------------- against zoneinfo

#: Zones with summer time, a 30-minute one (Lord Howe), midnight changes (Sao Paulo,
#: Santiago) and a +12:45/+13:45 one (Chatham).
ZONES = [
    BERLIN,
    "America/New_York",
    SAO_PAULO,
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]


@cache
def changes(zone: str, year: int) -> tuple[datetime, ...]:
    """The UTC hours of `year` at which `zone`'s offset (by the `tzdata` package, the core's
    release) differs from the hour before's."""
    rules = bundled_zone(zone)
    hours = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=n) for n in range(366 * 24)]
    offsets = [hour.astimezone(rules).utcoffset() for hour in hours]
    return tuple(hours[n] for n in range(1, len(hours)) if offsets[n] != offsets[n - 1])


@st.composite
def wall_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and a wall-clock time, most within two hours of one of its clock changes
    (where the gaps and folds are), some anywhere."""
    zone = draw(st.sampled_from(ZONES))
    year = draw(st.integers(1971, 2037))
    near = changes(zone, year)
    if not near or draw(st.integers(0, 3)) == 0:  # (a quarter of them anywhere)
        return zone, draw(st.datetimes(datetime(year, 1, 1), datetime(year, 12, 31)))
    change = draw(st.sampled_from(near))
    # The wall-clock times around the change on the clocks of before it or after it.
    side = draw(st.sampled_from([change - timedelta(hours=1), change]))
    offset = side.astimezone(bundled_zone(zone)).utcoffset()
    assert offset is not None
    shift = timedelta(microseconds=draw(st.integers(-7200 * 10**6, 7200 * 10**6)))
    return zone, change.replace(tzinfo=None) + offset + shift


def shown(instant: datetime, rules: ZoneInfo) -> datetime:
    return instant.astimezone(rules).replace(tzinfo=None)


@given(wall_times())
def test_a_time_is_the_first_instant_the_zones_clocks_show_it_or_later(
    zoned: tuple[str, datetime],
) -> None:
    zone, wall = zoned
    rules = bundled_zone(zone)
    instant = parse_start(wall.isoformat(), zone)
    # (fold=0: in a fold, the earlier. In UTC, as an aware time whose offset depends on
    # its fold equals no time of another zone.)
    expected = wall.replace(tzinfo=rules).astimezone(UTC)
    if shown(expected, rules) == wall:  # the clocks show it
        assert instant == expected
        assert shown(instant, rules) == wall
    else:  # a gap: its end, the first instant past it
        assert shown(instant, rules) > wall > shown(instant - TICK, rules)
    assert parse_end(wall.isoformat(), zone) == instant


@given(st.sampled_from(ZONES), st.dates(date(1971, 1, 1), date(2037, 12, 30)))
def test_a_day_ends_where_the_next_one_starts(zone: str, day: date) -> None:
    following = (day + timedelta(days=1)).isoformat()
    assert parse_end(day.isoformat(), zone) == parse_start(following, zone)
    assert parse_start(day.isoformat(), zone) < parse_end(day.isoformat(), zone)
