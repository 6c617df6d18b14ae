"""pandas float columns that stand for flags or ids: pandas stores a column of 0/1 or of
int ids with a missing value as float64 (`read_csv` of a blank cell), read here as the
bools or ints they stand for, as the same records are in every other form."""

from __future__ import annotations

from typing import Any

from usage_analytics.ingest.fields import _FLAG_COLUMNS
from usage_analytics.ingest.libraries import _library


def float_flags_as_bools(frame: Any) -> Any:
    """A pandas frame with its flag columns of floats that are all 0, 1 or NaN as nullable
    booleans: pandas stores a column of 0/1 with a missing value (`read_csv` of a file
    with a blank cell) as float64, which a flag column cannot be, and the whole call was
    refused ("has Arrow type Float64") where the same file read by this library's own
    readers gives its flags. Other float flags (0.5) stay floats, refused as before."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return frame
    if not frame.columns.is_unique:
        return frame  # (duplicate names: the export refuses them, naming them)
    flags = _FLAG_COLUMNS.intersection(frame.columns)
    floats = [name for name in sorted(flags) if _zero_one_or_nan(frame[name])]
    if not floats:
        return frame
    return frame.assign(**{name: frame[name].astype("boolean") for name in floats})


def float_ids_as_ints(frame: Any, column: str = "pattern_id") -> Any:
    """A pandas frame with its `column` of ids of floats that are all whole numbers
    (within 64 bits) or NaN as nullable ints, NaN missing: pandas stores int ids with a
    missing one (`read_csv` of a blank cell, a frame built from [1, None]) as float64, and
    a categorical of none at all with float categories, and the whole batch was refused
    ("has Arrow type Float64") where the same records, or the ints without the missing
    id, give each id's pattern (an int id stays an int). Where some are other floats
    (1.5), the column is left as its floats (a categorical's values), which the core
    reads the same way row by row: each such id is its record's error (skipped in skip
    mode), as a float id is in a list of records."""
    if _library(frame) != "pandas" or not hasattr(frame, "columns"):
        return frame
    if not frame.columns.is_unique or column not in frame.columns:
        return frame
    import numpy as np

    ids = float_ids(frame[column])
    if ids is None:
        return frame
    values = ids.to_numpy()
    present = values[~np.isnan(values)]
    whole = np.all(present == np.floor(present)) and np.all(np.abs(present) < 2.0**63)
    if not whole and frame[column].dtype == ids.dtype:  # (floats already: no categorical)
        return frame
    recoded = frame.copy(deep=False)
    recoded[column] = ids.astype("Int64") if whole else ids
    return recoded


def float_ids(ids: Any) -> Any:
    """A pandas Series of ids as its floats (NaN where missing) if they are numpy floats
    or a categorical of float categories, else None."""
    import numpy as np
    import pandas as pd

    if isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.dtype.kind == "f":
        ids = ids.astype(ids.cat.categories.dtype)  # (its values, NaN where missing)
    if getattr(ids.dtype, "kind", None) != "f" or not isinstance(ids.dtype, np.dtype):
        return None
    return ids


def _zero_one_or_nan(column: Any) -> bool:
    """Whether a pandas Series is of a float dtype, its values all 0, 1 or NaN."""
    dtype = getattr(column, "dtype", None)
    if getattr(dtype, "kind", None) != "f":
        return False
    values = column.to_numpy()
    return bool(((values == 0) | (values == 1) | (values != values)).all())
