"""`analyze`'s default window in raise mode: the record that ends it must be one the
command accepts.

Without --end the window ends at the source's newest record, of any pattern, for
`analyze` as for `dashboard` (`common.source_window`, from timestamps alone). In raise
mode (the default `--on-invalid`) that record, if invalid, is the dashboard's error: it
lies in the window of the records it reduces. `analyze P` reduces P's records alone, so
another pattern's invalid newest record (a score of 7, a negative time, a timestamp a
clock far ahead wrote on an otherwise broken record), or a record without a pattern id,
set its window's end and was never reported: P's numbers were measured up to an instant
that no record the command accepts holds. The design is silent on the command's
default window; this is the command's decision, taken to keep the two commands agreeing:

- where a valid record of a pattern lies at that instant, the window ends there, as
  before (it is the dashboard's end too, in either mode);
- else `analyze` fails as the dashboard would, naming the invalid record at that
  instant (its pattern, place, field, value and reason) or, where the newest record has
  no pattern id, saying so; `--on-invalid skip` ends the window at the newest valid
  record instead (`cli.valid_end`), --end wherever the user chooses.

The check costs nothing where the pattern's own newest record is at the end (its
analysis says so: `time_since_last_use` of 0.0, as `cli.valid_end` reads it). Otherwise
the other patterns' records at the end's instant are read and probed as skip mode reads
them (`valid_end.valid_at_the_instant`: a database sends those few rows; a file, read whole
already, is probed whole); only where none is valid are the records at that instant
looked for, one by one in Python, to name the first invalid one.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from usage_analytics.cli.common import CliError, reduce_all, source_columns
from usage_analytics.cli.valid_end import TICK, probe_contract, valid_at_the_instant
from usage_analytics.contracts import (
    ModelUsageAnalyticsOutput,
    micros,
)
from usage_analytics.progress import Progress
from usage_analytics.report import plural
from usage_analytics.sources import ExecutionSource, Fetched
from usage_analytics.sources.timestamps import timestamp_of

__all__ = ["check_the_newest_is_accepted"]

#: What `reduce_all`'s error of invalid records ends with (skip mode's remedy), replaced
#: here by the remedies of an invalid record that ends the window.
_SKIP_REMEDY = "; --on-invalid skip leaves invalid records out"
_END_REMEDIES = (
    "; it is the source's newest record, which ends the default window: --on-invalid "
    "skip ends it at the newest valid record instead, --end where you choose"
)


def _checks_the_end(args: argparse.Namespace, result: ModelUsageAnalyticsOutput) -> bool:
    """Whether a default window (no --end) in raise mode may end at a record `analyze`
    did not reduce: its pattern's newest record, `result`'s, is not at the end."""
    if args.end is not None or args.on_invalid != "raise":
        return False
    return result.usage_metrics.time_since_last_use != 0.0


async def check_the_newest_is_accepted(
    args: argparse.Namespace,
    source: ExecutionSource,
    end: datetime,
    result: ModelUsageAnalyticsOutput,
    progress: Progress,
) -> None:
    """The error (see the module) where the source's newest record, at `end`, which
    ended the default window, holds no valid record of any pattern; nothing where the
    window's pattern's own analysis (`result`) shows its newest record at `end`, or a
    valid record of another pattern lies there. (A record file without pattern ids holds
    the pattern's records alone: its analysis judged them all.)"""
    if not _checks_the_end(args, result):
        return
    label = f"checking the newest record in {source.description}"
    found = await valid_at_the_instant(args, source, end, label, progress)
    if found is None or found[1] == end:
        return
    await _raise_naming_the_newest(args, source, found[0], end, progress)
    # (No invalid record of a pattern there: the newest record has no pattern id.)
    unattributed = await source.unattributed()
    also = f" ({plural(unattributed.count, 'record')} without one in all)"
    raise CliError(
        f"{source.description}: the newest record ({end.isoformat()}) has no pattern_id, so "
        f"no pattern holds it{also if unattributed.count > 1 else ''}"
        f"{_END_REMEDIES.replace('skip ends', 'skip (which leaves it out) ends')}"
    )


async def _raise_naming_the_newest(
    args: argparse.Namespace,
    source: ExecutionSource,
    groups: Sequence[Fetched],
    end: datetime,
    progress: Progress,
) -> None:
    """The error naming the first invalid record at `end` among `groups` (their records
    at that instant, found one by one), as `reduce_all` names a pattern's invalid record;
    nothing where none of theirs lies there."""
    wanted = micros(end)
    found = [at for at in (_records_at(group, wanted) for group in groups) if at is not None]
    if not found:
        return
    contracts = [probe_contract(args, group, end - TICK, end, "raise") for group in found]
    try:
        await reduce_all(
            contracts,
            found,
            source.description,
            progress,
            source_columns(source),
            name_patterns=True,
        )
    except CliError as error:
        raise CliError(str(error).removesuffix(_SKIP_REMEDY) + _END_REMEDIES) from None


def _records_at(group: Fetched, wanted: int) -> Fetched | None:
    """The records of `group` whose timestamp is the instant `wanted` (epoch
    microseconds), located and placed as in the group; None without one. (Their
    timestamps are read first, and only those records whole: a file's groups hold all
    its records.)"""
    data = group.data
    indices = [index for index, value in enumerate(_timestamps(data)) if _micros(value) == wanted]
    if not indices:
        return None
    locate, position = group.locate, group.position
    return Fetched(
        group.pattern_id,
        _rows_at(data, indices),
        len(indices),
        lambda index: locate(indices[index]),
        None if position is None else (lambda index: position(indices[index])),
    )


def _timestamps(data: Any) -> list[Any]:
    """The timestamp of each record of a group's data: a pyarrow table's column, a dict
    of lists' (a file's records with odd cells, `sources.files`), the records' values."""
    if hasattr(data, "column_names"):
        return data.column("timestamp").to_pylist() if "timestamp" in data.column_names else []
    if isinstance(data, Mapping):
        return list(data.get("timestamp", ()))
    return [row.get("timestamp") if isinstance(row, Mapping) else None for row in data]


def _rows_at(data: Any, indices: Sequence[int]) -> list[Any]:
    """The records of a group's data at `indices`, as mappings (or as given)."""
    if hasattr(data, "column_names"):
        rows: list[Any] = data.take(indices).to_pylist()
        return rows
    if isinstance(data, Mapping):
        return [{name: values[index] for name, values in data.items()} for index in indices]
    return [data[index] for index in indices]


def _micros(value: Any) -> int | None:
    """A record's timestamp in epoch microseconds: a datetime's, an ISO-8601 text's, an
    integer's (read as epoch microseconds, as the core reads it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return timestamp_of(value)
