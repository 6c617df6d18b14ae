"""The error of a database table without the column of a required (or mapped) record
field: it names the columns the table has and, where one of them looks like the field
spelled otherwise (`pattern id`, `PatternId`, ` Pattern-ID `: the library's rule,
`ingest.spellings.loosely`), the mapping that reads that column as the field.

A table whose pattern ids are in a `pattern id` column was refused with its columns
listed, and the user left to find `--column` in the help. (A column of the field's name
but for case is read as the field already: `column_case`.)
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from usage_analytics.ingest.spellings import loosely

__all__ = ["missing_column_error"]


def missing_column_error(where: str, wanted: str, field: str, columns: Iterable[str]) -> str:
    """The message of `where` (the table, as its source names it) having no column
    `wanted` for the record field `field`, among its `columns`."""
    present = list(columns)
    message = (
        f"{where} has no column {wanted!r} for the record field {field!r} "
        f"(columns: {', '.join(present)})"
    )
    alike = [name for name in present if loosely(name) == loosely(field)]
    if len(alike) != 1:  # (none; or several, for the user to choose among: all listed)
        return message
    (column,) = alike
    if column == field:  # (the mapping named another column: the field's own is there)
        return f"{message}; the table has the column {field!r}: drop the mapping to {wanted!r}"
    return (
        f"{message}; to read the column {column!r} as {field!r}, map it: "
        f"--column {shlex.quote(f'{field}={column}')} (TableSpec's columns "
        f"{{{field!r}: {column!r}}})"
    )
