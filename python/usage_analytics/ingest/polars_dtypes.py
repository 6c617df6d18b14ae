"""polars dtypes whose Arrow export cannot be read as it is: refused naming the column
(Python objects, 128-bit ints), or cast first (the `Null` type, without pyarrow)."""

from __future__ import annotations

from typing import Any

from usage_analytics.errors import UsageAnalyticsError

#: polars dtypes whose Arrow export is no column of their values: Python objects cross as
#: their 8-byte pointers (read as a binary column), 128-bit ints as a format pyarrow and
#: the core do not know.
_POLARS_UNEXPORTED = frozenset({"Object", "Int128", "UInt128"})


def _check_polars_dtype(name: str, dtype: Any) -> None:
    """Refuse a polars record column of a dtype in `_POLARS_UNEXPORTED`, naming it: its
    export was refused as "FixedSizeBinary(8)" or "unsupported format string '_pli128'"."""
    if type(dtype).__name__ in _POLARS_UNEXPORTED:
        raise UsageAnalyticsError(
            f"cannot read column '{name}': polars' {dtype} dtype has no Arrow form that holds "
            "its values (cast the column first, or pass the records as a list of dicts)"
        )


def _polars_null_columns_as_text(frame: Any) -> Any:
    """A polars frame with its columns of the `Null` type cast to text (see
    `_without_null_columns`)."""
    import polars as pl

    nulls = [name for name, kind in frame.schema.items() if kind == pl.Null]
    return frame.with_columns(pl.col(nulls).cast(pl.String)) if nulls else frame
