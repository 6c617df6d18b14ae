"""Number texts whose float lands on a bound of their field but whose own value is past it.

A source that stores numbers as text (a CSV cell, a SQLite text cell) reads them with
`float()`, which rounds: "1.00000000000000000001" is the float 1.0 and "-1e-400" is -0.0,
a good score and a good execution time, where the same values as `Decimal`s in a list of
dicts are invalid (DESIGN.md's [0, 1] and ">= 0" are the value's ranges, not its float's:
`fields.rs` `number`, `tests/reference.py` `above_one`). Only a text whose float is
exactly on a bound can be so (a float past the bound is refused as it is): -0.0 for
either number field, 1.0 for a score. Such a text is read again exactly, as a `Decimal`,
and where it is past the bound it becomes a `WrittenNumber`: that `Decimal`, shown in an
error as the cell has it, which the core refuses as it refuses the `Decimal`.

-0.0 itself is no negative number ("-0", "-0.0", as the float -0.0 and `Decimal("-0")` in
a list of dicts): only a text whose exact value is below 0 is.

JSON Lines are not read so (a decision DESIGN.md leaves open): a JSON number is a double
to `json` (the standard reader, and anyone's `json.loads` of the line) and to pyarrow's
reader alike, as RFC 8259 expects of most readers, and both readers agree with each
other; reading each number's text again would cost every float of every line.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "WrittenNumber",
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
    score's 1.0 from a text of 17 characters or more (`_FEWEST_PAST_ONE`). Callers test
    `number in (0.0, 1.0)` first, inline: every other number costs nothing more."""
    if number == 0.0:
        return "-" in text
    return number == 1.0 and name == _SCORE and len(text) >= _FEWEST_PAST_ONE


def past_its_bound(name: str, text: str) -> WrittenNumber | None:
    """The exact value of `text` (which `may_be_past_its_bound`) where it is past number
    field `name`'s bound, below 0 or a score above 1; None where it is not (or is no
    text `Decimal` reads: `float()` takes a few it does not, none of them such)."""
    try:
        number = Decimal(text)  # (C: a score column's ones each pass here)
    except (InvalidOperation, ValueError):
        return None
    if number < 0 or (name == _SCORE and number > 1):
        return WrittenNumber(text)
    return None


def rows_to_read_again(pa: Any, name: str, numbers: Any, text: Any) -> Any:
    """The rows (Arrow indices) of number field `name`'s array of doubles `numbers`,
    read from the string array `text`, whose text a reader looks at again: every bad
    number (negative; a score above 1), to show a bad integer as written, and every
    number whose text may be past the bound its float is on (`may_be_past_its_bound`,
    vectorized): -0.0, and a score's 1.0 of 17 bytes or more (`_FEWEST_PAST_ONE`). One
    vectorized pass; no text is read here ("1", "1.0" and "1.000" pass at once)."""
    pc = pa.compute
    # (The sign bit: every negative number and -0.0, which Arrow's less-than holds equal
    # to 0.0. A NaN with the sign bit, "-nan", is looked at for nothing.)
    look = pc.less(numbers.view(pa.int64()), 0)
    if name == _SCORE:
        long = pc.greater_equal(pc.binary_length(text), _FEWEST_PAST_ONE)
        above = pc.or_(pc.greater(numbers, 1.0), pc.and_(pc.equal(numbers, 1.0), long))
        look = pc.or_(look, above)
    return pc.indices_nonzero(pc.fill_null(look, False))
