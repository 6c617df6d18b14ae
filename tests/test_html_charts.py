"""The HTML report's charts drawn exactly: each chart of a real reduction, parsed as XML,
element by element (coordinates, tick labels, tooltips), against values worked out by
hand from the chart's layout (see each test's comment)."""

from __future__ import annotations

import locale
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from day_reduction import START, reduce
from usage_analytics import (
    HealthThresholds,
    ModelUsageAnalyticsOutput,
)
from usage_analytics.html_charts import _day_label
from usage_analytics.html_report import render_html


def section(document: str, section_id: str) -> str:
    start = document.index(f'id="{section_id}"')
    return document[start : document.index("</section>", start)]


def num(value: float) -> str:
    """A coordinate as the charts write it: one decimal at most, "200" not "200.0"."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def charts(markup: str) -> list[ET.Element]:
    """Every inline SVG of `markup`, parsed as XML (so each is well-formed XML too)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", markup, re.S)]


def drawn(chart: ET.Element) -> list[str]:
    """The chart's elements in order, one line each: the tag, its attributes as written,
    "> text" and "| title" (a tooltip)."""
    assert (chart.text or "").strip() == ""  # (no stray text between the elements)
    lines = []
    for element in chart:
        assert (element.tail or "").strip() == "", element.tail
        line = " ".join([element.tag] + [f"{k}={v}" for k, v in element.attrib.items()])
        if element.text:
            line += f" > {element.text}"
        for child in element:
            line += f" | {child.text}"
        lines.append(line)
    return lines


def daily_counts(counts: list[int]) -> ModelUsageAnalyticsOutput:
    records = [
        {"timestamp": START + timedelta(days=day, hours=1 + k), "success": True}
        for day, count in enumerate(counts)
        for k in range(count)
    ]
    return reduce(
        records,
        time_window_end=START + timedelta(days=len(counts)),
        bucket_width=timedelta(days=1),
    )


# ------------------------------------------------------------------------ activity


# Four daily buckets in a plot 930 wide (56 to 986) and 244 high (14 to 258): a bucket is
# 232.5 wide, drawn 1 narrower (a gap of 1); rates 6, 2, 0, 0 give ticks 0-2-4-6 (step 2,
# each 244 / 3 = 81.33 high). The OLS line through the midpoints (0.5, 6), (1.5, 2),
# (2.5, 0), (3.5, 0) has slope -2 and is 6 at day 0, so it meets zero at day 3
# (x = 56 + 3 * 232.5 = 753.5), where it is clipped. Labels at the bucket centres.
AXIS = [
    "line class=grid x1=56 x2=986 y1=258 y2=258",
    "text x=48 y=262 text-anchor=end > 0",
    "line class=grid x1=56 x2=986 y1=176.7 y2=176.7",
    "text x=48 y=180.7 text-anchor=end > 2",
    "line class=grid x1=56 x2=986 y1=95.3 y2=95.3",
    "text x=48 y=99.3 text-anchor=end > 4",
    "line class=grid x1=56 x2=986 y1=14 y2=14",
    "text x=48 y=18 text-anchor=end > 6",
]
DAYS = [
    "line class=axis x1=172.2 x2=172.2 y1=258 y2=263",
    "text x=172.2 y=278 text-anchor=middle > Mar 1",
    "line class=axis x1=404.8 x2=404.8 y1=258 y2=263",
    "text x=404.8 y=278 text-anchor=middle > Mar 2",
    "line class=axis x1=637.2 x2=637.2 y1=258 y2=263",
    "text x=637.2 y=278 text-anchor=middle > Mar 3",
    "line class=axis x1=869.8 x2=869.8 y1=258 y2=263",
    "text x=869.8 y=278 text-anchor=middle > Mar 4",
    "line class=axis x1=56 x2=986 y1=258 y2=258",
]
TITLE = "title > Executions per day over the window, with the fitted trend line"


def bar(x: str, day: int, count: int) -> str:
    y, height = {6: ("14", "244"), 2: ("176.7", "81.3"), 0: ("258", "0")}[count]
    return (
        f"rect x={x} y={y} width=231.5 height={height} fill=var(--blue) rx=1.5 | "
        f"2026-03-0{day} 00:00 to 2026-03-0{day + 1} 00:00 UTC: {count} runs ({count}.0/day)"
    )


