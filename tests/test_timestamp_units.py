"""Integer timestamps are epoch microseconds (the contract); epoch seconds or
milliseconds read so are instants of 1970, and leave every record outside a window of
today. The results stay the contract's; the caller is told (`TimestampUnitWarning`, the
CLI's note), and nobody else is: not for real microseconds, datetimes, records in the
window, or a window that itself lies in 1970."""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runs import other_than_an_empty_window
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    TimestampUnitWarning,
    UsageAccumulator,
    UsageAnalyticsError,
)
from usage_analytics.cli import main
from usage_analytics.ingest import reduce_any
from usage_analytics.input_notes import integer_unit
from usage_analytics.reducer import core_options

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=1)
REDUCER = NodeUsageAnalyticsReducer()
SECONDS = [int(START.timestamp()) + 3600 * i for i in range(3)]
MILLISECONDS = [second * 1_000 for second in SECONDS]
MICROSECONDS = [second * 1_000_000 for second in SECONDS]

#: The forms of columnar input an integer timestamp column comes in.
FORMS: dict[str, Callable[[list[int]], Any]] = {
    "dict of lists": lambda stamps: {"timestamp": stamps, "success": [True] * len(stamps)},
    "dict of numpy": lambda stamps: {"timestamp": np.array(stamps, dtype=np.int64)},
    "pyarrow table": lambda stamps: pa.table({"timestamp": pa.array(stamps, pa.int64())}),
    "pyarrow batch": lambda stamps: pa.record_batch({"timestamp": pa.array(stamps, pa.int64())}),
    "polars": lambda stamps: pl.DataFrame({"timestamp": stamps}),
    "pandas": lambda stamps: pd.DataFrame({"timestamp": stamps, "success": True}),
    "pandas nullable": lambda stamps: pd.DataFrame(
        {"timestamp": pd.array([*stamps, None], dtype="Int64")}
    ),
}


def contract(data: Any, start: datetime = START, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=start,
        time_window_end=start + timedelta(days=1),
        execution_data=data,
        **options,
    )


def batch(data: Any, **options: Any) -> ModelUsageAnalyticsBatchInput:
    return ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=data, **options
    )


