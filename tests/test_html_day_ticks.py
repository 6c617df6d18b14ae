"""The activity chart's day ticks (bars of a day or more): each bar is labelled with the
day it mostly covers, the date of the local midnight nearest its start, on the chart's
clocks (`html_charts._bar_day`). By its start's date, a daily bar from 23:00 was labelled
with the day before the one it mostly is: a window starting at 23:00 was charted a day
early, and one crossing a change of the clocks skipped or repeated a day on its axis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from day_reduction import reduce
from test_html_times_shown import activity
from usage_analytics.html_charts import _bar_day

DAY = timedelta(days=1)


def daily_ticks(start: datetime, days: int, zone: str = "UTC") -> tuple[list[str], list[str]]:
    """The bar tooltips and axis labels of `days` daily buckets from `start`, a run at
    each bucket's start."""
    records = [{"timestamp": start + day * DAY, "success": True} for day in range(days)]
    output = reduce(
        records,
        time_window_start=start,
        time_window_end=start + days * DAY,
        bucket_width=DAY,
        timezone=zone,
    )
    tips, ticks, _, _ = activity(output)
    return tips, ticks


def test_a_window_starting_at_23_00_labels_each_bar_with_the_next_day() -> None:
    # The demo's 30 days up to now, at 23:00: each bar is 23:00 to 23:00, an hour of its
    # start's day and 23 of the next. (The axis read "Mar 1", "Mar 5", ...: a day early.)
    tips, ticks = daily_ticks(datetime(2026, 3, 1, 23, tzinfo=UTC), 30)
    assert tips[0].startswith("2026-03-01 23:00 to 2026-03-02 23:00 UTC: ")
    assert ticks == [f"Mar {day}" for day in range(2, 31, 4)]


def test_berlins_spring_change_neither_skips_nor_repeats_a_day() -> None:
    # From Berlin's 23:00 (+01:00): after the clocks go forward on the 29th, the bars
    # start at midnight. (The axis read "Mar 25" then "Mar 30", five days on for four.)
    start = datetime(2026, 3, 1, 22, tzinfo=UTC)
    tips, ticks = daily_ticks(start, 30, "Europe/Berlin")
    assert tips[27].startswith("2026-03-28 23:00 to 2026-03-30 00:00 Europe/Berlin: ")
    assert tips[28].startswith("2026-03-30 00:00 to 2026-03-31 00:00 Europe/Berlin: ")
    assert ticks == [f"Mar {day}" for day in range(2, 31, 4)]


def test_berlins_autumn_change_neither_skips_nor_repeats_a_day() -> None:
    # From Berlin's midnight (+02:00): after the clocks go back on the 25th, the bars
    # start at 23:00 the day before. (The axis read "Oct 25" then "Oct 28", three days on
    # for four.)
    start = datetime(2026, 10, 1, 22, tzinfo=UTC)  # (October 2nd, 00:00 in Berlin)
    tips, ticks = daily_ticks(start, 30, "Europe/Berlin")
    assert tips[23].startswith("2026-10-25 00:00 to 2026-10-25 23:00 Europe/Berlin: ")
    assert tips[24].startswith("2026-10-25 23:00 to 2026-10-26 23:00 Europe/Berlin: ")
    assert ticks == [f"Oct {day}" for day in range(2, 31, 4)]


def test_bars_starting_before_noon_keep_their_starts_day() -> None:
    # Midnight, and an hour or eleven after it: the day the bar starts on (as before).
    for hour in (0, 1, 11):
        _, ticks = daily_ticks(datetime(2026, 3, 1, hour, tzinfo=UTC), 30)
        assert ticks == [f"Mar {day}" for day in range(1, 30, 4)], hour


def test_bars_starting_at_noon_are_labelled_with_the_next_day() -> None:
    # Half of each day is the start's, half the next's: the nearest midnight, rounded up.
    _, ticks = daily_ticks(datetime(2026, 3, 1, 12, tzinfo=UTC), 30)
    assert ticks == [f"Mar {day}" for day in range(2, 31, 4)]


def test_weekly_bars_are_labelled_with_the_day_they_start_on() -> None:
    # Longer bars: their start's day, rounded to the nearest midnight as a day's bar is
    # (not their middle's: the weeks from Monday March 2nd are "Mar 2", "Mar 9", ...).
    start = datetime(2026, 3, 1, 23, tzinfo=UTC)
    records = [{"timestamp": start + day * DAY, "success": True} for day in range(56)]
    output = reduce(
        records,
        time_window_start=start,
        time_window_end=start + 56 * DAY,
        bucket_width=7 * DAY,
    )
    _, ticks, _, _ = activity(output)
    assert ticks == ["Mar 2", "Mar 9", "Mar 16", "Mar 23", "Mar 30", "Apr 6", "Apr 13", "Apr 20"]


def test_a_bar_starting_on_the_last_days_afternoon_keeps_that_day() -> None:
    # Its nearest midnight, 10000-01-01, is past Python's dates. (No window of daily
    # buckets the chart draws has such a bar: its last bar holds a day or more.)
    assert _bar_day(datetime(9999, 12, 31, 18)) == datetime(9999, 12, 31)
    assert _bar_day(datetime(9999, 12, 30, 18)) == datetime(9999, 12, 31)
