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
(the core's reason is not changed, only the command's messages built from it).

The words are built from the reason's parts (type name, whether an integer, the unit
and instant shown) as the core reads them back (`errors.reason_detail`), not by matching
the core's text here: a change of its wording would have silently stopped the rewording."""

from __future__ import annotations

from usage_analytics.errors import reason_detail

#: The values the command's sources hand over, as their users write them (JSON's words).
_VALUES = {"float": "a float", "bool": "true or false", "list": "a list", "dict": "an object"}
#: What a timestamp column (or JSON Lines field) of the command's sources must hold.
_MUST = "timestamps must be ISO-8601 text (e.g. 2026-01-05T10:00:00Z) or of a timestamp type"


def command_reason(field: str, reason: str) -> str:
    """`reason` (an `InvalidRecordError`'s or an error sample's, of record field `field`)
    as the command words it: the library's reason for a timestamp of no timestamp type
    (an integer, a float, ...) says what the column must hold (ISO-8601 text, or a
    timestamp type: a Parquet file's or PostgreSQL table's) and, for an integer, as
    before, the instant it is as epoch seconds (or the unit its size suggests); any other
    reason as it is. Built from the reason's parts as the core reads them back
    (`errors.reason_detail`), not from matching its words, which may change."""
    detail = reason_detail(field, reason)
    if detail is None:
        return reason
    if detail.integer:
        words = f"an integer is no timestamp here: {_MUST}"
        if detail.instant is None:  # (a negative integer, or one past 64 bits)
            return words
        return f"{words}; as epoch {detail.epoch_unit}, this one is {detail.instant}"
    what = _VALUES.get(detail.type_name, f"a value of type {detail.type_name}")
    return f"{what} is no timestamp here: {_MUST}"
