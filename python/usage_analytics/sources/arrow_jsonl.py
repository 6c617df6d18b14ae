"""JSON Lines read by pyarrow's JSON reader, typed by record field exactly as the
standard-library reader of `records` types them (see `sources.files`).

pyarrow's reader holds one JSON type per column, and refuses a whole file for one value
of another (a string where a number belongs, an integer pattern id where the first id is
text). Such a file is read again in blocks of lines: a block pyarrow refuses is read in
pieces of lines, and a piece it refuses is decoded line by line by `json`. There, a
value its column cannot hold is missing in the table and kept aside as its JSON text
(`TextTable.odd`), and the core judges it as its record's value. Until then, one such
value sent the whole file to the standard reader, a dict per record: the dashboard of a
million lines took 9.2-9.7 s and 1.3 GB against 2.0-2.3 s and 455 MB without it
(BENCHMARKS.md). No data holding a line that is no object is ever handed to pyarrow
(`_only_objects`): its reader crashes the process on a block starting with `null`.
Where a piece holds what only that reader reports rightly (a line that is no JSON
object, a key given twice), the file is left to it (None), unless such lines are to be
skipped (`skip_unreadable`): they are then left out and kept (`TextTable.unreadable`),
each numbered as that reader numbers lines, and the rest stays on this path (a log
whose last line is still being written, cut short, is read as the others). Where such
values are in every piece, every line is decoded, as that reader would, into columns
rather than dicts (no slower than it, in less memory). Pattern ids group the rows and
are never kept aside: a file whose ids are of two types (text beside JSON integers) is
read again from its start with the ids as text, its integer ids quoted where pyarrow is
given them (`jsonl_text_ids`; until session 56 it went to the standard reader).

What is valid JSON is what the standard reader's `json` decodes (`records`), on this path
too: pyarrow's reader (RapidJSON) also takes `Inf`, `-Inf` and `-NaN`, integers of any
number of digits (as the float they round to, infinite past its range) and any nesting,
and does not check that text is UTF-8 where it reads no value, so the same file gave
other records, or none, on the two paths (a line `{..., "x": Inf}` was kept here and
"not valid JSON: Expecting value" there). Each file is searched for them as its lines
are counted (`_OddJsonSearch`: bytes searched in C, without decoding; a file of a
million lines in 50-70 ms of CPU more, BENCHMARKS.md), and where one may be, it is read
in blocks, and a piece where one may be is decoded by `json` rather than offered to
pyarrow, as a piece pyarrow refuses is: its lines are then read, refused or left out as
the standard reader does them, with its messages. The search may take text for such a
value (`"Info"` it does not, `": Inf"` it does): that piece is then only read slower.
A table pyarrow read holding an infinite number is taken as refused too (`_has_infinity`):
an integer past a float's range is the integer it is to the standard reader, which the
core calls "too large to be a number", and is kept so here (`_number`), not as "inf".
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.extras import load_pyarrow_module
from usage_analytics.sources.arrow_text import TextTable, not_utf8, odd_columns
from usage_analytics.sources.base import FIELDS, FLAG_FIELDS, NUMBER_FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.jsonl_numbers import bad_integers_aside
from usage_analytics.sources.jsonl_text_ids import id_text, integer_ids_quoted
from usage_analytics.sources.odd_cells import json_text_value
from usage_analytics.sources.records import (
    MAX_JSON_DEPTH,
    UnreadableLine,
    UnreadableLines,
    decode_json_line,
    json_line_value,
    jsonl_record_lines,
    renamer,
)
from usage_analytics.sources.short_room import arrow_threads_allowed

__all__ = ["read_jsonl_arrow"]


def read_jsonl_arrow(
    pa: Any, path: Path, spec: TableSpec, skip_unreadable: bool = False
) -> TextTable | None:
    """JSON Lines through pyarrow with the record fields' types; None where the
    standard-library reader decides. With `skip_unreadable`, lines that hold no record
    are left out where pyarrow refuses them (see the module docstring)."""
    pajson = load_pyarrow_module("pyarrow.json")

    if path.stat().st_size == 0:
        return None
    types = _field_types(pa, path, spec)
    if len({spec.column(name) for name in types}) < len(types):
        return None  # a key feeds two fields: the standard reader copies it to both
    search = _OddJsonSearch()
    lines, objects = _record_lines(path, search=search)
    skipping = _Skipping(spec) if skip_unreadable else None
    if lines != objects and skipping is None:
        return None  # a line that is no object: the standard reader names it
    schema = pa.schema([(spec.column(name), kind) for name, kind in types.items()])
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    odd: dict[str, Any] = {}
    try:
        if lines != objects:  # (never handed to pyarrow: `_only_objects`)
            raise pa.ArrowInvalid("a line is no JSON object")
        if skipping is not None and not _ends_a_line(path):
            # A last line without its ending, one being written, is likely cut short:
            # pyarrow would refuse the file only once it had read all of it, then read
            # again in blocks (a million lines, 150 MB, a cut last line: read so in
            # 4.8-5.5 s, in blocks at once 3.1-3.9 s, machine loaded; BENCHMARKS.md).
            raise pa.ArrowInvalid("the last line has no line ending")
        if search.found:
            raise pa.ArrowInvalid("a line may hold what only pyarrow's reader takes")
        table = pajson.read_json(path, parse_options=options, read_options=_read_options(pajson))
        if skipping is not None and _has_empty_row(pa, table, ()):
            raise pa.ArrowInvalid("a row of nulls")  # (`_read_in_blocks`)
        if _has_infinity(pa, table):
            raise pa.ArrowInvalid("an infinite number")  # (`_arrow_table`)
    except pa.ArrowInvalid:
        try:
            read = _read_in_blocks(
                pa, path, options, spec.column(PATTERN_ID), skipping, search=search.found
            )
        except _IdsOfTwoTypes:
            # (Read again from the start, the ids as text: `jsonl_text_ids`.)
            quote = integer_ids_quoted(spec.column(PATTERN_ID))
            if quote is None:
                return None
            types[PATTERN_ID] = pa.string()
            schema = pa.schema([(spec.column(name), kind) for name, kind in types.items()])
            options = pajson.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            )
            skipping = _Skipping(spec) if skip_unreadable else None
            read = _read_in_blocks(
                pa, path, options, spec.column(PATTERN_ID), skipping, search.found, quote
            )
        if read is None:
            return None
        table, odd = read
    if skipping is not None:  # (the lines left out, as `_record_lines` counts them)
        lines, objects = lines - len(skipping.lines), objects - skipping.objects
    if not_utf8(pa, table) is not None:
        return None  # pyarrow's JSON reader does not check: the standard one names the line
    if not table.num_rows == lines == objects or _has_empty_row(pa, table, odd.values()):
        # pyarrow reads two objects on one line, an object over several lines, and a
        # `null` after an object as a row of nulls (as it reads `{}`): the standard reader
        # refuses them, naming the line (and reads `{}` as a record without fields).
        return None
    names = {spec.column(name): name for name in types}

    def record_lines() -> Sequence[int]:
        found = jsonl_record_lines(path, skip_unreadable=skipping is not None)
        return found if skipping is None else skipping.lines.others(found)

    table, odd = bad_integers_aside(
        pa, path, table, odd, names, record_lines, skip_unreadable=skipping is not None
    )
    return TextTable(
        table.rename_columns(list(types)),
        {names[key]: column for key, column in odd.items()},
        parse=json_text_value,
        unreadable=None if skipping is None else skipping.lines,
    )


def _field_types(pa: Any, path: Path, spec: TableSpec) -> dict[str, Any]:
    """The Arrow type of each record field's column: where a field may be written as a
    JSON integer (a pattern id or a flag, as SQLite's ids and 0/1 booleans are
    exported), as its first value in the file is (integers are then read from every
    line; the core judges integer flags 0/1 or invalid), else the field's type."""
    either = [PATTERN_ID, *FLAG_FIELDS]
    first = _first_values(path, [spec.column(name) for name in either])
    integers = {name for name in either if type(first.get(spec.column(name))) is int}
    types: dict[str, Any] = {
        PATTERN_ID: pa.int64() if PATTERN_ID in integers else pa.string(),
        "timestamp": pa.string(),
    }
    for name in FIELDS[1:]:
        if name in FLAG_FIELDS:
            types[name] = pa.int64() if name in integers else pa.bool_()
        elif name in NUMBER_FIELDS:
            types[name] = pa.float64()
        else:
            types[name] = pa.string()
    return types


