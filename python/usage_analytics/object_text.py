"""pandas text columns of Python objects as categoricals, before a frame is exported.

pandas before version 3 holds every text column as numpy objects (`read_csv`, `read_sql`
and a frame built from lists all do), and exporting one to Arrow converts it string by
string: about 33 ns a row, so four text columns of a million rows took twice the time of
the reduction itself. The core codes such a column by its objects instead
(`_core.object_text_codes`: a row whose object was seen lately costs a lookup by address),
and the codes become a pandas Categorical, which pandas exports as a dictionary-encoded
column, as it does a frame's own categoricals.

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

__all__ = ["TEXT_COLUMNS", "object_text_as_categories"]

#: The record fields of text (names), and the batch's pattern id.
TEXT_COLUMNS = frozenset({"agent", "context_type", "project", "file_path", "pattern_id"})

#: A column with up to this many distinct strings is coded whatever its length.
_ALWAYS_CODED = 1_024


def object_text_as_categories(frame: Any, wanted: frozenset[str]) -> Any:
    """`frame` (a pandas DataFrame) with each column of `wanted` text fields that holds
    only str objects and missing markers as a Categorical of the same values; the frame
    itself where there is none."""
    import numpy as np
    import pandas as pd

    coded = {}
    for name in frame.columns:
        if name not in wanted or name not in TEXT_COLUMNS or name in coded:
            continue
        series = frame[name]
        dtype = getattr(series, "dtype", None)  # (a frame where the name is duplicated)
        if not isinstance(dtype, np.dtype) or dtype.kind != "O":
            continue  # (not objects: pandas' `str` and categoricals export as they are)
        values = series.to_numpy()
        found = _core.object_text_codes(values, max(len(values) // 16, _ALWAYS_CODED))
        if found is not None:
            codes, distinct = found
            categories = pd.Index(distinct, dtype=object)
            coded[name] = pd.Categorical.from_codes(
                np.frombuffer(codes, dtype=np.int32), dtype=pd.CategoricalDtype(categories)
            )
    return frame.assign(**coded) if coded else frame
