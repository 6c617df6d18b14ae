"""The note of a JSON Lines file's keys that look like a record field spelled otherwise
(`sources.jsonl_key_spellings`): the `ColumnNameWarning` other sources' columns get from
the library, which a JSON Lines file's keys never reached (pyarrow's reader drops every
key but the fields'). Shown as the command shows that warning (`cli._warnings_as_notes`),
with the `--column` mapping of each key that no line beside it gives the field under
its own name: mapped, the others' would be left out."""

from __future__ import annotations

import warnings

from usage_analytics.errors import ColumnNameWarning
from usage_analytics.ingest.spellings import line_keys_note
from usage_analytics.sources import ExecutionSource, FileSource

__all__ = ["note_spelled_keys"]

#: The start of the library's note of a list's first record's keys (`ingest.spellings`).
_FIRST_RECORDS_KEYS = "the first record's key"


async def note_spelled_keys(source: ExecutionSource) -> None:
    """The `ColumnNameWarning` of an open record file's keys spelled otherwise, or a
    directory's of JSON Lines files' (named by file), if any."""
    if not isinstance(source, FileSource) or source.kind not in ("jsonl", "directory"):
        return
    spelled = await source.keys_spelled_otherwise()
    if spelled is None:  # (a directory of CSV or Parquet files: the library tells)
        return
    # The file's keys are told of whole here: the library's note of a pattern's first
    # record's keys (the standard reader's records are dicts) would repeat this one, or
    # tell of a key beside lines of the exact one, and offer a mapping that loses those.
    # (Within the command's `warnings.catch_warnings`: undone as it ends.)
    warnings.filterwarnings("ignore", _FIRST_RECORDS_KEYS, ColumnNameWarning)
    note = line_keys_note({key: (one.field, one.first, one.lines) for key, one in spelled.items()})
    if note is not None:
        mappable = {key: one.field for key, one in spelled.items() if one.alone}
        warnings.warn(ColumnNameWarning(note, mappable), stacklevel=2)
