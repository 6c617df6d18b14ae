"""JSON Lines keys that look like a record field spelled otherwise (`executionTimeMs`,
`execution-time-ms`, `" success"`: `ingest.spellings`' rule), found in the lines read,
for the command's note (`ColumnNameWarning`, as other sources' columns get it).

Other sources hand such a column to the library, which tells of it; a JSON Lines file
did not: pyarrow's reader, given the fields' schema, drops every other key, and the
standard reader's records were told of by their first record's keys alone (of each
pattern: the note came and went with the order of the lines). A key is a JSON line's
column, so a key is told of where a line holds it and not the field it looks like
(nor the field in another case, which that line's field is read from:
`jsonl_column_case`): that line's record is missing the field. A key beside the field's
exact key costs nothing, and is not told of, as a column beside the exact one is not.

Finding them costs a search of the file only where a field may be missing somewhere
(its column of the table read lacks a value in some row; a field mapped by the user's
`--column` is left alone): RE2 over the file mapped in memory, for the quoted key of any
spelling of those fields and its colon, as `jsonl_column_case.other_case_keys` searches
for other cases (measured in BENCHMARKS.md, "helper-222"). Only where one may be are the
lines holding one decoded, to tell which lines lack the field.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from usage_analytics.arrow_regex import match_regex
from usage_analytics.ingest.spellings import loosely
from usage_analytics.sources.base import FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.column_case import ascii_folded

__all__ = ["SpelledKey", "spelled_keys_of_file", "spelled_keys_of_records"]

#: The bytes of a file searched at a time, as `jsonl_column_case` searches.
_BLOCK = 1 << 26
#: The white space looked for between a key and its colon.
_SPACES = 8


@dataclass(frozen=True)
class SpelledKey:
    """A key that looks like `field` spelled otherwise, held by `lines` lines without the
    field, the first of them `first` ("line 3"); `alone`: no line gives the field under
    its own name (or in another case), so that mapping the field to the key (--column)
    reads every line's (else it would leave the others' out)."""

    field: str
    first: str
    lines: int
    alone: bool


def spelled_keys_of_file(pa: Any, path: Path, table: Any, spec: TableSpec) -> dict[str, SpelledKey]:
    """The keys of the JSON Lines file `path` (read by pyarrow into `table`, its fields'
    columns, keys mapped by `spec`) that look like a field spelled otherwise, held by a
    line without the field (see the module)."""
    missing = [
        field
        for field in _unmapped(spec)
        if field not in table.column_names or table.column(field).null_count > 0
    ]
    if not missing or not _may_hold_one(pa, path, missing):
        return {}
    given = {
        field
        for field in missing
        if field in table.column_names and table.column(field).null_count < table.num_rows
    }
    search = re.compile(_spelled_otherwise(missing).encode())
    lines: list[tuple[str, Mapping[str, Any]]] = []
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if search.search(line) is None:
                continue
            try:
                record = json.loads(line)
            except ValueError:  # (the reader's to report or skip)
                continue
            if isinstance(record, dict):
                lines.append((f"line {number}", record))
    return _told(lines, frozenset(missing), given)


def spelled_keys_of_records(
    records: Sequence[Mapping[str, Any]], locate: Any, spec: TableSpec
) -> dict[str, SpelledKey]:
    """The keys of a JSON Lines file's records read by the standard reader (their keys
    mapped by `spec`; `locate(i)`: record i's line) that look like a field spelled
    otherwise, held by a record without the field (see the module)."""
    unmapped = _unmapped(spec)
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    if not any(_field_of(key, unmapped) for key in keys):
        return {}
    given = {field for field in unmapped if any(_gives(record, field) for record in records)}
    located = ((locate(index), record) for index, record in enumerate(records))
    return _told(located, unmapped, given)


def _unmapped(spec: TableSpec) -> frozenset[str]:
    """The fields read under their own names (the user's --column maps the others)."""
    return frozenset(field for field in (PATTERN_ID, *FIELDS) if field not in spec.columns)


def _field_of(key: Any, fields: frozenset[str]) -> str | None:
    """The field of `fields` that `key` spells otherwise but for case alone (which is
    read as the field, `jsonl_column_case`); None for any other key."""
    if not isinstance(key, str):
        return None
    field = _FIELD_OF.get(loosely(key))
    if field is None or field not in fields or ascii_folded(key) == field:
        return None
    return field


_FIELD_OF = {loosely(field): field for field in (PATTERN_ID, *FIELDS)}


def _gives(record: Mapping[str, Any], field: str) -> bool:
    """Whether a line names `field` itself, or in another case (read as the field)."""
    return field in record or any(ascii_folded(key) == field for key in record)


def _told(
    lines: Iterable[tuple[str, Mapping[str, Any]]], fields: frozenset[str], given: set[str]
) -> dict[str, SpelledKey]:
    """The keys of `lines` (each with its place) spelling a field of `fields` otherwise,
    where their line does not give the field; `given`: the fields some line gives."""
    found: dict[str, list[Any]] = {}
    for place, record in lines:
        for key in record:
            field = _field_of(key, fields)
            if field is None or _gives(record, field):
                continue
            seen = found.setdefault(key, [field, place, 0])
            seen[2] += 1
    return {
        key: SpelledKey(field, first, count, field not in given)
        for key, (field, first, count) in found.items()
    }


def _spelled_otherwise(fields: Iterable[str]) -> str:
    """A regular expression (RE2's and Python's) of a quoted key that is one of `fields`
    loosely (`ingest.spellings.loosely`: any case, `_`, `-` and spaces anywhere, white
    space around) but not the field itself in some case (the exact key, or one read as
    the field: an exact line's key matched, every line was decoded), then its colon."""
    spelled = []
    for field in fields:
        words = [[_letter(char) for char in word] for word in field.split("_")]
        loose = _LOOSE.join(_LOOSE.join(word) for word in words)
        # (Padded, or with another separator than the field's at some place.)
        spelled += [f"{_PADS}+{loose}{_PADS}*", f"{loose}{_PADS}+"]
        letters = [(w, i) for w, word in enumerate(words) for i in range(len(word))]
        for gap in range(1, len(letters)):
            text = ""
            for place, (w, i) in enumerate(letters):
                if place:
                    between = w != letters[place - 1][0]
                    if place < gap:
                        text += "_" if between else ""
                    elif place == gap:
                        text += _NOT_UNDERSCORE if between else f"{_SEPARATOR}+"
                    else:
                        text += _LOOSE
                text += words[w][i]
            spelled.append(text)
    return f'"(?:{"|".join(spelled)})"[ \\t]{{0,{_SPACES}}}:'


#: A key's separators (`loosely` drops them), anywhere between its letters; its pads.
_SEPARATOR = "[-_ ]"
_LOOSE = f"{_SEPARATOR}*"
_PADS = "[ \\t_-]"
#: Separators that are not the one underscore of a field's words: none, a `-` or space
#: among them, or two underscores or more.
_NOT_UNDERSCORE = f"(?:|{_SEPARATOR}*[- ]{_SEPARATOR}*|__{_SEPARATOR}*)"


def _letter(char: str) -> str:
    return f"[{char}{char.upper()}]" if char.isalpha() else re.escape(char)


def _may_hold_one(pa: Any, path: Path, fields: Sequence[str]) -> bool:
    """Whether the file holds a quoted key that spells one of `fields` otherwise, then
    its colon (`_spelled_otherwise`): one pass of RE2 over the file mapped in
    memory, a block at a time (a key cut by a block's end is in the next one's overlap)."""
    pattern = _spelled_otherwise(fields)
    # (A loose key's separators are unbounded; a key longer than the overlap, cut by a
    # block's end, is left unseen: no field's spelling is so long but by padding.)
    overlap = 4 * max(map(len, fields)) + 2 + _SPACES + 1
    with pa.memory_map(str(path)) as mapped:
        whole = mapped.read_buffer()
    for start in range(0, whole.size, _BLOCK):
        block = whole.slice(start, min(whole.size - start, _BLOCK + overlap))
        offsets = pa.py_buffer(struct.pack("<qq", 0, block.size))
        text = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, block])
        if match_regex(pa.compute, text, pattern)[0].as_py():
            return True
    return False
