"""The command line's date options: --start, --end and the demo's --now.

Each takes an ISO-8601 date-time ("2026-11-30T12:00Z"; "Z" or "z") or a date alone
("2026-11-30"). A date-time with an offset ("Z", "+01:00") is that instant, whatever
--tz says. A date-time without one, and a date alone, are read on the clocks of --tz's
zone (UTC without --tz): `--tz Europe/Berlin --start 2026-03-01 --end 2026-03-31` is
Berlin's March, 2026-03-01T00:00+01:00 to the end of the 31st at +02:00 (summer time
began on the 29th), as the trend's days and the calendar fields of that report are
Berlin's. (They were read in UTC whatever --tz said, which moved Berlin's March an hour
late at its start and two at its end.)

A date alone covers that whole day: as a window's start (`parse_start`, --start) it is
the day's first instant, and as a window's end (`parse_end`: --end, the demo's --now) the
day is included, so that `--start 2026-11-01 --end 2026-11-30` is November, all 30 days
of it, as date ranges in spreadsheets, SQL `BETWEEN` over dates and analytics tools read
them, and `--start 2026-11-30 --end 2026-11-30` is that one day. (A date alone as an end
was the day's first instant, 00:00, which left the whole day out of the window: `--end
2026-11-30` analysed 29 days of November, and `--start D --end D` was an error.)

The day is included by ending the window at the next day's first instant: the design's
window is closed at both ends, so a record stamped exactly 2026-12-01T00:00:00Z is in a
window `--end 2026-11-30` ends, as it is in one `--end 2026-12-01T00:00Z` ends. (Ending
it a microsecond before would leave that record out, but would make the window a
microsecond short of whole days: 29 daily trend buckets for 30 days, the last nearly two
days long, and rates over 29.99999999 days.)

A time on a zone's clocks is the first instant at which they show that time or a later
one. Where they show it once, that is the instant. Where they show it twice (a fold,
the clocks set back: Berlin's 2026-10-25T02:30), it is the earlier (+02:00), as Python's
`fold=0` reads it. Where they never show it (a gap, the clocks set forward: Berlin's
2026-03-29T02:30), it is the gap's end, the first instant after it (03:00+02:00); so a
day whose midnight was skipped starts when its clocks start (America/Sao_Paulo's
2018-11-04: at 01:00-02:00), as a start and as the end of the day before alike. The
zone's rules are those the core buckets with (jiff's bundled tz database, asked through
`_core.local_instant`), not the system's, which may be older: the window and its days
follow one set of rules.

The last day Python's dates hold, 9999-12-31, has a next day's midnight Python cannot
write: as an end it ends at that midnight's instant where Python holds it (east of UTC:
9999-12-31T23:00Z in Berlin), else at the last microsecond Python holds,
9999-12-31T23:59:59.999999Z (`--end 9999-12-31`: everything).

The design is silent on the command line's options; all of this is the command's
decision.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from usage_analytics import _core

__all__ = [
    "END_OF_DATES",
    "TimeOption",
    "date_alone",
    "day_end_note",
    "end_arg",
    "parse_end",
    "parse_start",
    "resolve_time_options",
    "start_arg",
]

#: The end of a window given as the date 9999-12-31 where its next midnight is past the
#: instants Python holds (in UTC, or west of it).
END_OF_DATES = datetime.max.replace(tzinfo=UTC)


_EXAMPLES = "e.g. 2026-01-31 or 2026-01-31T12:00Z"
_EPOCH = datetime(1970, 1, 1)
_TICK = timedelta(microseconds=1)


def _normalized(text: str) -> str:
    cleaned = text.strip()
    # (Python's fromisoformat takes only an uppercase "Z".)
    return cleaned[:-1] + "Z" if cleaned.endswith("z") else cleaned


def date_alone(text: str) -> date | None:
    """The date `text` names where it is a date alone (no time of day; spaces around it
    aside), else None: what `parse_end` reads as the whole day, and the example web
    service's `end` too (one reading of both)."""
    try:
        return date.fromisoformat(_normalized(text))
    except ValueError:
        return None


def _local_micros(wall: datetime) -> int:
    """A naive date-time as microseconds since 1970-01-01T00:00 on the same clocks."""
    return (wall - _EPOCH) // _TICK


def _zoned(wall: datetime, zone: str) -> datetime:
    """The instant of the naive `wall` on `zone`'s clocks (see the module docstring), at
    the zone's offset then: its own time of day, or a gap's end."""
    if zone == "UTC":
        return wall.replace(tzinfo=UTC)
    instant, offset = _core.local_instant(zone, _local_micros(wall))
    shown = _EPOCH + timedelta(microseconds=instant + offset)
    return shown.replace(tzinfo=timezone(timedelta(microseconds=offset)))


def _end_of_the_last_day(zone: str) -> datetime:
    """The end of 9999-12-31 on `zone`'s clocks: the next midnight's instant where Python
    holds it, else `END_OF_DATES`."""
    instant, _ = _core.local_instant(zone, _local_micros(datetime.max) + 1)
    if instant > _local_micros(datetime.max):
        return END_OF_DATES
    return (_EPOCH + timedelta(microseconds=instant)).replace(tzinfo=UTC)


def day_end_note(zone: str) -> str:
    """What a date alone as an end means in `zone` (--tz), for messages about the window
    it ends."""
    return (
        f"a date alone as --end includes that day, ending the window at the next day's 00:00 {zone}"
    )


def parse_start(text: str, zone: str = "UTC") -> datetime:
    """An ISO-8601 date-time, or a date alone as its first instant; without an offset, on
    `zone`'s clocks (an IANA name as `_core.check_timezone` spells it, or "UTC"). Raises
    ValueError for anything else."""
    value = datetime.fromisoformat(_normalized(text))
    return _zoned(value, zone) if value.tzinfo is None else value


def parse_end(text: str, zone: str = "UTC") -> datetime:
    """An ISO-8601 date-time as `parse_start` reads it, but a date alone as the end of
    that day: the next day's first instant on `zone`'s clocks (see the module
    docstring). Raises ValueError for anything else."""
    day = date_alone(text)
    if day is None:
        return parse_start(text, zone)
    if day == date.max:
        return _end_of_the_last_day(zone)
    return _zoned(datetime.combine(day + timedelta(days=1), time()), zone)


@dataclass(frozen=True)
class TimeOption:
    """A date option as typed, read (`at`) once --tz, which may follow it, is known."""

    text: str
    #: Whether it ends a window (`parse_end`), else starts one (`parse_start`).
    end: bool

    def at(self, zone: str) -> datetime:
        return parse_end(self.text, zone) if self.end else parse_start(self.text, zone)


def _readable(text: str, end: bool) -> TimeOption:
    try:
        datetime.fromisoformat(_normalized(text))  # (a date alone, too)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or date-time: {text!r} ({_EXAMPLES})"
        ) from None
    return TimeOption(text, end)


def start_arg(text: str) -> TimeOption:
    """argparse's type of --start: `parse_start`'s text, an unreadable value refused."""
    return _readable(text, end=False)


def end_arg(text: str) -> TimeOption:
    """argparse's type of --end and the demo's --now: `parse_end`'s text, an unreadable
    value refused."""
    return _readable(text, end=True)


def resolve_time_options(args: argparse.Namespace) -> None:
    """Read the date options of `args` (--start, --end, --now: `TimeOption`s) on the
    clocks of its --tz (UTC where the command has none), in place."""
    zone: str = getattr(args, "tz", "UTC")
    for name in ("start", "end", "now"):
        option = getattr(args, name, None)
        if isinstance(option, TimeOption):
            setattr(args, name, option.at(zone))