def warned(request: ModelUsageAnalyticsInput) -> list[str]:
    """The `TimestampUnitWarning` messages of reducing `request` (any other warning is an
    error, as in the whole suite)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", TimestampUnitWarning)
        REDUCER.execute_reduction_sync(request)
    return [str(warning.message) for warning in caught]


@pytest.mark.parametrize("form", FORMS)
def test_epoch_seconds_warn_that_they_look_like_seconds(form: str) -> None:
    request = contract(FORMS[form](SECONDS), on_invalid="skip")
    with pytest.warns(TimestampUnitWarning) as caught:
        output = REDUCER.execute_reduction_sync(request)
    message = str(caught[0].message)
    assert "records lie outside the window, all in 1970" in message
    assert "(the latest at 1970-01-01T00:29:27.232800Z)" in message
    assert "look like epoch seconds: multiply them by 1_000_000, or use datetimes" in message
    assert caught[0].filename == __file__  # (the caller's line)
    # The result is the contract's: every record outside the window.
    quality = output.data_quality
    assert quality.records_outside_window == 3
    assert quality.records_in_window == 0


def test_epoch_seconds_warning_counts_the_records_outside() -> None:
    with pytest.warns(TimestampUnitWarning, match=r"^3 of 3 records lie outside the window"):
        REDUCER.execute_reduction_sync(contract(FORMS["dict of lists"](SECONDS)))


@pytest.mark.parametrize("form", FORMS)
def test_epoch_milliseconds_warn_that_they_look_like_milliseconds(form: str) -> None:
    request = contract(FORMS[form](MILLISECONDS), on_invalid="skip")
    with pytest.warns(TimestampUnitWarning, match="look like epoch milliseconds") as caught:
        REDUCER.execute_reduction_sync(request)
    assert "multiply them by 1_000," in str(caught[0].message)
    assert "(the latest at 1970-01-21T10:53:52.800000Z)" in str(caught[0].message)


# Each case without a warning beside its twin with one: the check's edge, both sides.


@pytest.mark.parametrize("form", FORMS)
def test_real_microseconds_give_no_warning(form: str) -> None:
    request = contract(FORMS[form](MICROSECONDS), on_invalid="skip")
    assert warned(request) == []
    assert REDUCER.execute_reduction_sync(request).data_quality.records_in_window == 3
    seconds = contract(FORMS[form](SECONDS), on_invalid="skip")
    assert len(warned(seconds)) == 1


def test_microseconds_of_another_year_outside_the_window_give_no_warning() -> None:
    year = 365 * 86_400_000_000
    assert warned(contract(FORMS["pyarrow table"]([s - year for s in MICROSECONDS]))) == []
    # (The last microsecond of 1970 is the latest that looks like milliseconds.)
    assert warned(contract(FORMS["pyarrow table"]([year]))) == []
    assert len(warned(contract(FORMS["pyarrow table"]([year - 1])))) == 1


def test_datetimes_outside_the_window_give_no_warning() -> None:
    stamps = [datetime(1970, 1, 1, 0, 29, tzinfo=UTC)] * 3
    for data in (
        [{"timestamp": stamp} for stamp in stamps],
        {"timestamp": stamps},
        pa.table({"timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC"))}),
        pd.DataFrame({"timestamp": stamps}),
    ):
        request = contract(data)
        assert warned(request) == []
        assert REDUCER.execute_reduction_sync(request).data_quality.records_outside_window == 3
    # The same instants as integers, read as microseconds: a warning.
    integers = [int(stamp.timestamp() * 1_000_000) for stamp in stamps]
    assert len(warned(contract(FORMS["pyarrow table"](integers)))) == 1


def test_seconds_with_records_in_the_window_of_1970_give_no_warning() -> None:
    # (A window of 1970 is chosen for those instants: nothing is outside it.)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    request = contract(FORMS["pyarrow table"](SECONDS), start=start)
    assert warned(request) == []
    assert REDUCER.execute_reduction_sync(request).data_quality.records_in_window == 3
    assert len(warned(contract(FORMS["pyarrow table"](SECONDS), start=START))) == 1


def test_seconds_outside_a_window_reaching_into_1970_give_no_warning() -> None:
    # (Nor a window a year after them, less a microsecond: `test_near_the_new_year_of_1971`.)
    table = FORMS["pyarrow table"](SECONDS)
    assert warned(contract(table, start=datetime(1970, 6, 1, tzinfo=UTC))) == []
    assert len(warned(contract(table, start=datetime(1971, 1, 2, tzinfo=UTC)))) == 1


def test_integers_of_1969_give_no_warning() -> None:
    # (Before 1970: no seconds or milliseconds of a recent day.)
    assert warned(contract(FORMS["pyarrow table"]([-1, *SECONDS]))) == []
    assert len(warned(contract(FORMS["pyarrow table"]([0, *SECONDS])))) == 1


def test_the_unit_is_told_by_the_latest_integer() -> None:
    assert integer_unit(0, 1_780_000_000) == "seconds"
    assert integer_unit(0, 99_999_999_999) == "seconds"
    assert integer_unit(0, 100_000_000_000) == "milliseconds"
    assert integer_unit(0, 1_780_000_000_000) == "milliseconds"
    assert integer_unit(0, 365 * 86_400_000_000 - 1) == "milliseconds"
    assert integer_unit(0, 365 * 86_400_000_000) is None  # (1971)
    assert integer_unit(-1, 1_780_000_000) is None  # (1969)


def test_the_async_reduction_warns_at_the_awaiting_line() -> None:
    async def run() -> None:
        request = contract(FORMS["pyarrow table"](SECONDS))
        with pytest.warns(TimestampUnitWarning) as caught:
            await REDUCER.execute_reduction(request)
        assert caught[0].filename == __file__
        # And off the event loop's thread (a large input): the same warning.
        big = contract(FORMS["pyarrow table"](SECONDS * 3000))
        assert not REDUCER._inline(big)
        with pytest.warns(TimestampUnitWarning, match="^9,000 of 9,000 records"):
            await REDUCER.execute_reduction(big)

    asyncio.run(run())


def _batch_table(stamps: list[int]) -> pa.Table:
    return pa.table(
        {
            "pattern_id": ["a", "b", "a"],
            "timestamp": pa.array(stamps, pa.int64()),
            "success": [True, False, True],
        }
    )


def test_a_batch_of_epoch_seconds_warns() -> None:
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds") as caught:
        output = REDUCER.execute_batch_reduction_sync(batch(_batch_table(SECONDS)))
    assert caught[0].filename == __file__
    assert output.data_quality.records_outside_window == 3
    assert output.results["a"].data_quality.records_outside_window == 2

    async def run() -> None:
        with pytest.warns(TimestampUnitWarning, match="look like epoch milliseconds"):
            await REDUCER.execute_batch_reduction(batch(_batch_table(MILLISECONDS)))

    asyncio.run(run())


def test_a_batch_of_microseconds_gives_no_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = REDUCER.execute_batch_reduction_sync(batch(_batch_table(MICROSECONDS)))
        REDUCER.execute_batch_reduction_sync(batch(_batch_table(SECONDS)))
    assert output.data_quality.records_in_window == 3
    assert [warning.category for warning in caught] == [TimestampUnitWarning]  # (seconds)


#: Ids of several kinds, which make a dict of columns read as its rows (`ingest._given`).
MIXED_IDS = ["a", 7, "a"]


@pytest.mark.parametrize("stamps", ["list", "numpy"])
def test_a_batch_with_ids_of_several_kinds_warns_of_epoch_seconds(stamps: str) -> None:
    # Read as rows, the integer timestamps became the datetimes they stand for before the
    # core saw them: no warning, where the same timestamps beside ids of one kind warned.
    column = SECONDS if stamps == "list" else np.array(SECONDS, dtype=np.int64)
    data = {"pattern_id": MIXED_IDS, "timestamp": column}
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds") as caught:
        output = REDUCER.execute_batch_reduction_sync(batch(data, on_invalid="skip"))
    assert caught[0].filename == __file__
    assert "(the latest at 1970-01-01T00:29:27.232800Z)" in str(caught[0].message)
    assert sorted(map(str, output.results)) == ["7", "a"]
    assert output.data_quality.records_outside_window == 3
    accumulator = BatchUsageAccumulator(START, END)
    with pytest.warns(TimestampUnitWarning, match="look like epoch milliseconds"):
        accumulator.update({"pattern_id": MIXED_IDS, "timestamp": np.array(MILLISECONDS)})
    with warnings.catch_warnings():  # (microseconds of the window: no warning)
        warnings.simplefilter("error")
        output = REDUCER.execute_batch_reduction_sync(
            batch({"pattern_id": MIXED_IDS, "timestamp": np.array(MICROSECONDS)})
        )
    assert output.data_quality.records_in_window == 3


def test_an_accumulators_update_of_epoch_seconds_warns() -> None:
    accumulator = UsageAccumulator(START, END)
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds") as caught:
        accumulator.update(FORMS["polars"](SECONDS))
    assert caught[0].filename == __file__
    batched = BatchUsageAccumulator(START, END)
    with pytest.warns(TimestampUnitWarning, match="look like epoch milliseconds"):
        batched.update(_batch_table(MILLISECONDS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        accumulator.update(FORMS["polars"](MICROSECONDS))
    assert accumulator.finalize(pattern_id="p").data_quality.records_in_window == 3


def test_the_warning_can_be_filtered_as_a_user_warning() -> None:
    assert issubclass(TimestampUnitWarning, UserWarning)
    with pytest.warns(UserWarning, match="look like epoch seconds"):
        REDUCER.execute_reduction_sync(contract(FORMS["pyarrow table"](SECONDS)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", TimestampUnitWarning)
        output = REDUCER.execute_reduction_sync(contract(FORMS["pyarrow table"](SECONDS)))
    assert output.data_quality.records_outside_window == 3


# --------------------------------------------------------------------------- streams


def _int_table(stamps: Sequence[int | None], **columns: Any) -> pa.Table:
    return pa.table({"timestamp": pa.array(stamps, pa.int64()), **columns})


#: Streams, read once by the core: their integer timestamps are noted as they pass, not
#: looked at again. (Each call makes a fresh one.)
STREAMS: dict[str, Callable[[pa.Table], Any]] = {
    # (Batches of two rows: the range is of every batch.)
    "pyarrow reader": lambda table: pa.RecordBatchReader.from_batches(
        table.schema, table.to_batches(max_chunksize=2)
    ),
    "duckdb relation": lambda table: duckdb.connect().from_arrow(table),
    "duckdb arrow()": lambda table: duckdb.connect().from_arrow(table).arrow(),
}


@pytest.mark.parametrize("form", STREAMS)
@pytest.mark.parametrize(
    ("stamps", "unit", "latest"),
    [
        (SECONDS, "seconds", "1970-01-01T00:29:27.232800Z"),
        (MILLISECONDS, "milliseconds", "1970-01-21T10:53:52.800000Z"),
    ],
)
def test_a_stream_of_epoch_seconds_or_milliseconds_warns_as_a_table_does(
    form: str, stamps: list[int], unit: str, latest: str
) -> None:
    table = _int_table(stamps, success=[True] * len(stamps))
    [expected] = warned(contract(table))
    assert f"look like epoch {unit}" in expected
    assert f"(the latest at {latest})" in expected
    assert warned(contract(STREAMS[form](table))) == [expected]


@pytest.mark.parametrize("form", STREAMS)
def test_a_stream_of_microseconds_gives_no_warning(form: str) -> None:
    request = contract(STREAMS[form](_int_table(MICROSECONDS)))
    assert warned(request) == []
    output = REDUCER.execute_reduction_sync(contract(STREAMS[form](_int_table(MICROSECONDS))))
    assert output.data_quality.records_in_window == 3


@pytest.mark.parametrize("form", STREAMS)
def test_a_stream_with_a_record_in_the_window_or_of_1969_gives_no_warning(form: str) -> None:
    # Each beside its twin that warns: the same seconds alone, and with 0 (1970).
    for stamps in ([*SECONDS, MICROSECONDS[0]], [MICROSECONDS[0], *SECONDS], [-1, *SECONDS]):
        assert warned(contract(STREAMS[form](_int_table(stamps)))) == [], stamps
    for stamps in (SECONDS, [0, *SECONDS]):
        assert len(warned(contract(STREAMS[form](_int_table(stamps))))) == 1, stamps


def test_a_long_stream_is_warned_of_by_its_every_slice() -> None:
    """Past the core's slices of 262,144 rows: a slice wholly inside the window first
    (which no hint follows), or seconds throughout (the latest in the last slice)."""
    n = 600_000
    seconds = np.arange(n, dtype=np.int64) + SECONDS[0]
    for stamps, warns in (
        (np.concatenate([np.full(300_000, MICROSECONDS[0]), seconds[:300_000]]), False),
        (seconds, True),
    ):
        reader = pa.RecordBatchReader.from_batches(
            pa.schema([("timestamp", pa.int64())]),
            pa.table({"timestamp": stamps}).to_batches(max_chunksize=100_000),
        )
        got = warned(contract(reader))
        assert len(got) == warns
        if warns:
            assert got[0].startswith(f"{n:,} of {n:,} records lie outside the window")
            latest = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(stamps[-1]))
            assert f"(the latest at {latest.isoformat().replace('+00:00', 'Z')})" in got[0]


def test_the_core_reports_the_range_of_a_streams_integer_timestamps() -> None:
    options = core_options(contract([]), by_pattern=False)
    raw = reduce_any(STREAMS["pyarrow reader"](_int_table([5, None, 3, 9])), options)
    assert raw["integer_times"] == (3, 9)
    stamps = pa.array([START, START], pa.timestamp("us", tz="UTC"))
    raw = reduce_any(STREAMS["pyarrow reader"](pa.table({"timestamp": stamps})), options)
    assert "integer_times" not in raw


def test_a_batch_and_an_accumulator_warn_of_a_stream() -> None:
    table = _batch_table(SECONDS)
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds"):
        REDUCER.execute_batch_reduction_sync(batch(STREAMS["duckdb relation"](table)))
    accumulator = UsageAccumulator(START, END)
    with pytest.warns(TimestampUnitWarning, match="look like epoch milliseconds"):
        accumulator.update(STREAMS["pyarrow reader"](_int_table(MILLISECONDS)))
    batched = BatchUsageAccumulator(START, END)
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds"):
        batched.update(STREAMS["duckdb arrow()"](table))


# --------------------------------------------------------------------------- rolling


def _rolling(**settings: Any) -> RollingUsageAnalytics:
    return RollingUsageAnalytics(timedelta(hours=1), timedelta(minutes=5), **settings)


def _rolling_warnings(monitor: RollingUsageAnalytics, data: Any, **add: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monitor.add(data, **add)
    assert all(warning.category is TimestampUnitWarning for warning in caught)
    return [str(warning.message) for warning in caught]


@pytest.mark.parametrize("form", FORMS)
def test_a_fresh_rolling_states_add_of_epoch_seconds_warns(form: str) -> None:
    # A fresh state files them in 1970 (later snapshots count them outside) and said
    # nothing; the clock, the wall clock's here, stands for the window it has not.
    monitor = _rolling(on_invalid="skip")  # (a missing time: its record's error)
    with pytest.warns(TimestampUnitWarning, match="look like epoch seconds") as caught:
        monitor.add(FORMS[form](SECONDS))
    assert caught[0].filename == __file__
    assert str(caught[0].message) == (
        "the integer timestamps of the records added all lie in 1970 (the latest at "
        "1970-01-01T00:29:27.232800Z), years before the clock (2026): integer timestamps "
        "are read as epoch microseconds, and these look like epoch seconds: multiply them "
        "by 1_000_000, or use datetimes"
    ).replace("2026", str(datetime.now(UTC).year))
    got = _rolling_warnings(_rolling(on_invalid="skip"), FORMS[form](MILLISECONDS))
    assert len(got) == 1
    assert "look like epoch milliseconds" in got[0]
    assert _rolling_warnings(_rolling(on_invalid="skip"), FORMS[form](MICROSECONDS)) == []
    snapshot = monitor.snapshot(START)
    assert snapshot.data_quality.records_outside_window == 3  # (the results stay the contract's)


def test_a_rolling_add_of_1970_with_a_clock_of_1970_gives_no_warning() -> None:
    monitor = _rolling(max_future=timedelta(days=1))
    now = datetime(1970, 1, 1, 12, tzinfo=UTC)
    assert _rolling_warnings(monitor, FORMS["pyarrow table"](SECONDS), now=now) == []
    assert _rolling_warnings(_rolling(), FORMS["pyarrow table"]([-5, 3])) == []  # (1969)
    stamps = [START, START + timedelta(minutes=1)]
    datetimes = pa.table({"timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC"))})
    assert _rolling_warnings(_rolling(), datetimes) == []


def test_a_rolling_state_of_today_warns_of_a_stream_of_epoch_seconds() -> None:
    # A stream is read once, by the core: it notes the records it leaves out (older than
    # the kept buckets, of today), as the reducer's read does.
    monitor = _rolling()
    monitor.add([{"timestamp": START}])
    got = _rolling_warnings(monitor, STREAMS["pyarrow reader"](_int_table(SECONDS)))
    assert len(got) == 1
    assert "look like epoch seconds" in got[0]


@pytest.mark.parametrize("form", STREAMS)
def test_a_fresh_rolling_states_add_of_a_stream_of_epoch_seconds_warns(form: str) -> None:
    # Filed in 1970, not left out, so the core noted no range: nothing was said. The
    # stream's batches are noted as they pass (`input_notes.noted_stream`).
    monitor = _rolling()
    got = _rolling_warnings(monitor, STREAMS[form](_int_table(SECONDS)))
    assert len(got) == 1
    assert "look like epoch seconds" in got[0]
    assert "(the latest at 1970-01-01T00:29:27.232800Z)" in got[0]
    assert monitor.snapshot(START).data_quality.records_outside_window == 3
    skipping = _rolling(on_invalid="skip")  # (a missing time: its record's error)
    got = _rolling_warnings(skipping, STREAMS[form](_int_table([None, *MILLISECONDS])))
    assert len(got) == 1
    assert "look like epoch milliseconds" in got[0]
    fresh = _rolling()
    assert _rolling_warnings(fresh, STREAMS[form](_int_table(MICROSECONDS))) == []
    # (Records an hour apart: the last one in the hour's window ending with its bucket.)
    assert fresh.snapshot(START + timedelta(hours=2)).usage_metrics.total_executions == 1


class _Stream:
    """Another library's stream (nanoarrow's, arro3's): the PyCapsule interface only."""

    def __init__(self, table: pa.Table | None) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        if self.table is None:
            raise ValueError("the export failed")
        return self.table.__arrow_c_stream__(requested_schema)