def test_activity_chart_of_a_falling_series_clips_its_trend_line_at_zero() -> None:
    markup = section(render_html(daily_counts([6, 2, 0, 0])), "activity")
    (chart,) = charts(markup)
    assert chart.attrib["viewBox"] == "0 0 1000 300"
    assert chart.attrib["aria-label"] == TITLE.removeprefix("title > ")
    assert drawn(chart) == [
        TITLE,
        "desc > 4 bars from 2026-03-01 00:00 to 2026-03-05 00:00 UTC; trend abandoned, "
        "slope -2.00 runs/day per day.",
        *AXIS,
        bar("56.5", 1, 6),
        bar("289", 2, 2),
        bar("521.5", 3, 0),
        bar("754", 4, 0),
        *DAYS,
        "line x1=56 y1=14 x2=753.5 y2=258 stroke=var(--orange) stroke-width=3 "
        "stroke-linecap=round | Fitted trend: 6.0/day at the start, 0.0/day at the end "
        "(-2.00 per day)",
        "text x=56 y=296 text-anchor=start > runs per day, by bucket (UTC)",
    ]


def test_activity_chart_of_a_rising_series_starts_its_trend_line_where_it_is_zero() -> None:
    # The mirror image: slope +2, -2 at day 0, so zero at day 1 (x = 288.5), 6 at day 4.
    markup = section(render_html(daily_counts([0, 0, 2, 6])), "activity")
    (chart,) = charts(markup)
    assert drawn(chart) == [
        TITLE,
        "desc > 4 bars from 2026-03-01 00:00 to 2026-03-05 00:00 UTC; trend emerging, "
        "slope +2.00 runs/day per day.",
        *AXIS,
        bar("56.5", 1, 0),
        bar("289", 2, 0),
        bar("521.5", 3, 2),
        bar("754", 4, 6),
        *DAYS,
        "line x1=288.5 y1=258 x2=986 y2=14 stroke=var(--orange) stroke-width=3 "
        "stroke-linecap=round | Fitted trend: 0.0/day at the start, 6.0/day at the end "
        "(+2.00 per day)",
        "text x=56 y=296 text-anchor=start > runs per day, by bucket (UTC)",
    ]


def test_more_buckets_than_max_bars_are_merged_evenly() -> None:
    # 120 buckets of 6 h are 120 bars; one more bucket and they are drawn two to a bar
    # (61 bars, the last of one bucket), the note saying so.
    for buckets, bars, note in ((120, 120, None), (121, 61, "121 buckets of 6 h, drawn 2")):
        records = [{"timestamp": START + timedelta(hours=6 * i), "success": True}
                   for i in range(buckets)]  # fmt: skip
        output = reduce(
            records,
            time_window_end=START + timedelta(hours=6 * buckets),
            bucket_width=timedelta(hours=6),
        )
        markup = section(render_html(output), "activity")
        (chart,) = charts(markup)
        rects = chart.findall("rect")
        assert len(rects) == bars
        assert chart.findtext("desc", "").startswith(f"{bars} bars from ")
        if note is None:
            assert "to a bar" not in markup
        else:
            assert f'</svg><p class="note">{note} to a bar.</p><dl class="stats">' in markup
            # Each merged bar spans two buckets, 12 h, at 2 runs in 12 h: 4.0/day.
            first = rects[0].findtext("title")
            assert first == "2026-03-01 00:00 to 2026-03-01 12:00 UTC: 2 runs (4.0/day)"
            last = rects[-1].findtext("title")
            assert last == "2026-03-31 00:00 to 2026-03-31 06:00 UTC: 1 run (4.0/day)"


def test_rate_axis_labels_in_thousands_and_millions() -> None:
    # One run in a one-second window: 86,400 a day, on steps of 25,000 ("25k"); twelve:
    # 1,036,800 a day, on steps of 500,000 ("1.5M"); below 10,000 written out in full.
    for runs, seconds, labels in (
        (1, 1, ["0", "25k", "50k", "75k", "100k"]),
        (12, 1, ["0", "500k", "1M", "1.5M"]),
        (1, 10, ["0", "2,500", "5,000", "7,500", "10k"]),
    ):
        output = reduce(
            [{"timestamp": START, "success": True}] * runs,
            time_window_end=START + timedelta(seconds=seconds),
        )
        (chart,) = charts(section(render_html(output), "activity"))
        found = [t.text for t in chart.findall("text") if t.get("text-anchor") == "end"]
        assert found == labels, (runs, seconds)
        rate = f"{runs * 86_400 // seconds:,}.0/day"
        assert chart.findall("rect")[0].findtext("title", "").endswith(f"({rate})")


def test_rate_axis_steps_are_round_and_reach_the_peak() -> None:
    # A peak of 8 runs a day over 4 intervals is a step of exactly 2 (a step reached, not
    # passed); 9 is 2.25, rounded up to 2.5 (whole numbers are not needed for rates);
    # 3 is 0.75 (a step of 1 with 0.75 below 1).
    for runs, labels in (
        (8, ["0", "2", "4", "6", "8"]),
        (9, ["0", "2.5", "5", "7.5", "10"]),
        (3, ["0", "1", "2", "3"]),
    ):
        (chart,) = charts(section(render_html(daily_counts([runs])), "activity"))
        found = [t.text for t in chart.findall("text") if t.get("text-anchor") == "end"]
        assert found == labels, runs


