"""JSON Lines keys matched to record fields regardless of ASCII case (`column_case`), as
a file with a header or a schema matches its columns, but line by line: a line's keys
are its columns.

A line whose key names a field but for case ("Success") and that has no key naming it
exactly takes the field from that key, whatever the file's other lines write: a log
written by two versions of a service, `"success": true` in some lines and
`"Success": true` in others, holds one field spelled two ways. (Matched once for the
whole file, as a header is, the exact name won and the `Success` lines were silently
failures; a `Timestamp` line was "missing" its timestamp, a `Pattern_Id` line belonged
to no pattern.) The design is silent on this; refusing such a file would leave its user
no remedy but rewriting it, as `--column` maps a field to one key only. Within a line the
header's rule holds: the exact key wins, and two keys naming a field but for case
(`"Success"` and `"SUCCESS"`, no `"success"`) are an error naming the line and both.

pyarrow's reader, given the fields' schema, ignores other keys: where a field's column
is read without a value in some row (the line lacks the key, or holds null), the file's
bytes are searched (RE2, a block at a time) for the field's name quoted in another case,
and where a line holds one as a key of its own (not of a nested object, `"meta":
{"Agent": "x"}`, nor beside the exact key) the standard-library reader reads the file,
whose records show their keys: its value is the field's, which the core judges (an
object under `"Agent"` is refused naming the line, the field and the value). A field
with a value in every row is not searched for: each line has its exact key, which
wins. A key is searched for as JSON may write it, with escapes:
`"\\u0053uccess"` is the key `Success` to both readers (and `"\\u0073uccess"` is
`success`, which pyarrow's reader reads as the exact key).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from usage_analytics.arrow_regex import match_regex
from usage_analytics.sources.base import FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.column_case import ascii_folded, other_case
from usage_analytics.sources.records import LoadedRecords, Record

__all__ = ["case_matched_records", "other_case_keys"]

#: The bytes of a file searched at a time (`other_case_keys`): RE2 is given slices of
#: the file mapped in memory, of whole lines, none larger than this and a line.
_BLOCK = 1 << 26
#: The bytes looked at a time for a block's last line break (`_line_end`).
_WINDOW = 1 << 16
#: The white space looked for between a key and its colon (`"Success" : true`).
_SPACES = 8


def other_case_keys(pa: Any, path: Path, table: Any, spec: TableSpec) -> bool:
    """Whether a record field that `spec` leaves to its own name, and whose column of
    `table` (read by pyarrow with the fields' schema) lacks a value in some row, may be
    written in the file `path` under a key of another case: its name quoted, and then a
    colon, `"Success":`, is there. (A column with a value in every row had its exact key
    in every line, which wins: a file of one spelling with every field in every line is
    not searched.) Where the bytes match, the lines matched are decoded: only a key of
    a line's own object, on a line without the exact key, sends the file to the
    standard reader (`_named_at_top_level`).
    (One pass of RE2 over the file mapped in memory, for all such fields: 0.12 s over
    115 MB, where Python's `re` took 0.75 s and a fold and count per field 1 s.)"""
    unmapped = [field for field in (PATTERN_ID, *FIELDS) if field not in spec.columns]
    empty = [
        field
        for field in unmapped
        if field not in table.column_names or table.column(field).null_count > 0
    ]
    if not empty:
        return False
    # (A key is followed by its colon: "error": "Timeout" is a value, whose match sent
    # the whole file to the standard reader.)
    pattern = '"(?:' + "|".join(map(_other_cases, empty)) + f')"\\s{{0,{_SPACES}}}:'
    with pa.memory_map(str(path)) as mapped:
        whole = mapped.read_buffer()
    for block in _line_blocks(whole):
        offsets = pa.py_buffer(struct.pack("<qq", 0, block.size))
        text = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, block])
        matched = match_regex(pa.compute, text, pattern)[0].as_py()
        if matched and _named_at_top_level(pa, text, pattern, empty):
            return True
    return False


def _line_blocks(whole: Any) -> Iterator[Any]:
    """The bytes `whole` as slices of whole lines, each of `_BLOCK` bytes or more (but the
    last): a key is never cut by a block's end (nor a line, which is decoded whole)."""
    start = 0
    while start < whole.size:
        end = _line_end(whole, min(start + _BLOCK, whole.size))
        yield whole.slice(start, end - start)
        start = end


