"""Record files as lists of dicts: read JSON Lines and CSV (and write those and Parquet).

    records = load_records("executions.jsonl")      # list of dicts, file order

These readers need nothing but the standard library. They define what a record of a
text file *is*; `usage_analytics.sources.files` reads the same files faster with pyarrow
when it is installed and falls back to these readers when a file has values pyarrow's
types cannot hold as written (so the core judges them as records).

One reader per format, chosen by the file's extension from `READERS`. Readers do not
validate records: the core does, and reports a bad one by index, field, value and
reason. `LoadedRecords.locations` maps each record back to where it came from
("line 12"), so that report can point into the file.

CSV cells are typed by column name, never guessed from the text (an agent called "1"
stays a str): booleans (`success`, `quality_gates_passed`, `timeout`) from true/false,
t/f, yes/no, y/n or 1/0 in any case, numbers (`execution_time_ms`, `quality_score`) in
`number_text`'s grammar, a decimal number ("1_000" is none), by `float()` (an integer's
text with `int()`, the same number, so that a bad one is shown as written: -1, not
-1.0), everything else, timestamps included, stays a str. An empty cell
is a missing field. A cell that does not convert stays as written, so the core reports it
as invalid.
A row with fewer cells than the header has its last fields missing, as pandas and
`csv.DictReader` read it; a row with more is an error, as there it names no column.

A line that holds no record (such a row, a JSON line that is no object or not JSON, as
the cut last line of a log still being written is) is an error naming it, or, read with
`skip_unreadable`, left out and kept in `LoadedRecords.unreadable` (`UnreadableLines`).

What is valid JSON is what Python's `json` decodes (`decode_json_line`), whichever reader
reads the file: `NaN`, `Infinity` and `-Infinity` are read, and `Inf`, `-Inf`, `-NaN`
(which pyarrow's reader takes) are not; an integer of more digits than Python converts
(4,300 unless `sys.set_int_max_str_digits` says otherwise) is "not valid JSON: a number
has too many digits", as `json` refuses it (it is valid JSON, but a record holding one is
corrupt rather than data, and reading it as some number would read a bad line as a
good one); and a line nested more than `MAX_JSON_DEPTH` (500) levels deep is "not valid
JSON: nested too deeply". `json` itself stops at Python's recursion limit, less the
frames of whatever called it (about 990 levels from the CLI, fewer from deeper code, other
limits from Python 3.12), so the same line was read or refused depending on where it
was read: the limit is now the same everywhere, well within Python's.
"""

from __future__ import annotations

import csv
import itertools
import json
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TextIO
from uuid import UUID

from usage_analytics.extras import load_pyarrow_module, require_pyarrow
from usage_analytics.out_of_memory import raise_if_out_of_memory
from usage_analytics.sources.base import (
    FIELDS,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    PATTERN_ID,
    SourceError,
    SourceUnavailableError,
    Unreadable,
    UnsupportedSourceError,
    is_utf8_text,
    pattern_id_text,
    typed_text,
)
from usage_analytics.sources.jsonl_written import as_written, has_bad_double

__all__ = [
    "READERS",
    "WRITERS",
    "LoadedRecords",
    "SourceError",
    "SourceUnavailableError",
    "UnsupportedSourceError",
    "int_as_double",
    "load_records",
    "plain_scalar",
    "read_records",
    "save_records",
]

Record = dict[str, Any]

BOOLEAN_FIELDS = FLAG_FIELDS

#: A column mapping, record field -> the file's name for it (see `TableSpec.columns`).
Columns = Mapping[str, str]

#: Column order for written files; other keys follow in first-seen order.
_CSV_COLUMNS = (PATTERN_ID, *FIELDS)


@dataclass(frozen=True)
class LoadedRecords:
    """Records in file order, and where each came from (`location_label(i)`)."""

    records: list[Record]
    #: Per record, its 1-based position in the file, counted in `unit`s.
    locations: Sequence[int]
    unit: str = "line"
    #: The lines left out as holding no record (read with `skip_unreadable`), else None.
    unreadable: UnreadableLines | None = None

    def location_label(self, index: int) -> str:
        """Where record `index` came from, e.g. "line 12"."""
        return f"{self.unit} {self.locations[index]}"


