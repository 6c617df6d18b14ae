"""The patterns of a PostgreSQL pattern id column's values, which are read as text.

A column of numbers is keyed by value, as `pattern_key` keys a file's or a SQLite
table's numbers: PostgreSQL's text of them made other patterns of the same records
("1e+20" for 1e20, "1.00" for 1 in a numeric(10,2) column, "-0", "Infinity") and made
NaN, which files count as no pattern id (pandas' missing id), a pattern "NaN". A bytea
column likewise is keyed as a SQLite blob's or Arrow's bytes are (UTF-8 text, 16 bytes a
UUID, else hex digits), not by its text "\\x6162". A json or jsonb column's ids are keyed
as a JSON Lines file's are: `pattern_key` of the JSON value (a string its own text, a
number by its value, `true` "true", null no pattern, an object or a list its JSON text).
The text is read back into the value it writes exactly: a float's shortest text (the
session's extra_float_digits is 1), a numeric's digits as a Decimal, a bytea's hex digits
(the session's bytea_output is hex), a JSON value's text as JSON. Other columns' text is
the pattern id as it is (a flag's "true" and "false" are `pattern_key`'s already).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from usage_analytics.sources.base import PATTERN_ID, pattern_key

__all__ = ["FLOAT_ID_TYPES", "JSON_ID_TYPES", "KEYED_ID_TYPES", "id_key", "keyed_ids"]

#: The column types (bases) whose ids are numbers that are not integers' digits.
FLOAT_ID_TYPES = ("double precision", "real")
#: The JSON column types.
JSON_ID_TYPES = ("json", "jsonb")
#: The column types whose ids' text is not their pattern (`id_key`).
KEYED_ID_TYPES = (*FLOAT_ID_TYPES, "numeric", "bytea", *JSON_ID_TYPES)


def id_key(base: str) -> Callable[[str], str]:
    """`pattern_key` of a stored id given as PostgreSQL's text, for a column of type
    `base` (its base type, without a modifier)."""
    if base in FLOAT_ID_TYPES:
        return lambda text: pattern_key(float(text))
    if base == "numeric":
        return lambda text: pattern_key(Decimal(text))
    if base == "bytea":
        return lambda text: pattern_key(bytes.fromhex(text.removeprefix("\\x")))
    if base in JSON_ID_TYPES:
        return _json_key
    return pattern_key


def _json_key(text: str) -> str:
    """The pattern of a JSON value's text: as a JSON Lines file's reader keys the value
    (a number with a fraction or an exponent a float, as Python's `json` reads it; an
    integer's digits as a Decimal, whose key is theirs: an int of more than 4,300 digits,
    which jsonb writes for 1e5000, was a ValueError). An object or a list, which a file
    refuses as an id, is its JSON text, as PostgreSQL writes it."""
    value = json.loads(text, parse_int=Decimal)
    if value is None:
        return ""  # (JSON null: no pattern id, as SQL NULL)
    if isinstance(value, (dict, list)):
        return pattern_key(text)
    return pattern_key(value)


def keyed_ids(pa: Any, table: Any, base: str) -> Any:
    """`table` with its pattern id column (PostgreSQL's text) as each id's pattern, where
    the column's type is one whose text is not (`KEYED_ID_TYPES`); else `table` itself. Each
    distinct id is keyed once. (NaN's pattern is "": no pattern, as a blank id.)"""
    if base not in KEYED_ID_TYPES:
        return table
    index = table.schema.get_field_index(PATTERN_ID)
    ids = table.column(index).combine_chunks()
    encoded = pa.compute.dictionary_encode(ids)
    key_of = id_key(base)
    keys = pa.array([key_of(text) for text in encoded.dictionary.to_pylist()], pa.string())
    return table.set_column(index, PATTERN_ID, pa.compute.take(keys, encoded.indices))
