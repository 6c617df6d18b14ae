"""Usage analytics of a Dask DataFrame: per-partition accumulators, a tree merge, finalize.

    from usage_analytics.dask import analyze

    batch = analyze(ddf, by="pattern_id", time_window_start=start, time_window_end=end)

Needs the `dask` extra (`pip install 'usage-analytics[dask]'`); Dask is imported when
`analyze` is called, so importing this module never fails.

Design
------
Map: each partition (a pandas DataFrame) is turned into a pyarrow Table (numeric columns
without copying, the `by` column also exposed as `pattern_id`) and fed to one
`BatchUsageAccumulator`, built on the worker from the plain settings passed with the task.
The task returns the accumulator's `to_bytes()`: a few KB per pattern, picklable by
anything, versioned and checksummed, so a state can cross processes and machines safely.

Reduce: `DataFrame.reduction` (Dask's documented user-defined tree reduction) merges the
states in groups of `split_every` (8 by default) on the workers, level by level, each
merge a `BatchUsageAccumulator.merge_bytes` (each state merged as it is read) and a
`to_bytes`. Merging starts as soon as the first
partitions are done, the per-partition step fuses with whatever produces the partition
(a reader or a generator), and only one state, the merged one, travels to the client,
which finalizes it. The task graph holds nothing but functions of this module, plain
settings (datetimes, enums, numbers, a `TrendThresholds`) and bytes, so every scheduler
works: threads, processes, synchronous, and `distributed` workers on other machines.

Exactness is the accumulator's: counts, rates, distributions and trend equal one
`execute_batch_reduction` over all the records; floats (mean, std, totals) agree to
rounding. A pattern's percentiles stay exact while its merged state holds at most
`exact_budget` execution times; beyond that they come from the DDSketch-style sketch,
within `relative_accuracy` (`performance_metrics.percentile_method` says which).

Invalid records: with `on_invalid="raise"` a partition holding one raises
`InvalidRecordError` in its task, and `analyze` raises it on the client (when several
partitions hold some, the one that fails first; its `more` counts that partition's other
invalid records, as the others may not have been read); with `"skip"` they are left out
and counted. A record's `index` in the error is its row position *within its partition*
(partitions do not know their global offsets), so the error also names the row's index
label (`location`: for a default index, its position in the whole frame). A bad id is
named by the `by` column, in the error and in `analyze`'s samples (`accumulate`'s state,
which reads that column as `pattern_id`, names it so). The `index` of
a sample in `data_quality.error_samples` is the record's position within its partition,
and in a pattern's samples its position among that pattern's records of its partition;
a sample of `data_quality` names its row's index label too (`location`, kept in the
states: `accumulate`'s, its bytes), for `ddf.loc[label]`, as the raise does (a pattern's
samples name none, as `execute_batch_reduction`'s). A frame whose partitions each number
their rows from 0 (`read_csv` or `read_parquet` without an index, `reset_index()`) has a
label 200 in every partition: such a row is named with its partition's number too
("index label 200 of partition 3": `ddf.partitions[3].loc[200]`, or `.iloc[200]` of the
computed partition). The rule: the frame has more than one partition, unknown divisions
and an unnamed integer index (its metadata, `_numbers_may_repeat`), and the row's
partition's index is a RangeIndex (`_partition_of_labels`: from 0, or the run 25 to 49 of
a split (`repartition`) or filtered partition). Known divisions place each label in one
partition (`from_pandas`'s global RangeIndex split, `set_index`), and a partition of
other labels (`from_pandas(sort=False)` of labels in no order) names its rows by label
alone. A task learns its partition's number from `map_partitions`
(`partition_info`; `reduction`'s chunk is not told it), whose Series of one state then
goes through the same tree merge, fused with it in one task. Dask's tuning of the graph
fuses a Parquet reader's files into fewer partitions when few of their columns are read,
and a fused partition's numbers and positions are not `ddf.partitions[n]`'s; but a row
is named only where its record is invalid. So such a frame's tuned graph is computed,
and its result kept where its tasks refused no record (every count, rate, distribution,
percentile and trend the untuned graph's; a standard deviation may differ in its last
bits, as between any two partitionings of the records); where they refused some, or it
failed, the graph is computed again without tuning (`optimization.tune.active`, off only
while this call's graph is optimized, `_compute_state`: not for the process's other
work), one file a partition, and its state or its error is the answer (a cancellation,
of a client closed mid-computation, is raised as it is). An invalid record
read fused costs a second computation; a valid read costs nothing more than its
optimization twice (`benches/dask_partition_numbers.py`); a graph tuning leaves as it is
(a CSV read, a frame the user fused) is computed once. A frame filtered after
such a read (its partitions' labels from 0 with gaps, not a RangeIndex, where pandas
cannot keep one) is named by label alone: `reset_index()` it, or set a unique index, for
locations that name one row.
A task's error of a whole column (a partition's dtype the core refuses) names the partition
by its first and last index labels (and its number, as above).
The data-quality counts are sums over all partitions, the whole input's and each
pattern's (a pattern counts its own invalid records, as a single call would; a record
without a valid id counts only in the whole); the samples are the first five in partition
order.

Integer timestamps that look like another unit read as epoch microseconds (epoch seconds
landing in 1970, decades before the window) are told of as `execute_batch_reduction`
tells of them for the same records and window: one `TimestampUnitWarning` of the same
text, on the client, from `analyze` (or `accumulate`). A task does not warn: a warning
raised on a worker stays there, and on a local scheduler there would be one a partition,
of its own counts. Each task instead returns, with its state, what the hint needs of its
records (`input_notes.UnitNote`: their counts and the least and greatest integer
timestamp of those left out, which the core notes as it reads them), merged with the
states; the client gives the hint of the merged note. Looking at the frame itself (its
dtype, then its least and greatest timestamp) would be a second pass over the data.
A column that looks like a record field spelled otherwise (`Success`), which is not read
as it, is told of once, on the client, before any task runs: a `ColumnNameWarning` of the
frame's columns, as the reducer gives of a pandas frame's.

Only the record fields the core reads (plus `by`) are selected, so a column store
such as Parquet reads nothing else (a frame without a `timestamp` keeps every column, for
the error to list them, as the reducer's does). An index named after `by` or a record field (a frame
indexed by its timestamps, as Dask partitions by time) is read as that column unless a
column has its name, as a pandas frame given to the reducer reads it.

A column Arrow cannot hold (Python objects of several types: a str among bools), or one
of values its field's column cannot be (text for a number, ints for a name), is read
record by record as the reducer reads it, each bad value its record's error. Note that
Dask's `dataframe.convert-string` setting (on by default) turns a pandas column of Python
objects into text when the Dask frame is made: an int among an agent column's names then
reaches this module as the text "1", a valid name, where the reducer given the pandas
frame refuses the int. Turn the setting off to keep such values as they are. A flag
column of bools with a missing value (pandas' object dtype) becomes the text "True" and
"False" the same way, and a number column of Python numbers (ints beside floats, numbers
beside None) the text "12" and "2.5": a flag or number column of text is refused on the
client, once, in either `on_invalid` mode, saying so (the core takes no text for a flag
or a number; `_check_number_dtype`), where the reducer given the pandas frame reads the
bools and numbers (and counts each record of a pandas column of strings invalid).
"""

