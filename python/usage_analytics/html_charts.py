"""The HTML report's charts: inline SVG built from an analytics result, no script.

Each chart is an accessible `<svg role="img">` whose title and description say what it
shows; every string from the data goes through `escape`. Axes take round ticks (1, 2,
2.5 or 5 times a power of ten; 1-2-5 steps on the latency chart's log scale).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from usage_analytics.contracts import PerformanceMetrics, TrendAnalysis, UsageTimeBucket
from usage_analytics.health import HealthThresholds
from usage_analytics.report import (
    _duration_ms,
    _rate,
    _shown_offset,
    _signed,
    _significant,
    _window_when,
    on_clocks,
    plural,
    printable,
    printable_name,
)

__all__ = [
    "MAX_BARS",
    "activity_chart",
    "columns_chart",
    "escape",
    "escape_name",
    "latency_chart",
    "merged_bars",
    "visible",
]

#: More trend buckets than this are merged into at most `MAX_BARS` bars.
MAX_BARS = 120


def visible(text: str) -> str:
    """`text` with every character a browser would not show, or would act on, written as
    its Python escape: exactly those the terminal report escapes (`report.printable`, the
    one definition). A page must not carry controls (a NUL or ESC is an HTML parse
    error) nor bidirectional overrides (a pattern id's U+202E reversed the title); and
    zero-width characters, bidi marks, line separators and the BOM made "admin",
    "admin\\u200b" and "\\u200fadmin" three identical rows. (So an emoji sequence joined
    by U+200D, a name rarely holds one, shows its joiner escaped, as the terminal does.)"""
    return printable(text)


def escape(value: object) -> str:
    """Text for HTML (element content and quoted attributes): `visible`, then escaped."""
    return html.escape(visible(str(value)), quote=True)


def escape_name(value: object) -> str:
    """A name from the data for HTML, its spaces at either end written as the terminal
    writes them ("\\x20", `printable_name`): a browser shows none at a cell's ends."""
    return html.escape(printable_name(str(value)), quote=True)


def _num(value: float) -> str:
    """A coordinate: short, no exponent."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value == value else "0"


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
    # (Significant digits, not two decimals: the ticks of a scale below 0.01, a few runs
    # over decades, were all "0"; written out, not "1e-05" below 0.0001.)
    return _significant(value, 6)


def _svg(label: str, description: str, width: int, height: int, body: Iterable[str]) -> str:
    """An accessible inline SVG chart: its title and description name what it shows."""
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title><desc>{escape(description)}</desc>"
        + "".join(body)
        + "</svg>"
    )


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


def merged_bars(series: Sequence[UsageTimeBucket]) -> tuple[list[_Bar], int]:
    """The buckets as bars, adjacent ones merged (counts summed) when there are more than
    MAX_BARS; also how many buckets each bar holds."""
    per_bar = max(1, math.ceil(len(series) / MAX_BARS))
    bars = []
    for first in range(0, len(series), per_bar):
        group = series[first : first + per_bar]
        bars.append(_Bar(group[0].start, group[-1].end, sum(bucket.executions for bucket in group)))
    return bars, per_bar


#: The months' names as the labels write them: `%b` follows the C library's LC_TIME,
#: which a host program's `setlocale` changes ("mars 3" in a French service), while the
#: rest of the page is English.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day_label(moment: datetime, with_time: bool, with_year: bool) -> str:
    """ "Mar 3", "Mar 3 14:00"; "Mar 3, 2026" with the year (four digits, as `_when`).
    Short, as a tick is: a bucket starting at 14:00:30.25 is "Mar 3 14:00" here, and
    exact in its bar's tooltip. `moment` is a time on the chart's clocks (`on_clocks`):
    one they show twice (aware) has its offset beside its time, "Oct 25 02:00 +01:00"."""
    month = _MONTHS[moment.month - 1]
    text = f"{month} {moment.day}" + (f", {moment.year:04d}" if with_year else "")
    return f"{text} {moment:%H:%M}{_shown_offset(moment)}" if with_time else text


def _bar_day(start: datetime) -> datetime:
    """The day a bar of a day or more is labelled with: the midnight nearest its start
    (`start` on the chart's clocks), at noon the next. A day's bar is so labelled with
    the day it mostly covers, as a reader takes it: by its start's date, a window
    starting at 23:00 (the demo's 30 days up to now) was charted a day early, and the
    bars of one crossing a change of the clocks, which then start an hour off midnight,
    skipped a day on the axis ("Mar 25", "Mar 30") or repeated one. A longer bar (a
    week's) keeps the day it starts on, rounded so, as its tick read before. (The ticks
    stay at the bars' centres: the day's name is the bar's, not a midnight's on the axis;
    the design is silent on the chart.) 9999-12-31's afternoon, whose next midnight
    Python cannot hold, keeps its day."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None, fold=0)
    if start.hour < 12 or midnight.date() == date.max:
        return midnight
    return midnight + timedelta(days=1)


def activity_chart(
    trend: TrendAnalysis,
    series: Sequence[UsageTimeBucket],
    window_start: datetime,
    window_end: datetime,
    zone: str = "UTC",
) -> str:
    """Bars: executions per day in each bucket; line: the OLS fit of those rates against
    the bucket midpoints (the core's velocity), over the whole window.

    The bars' times are shown on `zone`'s clocks (the result's `timezone`), named, as the
    page's heading shows the window (`on_clocks`): exact in the tooltips and the
    description, short on the axis."""
    width, height = 1000, 300
    left, right, top, bottom = 56, 14, 14, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    total_days = (window_end - window_start).total_seconds() / 86_400
    bars, _ = merged_bars(series)

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
    # Over more than a year a month and day recur: the labels of a window of decades
    # were "Jan 1", "Dec 19", "Dec 6", ... with nothing to tell their years.
    with_year = window_end - window_start > timedelta(days=365)
    # Every time the chart shows, on one clock: the window's ends, then each bar's.
    walls, clocks = on_clocks(
        [window_start, window_end, *(bar.start for bar in bars), *(bar.end for bar in bars)],
        zone,
    )
    starts, ends = walls[2 : 2 + len(bars)], walls[2 + len(bars) :]
    for bar, shown_start, shown_end in zip(bars, starts, ends, strict=True):
        x0, x1 = x_at(day_of(bar.start)), x_at(day_of(bar.end))
        y = y_at(bar.rate)
        tip = (
            f"{_window_when(shown_start)} to {_window_when(shown_end)} {clocks}: "
            f"{plural(bar.executions, 'run')} ({_rate(bar.rate)}/day)"
        )
        body.append(
            f'<rect x="{_num(x0 + gap / 2)}" y="{_num(y)}" '
            f'width="{_num(max(0.5, x1 - x0 - gap))}" height="{_num(top + plot_h - y)}" '
            f'fill="var(--blue)" rx="1.5"><title>{escape(tip)}</title></rect>'
        )
    # x labels: about eight, at bar centres (whole days) or bar starts (shorter buckets).
    step = max(1, math.ceil(len(bars) / 8))
    for bar, shown_start in zip(bars[::step], starts[::step], strict=True):
        text = _day_label(shown_start if with_time else _bar_day(shown_start), with_time, with_year)
        x = x_at(day_of(bar.start) if with_time else (day_of(bar.start) + day_of(bar.end)) / 2)
        body.append(
            f'<line class="axis" x1="{_num(x)}" x2="{_num(x)}" y1="{top + plot_h}" '
            f'y2="{top + plot_h + 5}"/>'
            f'<text x="{_num(x)}" y="{top + plot_h + 20}" text-anchor="middle">'
            f"{escape(text)}</text>"
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
            f"<title>{escape(_trend_tip(trend, fitted(0), fitted(total_days)))}</title></line>"
        )
    body.append(
        f'<text x="{left}" y="{top + plot_h + 38}" text-anchor="start">runs per day, '
        f"by bucket ({escape(clocks)})</text>"
    )
    return _svg(
        "Executions per day over the window, with the fitted trend line",
        f"{len(bars)} bars from {_window_when(walls[0])} to {_window_when(walls[1])} "
        f"{clocks}; "
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


#: The longest execution time the latency chart draws, and the shortest it puts on a
#: logarithmic scale.
_LARGEST_DRAWN_MS = 1e300
_SMALLEST_SCALED_MS = 1e-300
#: At most about this many powers of ten are labelled on a logarithmic scale.
_MOST_LOG_TICKS = 10
#: Axis labels past this many minutes are in exponent notation.
_COMPACT_MINUTES = 1e6


def _snap_125(value: float, up: bool) -> float:
    """The nearest 1, 2 or 5 times a power of ten at or above (`up`) or below `value`."""
    power = 10.0 ** math.floor(math.log10(value))
    candidates = [factor * power for factor in (*_STEPS_125, 10.0)]
    if up:
        return min(c for c in candidates if c >= value * 0.9999)
    return max(c for c in candidates if c <= value * 1.0001)


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between `low` and `high`; only powers of ten over more than four
    decades, and every few of them over more than `_MOST_LOG_TICKS` decades."""
    decades = math.log10(high) - math.log10(low)  # (high / low may pass the largest double)
    factors = _STEPS_125 if decades <= 4 else (1.0,)
    # Over many decades every `step`-th power, so that the labels do not overlap.
    step = max(1, math.ceil(decades / _MOST_LOG_TICKS))
    values = []
    first, last = math.floor(math.log10(low)), math.floor(math.log10(high) + 1e-9)
    for power in range(first, last + 1, step):
        for factor in factors:
            value = factor * 10.0**power
            if low * 0.9999 <= value <= high * 1.0001:
                values.append(value)
    return values


def _ms_tick(ms: float) -> str:
    """An axis label: "200 ms", "1 s", "50 s" (no decimals to spare); past a million
    minutes in exponent notation ("1.7e+07 min"): the digits of a time near 1e300 ms
    would run over the next label."""
    if ms < 1_000:
        return f"{ms:g} ms"
    if ms < 1_000_000:
        return f"{ms / 1_000:g} s"
    minutes = ms / 60_000
    return f"{minutes:,.0f} min" if minutes < _COMPACT_MINUTES else f"{minutes:.2g} min"


def latency_chart(perf: PerformanceMetrics, thresholds: HealthThresholds) -> tuple[str, str]:
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
        if limit is not None
    ]
    shown = {row[0]: row[1] for row in rows}
    over = {name for name, limit in limits if shown[name] > limit}
    # A limit past the drawn range (a limit "off" written as the largest double) is not a
    # line on the chart, whose times are drawn all the same: it took the chart with it,
    # which said "Execution times beyond 1e300 ms are not drawn" of times of 100 ms.
    limits = [(name, limit) for name, limit in limits if limit <= _LARGEST_DRAWN_MS]
    width, left, right, top, row_h = 1000, 64, 90, 40, 34
    height = top + row_h * len(rows) + 30
    plot_w = width - left - right
    values = [value for _, value, _ in rows] + [limit for _, limit in limits]
    if not all(math.isfinite(value) and value <= _LARGEST_DRAWN_MS for value in values):
        # A scale's 1-2-5 edges and ticks would pass the largest double.
        return '<p class="muted">Execution times beyond 1e300 ms are not drawn.</p>', ""
    high = max(values)
    # Below 1e-300 ms a scale's edges would underflow: such times sit at its start.
    positive = [value for value in values if value >= _SMALLEST_SCALED_MS]
    low = min(positive, default=1.0)
    logarithmic = high > 0 and high / low > 20
    if logarithmic:
        lo_edge = _snap_125(low, up=False)
        hi_edge = _snap_125(high, up=True)
        ticks = _log_ticks(lo_edge, hi_edge)

        def x_at(value: float) -> float:
            # (Differences of logarithms: the ratio of the edges may pass the largest
            # double, 1e-300 ms to 1e300 ms, and the positions were then NaN.)
            clipped = min(max(value, lo_edge), hi_edge)
            span = math.log10(hi_edge) - math.log10(lo_edge)
            return left + (math.log10(clipped) - math.log10(lo_edge)) / span * plot_w

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
            f"{escape(_ms_tick(tick))}</text>"
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
            f"<title>{name}: {escape(_duration_ms(value))}</title></rect>"
            f'<text x="{_num(max(end, left) + 8)}" y="{y + row_h / 2 + 4:.1f}" class="value">'
            f"{escape(_duration_ms(value))}</text>"
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
            f"{escape(_duration_ms(limit))}</text>"
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


def columns_chart(
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
            f"<title>{escape(name)}: {escape(plural(count, 'run'))}</title></rect>"
        )
        if index % every == 0:
            body.append(
                f'<text x="{_num(left + (index + 0.5) * slot)}" y="{top + plot_h + 18}" '
                f'text-anchor="middle">{escape(name)}</text>'
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
