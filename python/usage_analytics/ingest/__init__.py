"""Any input form -> the Rust core's readers.

- a list or tuple of record mappings: read by Rust straight from the Python objects, as
  is a pandas Series of them (`pd.Series(records)`, a `df.apply(f, axis=1)` of dicts:
  the list of its values, not pyarrow's inference of one type per field);
- anything exporting the Arrow PyCapsule interface (`__arrow_c_stream__` or
  `__arrow_c_array__`: pyarrow tables and record batches, polars and pandas DataFrames,
  DuckDB results): read by Rust from the Arrow buffers, without copying numeric columns and
  with the GIL released (a pandas text column of Python objects is coded by the core into
  a categorical first, which exports as a dictionary: `object_text`);
- a dict of column name -> list (or tuple): read by Rust row by row, as the list of dicts
  of its rows (the same records), unless its timestamps are ints (epoch microseconds, a
  columnar form that records refuse: read as a table then);
- a dict of column name -> pandas Series: read by position as any column, so Series of
  different indexes (which pandas would pair by label) are refused (`series_indexes`);
- a dict of column name -> numpy array (or lists beside arrays): turned into an Arrow
  table (the `arrow` extra), without copying numeric arrays where the layout allows;
  arrays of numbers, flags, times and durations from their buffers (`numpy_buffers`),
  as pyarrow converts them but without importing pandas, which pyarrow's conversion
  does to ask whether an array is a pandas Series. As
  in pandas, NaN in a numpy float array means "missing" there (numpy has no other missing
  marker); in a list of dicts and in Arrow data a NaN is an invalid value. A pandas flag
  column of floats that are all 0, 1 or NaN (how pandas stores 0/1 with a missing value)
  is read as booleans, NaN missing; other float flags are refused.

The same records give the same analytics whatever their form, so a record's values read
as a column's do: a timestamp is a datetime (naive = UTC), a date (its midnight UTC, as in
an Arrow date32 column), a numpy datetime64 (naive = UTC, floored to the microsecond, as
in a datetime64 array) or ISO-8601 text; a flag is a bool, a numpy bool or the int 0 or 1
(a numpy integer too, as in an int column). Integers as epoch microseconds are a columnar
form only: in a record an int timestamp is more likely seconds, so it is refused. (A
column of seconds or milliseconds, read as microseconds of 1970, is told by the core's
result, which holds the least and greatest of them, a stream's too, for the reducer's
warning: `input_notes`.)

An execution time may be a duration (`end - start`), read as its milliseconds, exactly: N
units are N * (milliseconds per unit) as a float64, rounded once (N ns -> N / 1e6, N s ->
N * 1e3). So is an Arrow `duration` column of any unit (pyarrow; polars' `Duration`), a
pandas `timedelta64` column, a numpy `timedelta64` array (of weeks or finer units,
converted exactly to a unit Arrow has, else refused) and, in a record, a
`datetime.timedelta` (its exact microseconds / 1e3, not `total_seconds() * 1000`, which
rounds twice), a pandas `Timedelta` (with its nanoseconds) or a numpy `timedelta64`. A
null or NaT is a missing time; a negative duration is an invalid record, as a negative
number is. An Arrow `month_day_nano_interval` (DuckDB's INTERVAL, its `end - start`) is
its days of 86,400 s (as DuckDB's `epoch()` counts them) and nanoseconds, and so is
pyarrow's `MonthDayNano` in a record (its `to_pylist` value); one with months, which have
no fixed length, is an invalid record.

A list in a dict of columns (or a numpy array of Python objects there, as a pandas column
of them: NaN, NaT and pandas' NA missing), or a pandas column of Python objects, whose
values are of several kinds (a bool among numbers, datetimes after a date, a float among
flags) is not left to Arrow's inference, which would coerce them to one type silently: the
data is read as its records, each value judged as in a list of dicts (or, where it cannot
be, such as beside int timestamps, refused naming the column and its kinds). So is a
number field's list beside arrays holding a bad value that its column would show otherwise
than its record does (an int -2 among floats, "-2.0" in a float column), so that errors
and samples show the values as given.

A stream (a pyarrow RecordBatchReader, DuckDB's `fetch_record_batch`) is read once, as a
Python iterator is: reduced again, it holds no more records. DuckDB results are read one
at a time (a DuckDB connection refuses a second query while one runs), so concurrent
awaits of one connection's results wait for each other instead of failing.

One module per input form, each importing only those below it (no cycle): `dispatch`
picks the reader for an input (`read_any`, `reduce_any`, `records_container`) and hands
a list of records to the core as it is; `dict_columns` reads a dict of columns, with
`numpy_columns` (one column as an Arrow array, with `numpy_buffers`), after
`series_indexes` (its pandas Series of one index); `arrow_data` reads data exporting Arrow
(pyarrow, polars, pandas, DuckDB), with `pandas_objects` (a pandas frame's columns of
Python objects), `arrow_export` (what the core's Arrow reader takes), `checked_stream`
(a stream checked batch by batch) and `duckdb_reads` (a connection's reads in turn).
Shared below them: `fields` (the record columns, the core readers' signatures),
`spellings` (names that look like a field spelled otherwise, `ColumnNameWarning`'s,
told of by the reducer, the accumulators and `dask` before a read), `libraries` (what a
value is, no library imported to tell), `kinds` (the kinds of a
column's Python objects, their missing markers), `as_records` (columns read as their
records' values), `pandas_floats` (float flags and ids) and `polars_dtypes`. The names
other modules, tests and users import from here are re-exported here.
"""

from __future__ import annotations

from usage_analytics.ingest.dict_columns import columns_to_arrow as columns_to_arrow
from usage_analytics.ingest.dispatch import (
    is_arrow,
    read_any,
    records_container,
    reduce_any,
    row_count,
)
from usage_analytics.ingest.fields import RECORD_COLUMNS
from usage_analytics.ingest.fields import ArrowReader as ArrowReader
from usage_analytics.ingest.fields import CoreReader as CoreReader
from usage_analytics.ingest.kinds import _column_kinds as _column_kinds
from usage_analytics.ingest.pandas_floats import float_flags_as_bools
from usage_analytics.ingest.pandas_floats import float_ids as float_ids
from usage_analytics.ingest.pandas_floats import float_ids_as_ints as float_ids_as_ints
from usage_analytics.ingest.pandas_objects import (
    mixed_object_column,
    object_conversions_unless_records,
)

__all__ = [
    "RECORD_COLUMNS",
    "float_flags_as_bools",
    "is_arrow",
    "mixed_object_column",
    "object_conversions_unless_records",
    "read_any",
    "records_container",
    "reduce_any",
    "row_count",
]