#: The lines `_first_values` looks at, at most.
_FIRST_LINES = 1000


def _first_values(path: Path, keys: Sequence[str]) -> dict[str, Any]:
    """The first value other than null of each of `keys` in the file's first lines that
    give one (up to `_FIRST_LINES` lines; lines that are no JSON object are passed over:
    the readers report them).

    Only the lines that may hold a key not yet found are decoded (`_next_line_holding`):
    fields absent from the records (a directory's files without `timeout`) had each
    file's first 1,000 lines decoded, most of a directory's CPU time over one file's
    (3.6 ms a file of 10,000 records, now 0.5 ms: BENCHMARKS.md)."""
    found: dict[str, Any] = {}
    with path.open("rb") as file:
        lines = (line for line in file if line.strip(_BLANK + b"\n"))
        for block in _blocks_of_lines(itertools.islice(lines, _FIRST_LINES)):
            _add_first_values(block, keys, found)
            if len(found) == len(keys):
                break
    return found


#: The bytes of lines `_first_values` searches at once (a longer line is searched alone).
_SEARCHED_BYTES = 1 << 20


def _blocks_of_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    """`lines` (each ended by \n but the file's last) joined in blocks of about
    `_SEARCHED_BYTES` (what is held at once: lines may be long)."""
    block: list[bytes] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= _SEARCHED_BYTES:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)


