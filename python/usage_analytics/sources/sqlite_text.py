"""A SQLite table's first text that is not UTF-8, for the error that names its row.

`sqlite3` decodes every TEXT value it hands over: one that is not UTF-8 failed the whole
query ("Could not decode to UTF-8 column 'max("timestamp")' with text '2026-03-05\ufffd'"),
naming a column of the query, its bytes replaced, and no row. The table is read again
here with the text left as bytes, until the first such value.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, NamedTuple

from usage_analytics.sources.arrow_text import is_utf8

__all__ = ["NotUtf8", "first_not_utf8"]


class NotUtf8(NamedTuple):
    """Where the text is: its record field, the row's key (None without one) and
    timestamp (as stored: bytes where it is such text), and its bytes."""

    field: str
    key: Any
    timestamp: Any
    raw: bytes


def first_not_utf8(
    connection: sqlite3.Connection, table: str, columns: Mapping[str, str], key: str | None
) -> NotUtf8 | None:
    """The first value of `columns` (record field -> quoted column) of `table` (quoted)
    that is text but not UTF-8, in the table's order, its row named by the SQL `key`."""
    fields = list(columns)
    selected = [*(f"{column}, typeof({column})" for column in columns.values()), key or "NULL"]
    stamp = fields.index("timestamp") if "timestamp" in columns else None
    factory = connection.text_factory
    connection.text_factory = bytes
    try:
        rows = connection.execute(f"SELECT {', '.join(selected)} FROM {table}")
        for row in rows:
            for index, field in enumerate(fields):
                value, kind = row[2 * index], row[2 * index + 1]
                if kind == b"text" and not is_utf8(value):
                    when = None if stamp is None else row[2 * stamp]
                    return NotUtf8(field, _text(row[-1]), _text(when), value)
    finally:
        connection.text_factory = factory
    return None


def _text(value: Any) -> Any:
    """A key or timestamp read as bytes, as its text where it is UTF-8."""
    if isinstance(value, bytes) and is_utf8(value):
        return value.decode("utf-8")
    return value
