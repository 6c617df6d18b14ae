"""Plain-text terminal reports of analytics results.

    print(render_report(result, name="checkout"))          # one pattern, every section
    print(render_summary([("checkout", result), ...]))      # one line per pattern

Outputs keep full precision; numbers are rounded here, for display only. Every function
takes the width to fit (default: the terminal's, see `terminal_width`) and `unicode`
(block characters and arrows; False draws with ASCII for terminals that cannot).
"""

from __future__ import annotations

import math
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from usage_analytics import _core, text_width
from usage_analytics.contracts import (
    ContextDistribution,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    SuccessMetrics,
    TrendAnalysis,
    UsageTrendType,
)

__all__ = [
    "attention_notes",
    "by_attention",
    "escaping_unencodable",
    "greatest_first",
    "plural",
    "render_report",
    "render_summary",
    "terminal_width",
    "times_shown",
    "trend_label",
    "window_bounds",
]

DEFAULT_WIDTH = 100
MIN_WIDTH = 60
MAX_WIDTH = 120

#: Thresholds of the attention notes (and so of the "worst first" order).
ERROR_RATE_NOTE = 0.10
TIMEOUT_RATE_NOTE = 0.01
QUALITY_NOTE = 0.75
GATE_FAILURE_RATE_NOTE = 0.10

#: Summary table: names are cut beyond this; the notes column gets at least this much room.
MAX_NAME = 32
MIN_NOTES = 20
#: Distribution tables: the least width of the runs column ("runs" and a count up to
#: 9,999,999; wider counts widen it), of the share column ("100.0%"), and of the name
#: column before the tables give up sitting two to a row ("Context type").
_RUNS = 7
_SHARE = 6
_TABLE_NAME = 12

