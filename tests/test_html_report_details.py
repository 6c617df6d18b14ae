"""The HTML report's details a mutation pass found unchecked (`tools/mutation_pass.py`
over html_report.py): what a reader sees in the sections for results the other tests do
not render, parsed with html.parser (`test_html_sections.flat`), against numbers worked
out from the records in each test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from day_reduction import START, reduce
from test_html_charts import charts, drawn
from test_html_sections import flat, section
from usage_analytics import AnalyticsGranularity
from usage_analytics.html_report import render_html

DASH = "\N{EN DASH}"
#: Elements that hold only other elements: text directly in one is stray markup.
CONTAINERS = {"section", "header", "dl", "table", "thead", "tbody", "tr", "ul", "svg", "main"}
FIVE_RUNS = [
    {"timestamp": START + timedelta(hours=i), "success": i % 2 == 0,
     "execution_time_ms": 10.0 * (i + 1)}
    for i in range(5)
]  # fmt: skip


#: Runs of times past what the latency chart draws: it says so in place of the chart.
UNDRAWN_TIMES = [{**FIVE_RUNS[0], "execution_time_ms": 1e301}, *FIVE_RUNS[1:]]


@pytest.mark.parametrize(
    "records", [FIVE_RUNS, [], UNDRAWN_TIMES], ids=["five runs", "no runs", "undrawn times"]
)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"include_trends": False},
        {"granularity": AnalyticsGranularity.DETAILED},
        {"granularity": AnalyticsGranularity.SUMMARY},
        {"include_performance": False},
        {"include_distribution": False},
    ],
    ids=["comprehensive", "no trends", "detailed", "summary", "no times", "no distribution"],
)
def test_no_text_strays_between_elements(
    records: list[dict[str, object]], options: dict[str, object]
) -> None:
    # Every section's text sits in its paragraphs, cells and labels: none directly in a
    # section, its header, a table or list (a stray piece of markup would show there).
    document = render_html(reduce(records, **options))
    main = document[document.index("<main") : document.index("</main>") + len("</main>")]
    stray = [
        line
        for line in flat(main)
        if _tag(line) in CONTAINERS and line.partition(" > ")[2].strip()  # (not newlines)
    ]
    assert stray == []


def _tag(line: str) -> str:
    return line.split(" > ")[0].split("[")[0].split(".")[0]


def test_key_numbers_of_a_result_without_trends_say_so() -> None:
    # Five runs at 00:00..04:00, 100..500 ms, quality 0.5: p50 300 ms, p95 480 ms, p99
    # 496 ms (linear interpolation); the last 20 h before the window's end. No trend
    # analysis: the trend tile says "not computed" and is not judged, and the analytics
    # quality tile explains its scale instead of a trend's confidence.
    records = [
        {"timestamp": START + timedelta(hours=i), "success": True,
         "execution_time_ms": 100.0 * (i + 1), "quality_score": 0.5}
        for i in range(5)
    ]  # fmt: skip
    tiles = flat(section(render_html(reduce(records, include_trends=False)), "kpis"))
    assert tiles[17:] == [
        "div.tile.ok",
        "div.label > Last used",
        "div.value[title=20.0 h] > 20.0 h",
        "div.sub > before the window end",
        "div.tile",
        "div.label > Trend",
        "div.value[title=-] > -",
        "div.sub > not computed",
        "div.tile",
        "div.label > Agents",
        "div.value[title=1] > 1",
        "div.sub > 1 context type",
        "div.tile",
        "div.label > Analytics quality",
        "div.value[title=0.04] > 0.04",
        "div.sub > 0 = no data, 1 = 100+ runs over 30+ days",
    ]


def test_activity_without_trends_says_why() -> None:
    records = [{"timestamp": START + timedelta(hours=i), "success": True} for i in range(5)]
    assert flat(section(render_html(reduce(records, include_trends=False)), "activity")) == [
        "section.card",
        "header",
        "h2 > Executions over time",
        "p.muted > Trend analysis was not computed for this result (include_trends=False).",
    ]


def test_activity_of_an_empty_window_draws_no_chart() -> None:
    # COMPREHENSIVE granularity gives the 24 hourly buckets, all empty: no chart, a note
    # in its place, the trend's numbers below it as for any window.
    activity = flat(section(render_html(reduce([])), "activity"))
    assert activity[:5] == [
        "section.card",
        "header",
        "h2 > Executions over time",
        "p > 0 runs in the window",
        "p.muted > No executions in the window: nothing to chart.",
    ]
    assert "svg" not in "".join(activity)
    assert activity[5] == "dl.stats"


# ------------------------------------------------------------------------- chart scales


def _y_labels(document: str) -> list[str]:
    """The activity chart's rate axis, bottom to top."""
    chart = charts(section(document, "activity"))[0]
    return [line.split(" > ")[1] for line in drawn(chart) if "text-anchor=end" in line]


