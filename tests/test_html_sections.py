"""The HTML report's sections written exactly: each section of a real reduction parsed
with html.parser into one line per element (its tag and classes, its other attributes,
its own text), against the numbers the records give (worked out in each test)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from day_reduction import START, reduce
from usage_analytics import (
    AnalyticsGranularity,
    HealthThresholds,
    ModelUsageAnalyticsOutput,
)
from usage_analytics.html_report import render_html

DASH = "\N{EN DASH}"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class Flat(HTMLParser):
    """Each element as "tag.class.class[attribute=value ...] > its own text"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[list[str]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.pop("class", None) or "").split()
        rest = " ".join(
            f"{name}={value}"
            for name, value in attributes.items()
            if name not in ("id", "aria-labelledby")
        )
        label = ".".join([tag, *classes]) + (f"[{rest}]" if rest else "")
        self.elements.append([label, ""])
        if tag not in VOID:
            self.open.append(len(self.elements) - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.elements[self.open[-1]][1] += data


def flat(markup: str) -> list[str]:
    parser = Flat()
    parser.feed(markup)
    parser.close()
    assert parser.open == []  # (every element closed)
    return [f"{label} > {text}" if text else label for label, text in parser.elements]


def section(document: str, section_id: str) -> str:
    """The markup of one section, from its opening tag to its end."""
    start = document.rindex("<", 0, document.index(f'id="{section_id}"'))
    end = document.index("</section>", start) + len("</section>")
    return document[start:end]


def table_rows(name: str, count: int, share: str, shown: str) -> list[str]:
    return [
        "tr",
        f"td.name > {name}",
        f"td.num > {count}",
        "td.share",
        "div.sharebar",
        f"span[style=width:{share}%]",
        f"td.num > {shown}",
    ]


def head(unit: str) -> list[str]:
    return ["table", "thead", "tr", f"th > {unit}", "th.num > Runs", "th", "th.num > Share"]


def test_distribution_tables_show_the_top_eight_and_the_rest() -> None:
    # Agents a0..a9 with 10, 9, ..., 1 runs: 55 in all. The first eight are rows (a0:
    # 10 / 55 = 18.18%), the last two one row: "+ 2 more", 3 runs, 5.5%. No run has a
    # file path: "none recorded".
    records = [
        {"timestamp": START + timedelta(hours=i % 20), "success": True, "agent": f"a{k}",
         "context_type": "ctx", "project": "pr"}
        for k in range(10)
        for i in range(10 - k)
    ]  # fmt: skip
    shares = ["18.18", "16.36", "14.55", "12.73", "10.91", "9.09", "7.27", "5.45"]
    shown = ["18.2%", "16.4%", "14.5%", "12.7%", "10.9%", "9.1%", "7.3%", "5.5%"]
    agents = [line for k in range(8) for line in table_rows(f"a{k}", 10 - k, shares[k], shown[k])]
    assert flat(section(render_html(reduce(records)), "distribution")) == [
        "section.card",
        "header",
        "h2 > Where it runs",
        "p > top 8 of each; file types count runs with a file path",
        "div.tables",
        "div",
        "h3 > Context types",
        *head("Context type"),
        "tbody",
        *table_rows("ctx", 55, "100.00", "100.0%"),
        "div",
        "h3 > Agents",
        *head("Agent"),
        "tbody",
        *agents,
        "tr.rest",
        "td > + 2 more",
        "td.num > 3",
        "td",
        "td.num > 5.5%",
        "div",
        "h3 > Projects",
        *head("Project"),
        "tbody",
        *table_rows("pr", 55, "100.00", "100.0%"),
        "div",
        "h3 > File types",
        *head("Extension"),
        "tbody",
        "tr",
        "td.muted[colspan=4] > none recorded",
    ]


def nightly() -> tuple[ModelUsageAnalyticsOutput, str]:
    """Ten runs two hours apart from 00:00 (runs 3 and 7 failed, 7 timed out, 5 failed
    its quality gate), taking 100, 200, ..., 1000 ms, by bob and ann in turn; and one
    record without a valid timestamp (line 11), skipped. Its report with an overview of
    it and an empty pattern, and 2 records without a pattern id."""
    records: list[dict[str, Any]] = [
        {"timestamp": START + timedelta(hours=2 * i), "success": i not in (3, 7),
         "execution_time_ms": 100.0 * (i + 1), "agent": "ann" if i % 2 else "bob",
         "context_type": "ci", "quality_score": 0.9, "quality_gates_passed": i != 5,
         "timeout": i == 7}
        for i in range(10)
    ]  # fmt: skip
    records.append({"timestamp": "soon", "success": True})
    result = reduce(records, on_invalid="skip")
    empty = reduce([])
    document = render_html(
        result,
        name="nightly",
        locate=lambda index: f"line {index + 1}",
        overview=[("nightly", result), ("other", empty)],
        unattributed=2,
    )
    return result, document


def test_header_overview_and_key_numbers_of_a_known_run() -> None:
    # p95 of 100..1000 ms is 955 (past 500: a warning, not critical under 20 runs), p50
    # 550, p99 991 (within 1 s); 8 of 10 succeeded (80.0%: at the limit, ok); one gate
    # failure (a warning); the last run at 18:00, 6 h before the end. Confidence 0.37 =
    # 0.7 * 10 / 100 + 0.3 * min(24 buckets / 10, 1).
    _, document = nightly()
    assert '<main class="page">\n<header class="report-header">' in document
    start = document.index('<header class="report-header">')
    assert flat(document[start : document.index("</header>", start) + 9]) == [
        "header.report-header",
        "div.eyebrow > Usage analytics report",
        "div.title-row",
        "h1 > nightly",
        "span.badge.trend-stable > → stable",
        "span.badge.warning > 2 warnings",
        "p.pattern-id > Pattern ",
        "code > p",
        "dl.meta",
        "div", "dt > Window (UTC)", "dd > 2026-03-01 00:00 → 2026-03-02 00:00",
        "div", "dt > Length", "dd > 1 day · custom",
        "div", "dt > Calendar zone", "dd > UTC",
        "div", "dt > Granularity", "dd > comprehensive",
    ]  # fmt: skip
    assert flat(section(document, "overview")) == [
        "section.card",
        "header",
        "h2 > All patterns",
        "p > 2 patterns",
        "table", "thead", "tr",
        "th > Pattern", "th > Trend", "th.num > Runs", "th.num > Success", "th.num > p95",
        "th > Worst finding",
        "tbody",
        "tr.current[aria-current=true]",
        "td.name > nightly", "td.nowrap > → stable", "td.num > 10", "td.num > 80.0%",
        "td.num > 955 ms", "td >  p95 latency 955 ms is above 500 ms. ",
        "span.badge.warning > Warning", "span.muted > +1 more",
        "tr",
        "td.name > other", "td.nowrap > ✧ emerging", "td.num > 0", f"td.num > {DASH}",
        f"td.num > {DASH}", "td >  No executions in the window: nothing to judge.",
        "span.badge.info > Info",
        "p.muted > 2 records without a pattern_id left out.",
        "p.muted > 1 invalid record left out.",
    ]  # fmt: skip
    tiles = flat(section(document, "kpis"))
    assert tiles == [
        "section.kpis[aria-label=Key numbers]",
        "div.tile", "div.label > Executions", "div.value[title=10] > 10",
        "div.sub > 10.0 per day · busiest day 10",
        "div.tile.ok", "div.label > Success rate", "div.value[title=80.0%] > 80.0%",
        "div.sub > 8 ok · 2 failed",
        "div.tile.warning", "div.label > p95 latency", "div.value[title=955 ms] > 955 ms",
        "div.sub > p50 550 ms · p99 991 ms",
        "div.tile.warning", "div.label > Avg quality", "div.value[title=0.90] > 0.90",
        "div.sub > 1 gate failure",
        "div.tile.ok", "div.label > Last used", "div.value[title=6.0 h] > 6.0 h",
        "div.sub > before the window end",
        "div.tile.ok", "div.label > Trend", "div.value[title=→ stable] > → stable",
        "div.sub > -12.52 runs/day per day (noise)",
        "div.tile", "div.label > Agents", "div.value[title=2] > 2",
        "div.sub > 1 context type",
        "div.tile", "div.label > Analytics quality", "div.value[title=0.08] > 0.08",
        "div.sub > trend confidence 0.37",
    ]  # fmt: skip


def test_health_outcomes_and_data_quality_of_a_known_run() -> None:
    result, document = nightly()
    # Hourly buckets (24), ten runs at even hours until 18:00: no run in the last quarter
    # of the day; the trend numbers are the core's.
    activity = flat(section(document, "activity"))
    assert activity[2:4] == ["h2 > Executions over time", "p > 10 runs in the window"]
    stats = activity.index("dl.stats")
    assert activity[stats:] == [
        "dl.stats",
        "div", "dt > Direction", "dd > → stable",
        "div", "dt > Velocity", "dd > -12.52 runs/day per day (not significant)",
        "div", "dt > Acceleration", "dd > -28.20",
        "div", "dt > Growth", "dd > -66.7% (last quarter vs first)",
        "div", "dt > Agent retention", "dd > 100.0%",
        "div", "dt > Agent churn", "dd > 0.0%",
        "div", "dt > New agents", "dd > 0.0 per week",
        "div", "dt > Confidence", "dd > 0.37 (24 buckets of 1 h)",
        "div", "dt > Next 1 day (linear, experimental)", "dd > ~0.0/day, ~0 runs",
    ]  # fmt: skip
    health = flat(section(document, "health"))
    assert health[:13] == [
        "section.card",
        "header",
        "h2 > Health",
        "p > 2 warnings",
        "ul.findings",
        "li.finding.warning", "span.sev > Warning", "span > p95 latency 955 ms is above 500 ms.",
        "span.code.mono[title=value 955 · limit 500] > high_p95_latency",
        "li.finding.warning", "span.sev > Warning",
        "span > 1 run failed its quality gates (10.0% of 10); at most 0 allowed.",
        "span.code.mono[title=value 1 · limit 0] > quality_gate_failures",
    ]  # fmt: skip
    assert health[13:17] == ["details", "summary > Thresholds used", "table", "tbody"]
    limits = [line.split(" > ", 1)[1] for line in health[17:] if line.startswith("td")]
    assert limits == [
        "Success rate at least", "80.0%", "Error rate at most", "20.0%",
        "p95 latency at most", "500 ms", "p99 latency at most", "1.00 s",
        "p95 at most this times p50", "2x", "Last use at most", "168 h",
        "Quality-gate failures at most", "0", "Average quality at least", "0.70",
        "Flag a declining trend", "yes", "Flag an abandoned trend", "yes",
        "Runs needed for “critical”", "20",
    ]  # fmt: skip
    assert flat(section(document, "outcomes")) == [
        "section.card",
        "header",
        "h2 > Outcomes",
        "p > 10 runs",
        "div.outcome[role=img aria-label=80.0% succeeded, 20.0% failed]",
        "span.ok[style=width:80.000% title=8 ok]",
        "span.bad[style=width:20.000% title=2 failed]",
        "div.legend",
        "span > succeeded 8 (80.0%)", "span.key[style=background:var(--green)]",
        "span > failed 2 (20.0%)", "span.key[style=background:var(--red)]",
        "dl.stats",
        "div", "dt > Timeouts", "dd > 1 (10.0%)",
        "div", "dt > Quality-gate failures", "dd > 1 (10.0%)",
        "div", "dt > Average quality score", "dd > 0.90",
        "p.note > Success over time is not shown: the result holds per-bucket counts, not "
        "per-bucket outcomes.",
    ]  # fmt: skip
    # Mean of 100..1000 is 550; sample std 302.77; p95 / p50 = 955 / 550; total 5.5 s.
    latency = flat(section(document, "latency"))
    assert latency[2:5] == ["h2 > Latency", "p > 10 timed runs · linear scale", "div.legend"]
    stats = latency.index("dl.stats")
    assert latency[stats : stats + 16] == [
        "dl.stats",
        "div", "dt > Mean", "dd > 550 ms",
        "div", "dt > Standard deviation", "dd > 303 ms",
        "div", "dt > p95 / p50", "dd > 1.7x",
        "div", "dt > Total time", "dd > 5.50 s",
        "div", "dt > Timed runs", "dd > 10",
    ]  # fmt: skip
    quality = flat(section(document, "data-quality"))
    assert quality[:-2] == [
        "section.card",
        "header",
        "h2 > Data quality",
        "dl.stats",
        "div", "dt > Records received", "dd > 11",
        "div", "dt > In the window", "dd > 10",
        "div", "dt > Outside the window", "dd > 0",
        "div", "dt > Invalid (left out)", "dd > 1",
        "div", "dt > Analytics quality score", "dd > 0.08",
        "div", "dt > Computed in", f"dd > {quality[21].split(' > ')[1]}",  # (timed)
        "h3[style=margin-top:16px] > Invalid records (first 1 of 1)",
        "table.samples", "thead", "tr", "th > Where", "th > Field", "th > Value", "th > Reason",
        "tbody", "tr", "td > line 11", "td.mono > timestamp", "td.mono > 'soon'",
        "td > not an ISO-8601 date-time (e.g. 2026-01-05T10:00:00Z)",
    ]  # fmt: skip
    # (Seconds are written unless they are 0: a run computed at 09:05:00 says "09:05".)
    computed = result.computed_at
    shown = f"{computed:%Y-%m-%d %H:%M}" + (f":{computed:%S}" if computed.second else "")
    assert quality[-2:] == [
        f"p.note > Correlation id  · computed {shown} UTC",
        f"code > {result.correlation_id}",
    ]


def test_an_empty_window_with_limits_switched_off() -> None:
    # No runs: dashes, "no executions", no charts; the only finding the no_executions
    # note (so neither "Healthy" nor a severity badge in the header); the limits that
    # are None are "off", the flags "no".
    thresholds = HealthThresholds(
        min_success_rate=None, max_error_rate=0.05, max_p95_ms=None, max_p99_ms=2500,
        max_p95_p50_ratio=None, max_hours_since_last_use=None,
        max_quality_gate_failures=None, min_avg_quality=None, flag_declining=False,
        flag_abandoned=False, min_samples_for_critical=5,
    )  # fmt: skip
    document = render_html(reduce([]), thresholds=thresholds)
    start = document.index('<header class="report-header">')
    assert flat(document[start : document.index("</header>", start) + 9])[:6] == [
        "header.report-header",
        "div.eyebrow > Usage analytics report",
        "div.title-row",
        "h1 > p",
        "span.badge.trend-emerging > ✧ emerging",
        "dl.meta",
    ]
    assert flat(section(document, "kpis"))[1:] == [
        "div.tile", "div.label > Executions", "div.value[title=0] > 0",
        "div.sub > 0.0 per day · busiest day 0",
        "div.tile", "div.label > Success rate", f"div.value[title={DASH}] > {DASH}",
        "div.sub > no executions",
        "div.tile", "div.label > p95 latency", f"div.value[title={DASH}] > {DASH}",
        "div.sub > not measured",
        "div.tile", "div.label > Avg quality", f"div.value[title={DASH}] > {DASH}",
        "div.sub > 0 gate failures",
        "div.tile", "div.label > Last used", f"div.value[title={DASH}] > {DASH}",
        "div.sub > no use",
        "div.tile", "div.label > Trend", "div.value[title=✧ emerging] > ✧ emerging",
        "div.sub > 0.00 runs/day per day",
        "div.tile", "div.label > Agents", "div.value[title=0] > 0",
        "div.sub > 0 context types",
        "div.tile", "div.label > Analytics quality", "div.value[title=0.00] > 0.00",
        "div.sub > trend confidence 0.30",
    ]  # fmt: skip
    health = flat(section(document, "health"))
    assert health[3:9] == [
        "p > 1 info",
        "ul.findings",
        "li.finding.info",
        "span.sev > Info",
        "span > No executions in the window: nothing to judge.",
        "span.code.mono[title=value 0] > no_executions",
    ]
    limits = [line.split(" > ", 1)[1] for line in health if line.startswith("td")]
    assert limits[1::2] == ["off", "5.0%", "off", "2.50 s", "off", "off", "off", "off",
                            "no", "no", "5"]  # fmt: skip
    for section_id, title, note in (
        ("outcomes", "Outcomes", "No executions."),
        ("latency", "Latency", "No execution times were recorded."),
        ("timing", "When it runs", "No executions."),
    ):
        assert flat(section(document, section_id)) == [
            "section.card",
            "header",
            f"h2 > {title}",
            f"p.muted > {note}",
        ], section_id
    activity = flat(section(document, "activity"))
    assert activity[3:5] == [
        "p > 0 runs in the window",
        "p.muted > No executions in the window: nothing to chart.",
    ]
    assert "dd > 0.00 runs/day per day (no runs)" in activity


def test_a_healthy_pattern_has_the_healthy_badge_and_no_invalid_records_table() -> None:
    records = [{"timestamp": START + timedelta(minutes=30 * i), "success": True}
               for i in range(48)]  # fmt: skip
    document = render_html(reduce(records))
    start = document.index('<header class="report-header">')
    assert flat(document[start : document.index("</header>", start) + 9])[3:7] == [
        "h1 > p",
        "span.badge.trend-stable > → stable",
        "span.badge.ok > Healthy",
        "dl.meta",
    ]
    assert flat(section(document, "health"))[3:5] == [
        "p > no findings",
        "p.all-clear > All health checks pass.",
    ]
    quality = flat(section(document, "data-quality"))
    assert quality[:21] == [
        "section.card", "header", "h2 > Data quality", "dl.stats",
        "div", "dt > Records received", "dd > 48",
        "div", "dt > In the window", "dd > 48",
        "div", "dt > Outside the window", "dd > 0",
        "div", "dt > Invalid (left out)", "dd > 0",
        "div", "dt > Analytics quality score", "dd > 0.35",
        "div", "dt > Computed in",
    ]  # fmt: skip
    assert quality[22].startswith("p.note > Correlation id  · computed ")  # (no samples)
    assert len(quality) == 24


def test_an_abandoned_pattern_marks_its_last_use_and_trend_tiles() -> None:
    # Twelve runs in the first two hours of the day, none since: abandoned (a warning),
    # which both the last-use and the trend tiles show; the others are not about it.
    records = [{"timestamp": START + timedelta(minutes=10 * i), "success": True}
               for i in range(12)]  # fmt: skip
    document = render_html(reduce(records))
    tiles = flat(section(document, "kpis"))
    states = {tiles[i + 1].split(" > ")[1]: tiles[i] for i in range(1, len(tiles), 4)}
    assert states == {
        "Executions": "div.tile",
        "Success rate": "div.tile.ok",
        "p95 latency": "div.tile",
        "Avg quality": "div.tile.ok",
        "Last used": "div.tile.warning",
        "Trend": "div.tile.warning",
        "Agents": "div.tile",
        "Analytics quality": "div.tile",
    }
    assert tiles[13:17] == [
        "div.tile.ok",
        "div.label > Avg quality",
        "div.value[title=0.00] > 0.00",
        "div.sub > 0 gate failures · no scores (or all 0)",
    ]


def test_sections_of_families_not_computed_say_why() -> None:
    for granularity, reason in (
        (AnalyticsGranularity.SUMMARY, "SUMMARY granularity leaves the breakdowns out"),
        (AnalyticsGranularity.DETAILED, None),
    ):
        document = render_html(reduce([], granularity=granularity))
        activity = flat(section(document, "activity"))
        assert activity[3:7] == [
            "p > 0 runs in the window",
            "p.muted > The executions-per-bucket chart needs the per-bucket series, which "
            "COMPREHENSIVE granularity gives (, or ).",
            "code > --granularity comprehensive",
            "code > granularity=AnalyticsGranularity.COMPREHENSIVE",
        ]
        if reason is not None:
            for section_id, title in (
                ("timing", "When it runs"),
                ("distribution", "Where it runs"),
            ):
                assert flat(section(document, section_id)) == [
                    "section.card",
                    "header",
                    f"h2 > {title}",
                    f"p.muted > The distribution was not computed ({reason}).",
                ]
    document = render_html(reduce([{"timestamp": START}], include_distribution=False))
    for section_id, title in (("timing", "When it runs"), ("distribution", "Where it runs")):
        assert flat(section(document, section_id)) == [
            "section.card",
            "header",
            f"h2 > {title}",
            "p.muted > The distribution was not computed (include_distribution=False).",
        ]


def test_critical_findings_are_counted_in_the_header_and_health() -> None:
    # 30 runs through the day, 12 failed: 60% success and 40% errors, both critical at 20
    # runs or more; one failed quality gate, a warning after them. The header counts the
    # worst severity only.
    records = [{"timestamp": START + timedelta(minutes=45 * i), "success": i % 5 > 1,
                "quality_gates_passed": i != 0}
               for i in range(30)]  # fmt: skip
    result = reduce(records)
    document = render_html(result, overview=[("p", result)])
    assert [line for line in flat(section(document, "overview")) if "more" in line] == [
        "span.muted > +2 more"
    ]
    start = document.index('<header class="report-header">')
    assert flat(document[start : document.index("</header>", start) + 9])[4:6] == [
        "span.badge.trend-stable > → stable",
        "span.badge.critical > 2 critical",
    ]
    health = flat(section(document, "health"))
    assert health[3:6] == ["p > 2 critical · 1 warning", "ul.findings", "li.finding.critical"]
    assert [line for line in health if line.startswith("li.")] == [
        "li.finding.critical",
        "li.finding.critical",
        "li.finding.warning",
    ]


def test_sections_of_metrics_not_computed_name_the_option() -> None:
    records = [{"timestamp": START + timedelta(hours=i), "success": True} for i in range(3)]
    document = render_html(reduce(records, include_trends=False, include_performance=False))
    assert flat(section(document, "activity"))[2:] == [
        "h2 > Executions over time",
        "p.muted > Trend analysis was not computed for this result (include_trends=False).",
    ]
    assert flat(section(document, "latency"))[2:] == [
        "h2 > Latency",
        "p.muted > Performance metrics were not computed for this result "
        "(include_performance=False).",
    ]


def test_the_spread_of_latency_is_written_to_its_size() -> None:
    # A zero median: no ratio. 0.001, 0.001 and 1334 ms: p95 = 0.001 + 0.9 * 1333.999 =
    # 1200.6 ms, 1.2 million times the median: in exponent notation from a million.
    for times, spread in (
        ((0.0, 0.0, 0.0, 5.0), DASH),
        ((0.001, 0.001, 1334.0), "1.2e+06x"),
        ((1.0, 2.0, 12.0), "5.5x"),  # (p95 = 2 + 0.9 * 10)
    ):
        records = [{"timestamp": START, "execution_time_ms": ms} for ms in times]
        latency = flat(section(render_html(reduce(records)), "latency"))
        at = latency.index("dt > p95 / p50")
        assert latency[at + 1] == f"dd > {spread}", times


def test_one_run_is_judged() -> None:
    # A single successful run at 23:30 with a quality score of 0.9: its tiles are judged
    # (ok), the busiest hour is 23:00-00:00 (the next day's midnight).
    output = reduce([{"timestamp": START + timedelta(hours=23.5), "success": True,
                      "quality_score": 0.9}])  # fmt: skip
    document = render_html(output)
    tiles = flat(section(document, "kpis"))
    states = {tiles[i + 1].split(" > ")[1]: tiles[i] for i in range(1, len(tiles), 4)}
    assert states["Success rate"] == states["Avg quality"] == "div.tile.ok"
    assert states["Last used"] == states["Trend"] == "div.tile.ok"
    assert "dt > Next 1 day (linear, experimental)" in flat(section(document, "activity"))
    two_days = reduce([{"timestamp": START, "success": True}],
                      time_window_end=START + timedelta(days=2))  # fmt: skip
    activity = flat(section(render_html(two_days), "activity"))
    assert "dt > Next 2 days (linear, experimental)" in activity
    timing = flat(section(document, "timing"))
    assert timing[3] == "p > calendar zone UTC"
    assert '</svg></div></div><p class="note">Busiest hour 23:00' in document
    note = timing[-1]
    assert note.startswith(
        "p.note > Busiest hour 23:00\N{EN DASH}00:00 (1 run); busiest weekday Sun (1 run)."
    )


def test_overview_of_a_pattern_without_performance_metrics() -> None:
    late = START + timedelta(hours=23)
    timed = reduce([{"timestamp": late, "success": True, "execution_time_ms": 7.0}])
    untimed = reduce([{"timestamp": late, "success": True}], include_performance=False)
    document = render_html(timed, overview=[("timed", timed), ("untimed", untimed)])
    cells = [line for line in flat(section(document, "overview")) if line.startswith("td")]
    assert cells[:5] == ["td.name > timed", "td.nowrap > ✧ emerging", "td.num > 1",
                         "td.num > 100.0%", "td.num > 7.0 ms"]  # fmt: skip
    assert cells[6:11] == ["td.name > untimed", "td.nowrap > ✧ emerging", "td.num > 1",
                           "td.num > 100.0%", f"td.num > {DASH}"]  # fmt: skip


def test_latency_note_of_sketched_percentiles() -> None:
    from test_dashboard import sketched

    latency = flat(section(render_html(sketched()), "latency"))
    assert latency[-1] == (
        "p.note > Percentiles are estimates from a relative-error sketch (more times than an "
        "accumulator keeps exactly): each is within ±1% of the exact value. A histogram would "
        "need the individual execution times, which the result does not keep; the ladder "
        "above shows the shape of the distribution instead."
    )
    assert latency[0] == "section.card"  # (no stray text)
