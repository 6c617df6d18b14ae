"""Text columns of Python objects (pandas' before version 3, numpy's) coded before export.

pandas before version 3 holds every text column as numpy objects (`read_csv`, `read_sql`
and a frame built from lists all do), and exporting one to Arrow converts it string by
string: about 33 ns a row, so four text columns of a million rows took twice the time of
the reduction itself. The core codes such a column by its objects instead
(`_core.object_text_codes`: a row whose object was seen lately costs a lookup by address),
and the codes become a pandas Categorical, which pandas exports as a dictionary-encoded
column, as it does a frame's own categoricals (or, in a dict of numpy arrays or pandas
Series, an Arrow dictionary array).

The values are the same: a str (a subclass too) is its text, None and a float NaN are
missing, as in pyarrow's conversion. A column holding anything else (a number, pandas'
NA, a str with a lone surrogate) is left as it is, to the checks and the conversion it
had before; so is a column of more distinct strings than a sixteenth of its rows (and
1,024): coding those cost more than pyarrow's conversion (a million rows of 221,000
distinct paths: 143 ns a row, against 33), and the codes give up as soon as they pass it.
"""

from __future__ import annotations

from typing import Any

from usage_analytics import _core

__all__ = ["TEXT_COLUMNS", "object_text_as_categories", "object_text_as_dictionary"]

#: The record fields of text (names), and the batch's pattern id.
TEXT_COLUMNS = frozenset({"agent", "context_type", "project", "file_path", "pattern_id"})

#: A column with up to this many distinct strings is coded whatever its length.
_ALWAYS_CODED = 1_024


def object_text_as_categories(frame: Any, wanted: frozenset[str]) -> Any:
    """`frame` (a pandas DataFrame) with each column of `wanted` text fields that holds
    only str objects and missing markers as a Categorical of the same values; the frame
    itself where there is none."""
    import pandas as pd

    coded = {}
    for name in frame.columns:
        if name not in wanted or name not in TEXT_COLUMNS or name in coded:
            continue
        found = _codes(frame[name])
        if found is not None and found[1]:  # (no text at all: categories of no type)
            codes, distinct = found
            categories = pd.CategoricalDtype(pd.Index(distinct, dtype=object))
            coded[name] = pd.Categorical.from_codes(codes, dtype=categories)
    if not coded:
        return frame
    # (Not `assign`: without pandas 3's copy-on-write it copies the whole frame.)
    recoded = frame.copy(deep=False)
    for name, categorical in coded.items():
        recoded[name] = categorical
    return recoded


def object_text_as_dictionary(pa: Any, name: str, column: Any) -> Any:
    """A dict of columns' column `name` (a numpy array or pandas Series of objects) as an
    Arrow dictionary array of the same values, where it is a text field's column that holds
    only str objects and missing markers; None for any other."""
    found = _codes(column) if name in TEXT_COLUMNS else None
    if found is None:
        return None
    codes, distinct = found
    indices = pa.array(codes, mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(distinct, pa.string()))


def _codes(column: Any) -> tuple[Any, list[str]] | None:
    """The codes (int32, -1 missing) and distinct texts of a column of numpy objects (an
    array or a pandas Series of them), or None (`_core.object_text_codes`)."""
    import numpy as np

    dtype = getattr(column, "dtype", None)  # (None for a frame: a duplicated name's)
    if not isinstance(dtype, np.dtype) or dtype.kind != "O" or getattr(column, "ndim", 0) != 1:
        return None  # (not objects: pandas' `str` and categoricals export as they are)
    if type(column) is np.ndarray:
        values = column
    elif type(column).__module__.partition(".")[0] == "pandas":  # (a Series; an Index)
        values = column.to_numpy()
    else:
        return None  # (a masked array's mask, another library's array: pyarrow's to read)
    found = _core.object_text_codes(values, max(len(values) // 16, _ALWAYS_CODED))
    if found is None:
        return None
    codes, distinct = found
    return np.frombuffer(codes, dtype=np.int32), distinct
