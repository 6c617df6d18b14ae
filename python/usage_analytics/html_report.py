"""A self-contained HTML report of one analytics result.

    Path("report.html").write_text(render_html(result, name="checkout"), encoding="utf-8")

One file that works offline: inline CSS, charts drawn here as inline SVG, no script, no
font or image fetched from anywhere. Sections: header, key numbers, health findings,
executions over time with the fitted trend line, outcomes, latency percentiles, hour of
day and day of week, where it runs (distribution tables), data quality. A section whose
metric family was not computed says so instead of showing zeros.

The charts show only what the result holds. It carries percentiles, not the execution
times, so latency is drawn as a percentile ladder rather than a histogram; and it holds
the hour-of-day and day-of-week counts separately, so they are two bar charts, not an
hour x weekday heatmap (an outer product of the two would invent a joint distribution).

Every string that comes from the data (pattern id and name, agents, context types,
projects, file types, invalid-record samples, the time zone) is escaped with
`html.escape`; nothing else is interpolated into markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from usage_analytics import _core
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    TrendAnalysis,
    UsageTimeBucket,
)
from usage_analytics.health import (
    SEVERITIES,
    HealthFinding,
    HealthThresholds,
    Severity,
    evaluate_health,
)
from usage_analytics.report import (
    _WEEKDAYS,
    _count,
    _duration_ms,
    _hours,
    _percent,
    _plural,
    _rate,
    _signed,
    _span,
    _when,
    trend_label,
)

__all__ = ["render_html"]

_DASH = "\N{EN DASH}"
#: Rows shown per distribution table before "+ N more".
TOP_ROWS = 8
#: More trend buckets than this are merged into at most `MAX_BARS` bars.
MAX_BARS = 120

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

_CSS = """
:root {
  color-scheme: light;
  --ink: #1f2933; --muted: #52606d; --faint: #8a96a3; --line: #d9dee4; --grid: #e8ecf0;
  --page: #f4f6f8; --card: #ffffff;
  --blue: #2f6db5; --blue-soft: #a9c4e6; --orange: #c2410c;
  --green: #15803d; --red: #b91c1c; --amber: #b45309;
  --crit-bg: #fdecec; --crit-ink: #8f1414; --warn-bg: #fff4e0; --warn-ink: #7a3b00;
  --info-bg: #e8f0fb; --info-ink: #1d4f8f; --ok-bg: #e6f4ea; --ok-ink: #14632f;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
    Arial, "Noto Sans", "Liberation Sans", sans-serif;
}
code, .mono {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.88em;
}
.page { max-width: 1120px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 28px; line-height: 1.2; margin: 0; font-weight: 650; word-break: break-word; }
h2 { font-size: 18px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 14px; margin: 0 0 8px; font-weight: 650; color: var(--muted);
  text-transform: uppercase; letter-spacing: 0.04em; }
p { margin: 0 0 8px; }
.muted { color: var(--muted); }
.note { color: var(--muted); font-size: 13px; margin-top: 10px; }
.report-header { margin-bottom: 20px; }
.eyebrow { color: var(--muted); font-size: 13px; text-transform: uppercase;
  letter-spacing: 0.08em; font-weight: 600; margin-bottom: 6px; }
.title-row { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; }
.pattern-id { color: var(--muted); margin: 6px 0 0; word-break: break-all; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 14px 0 0; }
.meta div { display: flex; flex-direction: column; }
.meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.05em; }
.meta dd { margin: 0; font-weight: 550; }
.badge { display: inline-block; padding: 3px 10px; border-radius: 999px; font-size: 13px;
  font-weight: 650; border: 1px solid transparent; white-space: nowrap; }