def _line_end(whole: Any, at: int) -> int:
    """The end of the line of `whole` holding its byte before `at` (past its line break),
    or of `whole`; looked for a window of bytes at a time."""
    size: int = whole.size
    position = at - 1
    while position < size:
        window: bytes = whole.slice(position, min(_WINDOW, size - position)).to_pybytes()
        found = window.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(window)
    return size


def _named_at_top_level(pa: Any, text: Any, pattern: str, fields: list[str]) -> bool:
    """Whether a line of the block `text` (one binary value of whole lines) that
    `pattern` matches gives one of `fields` under a key of another case: a key of its
    object's own, not a nested object's (`"meta": {"Agent": "x"}`), on a line without
    the field's exact key (which wins). Those lines alone are decoded (by `json`,
    escapes and all); a line that is no JSON object is taken to (the standard reader
    then reads or refuses it). (Taken on the bytes' match alone, a nested key sent the
    whole file to the standard reader for the records pyarrow had read: BENCHMARKS.md,
    helper-223.)"""
    lines = pa.compute.split_pattern(text, b"\n").flatten()
    matched = pa.compute.indices_nonzero(match_regex(pa.compute, lines, pattern))
    folded = {ascii_folded(field): field for field in fields}
    for index in matched.to_pylist():
        try:
            record = json.loads(lines[index].as_py())
        except (ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError)
            return True
        if type(record) is not dict:
            return True
        for key in record:
            field = folded.get(ascii_folded(key))
            if field is not None and key != field and field not in record:
                return True
    return False


def _other_cases(field: str) -> str:
    """A regular expression of `field` in every case but its own (lower) as a JSON key
    writes it: the first upper-case letter at each place, those before it lower, those
    after it either, each character also as its JSON escape (`_written`)."""
    spellings = []
    for index, char in enumerate(field):
        if char.isalpha():
            before = "".join(_written(c) for c in field[:index])
            rest = "".join(_written(c, c.upper()) for c in field[index + 1 :])
            spellings.append(f"{before}{_written(char.upper())}{rest}")
    return "|".join(spellings)


def _written(*chars: str) -> str:
    """A regular expression of one of `chars` (ASCII letters or "_") as a JSON string
    may write it: itself, or its escape `\\u0053` (hex digits of either case). pyarrow's
    reader and `json` decode a key's escapes, so `"\\u0053uccess"` is the key `Success`:
    unsearched, its field stayed missing on this path and was read on the standard one."""
    forms = [re.escape(char) for char in chars]
    for char in chars:
        digits = f"{ord(char):04x}"
        forms.append("\\\\u" + "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits))
    return f"(?:{'|'.join(forms)})"


def case_matched_records(loaded: LoadedRecords, spec: TableSpec, where: str) -> LoadedRecords:
    """The records read by the standard-library reader (their keys mapped by `spec`),
    each line with each field that it has no key for exactly, and that `spec` leaves to
    its own name, taken from its one key naming it but for case (two are an error
    naming the line, `where` and its place, and both keys)."""
    unmapped = {field for field in (PATTERN_ID, *FIELDS) if field not in spec.columns}
    folded = {ascii_folded(field): field for field in unmapped}
    keys: dict[str, None] = {}
    for record in loaded.records:
        keys.update(dict.fromkeys(record))
    # The keys of the file that name a field but for case, each with the field it names.
    others = {key: folded[ascii_folded(key)] for key in keys if ascii_folded(key) in folded}
    others = {key: field for key, field in others.items() if key != field}
    if not others:
        return loaded
    records = [
        record
        if others.keys().isdisjoint(record)
        else _line_matched(record, others, f"{where}, {loaded.location_label(index)}")
        for index, record in enumerate(loaded.records)
    ]
    return replace(loaded, records=records)


def _line_matched(record: Record, others: dict[str, str], where: str) -> Record:
    """`record` (a line, at `where`) given each field it has no key for exactly from its
    one key of `others` (the file's keys naming a field but for case) naming it; its
    keys are kept as they are (other keys are ignored)."""
    matched = dict(record)
    for field in dict.fromkeys(others[key] for key in record if key in others):
        if field not in record:
            key = other_case(record, field, field, where)
            if key is not None:  # (always: a key of `others` naming the field is there)
                matched[field] = record[key]
    return matched