def test_a_rolling_add_of_a_stream_needs_no_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    # The core reads a stream itself; noting its times (`noted_stream`) imported pyarrow
    # first, and the add raised ModuleNotFoundError. Without it no range is noted.
    stream = _Stream(_int_table(MICROSECONDS))
    monitor = _rolling()
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    assert _rolling_warnings(monitor, stream) == []
    monkeypatch.undo()
    assert monitor.snapshot(START + timedelta(hours=2)).usage_metrics.total_executions == 1


def test_a_rolling_add_of_a_stream_that_fails_to_export_names_it() -> None:
    # As any read of Arrow data does; it raised the library's own ValueError.
    with pytest.raises(UsageAnalyticsError, match="cannot read the Arrow data: the export failed"):
        _rolling().add(_Stream(None))


def _of_stamps(stream: Callable[[pa.Table], Any]) -> Callable[[list[int]], Any]:
    return lambda stamps: stream(_int_table(stamps))


#: Every form a monitor's add takes integer timestamps in: tables, frames, dicts of
#: columns (FORMS) and streams read once by the core (STREAMS).
ADDED: dict[str, Callable[[list[int]], Any]] = {
    **FORMS,
    **{name: _of_stamps(stream) for name, stream in STREAMS.items()},
}
#: A monitor whose kept buckets (two windows) reach back from today into 1970.
LONG_WINDOW = timedelta(days=30 * 365)