.badge.trend-growing { background: var(--ok-bg); color: var(--ok-ink); border-color: #a7d7b5; }
.badge.trend-stable { background: #eef1f4; color: var(--ink); border-color: var(--line); }
.badge.trend-emerging { background: var(--info-bg); color: var(--info-ink);
  border-color: #b5cdee; }
.badge.trend-declining { background: var(--warn-bg); color: var(--warn-ink);
  border-color: #f1c98b; }
.badge.trend-abandoned { background: var(--crit-bg); color: var(--crit-ink);
  border-color: #f0b4b4; }
.badge.critical { background: var(--crit-bg); color: var(--crit-ink); border-color: #f0b4b4; }
.badge.warning { background: var(--warn-bg); color: var(--warn-ink); border-color: #f1c98b; }
.badge.info { background: var(--info-bg); color: var(--info-ink); border-color: #b5cdee; }
.badge.ok { background: var(--ok-bg); color: var(--ok-ink); border-color: #a7d7b5; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px; margin-top: 16px; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.card > header { display: flex; flex-wrap: wrap; justify-content: space-between;
  align-items: baseline; gap: 4px 16px; margin-bottom: 12px; }
.card > header p { margin: 0; color: var(--muted); font-size: 13px; }
.kpis { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px;
  margin-top: 16px; }
.tile { background: var(--card); border: 1px solid var(--line); border-left-width: 4px;
  border-left-color: var(--line); border-radius: 10px; padding: 12px 14px; }
.tile.critical { border-left-color: var(--red); }
.tile.warning { border-left-color: var(--amber); }
.tile.ok { border-left-color: var(--green); }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.05em; font-weight: 600; }
.tile .value { font-size: 26px; font-weight: 650; line-height: 1.25; margin-top: 2px;
  font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.tile .sub { color: var(--muted); font-size: 13px; }
.findings { list-style: none; margin: 0; padding: 0; }
.finding { display: grid; grid-template-columns: 88px 1fr auto; gap: 12px; align-items: start;
  padding: 10px 12px; border-radius: 8px; margin-bottom: 8px; border: 1px solid; }
.finding.critical { background: var(--crit-bg); border-color: #f0b4b4; }
.finding.warning { background: var(--warn-bg); border-color: #f1c98b; }
.finding.info { background: var(--info-bg); border-color: #b5cdee; }
.finding .sev { font-size: 12px; font-weight: 700; text-transform: uppercase;
  letter-spacing: 0.05em; padding-top: 2px; }
.finding.critical .sev { color: var(--crit-ink); }
.finding.warning .sev { color: var(--warn-ink); }
.finding.info .sev { color: var(--info-ink); }
.finding .code { color: var(--muted); font-size: 12px; white-space: nowrap; padding-top: 3px; }
.all-clear { background: var(--ok-bg); color: var(--ok-ink); border: 1px solid #a7d7b5;
  border-radius: 8px; padding: 10px 12px; font-weight: 550; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; color: var(--muted);
  margin: 2px 0 6px; }
.legend .key { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  vertical-align: -1px; margin-right: 6px; }
.legend .key.line { height: 3px; border-radius: 0; vertical-align: 3px; width: 18px; }
.legend .key.dash { height: 0; border-top: 2px dashed var(--muted); vertical-align: 3px;
  width: 18px; border-radius: 0; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart text { font-family: inherit; fill: var(--muted); font-size: 12px; }
svg.chart text.value { fill: var(--ink); font-weight: 600; paint-order: stroke;
  stroke: var(--card); stroke-width: 4px; stroke-linejoin: round; }
svg.chart .grid { stroke: var(--grid); stroke-width: 1; }
svg.chart .axis { stroke: var(--line); stroke-width: 1; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
  gap: 10px 20px; margin: 14px 0 0; }
.stats div { border-top: 1px solid var(--grid); padding-top: 6px; }
.stats dt { color: var(--muted); font-size: 12px; }
.stats dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.two-col { display: grid; grid-template-columns: minmax(0, 1.9fr) minmax(0, 1fr); gap: 24px; }
.tables { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px 28px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--grid);
  font-size: 14px; vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.04em; border-bottom-color: var(--line); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.name { word-break: break-word; }
td.nowrap { white-space: nowrap; }
td.share { width: 34%; }
.sharebar { position: relative; height: 8px; background: var(--grid); border-radius: 4px;
  margin-top: 6px; }
.sharebar span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--blue);
  border-radius: 4px; }
tr.rest td { color: var(--muted); font-style: italic; }
tr.current td { background: #f0f5fc; font-weight: 600; }
.outcome { display: flex; height: 28px; border-radius: 6px; overflow: hidden;
  background: var(--grid); margin: 6px 0 8px; }
.outcome span { display: block; height: 100%; }
.outcome .ok { background: var(--green); }
.outcome .bad { background: var(--red); }
.samples td { font-size: 13px; }
footer.page-footer { color: var(--faint); font-size: 12px; margin-top: 24px;
  text-align: center; }
@media (max-width: 860px) {
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .two-col, .tables { grid-template-columns: minmax(0, 1fr); }
  .finding { grid-template-columns: 1fr; gap: 2px; }
}
@media print {
  body { background: #fff; }
  .card, .tile { box-shadow: none; break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    """Text for HTML (element content and quoted attributes)."""
    return html.escape(str(value), quote=True)


def _num(value: float) -> str:
    """A coordinate: short, no exponent."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value == value else "0"


def _length(seconds: float) -> str:
    """A bucket width or window length; seconds below a minute (report's `_span` starts
    at minutes)."""
    return f"{seconds:g} s" if seconds < 60 else _span(seconds)


def _nice_step(span: float, count: int, integer: bool = False) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `count`
    intervals over `span`."""
    raw = span / max(1, count)
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    if integer and raw <= 1:
        return 1.0
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if integer and factor == 2.5 and power < 10:
            continue  # 2.5 is not a whole number of runs
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _ticks(peak: float, count: int = 4, integer: bool = False) -> list[float]:
    """Ticks from 0 up to at least `peak` (at least one interval); whole numbers only
    with `integer`."""
    step = _nice_step(peak if peak > 0 else 1.0, count, integer)
    top = step * max(1, math.ceil(peak / step - 1e-9))
    return [step * index for index in range(round(top / step) + 1)]


def _tick_label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg(label: str, description: str, width: int, height: int, body: Iterable[str]) -> str:
    """An accessible inline SVG chart: its title and description name what it shows."""
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title><desc>{_e(description)}</desc>" + "".join(body) + "</svg>"
    )


# ---------------------------------------------------------------------------------------
# Charts


@dataclass(frozen=True)
class _Bar:
    start: datetime
    end: datetime
    executions: int

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400

    @property
    def rate(self) -> float:
        return self.executions / self.days if self.days > 0 else 0.0


def _merged_bars(series: Sequence[UsageTimeBucket]) -> tuple[list[_Bar], int]:
    """The buckets as bars, adjacent ones merged (counts summed) when there are more than
    MAX_BARS; also how many buckets each bar holds."""
    per_bar = max(1, math.ceil(len(series) / MAX_BARS))
    bars = []
    for first in range(0, len(series), per_bar):
        group = series[first : first + per_bar]
        bars.append(_Bar(group[0].start, group[-1].end, sum(bucket.executions for bucket in group)))
    return bars, per_bar


def _day_label(moment: datetime, with_time: bool) -> str:
    moment = moment.astimezone(UTC)
    text = f"{moment:%b} {moment.day}"
    return f"{text} {moment:%H:%M}" if with_time else text


def _activity_chart(
    trend: TrendAnalysis,
    series: Sequence[UsageTimeBucket],
    window_start: datetime,
    window_end: datetime,
) -> str:
    """Bars: executions per day in each bucket; line: the OLS fit of those rates against
    the bucket midpoints (the core's velocity), over the whole window."""
    width, height = 1000, 300
    left, right, top, bottom = 56, 14, 14, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    total_days = (window_end - window_start).total_seconds() / 86_400
    bars, _ = _merged_bars(series)

    def day_of(moment: datetime) -> float:
        return (moment - window_start).total_seconds() / 86_400

    # The fitted line through the buckets' (midpoint, rate) points, slope = velocity.
    xs = [(day_of(b.start) + day_of(b.end)) / 2 for b in series]
    ys = [b.rate_per_day for b in series]
    slope = trend.velocity
    intercept = sum(ys) / len(ys) - slope * sum(xs) / len(xs)

    def fitted(day: float) -> float:
        return intercept + slope * day

    peak = max([*(bar.rate for bar in bars), fitted(0), fitted(total_days), 0.0])
    ticks = _ticks(peak)
    y_top = ticks[-1]

    def x_at(day: float) -> float:
        return left + day / total_days * plot_w

    def y_at(rate: float) -> float:
        return top + plot_h - rate / y_top * plot_h

    body: list[str] = []
    for tick in ticks:
        y = y_at(tick)
        body.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text x="{left - 8}" y="{_num(y + 4)}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    gap = 1.0 if plot_w / max(1, len(bars)) > 4 else 0.0
    with_time = series[0].end - series[0].start < timedelta(days=1)
    for bar in bars:
        x0, x1 = x_at(day_of(bar.start)), x_at(day_of(bar.end))
        y = y_at(bar.rate)
        tip = (
            f"{_when(bar.start)} to {_when(bar.end)} UTC: {_plural(bar.executions, 'run')} "
            f"({_rate(bar.rate)}/day)"
        )
        body.append(
            f'<rect x="{_num(x0 + gap / 2)}" y="{_num(y)}" '
            f'width="{_num(max(0.5, x1 - x0 - gap))}" height="{_num(top + plot_h - y)}" '
            f'fill="var(--blue)" rx="1.5"><title>{_e(tip)}</title></rect>'
        )
    # x labels: about eight, at bar centres (whole days) or bar starts (shorter buckets).
    step = max(1, math.ceil(len(bars) / 8))
    for bar in bars[::step]:
        if with_time:
            x, text = x_at(day_of(bar.start)), _day_label(bar.start, True)
        else:
            x, text = x_at((day_of(bar.start) + day_of(bar.end)) / 2), _day_label(bar.start, False)
        body.append(
            f'<line class="axis" x1="{_num(x)}" x2="{_num(x)}" y1="{top + plot_h}" '
            f'y2="{top + plot_h + 5}"/>'
            f'<text x="{_num(x)}" y="{top + plot_h + 20}" text-anchor="middle">{_e(text)}</text>'
        )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/>'
    )
    # Trend line, clipped to the plot (it may leave it below zero).
    x_from, x_to = 0.0, total_days
    if slope != 0:
        zero_day = -intercept / slope
        if slope < 0:
            x_to = min(x_to, max(x_from, zero_day))
        else:
            x_from = max(x_from, min(x_to, zero_day))
    if x_to > x_from:
        body.append(
            f'<line x1="{_num(x_at(x_from))}" y1="{_num(y_at(max(0.0, fitted(x_from))))}" '
            f'x2="{_num(x_at(x_to))}" y2="{_num(y_at(max(0.0, fitted(x_to))))}" '
            f'stroke="var(--orange)" stroke-width="3" stroke-linecap="round">'
            f"<title>{_e(_trend_tip(trend, fitted(0), fitted(total_days)))}</title></line>"
        )
    body.append(
        f'<text x="{left}" y="{top + plot_h + 38}" text-anchor="start">runs per day, '
        "by bucket (UTC)</text>"
    )
    return _svg(
        "Executions per day over the window, with the fitted trend line",
        f"{len(bars)} bars from {_when(window_start)} to {_when(window_end)} UTC; "
        f"trend {trend.trend_type.value}, slope {_signed(trend.velocity)} runs/day per day.",
        width,
        height,
        body,
    )


def _trend_tip(trend: TrendAnalysis, first: float, last: float) -> str:
    return (
        f"Fitted trend: {_rate(max(0.0, first))}/day at the start, {_rate(max(0.0, last))}/day "
        f"at the end ({_signed(trend.velocity)} per day)"
    )


_STEPS_125 = (1.0, 2.0, 5.0)


def _snap_125(value: float, up: bool) -> float:
    """The nearest 1, 2 or 5 times a power of ten at or above (`up`) or below `value`."""
    power = 10.0 ** math.floor(math.log10(value))
    candidates = [factor * power for factor in (*_STEPS_125, 10.0)]
    if up:
        return min(c for c in candidates if c >= value * 0.9999)
    return max(c for c in candidates if c <= value * 1.0001)


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between `low` and `high`; only powers of ten over more than four
    decades."""
    factors = _STEPS_125 if math.log10(high / low) <= 4 else (1.0,)
    values = []
    power = math.floor(math.log10(low))
    while 10.0**power <= high * 1.0001:
        for factor in factors:
            value = factor * 10.0**power
            if low * 0.9999 <= value <= high * 1.0001:
                values.append(value)
        power += 1
    return values


def _ms_tick(ms: float) -> str:
    """An axis label: "200 ms", "1 s", "50 s" (no decimals to spare)."""
    if ms < 1_000:
        return f"{ms:g} ms"
    if ms < 1_000_000:
        return f"{ms / 1_000:g} s"
    return f"{ms / 60_000:,.0f} min"


def _latency_chart(perf: PerformanceMetrics, thresholds: HealthThresholds) -> tuple[str, str]:
    """The percentile ladder (one bar per statistic, the health limits as dashed lines)
    and its scale: logarithmic when the values span more than a factor of 20."""
    rows = [
        ("min", perf.min_execution_time_ms, "var(--blue-soft)"),
        ("p50", perf.p50_execution_time_ms, "var(--blue)"),
        ("mean", perf.avg_execution_time_ms, "var(--blue-soft)"),
        ("p95", perf.p95_execution_time_ms, "var(--blue)"),
        ("p99", perf.p99_execution_time_ms, "var(--blue)"),
        ("max", perf.max_execution_time_ms, "var(--blue-soft)"),
    ]
    limits = [
        (name, limit)
        for name, limit in (("p95", thresholds.max_p95_ms), ("p99", thresholds.max_p99_ms))
        if limit is not None and limit > 0
    ]
    shown = {row[0]: row[1] for row in rows}
    over = {name for name, limit in limits if shown[name] > limit}
    width, left, right, top, row_h = 1000, 64, 90, 40, 34
    height = top + row_h * len(rows) + 30
    plot_w = width - left - right
    values = [value for _, value, _ in rows] + [limit for _, limit in limits]
    high = max(values)
    positive = [value for value in values if value > 0]
    low = min(positive, default=1.0)
    logarithmic = high > 0 and high / low > 20
    if logarithmic:
        lo_edge = _snap_125(low, up=False)
        hi_edge = _snap_125(high, up=True)
        ticks = _log_ticks(lo_edge, hi_edge)

        def x_at(value: float) -> float:
            clipped = min(max(value, lo_edge), hi_edge)
            return left + math.log10(clipped / lo_edge) / math.log10(hi_edge / lo_edge) * plot_w

    else:
        ticks = _ticks(high if high > 0 else 1.0, 5)

        def x_at(value: float) -> float:
            return left + value / ticks[-1] * plot_w

    body: list[str] = []
    axis_y = top + row_h * len(rows)
    for tick in ticks:
        x = x_at(tick)
        body.append(
            f'<line class="grid" x1="{_num(x)}" x2="{_num(x)}" y1="{top - 6}" y2="{axis_y}"/>'
            f'<text x="{_num(x)}" y="{axis_y + 18}" text-anchor="middle">'
            f"{_e(_ms_tick(tick))}</text>"
        )
    for index, (name, value, colour) in enumerate(rows):
        y = top + index * row_h
        fill = colour
        if name in over:
            fill = "var(--red)" if name == "p99" else "var(--amber)"
        end = x_at(value) if value > 0 else left
        body.append(
            f'<text x="{left - 10}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" '
            f'class="value">{name}</text>'
            f'<rect x="{left}" y="{y + 7}" width="{_num(max(1.5, end - left))}" '
            f'height="{row_h - 14}" fill="{fill}" rx="2">'
            f"<title>{name}: {_e(_duration_ms(value))}</title></rect>"
            f'<text x="{_num(max(end, left) + 8)}" y="{y + row_h / 2 + 4:.1f}" class="value">'
            f"{_e(_duration_ms(value))}</text>"
        )
    # Limit labels on staggered rows above the plot, so close limits do not overlap.
    for index, (name, limit) in enumerate(limits):
        x = x_at(limit)
        label_y = top - 8 - 15 * (len(limits) - 1 - index)
        anchor = 'text-anchor="end" ' if x > width - 170 else ""
        label_x = x - 4 if anchor else x + 4
        body.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{label_y - 10}" y2="{axis_y}" '
            'stroke="var(--ink)" stroke-width="1.5" stroke-dasharray="5 4"/>'
            f'<text x="{_num(label_x)}" y="{label_y}" {anchor}>{name} limit '
            f"{_e(_duration_ms(limit))}</text>"
        )
    body.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top - 6}" y2="{axis_y}"/>')
    scale = "logarithmic" if logarithmic else "linear"
    return _svg(
        f"Latency percentiles ({scale} scale)",
        "; ".join(f"{name} {_duration_ms(value)}" for name, value, _ in rows),
        width,
        height,
        body,
    ), scale


def _columns_chart(
    label: str,
    counts: Sequence[int],
    names: Sequence[str],
    *,
    width: int,
    shade: Callable[[int], str] | None = None,
    every: int = 1,
) -> str:
    """Vertical bars of `counts` with a category axis (every `every`-th name shown)."""
    height, left, right, top, bottom = 230, 44, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _ticks(max(counts, default=0) or 1, 4, integer=True)
    slot = plot_w / len(counts)
    body: list[str] = []
    for tick in ticks:
        y = top + plot_h - tick / ticks[-1] * plot_h
        body.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    for index, (count, name) in enumerate(zip(counts, names, strict=True)):
        bar_h = count / ticks[-1] * plot_h
        x = left + index * slot + slot * 0.12
        fill = shade(index) if shade else "var(--blue)"
        body.append(
            f'<rect x="{_num(x)}" y="{_num(top + plot_h - bar_h)}" width="{_num(slot * 0.76)}" '
            f'height="{_num(bar_h)}" fill="{fill}" rx="1.5">'
            f"<title>{_e(name)}: {_e(_plural(count, 'run'))}</title></rect>"
        )
        if index % every == 0:
            body.append(
                f'<text x="{_num(left + (index + 0.5) * slot)}" y="{top + plot_h + 18}" '
                f'text-anchor="middle">{_e(name)}</text>'
            )
    body.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/>'
    )
    return _svg(
        label,
        "; ".join(f"{name}: {count}" for name, count in zip(names, counts, strict=True)),
        width,
        height,
        body,
    )


# ---------------------------------------------------------------------------------------
# Sections


def _card(section_id: str, title: str, subtitle: str, body: str) -> str:
    sub = f"<p>{subtitle}</p>" if subtitle else ""
    return (
        f'<section class="card" id="{section_id}" aria-labelledby="{section_id}-title">'
        f'<header><h2 id="{section_id}-title">{_e(title)}</h2>{sub}</header>{body}</section>'
    )


def _stats(items: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items)
    return f'<dl class="stats">{cells}</dl>'


def _worst(findings: Sequence[HealthFinding], codes: Sequence[str]) -> Severity | None:
    hits = [f.severity for f in findings if f.code in codes]
    return min(hits, key=SEVERITIES.index) if hits else None


def _tile(label: str, value: str, sub: str, state: str) -> str:
    return (
        f'<div class="tile {state}"><div class="label">{_e(label)}</div>'
        f'<div class="value" title="{_e(value)}">{_e(value)}</div>'
        f'<div class="sub">{_e(sub)}</div></div>'
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
            _plural(success.quality_gate_failures, "gate failure")
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
            _plural(usage.unique_contexts, "context type"),
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
        ("Success rate at least", shown(t.min_success_rate, _percent)),
        ("Error rate at most", shown(t.max_error_rate, _percent)),
        ("p95 latency at most", shown(t.max_p95_ms, _duration_ms)),
        ("p99 latency at most", shown(t.max_p99_ms, _duration_ms)),
        ("p95 at most this times p50", shown(t.max_p95_p50_ratio, lambda v: f"{v:g}x")),
        ("Last use at most", shown(t.max_hours_since_last_use, lambda v: f"{v:g} h")),
        (
            "Quality-gate failures at most",
            shown(t.max_quality_gate_failures, lambda v: _count(int(v))),
        ),
        ("Average quality at least", shown(t.min_avg_quality, lambda v: f"{v:.2f}")),
        ("Flag a declining trend", "yes" if t.flag_declining else "no"),
        ("Flag an abandoned trend", "yes" if t.flag_abandoned else "no"),
        ("Runs needed for “critical”", _count(t.min_samples_for_critical)),
    ]
    cells = "".join(
        f'<tr><td>{_e(label)}</td><td class="num">{_e(value)}</td></tr>' for label, value in rows
    )
    return (
        "<details><summary>Thresholds used</summary>"
        f"<table><tbody>{cells}</tbody></table></details>"
    )


def _severity_count(count: int, severity: Severity) -> str:
    """ "2 critical", "1 warning", "3 warnings", "1 info"."""
    plural = "s" if severity == "warning" and count != 1 else ""
    return f"{_count(count)} {severity}{plural}"


def _health(findings: Sequence[HealthFinding], thresholds: HealthThresholds) -> str:
    counts = {sev: sum(f.severity == sev for f in findings) for sev in SEVERITIES}
    if not findings:
        body = '<p class="all-clear">All health checks pass.</p>'
        subtitle = "no findings"
    else:
        items = []
        for finding in findings:
            limit = "" if finding.threshold is None else f" · limit {finding.threshold:g}"
            items.append(
                f'<li class="finding {finding.severity}">'
                f'<span class="sev">{_SEVERITY_LABEL[finding.severity]}</span>'
                f"<span>{_e(finding.message)}</span>"
                f'<span class="code mono" title="value {_e(f"{finding.value:g}")}{_e(limit)}">'
                f"{_e(finding.code)}</span></li>"
            )
        body = f'<ul class="findings">{"".join(items)}</ul>'
        subtitle = " · ".join(_severity_count(count, sev) for sev, count in counts.items() if count)
    return _card("health", "Health", _e(subtitle), body + _thresholds_table(thresholds))


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
        merged = _merged_bars(series)[1]
        bucket = _length(trend.bucket_width_seconds * merged)
        parts.append(
            '<div class="legend">'
            f'<span><span class="key" style="background:var(--blue)"></span>runs per day in '
            f"each {_e(bucket)} bucket</span>"
            '<span><span class="key line" style="background:var(--orange)"></span>'
            f"fitted trend (least squares), {_e(_signed(trend.velocity))} runs/day per day"
            f"{'' if trend.velocity_significant else ', not significant'}</span></div>"
        )
        parts.append(
            _activity_chart(trend, series, result.time_window_start, result.time_window_end)
        )
        if merged > 1:
            parts.append(
                f'<p class="note">{_count(trend.bucket_count)} buckets of '
                f"{_e(_length(trend.bucket_width_seconds))}, drawn {merged} to a bar.</p>"
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
            f"{_signed(trend.velocity)} runs/day per day"
            f" ({'significant' if trend.velocity_significant else 'not significant'})",
        ),
        ("Acceleration", _signed(trend.acceleration)),
        ("Growth", f"{_signed(trend.growth_percentage, 1)}% (last quarter vs first)"),
        ("Agent retention", _percent(trend.retention_rate)),
        ("Agent churn", _percent(trend.churn_rate)),
        ("New agents", f"{trend.adoption_rate:.1f} per week"),
        (
            "Confidence",
            f"{trend.confidence_score:.2f} ({trend.bucket_count} buckets of "
            f"{_length(trend.bucket_width_seconds)})",
        ),
    ]
    if trend.predictions is not None:
        prediction = trend.predictions
        stats.append(
            (
                f"Next {_length(prediction.horizon_days * 86_400)} (linear, experimental)",
                f"~{_rate(prediction.predicted_daily_rate)}/day, "
                f"~{_count(round(prediction.predicted_executions))} runs",
            )
        )
    parts.append(_stats(stats))
    window = f"{_count(result.usage_metrics.total_executions)} runs in the window"
    return _card("activity", "Executions over time", _e(window), "".join(parts))


def _outcomes(result: ModelUsageAnalyticsOutput) -> str:
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    if runs == 0:
        return _card("outcomes", "Outcomes", "", '<p class="muted">No executions.</p>')
    ok = success.success_count / runs * 100
    bar = (
        f'<div class="outcome" role="img" aria-label="{_e(_percent(success.success_rate))} '
        f'succeeded, {_e(_percent(success.error_rate))} failed">'
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
    return _card("outcomes", "Outcomes", _e(f"{_plural(runs, 'run')}"), bar + stats + note)


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
    chart, scale = _latency_chart(perf, thresholds)
    legend = (
        '<div class="legend"><span><span class="key" style="background:var(--blue)"></span>'
        "percentile</span>"
        '<span><span class="key" style="background:var(--blue-soft)"></span>min, mean, max</span>'
        '<span><span class="key" style="background:var(--amber)"></span>'
        "p95 above its limit</span>"
        '<span><span class="key" style="background:var(--red)"></span>p99 above its limit</span>'
        '<span><span class="key dash"></span>health limit</span></div>'
    )
    stats = _stats(
        [
            ("Mean", _duration_ms(perf.avg_execution_time_ms)),
            ("Standard deviation", _duration_ms(perf.std_dev_ms)),
            ("p95 / p50", f"{perf.p95_execution_time_ms / perf.p50_execution_time_ms:.1f}x")
            if perf.p50_execution_time_ms > 0
            else ("p95 / p50", _DASH),
            ("Total time", _duration_ms(perf.total_execution_time_ms)),
            ("Timed runs", _count(perf.sample_count)),
        ]
    )
    note = (
        '<p class="note">Percentiles are exact (linear interpolation). A histogram would need '
        "the individual execution times, which the result does not keep; the ladder above "
        "shows the shape of the distribution instead.</p>"
    )
    subtitle = f"{_count(perf.sample_count)} timed runs · {scale} scale"
    return _card("latency", "Latency", _e(subtitle), legend + chart + stats + note)


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
    hour_chart = _columns_chart(
        f"Runs by hour of day ({timezone})",
        hours,
        [f"{hour:02d}" for hour in range(24)],
        width=640,
        every=3,
    )
    day_chart = _columns_chart(
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
            f"({_e(_plural(hours[peak_hour], 'run'))}); busiest weekday "
            f"{_WEEKDAYS[peak_day]} ({_e(_plural(days[peak_day], 'run'))}). "
            "Hours and weekdays are counted separately (the result has no hour &times; weekday "
            "counts), so there is no combined heatmap.</p>"
        )
    body = (
        '<div class="two-col">'
        f"<div><h3>Hour of day</h3>{hour_chart}</div>"
        f"<div><h3>Day of week</h3>{day_chart}</div></div>{peak_note}"
    )
    return _card("timing", "When it runs", f"calendar zone {_e(timezone)}", body)


def _top_table(title: str, counts: Mapping[str, int], unit: str) -> str:
    total = sum(counts.values())
    items = list(counts.items())
    rows = []
    for name, count in items[:TOP_ROWS]:
        share = count / total if total else 0.0
        rows.append(
            f'<tr><td class="name">{_e(name)}</td><td class="num">{_count(count)}</td>'
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
        f"<div><h3>{_e(title)}</h3><table><thead><tr><th>{_e(unit)}</th>"
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
            f"<tr><td>{_e(locate(sample.index) if locate else f'record {sample.index}')}</td>"
            f'<td class="mono">{_e(sample.field)}</td><td class="mono">{_e(sample.value)}</td>'
            f"<td>{_e(sample.reason)}</td></tr>"
            for sample in quality.error_samples
        )
        shown = len(quality.error_samples)
        samples = (
            f'<h3 style="margin-top:16px">Invalid records (first {shown} of '
            f"{_count(quality.invalid_records)})</h3>"
            '<table class="samples"><thead><tr><th>Where</th><th>Field</th><th>Value</th>'
            f"<th>Reason</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    ids = (
        f'<p class="note">Correlation id <code>{_e(result.correlation_id)}</code> · computed '
        f"{_e(_when(result.computed_at))} UTC</p>"
    )
    return _card("data-quality", "Data quality", "", stats + samples + ids)


def _overview(
    items: Sequence[tuple[str, ModelUsageAnalyticsOutput]],
    thresholds: HealthThresholds,
    current: ModelUsageAnalyticsOutput,
) -> str:
    """One row per pattern, the one reported below highlighted."""
    rows = []
    for name, item in items:
        findings = evaluate_health(item, thresholds)
        perf = item.performance_metrics
        p95 = (
            _duration_ms(perf.p95_execution_time_ms)
            if perf is not None and perf.sample_count
            else _DASH
        )
        runs = item.usage_metrics.total_executions
        if findings:
            worst = findings[0]
            finding = (
                f'<span class="badge {worst.severity}">{_SEVERITY_LABEL[worst.severity]}</span> '
                f"{_e(worst.message)}"
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
            f'<tr{mark}><td class="name">{_e(name)}</td>'
            f'<td class="nowrap">{_e(trend_label(item.trend_analysis))}</td>'
            f'<td class="num">{_count(runs)}</td>'
            f'<td class="num">{_percent(item.success_metrics.success_rate) if runs else _DASH}</td>'
            f'<td class="num">{_e(p95)}</td><td>{finding}</td></tr>'
        )
    table = (
        '<table><thead><tr><th>Pattern</th><th>Trend</th><th class="num">Runs</th>'
        '<th class="num">Success</th><th class="num">p95</th><th>Worst finding</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return _card("overview", "All patterns", _e(_plural(len(items), "pattern")), table)


def _header(
    result: ModelUsageAnalyticsOutput, name: str | None, findings: Sequence[HealthFinding]
) -> str:
    pattern = str(result.pattern_id)
    title = name or pattern
    trend = result.trend_analysis
    badges = ""
    if trend is not None:
        badges += (
            f'<span class="badge trend-{trend.trend_type.value}">{_e(trend_label(trend))}</span>'
        )
    worst = findings[0].severity if findings else None
    if worst is None:
        badges += '<span class="badge ok">Healthy</span>'
    elif worst != "info":
        count = sum(f.severity == worst for f in findings)
        badges += f'<span class="badge {worst}">{_severity_count(count, worst)}</span>'
    ident = (
        f'<p class="pattern-id">Pattern <code>{_e(pattern)}</code></p>'
        if name and name != pattern
        else ""
    )
    seconds = (result.time_window_end - result.time_window_start).total_seconds()
    meta = [
        ("Window (UTC)", f"{_when(result.time_window_start)} → {_when(result.time_window_end)}"),
        ("Length", f"{_length(seconds)} · {result.time_window_type.value}"),
        ("Calendar zone", result.timezone),
        ("Granularity", result.granularity.value),
    ]
    cells = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in meta)
    return (
        '<header class="report-header"><div class="eyebrow">Usage analytics report</div>'
        f'<div class="title-row"><h1>{_e(title)}</h1>{badges}</div>{ident}'
        f'<dl class="meta">{cells}</dl></header>'
    )


def render_html(
    result: ModelUsageAnalyticsOutput,
    *,
    name: str | None = None,
    thresholds: HealthThresholds | None = None,
    locate: Callable[[int], str] | None = None,
    overview: Sequence[tuple[str, ModelUsageAnalyticsOutput]] | None = None,
) -> str:
    """The report of `result` as one self-contained HTML document.

    `name` titles it (default: the pattern id); `thresholds` are the health rules'
    limits (default: `HealthThresholds()`); `locate` turns a record index into a place for
    the invalid-record samples ("line 12"); `overview`, when given, adds a table of
    several `(name, result)` pairs (one line each, with its worst health finding) above
    the report.
    """
    thresholds = thresholds or HealthThresholds()
    findings = evaluate_health(result, thresholds)
    pattern = str(result.pattern_id)
    title = f"{name or pattern} · usage analytics"
    sections = [
        _header(result, name, findings),
        _overview(overview, thresholds, result) if overview else "",
        _kpis(result, findings),
        _health(findings, thresholds),
        _activity(result),
        _outcomes(result),
        _latency(result, thresholds),
        _when_it_runs(result),
        _where_it_runs(result),
        _data_quality(result, locate),
    ]
    footer = (
        f'<footer class="page-footer">usage-analytics {_e(_core.__version__)} · '
        "numbers are rounded for display; the JSON output keeps full precision</footer>"
    )
    body = "\n".join(section for section in sections if section)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="usage-analytics">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main class="page">\n{body}\n{footer}\n</main>\n</body>\n</html>\n'
    )