def test_buckets_shorter_than_a_day_are_labelled_with_their_start_time() -> None:
    # Four 6-hour buckets: each label at its bar's start (x = 56 + 232.5 k), with the time.
    output = reduce([{"timestamp": START, "success": True}], bucket_width=timedelta(hours=6))
    (chart,) = charts(section(render_html(output), "activity"))
    labels = [(t.get("x"), t.text) for t in chart.findall("text")
              if t.get("text-anchor") == "middle"]  # fmt: skip
    assert labels == [
        ("56", "Mar 1 00:00"),
        ("288.5", "Mar 1 06:00"),
        ("521", "Mar 1 12:00"),
        ("753.5", "Mar 1 18:00"),
    ]
    # A 16-hour bucket and a 31-hour one (the remainder of 47 hours): the first bucket's
    # width says the labels need their time.
    uneven = reduce(
        [{"timestamp": START, "success": True}],
        time_window_end=START + timedelta(hours=47),
        bucket_width=timedelta(hours=16),
    )
    (chart,) = charts(section(render_html(uneven), "activity"))
    labels = [(t.get("x"), t.text) for t in chart.findall("text")
              if t.get("text-anchor") == "middle"]  # fmt: skip
    assert labels == [("56", "Mar 1 00:00"), ("372.6", "Mar 1 16:00")]  # 56 + 16 / 47 * 930
    # Over more than a year, with the year too; 800 buckets of 12 h drawn 7 to a bar
    # (115 bars), every 15th labelled: 8 labels, 105 buckets (52.5 days) apart.
    start = START - timedelta(days=400)
    longer = reduce(
        [{"timestamp": START, "success": True}],
        time_window_start=start,
        time_window_end=START,
        bucket_width=timedelta(hours=12),
    )
    (chart,) = charts(section(render_html(longer), "activity"))
    labels = [(t.get("x"), t.text) for t in chart.findall("text")
              if t.get("text-anchor") == "middle"]  # fmt: skip
    assert len(chart.findall("rect")) == 115
    starts = [start + timedelta(hours=12 * 105 * k) for k in range(8)]
    assert [text for _, text in labels] == [
        f"{moment:%b} {moment.day}, {moment.year} {moment:%H:%M}" for moment in starts
    ]
    assert labels[0] == ("56", "Jan 25, 2025 00:00")
    assert labels[1] == ("178.1", "Mar 18, 2025 12:00")  # 56 + 52.5 / 400 * 930


def test_activity_labels_are_utc_whatever_the_offset_of_the_bucket_times() -> None:
    # A result read back or built with bucket times at -05:00 (the evening before, there)
    # is labelled as the one in UTC: the axis says "(UTC)".
    output = daily_counts([6, 2, 0, 0])
    trend = output.trend_analysis
    assert trend is not None
    assert trend.time_series is not None
    west = timezone(timedelta(hours=-5))
    shifted = [
        bucket.model_copy(update={"start": bucket.start.astimezone(west),
                                  "end": bucket.end.astimezone(west)})
        for bucket in trend.time_series
    ]  # fmt: skip
    moved = output.model_copy(
        update={"trend_analysis": trend.model_copy(update={"time_series": shifted})}
    )
    (chart,) = charts(section(render_html(moved), "activity"))
    assert drawn(chart)[2 + len(AXIS) + 4 :][: len(DAYS)] == DAYS


# ------------------------------------------------------------------------- latency


def latency(times: list[float], thresholds: HealthThresholds | None = None) -> str:
    output = reduce([{"timestamp": START, "execution_time_ms": time} for time in times])
    return section(render_html(output, thresholds=thresholds), "latency")


def row(index: int, name: str, width: str, fill: str, value: str) -> list[str]:
    """A ladder row: rows are 34 high from y = 40, bars 20 high from x = 64, the value
    8 past the bar's end."""
    y = 40 + 34 * index
    end = 64 if width == "1.5" else 64 + float(width)  # (1.5: the least drawn, at 0)
    return [
        f"text x=54 y={y + 21}.0 text-anchor=end class=value > {name}",
        f"rect x=64 y={y + 7} width={width} height=20 fill={fill} rx=2 | {name}: {value}",
        f"text x={end + 8:g} y={y + 21}.0 class=value > {value}",
    ]


def grid(x: str, label: str) -> list[str]:
    return [
        f"line class=grid x1={x} x2={x} y1=34 y2=244",
        f"text x={x} y=262 text-anchor=middle > {label}",
    ]


