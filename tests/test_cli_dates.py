"""The command line's date options (`usage_analytics.cli.dates`): a date alone as a
window's end (--end, the demo's --now) includes that day; as its start, the day's first
instant. Date-times are read as given. (Without --tz, in UTC; test_cli_dates_zone.py has
them in --tz's zone.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_runs import other_than_an_empty_window, run
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)
from usage_analytics.cli.dates import END_OF_DATES, parse_end, parse_start

#: Fields of to_dict() that differ between two runs on the same data.
VOLATILE_SUMMARY = ("computation_time_ms", "computed_at")

NOVEMBER_1 = datetime(2026, 11, 1, tzinfo=UTC)
DECEMBER_1 = datetime(2026, 12, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)

#: Records of pattern "p" around November 2026; the comments say which of them the
#: window --start 2026-11-01 --end 2026-11-30 (all of November) holds.
TIMES = [
    NOVEMBER_1 - TICK,  # no: October
    NOVEMBER_1,  # yes: the first instant
    datetime(2026, 11, 15, 12, tzinfo=UTC),  # yes
    datetime(2026, 11, 30, tzinfo=UTC),  # yes: the 30th, left out when the end was 00:00
    datetime(2026, 11, 30, 18, 30, tzinfo=UTC),  # yes: ditto
    DECEMBER_1 - TICK,  # yes: the 30th's last microsecond
    DECEMBER_1,  # yes: the window's end instant (the design's window is closed)
    DECEMBER_1 + TICK,  # no: December
]


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)  # (`demo` writes its SQLite file to the working directory)


def records() -> list[dict[str, Any]]:
    return [
        {"pattern_id": "p", "timestamp": moment, "success": n % 3 != 0, "agent": f"a{n % 4}"}
        for n, moment in enumerate(TIMES)
    ]


@pytest.fixture
def runs(tmp_path: Path) -> str:
    path = tmp_path / "runs.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        for record in records():
            stream.write(json.dumps({**record, "timestamp": record["timestamp"].isoformat()}))
            stream.write("\n")
    return str(path)


def analyzed(capsys: pytest.CaptureFixture[str], runs: str, *window: str) -> dict[str, Any]:
    code, out, err = run(capsys, "analyze", runs, "--pattern", "p", *window, "--format", "json")
    assert (code, other_than_an_empty_window(err)) == (0, []), err
    document: dict[str, Any] = json.loads(out)
    return document


def library(start: datetime, end: datetime, kind: TimeWindowType) -> dict[str, Any]:
    """What the library gives for the records over [start, end]."""
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=end,
        time_window_type=kind,
        granularity=AnalyticsGranularity.DETAILED,
        execution_data=records(),
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(contract).to_dict()
    return without_volatile(result)


def without_volatile(document: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = json.loads(json.dumps(document))
    for key in VOLATILE_SUMMARY:
        del cleaned["summary"][key]
    del cleaned["correlation_id"]
    return cleaned


def test_a_date_alone_as_the_end_includes_that_day(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # All of November, as an analyst writes it: the 30th was left out (the window ended
    # at its 00:00), and 29 days were analysed.
    document = analyzed(capsys, runs, "--start", "2026-11-01", "--end", "2026-11-30")
    assert document["time_window"]["start"] == "2026-11-01T00:00:00Z"
    assert document["time_window"]["end"] == "2026-12-01T00:00:00Z"
    assert document["usage_metrics"]["total_executions"] == 6
    assert document["data_quality"]["records_outside_window"] == 2
    # The numbers are the library's over the window the dates name.
    assert without_volatile(document) == library(NOVEMBER_1, DECEMBER_1, TimeWindowType.CUSTOM)


def test_one_date_as_start_and_end_is_that_day(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # (It was an error: "the window end ... must be after its start".)
    document = analyzed(capsys, runs, "--start", "2026-11-30", "--end", "2026-11-30")
    assert document["time_window"]["start"] == "2026-11-30T00:00:00Z"
    assert document["time_window"]["end"] == "2026-12-01T00:00:00Z"
    assert document["usage_metrics"]["total_executions"] == 4


def test_a_date_alone_as_the_only_bound_ends_the_default_30_days_with_that_day(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    document = analyzed(capsys, runs, "--end", "2026-11-30")
    assert document["time_window"]["start"] == "2026-11-01T00:00:00Z"
    assert document["time_window"]["end"] == "2026-12-01T00:00:00Z"
    assert document["time_window"]["type"] == "monthly"
    assert without_volatile(document) == library(NOVEMBER_1, DECEMBER_1, TimeWindowType.MONTHLY)


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2026-11-30T00:00Z", "2026-11-30T00:00:00Z"),
        ("2026-11-30T00:00", "2026-11-30T00:00:00Z"),
        ("2026-11-30T00:00+01:00", "2026-11-29T23:00:00Z"),
        ("2026-11-30 18:30:00", "2026-11-30T18:30:00Z"),
    ],
)
def test_a_date_time_as_the_end_is_that_instant(
    capsys: pytest.CaptureFixture[str], runs: str, end: str, expected: str
) -> None:
    document = analyzed(capsys, runs, "--start", "2026-11-01", "--end", end)
    assert document["time_window"]["end"] == expected


def test_the_dashboard_reads_a_date_alone_as_analyze_does(
    capsys: pytest.CaptureFixture[str], runs: str, tmp_path: Path
) -> None:
    source = tmp_path / "many.jsonl"
    source.write_text(Path(runs).read_text(encoding="utf-8"), encoding="utf-8")
    window = ["--start", "2026-11-01", "--end", "2026-11-30"]
    code, out, err = run(capsys, "dashboard", str(source), *window, "--format", "json")
    assert (code, err) == (0, ""), err
    document = json.loads(out)
    assert document["window"]["end"] == "2026-12-01T00:00:00Z"
    code, out, err = run(capsys, "dashboard", str(source), *window)
    assert (code, err) == (0, ""), err
    assert "2026-11-01 00:00 to 2026-12-01 00:00 UTC" in " ".join(out.split())


def test_the_last_date_python_holds_ends_at_its_last_microsecond(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    # 9999-12-31 has no next day: `--end 9999-12-31` is "everything", not an overflow.
    assert parse_end("9999-12-31") == END_OF_DATES == datetime.max.replace(tzinfo=UTC)
    document = analyzed(capsys, runs, "--start", "9999-12-30", "--end", "9999-12-31")
    assert document["time_window"]["end"] == "9999-12-31T23:59:59.999999Z"


def test_an_end_before_the_start_names_the_dates_end(
    capsys: pytest.CaptureFixture[str], runs: str
) -> None:
    window = ["--start", "2026-12-01", "--end", "2026-11-30"]
    code, out, err = run(capsys, "analyze", runs, "--pattern", "p", *window)
    assert (code, out) == (2, "")
    assert err == (
        "usage-analytics: error: the window end (2026-12-01T00:00:00+00:00) must be after its "
        "start (2026-12-01T00:00:00+00:00); a date alone as --end includes that day, ending "
        "the window at the next day's 00:00 UTC\n"
    )


def test_the_demos_now_reads_a_date_alone_as_an_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo", "--db", "demo.sqlite", "--now", "2026-11-30")
    assert (code, err) == (0, ""), err
    assert "the 30 days up to 2026-12-01 00:00 UTC" in " ".join(out.split())


@pytest.mark.parametrize("command", ["analyze", "dashboard", "demo"])
def test_the_help_says_what_a_date_alone_means(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "a date alone includes that day" in text
    assert "on --tz's clocks (default UTC) unless it has an offset" in text
    assert "a time its clocks skip is read as the skip's end, one they show twice as the " in text
    if command != "demo":
        assert "a date alone is that day's first instant, 00:00" in text
        assert "(--start 2026-11-01 --end 2026-11-30: all of November)" in text


@given(st.dates(max_value=date.max - timedelta(days=1)))
def test_a_date_alone_ends_at_the_next_midnight(day: date) -> None:
    first = datetime.combine(day, time(), tzinfo=UTC)
    assert parse_start(day.isoformat()) == first
    assert parse_end(day.isoformat()) == first + timedelta(days=1)


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([None, UTC]),
    )
)
def test_a_date_time_is_the_same_instant_as_a_start_and_as_an_end(moment: datetime) -> None:
    for text in (moment.isoformat(), moment.isoformat(timespec="seconds")):
        assert parse_end(text) == parse_start(text)
        expected = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        assert parse_start(text) == expected.replace(
            microsecond=expected.microsecond if "." in text else 0
        )