def _serving(window: timedelta = LONG_WINDOW, **settings: Any) -> RollingUsageAnalytics:
    """A monitor fed by a service: it holds a record of START, of day buckets."""
    monitor = RollingUsageAnalytics(window, timedelta(days=1), on_invalid="skip", **settings)
    monitor.add([{"timestamp": START, "success": True}])
    return monitor


@pytest.mark.parametrize("form", ADDED)
def test_a_batch_of_epoch_seconds_filed_beside_a_monitors_records_of_today_warns(
    form: str,
) -> None:
    # Its kept buckets reach back into 1970, so the batch was filed there, beside the
    # records of 2026, with no word (the look at the column was only for a state whose
    # newest bucket lay in 1970); a snapshot whose window reaches 1970 counts them.
    monitor = _serving()
    got = _rolling_warnings(monitor, ADDED[form](SECONDS))
    assert got == [
        "the integer timestamps of the records added all lie in 1970 (the latest at "
        "1970-01-01T00:29:27.232800Z), years before the records the state holds (its newest "
        "bucket starts at 2026-01-01T00:00:00Z; these were filed beside them): integer "
        "timestamps are read as epoch microseconds, and these look like epoch seconds: "
        "multiply them by 1_000_000, or use datetimes"
    ]
    assert monitor.retained_buckets == 2  # (filed: a bucket of 1970-01-01)
    assert monitor.snapshot(START).data_quality.records_outside_window == 3
    reaching_1970 = monitor.snapshot(datetime(1999, 1, 1, tzinfo=UTC))
    assert reaching_1970.usage_metrics.total_executions == 3
    got = _rolling_warnings(_serving(), ADDED[form](MILLISECONDS))
    assert len(got) == 1
    assert "look like epoch milliseconds: multiply them by 1_000," in got[0]
    assert "(the latest at 1970-01-21T10:53:52.800000Z)" in got[0]
    assert _rolling_warnings(_serving(), ADDED[form](MICROSECONDS)) == []