from __future__ import annotations

import functools
import threading
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import CancelledError
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from uuid import UUID, uuid4

from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsBatchOutput,
    TimeWindowType,
    TrendThresholds,
)
from usage_analytics.errors import (
    InvalidRecordError,
    TimestampUnitWarning,
    UsageAnalyticsError,
    internal_error,
)
from usage_analytics.extras import missing_extra, require_pyarrow
from usage_analytics.ingest.arrow_data import _with_time_index_hint
from usage_analytics.ingest.fields import RECORD_COLUMNS
from usage_analytics.ingest.pandas_floats import float_flags_as_bools, float_ids_as_ints
from usage_analytics.ingest.pandas_objects import object_conversions_unless_records
from usage_analytics.ingest.spellings import column_name_warning
from usage_analytics.input_notes import UnitNote, label_repr, label_text, plain_label
from usage_analytics.sources.base import FIELDS, FLAG_FIELDS, NUMBER_FIELDS
from usage_analytics.streaming import BatchUsageAccumulator

__all__ = [
    "accumulate",
    "analyze",
    "require_dask",
]

_TOKEN = "usage-analytics"

# Held while a graph is optimized without Dask's tuning (`_compute_state`).
_UNTUNED_OPTIMIZING = threading.Lock()


def analyze(
    ddf: Any,
    by: str = "pattern_id",
    *,
    time_window_start: datetime,
    time_window_end: datetime,
    time_window_type: TimeWindowType | str = TimeWindowType.WEEKLY,
    granularity: AnalyticsGranularity | str = AnalyticsGranularity.DETAILED,
    include_trends: bool = True,
    include_performance: bool = True,
    include_distribution: bool = True,
    include_predictions: bool = False,
    on_invalid: Literal["raise", "skip"] = "raise",
    timezone: str = "UTC",
    bucket_width: timedelta | None = None,
    trend_thresholds: TrendThresholds | None = None,
    correlation_id: UUID | None = None,
    relative_accuracy: float = 0.01,
    exact_budget: int = 1024,
    split_every: int = 8,
) -> ModelUsageAnalyticsBatchOutput:
    """The analytics of every pattern in `ddf` (a `dask.dataframe.DataFrame` with a
    record per row and the pattern in column `by`), keyed by pattern id as given.

    The settings are `BatchUsageAccumulator`'s (and validated on the client before any
    task runs); `split_every` is the fan-in of the tree merge. Runs on Dask's current
    scheduler (a `distributed.Client` when one is active). `computation_time_ms` of the
    batch is the wall time of the whole call, Dask included.

    Pattern ids may be str, int or UUID, as in `execute_batch_reduction` (floats that are
    whole numbers, pandas' int ids with a missing one, are read as ints, and any other
    float is its record's error, as there);
    note that Dask turns a pandas column of UUID objects into strings (its
    `dataframe.convert-string` setting), so those results are keyed by the UUIDs' text.
    """
    started = time.perf_counter()
    _warn_of_spellings(ddf, by)
    accumulator, hint = _accumulated(
        ddf,
        by,
        split_every=split_every,
        time_window_start=time_window_start,
        time_window_end=time_window_end,
        time_window_type=time_window_type,
        granularity=granularity,
        include_trends=include_trends,
        include_performance=include_performance,
        include_distribution=include_distribution,
        include_predictions=include_predictions,
        on_invalid=on_invalid,
        timezone=timezone,
        bucket_width=bucket_width,
        trend_thresholds=trend_thresholds,
        correlation_id=correlation_id,
        relative_accuracy=relative_accuracy,
        exact_budget=exact_budget,
    )
    batch = accumulator.finalize()
    if by != "pattern_id":
        batch = _samples_naming(batch, by)
    if hint is not None:
        warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    return batch.model_copy(update={"computation_time_ms": elapsed_ms})