def _add_first_values(block: bytes, keys: Sequence[str], found: dict[str, Any]) -> None:
    """Add to `found` the first value other than null in the lines of `block` of each of
    `keys` it lacks, decoding only the lines that may hold one of those."""
    start = 0
    while len(found) < len(keys):
        at = _next_line_holding(block, start, [_quoted(key) for key in keys if key not in found])
        if at is None:
            return
        line_start = block.rfind(b"\n", 0, at) + 1
        start = block.find(b"\n", at) + 1 or len(block)
        try:
            record = json.loads(block[line_start:start])
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            for key in keys:
                if key not in found and record.get(key) is not None:
                    found[key] = record[key]


def _quoted(key: str) -> bytes:
    """A key as JSON text written without escapes: `"timeout"`."""
    return b'"' + key.encode("utf-8", "backslashreplace") + b'"'


#: Bytes a line may write any key with (`_next_line_holding`): an escape (a key may be
#: written `"\\u0074imeout"`), a NUL byte (`json.loads` reads UTF-16 and UTF-32 too).
_ANY_KEY = (b"\\", b"\x00")


def _next_line_holding(block: bytes, start: int, quoted: Sequence[bytes]) -> int | None:
    """Where in `block` from `start` the first line that may hold one of the keys `quoted`
    (`_quoted`) has one of them or of `_ANY_KEY`; None where no line may: a line holds a
    key only where it has its text as `_quoted` writes it, or one of `_ANY_KEY`. (Searched
    in C, each text only before the first found so far: a file's first 1,000 lines, none
    holding the keys, in about 0.2 ms.)"""
    first = len(block)
    for text in (*_ANY_KEY, *quoted):
        # (A text starting before `first`, as a line holding a key starts before it.)
        place = block.find(text, start, first + len(text) - 1)
        if place >= 0:
            first = place
    return first if first < len(block) else None


# ------------------------------------------------------------- values of another type

#: Bytes read at once where the file as a whole was refused, cut at a line's end.
_BLOCK_BYTES = 1 << 23
#: Lines read by pyarrow, or else decoded by `json`, at once in a block pyarrow refused.
#: (pyarrow's reader costs about half a millisecond a call, whatever its size.)
_PIECE_LINES = 1024


class _Skipping:
    """A read that leaves out the lines holding no record: what `json_line_value` needs
    to tell them, and those found (`lines`), of which `objects` start with `{`."""

    def __init__(self, spec: TableSpec) -> None:
        self.rename = renamer(spec.columns)
        self.id_key = spec.column(PATTERN_ID)
        self.lines = UnreadableLines()
        self.objects = 0

    def add(self, number: int, reason: str, line: bytes) -> None:
        self.lines.add(number, reason)
        self.objects += line.translate(None, _BLANK)[:1] == b"{"