class UnreadableLines:
    """The lines of a text file left out as holding no record, where a reader skips them
    (`skip_unreadable`: a JSON line that is no object, a CSV row of more cells than the
    header names): each one's number, by which the other records are numbered without
    them, and the first one's reason, which a report names."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.first: tuple[int, str] | None = None

    def add(self, line: int, reason: str) -> None:
        self.lines.append(line)
        if self.first is None or line < self.first[0]:
            self.first = (line, reason)

    def __len__(self) -> int:
        return len(self.lines)

    def summary(self) -> Unreadable:
        if self.first is None:
            return Unreadable(0)
        return Unreadable(len(self.lines), *self.first)

    def others(self, lines: Sequence[int]) -> Sequence[int]:
        """`lines`, the lines of a file's records and of these, without these."""
        if not self.lines:
            return lines
        left_out = set(self.lines)
        return array("q", (line for line in lines if line not in left_out))


class UnreadableLine(ValueError):
    """A line (a CSV row) that holds no record; its message is the reason, which a
    reader prefixes with the file and line."""


class Reader(Protocol):
    """A format's reader: `read_jsonl`, `read_csv`."""

    def __call__(
        self, path: Path, columns: Columns, *, skip_unreadable: bool = False
    ) -> LoadedRecords: ...


Writer = Callable[[Path, Iterable[Mapping[str, Any]]], None]


def _open_text(path: Path, encoding: str = "utf-8", errors: str = "strict") -> TextIO:
    try:
        return path.open(encoding=encoding, newline="", errors=errors)
    except FileNotFoundError:
        raise SourceUnavailableError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceUnavailableError(f"{path}: is a directory, not a record file") from None
    except OSError as error:
        raise_if_out_of_memory(error, f"opening {path}")
        raise SourceUnavailableError(f"{path}: cannot open: {error.strerror or error}") from None


def renamer(columns: Columns) -> Callable[[str], list[str]]:
    """The record fields a file's column (key) holds under the mapping `columns`: the
    fields mapped to it (one column may feed several, say `context_type` and `project`),
    and its own name unless the mapping takes that field from another column (the
    original is then ignored). A column mapped to another field keeps feeding its own:
    with `project=agent`, the `agent` column is the agent and the project, as a
    database's column is."""
    mapped: dict[str, list[str]] = {}
    for name, column in columns.items():
        if column != name:
            mapped.setdefault(column, []).append(name)
    replaced = {name for name, column in columns.items() if column != name}

    def rename(key: str) -> list[str]:
        fields = mapped.get(key, [])
        return fields if key in replaced or key in fields else [*fields, key]

    return rename


def _renamed(record: dict[str, Any], rename: Callable[[str], list[str]]) -> Record:
    renamed: Record = {}
    for key, value in record.items():
        for name in rename(key):
            renamed[name] = value
    return renamed


#: What a JSON error on a file's unended last line adds (`read_jsonl`).
_CUT_SHORT = "; the last line, with no line ending: still written?"