def test_latency_ladder_on_a_linear_scale() -> None:
    # 0, 100, ..., 1000 ms: p50 = mean = 500, p95 950, p99 990. Over a factor of 20 at
    # most (100 to 1000, zero left out), linear: ticks every 200 ms over 846 (64 to 910).
    # p95 is past its 500 ms limit (amber); p99 is within 1 s. The 1 s limit is past
    # x = 830, so its label ends at it.
    (chart,) = charts(latency([100.0 * i for i in range(11)]))
    assert chart.attrib["viewBox"] == "0 0 1000 274"
    assert drawn(chart) == [
        "title > Latency percentiles (linear scale)",
        "desc > min 0.0 ms; p50 500 ms; mean 500 ms; p95 950 ms; p99 990 ms; max 1.00 s",
        *grid("64", "0 ms"),
        *grid("233.2", "200 ms"),
        *grid("402.4", "400 ms"),
        *grid("571.6", "600 ms"),
        *grid("740.8", "800 ms"),
        *grid("910", "1 s"),
        *row(0, "min", "1.5", "var(--blue-soft)", "0.0 ms"),
        *row(1, "p50", "423", "var(--blue)", "500 ms"),
        *row(2, "mean", "423", "var(--blue-soft)", "500 ms"),
        *row(3, "p95", "803.7", "var(--amber)", "950 ms"),
        *row(4, "p99", "837.5", "var(--blue)", "990 ms"),
        *row(5, "max", "846", "var(--blue-soft)", "1.00 s"),
        "line x1=487 x2=487 y1=7 y2=244 stroke=var(--ink) stroke-width=1.5 stroke-dasharray=5 4",
        "text x=491 y=17 > p95 limit 500 ms",
        "line x1=910 x2=910 y1=22 y2=244 stroke=var(--ink) stroke-width=1.5 stroke-dasharray=5 4",
        "text x=906 y=32 text-anchor=end > p99 limit 1.00 s",
        "line class=axis x1=64 x2=64 y1=34 y2=244",
    ]


def test_latency_ladder_on_a_logarithmic_scale() -> None:
    # 1, 2, 3, 40, 2000 ms span a factor of 2000: logarithmic from 1 ms to 2 s (3.301
    # decades over 846), 1-2-5 ticks. p95 (1.61 s) is past its 700 ms limit, p99
    # (1.92 s) past its 800 ms one (red). x(700) = 64 + log10(700) / 3.301 * 846.
    limits = HealthThresholds(max_p95_ms=700.0, max_p99_ms=800.0)
    (chart,) = charts(latency([1.0, 2.0, 3.0, 40.0, 2000.0], limits))
    ticks = [("64", "1 ms"), ("141.1", "2 ms"), ("243.1", "5 ms"), ("320.3", "10 ms"),
             ("397.4", "20 ms"), ("499.4", "50 ms"), ("576.6", "100 ms"), ("653.7", "200 ms"),
             ("755.7", "500 ms"), ("832.9", "1 s"), ("910", "2 s")]  # fmt: skip
    assert drawn(chart) == [
        "title > Latency percentiles (logarithmic scale)",
        "desc > min 1.0 ms; p50 3.0 ms; mean 409 ms; p95 1.61 s; p99 1.92 s; max 2.00 s",
        *[line for x, label in ticks for line in grid(x, label)],
        *row(0, "min", "1.5", "var(--blue-soft)", "1.0 ms"),
        *row(1, "p50", "122.3", "var(--blue)", "3.0 ms"),
        *row(2, "mean", "669.4", "var(--blue-soft)", "409 ms"),
        *row(3, "p95", "821.7", "var(--amber)", "1.61 s"),
        *row(4, "p99", "841.5", "var(--red)", "1.92 s"),
        *row(5, "max", "846", "var(--blue-soft)", "2.00 s"),
        "line x1=793.2 x2=793.2 y1=7 y2=244 stroke=var(--ink) stroke-width=1.5 "
        "stroke-dasharray=5 4",
        "text x=797.2 y=17 > p95 limit 700 ms",
        "line x1=808 x2=808 y1=22 y2=244 stroke=var(--ink) stroke-width=1.5 stroke-dasharray=5 4",
        "text x=812 y=32 > p99 limit 800 ms",
        "line class=axis x1=64 x2=64 y1=34 y2=244",
    ]


def test_latency_axis_of_times_below_the_smallest_scaled_one() -> None:
    # Every time 5e-324 ms and no limits: the scale's span is 5e-324 over 5 intervals,
    # which rounds to 0; the axis is then 0 to 1 ms (not a math domain error).
    chart = charts(latency([5e-324], HealthThresholds(max_p95_ms=None, max_p99_ms=None)))[0]
    assert drawn(chart)[2:6] == [*grid("64", "0 ms"), *grid("910", "1 ms")]
    assert chart.findtext("title") == "Latency percentiles (linear scale)"


# -------------------------------------------------------------------------- timing


