"""The HTML report: one well-formed, self-contained document with every section and its
charts; every string from the data escaped; `--format html` on the command line."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    AnalyticsGranularity,
    HealthThresholds,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    evaluate_health,
)
from usage_analytics.cli import main
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.demo import DEMO_PATTERNS, DEMO_WINDOW, generate_demo_records
from usage_analytics.html_charts import MAX_BARS
from usage_analytics.html_report import render_html, render_judged_html
from usage_analytics.report import printable_name, render_report

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
SECTIONS = ("kpis", "health", "activity", "outcomes", "latency", "timing", "distribution")
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
#: Elements that would fetch or run something.
ACTIVE = re.compile(r"<\s*(script|link|iframe|img|object|embed|audio|video|source)\b", re.I)

HOSTILE_AGENT = "<script>alert(1)</script>"
HOSTILE_PATTERN = 'pat&"<>tern'


class Structure(HTMLParser):
    """Tags in document order; checks that every non-void element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))  # <line .../> in SVG

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Structure:
    parser = Structure()
    parser.feed(document)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


def reduce(records: Any, pattern_id: Any = "checkout", **options: Any) -> ModelUsageAnalyticsOutput:
    options.setdefault("time_window_start", NOW - DEMO_WINDOW)
    options.setdefault("time_window_end", NOW)
    options.setdefault("time_window_type", TimeWindowType.MONTHLY)
    options.setdefault("granularity", AnalyticsGranularity.COMPREHENSIVE)
    contract = ModelUsageAnalyticsInput(pattern_id=pattern_id, execution_data=records, **options)
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract)


@pytest.fixture(scope="module")
def demo() -> dict[str, ModelUsageAnalyticsOutput]:
    records = generate_demo_records(NOW, seed=7)
    return {p.name: reduce(records[p.name], p.pattern_id) for p in DEMO_PATTERNS}


@pytest.fixture(scope="module")
def triage_html(demo: dict[str, ModelUsageAnalyticsOutput]) -> str:
    return render_html(demo["ci-failure-triage"], name="ci-failure-triage")


def section(document: str, section_id: str) -> str:
    """The markup of one `<section id=...>`."""
    start = document.index(f'id="{section_id}"')
    return document[start : document.index("</section>", start)]


# -------------------------------------------------------------------------- structure


def test_one_well_formed_html_document(triage_html: str) -> None:
    assert triage_html.startswith("<!DOCTYPE html>\n")
    structure = parse(triage_html)
    names = [tag for tag, _ in structure.tags]
    for single in ("html", "head", "body", "style", "main"):
        assert names.count(single) == 1, single
    head = triage_html[: triage_html.index("</head>")]
    assert head.count("<title>") == 1  # (SVG charts have titles of their own)
    assert structure.tags[0] == ("html", {"lang": "en"})
    assert ("meta", {"charset": "utf-8"}) in structure.tags


def test_self_contained_no_external_references_and_no_script(triage_html: str) -> None:
    assert "http://" not in triage_html
    assert "https://" not in triage_html
    assert "//" not in re.sub(r"<!DOCTYPE html>", "", triage_html).replace("://", "")
    assert ACTIVE.search(triage_html) is None
    assert "@import" not in triage_html
    assert "url(" not in triage_html
    structure = parse(triage_html)
    for _, attrs in structure.tags:
        assert "src" not in attrs
        assert "href" not in attrs
        assert not any(name.startswith("on") for name in attrs)


def test_every_section_is_present(triage_html: str) -> None:
    for section_id in (*SECTIONS, "data-quality"):
        assert f'id="{section_id}"' in triage_html, section_id
    assert "<h1>ci-failure-triage</h1>" in triage_html
    assert "a29cd14e-d3b3-599b-a283-2818349b525d" in triage_html  # the pattern id under it
    assert "2026-02-01 14:00 → 2026-03-03 14:00" in triage_html
    assert "monthly" in triage_html


def test_charts_are_inline_accessible_svg(triage_html: str) -> None:
    for section_id, charts in (("activity", 1), ("latency", 1), ("timing", 2)):
        markup = section(triage_html, section_id)
        assert markup.count('<svg class="chart"') == charts, section_id
        assert markup.count('role="img"') >= charts
        assert markup.count("<title>") >= charts
    assert section(triage_html, "outcomes").count('class="outcome"') == 1


