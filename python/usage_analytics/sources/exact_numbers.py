"""Number texts whose float lands on a bound of their field but whose own value is past it,
and number texts that are bad values: both shown in an error as written.

A source that stores numbers as text (a CSV cell, a SQLite text cell) reads them with
`float()`, which rounds: "1.00000000000000000001" is the float 1.0 and "-1e-400" is -0.0,
a good score and a good execution time, where the same values as `Decimal`s in a list of
dicts are invalid (DESIGN.md's [0, 1] and ">= 0" are the value's ranges, not its float's:
`fields.rs` `number`, `tests/reference.py` `above_one`). Only a text whose float is
exactly on a bound can be so (a float past the bound is refused as it is): -0.0 for
either number field, 1.0 for a score. Such a text is read again exactly, as a `Decimal`,
and where it is past the bound it becomes a `WrittenNumber`: that `Decimal`, shown in an
error as the cell has it, which the core refuses as it refuses the `Decimal`.

A text whose float is a bad value is shown as written too (`bad_as_written`): "1e400", or
a 400-digit integer, is the float inf (shown "inf", where the same `Decimal` is shown
`Decimal('1E+400')`), and "-0.00000000000000000001" is -1e-20. Such a text is a
`WrittenNumber` as well, which the core refuses as it refuses its float: not finite (a
time has no upper bound, but DESIGN.md's "finite number >= 0" refuses inf however it is
written), negative, a score above 1. Only texts whose float is not strictly inside the
field's good range are looked at (`typed_text`): a good number costs one comparison.

-0.0 itself is no negative number ("-0", "-0.0", as the float -0.0 and `Decimal("-0")` in
a list of dicts): only a text whose exact value is below 0 is.

JSON Lines are not read exactly on a bound (a decision DESIGN.md leaves open): a JSON
number is a double to `json` (the standard reader, and anyone's `json.loads` of the line;
a JSON integer is an int) and to pyarrow's reader alike, as RFC 8259 expects of most
readers, and both readers agree with each other; reading each number's text again would
cost every float of every line, so `-1e-400` is the good -0.0 there. A JSON number whose
double is bad is shown as written since session 56 (`jsonl_written`): only its line is
read again, so a JSON 1e400 is shown 1e400, no longer inf.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "WrittenNumber",
    "bad_as_written",
    "may_be_past_its_bound",
    "past_its_bound",
    "rows_to_read_again",
]

#: The record field whose numbers have an upper bound, 1 (the other's has none).
_SCORE = "quality_score"


class WrittenNumber(Decimal):
    """A number text's exact value (a `Decimal`, compared exactly by the core), shown as
    the text is written (trimmed), not as `Decimal('...')`: the cell a user looks for."""

    _text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number._text = text.strip()
        return number

    def __repr__(self) -> str:
        return self._text

    def __reduce__(self) -> tuple[Any, ...]:
        # (Decimal's own pickles the class with its str, which would lose the text.)
        return (WrittenNumber, (self._text,))


#: The fewest characters of a text whose float is 1.0 but which is above 1: such a number
#: has 17 significant digits or more (with 16, the least above 1 is 1.000000000000001, a
#: float of its own: floats above 1 are 2**-52, about 2.2e-16, apart).
_FEWEST_PAST_ONE = 17


def may_be_past_its_bound(name: str, text: str, number: float) -> bool:
    """Whether `text`, read by `float()` as `number` for number field `name`, may be
    past the bound its float is on: a zero from a text with a minus ("-1e-400"), a
    score's 1.0 from a text of 17 characters or more (`_FEWEST_PAST_ONE`). (Only a
    number on or past a bound comes here: `typed_text` tests that inline.)"""
    if number == 0.0:
        return "-" in text
    return number == 1.0 and name == _SCORE and len(text) >= _FEWEST_PAST_ONE


def past_its_bound(name: str, text: str) -> WrittenNumber | None:
    """The exact value of `text` (which `may_be_past_its_bound`) where it is past number
    field `name`'s bound, below 0 or a score above 1; None where it is not (or is no
    text `Decimal` reads: every text of `number_text`'s grammar is one)."""
    try:
        number = Decimal(text)  # (C: a score column's ones each pass here)
    except (InvalidOperation, ValueError):
        return None
    if number < 0 or (name == _SCORE and number > 1):
        return WrittenNumber(text)
    return None


def bad_as_written(text: str) -> WrittenNumber | None:
    """`text`, whose float is a bad value of its field (not finite, negative, a score
    above 1), as a `WrittenNumber`, shown as written; None where it is no text `Decimal`
    reads (none of `number_text`'s grammar; the float is shown then, as before)."""
    try:
        return WrittenNumber(text)
    except (InvalidOperation, ValueError):
        return None


#: The bits of the double +inf, as an unsigned integer: every double that is not finite
#: or has the sign bit is as much or more (`rows_to_read_again`).
_FROM_INFINITY = 0x7FF0_0000_0000_0000


def rows_to_read_again(pa: Any, name: str, numbers: Any, text: Any) -> Any:
    """The rows (Arrow indices) of number field `name`'s array of doubles `numbers`,
    read from the string array `text`, whose text a reader looks at again: every bad
    number (not finite; negative; a score above 1), to show it as written, and every
    number whose text may be past the bound its float is on (`may_be_past_its_bound`,
    vectorized): -0.0, and a score's 1.0 of 17 bytes or more (`_FEWEST_PAST_ONE`). One
    vectorized pass; no text is read here ("1", "1.0" and "1.000" pass at once)."""
    pc = pa.compute
    # (As unsigned integers, the doubles from +inf up are +inf, the NaNs and every one
    # with the sign bit: every negative number, -inf, and -0.0, which Arrow's less-than
    # holds equal to 0.0. One kernel: a number that is not finite costs nothing more.)
    look = pc.greater_equal(numbers.view(pa.uint64()), pa.scalar(_FROM_INFINITY, pa.uint64()))
    if name == _SCORE:
        long = pc.greater_equal(pc.binary_length(text), _FEWEST_PAST_ONE)
        above = pc.or_(pc.greater(numbers, 1.0), pc.and_(pc.equal(numbers, 1.0), long))
        look = pc.or_(look, above)
    return pc.indices_nonzero(pc.fill_null(look, False))
