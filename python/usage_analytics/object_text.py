"""Text columns of Python objects (pandas' before version 3, numpy's) and numpy text
arrays coded before export.

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

A numpy text array (dtype `<U`, what `np.array(list_of_str)` gives) in a dict of columns
is coded by its rows' bytes (`_core.fixed_text_codes`): pyarrow decoded it from numpy's
UTF-32 row by row, about 120 ns a row, where the object array of the same ids took 35.
Its values are numpy's (trailing NULs are numpy's padding, not text; a NUL within a row
is kept, where pyarrow's conversion cut the row there: `arrow_of_numpy_text`). An array
holding a code point that is no Unicode scalar value, or of more distinct strings than
the limit above (coding those cost more than pyarrow's conversion: a million distinct
paths, 1.6-2.1 s against 0.3-1.0 s), is left to that conversion.
"""

from __future__ import annotations

from typing import Any

from usage_analytics import _core

__all__ = [
    "TEXT_COLUMNS",
    "arrow_of_numpy_text",
    "object_text_as_categories",
    "object_text_as_dictionary",
]

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
    """A dict of columns' column `name` (a numpy array or pandas Series of objects, a
    numpy text array, or a list) as an Arrow dictionary array of the same values, where it
    is a text field's column that holds only str objects and missing markers (in a list,
    None alone: pyarrow reads its NaN as a float), or text; None for any other."""
    import numpy as np

    from usage_analytics.ingest.numpy_buffers import arrow_of_plain_numpy
    from usage_analytics.ingest.text_buffers import arrow_of_str

    if name not in TEXT_COLUMNS:
        return None
    found = _list_codes(column) if isinstance(column, (list, tuple)) else _codes(column)
    if found is None:
        return None
    codes, distinct = found
    # (From buffers: pyarrow's conversion of the codes and texts imported pandas.)
    indices = arrow_of_plain_numpy(pa, np.ma.masked_array(codes, mask=codes < 0))
    return pa.DictionaryArray.from_arrays(indices, arrow_of_str(pa, distinct))


def arrow_of_numpy_text(pa: Any, column: Any) -> Any:
    """A numpy text array (dtype `U`, native byte order; masked rows null) as an Arrow
    string array of the values numpy holds (`text_buffers.arrow_of_fixed_text`).
    pyarrow's conversion cuts a row at its first NUL ("a\0b" read as "a", so two ids were
    one), where numpy, its `tolist()` and a list of the same str keep it. (Trailing NULs
    are numpy's padding: "a\0" is "a" in numpy too.) A bytes array (`S`) is Arrow binary,
    as pyarrow has it."""
    from usage_analytics.ingest.text_buffers import arrow_of_fixed_text

    # (From its buffers, numpy's values: pandas not imported. A dtype of 2 GiB a row is
    # pyarrow's, cut at NULs.)
    converted = arrow_of_fixed_text(pa, column)
    return converted if converted is not None else pa.array(column, from_pandas=True)


def _list_codes(column: list[Any] | tuple[Any, ...]) -> tuple[Any, list[str]] | None:
    """`_codes` of a list's values, where it holds text and none of its missing ones is a
    float NaN (a text among floats to pyarrow, which reads a list as it is, without
    pandas' markers)."""
    import numpy as np

    values = np.fromiter(column, dtype=object, count=len(column))  # (each object as it is)
    found = _codes(values)
    if found is None or not found[1]:  # (Nones alone: Arrow's null type, as they were)
        return None
    missing = values[found[0] < 0]
    if any(value is not None for value in missing.tolist()):
        return None
    return found


def _codes(column: Any) -> tuple[Any, list[str]] | None:
    """The codes (int32, -1 missing) and distinct texts of a column of numpy objects (an
    array or a pandas Series of them: `_core.object_text_codes`) or of a numpy text array
    (`_core.fixed_text_codes`), or None."""
    import numpy as np

    dtype = getattr(column, "dtype", None)  # (None for a frame: a duplicated name's)
    if _numpy_text(column):
        if not column.dtype.isnative:  # (">U" from another machine's file: a copy)
            column = column.astype(column.dtype.newbyteorder("="))
        found = _core.fixed_text_codes(column, max(len(column) // 16, _ALWAYS_CODED))
        return None if found is None else (np.frombuffer(found[0], dtype=np.int32), found[1])
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


def _numpy_text(column: Any) -> bool:
    """Whether `column` is a plain 1-D numpy text array (not a masked array, whose masked
    rows are missing: pyarrow's to convert)."""
    import numpy as np

    return type(column) is np.ndarray and column.dtype.kind == "U" and column.ndim == 1