def test_activity_chart_has_a_bar_per_bucket_and_the_trend_line(
    demo: dict[str, ModelUsageAnalyticsOutput],
) -> None:
    result = demo["code-review-assistant"]
    assert result.trend_analysis is not None
    assert result.trend_analysis.time_series
    markup = section(render_html(result), "activity")
    assert markup.count("<rect") == len(result.trend_analysis.time_series) == 30
    assert 'stroke="var(--orange)"' in markup  # the fitted line
    assert "+1.23 runs/day per day" in markup


def test_latency_ladder_shows_every_percentile_and_the_limits(triage_html: str) -> None:
    markup = section(triage_html, "latency")
    for label in ("min", "p50", "mean", "p95", "p99", "max"):
        assert f'class="value">{label}</text>' in markup
    assert "p95 limit 500 ms" in markup
    assert "p99 limit 1.00 s" in markup
    assert "19.82 s" in markup
    assert "4.39 s" in markup
    custom = render_html(
        reduce([{"timestamp": NOW, "success": True, "execution_time_ms": 50.0}]),
        thresholds=HealthThresholds(max_p95_ms=None, max_p99_ms=250),
    )
    assert "p95 limit" not in custom
    assert "p99 limit 250 ms" in custom


@pytest.mark.parametrize(
    ("times", "drawn"),
    [
        ([5e-324, 1.0, 100.0], True),  # the smallest double: at the scale's start
        ([0.0, 1e-310, 3.0], True),
        ([5e-324, 5e-324], True),
        # 600 decades: the edges' ratio passed the largest double (every position NaN,
        # drawn at 0) and each power of ten had its label (601 of them, stacked).
        ([1e-300, 5.0, 1e300], True),
        ([1.0, 1.7e308], False),  # past the scale's reach: said, not drawn
    ],
)
def test_latency_chart_of_extreme_times(times: list[float], drawn: bool) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [{"timestamp": start, "execution_time_ms": value} for value in times]
    output = reduce(records, time_window_start=start, time_window_end=start + timedelta(days=1))
    latency = section(render_html(output, name="checkout"), "latency")
    assert ("<svg" in latency) is drawn
    assert ("beyond 1e300 ms are not drawn" in latency) is not drawn
    positions = [float(x) for x in re.findall(r' (?:x|x1|x2|width)="([^"]+)"', latency)]
    assert all(0 <= x <= 1000 for x in positions)  # (NaN fails too)
    assert len(re.findall(r'text-anchor="middle">', latency)) <= 12  # the scale's labels
    assert "infx" not in latency  # the p95 / p50 tile, past the largest double


def test_the_spread_tile_writes_a_ratio_past_a_million_compactly() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [{"timestamp": start, "execution_time_ms": value} for value in (1e-300, 1, 1e300)]
    output = reduce(records, time_window_start=start, time_window_end=start + timedelta(days=1))
    assert "p95 / p50</dt><dd>9e+299x" in section(render_html(output, name="c"), "latency")


def test_health_findings_are_listed_with_their_severity(triage_html: str) -> None:
    markup = section(triage_html, "health")
    assert markup.count('class="finding critical"') == 4
    assert markup.count('class="finding warning"') == 3
    assert "Success rate 77.7% is below 80.0%: 88 of 394 runs failed." in markup
    assert markup.index("finding critical") < markup.index("finding warning")


def test_healthy_pattern_says_so() -> None:
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True} for i in range(50)]
    document = render_html(reduce(records))
    assert "All health checks pass." in document
    assert 'class="finding' not in document


def test_a_key_number_tile_takes_the_worst_of_its_findings() -> None:
    # The latency tile's rules here: p99 and p95 far above their limits (critical on 30
    # timed runs) and the p95/p50 spread (a warning): the tile is critical, not a warning.
    times = [100.0] * 27 + [5000.0] * 3
    records = [
        {"timestamp": NOW - timedelta(hours=i), "success": True, "execution_time_ms": ms}
        for i, ms in enumerate(times)
    ]
    result = reduce(records)
    severities = {f.code: f.severity for f in evaluate_health(result, HealthThresholds())}
    assert severities["high_p99_latency"] == "critical"
    assert severities["wide_latency_spread"] == "warning"
    tiles = section(render_html(result), "kpis")
    assert '<div class="tile critical"><div class="label">p95 latency</div>' in tiles


