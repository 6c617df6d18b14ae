"""The reason an integer timestamp is refused, worded for the command.

The core refuses a record's integer timestamp (a SQLite INTEGER cell, a JSON Lines
number) with the library's words: "must be a datetime, a date, a numpy datetime64 or an
ISO-8601 string, got int (a record's integer is no timestamp: only columnar input's are,
as epoch microseconds; as epoch seconds, this one is ...)". A user of the command passes
no datetime, numpy value or columnar input: what they can change is what the column
holds: ISO-8601 text, or a timestamp type (a Parquet file's, a PostgreSQL table's;
SQLite and JSON have none). The command says that instead, and keeps the instant the
core shows, as the reason for the text of a number does ("... (text of a number is no
timestamp: as epoch seconds, this one is ...)"). The library's callers keep its
words (the core's reason is not changed, only the command's messages built from it)."""

from __future__ import annotations

import re

#: The core's reason for a record's int as a timestamp (rust/fields.rs, `integer_hint`),
#: with the instant it shows where it shows one (not for a negative or huge integer).
_LIBRARY_REASON = re.compile(
    r"must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int "
    r"\(a record's integer is no timestamp: only columnar input's are, as epoch "
    r"microseconds(?P<shown>; as epoch \w+, this one is [^)]+)?\)"
)
#: What a timestamp column (or JSON Lines field) of the command's sources must hold.
_WANTED = (
    "an integer is no timestamp here: timestamps must be ISO-8601 text "
    "(e.g. 2026-01-05T10:00:00Z) or of a timestamp type"
)


def command_reason(field: str, reason: str) -> str:
    """`reason` (an `InvalidRecordError`'s, of record field `field`) as the command words
    it: the library's reason for an integer timestamp says what the column must hold
    (ISO-8601 text, or a timestamp type: a Parquet file's or PostgreSQL table's) and, as
    before, the instant the integer is as epoch seconds (or the unit its size suggests);
    any other reason as it is."""
    if field != "timestamp":
        return reason
    matched = _LIBRARY_REASON.fullmatch(reason)
    if matched is None:
        return reason
    return _WANTED + (matched["shown"] or "")
