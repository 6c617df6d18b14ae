"""A self-contained HTML report of one analytics result.

    Path("report.html").write_text(render_html(result, name="checkout"), encoding="utf-8")

One file that works offline: the style sheet (`report.css`) inlined, charts drawn as
inline SVG (`html_charts`), no script, no font or image fetched from anywhere. Sections:
header, key numbers, health findings, executions over time with the fitted trend line,
outcomes, latency percentiles, hour of day and day of week, where it runs (distribution
tables), data quality. A section whose metric family was not computed says so instead of
showing zeros.

The charts show only what the result holds. It carries percentiles, not the execution
times, so latency is drawn as a percentile ladder rather than a histogram; and it holds
the hour-of-day and day-of-week counts separately, so they are two bar charts, not an
hour x weekday heatmap (an outer product of the two would invent a joint distribution).

Every string that comes from the data (pattern id and name, agents, context types,
projects, file types, invalid-record samples, the time zone) is escaped (`escape`: what
the terminal report escapes, such as controls, bidirectional and zero-width characters,
written as Python escapes, then `html.escape` with quotes; names in cells and titles
also with the spaces at their ends as "\\x20": `escape_name`); nothing else is
interpolated into markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources

from usage_analytics import _core
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsOutput,
)
from usage_analytics.dashboard import ShownNumbers
from usage_analytics.health import (
    SEVERITIES,
    HealthFinding,
    HealthThresholds,
    Severity,
    evaluate_health,
    limit_decimal,
    limit_duration_ms,
    limit_percent,
    shown_finding,
)
from usage_analytics.html_charts import (
    activity_chart,
    columns_chart,
    escape,
    escape_name,
    latency_chart,
    merged_bars,
)
from usage_analytics.report import (
    _PAST_LARGEST,
    _WEEKDAYS,
    _bucket_seconds,
    _buckets,
    _count,
    _duration_ms,
    _hours,
    _percent,
    _rate,
    _signed,
    _significance,
    _span,
    _when,
    on_clocks,
    plural,
    trend_label,
    trend_type_label,
    window_bounds,
)

__all__ = ["render_html"]

_DASH = "\N{EN DASH}"
#: Rows shown per distribution table before "+ N more".
TOP_ROWS = 8

_SEVERITY_LABEL: dict[Severity, str] = {
    "critical": "Critical",
    "warning": "Warning",
    "info": "Info",
}
#: Which health codes colour which key-number tile.
_TILE_CODES = {
    "success": ("low_success_rate", "high_error_rate"),
    "latency": ("high_p95_latency", "high_p99_latency", "wide_latency_spread"),
    "quality": ("quality_gate_failures", "low_quality_score"),
    "last_use": ("not_used_recently", "abandoned_trend"),
    "trend": ("declining_trend", "abandoned_trend"),
}

#: The report's style sheet, package data read once (inlined in every report).
_CSS = (resources.files("usage_analytics") / "report.css").read_text(encoding="utf-8")


def _card(section_id: str, title: str, subtitle: str, body: str) -> str:
    sub = f"<p>{subtitle}</p>" if subtitle else ""
    return (
        f'<section class="card" id="{section_id}" aria-labelledby="{section_id}-title">'
        f'<header><h2 id="{section_id}-title">{escape(title)}</h2>{sub}</header>{body}</section>'
    )


def _stats(items: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return f'<dl class="stats">{cells}</dl>'


def _worst(findings: Sequence[HealthFinding], codes: Sequence[str]) -> Severity | None:
    hits = [f.severity for f in findings if f.code in codes]
    return min(hits, key=SEVERITIES.index) if hits else None


def _tile(label: str, value: str, sub: str, state: str) -> str:
    return (
        f'<div class="tile {state}"><div class="label">{escape(label)}</div>'
        f'<div class="value" title="{escape(value)}">{escape(value)}</div>'
        f'<div class="sub">{escape(sub)}</div></div>'
    )


def _kpis(result: ModelUsageAnalyticsOutput, findings: Sequence[HealthFinding]) -> str:
    usage, success = result.usage_metrics, result.success_metrics
    perf, trend = result.performance_metrics, result.trend_analysis
    runs = usage.total_executions

    def state(key: str, judged: bool = True) -> str:
        if not judged:
            return ""
        worst = _worst(findings, _TILE_CODES[key])
        return worst if worst in ("critical", "warning") else "ok"

    tiles = [
        _tile(
            "Executions",
            _count(runs),
            f"{_rate(usage.executions_per_day)} per day · "
            f"busiest day {_count(usage.peak_daily_usage)}",
            "",
        ),
        _tile(
            "Success rate",
            _percent(success.success_rate) if runs else _DASH,
            f"{_count(success.success_count)} ok · {_count(success.failure_count)} failed"
            if runs
            else "no executions",
            state("success", runs > 0),
        ),
    ]
    if perf is not None and perf.sample_count:
        tiles.append(
            _tile(
                "p95 latency",
                _duration_ms(perf.p95_execution_time_ms),
                f"p50 {_duration_ms(perf.p50_execution_time_ms)} · "
                f"p99 {_duration_ms(perf.p99_execution_time_ms)}",
                state("latency"),
            )
        )
    else:
        tiles.append(_tile("p95 latency", _DASH, "not measured", ""))
    tiles += [
        _tile(
            "Avg quality",
            f"{success.avg_quality_score:.2f}" if runs else _DASH,
            plural(success.quality_gate_failures, "gate failure")
            + (" · no scores (or all 0)" if runs and success.avg_quality_score == 0 else ""),
            state("quality", runs > 0),
        ),
        _tile(
            "Last used",
            _DASH if usage.time_since_last_use is None else _hours(usage.time_since_last_use),
            "before the window end" if usage.time_since_last_use is not None else "no use",
            state("last_use", usage.time_since_last_use is not None),
        ),
        _tile(
            "Trend",
            trend_label(trend),
            "not computed"
            if trend is None
            else f"{_signed(trend.velocity)} runs/day per day"
            + ("" if trend.velocity_significant else " (noise)"),
            state("trend", trend is not None and runs > 0),
        ),
        _tile(
            "Agents",
            _count(usage.unique_users),
            plural(usage.unique_contexts, "context type"),
            "",
        ),
        _tile(
            "Analytics quality",
            f"{result.analytics_quality_score:.2f}",
            f"trend confidence {trend.confidence_score:.2f}"
            if trend is not None
            else "0 = no data, 1 = 100+ runs over 30+ days",
            "",
        ),
    ]
    return f'<section class="kpis" id="kpis" aria-label="Key numbers">{"".join(tiles)}</section>'


def _thresholds_table(thresholds: HealthThresholds) -> str:
    t = thresholds

    def shown(value: float | None, show: Callable[[float], str]) -> str:
        return "off" if value is None else show(value)

    rows = [
        ("Success rate at least", shown(t.min_success_rate, limit_percent)),
        ("Error rate at most", shown(t.max_error_rate, limit_percent)),
        ("p95 latency at most", shown(t.max_p95_ms, limit_duration_ms)),
        ("p99 latency at most", shown(t.max_p99_ms, limit_duration_ms)),
        ("p95 at most this times p50", shown(t.max_p95_p50_ratio, lambda v: f"{v:g}x")),
        ("Last use at most", shown(t.max_hours_since_last_use, lambda v: f"{v:g} h")),
        (
            "Quality-gate failures at most",
            shown(t.max_quality_gate_failures, lambda v: _count(int(v))),
        ),
        ("Average quality at least", shown(t.min_avg_quality, lambda v: limit_decimal(v, 2))),
        ("Flag a declining trend", "yes" if t.flag_declining else "no"),
        ("Flag an abandoned trend", "yes" if t.flag_abandoned else "no"),
        ("Runs needed for “critical”", _count(t.min_samples_for_critical)),
    ]
    cells = "".join(
        f'<tr><td>{escape(label)}</td><td class="num">{escape(value)}</td></tr>'
        for label, value in rows
    )
    return (
        "<details><summary>Thresholds used</summary>"
        f"<table><tbody>{cells}</tbody></table></details>"
    )


def _severity_count(count: int, severity: Severity) -> str:
    """ "2 critical", "1 warning", "3 warnings", "1 info"."""
    suffix = "s" if severity == "warning" and count != 1 else ""
    return f"{_count(count)} {severity}{suffix}"


def _health(findings: Sequence[HealthFinding], thresholds: HealthThresholds) -> str:
    counts = {sev: sum(f.severity == sev for f in findings) for sev in SEVERITIES}
    if not findings:
        body = '<p class="all-clear">All health checks pass.</p>'
        subtitle = "no findings"
    else:
        items = []
        for finding in findings:
            limit = "" if finding.threshold is None else f" · limit {finding.threshold:g}"
            value = _PAST_LARGEST if math.isinf(finding.value) else f"{finding.value:g}"
            items.append(
                f'<li class="finding {finding.severity}">'
                f'<span class="sev">{_SEVERITY_LABEL[finding.severity]}</span>'
                f"<span>{escape(finding.message)}</span>"
                f'<span class="code mono" '
                f'title="value {escape(value)}{escape(limit)}">'
                f"{escape(finding.code)}</span></li>"
            )
        body = f'<ul class="findings">{"".join(items)}</ul>'
        subtitle = " · ".join(_severity_count(count, sev) for sev, count in counts.items() if count)
    return _card("health", "Health", escape(subtitle), body + _thresholds_table(thresholds))


def _activity(result: ModelUsageAnalyticsOutput) -> str:
    trend = result.trend_analysis
    if trend is None:
        return _card(
            "activity",
            "Executions over time",
            "",
            '<p class="muted">Trend analysis was not computed for this result '
            "(include_trends=False).</p>",
        )
    series = trend.time_series
    parts: list[str] = []
    if series and result.usage_metrics.total_executions == 0:
        parts.append('<p class="muted">No executions in the window: nothing to chart.</p>')
    elif series:
        merged = merged_bars(series)[1]
        bucket = _span(_bucket_seconds(result, trend) * merged)
        significance = _significance(result, trend)
        note = "" if significance == "significant" else f", {significance}"
        parts.append(
            '<div class="legend">'
            f'<span><span class="key" style="background:var(--blue)"></span>runs per day in '
            f"each {escape(bucket)} bucket</span>"
            '<span><span class="key line" style="background:var(--orange)"></span>'
            f"fitted trend (least squares), {escape(_signed(trend.velocity))} runs/day per day"
            f"{escape(note)}</span></div>"
        )
        parts.append(
            activity_chart(
                trend, series, result.time_window_start, result.time_window_end, result.timezone
            )
        )
        if merged > 1:
            parts.append(
                f'<p class="note">{_count(trend.bucket_count)} buckets of '
                f"{escape(_span(trend.bucket_width_seconds))}, drawn {merged} to a bar.</p>"
            )
    else:
        parts.append(
            '<p class="muted">The executions-per-bucket chart needs the per-bucket series, '
            "which COMPREHENSIVE granularity gives (<code>--granularity comprehensive</code>, "
            "or <code>granularity=AnalyticsGranularity.COMPREHENSIVE</code>).</p>"
        )
    stats = [
        ("Direction", trend_label(trend)),
        (
            "Velocity",
            f"{_signed(trend.velocity)} runs/day per day ({_significance(result, trend)})",
        ),
        ("Acceleration", _signed(trend.acceleration)),
        ("Growth", f"{_signed(trend.growth_percentage, 1)}% (last quarter vs first)"),
        ("Agent retention", _percent(trend.retention_rate)),
        ("Agent churn", _percent(trend.churn_rate)),
        ("New agents", f"{_rate(trend.adoption_rate)} per week"),
        (
            "Confidence",
            f"{trend.confidence_score:.2f} ({_buckets(result, trend)})",
        ),
    ]
    if trend.predictions is not None:
        prediction = trend.predictions
        stats.append(
            (
                f"Next {_span(prediction.horizon_days * 86_400)} (linear, experimental)",
                f"~{_rate(prediction.predicted_daily_rate)}/day, "
                f"~{plural(round(prediction.predicted_executions), 'run')}",
            )
        )
    parts.append(_stats(stats))
    window = f"{plural(result.usage_metrics.total_executions, 'run')} in the window"
    return _card("activity", "Executions over time", escape(window), "".join(parts))


def _outcomes(result: ModelUsageAnalyticsOutput) -> str:
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    if runs == 0:
        return _card("outcomes", "Outcomes", "", '<p class="muted">No executions.</p>')
    ok = success.success_count / runs * 100
    bar = (
        f'<div class="outcome" role="img" aria-label="{escape(_percent(success.success_rate))} '
        f'succeeded, {escape(_percent(success.error_rate))} failed">'
        f'<span class="ok" style="width:{ok:.3f}%" title="{_count(success.success_count)} ok">'
        f'</span><span class="bad" style="width:{100 - ok:.3f}%" '
        f'title="{_count(success.failure_count)} failed"></span></div>'
        '<div class="legend">'
        '<span><span class="key" style="background:var(--green)"></span>'
        f"succeeded {_count(success.success_count)} ({_percent(success.success_rate)})</span>"
        '<span><span class="key" style="background:var(--red)"></span>'
        f"failed {_count(success.failure_count)} ({_percent(success.error_rate)})</span></div>"
    )
    stats = _stats(
        [
            (
                "Timeouts",
                f"{_count(success.timeout_count)} ({_percent(success.timeout_count / runs)})",
            ),
            (
                "Quality-gate failures",
                f"{_count(success.quality_gate_failures)} "
                f"({_percent(success.quality_gate_failures / runs)})",
            ),
            ("Average quality score", f"{success.avg_quality_score:.2f}"),
        ]
    )
    note = (
        '<p class="note">Success over time is not shown: the result holds per-bucket counts, '
        "not per-bucket outcomes.</p>"
    )
    return _card("outcomes", "Outcomes", escape(f"{plural(runs, 'run')}"), bar + stats + note)


def _ratio(p95: float, p50: float) -> str:
    """p95 / p50 as "3.2x"; past a million in exponent notation, and past the largest
    double (p50 near 1e-300 ms) as more than it, as the health finding writes it."""
    if p50 <= 0:
        return _DASH
    ratio = p95 / p50
    if math.isinf(ratio):
        return f"{_PAST_LARGEST}x"
    return f"{ratio:.1f}x" if ratio < 1e6 else f"{ratio:.3g}x"


#: The latency ladder's key.
_LATENCY_LEGEND = (
    '<div class="legend"><span><span class="key" style="background:var(--blue)"></span>'
    "percentile</span>"
    '<span><span class="key" style="background:var(--blue-soft)"></span>min, mean, max</span>'
    '<span><span class="key" style="background:var(--amber)"></span>'
    "p95 above its limit</span>"
    '<span><span class="key" style="background:var(--red)"></span>p99 above its limit</span>'
    '<span><span class="key dash"></span>health limit</span></div>'
)


def _latency(result: ModelUsageAnalyticsOutput, thresholds: HealthThresholds) -> str:
    perf = result.performance_metrics
    if perf is None:
        return _card(
            "latency",
            "Latency",
            "",
            '<p class="muted">Performance metrics were not computed for this result '
            "(include_performance=False).</p>",
        )
    if perf.sample_count == 0:
        return _card(
            "latency", "Latency", "", '<p class="muted">No execution times were recorded.</p>'
        )
    chart, scale = latency_chart(perf, thresholds)
    # No scale: the times are past what the chart draws (it says so), and there is no
    # ladder for a legend, a scale or the note to describe ("5 timed runs ·  scale").
    legend = _LATENCY_LEGEND if scale else ""
    stats = _stats(
        [
            ("Mean", _duration_ms(perf.avg_execution_time_ms)),
            ("Standard deviation", _duration_ms(perf.std_dev_ms)),
            ("p95 / p50", _ratio(perf.p95_execution_time_ms, perf.p50_execution_time_ms)),
            ("Total time", _duration_ms(perf.total_execution_time_ms)),
            ("Timed runs", _count(perf.sample_count)),
        ]
    )
    if perf.percentile_method == "sketch":
        error = perf.percentile_relative_error * 100
        method = (
            "Percentiles are estimates from a relative-error sketch (more times than an "
            f"accumulator keeps exactly): each is within ±{error:g}% of the exact value."
        )
    else:
        method = "Percentiles are exact (linear interpolation)."
    ladder = (
        " A histogram would need the individual execution times, which the result does not "
        "keep; the ladder above shows the shape of the distribution instead."
        if scale
        else ""
    )
    note = f'<p class="note">{method}{ladder}</p>'
    subtitle = plural(perf.sample_count, "timed run") + (f" · {scale} scale" if scale else "")
    return _card("latency", "Latency", escape(subtitle), legend + chart + stats + note)


def _no_distribution(result: ModelUsageAnalyticsOutput) -> str:
    reason = (
        "SUMMARY granularity leaves the breakdowns out"
        if result.granularity is AnalyticsGranularity.SUMMARY
        else "include_distribution=False"
    )
    return f'<p class="muted">The distribution was not computed ({reason}).</p>'


def _when_it_runs(result: ModelUsageAnalyticsOutput) -> str:
    dist, timezone = result.context_distribution, result.timezone
    if dist is None:
        return _card("timing", "When it runs", "", _no_distribution(result))
    if result.usage_metrics.total_executions == 0:
        return _card("timing", "When it runs", "", '<p class="muted">No executions.</p>')
    hours = [dist.by_time_of_day.get(hour, 0) for hour in range(24)]
    days = [dist.by_day_of_week.get(day, 0) for day in range(7)]
    hour_chart = columns_chart(
        f"Runs by hour of day ({timezone})",
        hours,
        [f"{hour:02d}" for hour in range(24)],
        width=640,
        every=3,
    )
    day_chart = columns_chart(
        f"Runs by day of week ({timezone})",
        days,
        list(_WEEKDAYS),
        width=340,
        shade=lambda day: "var(--blue-soft)" if day >= 5 else "var(--blue)",
    )
    peak_note = ""
    if any(hours):
        peak_hour = max(range(24), key=lambda hour: (hours[hour], -hour))
        peak_day = max(range(7), key=lambda day: (days[day], -day))
        peak_note = (
            f'<p class="note">Busiest hour {peak_hour:02d}:00&ndash;{(peak_hour + 1) % 24:02d}:00 '
            f"({escape(plural(hours[peak_hour], 'run'))}); busiest weekday "
            f"{_WEEKDAYS[peak_day]} ({escape(plural(days[peak_day], 'run'))}). "
            "Hours and weekdays are counted separately (the result has no hour &times; weekday "
            "counts), so there is no combined heatmap.</p>"
        )
    body = (
        '<div class="two-col">'
        f"<div><h3>Hour of day</h3>{hour_chart}</div>"
        f"<div><h3>Day of week</h3>{day_chart}</div></div>{peak_note}"
    )
    return _card("timing", "When it runs", f"calendar zone {escape(timezone)}", body)


def _top_table(title: str, counts: Mapping[str, int], unit: str) -> str:
    total = sum(counts.values())
    items = list(counts.items())
    rows = []
    for name, count in items[:TOP_ROWS]:
        share = count / total if total else 0.0
        rows.append(
            f'<tr><td class="name">{escape_name(name)}</td><td class="num">{_count(count)}</td>'
            f'<td class="share"><div class="sharebar"><span style="width:{share * 100:.2f}%">'
            f'</span></div></td><td class="num">{_percent(share)}</td></tr>'
        )
    rest = items[TOP_ROWS:]
    if rest:
        rest_count = sum(count for _, count in rest)
        rows.append(
            f'<tr class="rest"><td>+ {len(rest)} more</td><td class="num">{_count(rest_count)}'
            f'</td><td></td><td class="num">{_percent(rest_count / total)}</td></tr>'
        )
    if not items:
        rows.append('<tr><td colspan="4" class="muted">none recorded</td></tr>')
    return (
        f"<div><h3>{escape(title)}</h3><table><thead><tr><th>{escape(unit)}</th>"
        '<th class="num">Runs</th><th></th><th class="num">Share</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _where_it_runs(result: ModelUsageAnalyticsOutput) -> str:
    dist = result.context_distribution
    if dist is None:
        return _card("distribution", "Where it runs", "", _no_distribution(result))
    tables = [
        _top_table("Context types", dist.by_context_type, "Context type"),
        _top_table("Agents", dist.by_agent, "Agent"),
        _top_table("Projects", dist.by_project, "Project"),
        _top_table("File types", dist.by_file_type, "Extension"),
    ]
    return _card(
        "distribution",
        "Where it runs",
        f"top {TOP_ROWS} of each; file types count runs with a file path",
        f'<div class="tables">{"".join(tables)}</div>',
    )


def _data_quality(result: ModelUsageAnalyticsOutput, locate: Callable[[int], str] | None) -> str:
    quality = result.data_quality
    stats = _stats(
        [
            ("Records received", _count(quality.records_received)),
            ("In the window", _count(quality.records_in_window)),
            ("Outside the window", _count(quality.records_outside_window)),
            ("Invalid (left out)", _count(quality.invalid_records)),
            ("Analytics quality score", f"{result.analytics_quality_score:.2f}"),
            ("Computed in", _duration_ms(result.computation_time_ms)),
        ]
    )
    samples = ""
    if quality.error_samples:
        rows = "".join(
            f"<tr><td>{escape(locate(sample.index) if locate else sample.describe())}</td>"
            f'<td class="mono">{escape(sample.field)}</td>'
            f'<td class="mono">{escape(sample.value)}</td>'
            f"<td>{escape(sample.reason)}</td></tr>"
            for sample in quality.error_samples
        )
        shown = len(quality.error_samples)
        samples = (
            f'<h3 style="margin-top:16px">Invalid records (first {shown} of '
            f"{_count(quality.invalid_records)})</h3>"
            '<table class="samples"><thead><tr><th>Where</th><th>Field</th><th>Value</th>'
            f"<th>Reason</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    # (On the clocks of the page's other times, named; to the second, as a time of day
    # is read: its fraction is of no use to a reader.)
    (computed,), clocks = on_clocks([result.computed_at], result.timezone)
    ids = (
        f'<p class="note">Correlation id <code>{escape(result.correlation_id)}</code> · computed '
        f"{escape(_when(computed))} {escape(clocks)}</p>"
    )
    return _card("data-quality", "Data quality", "", stats + samples + ids)


#: A pattern of the overview: its name, result, and its health findings by the page's
#: thresholds and the numbers the overview shows of it where the caller has them
#: already (a dashboard row's; None: judged and read here).
OverviewItem = tuple[
    str, ModelUsageAnalyticsOutput, Sequence[HealthFinding] | None, ShownNumbers | None
]


def _overview(
    items: Sequence[OverviewItem],
    thresholds: HealthThresholds,
    current: ModelUsageAnalyticsOutput,
    current_findings: Sequence[HealthFinding],
    unattributed: int,
) -> str:
    """One row per pattern, the one reported below highlighted; notes of the records
    left out for having no pattern id or for being invalid."""
    rows = []
    invalid = 0
    for name, item, judged, shown in items:
        if item is current:
            findings = current_findings
        elif judged is not None:
            findings = judged
        else:
            findings = evaluate_health(item, thresholds)
        numbers = ShownNumbers(item) if shown is None else shown
        p95 = _DASH if numbers.p95_ms is None else _duration_ms(numbers.p95_ms)
        runs = numbers.runs
        invalid += numbers.invalid
        if findings:
            severity, message = shown_finding(findings, 0)
            finding = (
                f'<span class="badge {severity}">{_SEVERITY_LABEL[severity]}</span> '
                f"{escape(message)}"
                + (
                    f' <span class="muted">+{len(findings) - 1} more</span>'
                    if len(findings) > 1
                    else ""
                )
            )
        else:
            finding = '<span class="badge ok">Healthy</span>'
        mark = ' class="current" aria-current="true"' if item is current else ""
        rows.append(
            f'<tr{mark}><td class="name">{escape_name(name)}</td>'
            f'<td class="nowrap">{escape(trend_type_label(numbers.trend))}</td>'
            f'<td class="num">{_count(runs)}</td>'
            f'<td class="num">{_percent(numbers.success_rate) if runs else _DASH}</td>'
            f'<td class="num">{escape(p95)}</td><td>{finding}</td></tr>'
        )
    table = (
        '<table><thead><tr><th>Pattern</th><th>Trend</th><th class="num">Runs</th>'
        '<th class="num">Success</th><th class="num">p95</th><th>Worst finding</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
    if unattributed:
        table += (
            f'<p class="muted">{escape(plural(unattributed, "record"))} without a pattern_id '
            "left out.</p>"
        )
    if invalid:
        table += f'<p class="muted">{escape(plural(invalid, "invalid record"))} left out.</p>'
    return _card("overview", "All patterns", escape(plural(len(items), "pattern")), table)


def _header(
    result: ModelUsageAnalyticsOutput, name: str | None, findings: Sequence[HealthFinding]
) -> str:
    pattern = str(result.pattern_id)
    title = name or pattern
    trend = result.trend_analysis
    badges = ""
    if trend is not None:
        badges += (
            f'<span class="badge trend-{trend.trend_type.value}">'
            f"{escape(trend_label(trend))}</span>"
        )
    worst = findings[0].severity if findings else None
    if worst is None:
        badges += '<span class="badge ok">Healthy</span>'
    elif worst != "info":
        count = sum(f.severity == worst for f in findings)
        badges += f'<span class="badge {worst}">{_severity_count(count, worst)}</span>'
    ident = (
        f'<p class="pattern-id">Pattern <code>{escape_name(pattern)}</code></p>'
        if name and name != pattern
        else ""
    )
    seconds = (result.time_window_end - result.time_window_start).total_seconds()
    start, end, clocks = window_bounds(
        result.time_window_start, result.time_window_end, result.timezone
    )
    meta = [
        (f"Window ({clocks})", f"{start} → {end}"),
        ("Length", f"{_span(seconds)} · {result.time_window_type.value}"),
        ("Calendar zone", result.timezone),
        ("Granularity", result.granularity.value),
    ]
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in meta)
    return (
        '<header class="report-header"><div class="eyebrow">Usage analytics report</div>'
        f'<div class="title-row"><h1>{escape_name(title)}</h1>{badges}</div>{ident}'
        f'<dl class="meta">{cells}</dl></header>'
    )


def render_html(
    result: ModelUsageAnalyticsOutput,
    *,
    name: str | None = None,
    thresholds: HealthThresholds | None = None,
    locate: Callable[[int], str] | None = None,
    overview: Sequence[tuple[str, ModelUsageAnalyticsOutput]] | None = None,
    unattributed: int = 0,
    heading: str | None = None,
    footer: str | None = None,
) -> str:
    """The report of `result` as one self-contained HTML document.

    `name` titles it (default: the pattern id); `thresholds` are the health rules'
    limits (default: `HealthThresholds()`); `locate` turns a record index into a place for
    the invalid-record samples ("line 12"); `overview`, when given, adds a table of
    several `(name, result)` pairs (one line each, with its worst health finding) above
    the report, noting `unattributed` records without a pattern id left out of it.
    `heading` and `footer` are text shown under the title and above the page's footer
    (the CLI's: which source and window, what to try next), as the terminal report
    shows them.
    """
    return render_judged_html(
        result,
        name=name,
        thresholds=thresholds,
        locate=locate,
        overview=None if overview is None else [(n, item, None, None) for n, item in overview],
        unattributed=unattributed,
        heading=heading,
        footer=footer,
    )


def render_judged_html(
    result: ModelUsageAnalyticsOutput,
    *,
    name: str | None = None,
    thresholds: HealthThresholds | None = None,
    locate: Callable[[int], str] | None = None,
    overview: Sequence[OverviewItem] | None = None,
    unattributed: int = 0,
    heading: str | None = None,
    footer: str | None = None,
) -> str:
    """`render_html`, its overview's patterns given with their health findings where
    the caller has them (`OverviewItem`): a dashboard has judged every pattern already,
    and judging 100,000 again took 1.1 s (`benches/dashboard_health.py`)."""
    thresholds = thresholds or HealthThresholds()
    findings = evaluate_health(result, thresholds)
    pattern = str(result.pattern_id)
    title = f"{name or pattern} · usage analytics"
    sections = [
        _header(result, name, findings),
        f'<p class="note page-heading">{escape(heading)}</p>' if heading else "",
        _overview(overview, thresholds, result, findings, unattributed) if overview else "",
        _kpis(result, findings),
        _health(findings, thresholds),
        _activity(result),
        _outcomes(result),
        _latency(result, thresholds),
        _when_it_runs(result),
        _where_it_runs(result),
        _data_quality(result, locate),
        f'<p class="note page-note">{escape(footer)}</p>' if footer else "",
    ]
    page_footer = (
        f'<footer class="page-footer">usage-analytics {escape(_core.__version__)} · '
        "numbers are rounded for display; the JSON output keeps full precision</footer>"
    )
    body = "\n".join(section for section in sections if section)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="usage-analytics">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main class="page">\n{body}\n{page_footer}\n</main>\n</body>\n</html>\n'
    )