def test_the_header_names_the_pattern_id_only_under_another_name() -> None:
    result = reduce([{"timestamp": NOW, "success": True}], "checkout")
    named = render_html(result, name="Checkout flow")
    assert '<p class="pattern-id">Pattern <code>checkout</code></p>' in named
    for page in (render_html(result), render_html(result, name="checkout")):
        assert "<h1>checkout</h1>" in page
        assert 'class="pattern-id"' not in page


def test_distribution_tables_list_values_with_counts_and_shares(
    demo: dict[str, ModelUsageAnalyticsOutput],
) -> None:
    markup = section(render_html(demo["code-review-assistant"]), "distribution")
    assert '<td class="name">alice</td><td class="num">237</td>' in markup
    assert "+ 4 more" in markup  # 12 agents, 8 shown
    assert "36.3%" in markup
    for title in ("Context types", "Agents", "Projects", "File types"):
        assert f"<h3>{title}</h3>" in markup


def test_timing_charts_are_the_two_marginals_in_the_calendar_zone() -> None:
    records = generate_demo_records(NOW, seed=7)["unit-test-generator"]
    result = reduce(records, timezone="Europe/Berlin")
    markup = section(render_html(result), "timing")
    assert "Runs by hour of day (Europe/Berlin)" in markup
    assert "Runs by day of week (Europe/Berlin)" in markup
    assert "no hour &times; weekday" in markup
    assert result.context_distribution is not None
    hours = result.context_distribution.by_time_of_day
    busiest = max(hours, key=lambda h: (hours[h], -h))
    assert f"Busiest hour {busiest:02d}:00" in markup


def test_without_time_series_the_report_says_comprehensive_gives_it() -> None:
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True} for i in range(40)]
    document = render_html(reduce(records, granularity=AnalyticsGranularity.DETAILED))
    markup = section(document, "activity")
    assert "<svg" not in markup
    assert "COMPREHENSIVE granularity" in markup
    assert "Velocity" in markup  # the trend numbers are still there


def test_families_not_computed_are_named_not_drawn() -> None:
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True} for i in range(40)]
    result = reduce(
        records,
        granularity=AnalyticsGranularity.SUMMARY,
        include_performance=False,
        include_trends=False,
    )
    document = render_html(result)
    parse(document)
    assert "<svg" not in document
    assert "include_performance=False" in section(document, "latency")
    assert "include_trends=False" in section(document, "activity")
    assert "SUMMARY granularity" in section(document, "timing")
    assert "SUMMARY granularity" in section(document, "distribution")


def test_empty_result_draws_no_made_up_data() -> None:
    document = render_html(reduce([]))
    parse(document)
    assert "<svg" not in document
    assert "No executions in the window" in document
    assert 'class="finding info"' in document  # the no_executions note
    assert 'class="finding critical"' not in document
    assert 'class="finding warning"' not in document


def test_many_buckets_are_merged_into_at_most_max_bars() -> None:
    records = [{"timestamp": NOW - timedelta(minutes=7 * i), "success": True} for i in range(1000)]
    result = reduce(records, bucket_width=timedelta(minutes=10))
    assert result.trend_analysis is not None
    assert result.trend_analysis.bucket_count > MAX_BARS
    markup = section(render_html(result), "activity")
    assert 0 < markup.count("<rect") <= MAX_BARS
    assert "to a bar" in markup


def test_buckets_drawn_one_to_a_bar_are_not_said_to_be_merged() -> None:
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True} for i in range(50)]
    result = reduce(records)
    assert result.trend_analysis is not None
    assert 0 < result.trend_analysis.bucket_count <= MAX_BARS
    markup = section(render_html(result), "activity")
    assert markup.count("<rect") == result.trend_analysis.bucket_count
    assert "to a bar" not in markup