def _samples_naming(
    batch: ModelUsageAnalyticsBatchOutput, by: str
) -> ModelUsageAnalyticsBatchOutput:
    """`batch` with its error samples of bad ids naming the user's `by` column, as a raise
    does (the tasks read it as `pattern_id`, which the frame may hold as another column).
    A pattern's own samples are never of its id."""
    quality = batch.data_quality
    samples = [
        sample.model_copy(update={"field": str(by)}) if sample.field == "pattern_id" else sample
        for sample in quality.error_samples
    ]
    update = {"error_samples": samples}
    return batch.model_copy(update={"data_quality": quality.model_copy(update=update)})


def accumulate(
    ddf: Any, by: str = "pattern_id", *, split_every: int = 8, **settings: Any
) -> BatchUsageAccumulator:
    """The merged, not yet finalized state of `analyze` (same arguments; `settings` are
    `BatchUsageAccumulator`'s): merge it with other accumulators (yesterday's, a
    stream's), store its `to_bytes()`, or `finalize()` it. Warns as `analyze` does
    (`TimestampUnitWarning`), as an accumulator's `update` with all the records would."""
    _warn_of_spellings(ddf, by)
    accumulator, hint = _accumulated(ddf, by, split_every=split_every, **settings)
    if hint is not None:
        warnings.warn(hint, TimestampUnitWarning, stacklevel=2)
    return accumulator


def _warn_of_spellings(ddf: Any, by: str) -> None:
    """`ColumnNameWarning` (given to the caller of `analyze` or `accumulate`) where a
    column of `ddf` looks like a record field that no column names exactly, spelled
    otherwise (`Success`: `ingest.spellings`), as the reducer gives it of a pandas frame:
    once a call, on the client, from the frame's columns (known without computing
    anything), before any task runs. The tasks' updates give none (`_added`): a task's
    warning stays on its worker, and there is one task a partition. (`by`, the user's
    own name for the ids, is not a field's.)"""
    columns = getattr(ddf, "columns", None)
    if columns is None:  # (not a Dask frame: refused as such, `_state_reduction`)
        return
    fields = frozenset(FIELDS) - {by}
    warning = column_name_warning([name for name in columns if name != by], fields)
    if warning is not None:
        warnings.warn(warning, stacklevel=3)