@pytest.mark.parametrize("form", ["pyarrow table", "dict of lists", "duckdb relation"])
def test_a_batch_of_epoch_seconds_older_than_a_monitors_buckets_is_told_of_by_them(
    form: str,
) -> None:
    # Left out as older than every bucket kept (a window of an hour): the message said
    # "years before the clock", not what became of them. And the records held tell, not
    # the clock: a replay's clock of 1970 (`now=`) silenced it.
    monitor = _serving(timedelta(hours=24), max_future=timedelta(days=1))
    got = _rolling_warnings(monitor, ADDED[form](SECONDS), now=START)
    assert got == [
        "the integer timestamps of the records added all lie in 1970 (the latest at "
        "1970-01-01T00:29:27.232800Z), years before the records the state holds (its newest "
        "bucket starts at 2026-01-01T00:00:00Z; these were left out, older than every "
        "bucket kept, and counted outside the window): integer timestamps are read as epoch "
        "microseconds, and these look like epoch seconds: multiply them by 1_000_000, or "
        "use datetimes"
    ]
    for kept in (timedelta(hours=24), LONG_WINDOW):
        replay = _serving(kept, max_future=timedelta(days=1))
        clock = datetime(1970, 1, 1, 12, tzinfo=UTC)
        got = _rolling_warnings(replay, ADDED[form](SECONDS), now=clock)
        assert len(got) == 1
        assert "years before the records the state holds" in got[0]