def test_overview_lists_every_pattern_and_marks_the_current_one(
    demo: dict[str, ModelUsageAnalyticsOutput],
) -> None:
    items = list(demo.items())
    document = render_html(demo["legacy-lint-fixer"], name="legacy-lint-fixer", overview=items)
    markup = section(document, "overview")
    for name, _ in items:
        assert f'<td class="name">{name}</td>' in markup
    assert markup.count('aria-current="true"') == 1
    current = markup.index('aria-current="true"')
    assert markup.index("legacy-lint-fixer", current) - current < 80
    assert 'id="overview"' not in render_html(demo["legacy-lint-fixer"])


def test_invalid_record_samples_are_shown_with_their_place() -> None:
    records = [
        {"timestamp": NOW, "success": True},
        {"timestamp": "not a date <b>", "success": True},
    ]
    result = reduce(records, on_invalid="skip")
    document = render_html(result, locate=lambda index: f"line {index + 1}")
    markup = section(document, "data-quality")
    assert "Invalid records (first 1 of 1)" in markup
    assert "<td>line 2</td>" in markup
    assert html.escape(repr("not a date <b>")) in markup
    assert "<b>" not in document


def test_latency_says_when_percentiles_come_from_the_sketch(triage_html: str) -> None:
    # Merged accumulators' percentiles were called "exact (linear interpolation)".
    from test_dashboard import sketched

    markup = section(render_html(sketched()), "latency")
    assert "Percentiles are estimates from a relative-error sketch" in markup
    assert "within ±1% of the exact value" in markup
    assert "exact (linear interpolation)" not in markup
    assert "Percentiles are exact (linear interpolation)." in section(triage_html, "latency")


@pytest.mark.parametrize(
    ("times", "total"),
    [
        ([1.7e308] * 5, ">4.99e+301 h"),  # a total past the largest double
        ([1e299 * (i + 1) for i in range(5)], "4.17e+293 h"),  # drawn: an axis of such times
    ],
)
def test_huge_execution_times_are_written_compactly(times: list[float], total: str) -> None:
    # Times near the largest double were written with all their digits (in the key
    # numbers, the ladder's labels and its axis), a total past it as "inf h".
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [{"timestamp": start, "execution_time_ms": value} for value in times]
    output = reduce(records, time_window_start=start, time_window_end=start + timedelta(days=1))
    text = "".join(parse(render_html(output)).text)
    assert re.search(r"\d[\d,.]{20,}", text) is None
    assert re.search(r"\binf\b", text) is None
    assert f"Total time{total}" in text


def test_latency_past_the_drawn_range_has_no_scale_legend_or_ladder_note() -> None:
    # The chart is not drawn past 1e300 ms, and the section still said "5 timed runs ·
    # scale" (an empty scale), showed the ladder's key and pointed at "the ladder above".
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [{"timestamp": start, "execution_time_ms": 1.7e308} for _ in range(5)]
    output = reduce(records, time_window_start=start, time_window_end=start + timedelta(days=1))
    latency = section(render_html(output), "latency")
    assert "<p>5 timed runs</p></header>" in latency
    assert "scale" not in latency
    assert 'class="legend"' not in latency
    assert "ladder" not in latency
    assert "beyond 1e300 ms are not drawn" in latency
    assert '<p class="note">Percentiles are exact (linear interpolation).</p>' in latency
    # Drawn, the section keeps all three.
    drawn = section(render_html(reduce([{"timestamp": NOW, "execution_time_ms": 5.0}])), "latency")
    assert "<p>1 timed run · logarithmic scale</p></header>" in drawn  # (5 ms to 1 s limits)
    assert drawn.count('class="legend"') == 1
    assert "the ladder above shows the shape of the distribution instead.</p>" in drawn


def test_rates_and_small_times_are_not_rounded_away() -> None:
    # 2,999 ok and 1 failed showed "100.0%"; a time of 0.04 ms "0.0 ms".
    records = [
        {"timestamp": NOW - timedelta(minutes=i), "success": i > 0, "execution_time_ms": 0.04}
        for i in range(3_000)
    ]
    markup = section(render_html(reduce(records)), "kpis")
    assert ">&gt;99.9%<" in markup
    assert ">0.04 ms<" in markup


