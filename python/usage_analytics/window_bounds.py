"""A window bound given as a number (or a numpy datetime64): read as a record's
timestamp of that value is, or refused saying why.

pydantic reads a number given for a datetime as epoch seconds (milliseconds above 2e10),
and the text of one too: `time_window_start=1_700_000_000_000_000`, microseconds as the
records' integer timestamps are, was refused as "dates after 9999 are not supported as
unix timestamps", and the text "2026" (a year, from a query string) was silently the
instant 1970-01-01T00:33:46. The design is silent on numeric bounds; these are the
library's choices, one unit for every integer time it reads:

- an int (a numpy int too) is epoch microseconds, as columnar records' integer timestamps
  are; one that lies in 1970 is refused, saying which unit it looks like written in
  (`input_notes.integer_unit`, the records' hint's rule) and what to multiply it by: a
  window of 1970 is given as datetimes; 0, the epoch in any unit, is taken;
- a float or a Decimal, and text (or bytes) that reads as a number, is refused: no record
  timestamp is one either, and a float holds no instant of today to the microsecond;
- a numpy datetime64 (pydantic refused it, where a record's timestamp may be one) is its
  instant, naive = UTC, floored to the microsecond as the core floors a record's, exact
  for any unit and multiple (numpy's own conversion wraps past 64 bits); NaT and one
  outside the years 1 to 9999 are refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from numbers import Integral
from typing import Any

from usage_analytics.input_notes import integer_unit

__all__ = ["numeric_window_bound"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: What a bound of each unit `integer_unit` names is multiplied by to be microseconds.
_TO_MICROSECONDS = {"seconds": "1_000_000", "milliseconds": "1_000"}
#: numpy's time units of a whole number of microseconds, and those finer than one.
_MICROSECONDS_PER_TICK = {
    "W": 604_800_000_000,
    "D": 86_400_000_000,
    "h": 3_600_000_000,
    "m": 60_000_000,
    "s": 1_000_000,
    "ms": 1_000,
    "us": 1,
}
_TICKS_PER_MICROSECOND = {"ns": 10**3, "ps": 10**6, "fs": 10**9, "as": 10**12}
_ACCEPTED = "a datetime, ISO-8601 text or an int of epoch microseconds"


def numeric_window_bound(value: Any) -> Any:
    """`value` as the datetime it names where it is an int (epoch microseconds) or a
    numpy datetime64; a ValueError saying why where it is another number or the text of
    one; any other value as given (for pydantic's datetime parsing)."""
    if isinstance(value, bool):  # (an int, but no time: pydantic refuses it)
        return value
    if type(value).__name__ == "datetime64" and type(value).__module__ == "numpy":
        return _from_datetime64(value)
    if isinstance(value, Integral):
        return _from_microseconds(int(value))
    if isinstance(value, (float, Decimal)):
        raise ValueError(
            f"must be {_ACCEPTED} (as records' integer timestamps are), "
            f"got {type(value).__name__} {value!r}"
        )
    if isinstance(value, (str, bytes, bytearray)) and _is_number_text(value):
        raise ValueError(
            f"must be {_ACCEPTED}, got the text of a number, {value!r}: write the "
            "time as ISO-8601 text (2026-11-20T12:00:00Z)"
        )
    return value


def _from_microseconds(micros: int) -> datetime:
    # (0 is the epoch in every unit: a window "from the start of time", not refused as
    # looking like seconds, which "multiply it by 1_000_000" would not have mended.)
    unit = integer_unit(micros, micros) if micros else None
    if unit is not None:
        shown = _EPOCH + timedelta(microseconds=micros)
        raise ValueError(
            f"{micros} read as epoch microseconds (as records' integer timestamps are) is "
            f"{shown.isoformat()}, in 1970: it looks like epoch {unit}; multiply it by "
            f"{_TO_MICROSECONDS[unit]}, or pass a datetime"
        )
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise ValueError(
            f"{micros} read as epoch microseconds is outside the years 1 to 9999"
        ) from None


def _from_datetime64(value: Any) -> datetime:
    import numpy as np  # (here: numpy is no dependency of the library, and is given)

    if np.isnat(value):
        raise ValueError("not a time (NaT): a window bound must be an instant")
    # Exact, in Python's integers: numpy's own `astype` multiplies the ticks by the
    # unit's multiple in 64 bits and wraps without a word (datetime64(2**62, "7ns"),
    # 2992, read as 1823), where the records' reader (`rust/numpy_time.rs`) is exact.
    unit, multiple = np.datetime_data(value.dtype)
    count = int(value.astype(np.int64))
    ticks = count * multiple
    shown = f"numpy.datetime64({count}, '{multiple}{unit}')"
    if unit in ("Y", "M"):
        year, month = divmod(ticks * 12 if unit == "Y" else ticks, 12)
        if not 1 <= year + 1970 <= 9999:
            raise ValueError(f"{shown} is outside the years 1 to 9999")
        return datetime(year + 1970, month + 1, 1, tzinfo=UTC)
    if unit in _MICROSECONDS_PER_TICK:
        micros = ticks * _MICROSECONDS_PER_TICK[unit]
    elif unit in _TICKS_PER_MICROSECOND:
        micros = ticks // _TICKS_PER_MICROSECOND[unit]  # (floored, as a record's is)
    else:  # (numpy makes no time of its unitless "generic" unit but NaT: defensive)
        raise ValueError(f"{shown} has no time unit: a window bound must be an instant")
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise ValueError(f"{shown} is outside the years 1 to 9999") from None


def _is_number_text(text: str | bytes | bytearray) -> bool:
    """Whether `text` reads as a number (pydantic would take it for epoch seconds)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
