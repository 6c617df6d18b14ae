"""The note on stderr where a source has no `success` column: DESIGN.md counts a record
without `success` as a failure, so every pattern of such a source showed a 0% success
rate and a 100% error rate, and nothing said why. One line, written once the report is
(`analyze`, `dashboard`): the report and the exit status are those without it, and a
report that cannot be written is the one error shown.

Only `success` is noted: the other fields a source may lack have neutral defaults (no
time is not counted in performance, no quality score not in the average, gates passed,
no timeout, context "unknown"). The note is looked for only where the analysed window
has records and none of them succeeded (`success_count` 0 in every result), so a source
whose records succeed costs nothing more; then:

- a source with columns (CSV, Parquet, SQLite, PostgreSQL: `fields_with_columns`) is
  noted where it has no column for `success` (under `--column`'s mapping). A column of
  false values is the data's, and not noted; nor is a column whose cells are all empty
  (the design is silent on it; the note says the column is missing, which it is not).
- JSON Lines, whose lines name a key or not, are noted where no record of the window
  holds a `success` value: the key absent or null. (Null is missing to the core, as an
  absent key is, and pyarrow's reader, read with the fields' schema, has a column of
  nulls for either: telling them apart would read the file again. The design is silent
  on null; both make a failure, which is what the note says.) The records with a value
  are few or none where none succeeded, and only their timestamps are read, the newest
  first (a log's window is mostly its end), until one lies in the window.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from usage_analytics.cli.common import PROG
from usage_analytics.contracts import ModelUsageAnalyticsOutput, micros
from usage_analytics.sources import ExecutionSource, Fetched, FileSource, TableSpec
from usage_analytics.sources.timestamps import timestamp_of

__all__ = ["SUCCESS", "absent_success_note"]

SUCCESS = "success"


async def absent_success_note(
    source: ExecutionSource,
    fetched: Sequence[Fetched],
    results: Sequence[ModelUsageAnalyticsOutput],
    window: tuple[datetime, datetime, Any],
) -> str | None:
    """The note (one line) where the records of `window` (`fetched`, analysed as
    `results`) are counted failures for want of a `success` column (see the module);
    None where none is due."""
    executions = sum(result.usage_metrics.total_executions for result in results)
    succeeded = sum(_successes(result) for result in results)
    if not executions or succeeded:
        return None
    fields = await source.fields_with_columns()
    if fields is not None:
        return None if SUCCESS in fields else _no_column(source)
    start, end = micros(window[0]), micros(window[1])
    if any(_valued_in_window(data, start, end) for data in _records(fetched)):
        return None
    return _no_field(source)


def _successes(result: ModelUsageAnalyticsOutput) -> int:
    metrics = result.success_metrics
    return 0 if metrics is None else metrics.success_count


_EVERY_FAILURE = "so every execution counts as a failure (a record without success is one)"


def _no_column(source: ExecutionSource) -> str:
    table = getattr(source, "table", None)
    if isinstance(source, FileSource):
        where = (
            f"no file of {source.description} has"
            if source.directory
            else f"{source.description} has"
        )
    elif isinstance(table, TableSpec):
        where = f"table {table.label!r} of {source.description} has"
    else:
        where = f"{source.description} has"
    return (
        f"{PROG}: note: {where} no '{SUCCESS}' column, {_EVERY_FAILURE}: add a "
        f"'{SUCCESS}' column of true or false, or name the column that holds it with "
        f"--column {SUCCESS}=COLUMN"
    )


def _no_field(source: ExecutionSource) -> str:
    # (A key mapped by --column success=KEY is named as the user wrote it: the note said
    # 'success', and to pass the option already passed.)
    table = getattr(source, "table", None)
    key = table.column(SUCCESS) if isinstance(table, TableSpec) else SUCCESS
    article = "an" if key[:1].lower() in "aeiou" else "a"
    named = f"{article} {key!r} field (none, or null)"
    it = "it"
    if key != SUCCESS:
        named += f", which --column {SUCCESS}={key} names for {SUCCESS}"
        it = SUCCESS
    return (
        f"{PROG}: note: no record of the window in {source.description} has {named}, "
        f"{_EVERY_FAILURE}: add {json.dumps(key)}: true or false to the records, or name "
        f"the field that holds {it} with --column {SUCCESS}=FIELD"
    )


def _records(fetched: Iterable[Fetched]) -> Iterator[Any]:
    """The groups' records to look at: none of the groups sharing a table
    (`Fetched.together`, a file's records, of which each such group's are some) that
    holds no `success` value at all, which is told once; each other group's own, whose
    records of the window alone count."""
    empty: set[int] = set()
    for group in fetched:
        together = group.together
        if together is not None:
            if id(together) in empty:
                continue
            if not _any_value(together):
                empty.add(id(together))
                continue
        yield group.data


def _any_value(table: Any) -> bool:
    """Whether an Arrow table has a `success` value (not null) in any row."""
    if SUCCESS not in table.column_names:
        return False
    return bool(table.column(SUCCESS).null_count < table.num_rows)


def _valued_in_window(data: Any, start: int, end: int) -> bool:
    """Whether a record of `data` (a pyarrow Table, a dict of lists or a list of record
    dicts) with a `success` value lies in `[start, end]` (microseconds)."""
    if hasattr(data, "column_names"):  # a pyarrow Table
        if not _any_value(data) or "timestamp" not in data.column_names:
            return False  # (no record in any window without a timestamp)
        import pyarrow.compute as pc

        valued = pc.indices_nonzero(pc.is_valid(data.column(SUCCESS)))
        stamps = data.column("timestamp").take(valued).to_pylist()
    elif isinstance(data, dict):  # a dict of lists (a group with odd cells)
        values = data.get(SUCCESS, ())
        times = data.get("timestamp", [None] * len(values))
        stamps = [stamp for stamp, value in zip(times, values, strict=True) if value is not None]
    else:  # record dicts
        stamps = [record.get("timestamp") for record in data if record.get(SUCCESS) is not None]
    return any(_inside(stamp, start, end) for stamp in reversed(stamps))


def _inside(value: Any, start: int, end: int) -> bool:
    """Whether a record's timestamp lies in `[start, end]`: a datetime or ISO text as the
    core reads it; any other value is an invalid record's, in no window."""
    stamp = timestamp_of(value)
    return stamp is not None and start <= stamp <= end