def test_one_of_a_thing_is_counted_in_the_singular() -> None:
    # "1 runs in the window", "1 timed runs", "1 buckets of 5 min".
    start = datetime(2026, 3, 1, tzinfo=UTC)
    output = reduce(
        [{"timestamp": start, "success": True, "execution_time_ms": 5.0}],
        time_window_start=start,
        time_window_end=start + timedelta(minutes=5),
        time_window_type=TimeWindowType.HOURLY,
    )
    document = render_html(output)
    assert "1 run in the window" in section(document, "activity")
    assert "(1 bucket of 5 min)" in section(document, "activity")
    assert "1 timed run ·" in section(document, "latency")
    trend = output.trend_analysis
    assert trend is not None
    assert trend.predictions is not None
    prediction = trend.predictions.model_copy(update={"predicted_executions": 1.0})
    one = output.model_copy(
        update={"trend_analysis": trend.model_copy(update={"predictions": prediction})}
    )
    assert "~1 run<" in section(render_html(one), "activity")


def test_header_of_a_window_in_the_first_millennium() -> None:
    # The year 1 was written "1-01-01".
    start = datetime(1, 1, 1, tzinfo=UTC)
    output = reduce(
        [],
        time_window_start=start,
        time_window_end=start + timedelta(days=1),
        time_window_type=TimeWindowType.DAILY,
    )
    assert "0001-01-01 00:00 → 0001-01-02 00:00" in render_html(output)


def test_overview_notes_the_records_skipped_as_invalid() -> None:
    # A dashboard's patterns looked complete when records had been skipped as invalid.
    bad = [{"timestamp": NOW, "success": True}, {"timestamp": "never"}, {"timestamp": "soon"}]
    skipping = reduce(bad, "skipping", on_invalid="skip")
    clean = reduce([{"timestamp": NOW, "success": True}], "clean")
    overview = [("skipping", skipping), ("clean", clean)]
    markup = section(render_html(clean, overview=overview), "overview")
    assert "2 invalid records left out." in markup
    assert "invalid" not in section(render_html(clean, overview=[("clean", clean)] * 2), "overview")


@pytest.mark.parametrize("render", [render_html, render_judged_html])
def test_overview_notes_records_without_a_pattern_id_only_when_there_are_some(
    render: Any,
) -> None:
    clean = reduce([{"timestamp": NOW, "success": True}], "clean")
    overview: list[Any] = [("clean", clean)]
    if render is render_judged_html:
        overview = [("clean", clean, None, None)]
    assert "pattern_id" not in section(render(clean, overview=overview), "overview")
    markup = section(render(clean, overview=overview, unattributed=3), "overview")
    assert "3 records without a pattern_id left out." in markup


# --------------------------------------------------------------------------- escaping


@pytest.fixture(scope="module")
def hostile_html() -> str:
    records = [
        {
            "timestamp": NOW - timedelta(hours=3 * i),
            "success": i % 5 != 0,
            "execution_time_ms": 100.0 + i,
            "agent": HOSTILE_AGENT,
            "context_type": '"><img src=x onerror=alert(2)>',
            "project": "R&D <main>",
            "file_path": "src/x.<svg onload=alert(3)>",
        }
        for i in range(60)
    ]
    records.append({"timestamp": NOW, "success": "<script>alert(4)</script>"})
    result = reduce(records, HOSTILE_PATTERN, on_invalid="skip")
    return render_html(result, overview=[(HOSTILE_AGENT, result)])


def test_hostile_strings_appear_only_escaped(hostile_html: str) -> None:
    parse(hostile_html)
    assert "<script" not in hostile_html.lower()
    assert ACTIVE.search(hostile_html) is None
    assert "onerror=alert" not in hostile_html.replace("onerror=alert(2)&gt;", "")
    assert html.escape(HOSTILE_AGENT) in hostile_html
    assert HOSTILE_PATTERN not in hostile_html
    assert "pat&amp;&quot;&lt;&gt;tern" in hostile_html
    assert "R&amp;D &lt;main&gt;" in hostile_html
    assert "&lt;svg onload=alert(3)&gt;" in hostile_html
    assert "<h1>pat&amp;&quot;&lt;&gt;tern</h1>" in hostile_html
    assert "<title>pat&amp;&quot;&lt;&gt;tern · usage analytics</title>" in hostile_html