def _read_in_blocks(
    pa: Any,
    path: Path,
    options: Any,
    id_key: str,
    skipping: _Skipping | None = None,
    search: bool = True,
    quote_ids: Callable[[bytes], bytes] | None = None,
) -> tuple[Any, dict[str, Any]] | None:
    """The file read in blocks (see the module's docstring): its table, and by column
    key the JSON text of each value its column cannot hold (a string array as long as
    the table, missing elsewhere); None if the standard reader must read the file.
    `id_key` is the pattern id's column (`_table_of`); `skipping`, lines that hold no
    record are left out and kept there. Where `search`, blocks and pieces that may hold
    what only pyarrow's reader takes (`_odd_json`) are never offered to it (without, the
    file was searched whole and holds none). With `quote_ids` (`jsonl_text_ids`), the ids
    are a column of text: the data offered to pyarrow has its integer ids quoted so, and
    a decoded piece's ids of other types are their pattern's text; without, a piece of
    ids of two types raises `_IdsOfTwoTypes`."""
    tables: list[Any] = []
    odd: list[dict[str, Any]] = []
    line = 1  # the block's first line, as `read_jsonl` numbers lines
    # (Skipping, a table with a row of nulls is taken as refused: pyarrow reads a `null`
    # after an object on its line so, as it reads `{}`, and only `json` tells them apart.)
    table_of = partial(_arrow_table, skip_nulls=skipping is not None, quote=quote_ids)
    ids_as_text = quote_ids is not None
    # A block is offered to pyarrow whole unless a piece of the one before it was
    # refused, and its pieces each unless most of a refused block's were refused: where
    # values of another type are all over the file, each such offer is a wasted read.
    # (Where a block's pieces were all taken, the next is offered whole again: a `null`
    # first line kept a million lines in pieces to the end, 984 reads; now 127, and the
    # dashboard skipping took 5.1-5.3 s, now 3.3-3.6, the file without it 2.5-2.7.)
    offer_block = offer_pieces = True
    for block in _blocks(path):
        suspect = search and _odd_json(block)
        whole = table_of(pa, block, options) if offer_block and not suspect else None
        first, line = line, line + _line_count(block)
        if whole is not None:
            tables.append(whole)
            odd.append({})
            continue
        pieces = _pieces(block)
        refused = 0
        for index, piece in enumerate(pieces):
            # (A piece not offered as it may hold what only pyarrow takes is no refusal.)
            odd_json = suspect and _odd_json(piece)
            table = table_of(pa, piece, options) if offer_pieces and not odd_json else None
            held: dict[str, Any] = {}
            if table is None:
                refused += not odd_json
                # (Only the file's first piece may start with a byte order mark.)
                decoded = _decoded(pa, piece, options, id_key, not tables, ids_as_text)
                if decoded is None and skipping is not None:
                    # (Only the file's last line may lack its line ending.)
                    ended = block.endswith(b"\n") or index < len(pieces) - 1
                    decoded = _decoded_skipping(
                        pa, piece, options, not tables, first, ended, skipping, ids_as_text
                    )
                if decoded is None:
                    return None
                table, held = decoded
            tables.append(table)
            odd.append(held)
            first += _line_count(piece + b"\n")  # (with the line ending the piece)
        offer_block = refused == 0
        offer_pieces = offer_pieces and 2 * refused <= len(pieces)
    if not tables:
        return options.explicit_schema.empty_table(), {}
    return pa.concat_tables(tables), odd_columns(pa, tables, odd)


def _only_objects(data: bytes) -> bool:
    """Whether every line of `data` holding more than blanks opens a JSON object (lines
    ended by \n or \r, as pyarrow's reader splits data into blocks). Other data is never
    handed to that reader: pyarrow 26.0.1's crashes the process (a segmentation fault) on a
    block that starts with `null`, and a block may start at any line."""
    lines, objects = _line_starts(data.removeprefix(codecs.BOM_UTF8))
    return lines == objects