def read_jsonl(
    path: Path, columns: Columns | None = None, *, skip_unreadable: bool = False
) -> LoadedRecords:
    """JSON Lines: one JSON object per line; blank lines are skipped, and a byte order
    mark at the start (editors on Windows write one) too. A line that holds no record
    (`json_line_value`) is an error naming it, or with `skip_unreadable` left out and
    kept in `LoadedRecords.unreadable` (a log still being written has a cut last line)."""
    rename = renamer(columns or {})
    id_key = (columns or {}).get(PATTERN_ID, PATTERN_ID)
    records: list[Record] = []
    lines: list[int] = []
    unreadable = UnreadableLines() if skip_unreadable else None
    # (Skipping, a line that is not UTF-8 is one such line: its bytes are read as lone
    # surrogates, which `json_line_value` refuses, rather than stopping the read.)
    errors = "surrogateescape" if skip_unreadable else "strict"
    with _open_text(path, encoding="utf-8-sig", errors=errors) as stream:
        try:
            for number, line in _lines_holding_text(stream):
                try:
                    value = json_line_value(line, rename, id_key, check_text=skip_unreadable)
                except UnreadableLine as error:
                    if unreadable is None:
                        raise SourceError(f"{path}, line {number}: {error}") from None
                    unreadable.add(number, str(error))
                    continue
                record = _renamed(value, rename) if columns else value
                if has_bad_double(record):  # (shown as the line writes it)
                    named = partial(_renamed, rename=rename) if columns else dict
                    record = as_written(record, line, named)
                records.append(record)
                lines.append(number)
        except UnicodeDecodeError:
            raise SourceError(f"{_first_line_not_utf8(path)}: not UTF-8 text") from None
    return LoadedRecords(records, lines, unreadable=unreadable)