def test_hostile_strings_survive_as_text(hostile_html: str) -> None:
    """Escaped, not mangled: the text a browser shows is the original string."""
    text = "".join(parse(hostile_html).text)
    assert HOSTILE_AGENT in text
    assert HOSTILE_PATTERN in text
    assert "R&D <main>" in text


def test_controls_and_bidirectional_overrides_are_shown_not_carried() -> None:
    # A NUL or ESC is an HTML parse error; an unbalanced U+202E reversed the title and
    # heading text after it. Both are written as the terminal report writes them.
    pattern = "pay\u202ement\x00"
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True,
                "agent": "\x1b[31mred\x7f", "project": "\u2067isolated"}
               for i in range(3)]  # fmt: skip
    document = render_html(reduce(records, pattern), name=pattern)
    for raw in ("\x00", "\x1b", "\x7f", "\u202e", "\u2067"):
        assert raw not in document, repr(raw)
    assert "<title>pay\\u202ement\\x00 · usage analytics</title>" in document
    text = "".join(parse(document).text)
    assert "\\x1b[31mred\\x7f" in text
    assert "\\u2067isolated" in text


#: Characters the page showed raw, invisible, though the terminal report escapes them:
#: zero-width space and word joiner, the bidi marks, the line and paragraph separators,
#: the BOM, the zero-width joiner, a no-break space, and tab, line feed and carriage
#: return (whitespace to a browser).
INVISIBLE = "\u200b\u2060\u200e\u200f\u061c\u2028\u2029\ufeff\u200d\xa0\t\n\r"


def test_invisible_and_bidi_format_characters_are_shown_as_the_terminal_shows_them() -> None:
    # Three agents read as three identical rows of "admin" in a browser.
    agents = ["admin", "admin\u200b", "\u200fadmin", f"all{INVISIBLE}"]
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True, "agent": agent}
               for i, agent in enumerate(agents)]  # fmt: skip
    document = render_html(reduce(records, "p"), name="p")
    rows = re.findall(r'<td class="name">(admin[^<]*|[^<]*admin|all[^<]*)</td>', document)
    assert sorted(rows) == [
        "\\u200fadmin",
        "admin",
        "admin\\u200b",
        "all\\u200b\\u2060\\u200e\\u200f\\u061c\\u2028\\u2029\\ufeff\\u200d\\xa0\\t\\n\\r",
    ]
    for char in sorted(set(INVISIBLE) - set("\t\n\r")):  # (the page's own markup has line breaks)
        assert char not in document, repr(char)
    # As the terminal report writes them (`visible` is its `printable`): there too.
    # (The long name is cut to its column there.)
    terminal = render_report(reduce(records, "p"), name="p", width=200)
    for row in ("\\u200fadmin", "admin\\u200b"):
        assert row in terminal, row


def test_names_differing_only_by_normalisation_are_two_rows_that_look_different() -> None:
    # "café" with U+00E9 and with "e" and U+0301 are two agents: a browser drew two
    # identical rows. The one not in NFC shows its mark escaped, as the terminal does.
    agents = ["caf\u00e9", "cafe\u0301"]
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True, "agent": agent}
               for i, agent in enumerate(agents)]  # fmt: skip
    document = render_html(reduce(records, "p"), name="p")
    rows = re.findall(r'<td class="name">(caf[^<]*)</td>', document)
    assert sorted(rows) == ["cafe\\u0301", "caf\u00e9"]


def test_names_differing_only_by_spaces_are_two_rows_that_look_different() -> None:
    # A browser collapses runs of spaces and shows none at a cell's ends: "admin",
    # "admin " and "ad  min" were three rows of "admin" and "ad min". Spaces at either
    # end are written "\\x20" (as the terminal writes them), runs kept by the style.
    agents = ["admin", "admin ", "ad min", "ad  min"]
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True, "agent": agent}
               for i, agent in enumerate(agents)]  # fmt: skip
    document = render_html(reduce(records, "p"), name="p")
    rows = re.findall(r'<td class="name">(ad[^<]*)</td>', document)
    assert sorted(rows) == ["ad  min", "ad min", "admin", "admin\\x20"]
    assert re.search(r"td\.name \{[^}]*white-space: pre-wrap", document)