_END_OF_1970_US = 365 * 86_400 * 1_000_000


@settings(max_examples=60)
@given(
    bucket_days=st.integers(1, 365),
    buckets=st.integers(1, 100),
    held=st.datetimes(datetime(1973, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    stamps=st.lists(st.integers(0, _END_OF_1970_US - 1), min_size=1, max_size=5),
)
def test_any_batch_of_1970_beside_a_monitors_later_records_warns_once(
    bucket_days: int, buckets: int, held: datetime, stamps: list[int]
) -> None:
    # Whatever the window, filed (its kept buckets, two windows, reach 1970) or left out.
    assume(bucket_days * buckets <= 36_525)
    bucket = timedelta(days=bucket_days)
    monitor = RollingUsageAnalytics(bucket * buckets, bucket)
    monitor.add([{"timestamp": held}])
    got = _rolling_warnings(monitor, pa.table({"timestamp": pa.array(stamps, pa.int64())}))
    bucket_us = bucket // timedelta(microseconds=1)
    newest_us = int(held.timestamp()) * 1_000_000 // bucket_us * bucket_us
    oldest_kept_us = newest_us - (2 * buckets - 1) * bucket_us
    assert len(got) == 1
    assert f"look like epoch {integer_unit(min(stamps), max(stamps))}" in got[0]
    filed = max(stamps) >= oldest_kept_us
    assert ("these were filed beside them" in got[0]) is filed
    assert ("these were left out" in got[0]) is not filed


def test_a_replay_of_1970_across_the_new_year_is_not_told_of() -> None:
    # Records of 1970-12-31 in microseconds, added after one of 1971-01-01 (a replay of
    # real 1970 data, or one batch late): hours before the newest bucket, not "years", and
    # no epoch seconds or milliseconds of any likely year. Both the state's newest bucket
    # and a clock (`now=`) of 1971 said they looked like epoch milliseconds.
    def stamps(*hours: int) -> pa.Table:
        eve = datetime(1970, 12, 31) - datetime(1970, 1, 1)
        times = [(eve + timedelta(hours=h)) // timedelta(microseconds=1) for h in hours]
        return _int_table(times, success=[True] * len(hours))

    now = datetime(1971, 1, 1, 3, tzinfo=UTC)
    monitor = RollingUsageAnalytics(
        timedelta(days=7), timedelta(hours=1), max_future=timedelta(days=1)
    )
    assert _rolling_warnings(monitor, stamps(22), now=now) == []
    assert _rolling_warnings(monitor, stamps(25), now=now) == []  # (1971-01-01T01:00)
    assert _rolling_warnings(monitor, stamps(23), now=now) == []
    assert monitor.snapshot(now).usage_metrics.total_executions == 3
    # A year on, they are told of, by the records held as by the clock.
    later = now + timedelta(days=366)
    assert _rolling_warnings(monitor, stamps(25), now=later) == []  # (the state's: hours)
    assert _rolling_warnings(monitor, stamps(25 + 366 * 24), now=later) == []
    assert len(_rolling_warnings(monitor, stamps(21), now=later)) == 1
    fresh = RollingUsageAnalytics(
        timedelta(days=7), timedelta(hours=1), max_future=timedelta(days=1)
    )
    assert len(_rolling_warnings(fresh, stamps(21), now=later)) == 1


def test_a_list_of_records_of_integer_timestamps_is_refused_by_a_monitor_of_today() -> None:
    # Their unit cannot be told: each is an invalid record, named, never filed.
    message = (
        "record 0: field 'timestamp' = 1767225600: must be a datetime, a date, a numpy "
        "datetime64 or an ISO-8601 string, got int"
    )
    records = [{"timestamp": second, "success": True} for second in SECONDS]
    with pytest.raises(UsageAnalyticsError, match=f"^{message}"):
        RollingUsageAnalytics(LONG_WINDOW, timedelta(days=1)).add(records)
    monitor = _serving()
    assert _rolling_warnings(monitor, records) == []
    quality = monitor.snapshot(START).data_quality
    assert (quality.invalid_records, quality.records_in_window) == (3, 1)


# ------------------------------------------------------------- the new year of 1971

#: Real microseconds of the last hours of 1970 (the last one its last microsecond).
LATE_1970 = [_END_OF_1970_US - 7_200_000_000, _END_OF_1970_US - 3_600_000_000, _END_OF_1970_US - 1]
NEW_YEAR = datetime(1971, 1, 1, tzinfo=UTC)
#: Windows from the new year of 1971: a day of it, and on to 2026 (any end).
ENDS = {"a day": NEW_YEAR + timedelta(days=1), "to 2026": START}
_A_YEAR = timedelta(days=365)


def _from_new_year(data: Any, end: datetime) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=NEW_YEAR,
        time_window_end=end,
        execution_data=data,
        on_invalid="skip",  # (the nullable form's missing time: its record's error)
    )


@pytest.mark.parametrize("end", ENDS.values(), ids=ENDS)
@pytest.mark.parametrize("form", ADDED)
def test_microseconds_of_late_1970_before_a_window_of_1971_give_no_warning(
    form: str, end: datetime
) -> None:
    # Hours before the window, not years, as a monitor's replay across the new year
    # (`test_a_replay_of_1970_across_the_new_year_is_not_told_of`): they were told they
    # looked like epoch milliseconds, as the window did not reach into 1970.
    assert warned(_from_new_year(ADDED[form](LATE_1970), end)) == []
    output = REDUCER.execute_reduction_sync(_from_new_year(ADDED[form](LATE_1970), end))
    assert output.data_quality.records_outside_window == 3  # (a stream is read once)
    # Its twin: epoch seconds of 2026 read as microseconds, decades before the window.
    [message] = warned(contract(ADDED[form](SECONDS), on_invalid="skip"))
    assert "look like epoch seconds" in message


def _ids_table(stamps: list[int]) -> pa.Table:
    return _int_table(stamps, pattern_id=["a", "b", "a"], success=[True, False, True])


#: The forms a batch's input of integer timestamps comes in, beside its pattern ids.
BATCHES: dict[str, Callable[[pa.Table], Any]] = {
    "pyarrow table": lambda table: table,
    "pyarrow batch": lambda table: table.combine_chunks().to_batches()[0],
    "dict of lists": lambda table: table.to_pydict(),
    "dict of numpy": lambda table: {
        "pattern_id": np.array(table["pattern_id"].to_pylist()),
        "timestamp": table["timestamp"].to_numpy(),
    },
    "ids of several kinds": lambda table: {
        "pattern_id": MIXED_IDS,
        "timestamp": table["timestamp"].to_numpy(),
    },
    "polars": lambda table: pl.from_arrow(table),
    "pandas": lambda table: table.to_pandas(),
    **STREAMS,
}


def batch_warned(request: ModelUsageAnalyticsBatchInput) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.simplefilter("always", TimestampUnitWarning)
        REDUCER.execute_batch_reduction_sync(request)
    return [str(warning.message) for warning in caught]


@pytest.mark.parametrize("end", ENDS.values(), ids=ENDS)
@pytest.mark.parametrize("form", BATCHES)
def test_a_batch_of_late_1970_microseconds_before_a_window_of_1971_gives_no_warning(
    form: str, end: datetime
) -> None:
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=NEW_YEAR, time_window_end=end, execution_data=None
    )
    late = request.model_copy(update={"execution_data": BATCHES[form](_ids_table(LATE_1970))})
    assert batch_warned(late) == []
    [message] = batch_warned(batch(BATCHES[form](_ids_table(SECONDS))))  # (the twin)
    assert "look like epoch seconds" in message


def test_async_calls_and_accumulators_are_not_told_of_late_1970_before_1971() -> None:
    async def run() -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            single = _from_new_year(_int_table(LATE_1970), START)
            await REDUCER.execute_reduction(single)
            many = ModelUsageAnalyticsBatchInput(
                time_window_start=NEW_YEAR, time_window_end=START, execution_data=None
            )
            data = _ids_table(LATE_1970)
            await REDUCER.execute_batch_reduction(many.model_copy(update={"execution_data": data}))
            UsageAccumulator(NEW_YEAR, START).update(data)
            BatchUsageAccumulator(NEW_YEAR, START).update(data)
            # The twins, epoch seconds before a window of 2026: one warning each.
            await REDUCER.execute_reduction(contract(_int_table(SECONDS)))
            await REDUCER.execute_batch_reduction(batch(_ids_table(SECONDS)))
            UsageAccumulator(START, END).update(_int_table(SECONDS))
            BatchUsageAccumulator(START, END).update(_ids_table(SECONDS))
        assert all(warning.category is TimestampUnitWarning for warning in caught)
        return [str(warning.message) for warning in caught]

    got = asyncio.run(run())
    assert len(got) == 4
    assert all("look like epoch seconds" in message for message in got)


def test_near_the_new_year_of_1971_a_window_is_told_of_records_a_year_before_it() -> None:
    # The edge: a window's start a year after the latest record, to the microsecond.
    latest = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=LATE_1970[-1])
    table = _int_table(LATE_1970)
    assert len(warned(contract(table, start=latest + _A_YEAR))) == 1
    assert warned(contract(table, start=latest + _A_YEAR - timedelta(microseconds=1))) == []
    # Epoch seconds of 2026 (at 00:29 of 1970-01-01) and a window from 1971-01-01:
    # less than a year too, so nothing is said of them, a window of no such caller's.
    seconds = _int_table(SECONDS)
    assert warned(contract(seconds, start=NEW_YEAR)) == []
    assert len(warned(contract(seconds, start=NEW_YEAR + timedelta(hours=1)))) == 1