def _line_starts(data: bytes) -> tuple[int, int]:
    """The lines of `data` holding more than ASCII blanks (ended by \n or \r), and how
    many of them start with `{` after those blanks."""
    text = data.replace(b"\r", b"\n").translate(None, _BLANK)
    lines = text.split(b"\n")
    return len(lines) - lines.count(b""), text.count(b"\n{") + text.startswith(b"{")


def _ends_a_line(path: Path) -> bool:
    """Whether the file's last byte ends a line (or the file is empty)."""
    with path.open("rb") as file:
        if file.seek(0, 2) == 0:
            return True
        file.seek(-1, 2)
        return file.read(1) in (b"\n", b"\r")


def _line_count(data: bytes) -> int:
    """The line endings in `data` as `read_jsonl`'s text reader takes them: \n, \r\n, and
    a lone \r."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines (the last may lack its line ending)."""
    rest = b""
    with path.open("rb") as file:
        while chunk := file.read(_BLOCK_BYTES):
            chunk = rest + chunk
            end = chunk.rfind(b"\n") + 1
            if end == 0:
                rest = chunk
                continue
            rest = chunk[end:]
            yield chunk[:end]
    if rest:
        yield rest


def _pieces(block: bytes) -> list[bytes]:
    """`block` in pieces of `_PIECE_LINES` lines."""
    lines = block.split(b"\n")
    if not lines[-1]:
        lines.pop()  # (what follows the last line ending)
    return [
        b"\n".join(lines[start : start + _PIECE_LINES])
        for start in range(0, len(lines), _PIECE_LINES)
    ]


def _arrow_table(
    pa: Any,
    data: bytes,
    options: Any,
    skip_nulls: bool = False,
    quote: Callable[[bytes], bytes] | None = None,
) -> Any | None:
    """`data` read by pyarrow; None where it refuses it, where it would be given a line
    that is no object (`_only_objects`), where `skip_nulls` and a row has no value, and
    where a number is infinite (`_has_infinity`). `quote` rewrites the data pyarrow is
    given (`jsonl_text_ids`)."""
    pajson = load_pyarrow_module("pyarrow.json")

    if not _only_objects(data):
        return None
    if quote is not None:
        data = quote(data)
    try:
        table = pajson.read_json(
            pa.BufferReader(data), parse_options=options, read_options=_read_options(pajson)
        )
    except pa.ArrowInvalid:
        return None
    if skip_nulls and _has_empty_row(pa, table, ()):
        return None
    return None if _has_infinity(pa, table) else table


def _decoded(
    pa: Any, piece: bytes, options: Any, id_key: str, at_start: bool, ids_as_text: bool = False
) -> tuple[Any, dict[str, Any]] | None:
    """The lines of `piece` decoded by `json` into the table pyarrow would make of them,
    a value its column cannot hold missing there and its JSON text kept by column key
    (only keys with such a value); None where the standard reader decides (a line that
    is no JSON object, a key given twice, a line ended by a lone carriage return, which
    it takes for two lines, or text that is not UTF-8). `ids_as_text`: see `_table_of`."""
    try:
        text = piece.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if at_start:
        text = text.removeprefix("\ufeff")  # (a byte order mark, as `read_jsonl` skips it)
    lines = [line for line in text.split("\n") if line.strip()]
    if any("\r" in line.rstrip("\r") for line in lines):
        return None
    try:
        records = [decode_json_line(line) for line in lines]
    except (ValueError, RecursionError):
        return None
    if any(type(record) is not dict for record in records):  # (or giving a key twice)
        return None
    return _table_of(pa, records, options, id_key, ids_as_text)