def test_a_name_holding_an_escapes_text_is_a_row_that_looks_different() -> None:
    # The text "\\x1b" and ESC, escaped, were two rows of "\\x1b".
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True, "agent": agent}
               for i, agent in enumerate(["a\\x1b", "a\x1b"])]  # fmt: skip
    document = render_html(reduce(records, "p"), name="p")
    rows = re.findall(r'<td class="name">(a[^<]*)</td>', document)
    assert sorted(rows) == ["a\\\\x1b", "a\\x1b"]


@settings(max_examples=25, deadline=None)
@given(
    agent=st.text(min_size=1, max_size=20),
    pattern=st.text(min_size=1, max_size=20).filter(str.strip),
)
def test_any_agent_and_pattern_text_keeps_the_document_well_formed(
    agent: str, pattern: str
) -> None:
    records = [{"timestamp": NOW - timedelta(hours=i), "success": True, "agent": agent}
               for i in range(3)]  # fmt: skip
    result = reduce(records, pattern)
    document = render_html(result, name=pattern)
    structure = parse(document)
    text = "".join(structure.text)
    # (Names in cells and titles also with a backslash doubled and spaces at their ends
    # written "\\x20": `printable_name`.)
    assert printable_name(agent) in text
    assert printable_name(str(result.pattern_id)) in text
    assert "<script" not in document.lower()


# ---------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def records_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "runs.jsonl"
    records = generate_demo_records(NOW, seed=3)
    with path.open("w", encoding="utf-8") as stream:
        for rows in records.values():
            for row in rows:
                stream.write(json.dumps({**row, "timestamp": row["timestamp"].isoformat()}) + "\n")
    return path