def _accumulated(
    ddf: Any, by: str, *, split_every: int, **settings: Any
) -> tuple[BatchUsageAccumulator, str | None]:
    """`accumulate`'s state and the `TimestampUnitWarning` to give of its records, if
    any: the hint of the partitions' notes merged (`UnitNote`), which is the batch
    reducer's of the same records, given once on the client (a task's warning stays on
    its worker, and there is one task a partition)."""
    # One id for every partition's state, whichever side of a merge keeps its own.
    if settings.get("correlation_id") is None:
        settings["correlation_id"] = uuid4()
    # Bad settings fail here, on the client, rather than in every task.
    BatchUsageAccumulator(**settings)
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise UsageAnalyticsError(f"split_every must be an integer >= 2, got {split_every!r}")
    lazy = _state_reduction(ddf, by, settings, split_every)
    noted = _compute_state(lazy, _numbers_may_repeat(ddf))
    accumulator = BatchUsageAccumulator.from_bytes(noted.state)
    note = noted.note
    window = accumulator.settings
    return accumulator, note.hint(window.time_window_start, window.time_window_end)


def _state_reduction(ddf: Any, by: str, settings: dict[str, Any], split_every: int) -> Any:
    """The lazy Dask scalar holding the merged state's bytes and its records' note
    (`_NotedState`)."""
    dd = require_dask()
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"analyze() takes a dask.dataframe.DataFrame, got {type(ddf).__name__}")
    frame = ddf[_columns(ddf, by)]
    arguments: dict[str, Any] = {"settings": settings, "by": by}
    chunk: Any = _noted_partition_state
    if _numbers_may_repeat(ddf):
        # `reduction`'s chunk is not told its partition's number; `map_partitions` tells a
        # function that takes `partition_info`. Each partition's state, a Series of one,
        # then goes through the same tree merge (the two steps fuse into one task).
        import pandas as pd

        frame = frame.map_partitions(
            _numbered_partition_state,
            **arguments,
            meta=pd.Series([], dtype=object),
            enforce_metadata=False,
            clear_divisions=True,
        )
        chunk, arguments = _the_state, {}
    # `meta=object`: a scalar of Python objects (the bytes) to every Dask. Legacy
    # dask.dataframe (`dataframe.query-planning` off) reads meta through `make_meta`, which
    # took `b""` for an empty list of columns: the result came back a Series around the state.
    return frame.reduction(
        chunk,
        aggregate=_merge_noted_states,
        combine=_merge_noted_states,
        meta=object,
        token=_TOKEN,
        split_every=split_every,
        chunk_kwargs=arguments,
    )


def _numbers_may_repeat(ddf: Any) -> bool:
    """Whether `ddf`'s partitions may each number their rows from 0 (`read_csv` or
    `read_parquet` without an index, `reset_index()`), so that an index label names a row
    of every partition: more than one partition, divisions unknown (known ones place each
    label in one partition: `from_pandas`, `set_index`), and an unnamed integer index.
    Told from the frame's metadata, without computing anything. Where it holds, the tasks
    learn their partition's number, and a partition whose index is a RangeIndex names
    its rows by it too (`_partition_of_labels`)."""
    from pandas.api import types

    index = ddf.index
    return bool(
        ddf.npartitions > 1
        and not ddf.known_divisions
        and index.name is None
        and types.is_integer_dtype(index.dtype)
    )


