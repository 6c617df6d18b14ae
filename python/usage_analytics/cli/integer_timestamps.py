"""The reason a timestamp of no timestamp type is refused, worded for the command.

The core refuses a record's integer timestamp (a SQLite INTEGER cell, a JSON Lines
number) with the library's words: "must be a datetime, a date, a numpy datetime64 or an
ISO-8601 string, got int (a record's integer is no timestamp: only columnar input's are,
as epoch microseconds; as epoch seconds, this one is ...)"; a float (a SQLite REAL cell,
a JSON Lines number with a fraction, as time.time() writes epoch seconds), a bool, a
list or an object alike, "..., got float". A user of the command passes no datetime,
numpy value or columnar input: what they can change is what the column holds: ISO-8601
text, or a timestamp type (a Parquet file's, a PostgreSQL table's; SQLite and JSON have
none). The command says that instead, and keeps the instant the core shows of an
integer, as the reason for the text of a number does ("... (text of a number is no
timestamp: as epoch seconds, this one is ...)"). The library's callers keep its words
(the core's reason is not changed, only the command's messages built from it)."""

from __future__ import annotations

import re

#: The core's reason for a record's value of no timestamp type (rust/fields.rs), with,
#: for an int (`integer_hint`), the instant it shows where it shows one (not for a
#: negative or huge integer).
_LIBRARY_REASON = re.compile(
    r"must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got "
    r"(?:int \(a record's integer is no timestamp: only columnar input's are, as epoch "
    r"microseconds(?P<shown>; as epoch \w+, this one is [^)]+)?\)|(?P<type>\w+))"
)
#: The values the command's sources hand over, as their users write them (JSON's words).
_VALUES = {"float": "a float", "bool": "true or false", "list": "a list", "dict": "an object"}
#: What a timestamp column (or JSON Lines field) of the command's sources must hold.
_MUST = "timestamps must be ISO-8601 text (e.g. 2026-01-05T10:00:00Z) or of a timestamp type"


def command_reason(field: str, reason: str) -> str:
    """`reason` (an `InvalidRecordError`'s, of record field `field`) as the command words
    it: the library's reason for a timestamp of no timestamp type (an integer, a float,
    ...) says what the column must hold (ISO-8601 text, or a timestamp type: a Parquet
    file's or PostgreSQL table's) and, for an integer, as before, the instant it is as
    epoch seconds (or the unit its size suggests); any other reason as it is."""
    if field != "timestamp":
        return reason
    matched = _LIBRARY_REASON.fullmatch(reason)
    if matched is None:
        return reason
    kind = matched["type"]
    if kind is None:
        return f"an integer is no timestamp here: {_MUST}" + (matched["shown"] or "")
    what = _VALUES.get(kind, f"a value of type {kind}")
    return f"{what} is no timestamp here: {_MUST}"
