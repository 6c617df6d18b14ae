"""What a value is, told by its type's module and attributes alone: pandas, polars and
pyarrow are optional extras, and numpy's and pandas' imports are not free, so no library
is imported to ask whether a value is one of its own."""

from __future__ import annotations

from typing import Any


def _library(value: object) -> str:
    """The top-level package that defines `value`'s type ("numpy", "pandas", ...)."""
    return type(value).__module__.partition(".")[0]


def _holds_objects(series: Any) -> bool:
    """Whether a pandas column holds Python objects: numpy's object dtype (not pandas'
    `str`, whose kind is "O" too, nor a frame, which a duplicate column name selects)."""
    dtype = getattr(series, "dtype", None)
    return getattr(dtype, "kind", None) == "O" and _library(dtype) == "numpy"


def _extension_name(kind: Any) -> str | None:
    return getattr(kind, "extension_name", None)


def _is_numpy_objects(dtype: Any) -> bool:
    return dtype is not None and _library(dtype) == "numpy" and dtype.kind == "O"
