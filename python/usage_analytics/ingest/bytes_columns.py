"""A numpy bytes array (dtype `S`) as a record field's column of a dict of columns, refused
before it is converted (`refuse_bytes_column`).

Arrow reads such an array as `binary`, a type the core takes for no field: it was
converted to Arrow whole (`text_buffers`, a pass over every byte: 0.1-0.2 s for a
million rows) and only then refused by the core, whatever its values. The refusal is
now the core's own (the same words, `unsupported` in rust/arrow_ingest.rs, and the
array's dtype as `dict_columns._with_numpy_dtype` names it), raised before the column is
converted, with the array's first value and its row: the caller sees what is held
(`b'yes'`, text that was never decoded). An array of no values (no rows, or every row
masked) is all missing to the core, which reads it so: left to be converted as before.
"""

from __future__ import annotations

from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.fields import _FLAG_COLUMNS

__all__ = ["first_value", "refuse_bytes_column"]

_TEXT = "strings (utf8, large_utf8, utf8_view or a dictionary of those)"

#: What the core expects of each column in its refusal (rust/arrow_ingest.rs and its
#: modules; tests/test_bytes_columns.py checks each against the core's own words).
_EXPECTED = {
    "timestamp": "a timestamp, int64 epoch microseconds, a date or ISO-8601 strings",
    "execution_time_ms": "a float, integer or duration type",
    "quality_score": "a float or integer type",
    "pattern_id": "strings, integers or 16-byte UUIDs",
    **dict.fromkeys(_FLAG_COLUMNS, "booleans or integers 0/1"),
}


def refuse_bytes_column(name: str, column: Any) -> None:
    """Raise the core's refusal of column `name` (a record field, or a batch's pattern
    id) where `column` is a one-dimensional numpy bytes array, plain or masked, holding a
    value; else return."""
    import numpy as np

    if not isinstance(column, np.ndarray) or column.dtype.kind != "S" or column.ndim != 1:
        return
    if not len(column):
        return  # (no value: all missing, as the core reads it)
    masked = isinstance(column, np.ma.MaskedArray) and column.mask is not np.ma.nomask
    hidden = np.ma.getmaskarray(column) if masked else None
    row = 0 if hidden is None else int(np.argmin(hidden))
    if hidden is not None and hidden[row]:
        return  # (every row masked: as above)
    first = bytes(np.ma.getdata(column)[row])
    raise UsageAnalyticsError(
        f"invalid input: column '{name}' has Arrow type Binary; expected "
        f"{_EXPECTED.get(name, _TEXT)} {first_value(row, first)} (given as a numpy array of "
        f"dtype {str(column.dtype)!r})"
    )


def first_value(row: int, value: bytes) -> str:
    """The words naming a bytes array's first value in its refusal."""
    return f"(row {row} holds {value!r}: bytes, not decoded text)"