@settings(max_examples=80)
@given(
    stamps=st.lists(st.integers(0, _END_OF_1970_US - 1), min_size=1, max_size=5),
    start_us=st.integers(0, 4_102_444_800_000_000),  # (to 2100)
)
def test_records_of_1970_are_told_of_where_the_window_starts_a_year_after_them(
    stamps: list[int], start_us: int
) -> None:
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start_us)
    got = warned(contract(_int_table(stamps), start=start))
    # (A record inside the window lies after its start: less than a year before it.)
    told = start_us - max(stamps) >= _A_YEAR // timedelta(microseconds=1)
    assert len(got) == told
    if told:
        assert f"look like epoch {integer_unit(min(stamps), max(stamps))}" in got[0]


# ------------------------------------------------------------------------------- CLI


def _parquet(path: Path, stamps: list[int]) -> Path:
    table = pa.table(
        {
            "pattern_id": ["p"] * len(stamps),
            "timestamp": pa.array(stamps, pa.int64()),
            "success": [True] * len(stamps),
        }
    )
    pq.write_table(table, path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_the_cli_notes_epoch_seconds_left_outside_the_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    path = _parquet(tmp_path / "runs.parquet", SECONDS)
    pattern = ["--pattern", "p"] if command == "analyze" else []
    window = ["--start", "2026-01-01", "--end", "2026-01-02"]
    code, out, err = _run(capsys, command, str(path), *pattern, *window, "--format", "json")
    assert code == 0
    unit_note, empty_window_note = err.splitlines()  # (the second: `cli.empty_window`'s)
    assert unit_note == (
        "usage-analytics: note: 3 of 3 records lie outside the window, all in 1970 (the "
        "latest at 1970-01-01T00:29:27.232800Z): integer timestamps are read as epoch "
        "microseconds, and these look like epoch seconds: multiply them by 1_000_000, or "
        "use datetimes"
    )
    assert other_than_an_empty_window(empty_window_note) == []
    if command == "analyze":  # (the report as before: all outside)
        assert '"records_outside_window": 3' in out


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_the_cli_notes_a_default_window_ending_in_1970_at_integer_milliseconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    path = _parquet(tmp_path / "runs.parquet", MILLISECONDS)
    pattern = ["--pattern", "p"] if command == "analyze" else []
    code, _, err = _run(capsys, command, str(path), *pattern, "--format", "json")
    assert code == 0
    # (The source's newest record, which ends both commands' windows.)
    assert err == (
        "usage-analytics: note: the newest record (1970-01-21T10:53:52.800000+00:00) "
        "lies in 1970, and the window ends there: integer timestamps are read as epoch "
        "microseconds, and these look like epoch milliseconds: multiply them by 1_000, or "
        "store them as timestamps\n"
    )


def test_the_cli_notes_nothing_for_integer_microseconds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _parquet(tmp_path / "runs.parquet", MICROSECONDS)
    assert _run(capsys, "analyze", str(path), "--pattern", "p") == (0, ANY, "")
    window = ["--start", "2025-01-01", "--end", "2025-01-02"]  # (all outside: a year after)
    code, _, err = _run(capsys, "analyze", str(path), "--pattern", "p", *window)
    assert (code, other_than_an_empty_window(err)) == (0, [])
    seconds = _parquet(tmp_path / "seconds.parquet", SECONDS)
    assert "look like epoch seconds" in _run(capsys, "analyze", str(seconds), "--pattern", "p")[2]


def test_the_cli_notes_nothing_for_a_1970_window_of_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _parquet(tmp_path / "runs.parquet", SECONDS)
    window = ["--start", "1970-01-01", "--end", "1970-01-02"]
    assert _run(capsys, "analyze", str(path), "--pattern", "p", *window) == (0, ANY, "")
    window = ["--start", "1971-01-02", "--end", "1971-01-03"]  # (a year after them)
    _, _, err = _run(capsys, "analyze", str(path), "--pattern", "p", *window)
    assert err.startswith("usage-analytics: note: 3 of 3 records lie outside the window")
