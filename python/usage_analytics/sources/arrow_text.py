"""CSV read by pyarrow's reader, typed by record field exactly as the standard-library
reader of `records` types it (see `sources.files`). A cell that is no value of its field
(a number "fast", a flag "maybe") is missing in the table and kept aside as written
(`TextTable.odd`), for the core to judge as its record's value. (JSON Lines:
`arrow_jsonl`.)"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as data_field
from pathlib import Path
from typing import Any

from usage_analytics.arrow_regex import match_regex
from usage_analytics.extras import load_pyarrow_module
from usage_analytics.sources.base import (
    FALSE_TEXTS,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    TRUE_TEXTS,
    TableSpec,
    typed_text,
)
from usage_analytics.sources.exact_numbers import rows_to_read_again
from usage_analytics.sources.number_text import number_of_text
from usage_analytics.sources.odd_cells import shown_apart
from usage_analytics.sources.records import (
    UnreadableLines,
    csv_long_rows,
    ends_inside_a_quote,
    renamer,
)
from usage_analytics.sources.short_room import arrow_threads_allowed, csv_reader_fits

__all__ = [
    "TextTable",
    "bytes_shown",
    "first_not_utf8",
    "is_utf8",
    "not_utf8",
    "odd_columns",
    "read_csv_arrow",
]


@dataclass(frozen=True)
class TextTable:
    """A text file's records as a pyarrow Table, typed by record field, and its values
    that are none of their field's: by field, the text of each such value (a string array
    as long as the table, missing elsewhere), which `parse` makes the value the standard
    reader reads for its field (a CSV cell's text is typed as the standard reader types it;
    a JSON value is its JSON text). Such a value is missing in `table`."""

    table: Any
    odd: dict[str, Any] = data_field(default_factory=dict)
    parse: Callable[[str, str], Any] = typed_text
    #: The lines left out as holding no record (read skipping them), else None.
    unreadable: UnreadableLines | None = None


def read_csv_arrow(
    pa: Any, path: Path, spec: TableSpec, skip_unreadable: bool = False
) -> TextTable | None:
    """CSV through pyarrow, every cell read as text then typed by record field as the
    standard-library reader types it; None where that reader must decide (its syntax).
    With `skip_unreadable`, rows of more cells than the header names are left out (and
    found again by the csv module, for their lines: pyarrow's reader does not number
    them); a row of fewer, which that reader reads, still sends the file there."""
    pacsv = load_pyarrow_module("pyarrow.csv")

    if not csv_reader_fits(pa, path):
        return None  # (threadless, the standard reader: `short_room`)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream), None)
    if not header:
        return None
    rename = renamer(spec.columns)
    names = [rename(name.strip()) for name in header]
    present = [name for held in names for name in held]
    if len(set(present)) != len(present) or "timestamp" not in present:
        return None  # duplicate columns (the standard reader decides), or no time
    positions = [f"c{index}" for index in range(len(header))]
    long_rows = 0

    def invalid_row(row: Any) -> str:
        nonlocal long_rows
        if skip_unreadable and row.actual_columns > row.expected_columns:
            long_rows += 1
            return "skip"
        return "error"

    reader = pacsv.open_csv(
        path,
        # (The header is skipped as a record: `skip_rows` counts lines, and a quoted
        # line break in a column name made the rest of the header a row.)
        read_options=pacsv.ReadOptions(
            column_names=positions,
            skip_rows_after_names=1,
            use_threads=arrow_threads_allowed(),
        ),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=invalid_row if skip_unreadable else None
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(positions, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    # Block by block, each typed as it comes: the text of the number and flag columns
    # is never all held at once (about 50 MB less at the peak for a million records).
    typed: list[Any] = []
    odd: list[dict[str, Any]] = []
    last_cell = None
    for block in reader:
        if block.num_rows:
            last_cell = block.column(len(positions) - 1)[-1].as_py()
        part, part_odd = _typed(pa, _without_blank_rows(pa, pa.Table.from_batches([block])), names)
        typed.append(part)
        odd.append(part_odd)
    if last_cell is not None and ends_inside_a_quote(path, [last_cell]):
        return None
    unreadable = None
    if skip_unreadable:
        unreadable = UnreadableLines()
        if long_rows:
            csv_long_rows(path, len(header), unreadable)
            if len(unreadable) != long_rows:
                return None  # (the readers split the rows otherwise: the standard one's)
    if not typed:  # (a header alone)
        return TextTable(_typed(pa, reader.schema.empty_table(), names)[0], unreadable=unreadable)
    return TextTable(pa.concat_tables(typed), odd_columns(pa, typed, odd), unreadable=unreadable)


def _typed(pa: Any, table: Any, names: Sequence[Sequence[str]]) -> tuple[Any, dict[str, Any]]:
    """A table of text columns typed by the record fields each is renamed to (`names`,
    by position), and the text of its cells that are no value of their field, by field
    (only fields with such a cell): missing in the table."""
    arrays, kept, odd = [], [], {}
    for column_text, held in zip(table.columns, names, strict=True):
        text = _one_array(column_text)
        for name in held:
            column, bad = text, None
            if name in FLAG_FIELDS:
                column, bad = _flags(pa, column)
            elif name in NUMBER_FIELDS:
                column, bad = _bad_integers_aside(pa, name, text, *_numbers(pa, column))
            if bad is not None:
                odd[name] = pa.compute.if_else(bad, text, pa.scalar(None, pa.string()))
            arrays.append(column)
            kept.append(name)
    return pa.Table.from_arrays(arrays, names=kept), odd


def _one_array(column: Any) -> Any:
    """A chunked column as one array (a block's column is one chunk: no copy)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def odd_columns(pa: Any, tables: Sequence[Any], odd: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each block's values that are none of their field's (by field, as `_typed` gives a
    block's) as one column per field over all the blocks (`tables`)."""
    fields = {name: None for part in odd for name in part}
    return {
        name: pa.chunked_array(
            [
                part.get(name, pa.nulls(table.num_rows, pa.string()))
                for table, part in zip(tables, odd, strict=True)
            ],
            pa.string(),
        )
        for name in fields
    }


def _without_blank_rows(pa: Any, table: Any) -> Any:
    """`table` without its rows of empty or whitespace-only cells, which the standard
    reader skips (and so numbers its records without them, as `_lazy_lines` needs).
    Arrow's whitespace is Python's `str.isspace` (tests/test_sources.py checks it); its
    test makes no copy of the text, as a trim did (a file's size, held by the pool)."""
    pc = pa.compute
    blank = None
    for column in table.columns:
        empty = pc.or_kleene(
            pc.or_kleene(pc.is_null(column), pc.utf8_is_space(column)),
            pc.equal(pc.binary_length(column), 0),
        )
        blank = empty if blank is None else pc.and_kleene(blank, empty)
    if blank is None or not pc.any(blank).as_py():
        return table
    return table.filter(pc.invert(blank))


#: Number cells Arrow's parser reads as `number_text` does (both round correctly): after
#: ASCII blanks are trimmed, decimal digits with an optional sign, point and exponent.
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _numbers(pa: Any, column: Any) -> tuple[Any, Any | None]:
    """Number cells as `number_text` reads them, in Arrow, and a mask of the cells that
    are no number (None if there are none), missing in the numbers: the standard reader
    keeps their text, for the core to report. Arrow's parser does the plain cells; the
    others (the words of non-finite floats, inf and nan, spelt otherwise; and text that
    is no number in the grammar, which `float()` read: "1_000", other scripts' digits,
    padding of Unicode blanks) are judged one by one in Python."""
    pc = pa.compute
    try:
        numbers = column.cast(pa.float64())
    except pa.ArrowInvalid:
        pass
    else:
        # Arrow's parser also reads C's "nan(...)" ("-nan(ind)" from Microsoft's C
        # library), which the grammar does not: its non-finite cells are checked by it.
        other = pc.fill_null(pc.invert(pc.is_finite(numbers)), False)
        if not pc.any(other).as_py():
            return numbers, None
        read = [_float(text) for text in column.filter(other).to_pylist()]
        if all(value is not None for value in read):
            return numbers, None
        bad = pc.replace_with_mask(other, other, pa.array([value is None for value in read]))
        return pc.if_else(bad, pa.scalar(None, pa.float64()), numbers), bad
    trimmed = pc.ascii_trim(column, " \t\n\r\x0b\x0c")
    other = pc.and_kleene(pc.is_valid(trimmed), pc.invert(match_regex(pc, trimmed, _PLAIN_NUMBER)))
    read = [_float(text) for text in column.filter(other).to_pylist()]
    plain = pc.if_else(other, pa.scalar(None, pa.string()), trimmed).cast(pa.float64())
    numbers = pc.replace_with_mask(plain, other, pa.array(read, pa.float64()))
    if all(value is not None for value in read):
        return numbers, None
    return numbers, pc.replace_with_mask(other, other, pa.array([value is None for value in read]))


def _bad_integers_aside(
    pa: Any, name: str, text: Any, numbers: Any, odd: Any | None
) -> tuple[Any, Any | None]:
    """Number field `name`'s `numbers` (read from `text`, with the mask `odd` of cells
    that are no number) with its bad values (not finite, negative, a score outside
    [0, 1]) missing, and marked in `odd`: kept aside as written, as the standard reader
    reads them (`typed_text`: a `WrittenNumber`), so that an error shows -1, 1e400 or
    -0.00000000000000000001 as the file holds it, not the column's -1.0, inf or -1e-20.
    A vectorized check of the numbers; the text of the bad ones alone read in Python
    (none in good data). So are the texts whose float is good but on a bound, past which
    the text itself is (`exact_numbers`: "-1e-400")."""
    pc = pa.compute
    rows = rows_to_read_again(pa, name, numbers, text)
    if not len(rows):
        return numbers, odd
    ints = [shown_apart(name, typed_text(name, cell)) for cell in text.take(rows).to_pylist()]
    if not any(ints):
        return numbers, odd
    import numpy as np

    marked = np.zeros(len(numbers), dtype=bool)
    marked[rows.to_numpy()[np.array(ints)]] = True
    aside = pa.array(marked)
    numbers = pc.if_else(aside, pa.scalar(None, pa.float64()), numbers)
    return numbers, aside if odd is None else pc.or_(odd, aside)


def _float(text: str) -> float | None:
    """The number of `text` (`number_text`'s grammar); None for a cell that is no
    number."""
    return number_of_text(text)


def _flags(pa: Any, column: Any) -> tuple[Any, Any | None]:
    """true/false, t/f, yes/no, y/n, 1/0 (any case, trimmed) as booleans, and a mask of
    the cells that are other (None if there are none), missing in the flags."""
    pc = pa.compute
    folded = pc.utf8_lower(pc.utf8_trim_whitespace(column))
    true = pc.is_in(folded, value_set=pa.array(sorted(TRUE_TEXTS)))
    false = pc.is_in(folded, value_set=pa.array(sorted(FALSE_TEXTS)))
    other = pc.and_(pc.is_valid(column), pc.invert(pc.or_(true, false)))
    missing = pc.is_null(column)
    if not pc.any(other).as_py():
        return pc.if_else(missing, pa.scalar(None, pa.bool_()), true), None
    return pc.if_else(pc.or_(missing, other), pa.scalar(None, pa.bool_()), true), other


#: How many bytes of a value that is not UTF-8 an error shows.
_SHOWN_BYTES = 64


def first_not_utf8(pa: Any, column: Any) -> tuple[int, str]:
    """The row of the first value of string `column` (a chunked array, which `not_utf8`
    found to hold one) whose bytes are not UTF-8, and those bytes as Python writes them
    (their first `_SHOWN_BYTES`): what an error names, as a record file's names its
    line. (A scan in Python: only on the way to that error.)"""
    row = 0
    for chunk in column.chunks:
        indices = None
        if pa.types.is_dictionary(chunk.type):
            chunk, indices = chunk.dictionary, chunk.indices.to_pylist()
        binary = pa.large_binary() if pa.types.is_large_string(chunk.type) else pa.binary()
        values = chunk.view(binary).to_pylist()
        for offset, key in enumerate(range(len(values)) if indices is None else indices):
            raw = None if key is None else values[key]
            if raw is not None and not is_utf8(raw):
                return row + offset, bytes_shown(raw)
        row += len(values) if indices is None else len(indices)
    raise ValueError("the column holds no text that is not UTF-8")


def is_utf8(raw: bytes) -> bool:
    """Whether `raw` is UTF-8 text."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def bytes_shown(raw: bytes) -> str:
    """Bytes as an error shows them: as Python writes them, their first `_SHOWN_BYTES`."""
    shown = repr(raw[:_SHOWN_BYTES])
    return shown if len(raw) <= _SHOWN_BYTES else f"{shown}..."


def not_utf8(pa: Any, table: Any) -> str | None:
    """The first string column of `table` holding bytes that are not UTF-8, if any
    (Parquet and pyarrow's JSON reader hand them over unchecked; every later step, down
    to a pattern id's text, would fail on them). Callers pass only the columns read."""
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                return str(field.name)
    return None