def _decoded_skipping(
    pa: Any,
    piece: bytes,
    options: Any,
    at_start: bool,
    first: int,
    ended: bool,
    skipping: _Skipping,
    ids_as_text: bool = False,
) -> tuple[Any, dict[str, Any]] | None:
    """`_decoded`, the lines that hold no record (`json_line_value`) left out and kept in
    `skipping`: `first` is the number of the piece's first line, and `ended` whether its
    last line has a line ending (only the file's last may not: a line still written)."""
    lines = piece.split(b"\n")
    if at_start:
        lines[0] = lines[0].removeprefix(codecs.BOM_UTF8)
    records = []
    number = first
    for index, raw in enumerate(lines):
        # (Bytes that are not UTF-8 as lone surrogates, which `json_line_value` refuses.)
        line = raw.decode("utf-8", "surrogateescape")
        if "\r" in line.rstrip("\r"):
            return None  # (two lines to the standard reader, even blank: it numbers them)
        # Carriage returns ending the line: each is a line for the standard reader but
        # the one before \n ("x\r\r\n" is the line "x\r" and a blank line "\r\n").
        here, number = number, number + 1 + line.count("\r") - line.endswith("\r")
        if not line.strip():
            continue
        ending = "\n" if ended or index < len(lines) - 1 else ""
        try:
            value = json_line_value(
                line + ending, skipping.rename, skipping.id_key, check_text=True
            )
        except UnreadableLine as error:
            skipping.add(here, str(error), raw)
            continue
        if type(value) is not dict:  # (a key given twice, none a record field's)
            return None
        records.append(value)
    return _table_of(pa, records, options, skipping.id_key, ids_as_text)


def _table_of(
    pa: Any, records: list[dict[str, Any]], options: Any, id_key: str, ids_as_text: bool = False
) -> tuple[Any, dict[str, Any]] | None:
    """Decoded JSON objects as the table pyarrow would make of them, and the JSON text of
    the values their columns cannot hold (see `_decoded`); None where the standard
    reader decides. `id_key` is the pattern id's column, the file's key for it (a
    mapped one too: `pattern_id` may be another field's there). Ids of another type
    than their column's raise `_IdsOfTwoTypes`, or, `ids_as_text` (a column of text),
    are their pattern's text (`id_text`); ids that name no pattern (an object, a list)
    are the standard reader's to name (None)."""
    columns, held = {}, {}
    for field in options.explicit_schema:
        values, odd = _fitted(pa, field.type, [record.get(field.name) for record in records])
        if odd is not None and field.name == id_key:
            # (Ids group the rows: never kept aside.)
            try:
                texts = [id_text(record.get(id_key)) for record in records]
            except TypeError:
                return None
            if not ids_as_text:
                raise _IdsOfTwoTypes
            values, odd = texts, None
        if odd is not None:
            held[field.name] = pa.array(odd, pa.string())
        columns[field.name] = values
    try:
        table = pa.table(columns, schema=options.explicit_schema)
    except (pa.ArrowInvalid, UnicodeEncodeError):  # (a lone surrogate, from a \u escape)
        return None
    return table, held


def _fitted(pa: Any, kind: Any, values: list[Any]) -> tuple[list[Any], list[str | None] | None]:
    """Decoded JSON `values` as a column of type `kind` holds them (`_fitting`), and the
    JSON text of those it cannot hold, None elsewhere (None if there are none)."""
    fit = _fitting(pa, kind)
    if set(map(type, values)) <= _HELD[fit]:
        return values, None  # (the usual piece: only one value of it is of another type)
    fitted = [fit(value) for value in values]
    if all(value is not _ODD for value in fitted):
        return fitted, None
    odd = [
        json.dumps(value) if done is _ODD else None
        for value, done in zip(values, fitted, strict=True)
    ]
    return [None if value is _ODD else value for value in fitted], odd


#: A value its column cannot hold (`_fitting`).
_ODD = object()


class _IdsOfTwoTypes(Exception):
    """Pattern ids of other types than their column's in a file read with the type of its
    first id: to be read again with ids as text (`read_jsonl_arrow`)."""


def _fitting(pa: Any, kind: Any) -> Callable[[Any], Any]:
    """The function giving a decoded JSON value as a column of type `kind` holds it, as
    pyarrow's reader reads it; `_ODD` where that reader refuses it."""
    if pa.types.is_boolean(kind):
        return _flag
    if pa.types.is_integer(kind):
        return _integer
    if pa.types.is_floating(kind):
        return _number
    return _text


def _text(value: Any) -> Any:
    return value if value is None or type(value) is str else _ODD


def _flag(value: Any) -> Any:
    return value if value is None or type(value) is bool else _ODD


def _integer(value: Any) -> Any:
    fits = value is None or (type(value) is int and -(1 << 63) <= value < 1 << 63)
    return value if fits else _ODD