_ARROWS = {
    UsageTrendType.GROWING: ("↗", "^"),
    UsageTrendType.DECLINING: ("↘", "v"),
    UsageTrendType.STABLE: ("→", "="),
    UsageTrendType.EMERGING: ("✧", "+"),
    UsageTrendType.ABANDONED: ("✗", "x"),
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_VERTICAL = " ▁▂▃▄▅▆▇█"
_VERTICAL_ASCII = " .:-=+*%#"
_HORIZONTAL = " ▏▎▍▌▋▊▉█"
#: What the text (not the charts) uses beyond ASCII, and its ASCII stand-in.
_TO_ASCII = str.maketrans({"·": "|", "…": "~", "→": "->", "─": "-", "═": "=", "⚠": "!", "±": "+/-"})
#: Where a field's text continues when it is wrapped: under its value.
_CONTINUATION = " " * 16
#: Invalid-record samples a report lists (the output holds up to ten).
_SAMPLES_SHOWN = 3
#: Past this many hours a duration is written in exponent notation ("4.72e+301 h"): the
#: digits of a time near the largest double would fill lines.
_COMPACT_HOURS = 1e6
#: How an infinite ratio (a quotient past the largest double) is written: more than that.
_PAST_LARGEST = f">{sys.float_info.max:.3g}"
#: Below this many milliseconds a duration is written with two significant digits
#: (0.04 ms is not "0.0 ms").
_SIGNIFICANT_MS = 0.1
#: Durations from _SIGNIFICANT_MS up, by unit: (below this many ms, ms per unit, decimals,
#: unit); past the last, hours.
_DURATION_UNITS = (
    (10, 1, 1, "ms"),
    (1_000, 1, 0, "ms"),
    (60_000, 1_000, 2, "s"),
    (3_600_000, 60_000, 1, "min"),
)


def terminal_width(default: int = DEFAULT_WIDTH) -> int:
    """The terminal's width ($COLUMNS first), `default` when unknown, kept in a
    readable range."""
    columns = shutil.get_terminal_size((default, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


# ---------------------------------------------------------------------------------------
# Number formatting (display only)


def _count(value: int) -> str:
    return f"{value:,}"


def _significant(value: float, digits: int) -> str:
    """`value` to `digits` significant digits as `g` rounds it, written out in full with
    thousands separators: "0.000076", "13,140" (`g` wrote "7.6e-05" and "1.314e+04")."""
    if not math.isfinite(value):
        return f"{value:g}"  # ("inf", where Decimal's is "Infinity")
    return f"{Decimal(f'{value:.{digits}g}'):,f}"


def _rate(value: float) -> str:
    """A rate to one decimal; a positive one that would be "0.0" in two significant digits
    (4 runs in a 90-day window are "0.044/day", one in 36 years "0.000076/day"), as
    `_percent` and `_duration_ms` do not round a value that is there away."""
    shown = f"{value:,.1f}"
    return _significant(value, 2) if value > 0 and shown == "0.0" else shown


def _percent(ratio: float, digits: int = 1) -> str:
    """`ratio` as a percentage; never rounded to 100% or 0% unless it is exactly that, so
    that one failure in thousands of runs still shows (">99.9%", "<0.1%")."""
    shown = f"{ratio * 100:.{digits}f}%"
    all_, none = _percent_ends(digits)
    if ratio < 1 and shown == all_:
        return f">{100 - 10.0**-digits:.{digits}f}%"
    if ratio > 0 and shown == none:
        return f"<{10.0**-digits:.{digits}f}%"
    return shown


@lru_cache(maxsize=16)
def _percent_ends(digits: int) -> tuple[str, str]:
    """100% and 0% with `digits` decimals: written once, not twice a call (the dashboard
    writes a rate of each of its 100,000 patterns; 1.8 -> 0.9 µs a call)."""
    return f"{100:.{digits}f}%", f"{0:.{digits}f}%"


def _signed(value: float, digits: int = 2) -> str:
    shown = round(value, digits)
    return f"{shown:+,.{digits}f}" if shown else f"{0.0:.{digits}f}"


def _duration_ms(ms: float) -> str:
    if 10 <= ms < 999.5:
        # What the units below write of these, the most common latencies, without their
        # rounding: whole milliseconds (1.9 -> 0.6 µs a call; a dashboard writes one or
        # two of 100,000 patterns').
        return f"{ms:.0f} ms"
    if ms >= 999.5 and round(ms / 1_000, 2) < 60:
        # Seconds, the next most common, without trying milliseconds first: from 999.5 ms
        # on, both rounded units of milliseconds reach their next (1.5 -> 0.5 µs a call).
        return f"{ms / 1_000:.2f} s"
    return _duration_in_units(ms)


def _duration_in_units(ms: float) -> str:
    """`_duration_ms` of any duration, each unit tried in turn."""
    if math.isinf(ms):
        # A float sum past the largest double (a total, a spread): more than that, in
        # hours, the unit of the huge finite times beside it.
        return f">{sys.float_info.max / 3_600_000:.3g} h"
    if 0 < ms < _SIGNIFICANT_MS:
        return f"{ms:.2g} ms"
    # Each unit while the value, rounded as shown, stays below the next one's: 999.7 ms
    # is "1.00 s", not "1000 ms"; 59,999 ms is "1.0 min", not "60.00 s".
    for below, scale, digits, unit in _DURATION_UNITS:
        if round(ms / scale, digits) < below / scale:
            return f"{ms / scale:.{digits}f} {unit}"
    hours = ms / 3_600_000
    return f"{hours:,.1f} h" if hours < _COMPACT_HOURS else f"{hours:.3g} h"


def _hours(hours: float, short: bool = False) -> str:
    if hours < 1 / 60:
        return "<1 min"
    if not math.isfinite(hours):  # (a model read back from JSON may hold one)
        return f"{hours / 24:.1f} {'d' if short else 'days'}"
    # (Units by the value as rounded: 0.9999 h is "1.0 h", not "60 min". Minutes only
    # below an hour: `hours * 60` of a limit near the largest float is infinite.)
    if hours < 1 and round(hours * 60) < 60:
        return f"{hours * 60:.0f} min"
    if round(hours, 1) < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:,.1f} {'d' if short else 'days'}"  # (separators as _span's)


def _span(seconds: float) -> str:
    """A bucket width or window length: "30 s", "5 min", "6 h", "1 day", "29.5 days"; each
    unit while the value as written stays below the next one's (a window to 23:59:59.999999
    is "1 day", not "24 h"; a day and a second "1 day", not "1 days")."""
    for below, scale, unit in ((60, 1, "s"), (3_600, 60, "min"), (86_400, 3_600, "h")):
        if float(f"{seconds / scale:g}") < below / scale:
            # (Written out: a window of a microsecond was "1e-06 s".)
            return f"{_significant(seconds / scale, 6)} {unit}"
    days = _significant(seconds / 86_400, 4)  # (a window of 36 years: "13,140 days")
    return f"{days} day" if days == "1" else f"{days} days"


def _when(value: datetime) -> str:
    """A time on some zone's clocks (`on_clocks`), to the second: "2026-11-20 12:00:30";
    one those clocks show twice (aware) with its offset, "2026-10-25 02:00 +01:00"."""
    # (`%Y` writes the year 1 as "1" on some platforms: padded here to four digits.)
    rest = value.strftime("-%m-%d %H:%M:%S" if value.second else "-%m-%d %H:%M")
    return f"{value.year:04d}{rest}{_shown_offset(value)}"


def _window_when(value: datetime) -> str:
    """A time as `_when` writes it, but with its fraction of a second where it has
    one ("2026-11-20 12:00:30.25"), as a window's bounds and the chart's buckets are
    shown: the window is exact, as the JSON's
    "2026-11-20T12:00:30.250000Z" is, and a report, page and dashboard heading of one
    window show the same instants. (`_when` alone cut 12:00:30.25 to 12:00:30, and the
    dashboard's heading to 12:00.)"""
    if not value.microsecond:
        return _when(value)
    fraction = f"{value.microsecond:06d}".rstrip("0")
    return f"{value.year:04d}{value:-%m-%d %H:%M:%S}.{fraction}{_shown_offset(value)}"


def _shown_offset(value: datetime) -> str:
    """ " +01:00" after a time its clocks show twice (an aware one, `on_clocks`), as ISO
    8601 writes an offset ("+00:53:28" to the second where it has seconds); nothing
    after one they show once (naive)."""
    offset = value.utcoffset()
    if offset is None:
        return ""
    sign = "-" if offset < timedelta(0) else "+"
    minutes, seconds = divmod(abs(offset) // timedelta(seconds=1), 60)
    hours, minutes = divmod(minutes, 60)
    return f" {sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def window_bounds(start: datetime, end: datetime, zone: str) -> tuple[str, str, str]:
    """A window's start and end as the headings show them, and the clocks they are on
    (`on_clocks`): "2026-03-01 00:00", "2026-04-01 00:00", "Europe/Berlin" for Berlin's
    March; exact, as `_window_when` writes them; a bound in an hour the clocks show twice
    with its offset ("2026-10-25 02:30 +01:00")."""
    (shown_start, shown_end), clocks = times_shown([start, end], zone)
    return shown_start, shown_end, clocks


def times_shown(values: Sequence[datetime], zone: str) -> tuple[list[str], str]:
    """`values` as the headings show a window's bounds (`window_bounds`), all on one
    clock (`on_clocks`), and the clocks' name."""
    shown, clocks = on_clocks(values, zone)
    return [_window_when(value) for value in shown], clocks


def on_clocks(values: Sequence[datetime], zone: str) -> tuple[list[datetime], str]:
    """`values` (naive = UTC) as the clocks show them, and whose clocks they are:
    `zone`'s (the request's `timezone`, whose days and hours the report counts, and whose
    clocks --start/--end are read on), by the core's tz database; UTC's where the zone is
    UTC, or where its clocks cannot show one of `values` within Python's years 1-9999 (an
    end at 9999-12-31T23:59:59.999999Z east of UTC), so that all of them are on one clock.
    What the report, page and dashboard show of an instant (the window's bounds, the
    chart's buckets, the computing time) is on these clocks, named beside it.

    A time is naive where the clocks show it once; aware, at its offset, where they show
    it twice (the hour repeated when they go back: Berlin's 2026-10-25 02:00 to 03:00,
    at +02:00 and then at +01:00), so that `_when`, `_window_when` and the chart's ticks
    write that offset beside it, and only there: "02:00 +02:00 to 02:00 +01:00" is an
    hour, "02:00 to 02:00" was not told apart. (A decision of the reports': the design is
    silent on how they show times. The offset, not the zone's abbreviation, which the
    core's tz database does not give.)"""
    utc = [
        value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        for value in values
    ]
    if zone != "UTC":
        try:
            return [_wall_time(value, zone) for value in utc], zone
        except OverflowError:
            pass
    return utc, "UTC"


def _wall_time(utc: datetime, zone: str) -> datetime:
    """The naive UTC time `utc` as `zone`'s clocks show it: naive, or aware at its
    offset where they show it twice (`on_clocks`)."""
    micros = (utc - _EPOCH) // _MICROSECOND
    offset = _core.utc_offset(zone, micros)
    wall = utc + timedelta(microseconds=offset)
    # (Two offsets show this wall time: its instant's, and the other instant's.)
    if len(_core.local_offsets(zone, micros + offset)) > 1:
        return wall.replace(tzinfo=timezone(timedelta(microseconds=offset)))
    return wall


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


#: The encoding of a stream that cannot take every character (an ASCII or cp1252
#: terminal), while `escaping_unencodable` says so; None: any character can be written.
_OUTPUT_ENCODING: ContextVar[str | None] = ContextVar("output_encoding", default=None)


@contextmanager
def escaping_unencodable(encoding: str) -> Iterator[None]:
    """Within it, `printable` also escapes what `encoding` cannot encode. The stream
    would write "?" for such a character: one column where a wide one was counted as
    two, which shifted every column after a CJK name. Escaped before the layout, the
    columns are counted on what is written."""
    token = _OUTPUT_ENCODING.set(encoding)
    try:
        yield
    finally:
        _OUTPUT_ENCODING.reset(token)


def printable(text: str) -> str:
    """`text` with every character a terminal would act on or not show (controls such as
    ESC, format characters such as bidirectional overrides, line breaks, unassigned code
    points), or could not encode (see `escaping_unencodable`), written as its Python
    escape: names and values come from the data, and must not move the cursor, retitle
    the window or split a row. In a text not in NFC, so are the characters NFC would
    change (see `_recomposed`): names differing only so must not look the same. (An
    unencodable character the report itself draws, such as "→" or "·", is written as
    its ASCII stand-in instead: "->", "|".)"""
    return text if _plain(text) else "".join(_written_parts(text))


def printable_name(text: str) -> str:
    """`printable(text)` for a name from the data in a table cell or a title, where two
    names must not look alike: the spaces at its ends, which do not show there, written
    "\\x20" ("admin " beside "admin" were two rows of "admin"), and a backslash that
    would read as the start of an escape doubled, as Python writes it (the text "\\x1b"
    read as ESC's escape; "CORP\\jsmith" is left as it is). A character the stream
    cannot encode is escaped, never given the report's ASCII stand-in: "a\\u2192b" and
    "a->b" are two names. (Not `printable`'s: the
    report's own lines are indented, and its messages quote values as Python writes
    them, backslashes doubled already.)"""
    # (Most names, ASCII, without the calls of `_plain`: 300 -> 160 ns a name.)
    plain = (text.isascii() and text.isprintable()) or _plain(text)
    if plain and "\\" not in text and not text.startswith(" ") and not text.endswith(" "):
        return text
    parts = _written_parts(text, stand_ins=False)
    lead = len(text) - len(text.lstrip(" "))
    trail = min(len(text) - len(text.rstrip(" ")), len(text) - lead)
    for index in [*range(lead), *range(len(text) - trail, len(text))]:
        parts[index] = "\\x20"
        after = index + 1
        if after < len(text) and parts[after] == text[after] and _is_mark(text[after]):
            parts[after] = _escape(text[after])  # (it would join the "0" of "\\x20")
    for index, char in enumerate(text):
        following = parts[index + 1][:1] if index + 1 < len(parts) else ""
        if char == "\\" and following in _ESCAPE_STARTS:
            parts[index] = "\\\\"
    return "".join(parts)


def printable_names(names: Iterable[str], *, unicode: bool = True) -> list[str]:
    """`printable_name` of each of `names`, for a drawing in ASCII where `unicode` is
    False: what ASCII cannot hold escaped then, where no stream's encoding says more
    (`escaping_unencodable`). (Left as it is, a name's "→" became the drawing's "->" once
    the report was written in ASCII, after its layout: a column wider, and like "->".)"""
    if unicode or _OUTPUT_ENCODING.get() is not None:
        return [printable_name(name) for name in names]
    with escaping_unencodable("ascii"):
        return [printable_name(name) for name in names]


#: What follows the backslash of the escapes `printable` and `printable_name` write
#: ("\\x1b", "\\u202e", "\\U0001f600", "\\t", "\\n", "\\r", "\\x20"), and a
#: backslash: where a name's own backslash is followed by one of them, it is doubled.
_ESCAPE_STARTS = frozenset("xuUtnr\\")


def _plain(text: str) -> bool:
    """Whether `printable` writes `text` as it is."""
    encoding = _OUTPUT_ENCODING.get()
    composed = text.isascii() or unicodedata.is_normalized("NFC", text)  # (ASCII: faster)
    return text.isprintable() and composed and (encoding is None or _encodable(text, encoding))


def _written_parts(text: str, *, stand_ins: bool = True) -> list[str]:
    """Each character of `text` as `printable` writes it (`stand_ins`: see `_written`)."""
    encoding = _OUTPUT_ENCODING.get()
    composed = text.isascii() or unicodedata.is_normalized("NFC", text)
    parts: list[str] = []
    escaped = False
    for char in text:
        # (A mark after an escape would join its last character, \u202e and U+0301 drew
        # \u202é, and make the text written not NFC: escaped again, later, after the
        # layout had counted it as no column.)
        part = (
            _escape(char)
            if escaped and _is_mark(char)
            else _written(char, encoding, composed, stand_ins)
        )
        escaped = part != char
        parts.append(part)
    return parts


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _recomposed(char: str) -> bool:
    """Whether NFC would change or join `char` in a text not in NFC: a mark (which may
    join the letter before it), a conjoining Hangul jamo (which join into a syllable), or
    a character NFC replaces (the Angstrom sign by "Å"). Escaped there, such a text no
    longer looks like its NFC form: "e" and U+0301 and "é" were two agents drawn as one."""
    return (
        _is_mark(char) or "\u1100" <= char <= "\u11ff" or unicodedata.normalize("NFC", char) != char
    )


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _written(char: str, encoding: str | None, composed: bool = True, stand_ins: bool = True) -> str:
    """`char` as `printable` writes it: itself, its ASCII stand-in (where `stand_ins`) or
    its escape (also where its text is not `composed`, in NFC, and NFC would change it:
    `_recomposed`)."""
    if not char.isprintable() or (not composed and _recomposed(char)):
        return _escape(char)
    if encoding is None or _encodable(char, encoding):
        return char
    # One of the report's own characters ("→", "·"), in a name or in the drawing: its
    # ASCII stand-in, as the drawing is written, and now, before the layout counts its
    # columns. (Kept for a later translation, it was laid out as "→", one column, and
    # written "->", two; where nothing translated it, the stream wrote "?".)
    return char.translate(_TO_ASCII) if stand_ins and ord(char) in _TO_ASCII else _escape(char)


def _escape(char: str) -> str:
    """`char` as Python writes it in a string literal: "\\x1b", "\\u202e", "\\u65e5"."""
    escaped = repr(char)[1:-1]
    return escaped if escaped != char else char.encode("unicode_escape").decode("ascii")


def printable_lines(text: str) -> str:
    """`printable` of each line of a rendered text (its own line breaks kept)."""
    # (The whole text checked at once, the line breaks as spaces, where every line is
    # written as it is: a dashboard's 100,000 lines took 0.10 s one by one, 0.05 s so.
    # Each line is then plain: `_plain` checks each character, and NFC, as neither a
    # line break nor a space ever joins another character, holds of each line where it
    # holds of the whole.)
    if _plain(text.replace("\n", " ")):
        return text
    return "\n".join(printable(line) for line in text.split("\n"))


def _cut(text: str, width: int) -> str:
    """`printable(text)` cut to `width` terminal columns (see `text_width`)."""
    return text_width.cut(printable(text), width)


def plural(count: int, word: str) -> str:
    """ "1 run", "1,234 runs": `count` grouped by thousands, `word` in the plural unless 1."""
    return f"{_count(count)} {word}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------------------------------
# Trend labels and attention notes


def trend_label(trend: TrendAnalysis | None, *, unicode: bool = True) -> str:
    """ "↗ growing" (or "^ growing" in ASCII); "-" without trend analysis."""
    return trend_type_label(None if trend is None else trend.trend_type, unicode=unicode)


def trend_type_label(trend_type: UsageTrendType | None, *, unicode: bool = True) -> str:
    """`trend_label` of a trend of `trend_type` (None: without trend analysis)."""
    if trend_type is None:
        return "-"
    return _TREND_LABELS[trend_type][0 if unicode else 1]


#: Each trend type's label, Unicode and ASCII: "↗ growing", "^ growing".
_TREND_LABELS = {
    trend_type: tuple(f"{arrow} {trend_type.value}" for arrow in arrows)
    for trend_type, arrows in _ARROWS.items()
}


def attention_notes(result: ModelUsageAnalyticsOutput) -> list[str]:
    """Short notes on what needs a look: no recent use, decline, errors, timeouts, low
    quality. Empty for a healthy pattern."""
    notes: list[str] = []
    trend = result.trend_analysis
    if trend is not None and trend.trend_type is UsageTrendType.ABANDONED:
        notes.append("no recent use")
    if trend is not None and trend.trend_type is UsageTrendType.DECLINING:
        notes.append("declining")
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    if runs == 0:
        return notes
    if success.error_rate >= ERROR_RATE_NOTE:
        notes.append(f"{_percent(success.error_rate, 0)} errors")
    if success.timeout_count / runs >= TIMEOUT_RATE_NOTE:
        notes.append(plural(success.timeout_count, "timeout"))
    if 0 < success.avg_quality_score < QUALITY_NOTE:
        notes.append(f"quality {success.avg_quality_score:.2f}")
    if success.quality_gate_failures / runs >= GATE_FAILURE_RATE_NOTE:
        notes.append(f"{_percent(success.quality_gate_failures / runs, 0)} gate failures")
    return notes


def by_attention(
    items: Sequence[tuple[str, ModelUsageAnalyticsOutput]],
) -> list[tuple[str, ModelUsageAnalyticsOutput]]:
    """Worst first: most attention notes, then the highest error rate, then by name."""
    return sorted(
        items,
        key=lambda item: (
            -len(attention_notes(item[1])),
            greatest_first(item[1].success_metrics.error_rate),
            item[0],
        ),
    )


def greatest_first(value: float) -> tuple[bool, float]:
    """A sort key of `value`, the greatest first and NaN after every number: a result
    read back from JSON may hold NaN, which compares neither way, and left the order of
    the rows to the order they came in."""
    unknown = math.isnan(value)
    return unknown, 0.0 if unknown else -value


# ---------------------------------------------------------------------------------------
# Small charts


def _levels(values: Sequence[float], steps: int) -> list[int]:
    """Scale non-negative values to 0..steps; any positive value gets at least 1."""
    peak = max(values, default=0.0)
    if peak <= 0:
        return [0 for _ in values]
    return [0 if value <= 0 else max(1, round(value / peak * steps)) for value in values]


def _sparkline(values: Sequence[float], width: int, unicode: bool) -> str:
    """One character per value (averaged down to `width` if there are more)."""
    if width < 1 or not values:
        return ""
    if len(values) > width:
        groups = [
            values[i * len(values) // width : (i + 1) * len(values) // width] for i in range(width)
        ]
        values = [sum(group) / len(group) for group in groups if group]
    blocks = _VERTICAL if unicode else _VERTICAL_ASCII
    return "".join(blocks[level] for level in _levels(values, 8))


def _bar(value: float, peak: float, width: int, unicode: bool) -> str:
    """A horizontal bar of up to `width` cells, in eighths."""
    if peak <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / peak * width * 8))
    if not unicode:
        return "#" * max(1, round(eighths / 8))
    return _HORIZONTAL[8] * (eighths // 8) + (_HORIZONTAL[eighths % 8] if eighths % 8 else "")


def _hour_chart(
    by_hour: Mapping[int, int], width: int, unicode: bool, indent: str, rows: int = 4
) -> list[str]:
    """A column chart of the 24 hours, `rows` lines high, with an hour axis."""
    counts = [by_hour.get(hour, 0) for hour in range(24)]
    cell = 3 if width - len(indent) >= 24 * 3 else 2
    bar = cell - 1
    levels = _levels(counts, rows * 8)
    blocks = _VERTICAL if unicode else _VERTICAL_ASCII
    lines = []
    for row in reversed(range(rows)):
        line = ""
        for level in levels:
            part = min(max(level - row * 8, 0), 8)
            line += blocks[part] * bar + " "
        lines.append(indent + line.rstrip())
    axis = ""
    for hour in range(0, 24, 3):
        axis += f"{hour:02d}".ljust(cell * 3)
    lines.append(indent + axis.rstrip())
    return lines


# ---------------------------------------------------------------------------------------
# The full report


def _section(title: str, width: int) -> str:
    rule = "─" * max(0, width - len(title) - 1)
    return f"{title} {rule}"


def _field(label: str, value: str) -> str:
    return f"  {label:<14}{value}"


def _usage_lines(result: ModelUsageAnalyticsOutput) -> list[str]:
    usage = result.usage_metrics
    lines = [
        _field(
            "Executions",
            f"{_count(usage.total_executions)}   ({_rate(usage.executions_per_day)}/day · "
            f"{_rate(usage.executions_per_week)}/week · {_rate(usage.executions_per_month)}/month)",
        ),
        _field("Busiest day", plural(usage.peak_daily_usage, "execution")),
        _field(
            "Reach",
            f"{plural(usage.unique_contexts, 'context type')} · "
            f"{plural(usage.unique_users, 'agent')}",
        ),
    ]
    if usage.time_since_last_use is None:
        lines.append(_field("Last used", "never in this window"))
    else:
        lines.append(_field("Last used", f"{_hours(usage.time_since_last_use)} before the end"))
    return lines


def _success_lines(result: ModelUsageAnalyticsOutput) -> list[str]:
    success = result.success_metrics
    runs = success.success_count + success.failure_count
    if runs == 0:
        return [_field("Success rate", "- (no executions)")]
    return [
        _field(
            "Success rate",
            f"{_percent(success.success_rate)}   ({_count(success.success_count)} ok · "
            f"{_count(success.failure_count)} failed · "
            f"{plural(success.timeout_count, 'timeout')})",
        ),
        _field(
            "Quality",
            f"{success.avg_quality_score:.2f} average score{_unscored(success)} · "
            f"{plural(success.quality_gate_failures, 'quality-gate failure')}",
        ),
    ]


def _unscored(success: SuccessMetrics) -> str:
    """ " (no scores, or all 0)" after an average quality of 0.0, which the output gives
    for records without scores as for scores all 0 (most files of runs have none), as the
    HTML page's tile says; "" after any other."""
    return " (no scores, or all 0)" if success.avg_quality_score == 0 else ""


def _sketch_note(perf: PerformanceMetrics) -> str | None:
    """How far sketched percentiles may be off ("sketch, within ±1%"); None when exact."""
    if perf.percentile_method != "sketch":
        return None
    return f"sketch, within ±{perf.percentile_relative_error * 100:g}%"


def _performance_lines(perf: PerformanceMetrics) -> list[str]:
    if perf.sample_count == 0:
        return [_field("Latency", "no execution times recorded")]
    sketch = _sketch_note(perf)
    return [
        _field(
            "Percentiles",
            f"p50 {_duration_ms(perf.p50_execution_time_ms)} · "
            f"p95 {_duration_ms(perf.p95_execution_time_ms)} · "
            f"p99 {_duration_ms(perf.p99_execution_time_ms)}" + (f" ({sketch})" if sketch else ""),
        ),
        _field(
            "Spread",
            f"mean {_duration_ms(perf.avg_execution_time_ms)} · "
            f"std {_duration_ms(perf.std_dev_ms)} · "
            f"min {_duration_ms(perf.min_execution_time_ms)} · "
            f"max {_duration_ms(perf.max_execution_time_ms)}",
        ),
        _field(
            "Total",
            f"{_duration_ms(perf.total_execution_time_ms)} over "
            f"{plural(perf.sample_count, 'timed run')}",
        ),
    ]


def _significance(result: ModelUsageAnalyticsOutput, trend: TrendAnalysis) -> str:
    """What the velocity's significance flag means here. The contract calls a slope over
    fewer than three buckets, or a perfect fit, significant (so that they can classify):
    a reader is told that the first was not tested, that a window without runs has no
    slope, and that a perfect fit of slope 0 is a flat series, not "significant"."""
    if result.usage_metrics.total_executions == 0:
        return "no runs"
    if trend.bucket_count < 3:
        return "too few buckets to test"
    if not trend.velocity_significant:
        return "not significant"
    return "flat: every bucket alike" if trend.velocity == 0 else "significant"


def _buckets(result: ModelUsageAnalyticsOutput, trend: TrendAnalysis) -> str:
    """How many buckets, of what width ("12 buckets of 1 day"); one bucket spans the
    whole window, which may be shorter than the width (a 1 s window: "1 bucket of 1 s")."""
    return f"{plural(trend.bucket_count, 'bucket')} of {_span(_bucket_seconds(result, trend))}"


def _bucket_seconds(result: ModelUsageAnalyticsOutput, trend: TrendAnalysis) -> float:
    """How long the buckets are: their width, or the window's length for its one bucket."""
    if trend.bucket_count == 1:
        return (result.time_window_end - result.time_window_start).total_seconds()
    return trend.bucket_width_seconds


def _trend_lines(
    result: ModelUsageAnalyticsOutput, trend: TrendAnalysis, width: int, unicode: bool
) -> list[str]:
    lines = [
        _field("Direction", trend_label(trend, unicode=unicode).upper()),
        _field(
            "Velocity",
            f"{_signed(trend.velocity)} runs/day per day ({_significance(result, trend)}) · "
            f"acceleration {_signed(trend.acceleration)}",
        ),
        _field("Growth", f"{_signed(trend.growth_percentage, 1)}% (last quarter vs first)"),
        _field(
            "Agents",
            f"retention {_percent(trend.retention_rate)} · churn {_percent(trend.churn_rate)} · "
            f"{_rate(trend.adoption_rate)} new/week",
        ),
    ]
    if trend.time_series:
        rates = [bucket.rate_per_day for bucket in trend.time_series]
        spark = _sparkline(rates, max(10, min(60, width - 40)), unicode)
        lines.append(_field("Rate per day", f"{spark}  (peak {_rate(max(rates))}/day)"))
    if trend.predictions is not None:
        prediction = trend.predictions
        lines.append(
            _field(
                "Projection",
                f"~{_rate(prediction.predicted_daily_rate)}/day over the next "
                f"{_span(prediction.horizon_days * 86_400)} "
                f"(~{plural(round(prediction.predicted_executions), 'run')}; "
                "linear, experimental)",
            )
        )
    lines.append(
        _field(
            "Confidence",
            f"{trend.confidence_score:.2f}   ({_buckets(result, trend)})",
        )
    )
    return lines


def _top_rows(counts: Mapping[str, int], top: int = 5) -> list[tuple[str, int]]:
    """The first `top` values and their counts, then "+ N more" with the rest's."""
    items = list(counts.items())
    rest = items[top:]
    if not rest:
        return items
    return [*items[:top], (f"+ {len(rest)} more", sum(count for _, count in rest))]


def _runs_width(counts: Mapping[str, int]) -> int:
    """The width of the runs column: its widest count (at least `_RUNS`)."""
    return max([_RUNS, *(len(_count(count)) for _, count in _top_rows(counts))])


def _top_table(
    title: str, counts: Mapping[str, int], width: int, runs_width: int, unicode: bool
) -> list[str]:
    total = sum(counts.values())
    name_width = max(1, width - runs_width - _SHARE - 2)

    def row(shown: str, runs: str, share: str) -> str:
        return f"{text_width.ljust(shown, name_width)} {runs:>{runs_width}} {share:>{_SHARE}}"

    rows = _top_rows(counts)
    names = printable_names((name for name, _ in rows), unicode=unicode)
    lines = [row(_cut(title, name_width), "runs", "share")]
    for shown, (_, count) in zip(text_width.cut_apart(names, name_width), rows, strict=True):
        lines.append(row(shown, _count(count), _percent(count / total) if total else "-"))
    if not counts:
        lines.append("(none)")
    return [text_width.ljust(line, width) for line in lines]


def _distribution_lines(dist: ContextDistribution, width: int, unicode: bool) -> list[str]:
    tables = [
        ("Context type", dist.by_context_type),
        ("Agent", dist.by_agent),
        ("Project", dist.by_project),
        ("File type", dist.by_file_type),
    ]
    indent, gap = "  ", "    "
    usable = width - len(indent)
    # One runs column width for all four (their counts line up), and tables wide enough
    # for it: counts of ten million and more widen the tables, or put one to a row.
    runs_width = max(_runs_width(counts) for _, counts in tables)
    least = _TABLE_NAME + 1 + runs_width + 1 + _SHARE
    per_row = 2 if usable >= 2 * max(36, least) + len(gap) else 1
    table_width = min(max(44, least), (usable - len(gap) * (per_row - 1)) // per_row)
    rendered = [
        _top_table(title, counts, table_width, runs_width, unicode) for title, counts in tables
    ]
    lines: list[str] = []
    for first in range(0, len(rendered), per_row):
        group = rendered[first : first + per_row]
        height = max(len(table) for table in group)
        for row in range(height):
            cells = [table[row] if row < len(table) else " " * table_width for table in group]
            # (Cut, not wrapped, where even one table is too wide: a wrapped row is noise.)
            lines.append(text_width.cut((indent + gap.join(cells)).rstrip(), width))
        lines.append("")
    return lines[:-1]


def _calendar_lines(
    dist: ContextDistribution, timezone: str, width: int, unicode: bool
) -> list[str]:
    lines = [f"  Hour of day ({timezone})"]
    lines += _hour_chart(dist.by_time_of_day, width, unicode, indent="  ")
    if dist.by_time_of_day:
        peak_hour = max(dist.by_time_of_day, key=lambda hour: (dist.by_time_of_day[hour], -hour))
        lines.append(
            f"  busiest hour {peak_hour:02d}:00-{(peak_hour + 1) % 24:02d}:00 "
            f"({plural(dist.by_time_of_day[peak_hour], 'run')})"
        )
    lines += ["", f"  Day of week ({timezone})"]
    peak = max(dist.by_day_of_week.values(), default=0)
    counts = [_count(dist.by_day_of_week.get(day, 0)) for day in range(7)]
    runs_width = max([_RUNS, *map(len, counts)])
    bar_width = max(10, min(40, width - 13 - runs_width))
    for day, (label, count) in enumerate(zip(_WEEKDAYS, counts, strict=True)):
        bar = _bar(dist.by_day_of_week.get(day, 0), peak, bar_width, unicode)
        lines.append(f"  {label} {count:>{runs_width}}  {bar}".rstrip())
    return lines


def _quality_lines(
    result: ModelUsageAnalyticsOutput, locate: Callable[[int], str] | None, width: int
) -> list[str]:
    quality = result.data_quality
    lines = [
        _field(
            "Records",
            f"{_count(quality.records_received)} received · "
            f"{_count(quality.records_in_window)} in the window · "
            f"{_count(quality.records_outside_window)} outside · "
            f"{_count(quality.invalid_records)} invalid (left out)",
        )
    ]
    shown = quality.error_samples[:_SAMPLES_SHOWN]
    for sample in shown:
        where = locate(sample.index) if locate else sample.describe()
        lines.append(f"{_CONTINUATION}{where}: {sample.field} = {sample.value}: {sample.reason}")
    if shown and quality.invalid_records > len(shown):
        # (Without it, three samples read as the invalid records, whatever their count.)
        more = quality.invalid_records - len(shown)
        lines.append(f"{_CONTINUATION}and {plural(more, 'more invalid record')}")
    lines.append(
        _field(
            "Analytics",
            f"quality score {result.analytics_quality_score:.2f} · "
            f"computed in {_duration_ms(result.computation_time_ms)}",
        )
    )
    return lines


def render_report(
    result: ModelUsageAnalyticsOutput,
    *,
    name: str | None = None,
    timezone: str | None = None,
    width: int | None = None,
    unicode: bool = True,
    locate: Callable[[int], str] | None = None,
) -> str:
    """The full report of one result: header, usage, success and quality, performance,
    trend, where and when it runs, data quality. Sections the result lacks are left out.

    `timezone` labels the calendar charts (default: the zone the result was computed in);
    `locate` turns a record index into a place for the invalid-record samples ("line 12").
    `width` is at least `MIN_WIDTH`, as the dashboard's (narrower, the charts broke).
    """
    timezone = timezone or result.timezone
    width = max(MIN_WIDTH, width or terminal_width())
    heavy = "═" * width
    pattern = str(result.pattern_id)

    def shown(text: str) -> str:
        # (As the tables write names: the dashboard above it writes this one.)
        return printable_names([text], unicode=unicode)[0]

    title = f"{shown(name)}  ({shown(pattern)})" if name and name != pattern else shown(pattern)
    label = trend_label(result.trend_analysis, unicode=unicode).upper()
    header_gap = max(2, width - text_width.width(title) - len(label) - 2)
    window_days = (result.time_window_end - result.time_window_start).total_seconds()
    start, end, clocks = window_bounds(
        result.time_window_start, result.time_window_end, result.timezone
    )
    lines = [
        heavy,
        _cut(f" {title}{' ' * header_gap}{label}", width),
        _cut(
            # (In ASCII "->", two characters: made before cutting, so that it fits.)
            f" {start} {'→' if unicode else '->'} {end} {clocks}"
            f" · {_span(window_days)} · {result.time_window_type.value} window",
            width,
        ),
        heavy,
    ]
    notes = attention_notes(result)
    if notes:
        lines.append(_cut(f" ⚠ needs a look: {', '.join(notes)}", width))
    lines += ["", _section("USAGE", width), *_usage_lines(result)]
    lines += ["", _section("SUCCESS & QUALITY", width), *_success_lines(result)]
    if result.performance_metrics is not None:
        lines += ["", _section("PERFORMANCE", width)]
        lines += _performance_lines(result.performance_metrics)
    if result.trend_analysis is not None:
        lines += ["", _section("TREND", width)]
        lines += _trend_lines(result, result.trend_analysis, width, unicode)
    dist = result.context_distribution
    if dist is not None:
        lines += ["", _section("WHERE IT RUNS (top 5)", width)]
        lines += _distribution_lines(dist, width, unicode)
        lines += ["", _section("WHEN IT RUNS", width)]
        lines += _calendar_lines(dist, timezone, width, unicode)
    lines += ["", _section("DATA QUALITY", width), *_quality_lines(result, locate, width)]
    if not unicode:  # (before fitting: "±" becomes three characters, "→" two)
        lines = [line.translate(_TO_ASCII) for line in lines]
    text = "\n".join(_fit(printable(line).rstrip(), width) for line in lines)
    return text if unicode else text.translate(_TO_ASCII)  # (the ellipses of `_fit`)


def _fit(line: str, width: int) -> str:
    """A field line too long for the width, wrapped under its value."""
    if text_width.width(line) <= width or not line.startswith("  "):
        return line
    return "\n".join(text_width.wrap(line, width, indent=_CONTINUATION))


# ---------------------------------------------------------------------------------------
# The summary table


def _join_notes(notes: Sequence[str], width: int) -> str:
    """As many whole notes as fit in `width`, then "+N more" for the rest."""
    for shown in range(len(notes), 0, -1):
        rest = len(notes) - shown
        text = ", ".join(notes[:shown]) + (f", +{rest} more" if rest else "")
        if text_width.width(text) <= width:
            return text
    return _cut(notes[0], width)


def render_summary(
    items: Sequence[tuple[str, ModelUsageAnalyticsOutput]],
    *,
    width: int | None = None,
    unicode: bool = True,
) -> str:
    """One line per `(name, result)`, in the given order (see `by_attention`): trend,
    executions, rate, velocity, success, p95, quality, last use, and attention notes
    (`width` at least `MIN_WIDTH`)."""
    width = max(MIN_WIDTH, width or terminal_width())
    columns: list[tuple[str, str, list[str]]] = [
        ("TREND", "<", [trend_label(r.trend_analysis, unicode=unicode) for _, r in items]),
        ("RUNS", ">", [_count(r.usage_metrics.total_executions) for _, r in items]),
        ("/DAY", ">", [_rate(r.usage_metrics.executions_per_day) for _, r in items]),
        (
            "VELOCITY",
            ">",
            [
                "-" if r.trend_analysis is None else _signed(r.trend_analysis.velocity)
                for _, r in items
            ],
        ),
        (
            "SUCCESS",
            ">",
            [
                _percent(r.success_metrics.success_rate)
                if r.usage_metrics.total_executions
                else "-"
                for _, r in items
            ],
        ),
        (
            "P95",
            ">",
            [
                "-"
                if r.performance_metrics is None or r.performance_metrics.sample_count == 0
                else _duration_ms(r.performance_metrics.p95_execution_time_ms)
                for _, r in items
            ],
        ),
        (
            "QUALITY",
            ">",
            [
                f"{r.success_metrics.avg_quality_score:.2f}"
                if r.usage_metrics.total_executions
                else "-"
                for _, r in items
            ],
        ),
        (
            "LAST USE",
            ">",
            [
                "-"
                if r.usage_metrics.time_since_last_use is None
                else _hours(r.usage_metrics.time_since_last_use, short=True)
                for _, r in items
            ],
        ),
    ]
    notes = [attention_notes(r) for _, r in items]
    # (Once: a name may be 100k long.)
    printed = printable_names((name for name, _ in items), unicode=unicode)
    shown_widths = (text_width.width(name) for name in printed)
    name_width = min(MAX_NAME, max([len("PATTERN"), *shown_widths]))
    notes_width = min(MIN_NOTES, max([0, *(len(", ".join(n)) for n in notes)]))

    def needed() -> int:
        cells = sum(max([len(title), *map(len, col)]) + 2 for title, _, col in columns)
        return name_width + cells + (2 + notes_width if notes_width else 0)

    # Narrow terminals: drop the least essential columns, then shorten the names.
    optional = ["VELOCITY", "QUALITY", "/DAY", "LAST USE"]
    while needed() > width and optional:
        drop = optional.pop(0)
        columns = [column for column in columns if column[0] != drop]
    if needed() > width:
        # (Down to 12 columns, never up: names all shorter than that kept their width.)
        name_width = max(min(12, name_width), name_width - (needed() - width))

    widths = [max([len(title), *map(len, cells)]) for title, _, cells in columns]

    def row(shown: str, cells: list[str], note: list[str]) -> str:
        text = text_width.ljust(shown, name_width)
        for (_, align, _), cell, cell_width in zip(columns, cells, widths, strict=True):
            text += "  " + (cell.ljust(cell_width) if align == "<" else cell.rjust(cell_width))
        if note:
            text += "  " + _join_notes(note, width - text_width.width(text) - 2)
        return _cut(text.rstrip(), width)

    lines = [row("PATTERN", [title for title, _, _ in columns], ["NOTES"])]
    lines.append("─" * min(width, max(len(lines[0]), 40)))
    shown = text_width.cut_apart(printed, name_width)
    for index, name in enumerate(shown):
        lines.append(row(name, [cells[index] for _, _, cells in columns], notes[index]))
    text = "\n".join(lines)
    # (In ASCII before the escapes: the rule and the ellipses are drawn, not data.)
    return printable_lines(text if unicode else text.translate(_TO_ASCII))
