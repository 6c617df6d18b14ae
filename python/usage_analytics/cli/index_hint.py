"""The note on stderr where `analyze` or `dashboard` read a database table that no
index serves by pattern id: a table SQLite's `.import` made from a CSV file has none,
and each of `analyze`'s reads of the pattern (its newest record, its window) then
scanned the whole table, 12-15 times slower than an index's range at a million rows
(BENCHMARKS.md, helper-236); the whole command took 2.1x as long, `dashboard` 1.6x
(helper-243). The note gives the `CREATE INDEX` of the index the library's own tables
have, or of those the reads use where that one serves them not (a PostgreSQL JSON
column's reads of a pattern ask for its values' text: `ExecutionSource.index_hint`),
once, after the report (the report and the exit status are those without it), as
`cli.absent_fields`' note is. Not for a view (it takes no index) nor a file. (The design
is silent on the command's notes; this is the command's decision.)
"""

from __future__ import annotations

from usage_analytics.cli.common import PROG
from usage_analytics.sources import ExecutionSource, TableSpec

__all__ = ["index_note"]


async def index_note(source: ExecutionSource) -> str | None:
    """The note (one line) where `source`'s table has no index on its pattern id, with
    the statement that makes one; None where none is due."""
    statement = await source.index_hint()
    if statement is None:
        return None
    table = getattr(source, "table", None)
    label = table.label if isinstance(table, TableSpec) else "the table"
    # (Two where PostgreSQL lists a column's ids by the column's index and reads a
    # pattern's rows by an expression of it: see `PostgresSource.index_hint`.)
    made = "the indexes they need" if "; CREATE INDEX " in statement else "the index they need"
    return (
        f"{PROG}: note: table {label!r} of {source.description} has no index on its "
        "pattern id that its reads can use, so each read scans the whole table (the "
        f"command took twice as long at a million rows); to make {made}, run once: "
        f"{statement}"
    )