def _number(value: Any) -> Any:
    """A float column holds an integer as the float nearest it, as pyarrow's reader does,
    but one beyond a float's range: pyarrow reads it as infinite, and the core judged it
    so ("= inf: must be a finite number"), where the standard reader hands it over as
    the integer it is ("is too large to be a number"), as it is kept here."""
    if value is None or type(value) is float:
        return value
    if type(value) is not int:
        return _ODD
    try:
        return float(value)
    except OverflowError:
        return _ODD


#: The types of the values each `_fitting` function gives as they are (an integer column
#: none: their range is checked).
_HELD: dict[Callable[[Any], Any], set[type]] = {
    _text: {str, type(None)},
    _flag: {bool, type(None)},
    _number: {float, type(None)},
    _integer: set(),
}


# ------------------------------------------------------------------------------ checks

#: The bytes a blank line may hold besides its newline (ASCII whitespace).
_BLANK = b" \t\r\x0b\x0c"


def _record_lines(
    path: Path, chunk_size: int = 1 << 24, search: _OddJsonSearch | None = None
) -> tuple[int, int]:
    """The lines of a file holding something other than ASCII whitespace, ended by \n or
    \r (as the standard reader and pyarrow's end them), and how many of them start with
    `{` (in chunks, each stripped of that whitespace by C code; a line is classed in the
    chunk holding its first other byte). Each chunk is given to `search` too."""
    lines = objects = 0
    inside = False  # the previous chunk ended inside a line already counted
    with path.open("rb") as file:
        # (A byte order mark at the start is no part of the first line, for either reader.)
        start = file.read(len(codecs.BOM_UTF8))
        file.seek(len(start) if start == codecs.BOM_UTF8 else 0)
        while chunk := file.read(chunk_size):
            if search is not None:
                search.add(chunk)
            segments = chunk.replace(b"\r", b"\n").translate(None, _BLANK).split(b"\n")
            if inside and segments[0]:
                segments[0] = b""  # the rest of that line
            lines += len(segments) - segments.count(b"")
            objects += sum(1 for segment in segments if segment[:1] == b"{")
            inside = bool(segments[-1]) or (inside and len(segments) == 1)
    if search is not None:
        search.end()
    return lines, objects


def _has_infinity(pa: Any, table: Any) -> bool:
    """Whether a number of `table` is infinite: written `Infinity`, or an integer beyond
    a float's range, which pyarrow's reader reads so and the standard reader does not
    (`_number`). Its data is decoded by `json` (a million rows holding none: checked in
    about 4 ms)."""
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_floating(field.type) and pa.compute.any(pa.compute.is_inf(column)).as_py():
            return True
    return False


def _has_empty_row(pa: Any, table: Any, odd: Iterable[Any]) -> bool:
    """Whether a row of `table` has no value at all, in the table or among the values it
    cannot hold (`odd`, columns as long as the table)."""
    empty = None
    for column in [*table.columns, *odd]:
        missing = pa.compute.is_null(column)
        empty = missing if empty is None else pa.compute.and_(empty, missing)
    return empty is not None and bool(pa.compute.any(empty).as_py())


# -------------------------------------------------------- what only pyarrow's reader takes


class _OddJsonSearch:
    """A file's bytes, given in chunks of any size (`add`, then `end`), searched for what
    pyarrow's reader may take where `json` refuses it (`_odd_json`), line by line: `found`
    once some line may hold it (the chunks after are not searched)."""

    def __init__(self) -> None:
        self.found = False
        self._rest: list[bytes] = []  # the start of a line the chunks so far have not ended

    def add(self, chunk: bytes) -> None:
        if self.found:
            return
        first = chunk.find(b"\n") + 1
        if first == 0:
            self._rest.append(chunk)
            return
        # (The line the chunk ends, then the chunk's own lines where they are: a chunk's
        # copy took as long as its search.)
        last = chunk.rfind(b"\n") + 1
        self.found = _odd_json(b"".join([*self._rest, chunk[:first]])) or _odd_json(
            chunk, first, last
        )
        self._rest = [chunk[last:]]

    def end(self) -> None:
        if not self.found:
            self.found = _odd_json(b"".join(self._rest))
        self._rest = []