def _compute_state(lazy: Any, numbered: bool) -> _NotedState:
    """`lazy.compute()`; where partitions are `numbered`, with the numbers and positions
    of `ddf.partitions[n]` wherever a row is named.

    Dask's tuning of the graph fuses a Parquet reader's files into fewer partitions when
    few of their columns are read (a fused partition numbers its rows from 0 once a file,
    and its number is not a file's), so a row is named exactly only by the untuned graph.
    But rows are named only where a record is invalid (the error's location, the samples
    of the skipped: nothing else in a state depends on where a partition begins), so:

    1. Both graphs are optimized; where tuning changed nothing (the same keys: no file
       fused, a CSV read, a frame the user already fused), the one graph is computed
       (the untuned one, too, where tuning fails).
    2. Else the tuned graph is computed, and its result is the answer where its tasks
       refused no record: it equals the untuned graph's in every count, rate,
       distribution, percentile and trend, with no sample (a standard deviation may
       differ in its last bits, as between any two partitionings of the records).
    3. Where they refused some (skipped: `_NotedState.invalid`), or it failed (raise
       mode's `InvalidRecordError`, a column's error naming a partition, or any other,
       which the untuned graph may not meet: a fused partition is larger), the untuned
       graph is computed, as all were before: its state, or its error, is the answer
       (the error of the partition that fails first, its `more` that partition's other
       invalid records). The invalid case pays twice; the common case pays nothing.
       A cancellation (`concurrent.futures.CancelledError`, which `distributed` raises
       for a client closed mid-computation) is no failure of the fused
       graph: it is raised, as it was before, and nothing is computed again."""
    optimize = getattr(lazy, "optimize", None)  # (legacy dask.dataframe: no tuning)
    if not numbered or optimize is None:
        return lazy.compute()  # type: ignore[no-any-return]
    import dask

    # (Optimized outside the lock: another call's untuned moment seen here makes this
    # graph the untuned one too, computed once, slower but named exactly.)
    try:
        tuned = optimize()
    except Exception:  # (any: tuning may fail where the untuned graph does not, as
        tuned = None  # it did on `_the_state`'s meta of two files fused into one)
    # `dask.config` is one dict for the whole process, and `dask.config.set` restores on
    # leaving the value it found: set around the whole compute, two calls in two threads
    # (a service) interleaved, the second saving the first's False, and tuning stayed off
    # for every later computation of the process when it left last (or was back on while
    # a call's graph was optimized: its files fused, its numbers wrong). So the setting
    # holds only while this graph is optimized, one call at a time (another thread
    # optimizing a graph of its own in those milliseconds still sees it: Dask has no
    # per-call setting), and the optimized graph's tasks are computed as they are: the
    # collection's `compute` would optimize it again, tuned, and a reader not fused with
    # the tasks (each frame of a `dd.concat`) was fused then, the tasks of its former
    # partitions left without input ("Missing dependency").
    with _UNTUNED_OPTIMIZING, dask.config.set({"optimization.tune.active": False}):
        untuned = optimize()
    # (A key names its whole expression: equal keys, equal graphs.)
    if tuned is None or tuned.__dask_keys__() == untuned.__dask_keys__():
        return _computed(untuned)
    try:
        fused = _computed(tuned)
    except CancelledError:
        # The caller's (`distributed`'s, of a client closed meanwhile): computed again,
        # the untuned graph ran on the scheduler left, the client's own threads, which
        # read the whole input where the cluster was meant to.
        raise
    except Exception:  # (any other: the untuned graph's outcome is the answer, below)
        fused = None
    if fused is not None and fused.invalid == 0:
        return fused
    return _computed(untuned)


def _computed(optimized: Any) -> _NotedState:
    """The result of an optimized Dask scalar's graph, its tasks computed as they are."""
    from dask.delayed import Delayed

    (key,) = optimized.__dask_keys__()
    return Delayed(key, optimized.__dask_graph__()).compute()  # type: ignore[no-any-return]


def _columns(ddf: Any, by: str) -> list[str]:
    present = list(ddf.columns)
    _check_unique(present, [by, *FIELDS])
    if by in present:
        _check_id_dtype(by, ddf[by].dtype)
    elif by is not None and _index_as_column(ddf, by) == by:  # (None: no index read)
        _check_id_dtype(by, ddf.index.dtype)
    else:
        raise UsageAnalyticsError(
            f"the dataframe has no column {by!r} to group by (columns: {present}; "
            f"index: {ddf.index.name!r})"
        )
    # Only the record fields the core reads: a column store (Parquet) loads nothing else.
    # (The index comes along anyway, read as a column when `_index_as_column` says so.)
    fields = [name for name in FIELDS if name in present and name != by]
    for name in fields:
        if name in FLAG_FIELDS:
            _check_flag_dtype(name, ddf[name].dtype)
        elif name in NUMBER_FIELDS:
            _check_number_dtype(name, ddf[name].dtype)
    if "timestamp" not in present and _index_as_column(ddf, by) != "timestamp":
        # Every column, as the reducer keeps them, for the tasks' error ("no 'timestamp'
        # column") to list them all: the one holding the times under another name too.
        _check_unique(present, present)
        return present
    return [by, *fields] if by in present else fields


def _check_unique(present: list[Any], read: list[Any]) -> None:
    """Refuse, on the client, a frame with several columns of a name in `read`: pyarrow
    refuses such a partition in every task (a bare ValueError), and a `by` column of two
    is a frame, not a dtype; the reducer refuses such a pandas frame too."""
    repeated = [name for name in dict.fromkeys(read) if present.count(name) > 1]
    if repeated:
        names = ", ".join(repr(name) for name in repeated)
        raise UsageAnalyticsError(
            f"the dataframe has more than one column named {names}: each is read from "
            "one column; rename or drop the others"
        )


def _index_as_column(frame: Any, by: str) -> str | None:
    """The name of `frame`'s index when it is read as a column: when it is named after
    `by` or a record field and no column has that name (a frame indexed by its
    timestamps, as Dask partitions by time). A pandas frame given to the reducer reads
    such an index too: pandas' Arrow export makes it a column."""
    name = frame.index.name
    wanted = name == by or name in FIELDS
    return name if isinstance(name, str) and wanted and name not in frame.columns else None