def test_hour_and_weekday_charts() -> None:
    # Runs at 00, 01, 01, 05, 23 on Sunday 1 March and 02 (three) on Monday. Hours: 24
    # slots of 24.5 over 588 (44 to 632), 188 high (12 to 200); a bar is 0.76 of its
    # slot from 0.12 in; counts up to 3 on whole-number ticks 0-1-2-3, every third hour
    # named. Weekdays: 7 slots of 41.14 over 288; up to 5 on ticks 0-2-4-6 (step 2: no
    # 2.5 runs), the weekend in the soft blue.
    hours = (0, 1, 1, 5, 23, 26, 26, 26)
    output = reduce(
        [{"timestamp": START + timedelta(hours=h), "success": True} for h in hours],
        time_window_end=START + timedelta(days=2),
        bucket_width=timedelta(days=1),
    )
    markup = section(render_html(output), "timing")
    hour_chart, day_chart = charts(markup)
    counts = [1, 2, 3, 0, 0, 1] + [0] * 17 + [1]
    heights = {0: ("200", "0"), 1: ("137.3", "62.7"), 2: ("74.7", "125.3"), 3: ("12", "188")}
    expected_hours = []
    for hour, count in enumerate(counts):
        y, height = heights[count]
        expected_hours.append(
            f"rect x={num(44 + hour * 24.5 + 2.94)} y={y} width=18.6 height={height} "
            f"fill=var(--blue) rx=1.5 | {hour:02d}: {count} run{'' if count == 1 else 's'}"
        )
        if hour % 3 == 0:
            expected_hours.append(
                f"text x={num(44 + (hour + 0.5) * 24.5)} y=218 text-anchor=middle > {hour:02d}"
            )
    assert drawn(hour_chart) == [
        "title > Runs by hour of day (UTC)",
        "desc > " + "; ".join(f"{hour:02d}: {count}" for hour, count in enumerate(counts)),
        "line class=grid x1=44 x2=632 y1=200 y2=200",
        "text x=38 y=204 text-anchor=end > 0",
        "line class=grid x1=44 x2=632 y1=137.3 y2=137.3",
        "text x=38 y=141.3 text-anchor=end > 1",
        "line class=grid x1=44 x2=632 y1=74.7 y2=74.7",
        "text x=38 y=78.7 text-anchor=end > 2",
        "line class=grid x1=44 x2=632 y1=12 y2=12",
        "text x=38 y=16 text-anchor=end > 3",
        *expected_hours,
        "line class=axis x1=44 x2=632 y1=200 y2=200",
    ]
    assert drawn(day_chart) == [
        "title > Runs by day of week (UTC)",
        "desc > Mon: 3; Tue: 0; Wed: 0; Thu: 0; Fri: 0; Sat: 0; Sun: 5",
        "line class=grid x1=44 x2=332 y1=200 y2=200",
        "text x=38 y=204 text-anchor=end > 0",
        "line class=grid x1=44 x2=332 y1=137.3 y2=137.3",
        "text x=38 y=141.3 text-anchor=end > 2",
        "line class=grid x1=44 x2=332 y1=74.7 y2=74.7",
        "text x=38 y=78.7 text-anchor=end > 4",
        "line class=grid x1=44 x2=332 y1=12 y2=12",
        "text x=38 y=16 text-anchor=end > 6",
        "rect x=48.9 y=106 width=31.3 height=94 fill=var(--blue) rx=1.5 | Mon: 3 runs",
        "text x=64.6 y=218 text-anchor=middle > Mon",
        "rect x=90.1 y=200 width=31.3 height=0 fill=var(--blue) rx=1.5 | Tue: 0 runs",
        "text x=105.7 y=218 text-anchor=middle > Tue",
        "rect x=131.2 y=200 width=31.3 height=0 fill=var(--blue) rx=1.5 | Wed: 0 runs",
        "text x=146.9 y=218 text-anchor=middle > Wed",
        "rect x=172.4 y=200 width=31.3 height=0 fill=var(--blue) rx=1.5 | Thu: 0 runs",
        "text x=188 y=218 text-anchor=middle > Thu",
        "rect x=213.5 y=200 width=31.3 height=0 fill=var(--blue) rx=1.5 | Fri: 0 runs",
        "text x=229.1 y=218 text-anchor=middle > Fri",
        "rect x=254.7 y=200 width=31.3 height=0 fill=var(--blue-soft) rx=1.5 | Sat: 0 runs",
        "text x=270.3 y=218 text-anchor=middle > Sat",
        "rect x=295.8 y=43.3 width=31.3 height=156.7 fill=var(--blue-soft) rx=1.5 | Sun: 5 runs",
        "text x=311.4 y=218 text-anchor=middle > Sun",
        "line class=axis x1=44 x2=332 y1=200 y2=200",
    ]
    assert (
        '<p class="note">Busiest hour 02:00&ndash;03:00 (3 runs); busiest weekday Sun '
        "(5 runs). Hours and weekdays are counted separately"
    ) in markup


