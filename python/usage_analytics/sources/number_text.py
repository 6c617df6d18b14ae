"""The one grammar of a number written as text, for every source that stores numbers as
text: a CSV cell, a SQLite text cell (an `.import`ed table's), a hive directory's value
(`execution_time_ms=12/`). A careful user's choice: a decimal number as CSV writers
write it, nothing more:

    [blanks] [+|-] (digits [. [digits]] | . digits) [(e|E) [+|-] digits] [blanks]
    [blanks] [+|-] (inf | infinity | nan, in any case) [blanks]

with ASCII digits, and blanks the ASCII space, tab, newline, carriage return, vertical tab
and form feed. The words are Python's, pandas' and the tool's own CSV writers' for the
floats that are not finite: read, they are refused by the core as values ("must be
finite"), shown as written. Python's `float()`, which the text paths used, also reads
digits between underscores ("1_000" was 1000, a thousands separator taken as nothing),
other scripts' digits ("١٢" was 12) and padding of Unicode spaces (a no-break space):
such text is no number here, and the core refuses it as the field's value, naming the
record (its line or row), the field and the text. (The design is silent on text; this is
the sources' decision.)

Among ASCII text, `float()` reads exactly this grammar and underscores between digits,
so it is checked by those two tests, not a regular expression: this runs for every cell
of a file the standard reader reads. The core's SQLite reader reads the decimal part
itself and leaves all other text to `typed_text` (`rust/sqlite_read.rs`, `number_text`);
pyarrow's CSV parser reads only decimal numbers and the words (`arrow_text`, whose other
cells come here); both agree with this, which tests/test_number_text.py checks on
arbitrary text.
"""

from __future__ import annotations

__all__ = ["number_of_text"]


def number_of_text(text: str) -> float | None:
    """The float of a number's `text` in the grammar above; None for any other text."""
    if not text.isascii() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None
