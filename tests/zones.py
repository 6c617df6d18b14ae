"""Time zones tests share."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


class NoOffset(tzinfo):
    """A zone that names no offset: its datetimes are naive in Python's terms (and to
    `astimezone`, which reads them in the machine's zone); the library reads them as UTC."""

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None

    def dst(self, moment: datetime | None) -> timedelta | None:
        return None

    def tzname(self, moment: datetime | None) -> str | None:
        return None