def test_cli_format_html_writes_the_report_file(
    records_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    pattern = DEMO_PATTERNS[0]
    code = main(
        ["analyze", str(records_file), "--pattern", str(pattern.pattern_id),
         "--format", "html", "--output", str(target)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert (code, captured.out, captured.err) == (0, "", "")
    document = target.read_text(encoding="utf-8")
    parse(document)
    assert document.startswith("<!DOCTYPE html>")
    assert str(pattern.pattern_id) in document
    # HTML defaults to COMPREHENSIVE granularity, so the executions chart is drawn.
    assert "<dd>comprehensive</dd>" in document
    assert '<svg class="chart"' in section(document, "activity")
    # One pattern, nothing left out: no table of patterns (it is the dashboard's).
    assert 'id="overview"' not in document


def test_cli_format_html_without_output_goes_to_stdout(
    records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern = DEMO_PATTERNS[1]
    code = main(
        ["analyze", str(records_file), "--pattern", str(pattern.pattern_id),
         "--format", "html", "--granularity", "detailed"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err == ""
    parse(captured.out)
    assert "<dd>detailed</dd>" in captured.out  # an explicit --granularity wins
    assert "COMPREHENSIVE granularity" in captured.out


def test_cli_demo_format_html_has_the_overview_of_every_pattern(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo.html"
    database = tmp_path / "demo.sqlite"  # demo writes its data here (default: the cwd)
    code = main(
        ["demo", "--now", "2026-03-03T14:00Z", "--db", str(database), "--format", "html",
         "--output", str(target)]
    )  # fmt: skip
    assert code == 0
    capsys.readouterr()
    markup = section(target.read_text(encoding="utf-8"), "overview")
    for pattern in DEMO_PATTERNS:
        assert f'<td class="name">{pattern.name}</td>' in markup


def test_cli_dashboard_html_draws_the_series_of_its_first_pattern_only(
    records_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reduced: list[ModelUsageAnalyticsOutput] = []

    async def recorded(*args: Any) -> list[ModelUsageAnalyticsOutput]:
        results = await reduce_patterns(*args)
        reduced.extend(results)
        return results

    monkeypatch.setattr("usage_analytics.cli.dashboard.reduce_patterns", recorded)
    code = main(["dashboard", str(records_file), "--format", "html"])
    document = capsys.readouterr().out
    assert code == 0
    # The per-bucket series (COMPREHENSIVE) of every pattern took gigabytes over a long
    # window, and the breakdowns (DETAILED) of 100,000 a seventh of the dashboard's
    # memory; the page draws only the first pattern's.
    assert len(reduced) == len(DEMO_PATTERNS)
    assert all(result.granularity is AnalyticsGranularity.SUMMARY for result in reduced)
    assert "<dd>comprehensive</dd>" in document
    assert "<rect" in section(document, "activity")  # (the executions chart's bars)
    assert 'class="current" aria-current="true"' in section(document, "overview")


def test_cli_dashboard_html_overview_is_the_one_render_html_judges_itself(
    records_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The dashboard hands its rows' health findings and shown numbers to the page rather
    # than have every pattern judged and read again: the page must be the one
    # `render_html` makes judging them itself (the first pattern's result is
    # COMPREHENSIVE, its row's findings SUMMARY's).
    pages: list[tuple[ModelUsageAnalyticsOutput, dict[str, Any]]] = []

    def recorded(result: ModelUsageAnalyticsOutput, **options: Any) -> str:
        pages.append((result, dict(options)))
        return render_judged_html(result, **options)

    monkeypatch.setattr("usage_analytics.cli.output.render_judged_html", recorded)
    assert main(["dashboard", str(records_file), "--format", "html"]) == 0
    document = capsys.readouterr().out
    ((result, options),) = pages
    overview = options.pop("overview")
    assert len(overview) == len(DEMO_PATTERNS)
    assert all(findings is not None for _, _, findings, _ in overview)
    assert all(numbers is not None for _, _, _, numbers in overview)
    pairs = [(name, item) for name, item, _, _ in overview]
    assert document == render_html(result, overview=pairs, **options) + "\n"


@pytest.mark.parametrize(
    ("days", "labels"),
    [
        # One run in a 400-day bucket: 0.0025 runs per day, on a scale with steps of
        # 0.001 (written to two decimals, every label was "0").
        (400, ["0", "0.001", "0.002", "0.003"]),
        # One run in a 100-year bucket: 0.000027 runs per day, whose labels were "1e-05",
        # "2e-05", "3e-05".
        (36_525, ["0", "0.00001", "0.00002", "0.00003"]),
    ],
)
def test_axis_labels_of_rates_far_below_one_a_day_are_their_own(
    days: int, labels: list[str]
) -> None:
    records = [{"timestamp": NOW - timedelta(days=3), "success": True}]
    result = reduce(
        records,
        time_window_start=NOW - timedelta(days=days),
        time_window_type=TimeWindowType.CUSTOM,
        bucket_width=timedelta(days=days),
    )
    markup = section(render_html(result), "activity")
    found = re.findall(r'<text x="48" y="[^"]+" text-anchor="end">([^<]*)</text>', markup)
    assert found == labels


def test_axis_dates_of_a_window_over_a_year_name_their_year() -> None:
    records = [{"timestamp": NOW - timedelta(days=50 * i), "success": True} for i in range(20)]
    start = NOW - timedelta(days=3 * 365)
    result = reduce(records, time_window_start=start, time_window_type=TimeWindowType.ALL_TIME)
    markup = section(render_html(result), "activity")
    dates = re.findall(r'text-anchor="middle">([^<]*)</text>', markup)
    assert len(dates) >= 6
    # (The first bar, two weeks from 2023-03-04 14:00, by the midnight nearest its
    # start: html_charts._bar_day.)
    assert start.hour >= 12
    assert dates[0] == f"{start:%b} {start.day + 1}, {start.year}"
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", date) for date in dates)
    # Within a year the month and day say which day it is.
    monthly = section(render_html(reduce(records[:3])), "activity")
    assert "Feb 2</text>" in monthly  # (the day from Feb 1 14:00: mostly Feb 2)
    assert ", 2026" not in monthly


def test_heading_and_footer_are_shown_escaped_under_the_title_and_above_the_footer(
    demo: dict[str, ModelUsageAnalyticsOutput],
) -> None:
    # The CLI's heading names the source and window, its footer what to try next: the
    # page showed neither.
    result = next(iter(demo.values()))
    page = render_html(result, heading="runs <2026> & co", footer='try "dashboard"')
    assert '</header>\n<p class="note page-heading">runs &lt;2026&gt; &amp; co</p>\n' in page
    assert (
        '<p class="note page-note">try &quot;dashboard&quot;</p>\n<footer class="page-footer">'
    ) in page
    plain = render_html(result)
    assert "page-heading" not in plain
    assert "page-note" not in plain
