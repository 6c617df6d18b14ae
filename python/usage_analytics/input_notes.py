"""What the core's counts cannot say about the caller's own input: where in a pandas
frame a record named by its position is, and whether integer timestamps that left every
record outside the window were meant in another unit.

Neither looks at every record again: a record's index label is looked up for the few
records an error or a sample names, and the least and greatest integer timestamps are
the core's, noted as it reads the records it leaves out (`INTEGER_TIMES`), so that a
stream, read once, is told of as a table is. (`integer_times` looks at a table's column
itself, for the CLI's note on a window that its newest record ends.)

Integer timestamps are epoch microseconds in columnar input, the contract (a list of
records refuses them, as their unit cannot be told). Epoch seconds or milliseconds read
so are instants of 1970: seconds of today are about 1.8e9 microseconds, 1970-01-01T00:30,
milliseconds about 1.8e12, 1970-01-21. The results stay as the contract has them; the
caller is told (`TimestampUnitWarning`, the CLI's note) where every integer timestamp of
the input lies in 1970, a year at least before where the records are meant to be (the
window's start; a rolling state's newest bucket, or its clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import _core

__all__ = [
    "INTEGER_TIMES",
    "UnitNote",
    "epoch_unit_hint",
    "filed_unit_hint",
    "index_label",
    "integer_times",
    "integer_unit",
    "noted_stream",
    "with_column_integer_times",
]

#: The key of a core result holding the (least, greatest) of the integer timestamps of
#: the records it left out (outside the window, or invalid); absent for other timestamps
#: and where it left none out.
INTEGER_TIMES = "integer_times"

#: The first instant after 1970, in microseconds since the epoch.
_END_OF_1970_US = 365 * 86_400 * 1_000_000
#: Below this, an integer is taken for epoch seconds (as such, up to the year 5138; as
#: milliseconds, before 1973-03-04), from it on for milliseconds (1973 to 2969).
_SECONDS_BELOW = 10**11
#: How far before where records are meant to be (a window's start, the records a state
#: holds, its clock) records of 1970 must lie to be told of as misread
#: (`_a_year_before`): seconds or milliseconds of any year since 1973 read as microseconds
#: lie years before it, where a replay's records of late 1970 beside 1971's are hours.
_A_YEAR_US = 365 * 86_400 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _library(value: object) -> str:
    return type(value).__module__.partition(".")[0]


# --- index labels ----------------------------------------------------------------------


def index_label(data: Any, position: int) -> str | None:
    """Where record `position` (its row) of a pandas frame or Series is, by its index
    label ("index label 'b'", a MultiIndex's as its tuple), for `df.loc`; None where the
    index is the default one (0 to n - 1: the position says it all) or `data` is no pandas
    object. A dict of columns is labelled by its record columns' pandas Series, whose
    indexes are one (`ingest.series_indexes`): as its frame, `pd.DataFrame(columns)`, is.
    Only the one label is looked up."""
    if isinstance(data, Mapping):
        data = _labelled_column(data)
    if _library(data) != "pandas":
        return None
    index = getattr(data, "index", None)
    if index is None or not 0 <= position < len(index):
        return None
    if type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1:
        return None
    return label_text(index[position])


def label_text(label: Any) -> str:
    """An index label as a location names it: "index label 'b'", numpy scalars as
    Python writes them (np.int64(7): 7), a MultiIndex's as its tuple (`label_repr`)."""
    if isinstance(label, tuple):
        label = tuple(plain_label(part) for part in label)
    return f"index label {label_repr(plain_label(label))}"


#: A label's repr past this many characters is cut, as a sample's value is (at 80).
LABEL_CHARS = 80


def label_repr(label: Any) -> str:
    """`repr(label)`, its first `LABEL_CHARS` characters and "..." where longer (a 1 MB
    label made a 1 MB error message, and a 1 MB location in each sample and state), and
    the label's type where its repr raises (an object index's own class: the error was
    the repr's, not the library's, and named no record)."""
    try:
        text = repr(label)
    except Exception as error:  # (any: a label's repr is user code)
        return f"<{type(label).__qualname__} object: its repr raised {type(error).__name__}>"
    return cut_text(text)


def cut_text(text: str) -> str:
    """`text`, its first `LABEL_CHARS` characters and "..." where longer."""
    return text if len(text) <= LABEL_CHARS else f"{text[:LABEL_CHARS]}..."


def _labelled_column(columns: Mapping[Any, Any]) -> Any:
    """The first pandas Series among the record columns of a dict of columns (others are
    not read, their indexes not checked), else None."""
    return next(
        (
            column
            for name, column in columns.items()
            if name in _core.RECORD_COLUMNS
            and _library(column) == "pandas"
            and type(column).__name__ == "Series"
        ),
        None,
    )


def plain_label(label: Any) -> Any:
    """An index label as Python writes it (np.int64(7): 7; a pandas Timestamp as it is)."""
    if _library(label) == "numpy" and hasattr(label, "item"):
        return label.item()
    return label


# --- integer timestamps -----------------------------------------------------------------


def integer_times(data: Any) -> tuple[int, int] | None:
    """The minimum and maximum of `data`'s integer timestamp column, where `data` holds
    one whole (a pyarrow table or batch, such as a dict of columns becomes, a polars or
    pandas frame); None for other timestamps, a stream (read once, by the core), or a column of
    nulls only. One vectorised pass over the column."""
    library = _library(data)
    try:
        if isinstance(data, Mapping):
            return _mapping_range(data)
        if library == "pyarrow":
            return _arrow_range(data)
        if library == "polars" and type(data).__name__ == "DataFrame":
            return _polars_range(data)
        if library == "pandas" and type(data).__name__ == "DataFrame":
            return _pandas_range(data)
    except Exception:  # (a hint, never the call's failure)
        return None
    return None


def _range(low: Any, high: Any) -> tuple[int, int] | None:
    if low is None or high is None:
        return None
    return int(low), int(high)


def _arrow_range(data: Any) -> tuple[int, int] | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(data, (pa.Table, pa.RecordBatch)):
        return None
    if "timestamp" not in data.schema.names:
        return None
    column = data.column("timestamp")
    if not pa.types.is_integer(column.type):
        return None
    bounds = pc.min_max(column)
    return _range(bounds["min"].as_py(), bounds["max"].as_py())


def _mapping_range(columns: Mapping[str, Any]) -> tuple[int, int] | None:
    """A dict of columns': its timestamp column of numpy ints, or a list of Python ints
    (read as a table's: `ingest.read_any`); None for other columns. Looks past the first
    value of a list only where it is an int."""
    column: Any = columns.get("timestamp")
    if isinstance(column, (list, tuple)):
        if not column or type(column[0]) is not int:  # (datetimes: no second look)
            return None
        if not {type(value) for value in column} <= {int, type(None)}:
            return None
        present = [value for value in column if value is not None]
        return min(present), max(present)
    if _library(column) != "numpy" or getattr(column, "dtype", None) is None:
        return None
    if column.dtype.kind not in "iu" or column.ndim != 1 or len(column) == 0:
        return None
    return _range(column.min(), column.max())


def _polars_range(frame: Any) -> tuple[int, int] | None:
    if "timestamp" not in frame.columns or not frame.schema["timestamp"].is_integer():
        return None
    column = frame.get_column("timestamp")
    return _range(column.min(), column.max())


def _pandas_range(frame: Any) -> tuple[int, int] | None:
    import pandas as pd

    if "timestamp" in frame.columns:
        column = frame["timestamp"]
    elif "timestamp" in frame.index.names:  # (a frame indexed by its timestamps)
        column = frame.index.get_level_values("timestamp")
    else:
        return None
    if not pd.api.types.is_integer_dtype(column.dtype) or len(column) == 0:
        return None
    low, high = column.min(), column.max()
    return None if pd.isna(low) else _range(low, high)


class StreamTimes:
    """The least and greatest integer timestamp of a stream's batches, noted as the core
    reads them (`noted_stream`), and the reader of the caller's stream they are read
    from, where `noted_stream` made it (`source`)."""

    def __init__(self, source: Any = None) -> None:
        self.range: tuple[int, int] | None = None
        self._source = source

    def close(self) -> None:
        """Releases the stream read, where it is a reader made of the caller's (a DuckDB
        result): the noting reader's own close does not reach it, as pyarrow keeps the
        iterator of `RecordBatchReader.from_batches` until that reader is freed, and a
        failed read's traceback held it (the connection refused every query while the
        error was kept)."""
        if self._source is not None:
            self._source.close()

    def note(self, batch: Any) -> Any:
        bounds = _arrow_range(batch)
        if bounds is not None:
            low, high = bounds if self.range is None else self.range
            self.range = (min(low, bounds[0]), max(high, bounds[1]))
        return batch


def noted_stream(data: Any) -> tuple[Any, StreamTimes | None]:
    """`data`, where it is a stream of Arrow batches with a `timestamp` column of integers
    (a pyarrow RecordBatchReader; another library's `__arrow_c_stream__`, such as a DuckDB
    relation, as the pyarrow reader of it), as a reader of the same batches noting their
    range as the core reads them (`StreamTimes`); other data as it is, and None. For a
    rolling state, whose records are filed, not left out of a window, so the core notes
    no range of theirs: a fresh state filed a stream of epoch seconds in 1970 silently.
    Nothing is read twice; a stream of other timestamps is passed on unwrapped, and one
    that pyarrow cannot wrap (or without pyarrow) as it is: the core reads it, noting
    nothing."""
    if _library(data) in ("pandas", "polars") or isinstance(data, Mapping):
        return data, None  # (whole data: `integer_times` looks at its column)
    if not hasattr(data, "__arrow_c_stream__"):
        return data, None
    try:
        import pyarrow as pa
    except ImportError:
        return data, None  # (the core reads the stream itself: no range is noted)

    if isinstance(data, (pa.Table, pa.RecordBatch, pa.Array, pa.ChunkedArray)):
        return data, None
    try:
        reader = (
            data
            if isinstance(data, pa.RecordBatchReader)
            else pa.RecordBatchReader.from_stream(data)
        )
    except BaseException as error:
        if not isinstance(error, Exception) and type(error).__name__ != "PanicException":
            raise  # (an interrupt, an exit)
        # (A failed export, a type pyarrow lacks: passed on as it is, for the read that
        # names the failure, `ingest`, as of any Arrow data.)
        return data, None
    schema = reader.schema
    if "timestamp" not in schema.names or not pa.types.is_integer(schema.field("timestamp").type):
        return reader, None
    times = StreamTimes(None if reader is data else reader)  # (the caller's reader: theirs)
    return pa.RecordBatchReader.from_batches(schema, map(times.note, reader)), times


def with_column_integer_times(raw: dict[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """`raw`, the core's result of the rows of a dict of columns read as records, with
    `INTEGER_TIMES` of the dict's integer timestamp column where no record is inside the
    window (all are left out, so the column's range is theirs). Read as records (ids of
    several kinds beside arrays: `ingest._given`), integer timestamps reach the core as
    the datetimes they stand for, of which it notes no range: the all-arrays dict warned
    that epoch seconds look like another unit, the same records with such ids never."""
    if INTEGER_TIMES in raw or raw.get("in_window", 0):
        return raw
    times = integer_times(columns)
    return raw if times is None else {**raw, INTEGER_TIMES: times}


def integer_unit(low: int, high: int) -> str | None:
    """The unit integer timestamps from `low` to `high` (read as microseconds) look like
    they were written in: "seconds" or "milliseconds" where all lie in 1970 (and none
    before it); None otherwise."""
    if low < 0 or high >= _END_OF_1970_US:
        return None
    return "seconds" if high < _SECONDS_BELOW else "milliseconds"


def _a_year_before(latest_us: int, meant_us: int) -> bool:
    """Whether integer timestamps of 1970, the latest at `latest_us`, lie a year at least
    before `meant_us`, where the records are meant to be (a window's start, a rolling
    state's newest bucket, its clock): the one rule of both hints (`_A_YEAR_US`)."""
    return meant_us - latest_us >= _A_YEAR_US


def epoch_unit_hint(raw: Mapping[str, Any], start: datetime, end: datetime) -> str | None:
    """The hint for a result `raw` of the core's (with `INTEGER_TIMES` where it read
    integer timestamps) over the window `start`-`end`: where records lie outside the
    window, none inside it, and every integer timestamp lies in 1970, a year at least
    before the window's start, the sentence saying they look like epoch seconds (or
    milliseconds); else None. (A record inside a window that does not reach into 1970 is
    of another year: `INTEGER_TIMES`, of the records left out, are all of them where there
    is none.)

    The year is this library's choice, as the rolling hint's (`filed_unit_hint`), which
    the design does not make: real microseconds of late 1970 over a window from
    1971-01-01 (by any end) were told they looked like epoch milliseconds. A window that
    reaches into 1970 is less than a year after any record of 1970, so is never told of,
    as before; one starting in the first weeks of 1971 is not told of seconds or
    milliseconds of a recent year either (read so, they lie in January 1970), a window
    no caller of such records asks for."""
    times = raw.get(INTEGER_TIMES)
    outside = raw.get("outside_window", 0)
    if times is None or not outside or raw.get("in_window", 0):
        return None
    unit = integer_unit(*times)
    if unit is None or not _a_year_before(times[1], _us(start)):
        return None
    received = raw.get("received", outside)
    return (
        f"{outside:,} of {received:,} records lie outside the window, all in 1970 (the "
        f"latest at {_instant(times[1])}): {_advice(unit)}"
    )


@dataclass(frozen=True, slots=True)
class UnitNote:
    """What `epoch_unit_hint` reads of a core result, kept of one part of an input read
    apart from the others (a Dask partition, on a worker) to be merged with theirs
    (`merged`) into the note of the whole input, whose hint (`hint`) is then the one a
    single call over all of it gives: its counts are sums, and its `integer_times`, of
    the records left out, the least and greatest of the parts'. A few numbers, picklable,
    where the warning of each part would be one a part, of that part's counts (or, raised
    on a worker, never seen by the caller).

    `unranged`: some part left records outside the window without noting their range
    (timestamps of another type than integers: a partition whose dtype is not the
    frame's). The merged range would then not be of every record left out, so no hint
    is given (a choice of this library's: one call over such parts has no equal)."""

    received: int = 0
    in_window: int = 0
    outside_window: int = 0
    integer_times: tuple[int, int] | None = None
    unranged: bool = False

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> UnitNote:
        """The note of a core result `raw` (of an accumulator's update, say)."""
        times = raw.get(INTEGER_TIMES)
        outside = int(raw.get("outside_window", 0))
        return cls(
            received=int(raw.get("received", 0)),
            in_window=int(raw.get("in_window", 0)),
            outside_window=outside,
            integer_times=None if times is None else (int(times[0]), int(times[1])),
            unranged=bool(outside) and times is None,
        )

    def merged(self, other: UnitNote) -> UnitNote:
        mine, theirs = self.integer_times, other.integer_times
        if mine is None or theirs is None:
            times = mine if theirs is None else theirs
        else:
            times = (min(mine[0], theirs[0]), max(mine[1], theirs[1]))
        return UnitNote(
            received=self.received + other.received,
            in_window=self.in_window + other.in_window,
            outside_window=self.outside_window + other.outside_window,
            integer_times=times,
            unranged=self.unranged or other.unranged,
        )

    def hint(self, start: datetime, end: datetime) -> str | None:
        """`epoch_unit_hint` of the input noted, over the window `start`-`end`."""
        if self.unranged:
            return None
        raw: dict[str, Any] = {
            "received": self.received,
            "in_window": self.in_window,
            "outside_window": self.outside_window,
        }
        if self.integer_times is not None:
            raw[INTEGER_TIMES] = self.integer_times
        return epoch_unit_hint(raw, start, end)


def filed_unit_hint(
    raw: Mapping[str, Any],
    data: Any,
    kept: tuple[int, int] | None,
    now: datetime | None,
    streamed: StreamTimes | None = None,
) -> str | None:
    """The hint for records `data` that a rolling state filed into its buckets by their
    time (`raw`, the core's result of the add; `kept`, the starts of the oldest and the
    newest bucket it keeps after it, None before any) at the clock `now` (None: the wall
    clock's): where every integer timestamp of `data` lies in 1970 and the state's newest
    bucket does not, or (a fresh state, or one of 1970) the clock does not, a year at
    least after the latest of them, the sentence saying they look like epoch seconds (or
    milliseconds); else None. (The year is this library's choice, which the design does not
    make: records of 1970-12-31 added beside 1971-01-01's, by a replay of real data, were
    told of as "years before" them.)

    The reducer's hint asks that no record lie inside the window; a rolling state has no
    window when it files records (each snapshot's is its own). A fresh one files these in
    1970, counting them outside every later snapshot's window without a word, so the clock
    stands for where records are meant to be: a monitor's records are of its present (a
    replay of records of 1970 given as epoch microseconds, before a clock of a later year,
    would be told of too). A state holding records of a later year is told of by them,
    whatever the clock (a replay's `now=` of 1970 too): one batch of seconds among a
    service's microseconds is filed in 1970, beside them, where its kept buckets reach
    back so far (a window of over about 28 years: two windows are kept), and counted in
    every snapshot whose window reaches 1970; else left out as older than every bucket
    kept, and counted outside the window.

    The range: where records were filed and the kept buckets reach into 1970 (or before),
    the input's column (`integer_times`: a table, a frame, a dict of columns; one
    vectorised pass, only then: looking at every add's column cost a monitor's add of
    1,000 int64 records about 20%, 22 of about 100 µs, `benches/rolling_adds.py`), or a
    stream's, noted as it passed (`noted_stream`); where none were filed, the core's of the
    records it left out. (Where the kept buckets start after 1970, every record of 1970
    is left out, so no record filed is of 1970.) Not told: an add whose integer timestamps
    are of 1970 and of later years at once (records of two units in one column), as the
    reducer's hint does not; its records of 1970 are counted all the same."""
    if not raw.get("received", 0):
        return None
    if raw.get("in_window", 0):
        reaches_1970 = kept is not None and kept[0] < _END_OF_1970_US
        times = None
        if reaches_1970:
            times = streamed.range if streamed is not None else integer_times(data)
    else:
        times = raw.get(INTEGER_TIMES)
    unit = None if times is None else integer_unit(*times)
    if times is None or unit is None:
        return None
    head = (
        f"the integer timestamps of the records added all lie in 1970 (the latest at "
        f"{_instant(times[1])})"
    )
    if kept is not None and kept[1] >= _END_OF_1970_US:
        if not _a_year_before(times[1], kept[1]):
            return None  # (a replay across the new year of 1971: see `_A_YEAR_US`)
        where = (
            "filed beside them"
            if raw.get("in_window", 0)
            else "left out, older than every bucket kept, and counted outside the window"
        )
        return (
            f"{head}, years before the records the state holds (its newest bucket starts "
            f"at {_instant(kept[1])}; these were {where}): {_advice(unit)}"
        )
    clock = datetime.now(UTC) if now is None else _utc(now)
    if not _a_year_before(times[1], _us(clock)):
        return None
    return f"{head}, years before the clock ({clock.year}): {_advice(unit)}"


def _advice(unit: str) -> str:
    factor = "1_000_000" if unit == "seconds" else "1_000"
    return (
        f"integer timestamps are read as epoch microseconds, and these look like epoch "
        f"{unit}: multiply them by {factor}, or use datetimes"
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _us(instant: datetime) -> int:
    """`instant` (naive = UTC) in microseconds since the epoch, exactly (as
    `contracts.micros`, which imports this module's callers)."""
    return (_utc(instant) - _EPOCH) // timedelta(microseconds=1)


def _instant(us: int) -> str:
    seconds, micro = divmod(us, 1_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)
    return stamp.isoformat().replace("+00:00", "Z")