def test_latency_axis_over_many_decades_labels_every_other_power_in_its_unit() -> None:
    # 1 ms to 1e12 ms: 12 decades, more than 10, so every second power of ten, evenly
    # spaced (846 / 6 = 141 apart); times from a million ms in minutes, and from a
    # million minutes in exponent notation.
    limits = HealthThresholds(max_p95_ms=None, max_p99_ms=None)
    (chart,) = charts(latency([1.0, 1e12], limits))
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert ticks == [
        ("64", "1 ms"),
        ("205", "100 ms"),
        ("346", "10 s"),
        ("487", "17 min"),
        ("628", "1,667 min"),
        ("769", "166,667 min"),
        ("910", "1.7e+07 min"),
    ]


def test_latency_axis_of_four_decades_keeps_its_one_two_five_ticks() -> None:
    # 1 ms to 10 s is four decades, the most with 1-2-5 ticks (x = 64 + log10(t) / 4 *
    # 846); five decades only powers of ten.
    limits = HealthThresholds(max_p95_ms=None, max_p99_ms=None)
    (chart,) = charts(latency([1.0, 10_000.0], limits))
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert ticks == [
        ("64", "1 ms"), ("127.7", "2 ms"), ("211.8", "5 ms"), ("275.5", "10 ms"),
        ("339.2", "20 ms"), ("423.3", "50 ms"), ("487", "100 ms"), ("550.7", "200 ms"),
        ("634.8", "500 ms"), ("698.5", "1 s"), ("762.2", "2 s"), ("846.3", "5 s"),
        ("910", "10 s"),
    ]  # fmt: skip
    (chart,) = charts(latency([1.0, 100_000.0], limits))
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert [text for _, text in ticks] == ["1 ms", "10 ms", "100 ms", "1 s", "10 s", "100 s"]


def test_run_count_axes_have_whole_number_ticks() -> None:
    # One run: ticks 0 and 1 (a step of 0.25 would be the round one for a rate). Nine
    # runs in an hour: 2.25 a step is rounded past 2.5 (not a whole number) to 5; ninety:
    # 22.5, to 25 (a whole number).
    for runs, labels in (
        (1, ["0", "1"]),
        (9, ["0", "5", "10"]),
        (90, ["0", "25", "50", "75", "100"]),
    ):
        output = reduce([{"timestamp": START, "success": True}] * runs)
        for chart in charts(section(render_html(output), "timing")):
            found = [t.text for t in chart.findall("text") if t.get("text-anchor") == "end"]
            assert found == labels, (runs, chart.findtext("title"))


def test_a_percentile_at_its_limit_is_not_drawn_past_it() -> None:
    # p95 = p99 = 500 ms with limits of exactly 500 ms: within them (the health rules
    # flag a time above its limit), so both bars keep their own colour.
    limits = HealthThresholds(max_p95_ms=500.0, max_p99_ms=500.0)
    (chart,) = charts(latency([500.0] * 3, limits))
    fills = {
        rect.findtext("title", "").split(":")[0]: rect.get("fill") for rect in chart.iter("rect")
    }
    assert fills["p95"] == fills["p99"] == "var(--blue)"
    (chart,) = charts(latency([500.0, 500.0, 501.0], limits))
    fills = {
        rect.findtext("title", "").split(":")[0]: rect.get("fill") for rect in chart.iter("rect")
    }
    assert (fills["p95"], fills["p99"]) == ("var(--amber)", "var(--red)")


def test_latency_axis_edges_snap_to_one_two_five() -> None:
    # 3 ms to 300 ms: the scale runs from 2 ms (the 1-2-5 value below 3) to 500 ms (the
    # one above 300). Every time 0 ms, and no limits: a linear axis of 0 to 1 ms.
    limits = HealthThresholds(max_p95_ms=None, max_p99_ms=None)
    (chart,) = charts(latency([3.0, 300.0], limits))
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert ticks[0] == ("64", "2 ms")
    assert ticks[-1] == ("910", "500 ms")
    assert [text for _, text in ticks] == ["2 ms", "5 ms", "10 ms", "20 ms", "50 ms",
                                           "100 ms", "200 ms", "500 ms"]  # fmt: skip
    (chart,) = charts(latency([3.0, 700.0], limits))  # (up to 1 s, the 1-2-5 value above)
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert ticks[-1] == ("910", "1 s")
    (chart,) = charts(latency([0.0, 0.0], limits))
    ticks = [(t.get("x"), t.text) for t in chart.findall("text") if t.get("y") == "262"]
    assert ticks == [("64", "0 ms"), ("233.2", "0.2 ms"), ("402.4", "0.4 ms"),
                     ("571.6", "0.6 ms"), ("740.8", "0.8 ms"), ("910", "1 ms")]  # fmt: skip


