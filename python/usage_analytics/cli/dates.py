"""The command line's date options: --start, --end and the demo's --now.

Each takes an ISO-8601 date-time ("2026-11-30T12:00Z"; "Z" or "z"; without an offset,
UTC) or a date alone ("2026-11-30"). A date alone covers that whole day (in UTC, as a
date-time without an offset is): as a window's start (`start_arg`) it is the day's first
instant, and as a window's end (`end_arg`: --end, the demo's --now) the day is included,
so that `--start 2026-11-01 --end 2026-11-30` is November, all 30 days of it, as date
ranges in spreadsheets, SQL `BETWEEN` over dates and analytics tools read them, and
`--start 2026-11-30 --end 2026-11-30` is that one day. (A date alone as an end was the
day's first instant, 00:00, which left the whole day out of the window: `--end
2026-11-30` analysed 29 days of November, and `--start D --end D` was an error.)

The day is included by ending the window at the next day's midnight: the design's window
is closed at both ends, so a record stamped exactly 2026-12-01T00:00:00Z is in a window
`--end 2026-11-30` ends, as it is in one `--end 2026-12-01T00:00Z` ends. (Ending it a
microsecond before midnight would leave that record out, but would make the window a
microsecond short of whole days: 29 daily trend buckets for 30 days, the last nearly two
days long, and rates over 29.99999999 days.) The design is silent on the command line's
options; this is the command's decision.

The last day Python's dates hold, 9999-12-31, has no next midnight: as an end it ends at
its last microsecond, 9999-12-31T23:59:59.999999Z (`--end 9999-12-31`: everything).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["DAY_END_NOTE", "END_OF_DATES", "end_arg", "parse_end", "parse_start", "start_arg"]

#: The end of a window given as the date 9999-12-31, which has no next day.
END_OF_DATES = datetime.max.replace(tzinfo=UTC)

#: What a date alone as an end means, for messages about the window it ends.
DAY_END_NOTE = (
    "a date alone as --end includes that day, ending the window at the next day's 00:00 UTC"
)

_EXAMPLES = "e.g. 2026-01-31 or 2026-01-31T12:00Z"


def _normalized(text: str) -> str:
    cleaned = text.strip()
    # (Python's fromisoformat takes only an uppercase "Z".)
    return cleaned[:-1] + "Z" if cleaned.endswith("z") else cleaned


def _bare_date(text: str) -> date | None:
    """The date `text` names where it is a date alone (no time of day), else None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_start(text: str) -> datetime:
    """An ISO-8601 date-time, or a date alone as its first instant; naive means UTC.
    Raises ValueError for anything else."""
    value = datetime.fromisoformat(_normalized(text))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def parse_end(text: str) -> datetime:
    """An ISO-8601 date-time as `parse_start` reads it, but a date alone as the end of
    that day: the next day's midnight, UTC (see the module docstring). Raises
    ValueError for anything else."""
    day = _bare_date(_normalized(text))
    if day is None:
        return parse_start(text)
    if day == date.max:
        return END_OF_DATES
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def start_arg(text: str) -> datetime:
    """argparse's type of --start: `parse_start`, an unreadable value refused."""
    try:
        return parse_start(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or date-time: {text!r} ({_EXAMPLES})"
        ) from None


def end_arg(text: str) -> datetime:
    """argparse's type of --end and the demo's --now: `parse_end`, an unreadable value
    refused."""
    try:
        return parse_end(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or date-time: {text!r} ({_EXAMPLES})"
        ) from None
