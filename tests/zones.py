"""Time zones tests share."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, tzinfo
from pathlib import Path


class NoOffset(tzinfo):
    """A zone that names no offset: its datetimes are naive in Python's terms (and to
    `astimezone`, which reads them in the machine's zone); the library reads them as UTC."""

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None

    def dst(self, moment: datetime | None) -> timedelta | None:
        return None

    def tzname(self, moment: datetime | None) -> str | None:
        return None


def tzif_transitions(path: Path) -> list[tuple[int, int]]:
    """The (UTC second, offset) transitions of a TZif file's 64-bit table (RFC 8536)."""
    data = path.read_bytes()
    if data[:4] != b"TZif" or data[4] < ord("2"):
        return []
    counts = struct.unpack(">6l", data[20:44])  # isutcnt isstdcnt leapcnt timecnt typecnt charcnt
    isut, isstd, leap, times, types, chars = counts
    second = 44 + times * 5 + types * 6 + chars + leap * 8 + isstd + isut  # (the v1 table's end)
    isut, isstd, leap, times, types, chars = struct.unpack(">6l", data[second + 20 : second + 44])
    at = second + 44
    moments = struct.unpack(f">{times}q", data[at : at + 8 * times])
    kinds = data[at + 8 * times : at + 9 * times]
    table = at + 9 * times
    offsets = [
        struct.unpack(">l", data[table + 6 * i : table + 6 * i + 4])[0] for i in range(types)
    ]
    return [(moment, offsets[kind]) for moment, kind in zip(moments, kinds, strict=True)]


def offset_changes(path: Path) -> list[tuple[int, int, int]]:
    """The UTC seconds at which a zone's offset changes (not its name or DST flag alone),
    each with the offsets before and after."""
    table = tzif_transitions(path)
    return [
        (t, before, offset)
        for (t, offset), (_, before) in zip(table[1:], table, strict=False)
        if offset != before
    ]