def test_activity_axis_of_rates_under_one_per_day_ticks_in_quarters() -> None:
    # One run a day over four daily buckets: every bar and the (flat) fit at 1/day.
    # About four intervals up to 1: steps of 0.25, not whole numbers as run counts take.
    records = [{"timestamp": START + timedelta(days=d, hours=12), "success": True}
               for d in range(4)]  # fmt: skip
    window = {"time_window_end": START + timedelta(days=4), "bucket_width": timedelta(days=1)}
    assert _y_labels(render_html(reduce(records, **window))) == ["0", "0.25", "0.5", "0.75", "1"]


def test_activity_axis_takes_about_four_intervals() -> None:
    # One run in an hour's bucket: 24/day, the highest the chart draws (the fit is
    # lower). 24 / 4 = 6 rounds up to steps of 10 (24 / 5 would be steps of 5).
    records = [{"timestamp": START + timedelta(hours=5, minutes=30), "success": True}]
    assert _y_labels(render_html(reduce(records))) == ["0", "10", "20", "30"]


# ----------------------------------------------------------------------------- latency


@pytest.mark.parametrize(
    ("times", "shown"),
    [
        # p50 1 ms, p95 1,000,000 ms: a million times, the first written compactly.
        ([1.0, 1.0, 1.0, 1e6, 1e6], "1e+06x"),
        ([1.0, 1.0, 1.0, 999_999.0, 999_999.0], "999999.0x"),
        # p50 1e-300 ms, p95 1e308 ms: past the largest double, as the finding says it.
        ([1e-300, 1e-300, 1e-300, 1e308, 1e308], ">1.8e+308x"),
    ],
)
def test_the_spread_stat_at_a_million_and_past_the_largest_double(
    times: list[float], shown: str
) -> None:
    records = [{"timestamp": START, "success": True, "execution_time_ms": t} for t in times]
    stats = flat(section(render_html(reduce(records)), "latency"))
    spread = stats.index("dt > p95 / p50")
    assert stats[spread + 1] == f"dd > {shown}"


def test_activity_axis_reaches_the_fitted_line_at_the_window_start() -> None:
    # 4, 3, 2, 1 runs on four days: the fit through the days' midpoints (0.5 .. 3.5)
    # falls 1/day per day from 4.5/day at the window's start, above every bar (4/day):
    # the axis reaches 4.5 (steps of 2 up to 6), not only the bars' 4 (steps of 1).
    records = [
        {"timestamp": START + timedelta(days=day, hours=1 + k), "success": True}
        for day, count in enumerate([4, 3, 2, 1])
        for k in range(count)
    ]
    window = {"time_window_end": START + timedelta(days=4), "bucket_width": timedelta(days=1)}
    output = reduce(records, **window)
    assert output.trend_analysis is not None
    assert output.trend_analysis.velocity == -1.0
    assert _y_labels(render_html(output)) == ["0", "2", "4", "6"]


def test_activity_axis_of_a_run_a_week_ends_near_its_rate() -> None:
    # One run in each of two weekly buckets: 1/7 = 0.143 runs a day, bars and fit alike.
    # The axis ends at 0.15 (steps of 0.05), not at a floor of 1 run a day.
    records = [{"timestamp": START + timedelta(days=7 * week + 3), "success": True}
               for week in range(2)]  # fmt: skip
    window = {"time_window_end": START + timedelta(days=14), "bucket_width": timedelta(days=7)}
    assert _y_labels(render_html(reduce(records, **window))) == ["0", "0.05", "0.1", "0.15"]


def test_a_slowly_rising_trend_line_spans_the_window() -> None:
    # 1, 1, 2, 2 runs on four days: the fit rises 0.4/day per day from 0.7/day, above
    # zero all along: drawn from the window's start (x 56) to its end (x 986).
    records = [
        {"timestamp": START + timedelta(days=day, hours=1 + k), "success": True}
        for day, count in enumerate([1, 1, 2, 2])
        for k in range(count)
    ]
    window = {"time_window_end": START + timedelta(days=4), "bucket_width": timedelta(days=1)}
    chart = charts(section(render_html(reduce(records, **window)), "activity"))[0]
    lines = [line for line in drawn(chart) if "stroke=var(--orange)" in line]
    assert len(lines) == 1
    assert lines[0].startswith("line x1=56 y1=")
    assert " x2=986 " in lines[0]


@pytest.mark.parametrize(("largest", "drawn"), [(1e300, True), (1.005e300, False)])
def test_the_latency_chart_draws_times_up_to_1e300_ms(largest: float, drawn: bool) -> None:
    records = [
        {"timestamp": START, "success": True, "execution_time_ms": t} for t in (1.0, largest)
    ]
    latency = section(render_html(reduce(records)), "latency")
    assert ("<svg" in latency) is drawn
    assert ("Execution times beyond 1e300 ms are not drawn." in latency) is not drawn
