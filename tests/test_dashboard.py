"""The dashboard: one row per pattern, worst first, fit to the terminal; the numbers it
and the terminal report show (they share their formatting); and the progress line of the
command line."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import itertools
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from source_cases import NOW, START, analyse
from usage_analytics import (
    AnalyticsGranularity,
    HealthThresholds,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    UsageAccumulator,
    UsageTrendType,
    text_width,
)
from usage_analytics.dashboard import (
    DashboardRow,
    dashboard_document,
    dashboard_rows,
    headline,
    render_dashboard,
)
from usage_analytics.html_report import render_html
from usage_analytics.progress import Progress
from usage_analytics.report import (
    MIN_WIDTH,
    _hours,
    _span,
    attention_notes,
    by_attention,
    render_report,
    render_summary,
)


def runs(count: int, *, success: float = 1.0, ms: float = 100.0, **extra: Any) -> list[Any]:
    """`count` runs spread evenly over the window (so the trend is stable)."""
    step = (NOW - START) / count
    return [
        {
            "timestamp": START + step * (index + 0.5),
            "success": index < round(count * success),
            "execution_time_ms": ms,
            "quality_score": 0.9,
            "agent": f"agent-{index % 3}",
            **extra,
        }
        for index in range(count)
    ]


def result(records: list[Any], pattern_id: str = "p") -> ModelUsageAnalyticsOutput:
    return analyse(records, pattern_id)


@pytest.fixture(scope="module")
def items() -> list[tuple[str, ModelUsageAnalyticsOutput]]:
    return [
        ("healthy", result(runs(120))),
        ("idle", result([])),
        ("failing", result(runs(120, success=0.5))),
        ("slow", result(runs(120, ms=800.0))),
        ("slow-and-failing", result(runs(120, success=0.5, ms=2_000.0))),
    ]


def test_rows_come_worst_first(items: list[tuple[str, ModelUsageAnalyticsOutput]]) -> None:
    rows = dashboard_rows(items)
    assert [row.name for row in rows] == [
        "slow-and-failing",  # four critical findings
        "failing",  # two critical (success and error rate), a higher error rate than slow
        "slow",  # two critical (p95 and p99)
        "idle",  # info: no executions
        "healthy",  # no finding
    ]
    assert rows[-1].worst is None
    assert rows[-2].worst is not None
    assert rows[-2].worst.code == "no_executions"


def test_table_shows_the_numbers_and_the_worst_finding(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    text = render_dashboard(dashboard_rows(items), width=100)
    lines = text.splitlines()
    assert lines[0].split() == [
        "PATTERN",
        "RUNS",
        "SUCCESS",
        "P95",
        "TREND",
        "WORST",
        "HEALTH",
        "FINDING",
    ]
    failing = next(line for line in lines if line.startswith("failing "))
    assert failing.split()[:6] == ["failing", "120", "50.0%", "100", "ms", "→"]
    assert "✗ Success rate 50.0% < 80.0% (+1)" in failing
    idle = next(line for line in lines if line.startswith("idle "))
    assert idle.split()[1:4] == ["0", "-", "-"]
    assert "· No executions in the window" in idle
    assert next(line for line in lines if line.startswith("healthy ")).endswith("healthy")


@pytest.mark.parametrize("width", [60, 72, 80, 100, 140])
def test_table_fits_the_width(
    items: list[tuple[str, ModelUsageAnalyticsOutput]], width: int
) -> None:
    long_name = [("5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10", items[2][1]), *items]
    text = render_dashboard(dashboard_rows(long_name), width=width)
    assert all(len(line) <= width for line in text.splitlines())
    if width >= 140:
        assert "5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10" in text  # ids shown whole
    else:  # (too narrow for them and the finding: `usage_analytics.short_ids`)
        assert "\n5b1f0e62  " in text
        assert "-3c4d" not in text
    if width <= 60:
        assert "\n    ✗ Success rate 50.0% < 80.0% (+1)" in text  # finding on its own line


def test_ascii_table(items: list[tuple[str, ModelUsageAnalyticsOutput]]) -> None:
    text = render_dashboard(dashboard_rows(items), width=100, unicode=False)
    text.encode("ascii")
    assert "X Success rate" in text
    assert "i No executions" in text


def test_headline_keeps_the_sentence_up_to_its_details(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    findings = items[4][1].health()
    assert [headline(finding) for finding in findings][:2] == [
        "Success rate 50.0% < 80.0%",
        "Error rate 50.0% > 20.0%",
    ]


def test_document_holds_full_precision_numbers(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    (first, *_), rows = dashboard_document(dashboard_rows(items)), dashboard_rows(items)
    worst = rows[0].result
    assert first["name"] == "slow-and-failing"
    assert first["success_rate"] == worst.success_metrics.success_rate
    assert first["findings"] == len(worst.health())
    assert first["worst_finding"]["code"] == worst.health()[0].code
    idle = next(row for row in dashboard_document(rows) if row["name"] == "idle")
    assert (idle["p95_execution_time_ms"], idle["total_executions"]) == (None, 0)
    assert idle["success_rate"] is None  # (the table's "-"; the result's rate is 0.0)


def sketched() -> ModelUsageAnalyticsOutput:
    """A result whose percentiles come from the sketch: two accumulators of 2,000 times
    each (past the exact budget of 1,024), merged."""

    def accumulator(offset: int) -> UsageAccumulator:
        accumulator = UsageAccumulator(time_window_start=START, time_window_end=NOW)
        accumulator.update(
            [
                {
                    "timestamp": START + timedelta(minutes=index * 10 + offset),
                    "success": True,
                    "execution_time_ms": float(index + 1),
                }
                for index in range(2_000)
            ]
        )
        return accumulator

    output = accumulator(0).merge(accumulator(1)).finalize("sketched")
    assert output.performance_metrics is not None
    assert output.performance_metrics.percentile_method == "sketch"
    return output


def row_of(text: str, name: str) -> list[str]:
    """The cells of the table row of `name`, split at spaces."""
    return next(line for line in text.splitlines() if line.startswith(f"{name} ")).split()


def test_rates_short_of_all_or_none_are_not_rounded_to_it() -> None:
    # One failure in 3,000 runs showed as a success rate of "100.0%" (and one success as
    # "0.0%", "100% errors"): rounding hid the failures.
    almost = result(runs(3_000, success=2_999 / 3_000))
    barely = result(runs(3_000, success=1 / 3_000))
    assert (almost.success_metrics.failure_count, barely.success_metrics.success_count) == (1, 1)
    items = [("almost", almost), ("barely", barely), ("all", result(runs(30)))]
    table = render_dashboard(dashboard_rows(items), width=100)
    assert [row_of(table, name)[2] for name, _ in items] == [">99.9%", "<0.1%", "100.0%"]
    summary = render_summary(items, width=120)
    assert [set(row_of(summary, name)) & {">99.9%", "<0.1%", "100.0%"} for name, _ in items] == [
        {">99.9%"},
        {"<0.1%"},
        {"100.0%"},
    ]
    assert "Success rate  >99.9%   (2,999 ok · 1 failed" in render_report(almost, width=100)
    assert ">99% errors" in attention_notes(barely)


def test_small_latencies_keep_significant_digits() -> None:
    # A p95 of 0.04 ms showed as "0 ms" in the dashboard and "0.0 ms" in the report.
    fast = result(runs(30, ms=0.04))
    assert row_of(render_dashboard(dashboard_rows([("fast", fast)]), width=100), "fast")[3:5] == [
        "0.04",
        "ms",
    ]
    assert "p95 0.04 ms" in render_report(fast, width=100)
    slow = result(runs(30, ms=0.6))  # (one significant digit is enough past 0.1 ms)
    assert "p95 0.6 ms" in render_report(slow, width=100)


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (9.94, "9.9 ms"),  # was "10 ms" in the dashboard
        (9.97, "10 ms"),  # was "10.0 ms" in the report: the next unit's digits
        (999.4, "999 ms"),
        (999.7, "1.00 s"),  # was "1000 ms"
        (59_994.0, "59.99 s"),
        (59_999.0, "1.0 min"),  # was "60.00 s"
        (3_599_999.0, "1.0 h"),  # was "60.0 min" in the report, "3600.00 s" in the dashboard
        (7_200_000.0, "2.0 h"),  # was "7200.00 s" in the dashboard
    ],
)
def test_a_duration_takes_the_unit_its_rounded_value_reaches(ms: float, shown: str) -> None:
    # The dashboard and the report write a p95 alike (the dashboard kept seconds).
    timed = result(runs(30, ms=ms))
    table = render_dashboard(dashboard_rows([("timed", timed)]), width=100)
    assert " ".join(row_of(table, "timed")[3:5]) == shown
    assert f"p95 {shown} · " in render_report(timed, width=100)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (_span, [(86_400, "1 day"), (86_400 * 1.00001, "1 day"), (86_400 * 2.5, "2.5 days")]),
        (_span, [(59.9999999, "1 min"), (3_599.999999, "1 h"), (86_399.999999, "1 day")]),
        (_span, [(30, "30 s"), (300, "5 min"), (21_600, "6 h")]),
        (_span, [(1e-6, "0.000001 s"), (1.25e-5, "0.0000125 s"), (0.0001234567, "0.000123457 s")]),
        (_span, [(math.inf, "inf days")]),  # (a horizon read back from JSON may be one)
        # (A window of 36 years was "1.314e+04 days".)
        (_span, [(86_400 * 13_140.4, "13,140 days"), (86_400 * 1_234.56, "1,235 days")]),
        (_hours, [(0.5, "30 min"), (0.9999, "1.0 h"), (47.9, "47.9 h"), (47.97, "2.0 days")]),
        (_hours, [(math.inf, "inf days"), (24 * 2_912_016.44, "2,912,016.4 days")]),
        # (Under a minute, not "0 min"; a run at the window's end is "<1 min" before it.)
        (_hours, [(0.0, "<1 min"), (0.0166, "<1 min"), (1 / 60, "1 min"), (0.99, "59 min")]),
    ],
)
def test_spans_and_hours_take_the_unit_their_rounded_value_reaches(
    value: Callable[[float], str], shown: list[tuple[float, str]]
) -> None:
    # "1 days" for a day and a second; "60 min" for 0.9999 h; "48.0 h" for 47.97 h.
    assert [(amount, value(amount)) for amount, _ in shown] == shown


def days_of_runs(counts: list[int]) -> list[dict[str, Any]]:
    """`counts[i]` runs on the i-th of the last `len(counts)` days before NOW."""
    first = NOW - timedelta(days=len(counts))
    return [
        {"timestamp": first + timedelta(days=day, hours=1 + run)}
        for day, count in enumerate(counts)
        for run in range(count)
    ]


def test_the_trend_says_what_its_buckets_allow() -> None:
    """The contract calls a slope over fewer than three buckets, or a perfect fit,
    significant, so that it can classify; the reports said "(significant)" for an empty
    window and a flat series, and "1 bucket of 5 min" for a one-second window's one
    bucket."""
    second = NOW - timedelta(seconds=1)
    within = [{"timestamp": second + timedelta(milliseconds=ms)} for ms in (250, 750)]
    hourly: dict[str, Any] = {"time_window_type": TimeWindowType.HOURLY}
    cases: list[tuple[list[Any], dict[str, Any], str, str]] = [
        ([], {}, "no runs", "30 buckets of 1 day"),
        (within, {"start": second, **hourly}, "too few buckets to test", "1 bucket of 1 s"),
        (runs(120), {}, "flat: every bucket alike", "30 buckets of 1 day"),
        (runs(121), {}, "not significant", "30 buckets of 1 day"),
        (runs(30) + runs(60)[30:], {}, "significant", "30 buckets of 1 day"),
        # Two buckets are too few to test; three are the fewest tested (the contract's
        # k < 3): runs 1, 2 a day, then 1, 3, 2 a day (|t| 0.58).
        (
            days_of_runs([1, 2]),
            {"start": NOW - timedelta(days=2)},
            "too few buckets to test",
            "2 buckets of 1 day",
        ),
        (
            days_of_runs([1, 3, 2]),
            {"start": NOW - timedelta(days=3)},
            "not significant",
            "3 buckets of 1 day",
        ),
    ]
    for records, options, significance, buckets in cases:
        outcome = analyse(records, "p", granularity=AnalyticsGranularity.COMPREHENSIVE, **options)
        assert outcome.trend_analysis is not None
        report = render_report(outcome, width=100)
        assert f"runs/day per day ({significance}) · acceleration" in report
        confidence = outcome.trend_analysis.confidence_score
        assert f"Confidence    {confidence:.2f}   ({buckets})" in report
        page = render_html(outcome, name="p")
        assert f"runs/day per day ({significance})<" in page
        assert f"({buckets})<" in page
        if records:  # (the chart's legend says the same; without runs there is no chart)
            suffix = "" if significance == "significant" else f", {significance}"
            assert f"runs/day per day{suffix}</span></div>" in page
            assert f"each {buckets.split(' of ')[1]} bucket" in page


def test_huge_latencies_are_written_compactly() -> None:
    # 1.7e308 ms printed all its 300 digits: a P95 cell wider than the table, a report
    # duration wrapped over six lines; the total (past the largest double) was "inf h".
    huge = result(runs(5, ms=1.7e308))
    assert huge.performance_metrics is not None
    assert math.isinf(huge.performance_metrics.total_execution_time_ms)
    table = render_dashboard(dashboard_rows([("huge", huge)]), width=100)
    assert row_of(table, "huge")[3:5] == ["4.72e+301", "h"]
    assert all(len(line) <= 100 for line in table.splitlines())
    report = render_report(huge, width=100).splitlines()
    performance = next(report[i:] for i, line in enumerate(report) if "PERFORMANCE" in line)
    assert [line.split()[0] for line in performance[1:4]] == ["Percentiles", "Spread", "Total"]
    assert "p95 4.72e+301 h" in performance[1]
    assert performance[3] == "  Total         >4.99e+301 h over 5 timed runs"


def test_dashboard_counts_the_records_skipped_as_invalid() -> None:
    # With on_invalid="skip" a pattern showed healthy and its skipped records nowhere.
    bad = [{"timestamp": "yesterday"}, {"timestamp": NOW, "execution_time_ms": -1}]
    skipping = analyse([*runs(30), *bad], "skipping", on_invalid="skip")
    items = [("skipping", skipping), ("clean", result(runs(30)))]
    rows = dashboard_rows(items)
    table = render_dashboard(rows, width=100)
    assert table.splitlines()[0].split()[:4] == ["PATTERN", "RUNS", "INVALID", "SUCCESS"]
    assert row_of(table, "skipping")[1:3] == ["30", "2"]
    assert row_of(table, "clean")[1:3] == ["30", "0"]
    document = {row["name"]: row["invalid_records"] for row in dashboard_document(rows)}
    assert document == {"skipping": 2, "clean": 0}
    # Without skipped records the table is as it was.
    assert "INVALID" not in render_dashboard(dashboard_rows(items[1:]), width=100)


def test_ascii_text_fits_its_width_after_the_unicode_is_replaced() -> None:
    # "±" became "+/-" (and a name's "→" "->") after the lines were fitted: 2 columns over.
    named = [("a→b·c", sketched()), ("plain", result(runs(30)))]
    for width in range(MIN_WIDTH, 101):
        texts = [render_report(sketched(), name="a→b", width=width, unicode=False)]
        texts.append(render_summary(named, width=width, unicode=False))
        for text in texts:
            assert text.isascii()
            assert max(len(line) for line in text.splitlines()) <= width, width


def test_report_says_when_percentiles_come_from_the_sketch() -> None:
    # Merged accumulators' percentiles are estimates; the report gave no sign of it.
    percentiles = next(
        line for line in render_report(sketched(), width=100).splitlines() if "Percentiles" in line
    )
    assert percentiles.endswith("(sketch, within ±1%)")
    assert "(sketch, within +/-1%)" in render_report(sketched(), width=100, unicode=False)
    assert "sketch" not in render_report(result(runs(30)), width=100)


def test_report_header_of_a_short_window_in_the_first_millennium() -> None:
    # A one-second window was "0.0166667 min" long, and the year 1 was written "1".
    start = datetime(1, 1, 1, tzinfo=UTC)
    one_second = analyse(
        [{"timestamp": start, "success": True}],
        "p",
        start,
        start + timedelta(seconds=1),
        time_window_type=TimeWindowType.CUSTOM,
    )
    report = render_report(one_second, width=100).splitlines()
    assert report[2].startswith(" 0001-01-01 00:00 → 0001-01-01 00:00:01 UTC · 1 s · custom")
    assert "(1 bucket of " in render_report(one_second, width=100)


def test_a_window_of_a_microsecond_is_written_out_not_in_exponent_form() -> None:
    # Its length, its one bucket's and the projection's horizon were each "1e-06 s".
    start = datetime(2026, 1, 1, tzinfo=UTC)
    one = analyse(
        [{"timestamp": start, "success": True}],
        "p",
        start,
        start + timedelta(microseconds=1),
        time_window_type=TimeWindowType.CUSTOM,
        granularity=AnalyticsGranularity.COMPREHENSIVE,
    )
    report = render_report(one, width=120).splitlines()
    # (Its end, shown to the minute, was its start: "00:00 → 2026-01-01 00:00".)
    window = " 2026-01-01 00:00 → 2026-01-01 00:00:00.000001 UTC · 0.000001 s · custom window"
    assert report[2] == window
    projection = "  Projection    ~86,400,000,000.0/day over the next 0.000001 s (~1 run; linear,"
    assert f"{projection} experimental)" in report
    assert "  Confidence    0.04   (1 bucket of 0.000001 s)" in report


def test_report_counts_one_of_a_thing_in_the_singular() -> None:
    output = result(runs(30), "p")
    comprehensive = analyse(runs(30), "p", granularity=AnalyticsGranularity.COMPREHENSIVE)
    trend = comprehensive.trend_analysis
    assert trend is not None
    assert trend.predictions is not None
    one = trend.model_copy(
        update={
            "bucket_count": 1,
            "predictions": trend.predictions.model_copy(update={"predicted_executions": 1.0}),
        }
    )
    report = render_report(comprehensive.model_copy(update={"trend_analysis": one}), width=120)
    assert "(~1 run; linear, experimental)" in report
    assert "(1 bucket of" in report
    assert "(30 buckets of" in render_report(output, width=120)


def test_new_agents_per_week_are_written_as_the_other_rates() -> None:
    # Without thousands separators, as no other rate: "1209600000.0 new/week".
    output = result(runs(30), "p")
    assert output.trend_analysis is not None
    trend = output.trend_analysis.model_copy(update={"adoption_rate": 1_209_600_000.0})
    shown = output.model_copy(update={"trend_analysis": trend})
    assert "1,209,600,000.0 new/week" in render_report(shown, width=120)
    assert "1,209,600,000.0 per week" in render_html(shown)


def test_rates_below_a_twentieth_are_not_rounded_to_zero() -> None:
    # Four runs in a quarter were "0.0/day · 0.3/week", as if there were none.
    records = [{"timestamp": NOW - timedelta(days=20 * i), "success": True} for i in range(4)]
    quarter = NOW - timedelta(days=90)
    output = analyse(records, "p", quarter, time_window_type=TimeWindowType.QUARTERLY)
    assert output.usage_metrics.executions_per_day == pytest.approx(4 / 90)
    assert "(0.044/day · 0.3/week · 1.3/month)" in render_report(output, width=120)
    assert ">0.044 per day" in render_html(output)
    summary = render_summary([("p", output)], width=120)
    assert summary.splitlines()[2].split()[4] == "0.044"  # the /DAY column


def test_rates_below_a_ten_thousandth_are_written_out_not_in_exponent_form() -> None:
    # One run in 36 years was "7.6e-05/day" (and "7.6e-05" in the /DAY column).
    record = {"timestamp": NOW - timedelta(days=3), "success": True}
    start = NOW - timedelta(days=36 * 365)
    output = analyse([record], "p", start, time_window_type=TimeWindowType.ALL_TIME)
    assert output.usage_metrics.executions_per_day == pytest.approx(1 / (36 * 365))
    assert "(0.000076/day · 0.00053/week · 0.0023/month)" in render_report(output, width=120)
    assert ">0.000076 per day" in render_html(output)
    summary = render_summary([("p", output)], width=120)
    assert summary.splitlines()[2].split()[4] == "0.000076"


# ---------------------------------------------------------------------------- progress


class Terminal(io.StringIO):
    """A terminal that takes UTF-8 (or `charset`)."""

    charset = "utf-8"

    def isatty(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.charset


class AsciiTerminal(Terminal):
    charset = "ascii"


def test_progress_draws_nothing_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, delay=0.0)
    progress.bar("analysing", 1, 2)
    progress.status("loading")
    progress.clear()
    assert stream.getvalue() == ""


def test_progress_bar_is_drawn_in_place_and_erased() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=0.0, interval=0.0)
    progress.bar("analysing", 3, 12)
    progress.bar("analysing", 12, 12)
    drawn = stream.getvalue()
    assert drawn.startswith("\ranalysing [██████░░░░░░░░░░░░░░░░░░] 3/12\x1b[K")
    assert "\ranalysing [████████████████████████] 12/12\x1b[K" in drawn
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_line_fits_the_terminal_in_columns_and_escapes_its_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cut by characters, a line of wide characters wrapped (its redraws left stale rows);
    # a label's ESC went to the terminal raw.
    monkeypatch.setenv("COLUMNS", "40")
    stream = Terminal()
    progress = Progress(stream, delay=0.0, interval=0.0)
    progress.status("loading the records of 検索クエリ書き換え検索クエリ書き換え")
    progress.status("loading \x1b]0;pwned\x07 from runs.csv")
    lines = [line.removesuffix("\x1b[K") for line in stream.getvalue().split("\r") if line]
    assert [text_width.width(line) <= 39 for line in lines] == [True, True]
    assert "\x1b]" not in lines[1]
    assert "\\x1b]0;pwned" in lines[1]


def test_progress_waits_for_the_delay_before_drawing() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=3600.0)
    progress.bar("analysing", 12, 12)
    progress.clear()
    assert stream.getvalue() == ""


def test_progress_on_an_ascii_terminal() -> None:
    stream = AsciiTerminal()
    Progress(stream, delay=0.0).bar("x", 1, 2)
    assert "[############------------] 1/2" in stream.getvalue()


def test_step_spins_while_awaiting() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=0.0, interval=0.005)

    async def slow() -> None:
        async with progress.step("loading runs.csv"):
            await asyncio.sleep(0.1)

    asyncio.run(slow())
    frames = [part for part in stream.getvalue().split("\r") if "loading runs.csv" in part]
    assert len(frames) >= 3
    assert {frame[0] for frame in frames} >= {"|", "/"}
    assert frames[-1].endswith(" s)\x1b[K")


def test_window_helper_is_consistent() -> None:
    assert START + timedelta(days=30) == NOW


@pytest.mark.parametrize(
    ("invalid", "more"),
    [(3, None), (4, "and 1 more invalid record"), (12, "and 9 more invalid records")],
)
def test_the_report_says_how_many_invalid_records_its_samples_leave_out(
    invalid: int, more: str | None
) -> None:
    records = runs(20)
    for record in records[:invalid]:
        record["execution_time_ms"] = -1.0
    report = render_report(analyse(records, "p", on_invalid="skip"), width=100)
    assert report.count("execution_time_ms = -1.0: must be >= 0") == 3
    assert ("more invalid record" in report) == (more is not None)
    if more is not None:
        assert more in report


def test_reports_narrower_than_the_least_width_are_drawn_at_it(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    # Below MIN_WIDTH the report's hour chart wrapped and broke (the CLI never asks for
    # less; a caller of render_report may).
    _, first = items[0]
    assert render_report(first, width=30) == render_report(first, width=MIN_WIDTH)
    assert render_summary(items, width=30) == render_summary(items, width=MIN_WIDTH)
    assert max(map(text_width.width, render_report(first, width=30).splitlines())) <= MIN_WIDTH


# ------------------------------------------------------- gaps found by a mutation audit


def health_case(**numbers: Any) -> ModelUsageAnalyticsOutput:
    from test_health import make_result

    return make_result(**numbers)


@pytest.fixture(scope="module")
def three() -> list[DashboardRow]:
    """A healthy, a stale (four warnings, declining) and a slow (one critical) pattern."""
    return dashboard_rows(
        [
            ("healthy", health_case(p50=80.0, p95=90.0)),
            (
                "stale",
                health_case(
                    gate_failures=1,
                    quality=0.5,
                    hours_since_last_use=500.0,
                    trend_type=UsageTrendType.DECLINING,
                    velocity=-1.0,
                ),
            ),
            ("slow", health_case(p50=300.0, p95=400.0, p99=1500.0)),
        ]
    )


def test_table_in_full(three: list[DashboardRow]) -> None:
    # Numbers right-aligned, the trend left-aligned, the rule as long as the header, a
    # single finding without "(+0)".
    assert render_dashboard(three, width=100).splitlines() == [
        "PATTERN   RUNS  SUCCESS     P95  TREND        WORST HEALTH FINDING",
        "─" * 66,
        "slow       200    95.0%  400 ms  → stable     ✗ p99 latency 1.50 s > 1.00 s",
        "stale      200    95.0%  150 ms  ↘ declining  ⚠ 1 run failed its quality gates (+3)",
        "healthy    200    95.0%   90 ms  → stable     healthy",
    ]
    assert render_dashboard(three, width=100, unicode=False).splitlines()[1:4] == [
        "-" * 66,
        "slow       200    95.0%  400 ms  = stable     X p99 latency 1.50 s > 1.00 s",
        "stale      200    95.0%  150 ms  v declining  ! 1 run failed its quality gates (+3)",
    ]


def test_finding_stays_on_its_row_down_to_sixteen_columns(three: list[DashboardRow]) -> None:
    # At 62 columns the finding gets 16, cut between words (it was cut at the 16th
    # column, "✗ p99 latency 1…", "⚠ 1 run fa… (+3)": a value that is none); at 61 it
    # would get 15 and goes on its own line.
    inline = render_dashboard(three, width=62).splitlines()
    assert inline[:4] == [
        "PATTERN   RUNS  SUCCESS     P95  TREND        WORST FINDING",
        "─" * 59,
        "slow       200    95.0%  400 ms  → stable     ✗ p99 latency …",
        "stale      200    95.0%  150 ms  ↘ declining  ⚠ 1 run … (+3)",
    ]
    assert [len(line) for line in inline[2:4]] == [61, 60]
    ascii_lines = render_dashboard(three, width=62, unicode=False).splitlines()
    assert ascii_lines[2].endswith(" X p99 latency ~")
    below = render_dashboard(three, width=61).splitlines()
    assert below[:4] == [
        "PATTERN   RUNS  SUCCESS     P95  TREND",
        "─" * 44,
        "slow       200    95.0%  400 ms  → stable",
        "    ✗ p99 latency 1.50 s > 1.00 s",
    ]


def test_header_takes_the_longest_title_that_fits(three: list[DashboardRow]) -> None:
    def title(width: int) -> str:
        return render_dashboard(three, width=width).splitlines()[0].split("TREND")[1].strip()

    assert [title(width) for width in (62, 65, 66)] == [
        "WORST FINDING",
        "WORST FINDING",  # 19 columns: one short of the long title
        "WORST HEALTH FINDING",
    ]


def test_width_defaults_to_the_terminal(
    three: list[DashboardRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "62")
    assert render_dashboard(three) == render_dashboard(three, width=62)


def test_names_past_36_columns_are_cut_and_never_below_8() -> None:
    long = render_dashboard(dashboard_rows([("x" * 37, health_case())]), width=140)
    assert long.splitlines()[2].startswith("x" * 35 + "…   200")
    # Wide numbers leave the name 6 columns at 60: it still gets 8.
    wide = health_case(
        runs=10**12,
        p50=1e308,
        p95=1.7e308,
        p99=1.7e308,
        trend_type=UsageTrendType.DECLINING,
        velocity=-1.0,
    )
    narrow = render_dashboard(dashboard_rows([("abcdefghijkl", wide)]), width=60)
    assert narrow.splitlines()[2].startswith("abcdefg…  1,000,000,000,000")


#: Two ids alike in their first 36 columns: cut there, they were two rows of one name.
ALIKE = [
    "payments.checkout.service.endpoint.v1-primary",
    "payments.checkout.service.endpoint.v2-primary",
]


def test_long_names_alike_at_their_start_are_cut_apart() -> None:
    rows = dashboard_rows([(name, health_case()) for name in ALIKE])
    lines = render_dashboard(rows, width=140).splitlines()[2:]
    assert [line.split("  ")[0] for line in lines] == [
        "payments.checkout.…dpoint.v1-primary",
        "payments.checkout.…dpoint.v2-primary",
    ]
    ascii_lines = render_dashboard(rows, width=140, unicode=False).splitlines()[2:]
    assert ascii_lines[0].startswith("payments.checkout.~dpoint.v1-primary   200")


def test_headline_stops_at_a_parenthesis_too() -> None:
    (finding,) = health_case(p50=400.0, p95=1500.0, p99=999.0).health()[:1]
    assert finding.message == "p95 latency 1.50 s is above 500 ms (more than twice the limit)."
    assert headline(finding) == "p95 latency 1.50 s > 500 ms"


#: (the row before, the row after): each decided by one key of the order.
ORDERED_PAIRS = {
    # severity before the count of findings: one critical before three warnings
    "severity": (
        ("one-critical", {"p99": 1500.0}),
        ("three-warnings", {"gate_failures": 1, "quality": 0.5, "hours_since_last_use": 500.0}),
    ),
    # findings of the worst severity before all findings: two critical before one
    # critical and three warnings
    "worst_count": (
        ("two-critical", {"success_rate": 0.5}),
        (
            "one-critical-and-three-warnings",
            {"p99": 1500.0, "gate_failures": 1, "quality": 0.5, "hours_since_last_use": 500.0},
        ),
    ),
    # all findings before the error rate: a critical and two warnings at 5% errors before
    # one critical at 10%
    "findings": (
        ("critical-and-two-warnings", {"p99": 1500.0, "gate_failures": 1, "quality": 0.5}),
        ("critical-more-errors", {"p99": 1500.0, "success_rate": 0.9}),
    ),
    # the error rate before the name
    "error_rate": (
        ("zulu-more-errors", {"p99": 1500.0, "success_rate": 0.9}),
        ("alpha-fewer-errors", {"p99": 1500.0, "success_rate": 0.95}),
    ),
    # the name last
    "name": (("alpha", {"p99": 1500.0}), ("bravo", {"p99": 1500.0})),
}


@pytest.mark.parametrize("key", list(ORDERED_PAIRS))
def test_each_key_of_the_row_order_decides_between_two_rows(key: str) -> None:
    first, second = ORDERED_PAIRS[key]
    for items in ([first, second], [second, first]):
        rows = dashboard_rows([(name, health_case(**numbers)) for name, numbers in items])
        assert [row.name for row in rows] == [first[0], second[0]]


def test_a_nan_error_rate_leaves_the_order_to_the_other_keys() -> None:
    # A result read back from JSON may hold NaN, which compares neither way: the rows
    # came in six orders for the orders of the same four rows. Unknown, it goes after
    # the known rates, the names deciding the rest.
    healthy = result(runs(10))
    success = healthy.success_metrics
    unknown = healthy.model_copy(
        update={"success_metrics": success.model_copy(update={"error_rate": math.nan})}
    )
    items = [("a", healthy), ("b", unknown), ("c", healthy), ("d", healthy)]
    for order in itertools.permutations(items):
        assert [row.name for row in dashboard_rows(order)] == ["a", "c", "d", "b"]
        assert [name for name, _ in by_attention(order)] == ["a", "c", "d", "b"]


def test_a_result_without_performance_or_trend_shows_dashes(
    three: list[DashboardRow],
) -> None:
    rows = dashboard_rows([("bare", health_case(with_performance=False, with_trend=False))])
    assert row_of(render_dashboard(rows, width=100), "bare") == [
        "bare",
        "200",
        "95.0%",
        "-",
        "-",
        "healthy",
    ]
    assert dashboard_document(rows) == [
        {
            "name": "bare",
            "pattern_id": "checkout",
            "total_executions": 200,
            "invalid_records": 0,
            "success_rate": 0.95,
            "p95_execution_time_ms": None,
            "trend_type": None,
            "worst_finding": None,
            "findings": 0,
        }
    ]
    assert dashboard_document(three)[0] == {
        "name": "slow",
        "pattern_id": "checkout",
        "total_executions": 200,
        "invalid_records": 0,
        "success_rate": 0.95,
        "p95_execution_time_ms": 400.0,
        "trend_type": "stable",
        "worst_finding": {
            "severity": "critical",
            "code": "high_p99_latency",
            "message": "p99 latency 1.50 s is above 1.00 s.",
            "value": 1500.0,
            "threshold": 1000.0,
        },
        "findings": 1,
    }


def test_rows_are_frozen(three: list[DashboardRow]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        three[0].name = "renamed"  # type: ignore[misc]


def test_a_finding_under_its_row_is_cut_to_the_width_less_its_indent(
    three: list[DashboardRow],
) -> None:
    items = [(row.name, row.result) for row in three]
    rows = dashboard_rows([*items, ("unused", health_case(hours_since_last_use=500.0))])
    lines = render_dashboard(rows, width=60).splitlines()
    finding = lines[lines.index("unused     200    95.0%  150 ms  → stable") + 1]
    # (The threshold dropped, not cut: it was "..., more than …", its value gone.)
    assert finding == "    ⚠ Last used 20.8 days before the window end"


def test_document_writes_an_infinite_finding_value_as_null() -> None:
    # A spread past the largest double: the document is read as JSON, which has no inf.
    only_spread = HealthThresholds(max_p95_ms=None, max_p99_ms=None)
    tail = health_case(p50=1e-300, p95=1e308, p99=1e308)
    (row,) = dashboard_document(dashboard_rows([("tail", tail)], only_spread))
    assert row["worst_finding"]["code"] == "wide_latency_spread"
    assert (row["worst_finding"]["value"], row["worst_finding"]["threshold"]) == (None, 2.0)
    json.dumps(row, allow_nan=False)
