"""A read of one pattern from a PostgreSQL table asks for the rows of its stored ids by
value where the id column's type allows it, so that the column's own (pattern_id,
timestamp) index serves the read.

The stored ids of a pattern (`PostgresSource._pattern_forms`) are texts: PostgreSQL's
text of each value. Asked for as `pattern_id::text = ANY($1::text[])`, an integer,
numeric, flag, bytea or `char(n)` column's rows were served by no index of the column:
each read walked the whole index, or the table (BENCHMARKS.md, helper-255). Asked for as
`pattern_id = ANY($1::bigint[])`, each is one range of the index.

A text is one of the values asked for only where it is the value's own text: an id matches
a row iff its text is the row's id as PostgreSQL prints it, as by text. "abc" is no
integer (a cast failed the query), and "01", "+1", " 1" or "1.0" are not the text of 1 (a
cast would have found 1's rows, which the text did not): `value_texts` leaves them out. A
value has one text, but for a numeric (1, 1.0 and 1.00 are one value, three texts): its
rows found by value are kept where their text is one asked for (`RECHECKED_TYPES`), which
filters the index's few rows, not the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["RECHECKED_TYPES", "VALUE_ID_TYPES", "value_texts"]

#: Each integer type's least value (the greatest is one less than its negation).
_INTEGER_LEAST = {"smallint": -(2**15), "integer": -(2**31), "bigint": -(2**63)}
#: A column type (base, as `format_type` writes it) whose ids are asked for by value -> the
#: SQL type of the array of values (`char(n)`'s `bpchar`, which a read of `character(3)`
#: values would pad or cut).
VALUE_ID_TYPES = {
    **{kind: kind for kind in _INTEGER_LEAST},
    "boolean": "boolean",
    "bytea": "bytea",
    "character": "bpchar",
    "bpchar": "bpchar",
    "numeric": "numeric",
}
#: The types whose values have more than one text: matched by value, then by text.
RECHECKED_TYPES = ("numeric",)

_INTEGER = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)  # (no "-0")
#: bytea as the session prints it (bytea_output 'hex', `postgres_connection`).
_BYTEA = re.compile(r"\\x(?:[0-9a-f]{2})*", re.ASCII)
#: numeric_out's texts: no exponent, no "+", no leading zeros; NaN and the infinities.
_NUMERIC = re.compile(r"NaN|-?Infinity|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
#: The most digits a numeric holds before and after its point (numeric_in refuses more).
_NUMERIC_DIGITS = (131072, 16383)


def value_texts(base: str, texts: Sequence[str]) -> list[str]:
    """The texts of `texts` that PostgreSQL prints for a value of the column type `base`
    (a key of `VALUE_ID_TYPES`): each cast back to that type is one value whose text it
    is, and every other text matches no row of the column."""
    return [text for text in texts if _is_value_text(base, text)]


def _is_value_text(base: str, text: str) -> bool:
    if base in _INTEGER_LEAST:
        least = _INTEGER_LEAST[base]
        # (Length first: int() refuses texts of over 4,300 digits.)
        shaped = len(text) <= 20 and _INTEGER.fullmatch(text) is not None
        return shaped and least <= int(text) < -least
    if base == "boolean":
        return text in ("true", "false")
    if base == "bytea":
        return _BYTEA.fullmatch(text) is not None
    if base in ("character", "bpchar"):
        # A char(n) value's text has no trailing spaces (the cast to text drops its
        # padding), and its comparisons ignore them: "a " would find the rows of "a".
        return not text.endswith(" ")
    if base == "numeric":
        whole, _, part = text.lstrip("-").partition(".")
        digits = len(whole) <= _NUMERIC_DIGITS[0] and len(part) <= _NUMERIC_DIGITS[1]
        return _NUMERIC.fullmatch(text) is not None and digits
    raise ValueError(f"pattern ids of type {base} are not asked for by value")
