"""A dict of columns whose pandas Series have different indexes, refused
(`refuse_unaligned_series`).

A dict of columns pairs its columns' values by position, the same for a list, a numpy
array and a pandas Series: row i of each column is record i. pandas pairs two Series by
label instead (`pd.DataFrame({...})` aligns them), so where a dict's Series have different
indexes (one sorted, or taken from another frame of as many rows) a caller who thinks in
pandas is given records joining values of different rows, silently. The design is silent
on this: such a dict is refused, naming two of the columns and their first differing
labels, rather than aligned (alignment may add rows of missing values or reorder them:
the caller's choice, made by building the frame). Series of one index, and Series beside
lists or arrays (which have no labels), are read by position as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.libraries import _library


def refuse_unaligned_series(columns: Mapping[str, Any], wanted: frozenset[str]) -> None:
    """A `UsageAnalyticsError` where two of the `wanted` columns of `columns` are pandas
    Series of as many rows whose indexes differ in a label (not merely in dtype).
    (Columns of different lengths are refused later, saying so; `Index.equals` of two
    default indexes costs nothing.)"""
    series = [
        (name, column)
        for name, column in columns.items()
        if name in wanted and _library(column) == "pandas" and type(column).__name__ == "Series"
    ]
    if len(series) < 2:
        return
    first_name, first = series[0]
    for name, column in series[1:]:
        if len(column) != len(first) or column.index.equals(first.index):
            continue
        # (`equals` also refuses indexes of other dtypes whose labels are equal, which
        # pandas pairs row for row: a nullable Int64 index beside a RangeIndex, the same
        # instants in another zone. Those labels are compared one by one, on this path
        # alone.)
        difference = _first_difference(first.index, column.index)
        if difference is not None:
            raise UsageAnalyticsError(
                f"the columns '{first_name}' and '{name}' are pandas Series with different "
                f"indexes ({difference}): a dict of "
                "columns pairs their values by position, not by label, so a record would "
                "join values of different rows; build the frame, pd.DataFrame({...}), "
                "which aligns them by label, or pass each .reset_index(drop=True) to pair "
                "them by position"
            )


def _first_difference(one: Any, other: Any) -> str | None:
    """Where two indexes of as many labels first differ: "row 0 is labelled 3 in one and
    0 in the other" (the first position whose labels differ or are not both labels);
    None where every label is equal (indexes of other dtypes)."""
    for position, (a, b) in enumerate(zip(one, other, strict=True)):
        if not _same_label(a, b):
            return f"row {position} is labelled {_shown(a)} in one and {_shown(b)} in the other"
    return None


def _same_label(a: Any, b: Any) -> bool:
    """Whether two index labels are equal, NaN equal to NaN and pandas' NA to itself
    (whose comparisons are NA, which has no truth value)."""
    try:
        return bool(a == b) or bool(a != a and b != b)
    except (TypeError, ValueError):
        return a is b


def _shown(label: Any) -> str:
    return repr(label.item() if _library(label) == "numpy" and hasattr(label, "item") else label)
