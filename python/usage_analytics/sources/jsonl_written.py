"""A JSON Lines number whose double is a bad value, shown as the line writes it.

`json` and pyarrow's reader alike read a JSON number that is no integer as a double, so
an error showed `"execution_time_ms": 1e400` as inf, `-0.00000000000000000001` as
-1e-20 and a score `1.50` as 1.5, where a CSV cell or a SQLite text cell is shown as
written (`exact_numbers.bad_as_written`). Now such a value is a `WrittenNumber`, its text
as the line writes it, which the core refuses as it refuses the double (not finite,
negative, a score above 1), shown as written. Only a bad value pays: its line is decoded
again (`written_values`: each number that is no integer, and `NaN`, `Infinity`,
`-Infinity`, kept as its text), by the standard reader as it reads the line
(`as_written`, after a check of the record's two numbers), by pyarrow's as the few
lines of its bad values are looked up (`jsonl_numbers`).

What is valid is the double's verdict, as before: a text whose double is good is read
as that double, even where its exact value is past a bound the double is on (`-1e-400`,
the double -0.0; a decision DESIGN.md leaves open, `exact_numbers`), and a bad double's
text is refused however exact.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from usage_analytics.sources.exact_numbers import bad_as_written

__all__ = ["FloatText", "as_written", "has_bad_double", "written_values"]


class FloatText(str):
    """A JSON number that is no integer (or `NaN`, `Infinity`, `-Infinity`) as written."""


#: `json`'s decoder keeping such numbers as their text.
_WRITTEN = json.JSONDecoder(parse_float=FloatText, parse_constant=FloatText)


def written_values(line: str) -> Any:
    """A JSON Lines line (valid JSON: the reader decoded it) decoded with each number that
    is no integer a `FloatText`."""
    return _WRITTEN.decode(line)


_INFINITY = math.inf


def has_bad_double(record: dict[str, Any]) -> bool:
    """Whether a record (by record field) holds a double that is a bad value of its field:
    not finite, negative (but -0.0), a score above 1. (Each record of the standard reader
    is checked: two look-ups and comparisons, few next to its line's decoding.)"""
    time = record.get("execution_time_ms")
    score = record.get("quality_score")
    return (time.__class__ is float and not 0.0 <= time < _INFINITY) or (
        score.__class__ is float and not 0.0 <= score <= 1.0
    )


def as_written(
    record: dict[str, Any], line: str, rename: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """`record` (which `has_bad_double`), read from `line` and renamed by `rename`, with
    each bad double a `WrittenNumber` of its text in the line."""
    written = rename(written_values(line.rstrip("\r\n")))
    shown = dict(record)
    for name in ("execution_time_ms", "quality_score"):
        text = written.get(name)
        if type(text) is FloatText and has_bad_double({name: record.get(name)}):
            number = bad_as_written(text)
            if number is not None:
                shown[name] = number
    return shown
