"""JSON Lines keys matched to record fields regardless of ASCII case (`column_case`), as
a file with a header or a schema matches its columns: a file's keys are its columns.

JSON Lines name no columns before their lines are read: the keys of all the records
read are the file's columns ("Success" in one line and "success" in another are two
columns, and the exact name wins, as in a CSV header holding both). pyarrow's reader,
given the fields' schema, ignores other keys: where a field's column is read with no
value, the file's bytes are searched (RE2, a block at a time) for the field's name
quoted in another case, and where one is there the standard-library reader
reads the file, whose records show their keys. (A key spelled with JSON escapes,
"\\u0053uccess", is not found by that search: such a file's field stays missing.)
"""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

from usage_analytics.sources.base import FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.column_case import case_matched
from usage_analytics.sources.records import LoadedRecords, renamer

__all__ = ["case_matched_records", "other_case_keys"]

#: The bytes of a file searched at a time (`other_case_keys`): RE2 is given slices of
#: the file mapped in memory, none larger than this (plus a key's length and colon).
_BLOCK = 1 << 26
#: The white space looked for between a key and its colon (`"Success" : true`).
_SPACES = 8


def other_case_keys(pa: Any, path: Path, table: Any, spec: TableSpec) -> bool:
    """Whether a record field that `spec` leaves to its own name, and whose column of
    `table` (read by pyarrow with the fields' schema) has no value, may be written in
    the file `path` under a key of another case: its name quoted, and then a colon,
    `"Success":`, is there.
    (One pass of RE2 over the file mapped in memory, for all such fields: 0.12 s over
    115 MB, where Python's `re` took 0.75 s and a fold and count per field 1 s.)"""
    unmapped = [field for field in (PATTERN_ID, *FIELDS) if field not in spec.columns]
    empty = [
        field
        for field in unmapped
        if field not in table.column_names or table.column(field).null_count == table.num_rows
    ]
    if not empty:
        return False
    # (A key is followed by its colon: "error": "Timeout" is a value, whose match sent
    # the whole file to the standard reader. A key cut by a block's end is in the next
    # block's overlap, its quotes, spaces and colon with it.)
    pattern = '"(?:' + "|".join(map(_other_cases, empty)) + f')"\\s{{0,{_SPACES}}}:'
    overlap = max(map(len, empty)) + 2 + _SPACES + 1
    with pa.memory_map(str(path)) as mapped:
        whole = mapped.read_buffer()
    for start in range(0, whole.size, _BLOCK):
        block = whole.slice(start, min(whole.size - start, _BLOCK + overlap))
        offsets = pa.py_buffer(struct.pack("<qq", 0, block.size))
        text = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, block])
        if pa.compute.match_substring_regex(text, pattern)[0].as_py():
            return True
    return False


def _other_cases(field: str) -> str:
    """A regular expression of `field` in every case but its own (lower): the first
    upper-case letter at each place, those before it lower, those after it either."""
    spellings = []
    for index, char in enumerate(field):
        if char.isalpha():
            rest = "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in field[index + 1 :])
            spellings.append(f"{field[:index]}{char.upper()}{rest}")
    return "|".join(spellings)


def case_matched_records(loaded: LoadedRecords, spec: TableSpec, where: str) -> LoadedRecords:
    """The records read by the standard-library reader (their keys mapped by `spec`)
    with each field that no key names exactly, and `spec` leaves to its own name, taken
    from the one key that names it but for case (two are an error naming them)."""
    keys: dict[str, None] = {}
    for record in loaded.records:
        keys.update(dict.fromkeys(record))
    matched = case_matched(spec, keys, where)
    added = {field: key for field, key in matched.columns.items() if field not in spec.columns}
    if not added:
        return loaded
    rename = renamer(added)
    records = [
        {name: value for key, value in record.items() for name in rename(key)}
        for record in loaded.records
    ]
    return replace(loaded, records=records)
