"""The times the HTML page shows besides the window (the activity chart's bars, axis and
description, the "computed" line) on the result's zone's clocks, named, as the headings
show the window (`report.on_clocks`, tests/test_cli_window_shown.py), and exact where a
bucket bound has a fraction of a second; the axis ticks short, on the same clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from day_reduction import reduce
from hypothesis import given
from hypothesis import strategies as st
from reference import bundled_zone
from test_html_charts import charts, section
from usage_analytics import ModelUsageAnalyticsOutput
from usage_analytics.html_report import render_html
from usage_analytics.report import on_clocks

#: Berlin's March 2026 in UTC: +01:00 to the 29th's 02:00, then +02:00.
BERLIN_MARCH = (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))


def hourly_runs(start: datetime, hours: int, **options: Any) -> ModelUsageAnalyticsOutput:
    """A run in the middle of each hour from `start`, in hourly buckets."""
    records = [
        {"timestamp": start + timedelta(hours=hour, minutes=30), "success": True}
        for hour in range(hours)
    ]
    return reduce(
        records,
        time_window_start=start,
        time_window_end=start + timedelta(hours=hours),
        bucket_width=timedelta(hours=1),
        **options,
    )


def activity(output: ModelUsageAnalyticsOutput) -> tuple[list[str], list[str], str, str]:
    """The activity chart's bar tooltips, axis labels, description and axis title."""
    (chart,) = charts(section(render_html(output), "activity"))
    tips = [rect.findtext("title", "") for rect in chart.findall("rect")]
    texts = chart.findall("text")
    ticks = [text.text or "" for text in texts if text.attrib["text-anchor"] == "middle"]
    return tips, ticks, chart.findtext("desc", ""), texts[-1].text or ""


def test_daily_bars_over_berlins_clock_change_are_labelled_on_berlins_clocks() -> None:
    # Days of 86,400 s from Berlin's March 1st: the clocks go forward on the 29th, whose
    # bucket then ends at 01:00, and the last (of two days less an hour) ends on April
    # 1st's midnight. (They were labelled in UTC a day early: "Feb 28", "Mar 4", ...,
    # the bars "2026-02-28 23:00 to 2026-03-01 23:00 UTC".)
    start, end = BERLIN_MARCH
    records = [{"timestamp": start + timedelta(days=day, hours=12)} for day in range(31)]
    output = reduce(
        records,
        time_window_start=start,
        time_window_end=end,
        bucket_width=timedelta(days=1),
        timezone="Europe/Berlin",
    )
    tips, ticks, description, axis = activity(output)
    assert len(tips) == 30
    assert tips[0] == "2026-03-01 00:00 to 2026-03-02 00:00 Europe/Berlin: 1 run (1.0/day)"
    assert tips[-2:] == [
        "2026-03-29 00:00 to 2026-03-30 01:00 Europe/Berlin: 1 run (1.0/day)",
        "2026-03-30 01:00 to 2026-04-01 00:00 Europe/Berlin: 2 runs (1.0/day)",
    ]
    assert ticks == [f"Mar {day}" for day in range(1, 30, 4)]  # (every fourth bar)
    assert description.startswith(
        "30 bars from 2026-03-01 00:00 to 2026-04-01 00:00 Europe/Berlin; "
    )
    assert axis == "runs per day, by bucket (Europe/Berlin)"
    # The page's heading shows the window as the chart does.
    page = render_html(output)
    assert "<dt>Window (Europe/Berlin)</dt><dd>2026-03-01 00:00 → 2026-04-01 00:00</dd>" in page


def test_a_fractional_bucket_bound_is_shown_exactly_and_its_tick_short() -> None:
    # (The tooltips cut the bounds to the second: "12:00:30 to 13:00:30 UTC".)
    start = datetime(2026, 3, 1, 12, 0, 30, 250_000, tzinfo=UTC)
    tips, ticks, description, axis = activity(hourly_runs(start, 24))
    assert tips[0] == "2026-03-01 12:00:30.25 to 2026-03-01 13:00:30.25 UTC: 1 run (24.0/day)"
    assert description.startswith(
        "24 bars from 2026-03-01 12:00:30.25 to 2026-03-02 12:00:30.25 UTC; "
    )
    assert ticks[:2] == ["Mar 1 12:00", "Mar 1 15:00"]  # (every third bar)
    assert axis == "runs per day, by bucket (UTC)"


def test_bars_west_of_utc_are_on_that_zones_clocks() -> None:
    # New York's January 15th, 05:00 UTC to 05:00 UTC. (Labelled "Jan 15 05:00", ...,
    # "Jan 16 02:00" in UTC.)
    start = datetime(2026, 1, 15, 5, tzinfo=UTC)
    tips, ticks, description, axis = activity(hourly_runs(start, 24, timezone="America/New_York"))
    assert tips[0] == "2026-01-15 00:00 to 2026-01-15 01:00 America/New_York: 1 run (24.0/day)"
    assert tips[-1].startswith("2026-01-15 23:00 to 2026-01-16 00:00 America/New_York: ")
    assert ticks == [f"Jan 15 {hour:02d}:00" for hour in range(0, 24, 3)]
    assert description.startswith(
        "24 bars from 2026-01-15 00:00 to 2026-01-16 00:00 America/New_York; "
    )
    assert axis == "runs per day, by bucket (America/New_York)"


def test_the_computed_at_line_is_on_the_zones_clocks_to_the_second() -> None:
    # (It was in UTC: "computed 2026-07-01 10:00:05 UTC", beside a window on Berlin's.)
    output = hourly_runs(datetime(2026, 7, 1, tzinfo=UTC), 2, timezone="Europe/Berlin")
    computed = datetime(2026, 7, 1, 10, 0, 5, 500_000, tzinfo=UTC)
    page = render_html(output.model_copy(update={"computed_at": computed}))
    assert "· computed 2026-07-01 12:00:05 Europe/Berlin</p>" in page


def test_times_one_of_which_the_zones_clocks_cannot_show_are_all_on_utcs() -> None:
    # Tokyo's clocks are past 9999 at its end: every time of the chart on one clock.
    end = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    start = end - timedelta(days=1)
    assert on_clocks([start, end], "Asia/Tokyo") == (
        [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        "UTC",
    )
    # (The start alone it can show.)
    tokyo = datetime(9999, 12, 31, 8, 59, 59, 999_999)
    assert on_clocks([start], "Asia/Tokyo") == ([tokyo], "Asia/Tokyo")


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@given(
    st.sampled_from(ZONES),
    st.datetimes(datetime(1971, 1, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
)
def test_times_are_shown_as_the_zones_clocks_show_them(zone: str, instant: datetime) -> None:
    # Against Python's zoneinfo of the `tzdata` package (the core's tz release).
    # (The wall times alone: which have their offset, tests/test_times_shown_twice.py.)
    expected = instant.astimezone(bundled_zone(zone)).replace(tzinfo=None)
    for value in (instant, instant.replace(tzinfo=None)):  # (naive: UTC)
        (shown,), clocks = on_clocks([value], zone)
        assert (shown.replace(tzinfo=None), clocks) == (expected, zone)
