"""A JSON Lines file whose pattern ids are of two types, read by pyarrow as text.

pyarrow's JSON reader holds one JSON type per column, and its string columns refuse a
number: a file whose ids are text and JSON integers (`"checkout"` beside `1`, a table
exported from two systems) had each of its pieces refused, and was read by the standard
reader, a dict per record (a million lines, one id in a hundred an integer: 21 s and
1.1 GB against 9 s and 0.45 GB for text ids alone, load average 5-6; BENCHMARKS.md).
Such a file is read again with the ids a column of text (`arrow_jsonl`), the data
offered to pyarrow with each integer id quoted (`integer_ids_quoted`): `"pattern_id": 7`
is read as `"pattern_id": "7"`, its decimal digits, the text `pattern_key` keys the
standard reader's 7 by (as a directory's files of integer ids beside files of text ids
are read, `text_dataset_types`). The same patterns, and the same records but for such an
id, which is its pattern's text here (the design is silent on ids of two types in one
file; a list of dicts given to the batch API keys them alike, `pattern_key`).

Only what is surely the id key's integer value is quoted: the key written as its text
without escapes, after `{` or `,` and blanks (so its first quote is no escaped one), and
an integer JSON writes (`0` or digits not starting with 0, a minus before them but for
`-0`, whose key is "0") followed by `,` or `}`. Should the quoted text be taken where the
line is not one JSON object holding that key there, it would be read otherwise than
`json` reads the line; it is not: quoting an integer after a key, as here, leaves the
other quotes of the line as they were, and where the line pyarrow is given is valid
JSON, the key before each quoted integer is a key (nothing but `:`, `,`, `}`, `]` or a
blank follows a string, so the quote before the key's first letter opens one), and the
line as written was valid too, the same but for that value's type. (A key of a nested
object: its object is no value of a record field's column, which pyarrow refuses, or one
pyarrow passes over.) An id this
does not quote (`1.0`, `-0`, `true`, a key written with escapes) makes pyarrow refuse
its piece, which `json` then decodes, the id taken as its pattern's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from usage_analytics.sources.base import pattern_key

__all__ = ["id_text", "integer_ids_quoted"]

#: A key whose integer values `integer_ids_quoted` quotes: a letter or `_` first (no byte
#: that may follow a string), then ASCII that JSON writes unescaped, no quote.
_QUOTABLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_ .$@/:-]*")


def integer_ids_quoted(key: str) -> Callable[[bytes], bytes] | None:
    """The function giving JSON Lines data with each integer value of `key` written as a
    string of its digits (see the module), or None for a key written otherwise than
    `_QUOTABLE_KEY`'s (the file is then read as before)."""
    if not _QUOTABLE_KEY.fullmatch(key):
        return None
    # (The key first: Python's regular expressions search for a literal start in C; a
    # character class first, as `[{,]`, was tried at every comma: 4x slower.)
    pattern = re.compile(
        b'"' + re.escape(key.encode("ascii")) + rb'"[ \t]*:[ \t]*(?:0|-?[1-9][0-9]*)(?=[ \t]*[,}])'
    )
    return partial(pattern.sub, _quoted)


def _quoted(found: re.Match[bytes]) -> bytes:
    """The key and integer `found` with the integer quoted, where the key's first quote
    follows `{` or `,` and blanks (a quote after a backslash may be inside a string);
    else as found."""
    text, start = found.string, found.start()
    if _before(text, start) not in (b"{", b","):
        return found[0]
    key, _, number = found[0].rpartition(b":")
    digits = number.lstrip(b" \t")
    return key + b":" + number[: len(number) - len(digits)] + b'"' + digits + b'"'


def _before(text: bytes, start: int) -> bytes:
    """The byte before `start` in `text` that is not a blank (space or tab), or b""."""
    at = start - 1
    while at >= 0 and text[at] in b" \t":
        at -= 1
    return text[at : at + 1] if at >= 0 else b""


def id_text(value: Any) -> str | None:
    """A decoded JSON id as a column of ids as text holds it: text as it is, an integer
    as its digits (as `integer_ids_quoted` writes it), a number or a flag as the text
    `pattern_key` keys it by ("1" for 1.0, "true"); raises `TypeError` for an object or
    a list, which names no pattern (the standard reader names its line)."""
    if value is None or type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    if type(value) in (bool, float):
        return pattern_key(value)
    raise TypeError(f"no pattern id: {type(value).__name__}")