def _odd_json(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """Whether whole lines `data[start:end]` may hold what pyarrow's reader takes and
    `json` (the standard reader) refuses: bytes that are not UTF-8, the tokens `Inf`,
    `-Inf`, `-NaN` (`_inf_or_minus_nan`), or, on a long line (`_long_lines`), more opening
    brackets than a line may nest levels (`MAX_JSON_DEPTH`) or a run of more digits than
    Python makes an integer of. It may be said of lines that hold none (a token's letters
    in text, many arrays side by side): they are then decoded by `json`, only slower."""
    end = len(data) if end is None else end
    if not data.isascii():  # (all of it: fast, and a chunk's ends are short)
        try:
            str(memoryview(data)[start:end], "utf-8")
        except UnicodeDecodeError:
            return True
    if _inf_or_minus_nan(data, start, end):
        return True
    # A line nested deeper than `MAX_JSON_DEPTH` is longer than twice that (`[[]]`), or
    # five times without arrays (`{"":{"":1}}`); one holding a number of more digits, than
    # those. (Fewer lines looked at are fewer steps: `_long_lines`.)
    digits = sys.get_int_max_str_digits()  # (0: no limit)
    width = (2 if data.find(b"[", start, end) >= 0 else 5) * MAX_JSON_DEPTH
    if digits:
        width = min(width, digits + 1)
    return any(
        _odd_long_line(line, digits)
        for long in _long_lines(data, width, start, end)
        # (Lines ended by \r alone, as both readers end them too: a file of them is one
        # long line to `_long_lines`.)
        for line in (long.split(b"\r") if b"\r" in long else [long])
        if len(line) >= width
    )


#: `Inf` and `-NaN` as pyarrow's reader takes them (`_inf_or_minus_nan`): not followed by
#: a letter, a digit or `_` (`Infinity`, which `json` takes too, is followed by `inity`).
_TOKENS = {b"I": re.compile(rb"Inf(?!\w)"), b"N": re.compile(rb"-NaN(?!\w)")}
#: What may come before such a token (or its minus): JSON's blanks, `:`, `,` and `[`.
_BEFORE_A_VALUE = frozenset(b" \t\r\n:,[")


def _inf_or_minus_nan(data: bytes, start: int, end: int) -> bool:
    """Whether `data[start:end]` may hold `Inf`, `-Inf` or `-NaN` as values: pyarrow's
    reader (RapidJSON) takes them, besides the `NaN`, `Infinity` and `-Infinity` that
    `json` takes too (pyarrow 26.0.1; it refuses `inf`, `nan`, `+Inf` and other
    spellings, as `json` does). Most files hold no I or N outside their text (`memchr`
    tells it); where one does, the tokens are searched for (`_TOKENS`), and one is taken
    for a value where what comes before it may come before a value."""
    for letter, token in _TOKENS.items():
        if data.find(letter, start, end) < 0:
            continue
        for found in token.finditer(data, start, end):
            at = found.start() - (data[found.start() - 1 : found.start()] == b"-")
            if at == 0 or data[at - 1] in _BEFORE_A_VALUE:
                return True
    return False


def _long_lines(data: bytes, width: int, start: int, end: int) -> Iterator[bytes]:
    """The lines of `data[start:end]` (ended by \n) of `width` bytes or more. Each step
    finds the last line ending among the next `width` bytes (`memrchr`): the lines ended
    there are shorter; where there is none, the line starting there is long."""
    while end - start >= width:
        last = data.rfind(b"\n", start, start + width)
        if last >= 0:
            start = last + 1
            continue
        stop = data.find(b"\n", start, end)
        stop = end if stop < 0 else stop
        yield data[start:stop]
        start = stop + 1


#: Digits as 0, other bytes as they are (`_odd_long_line`).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _odd_long_line(line: bytes, digits: int) -> bool:
    """Whether `line` opens more arrays and objects than `MAX_JSON_DEPTH` (it may nest
    them deeper), or holds a run of more than `digits` digits (an integer `json` refuses;
    0: no limit)."""
    if line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH:
        return True
    return digits > 0 and b"0" * (digits + 1) in line.translate(_DIGITS_AS_ZERO)


def _read_options(pajson: Any) -> Any:
    """pyarrow's JSON reading options: without its threads under an address-space limit
    (`short_room`)."""
    return pajson.ReadOptions(use_threads=arrow_threads_allowed())