def test_dates_name_their_year_only_past_a_year() -> None:
    # A window of 365 days has each month and day once; of 366, the first and last may
    # share them.
    for days, year in ((365, False), (366, True)):
        start = START - timedelta(days=days)
        output = reduce(
            [{"timestamp": START, "success": True}],
            time_window_start=start,
            time_window_end=START,
            bucket_width=timedelta(days=7),
        )
        (chart,) = charts(section(render_html(output), "activity"))
        first = next(t.text for t in chart.findall("text") if t.get("text-anchor") == "middle")
        assert first == f"{start:%b} {start.day}" + (f", {start.year}" if year else ""), days


def test_a_limit_below_one_millisecond_is_drawn() -> None:
    limits = HealthThresholds(max_p95_ms=0.5, max_p99_ms=None)
    (chart,) = charts(latency([0.2, 0.3, 0.4], limits))
    labels = [t.text for t in chart.findall("text") if "limit" in (t.text or "")]
    assert labels == ["p95 limit 0.5 ms"]


def test_a_limit_past_the_drawn_range_leaves_the_ladder_drawn() -> None:
    # A p95 limit of the largest double (a limit switched off by a huge value) took the
    # whole chart away, saying "Execution times beyond 1e300 ms are not drawn" of times
    # of 100 and 200 ms. The ladder is drawn, with the limits it can show.
    limits = HealthThresholds(max_p95_ms=sys.float_info.max)
    markup = latency([100.0, 200.0], limits)
    assert "not drawn" not in markup
    (chart,) = charts(markup)
    labels = [t.text for t in chart.findall("text") if "limit" in (t.text or "")]
    assert labels == ["p99 limit 1.00 s"]
    bars = {rect.findtext("title"): rect.get("fill") for rect in chart.iter("rect")}
    assert bars["p95: 195 ms"] == "var(--blue)"  # (within its limit)
    assert "<p>2 timed runs · linear scale</p>" in markup  # (100 ms to the 1 s limit)


def test_latency_scale_limits_of_its_own() -> None:
    # Over 10 decades each power of ten is labelled, over 11 every other (at most about
    # 10 labels); 5e10 ms is 833,333 min, written out below a million minutes; a time
    # from 1e-300 ms is on the logarithmic scale (below it, at its start); past 1e300 ms
    # the ladder is not drawn.
    limits = HealthThresholds(max_p95_ms=None, max_p99_ms=None)

    def ticks(times: list[float]) -> list[str]:
        markup = latency(times, limits)
        return [t.text or "" for chart in charts(markup) for t in chart.findall("text")
                if t.get("y") == "262"]  # fmt: skip

    assert len(ticks([1.0, 1e10])) == 11
    assert ticks([1.0, 1e11]) == ["1 ms", "100 ms", "10 s", "17 min", "1,667 min",
                                  "166,667 min"]  # fmt: skip
    assert "833,333 min" in ticks([1e7, 1e11])
    assert ticks([1.2e-300, 5.0])[0] == "1e-300 ms"
    assert ticks([7e-301, 5.0]) == ["0 ms", "1 ms", "2 ms", "3 ms", "4 ms", "5 ms"]
    assert "beyond 1e300 ms are not drawn" in latency([1.0, 1.2e300], limits)


def test_limit_labels_end_at_their_line_only_near_the_right_edge() -> None:
    # Past x = 830 a label ends at its line (it would run past the chart); a 905 ms limit
    # on the 0-1000 ms scale is at x = 64 + 905 * 0.846 = 829.6, just short: it starts
    # there, as at x = 830 exactly (905.4373522458628 ms).
    for limit, x in ((905.0, "833.6"), (905.4373522458628, "834")):
        limits = HealthThresholds(max_p95_ms=None, max_p99_ms=limit)
        (chart,) = charts(latency([100.0 * i for i in range(11)], limits))
        assert [line for line in drawn(chart) if "limit" in line] == [
            f"text x={x} y=32 > p99 limit 905 ms"
        ]


