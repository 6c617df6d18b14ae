"""A record file's records as `FileSource` holds them once read (a file, a directory of
files, standard input's copy), and the lines it left out as holding no record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from usage_analytics.sources.base import Unreadable
from usage_analytics.sources.jsonl_key_spellings import SpelledKey
from usage_analytics.sources.odd_cells import OddTexts

__all__ = ["LeftOutLines", "Loaded"]


class LeftOutLines(Protocol):
    """The lines a reader left out as holding no record (`records.UnreadableLines` for a
    file; `text_dataset.UnreadableInFiles` for a directory of files)."""

    def __len__(self) -> int: ...

    def summary(self) -> Unreadable: ...


@dataclass(frozen=True)
class Loaded:
    """A file's records (pyarrow Table or list of dicts) and how to name a row."""

    data: Any
    locate_row: Callable[[int], str]
    arrow: bool
    #: Whether the file's header or schema has the pattern id column; None for JSON
    #: Lines, which name a key only where a line has it.
    id_column: bool | None = None
    #: A CSV file's cells that are no value of their field, missing in `data`.
    odd: OddTexts | None = None
    #: The lines left out as holding no record (`skip_unreadable`), else None.
    unreadable: LeftOutLines | None = None
    #: The columns the file's header or schema names, as the record fields they feed
    #: (under the mapping: `records.renamer`; other columns as named); None for JSON
    #: Lines, which name a key only where a line has it (`FileSource.fields_with_columns`).
    fields: frozenset[str] | None = None
    #: A JSON Lines file's keys that look like a record field spelled otherwise, held by
    #: lines without the field (`jsonl_key_spellings`), for the command's note.
    spelled_keys: Mapping[str, SpelledKey] = field(default_factory=dict)
    #: Whether the records are JSON Lines (a file's, or every file's of a directory),
    #: whose keys `spelled_keys` tells of (other kinds' columns reach the library).
    json_lines: bool = False

    @property
    def count(self) -> int:
        return int(self.data.num_rows) if self.arrow else len(self.data)