def _check_id_dtype(by: str, dtype: Any) -> None:
    """Refuse, on the client, a `by` column that cannot hold pattern ids: the tasks would
    fail later naming the column 'pattern_id' (which `by` becomes in them). Floats only
    in a column of ids alone: a record field's (execution times) is that field's."""
    if not _holds_ids(dtype, floats=by not in FIELDS):
        raise UsageAnalyticsError(
            f"cannot group by column {by!r} of dtype {dtype}: pattern ids are strings, "
            "integers or UUIDs"
        )


def _holds_ids(dtype: Any, *, floats: bool) -> bool:
    """Whether a pandas column of `dtype` can hold pattern ids (of numpy `floats` too:
    pandas' int ids with a missing one, which the reducer reads as ints; whether they are
    whole numbers only the tasks can see, `_whole_float_ids`)."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    arrow_type = getattr(dtype, "pyarrow_dtype", None)  # a pyarrow-backed column
    if arrow_type is not None:  # (pandas' checks misjudge some: a dictionary, a UUID)
        return _arrow_holds_ids(arrow_type, floats=floats)
    if isinstance(dtype, pd.CategoricalDtype):
        # By its categories: Arrow makes it a dictionary of them, which the core reads as
        # it reads their own column (categories of bools or times failed in every task,
        # naming the column 'pattern_id').
        return _holds_ids(dtype.categories.dtype, floats=floats)
    return bool(
        (types.is_integer_dtype(dtype) and not types.is_bool_dtype(dtype))
        or types.is_string_dtype(dtype)
        or (floats and isinstance(dtype, np.dtype) and dtype.kind == "f")
    )


def _arrow_holds_ids(kind: Any, *, floats: bool) -> bool:
    """Whether a column of Arrow type `kind` holds pattern ids: text, integers, UUIDs (16
    bytes, or pyarrow's `arrow.uuid` type, as `read_parquet(dtype_backend="pyarrow")`
    gives a Parquet UUID column), or a dictionary of those (a Parquet dictionary column);
    or nothing (Arrow's null type, of a column with no value); floats too where `floats`
    (each row read as the reducer reads a table's float ids; pyarrow-backed floats, plain
    or dictionary-encoded, were refused here where numpy's were taken)."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _arrow_holds_ids(kind.value_type, floats=floats)
    return bool(
        (floats and pa.types.is_floating(kind))
        or getattr(kind, "extension_name", None) == "arrow.uuid"
        or pa.types.is_null(kind)  # (all missing: each record's error, as in the reducer)
        or pa.types.is_integer(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or (pa.types.is_fixed_size_binary(kind) and kind.byte_width == 16)
    )


def _holds_text(dtype: Any) -> bool:
    """Whether a pandas column of `dtype` is text: pandas' string dtypes (what Dask's
    `dataframe.convert-string` makes of Python objects), or pyarrow's text."""
    import pandas as pd

    arrow_type = str(getattr(dtype, "pyarrow_dtype", ""))
    return isinstance(dtype, pd.StringDtype) or arrow_type in ("string", "large_string")


def _check_flag_dtype(name: str, dtype: Any) -> None:
    """Refuse, on the client, a flag column of text, which the core refuses in every task
    ("has Arrow type LargeUtf8"), saying how it may have come about: Dask's
    `dataframe.convert-string` makes a pandas column of bools with a None (the object
    dtype) the text "True" and "False"."""
    if _holds_text(dtype):
        raise UsageAnalyticsError(
            f"column {name!r} holds text (dtype {dtype}), not flags. If it held Python "
            "bools and None, Dask's 'dataframe.convert-string' setting made them text: "
            "give the pandas column the 'boolean' dtype (.astype('boolean')) before making "
            "the Dask frame, or turn the setting off"
        )


def _check_number_dtype(name: str, dtype: Any) -> None:
    """Refuse, on the client, a number column of text, saying how it may have come about:
    Dask's `dataframe.convert-string` makes a pandas column of Python numbers (the object
    dtype: ints beside floats, numbers beside None) the text "12" and "2.5", and every
    record was then refused ("must be a number, got str"), each its record's error: a
    million errors, or, skipped, a million records counted invalid, for one setting.

    Whether the text was numbers before Dask made it text, or text in the user's own
    frame, the client cannot tell (the frame's meta holds no values), and this module
    does not guess: the text is not parsed, as the reducer parses no text for a number.
    So a number column of text is refused whole, in either `on_invalid` mode, as a flag
    column of text is (`_check_flag_dtype`), where the reducer given the pandas frame of
    the same strings counts each record invalid. (This decision is the module's: the
    design says only that text is no number.) A pandas column of str objects, with the
    setting off, is still read record by record, each its record's error."""
    if _holds_text(dtype):
        raise UsageAnalyticsError(
            f"column {name!r} holds text (dtype {dtype}), not numbers. If it held Python "
            "numbers (pandas' object dtype: ints beside floats, or a None among them), "
            "Dask's 'dataframe.convert-string' setting made them text: give the pandas "
            "column a number dtype (.astype('float64')) before making the Dask frame, or "
            "turn the setting off (dask.config.set({'dataframe.convert-string': False}))"
        )


def require_dask() -> Any:
    """`dask.dataframe`, or a clear error naming the extra that installs it."""
    try:
        import dask.dataframe as dd
    except ImportError as missing:
        raise missing_extra("usage_analytics.dask", "dask", "dask") from missing
    return dd


# --- the tasks (run on the workers; module-level so they pickle by reference) ---------


class _NotedState(NamedTuple):
    """A state's bytes and what the `TimestampUnitWarning` needs of its records (a
    task's result: only the client warns, once, of the merged note)."""

    state: bytes
    note: UnitNote
    # Records refused (skipped) in its partitions: where a fused graph's tasks refused
    # none, no row of its state is named (`_compute_state`).
    invalid: int = 0


def _partition_state(frame: Any, settings: dict[str, Any], by: str) -> bytes:
    """One partition's state: a `BatchUsageAccumulator` updated with its rows. (Not run by
    `analyze`, whose task is `_noted_partition_state`: kept as the task's state alone for
    the benches and tests that time it or compare it with an accumulator's.)"""
    return _noted_partition_state(frame, settings, by).state


def _noted_partition_state(
    frame: Any, settings: dict[str, Any], by: str, partition: int | None = None
) -> _NotedState:
    """One partition's state and its records' note, without a warning (`_added`).
    `partition`: the partition's number, where the frame's partitions may each number
    their rows from 0 (`_numbers_may_repeat`)."""
    accumulator = BatchUsageAccumulator(**settings)
    note, invalid = UnitNote(), 0
    if len(frame):
        # Every partition has a record 200: the row's index label places it, in an error
        # and in the samples the state keeps (for a frame with a default index, its
        # position in the whole frame), with the partition's number where every partition
        # has a label 200.
        partition = _partition_of_labels(frame, partition)
        locate = functools.partial(_row_label, frame, partition=partition)
        try:
            raw = accumulator._added(_as_records(frame, by), locate)
            note, invalid = UnitNote.of(raw), int(raw.get("invalid", 0))
        except InvalidRecordError as error:
            # The id's field is the user's `by` column.
            field = str(by) if error.field == "pattern_id" else error.field
            raise InvalidRecordError(
                *(error.index, field, error.value, error.reason, error.more),
                location=_row_label(frame, error.index, partition=partition),
            ) from None
        except UsageAnalyticsError as error:
            if type(error) is not UsageAnalyticsError:
                raise
            # A column the core refuses (partitions may differ from the frame's dtypes):
            # which partition, by its first and last index labels. No 'timestamp' column
            # where the index holds times: the reducer's hint to name it so (the Table
            # read leaves the index out, so the core's error cannot tell of it).
            first, last = (plain_label(frame.index[i]) for i in (0, -1))
            hinted = _with_time_index_hint(error, frame)
            which = "the partition" if partition is None else f"partition {partition}"
            raise UsageAnalyticsError(
                f"{hinted} (in {which} of index labels {label_repr(first)} to {label_repr(last)})"
            ) from None
    return _NotedState(accumulator.to_bytes(), note, invalid)


def _numbered_partition_state(
    frame: Any, settings: dict[str, Any], by: str, partition_info: Any = None
) -> Any:
    """`_noted_partition_state` of partition number `partition_info["number"]` (which
    `map_partitions` passes), as a pandas Series of one, for `reduction` (`_the_state`)."""
    import pandas as pd

    number = None if partition_info is None else int(partition_info["number"])
    return pd.Series([_noted_partition_state(frame, settings, by, number)], dtype=object)


def _the_state(states: Any) -> _NotedState | None:
    """The one state of a partition's Series of it (`_numbered_partition_state`); None of
    the empty Series that is its meta, which Dask reduces once on the client where the
    frame's partitions are fused into one (a Parquet read of two files, tuned): it raised
    IndexError there."""
    return states.iloc[0] if len(states) else None


def _partition_of_labels(frame: Any, partition: int | None) -> int | None:
    """`partition` where a partition's labels number its rows (a RangeIndex: from 0, as
    `read_csv`, `read_parquet` without an index and `reset_index()` give every partition;
    or a run of those numbers, as `repartition` splits one into 0-24 and 25-49 and
    pandas keeps a filter's run of rows 10-49), which name a row only with the
    partition's number; else None, the labels naming their rows alone (the user's own).
    (A RangeIndex of unique labels, `from_pandas(sort=False)`'s 500 to 999, is named
    with its number too: redundant, never wrong, where the frame cannot tell them.)"""
    import pandas as pd

    return partition if isinstance(frame.index, pd.RangeIndex) else None


def _row_label(frame: Any, position: int, *, partition: int | None = None) -> str:
    """Where row `position` of a partition is in the whole frame: its index label, and
    the partition's number where its labels repeat in others ("index label 200 of
    partition 3": `ddf.partitions[3].loc[200]`)."""
    label = label_text(frame.index[position])
    return label if partition is None else f"{label} of partition {partition}"


def _merge_states(states: Iterable[bytes]) -> bytes:
    """Merge serialized states (a pandas Series of them, from `reduction`) into one, each
    merged as it is read (`BatchUsageAccumulator.merge_bytes`)."""
    blobs = list(states)
    if not blobs:  # Dask never calls a combine with no input; be safe anyway.
        raise internal_error("no partition state to merge")
    return BatchUsageAccumulator.merge_bytes(blobs).to_bytes()


def _merge_noted_states(parts: Iterable[_NotedState]) -> _NotedState:
    """Merge states and their notes (a pandas Series of `_NotedState`s) into one."""
    noted = list(parts)
    note = UnitNote()
    for part in noted:
        note = note.merged(part.note)
    invalid = sum(part.invalid for part in noted)
    return _NotedState(_merge_states(part.state for part in noted), note, invalid)


def _whole_float_ids(frame: Any, by: str) -> Any:
    """`frame` with its `by` column of float ids as the reducer reads a pandas
    `pattern_id` column of floats (`float_ids_as_ints`): nullable ints where all are
    whole numbers (within 64 bits), else the floats, each other one its record's error
    in the core, as in the reducer (a task failed for the whole partition, even in skip
    mode)."""
    return float_ids_as_ints(frame, by)


def _with_arrow_columns(frame: Any, converted: dict[str, Any]) -> Any:
    """A pandas `frame` with the columns the checks converted to Arrow (`converted`, by
    name) as those arrays, which `pa.Table.from_pandas` takes as they are."""
    if not converted:
        return frame
    import pandas as pd

    return frame.assign(
        **{name: pd.arrays.ArrowExtensionArray(array) for name, array in converted.items()}
    )


def _as_records(frame: Any, by: str) -> Any:
    """A pandas partition as the accumulator reads it: a pyarrow Table whose
    `pattern_id` column is `by` (its index a column when `_index_as_column` names it),
    or, when Arrow cannot hold a column (Python objects of several types: a str among
    bools), the frame itself with that `pattern_id` column, which the accumulator reads
    as the reducer reads such a frame: each bad value its record's error, skipped in
    skip mode."""
    pa = require_pyarrow("usage_analytics.dask")
    if _index_as_column(frame, by) is not None:
        frame = frame.reset_index()
    frame = _whole_float_ids(frame, by)
    # (Flags of 0, 1 and NaN, pandas' float64 for 0/1 with a blank cell, as the reducer
    # reads them: exported as they are, every task failed naming the Float64 column.)
    frame = float_flags_as_bools(frame)
    as_frame = frame if by == "pattern_id" else frame.assign(pattern_id=frame[by])
    # (Objects of kinds Arrow would coerce silently, a bool among numbers, are read as the
    # reducer reads them in a frame: as records. So is a column of text or objects the
    # core refuses as its field's column, text for a number, each value its record's error:
    # as a table, every task failed naming the column's Arrow type, even in skip mode.)
    # (So is one of numpy datetime64s among objects, NaT for a missing number, say:
    # pyarrow's conversion of them beside numpy scalars crashed the worker.)
    converted = object_conversions_unless_records(frame, RECORD_COLUMNS, by)
    if converted is None:
        return as_frame
    try:
        table = pa.Table.from_pandas(_with_arrow_columns(frame, converted), preserve_index=False)
    except (pa.ArrowException, OverflowError):  # (a generic NaT, an int past 64 bits)
        return as_frame
    if by != "pattern_id":
        # By position: pyarrow takes an int name for one (a column named 3 is not column 3).
        position = list(frame.columns).index(by)
        table = table.append_column("pattern_id", table.column(position))
    return table
