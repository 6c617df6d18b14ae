"""Timestamps as the core reads them, for the work sources do before the core runs:
defaulting a window to "up to the newest record" and telling which stored rows can lie in
a window.

`parse_timestamp` mirrors the core's ISO-8601 reader (`rust/timeparse.rs`): `YYYY-MM-DD`,
optionally followed by `T`, `t` or a space and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (1 to 9
fraction digits, floored to the microsecond, `.` or `,`), then, after a time only,
optionally `Z`, `z`, `+HH`, `+HHMM`, `+HH:MM`, `+HHMMSS` or `+HH:MM:SS`, the seconds
optionally with a fraction as above (or `-`; at most 23:59:59.999999); surrounding
whitespace is ignored; no offset means UTC. Text it does not accept gives None: the core
reports such a record as invalid.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from usage_analytics.contracts import micros

__all__ = [
    "ANALYSABLE_US",
    "EPOCH",
    "ISO_PATTERN",
    "analysable",
    "format_utc",
    "micros",
    "parse_timestamp",
    "shifted_date",
    "timestamp_of",
    "window_stamp",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: The grammar of `parse_timestamp`, without the surrounding whitespace (RE2-compatible,
#: so pyarrow's regex kernels can use it too).
ISO_PATTERN = (
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"([Zz]|[+-][0-9]{2}(?::[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"|[0-9]{2}(?:[0-9]{2}(?:[.,][0-9]{1,9})?)?)?)?)?"
)
_ISO = re.compile(ISO_PATTERN)


#: The first and last instants a window can hold (Python's datetimes: the years 1-9999,
#: UTC), in microseconds since the epoch. A record's timestamp may lie beyond (an Arrow
#: timestamp of year 148,000, ISO text at the end of 9999 with a negative offset): it is
#: in no window, so a window defaulted to the newest record ends at the newest within.
ANALYSABLE_US = (
    micros(datetime.min.replace(tzinfo=UTC)),
    micros(datetime.max.replace(tzinfo=UTC)),
)


def analysable(us: int) -> bool:
    """Whether an instant (microseconds since the epoch) lies within `ANALYSABLE_US`."""
    return ANALYSABLE_US[0] <= us <= ANALYSABLE_US[1]


def window_stamp(text: Any) -> int | None:
    """The instant of stored text as the core reads it (`parse_timestamp`), where a
    window can hold it (`analysable`); None for other text and other values."""
    stamp = parse_timestamp(text) if isinstance(text, str) else None
    return stamp if stamp is not None and analysable(stamp) else None


def _offset_micros(text: str | None) -> int | None:
    if not text or text in "Zz":
        return 0
    sign = -1 if text[0] == "-" else 1
    whole, _, fraction = text[1:].replace(",", ".").partition(".")
    digits = whole.replace(":", "")
    hours, minutes, seconds = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    part = int(fraction.ljust(6, "0")[:6])
    return sign * ((hours * 3600 + minutes * 60 + seconds) * 1_000_000 + part)


#: What the core trims from a text timestamp: Unicode White_Space (Rust's `str::trim`).
#: Python's `str.strip()` also strips the separators U+001C-U+001F, which the core keeps
#: (and then reads no time).
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def parse_timestamp(text: str) -> int | None:
    """ISO-8601 text -> microseconds since the epoch (UTC), or None where the core would
    call the text invalid."""
    found = _ISO.fullmatch(text.strip(_WHITE_SPACE))
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = found.groups()
    shift = _offset_micros(offset)
    if shift is None:
        return None
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:  # a field out of range, or year 0 (valid in the core, rare)
        return None
    return micros(local) - shift


def timestamp_of(value: Any) -> int | None:
    """A record's timestamp value (datetime or ISO-8601 str) in microseconds; None for
    anything the core would call invalid."""
    if isinstance(value, datetime):
        return micros(value)
    if isinstance(value, str):
        return parse_timestamp(value)
    return None


def datetime_of(us: int) -> datetime:
    """Microseconds since the epoch -> an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=us)


def format_utc(value: datetime) -> str:
    """The fixed-width text form stored in SQLite, `2026-01-05T10:00:00.000000Z`: in UTC,
    so that text order is time order. Naive, or of a zone naming no offset, it is UTC, as
    the core reads it (`astimezone` read that zone's in the machine's: another instant)."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    else:
        value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z"
    )


def shifted_date(day: date, days: int, *, low: bool) -> str:
    """`day + days` as `YYYY-MM-DD` text, for range conditions on ISO text; past the ends
    of the calendar, a text below (low=True) or above every date text."""
    try:
        return (day + timedelta(days=days)).isoformat()
    except OverflowError:
        return "" if low else ":"  # ":" sorts right after the digits