@pytest.fixture
def french_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """LC_TIME set to French, as a host program's `setlocale` may set it: the locale is
    compiled into `tmp_path` by glibc's `localedef` from Debian's `locales` definitions
    (`.ci/run` installs them where missing), and put back afterwards."""
    built = subprocess.run(
        ["localedef", "-i", "fr_FR", "-f", "UTF-8", str(tmp_path / "fr_FR.UTF-8")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    monkeypatch.setenv("LOCPATH", str(tmp_path))  # (glibc reads it at each setlocale)
    before = locale.setlocale(locale.LC_TIME)
    locale.setlocale(locale.LC_TIME, "fr_FR.UTF-8")
    try:
        assert f"{datetime(2026, 3, 3):%b}" == "mars"  # (the locale is in effect)
        yield
    finally:
        locale.setlocale(locale.LC_TIME, before)


def test_day_labels_name_every_month_in_english_whatever_the_locale(french_dates: None) -> None:
    # `%b` wrote the C library's LC_TIME name: "mars 3 14:00" under a French LC_TIME, in
    # an English page.
    labels = [
        _day_label(datetime(2026, month, 3, 14), with_time=True, with_year=False)
        for month in range(1, 13)
    ]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert labels == [f"{month} 3 14:00" for month in months]
    assert _day_label(datetime(2, 1, 1, 0, 59), with_time=False, with_year=True) == "Jan 1, 0002"


# ------------------------------------------------- latency scale edges (mutation pass)

NO_LIMITS = HealthThresholds(max_p95_ms=None, max_p99_ms=None)


def scale_of(markup: str) -> tuple[str, list[str]]:
    """The latency chart's scale ("linear" or "logarithmic") and its axis labels."""
    (chart,) = charts(markup)
    title = chart.findtext("title") or ""
    labels = [t.text or "" for t in chart.findall("text") if t.get("y") == "262"]
    return title.removeprefix("Latency percentiles (").removesuffix(" scale)"), labels


def test_latency_scale_is_logarithmic_only_past_a_factor_of_twenty() -> None:
    # "Logarithmic when the values span more than a factor of 20": 1 to 20 ms is linear,
    # 1 to 20.5 ms logarithmic; so too 0.01 to 0.5 ms, all below a millisecond.
    assert scale_of(latency([1.0, 20.0], NO_LIMITS))[0] == "linear"
    assert scale_of(latency([1.0, 20.5], NO_LIMITS))[0] == "logarithmic"
    assert scale_of(latency([0.01, 0.5], NO_LIMITS)) == (
        "logarithmic",
        ["0.01 ms", "0.02 ms", "0.05 ms", "0.1 ms", "0.2 ms", "0.5 ms"],
    )


def test_latency_scale_starts_at_or_below_the_shortest_time() -> None:
    # 1.99 ms is below 2 ms: the scale starts at 1 ms, so the min bar is not cut.
    assert scale_of(latency([1.99, 300.0], NO_LIMITS))[1][0] == "1 ms"
    # A time of exactly 1e-300 ms, the least put on the scale, is its start.
    scale, labels = scale_of(latency([1e-300, 5.0], NO_LIMITS))
    assert (scale, labels[0]) == ("logarithmic", "1e-300 ms")


def test_linear_latency_axis_has_about_five_round_intervals() -> None:
    # 1.1 ms over 5 intervals is 0.22 a step, rounded up to 0.25: 0 to 1.25 ms.
    assert scale_of(latency([1.1] * 3, NO_LIMITS)) == (
        "linear",
        ["0 ms", "0.25 ms", "0.5 ms", "0.75 ms", "1 ms", "1.25 ms"],
    )


def test_bars_of_times_below_a_millisecond_have_their_length() -> None:
    # 0.2 to 0.4 ms on a linear axis of 0 to 0.4 ms over 846: 0.2 ms is half of it.
    (chart,) = charts(latency([0.2, 0.3, 0.4], NO_LIMITS))
    widths = {rect.findtext("title"): rect.get("width") for rect in chart.iter("rect")}
    assert (widths["min: 0.2 ms"], widths["p50: 0.3 ms"]) == ("423", "634.5")


def test_a_limit_of_1e300_ms_is_drawn() -> None:
    # The largest time drawn is 1e300 ms, and so is a limit of it (on a logarithmic
    # scale up to 1e300 ms, at its end).
    (chart,) = charts(latency([1.0, 2.0], HealthThresholds(max_p95_ms=None, max_p99_ms=1e300)))
    labels = [t.text or "" for t in chart.findall("text") if "limit" in (t.text or "")]
    assert len(labels) == 1
    assert labels[0].startswith("p99 limit ")


def test_a_limit_of_zero_is_drawn_and_colours_the_bars_past_it() -> None:
    # A limit of 0 ms is a limit (the health rules flag any p95 above it), not a rule
    # switched off (None): the chart drew no line for it and kept the bar blue beside a
    # high_p95_latency finding.
    limits = HealthThresholds(max_p95_ms=0.0, max_p99_ms=0.0)
    (chart,) = charts(latency([100.0, 200.0], limits))
    fills = {
        rect.findtext("title", "").split(":")[0]: rect.get("fill") for rect in chart.iter("rect")
    }
    assert (fills["p95"], fills["p99"]) == ("var(--amber)", "var(--red)")
    assert [line for line in drawn(chart) if "limit" in line] == [
        "text x=68 y=17 > p95 limit 0.0 ms",
        "text x=68 y=32 > p99 limit 0.0 ms",
    ]