def json_line_value(
    line: str, rename: Callable[[str], list[str]], id_key: str, *, check_text: bool = False
) -> dict[str, Any]:
    """A JSON Lines line (with its line ending, if it has one) as the object it holds,
    not renamed; raises `UnreadableLine` where it holds no record: not valid JSON, no
    object, a record field's key given twice (`rename` names the fields of a key), a
    pattern id (under `id_key`) that names no pattern, or, where `check_text`, bytes that
    were not UTF-8 (read as lone surrogates)."""
    if check_text and not is_utf8_text(line):
        raise UnreadableLine("not UTF-8 text")
    # (Without its line ending: a line cut short would be reported at column 1 of the
    # next line, the ending taken for the next line.)
    text = line.rstrip("\r\n")
    try:
        value = decode_json_line(text)
    except json.JSONDecodeError as error:
        # (Only a file's last line can lack its ending, one still being written perhaps:
        # said so where the JSON ends before it is complete.)
        ends_early = error.pos >= len(text) or error.msg.startswith("Unterminated")
        cut = _CUT_SHORT if ends_early and text == line else ""
        raise UnreadableLine(f"not valid JSON: {error.msg} (column {error.colno}{cut})") from None
    except (NestedTooDeeply, RecursionError):
        raise UnreadableLine("not valid JSON: nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts
        raise UnreadableLine("not valid JSON: a number has too many digits") from None
    if not isinstance(value, dict):
        raise UnreadableLine(f"expected a JSON object, got {_json_value(value)}")
    if isinstance(value, _KeysRepeated):
        _check_keys_once(value, rename)
    _check_pattern_id(value.get(id_key))
    return value


def _lines_holding_text(stream: TextIO) -> Iterator[tuple[int, str]]:
    """The lines of a text stream that are not blank, each with its number."""
    return ((number, line) for number, line in enumerate(stream, start=1) if line.strip())


def jsonl_record_lines(path: Path, *, skip_unreadable: bool = False) -> array[int]:
    """The line of each record of a JSON Lines file, as `read_jsonl` numbers them, without
    parsing them: to name a record of a file pyarrow read (with the lines that hold none:
    the caller knows them). Raises `UnicodeDecodeError` where `read_jsonl` reports it
    (not where it would skip the line)."""
    errors = "surrogateescape" if skip_unreadable else "strict"
    with _open_text(path, encoding="utf-8-sig", errors=errors) as stream:
        return array("q", (number for number, _ in _lines_holding_text(stream)))


def jsonl_objects_at(
    path: Path,
    lines: Collection[int],
    *,
    skip_unreadable: bool = False,
    decode: Callable[[str], Any] | None = None,
) -> dict[int, Any]:
    """The values of a JSON Lines file's `lines` (numbered as `jsonl_record_lines` numbers
    them; lines holding records), decoded as `read_jsonl` decodes them (or by `decode`),
    by line: the few a file read by pyarrow shows as the line has them
    (`jsonl_numbers`)."""
    errors = "surrogateescape" if skip_unreadable else "strict"
    wanted, last = set(lines), max(lines, default=0)
    found = {}
    with _open_text(path, encoding="utf-8-sig", errors=errors) as stream:
        for number, line in _lines_holding_text(stream):
            if number in wanted:
                text = line.rstrip("\r\n")
                found[number] = decode_json_line(text) if decode is None else decode(text)
            if number >= last:
                break
    return found


class _KeysRepeated(dict[str, Any]):
    """A JSON object naming keys more than once (`repeated`), holding each one's last
    value, as `json` keeps it."""

    repeated: list[str]


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    repeated = _KeysRepeated(value)
    counts = Counter(key for key, _ in pairs)
    repeated.repeated = sorted(key for key, count in counts.items() if count > 1)
    return repeated


#: JSON Lines' decoder: `json`'s, telling the objects that repeat a key. Made once:
#: `json.loads` with a hook makes a decoder per call (300,000 lines parsed in 1.8 s
#: against 1.0 s without the hook; this decoder, 0.74 s against 0.73).
_JSON_LINE = json.JSONDecoder(object_pairs_hook=_json_object)


#: The levels of arrays and objects a JSON Lines line may nest (its object the first):
#: deeper, it is "not valid JSON: nested too deeply" (see the module docstring). Well
#: within what `json` decodes from any caller but one itself about 490 calls deep.
MAX_JSON_DEPTH = 500


class NestedTooDeeply(ValueError):
    """A JSON Lines line nests more than `MAX_JSON_DEPTH` levels."""


def decode_json_line(line: str) -> Any:
    """A JSON Lines line decoded as `read_jsonl` decodes it: an object giving a key more
    than once is a `dict` subclass (`_KeysRepeated`). Raises `ValueError` (a
    `json.JSONDecodeError`, an integer of too many digits, or `NestedTooDeeply`) or
    `RecursionError` (where `json` itself stops first)."""
    value = _JSON_LINE.decode(line)
    # (A line nested deeper opens more arrays and objects, and closes them: most lines
    # are shorter than twice that, and are not looked at again.)
    if (
        len(line) > 2 * MAX_JSON_DEPTH
        and line.count("[") + line.count("{") > MAX_JSON_DEPTH
        and _deeper_than(value, MAX_JSON_DEPTH)
    ):
        raise NestedTooDeeply(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def _deeper_than(value: Any, levels: int) -> bool:
    """Whether decoded JSON `value` nests arrays and objects more than `levels` deep
    (itself the first, if one)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > levels:
            return True
        inner = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in inner if isinstance(child, dict | list))
    return False


def _check_keys_once(record: _KeysRepeated, rename: Callable[[str], list[str]]) -> None:
    """Refuse a record that gives a record field twice: JSON readers keep one of the
    values (Python's the last) silently, as a CSV header naming a column twice is refused.
    (pyarrow's reader refuses such a line, which sends the file here.)"""
    fields = {PATTERN_ID, *FIELDS}
    twice = [key for key in record.repeated if fields & set(rename(key))]
    if twice:
        raise UnreadableLine(
            f"the record gives the key(s) {', '.join(map(repr, twice))} more than once: keep one"
        )


def _first_line_not_utf8(path: Path) -> str:
    """`path` and the first of its lines that is not UTF-8 ("runs.jsonl, line 3"): a
    text reader's error tells only a position in its buffer."""
    # (Lines as the text reader counts them: ended by \n, \r\n or a lone \r.)
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return f"{path}, line {number}"
    return str(path)


def _json_value(value: Any) -> str:
    """A decoded JSON value that is not an object, for messages: its JSON type and
    (the start of) its text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        kind = "a boolean"
    elif isinstance(value, int | float):
        kind = "a number"
    elif isinstance(value, str):
        kind = "a string"
    else:
        kind = "an array"
    text = json.dumps(value, ensure_ascii=False)
    return f"{kind} {text if len(text) <= 40 else text[:39] + '…'}"


def _check_pattern_id(value: Any) -> None:
    """A record's pattern id groups records by its text: objects and lists name no
    pattern, and a string must be writable as UTF-8 (JSON's escapes can make lone
    surrogates). Numbers and booleans keep grouping by their text, as before."""
    if isinstance(value, (dict, list)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise UnreadableLine(f"pattern_id must be a string or a number, got {kind}")
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            raise UnreadableLine(f"pattern_id {value!r} is not valid UTF-8 text") from None


def read_csv(
    path: Path, columns: Columns | None = None, *, skip_unreadable: bool = False
) -> LoadedRecords:
    """CSV with a header row; cells typed by record field (see the module docstring),
    columns named by `columns` (field -> column) renamed to their field first. A row
    that holds no record (more cells than the header names, malformed, not UTF-8, a
    quote left open to the end of the file) is an error naming its line, or with
    `skip_unreadable` left out and kept in `LoadedRecords.unreadable` (after a quote
    left open, the rows its cell ran over are read as rows)."""
    rename = renamer(columns or {})
    unreadable = UnreadableLines() if skip_unreadable else None
    errors = "surrogateescape" if skip_unreadable else "strict"
    with _open_text(path, encoding="utf-8-sig", errors=errors) as stream:
        try:
            _allow_long_cells()
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None:
                return LoadedRecords([], [], unreadable=unreadable)
            if skip_unreadable and not is_utf8_text(",".join(header)):
                raise SourceError(f"{_first_line_not_utf8(path)}: not UTF-8 text")
            _check_separator(path, header)
            names = [rename(name.strip()) for name in header]
            # Only record fields: other columns (notes, empty spreadsheet columns) are unread.
            fields = {PATTERN_ID, *FIELDS}
            every = [name for held in names for name in held]
            twice = {name for name in every if name in fields and every.count(name) > 1}
            if twice:
                repeated = sorted(
                    {
                        column
                        for column, held in zip(header, names, strict=True)
                        if twice & set(held)
                    }
                )
                raise SourceError(
                    f"{path}, line 1: the header names column(s) "
                    f"{', '.join(map(repr, repeated))} more than once"
                )
            rows = _CsvRows(path, names, unreadable)
            rows.read(reader, 0)
        except csv.Error as error:
            raise SourceError(f"{path}, line {reader.line_num}: malformed CSV: {error}") from None
        except UnicodeDecodeError:
            raise SourceError(f"{_first_line_not_utf8(path)}: not UTF-8 text") from None
    return LoadedRecords(rows.records, rows.lines, unreadable=unreadable)


class _CsvRows:
    """The records of a CSV file's rows (past its header), typed by the fields each
    column holds (`names`), and the line each starts on; rows that hold none raise
    `SourceError`, or where `unreadable` is given are left out and kept there."""

    def __init__(self, path: Path, names: list[list[str]], unreadable: UnreadableLines | None):
        self.path, self.names, self.unreadable = path, names, unreadable
        self.records: list[Record] = []
        self.lines: list[int] = []

    def _left_out(self, line: int, reason: str) -> None:
        if self.unreadable is None:
            raise SourceError(f"{self.path}, line {line}: {reason}")
        self.unreadable.add(line, reason)

    def read(self, reader: Any, offset: int) -> None:
        """The rows of `reader`, whose line 1 is the file's line `offset + 1`."""
        names = self.names
        last: list[str] = []
        last_start, kept = 0, False
        followed = False  # rows (blank ones) came after the last record
        for start, row in _rows_by_line(reader, offset, self.unreadable is not None):
            if row is None:
                followed = True
                continue
            if isinstance(row, csv.Error):
                self._left_out(start, f"malformed CSV: {row}")
                followed = True  # (nothing of the row is kept)
                continue
            last, last_start, followed, kept = row, start, False, False
            if len(row) > len(names):
                self._left_out(start, f"{len(row)} cells but the header names {len(names)} columns")
                continue
            if self.unreadable is not None and not is_utf8_text(",".join(row)):
                self._left_out(start, "not UTF-8 text")
                continue
            self.records.append(
                {
                    name: typed_text(name, cell)
                    for held, cell in zip(names, row, strict=False)
                    if cell != ""
                    for name in held
                }
            )
            self.lines.append(start)  # (where a record spanning lines begins)
            kept = True
        # (A cell whose quote is left open runs to the end of the file: no row follows.)
        if last and not followed and ends_inside_a_quote(self.path, last):
            opened = last_start + sum(cell.count("\n") for cell in last[:-1])
            reason = (
                "malformed CSV: a quote is left open (its cell runs to the end of the file, "
                f"line {offset + reader.line_num})"
            )
            if self.unreadable is None:
                raise SourceError(f"{self.path}, line {opened}: {reason}")
            if kept:
                self.records.pop()
                self.lines.pop()
                self.unreadable.add(opened, reason)
            # The rows the cell ran over, from the line after the one it opened on.
            with _open_text(self.path, encoding="utf-8-sig", errors="surrogateescape") as stream:
                self.read(csv.reader(itertools.islice(stream, opened, None)), opened)


def _rows_by_line(
    reader: Any, offset: int = 0, errors: bool = False
) -> Iterator[tuple[int, list[str] | csv.Error | None]]:
    """The rows of a CSV reader (past its header), each with the line it starts on
    (`offset` added); a row of empty or blank cells, which is no record, as None; where
    `errors`, a row the reader refuses as its `csv.Error` (it reads on past it)."""
    next_start = reader.line_num + 1
    if not errors:
        for row in reader:
            start, next_start = next_start, reader.line_num + 1
            yield start + offset, (row if any(cell.strip() for cell in row) else None)
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start, next_start = next_start, reader.line_num + 1
            yield start + offset, error
            continue
        start, next_start = next_start, reader.line_num + 1
        yield start + offset, (row if any(cell.strip() for cell in row) else None)


def csv_record_lines(path: Path) -> array[int]:
    """The line each record of a CSV file starts on, as `read_csv` numbers them, without
    typing their cells (about a fifth of its time): to name a record of a file pyarrow
    read (with the rows that hold none: the caller knows them). Raises `csv.Error` or
    `UnicodeDecodeError` where `read_csv` reports them."""
    with _open_text(path, encoding="utf-8-sig") as stream:
        _allow_long_cells()
        reader = csv.reader(stream)
        next(reader, None)
        return array("q", (start for start, row in _rows_by_line(reader) if row is not None))


def csv_long_rows(path: Path, width: int, unreadable: UnreadableLines) -> None:
    """Keep in `unreadable` the rows of a CSV file of more cells than `width` (the
    header's), as `read_csv` names them: for a file pyarrow read, leaving them out."""
    with _open_text(path, encoding="utf-8-sig") as stream:
        _allow_long_cells()
        reader = csv.reader(stream)
        next(reader, None)
        for start, row in _rows_by_line(reader):
            if isinstance(row, list) and len(row) > width:
                unreadable.add(start, f"{len(row)} cells but the header names {width} columns")


def _check_separator(path: Path, header: Sequence[str]) -> None:
    """A header of one column holding ';', a tab or '|': a file of another separator,
    which read as one column named after the whole line, said only that its fields were
    missing."""
    if len(header) == 1:
        other = next((mark for mark in (";", "\t", "|") if mark in header[0]), None)
        if other is not None:
            raise SourceError(
                f"{path}, line 1: the header is one column, {header[0]!r}: is the file "
                f"separated by {other!r}? Only commas separate CSV columns here"
            )


#: The longest CSV cell read: the largest C long everywhere (the csv module's own default
#: of 128 KiB refuses valid files, a long log message in a cell, that pyarrow reads).
_CELL_LIMIT = 2**31 - 1


def _allow_long_cells() -> None:
    """Raise the csv module's process-wide cell limit to `_CELL_LIMIT` (never lower it:
    another user of the module may have raised it further)."""
    if csv.field_size_limit() < _CELL_LIMIT:
        csv.field_size_limit(_CELL_LIMIT)


def ends_inside_a_quote(path: Path, last_row: Sequence[Any]) -> bool:
    """Whether a CSV reader may have read a quote left open: both pyarrow's and the
    standard library's read one as a cell running to the end of the file (the records
    after it inside). Such a cell is the last of the last row, holds a line break, and
    the file does not end on a closing quote (a quoted line break does, or has cells
    after it)."""
    if not last_row or "\n" not in (last_row[-1] or ""):
        return False
    # Back from the end, past any blanks, to the last byte of the file's text (a fixed
    # tail of 64 bytes saw only the blanks after a closing quote when 64 followed it).
    with path.open("rb") as stream:
        end = path.stat().st_size
        while end > 0:
            start = max(end - _TAIL, 0)
            stream.seek(start)
            tail = stream.read(end - start).rstrip(b"\r\n \t")
            if tail:
                return not tail.endswith(b'"')
            end = start
    return True


#: The bytes read at a time, back from the end of a CSV file (`ends_inside_a_quote`).
_TAIL = 4096


#: Readers by lower-case file extension.
READERS: dict[str, Reader] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
}


def _by_extension(path: Path, table: Mapping[str, Any]) -> Any:
    suffix = path.suffix.lower()
    if suffix not in table:
        known = ", ".join(sorted(table))
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UnsupportedSourceError(f"{path}: unsupported file type ({shown}); use {known}")
    return table[suffix]


def read_records(
    path: str | Path,
    columns: Columns | None = None,
    *,
    skip_unreadable: bool = False,
    kind: str | None = None,
) -> LoadedRecords:
    """Read a record file, with each record's location in it; `columns` maps record
    fields to the file's names for them; `skip_unreadable` leaves lines that hold no
    record out (`LoadedRecords.unreadable`) rather than raising `SourceError`. `kind`
    (".jsonl", ".csv") is the format where the name does not tell it (a copy of standard
    input)."""
    path = Path(path)
    reader: Reader = READERS[kind] if kind is not None else _by_extension(path, READERS)
    return reader(path, columns or {}, skip_unreadable=skip_unreadable)


def load_records(path: str | Path, columns: Columns | None = None) -> list[Record]:
    """Read a record file (format from its extension) into a list of dicts, file order."""
    return read_records(path, columns).records


def plain_scalar(value: Any) -> Any:
    """A numpy or Decimal scalar as the Python bool, int or float the library reads it
    as; any other value unchanged. (JSON Lines wrote numpy's as strings, "1500" or
    "True", and CSV numpy 2's float repr, "np.float64(0.25)": invalid records.)"""
    if isinstance(value, Decimal):
        return float(value)
    # (Scalars only, of no dimension: an array of numbers, a field of a record built
    # from a frame, has a dtype too but no one number; `int()` of it raised TypeError.)
    if type(value).__module__ != "numpy" or getattr(value, "ndim", None) != 0:
        return value
    kind = value.dtype.kind
    if kind == "b":
        return bool(value)
    if kind in "iu":
        return int(value)
    if kind == "f":
        return float(value)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    plain = plain_scalar(value)
    return str(value) if plain is value else plain


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(dict(record), default=_json_default) + "\n")


def _cell(value: Any) -> str:
    value = plain_scalar(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(float(value))  # (a float subclass may have a repr of its own)
    return str(value)


def _csv_value(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    # (A float id 1.0 as "1", the pattern JSON Lines reads it as, not the text "1.0".)
    return pattern_id_text(plain_scalar(value)) if name == PATTERN_ID else value


def write_csv(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    rows = list(records)
    seen = {key for row in rows for key in row}
    columns = [name for name in _CSV_COLUMNS if name in seen]
    columns += sorted(seen.difference(columns))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(_csv_value(row, name)) for name in columns])


def write_parquet(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Parquet (needs pyarrow): timestamps as UTC timestamps when every record has a
    datetime, else as text; flags as booleans (integers where a record gives one),
    numbers as doubles; a value its column cannot hold is refused (`_parquet_column`)."""
    pa = require_pyarrow("writing Parquet files")
    pq = load_pyarrow_module("pyarrow.parquet")

    rows = list(records)
    seen = {key for row in rows for key in row}
    columns = [name for name in _CSV_COLUMNS if name in seen]
    columns += sorted(seen.difference(columns))
    stamps = [row.get("timestamp") for row in rows]
    as_times = all(isinstance(stamp, datetime) for stamp in stamps)
    arrays = []
    for name in columns:
        values = [row.get(name) for row in rows]
        if name == "timestamp":
            kind = pa.timestamp("us", tz="UTC") if as_times else pa.string()
            if not as_times:
                values = [_cell(value) if value is not None else None for value in values]
        elif name in _CSV_COLUMNS:
            kind, values = _parquet_column(pa, path, name, values)
        else:
            kind = None
        try:
            arrays.append(pa.array(values) if kind is None else pa.array(values, type=kind))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            raise SourceError(
                f"{path}: column {name!r} cannot be written to Parquet ({error})"
            ) from None
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), path)


def _parquet_column(pa: Any, path: Path, name: str, values: list[Any]) -> tuple[Any, list[Any]]:
    """The Arrow type of a record field's column and its values, each as the library
    reads it: flags booleans (or integers where one is, as SQLite stores them: True and
    False are 1 and 0 there), numbers doubles, text strings (pattern ids of other
    scalars by their text, under which they are grouped). A value such a column cannot
    hold is refused, naming its record: pyarrow took True as the number 1.0 (a record the
    library calls invalid) and failed on the others naming no record."""
    values = [plain_scalar(value) for value in values]
    wanted: type
    if name in BOOLEAN_FIELDS:
        if any(type(value) is int for value in values):
            kind, holds, wanted = pa.int64(), "flags (booleans or integers)", int
            values = [int(value) if isinstance(value, bool) else value for value in values]
        else:
            kind, holds, wanted = pa.bool_(), "flags (booleans or integers)", bool
    elif name in NUMBER_FIELDS:
        kind, holds, wanted = pa.float64(), "numbers", float
        values = [int_as_double(value) if type(value) is int else value for value in values]
    else:
        kind, holds, wanted = pa.string(), "text", str
        if name == PATTERN_ID:
            values = [pattern_id_text(value) for value in values]
            values = [str(value) if isinstance(value, int | UUID) else value for value in values]
    for index, value in enumerate(values):
        if value is not None and not _holds(wanted, value):
            raise SourceError(
                f"{path}: record {index} has {name} {value!r}, which a Parquet column of "
                f"{holds} cannot hold (JSON Lines keeps it as it is)"
            )
    return kind, values


def _holds(kind: type, value: Any) -> bool:
    """Whether `value` is of `kind` (a bool only where `kind` is bool: it is an int)."""
    return isinstance(value, kind) and (kind is bool) == isinstance(value, bool)


def int_as_double(value: int) -> float | int:
    """An integer as the double the library reads it as; as it is where none can hold it
    (refused then, by its record)."""
    try:
        return float(value)
    except OverflowError:
        return value


#: Writers by lower-case file extension (for exporting demo or test data).
WRITERS: dict[str, Writer] = {
    ".jsonl": write_jsonl,
    ".ndjson": write_jsonl,
    ".csv": write_csv,
    ".parquet": write_parquet,
}


def save_records(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Write records to a JSON Lines, CSV or Parquet file (by extension); datetimes as
    ISO-8601 text (in Parquet as timestamps)."""
    path = Path(path)
    writer: Writer = _by_extension(path, WRITERS)
    try:
        writer(path, records)
    except OSError as error:
        raise SourceError(f"{path}: cannot write: {error.strerror or error}") from None
