"""A dict of lists (or tuples) is read by the core row by row as the list of dicts of its
rows: the same records, so exactly the same output, samples and errors, in every reader
(one call, a batch, the streaming states); int timestamps (epoch microseconds, which
records refuse) make it a table instead. Its columns may run Python code or change while
they are read, as a list of records may: never a crash."""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from child import run_python
from equivalence import VOLATILE
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import contracts
from usage_analytics import (
    BatchUsageAccumulator,
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)
from usage_analytics.ingest import dict_columns

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


def columns_of(records: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The records' columns: each key any record has, None where a record lacks it."""
    names = list(dict.fromkeys(name for record in records for name in record))
    return {name: [record.get(name) for record in records] for name in names}


def _int_stamp(record: Mapping[str, Any]) -> bool:
    stamp = record.get("timestamp")
    return isinstance(stamp, int | np.integer) and not isinstance(stamp, bool)


def outcome(call: Any) -> Any:
    """What a call gives: its output without the volatile fields, or its error's parts."""
    try:
        output = call()
    except InvalidRecordError as error:
        return ("raised", error.index, error.field, error.value, error.reason, error.more)
    return output.model_dump(exclude=set(VOLATILE))


def _as_records(contract: Any) -> list[Mapping[str, Any]]:
    # Mappings only (a dict of lists holds no non-mapping row), no int timestamps (a
    # columnar form: tested apart).
    rows = contract.execution_data
    return [r for r in rows if isinstance(r, Mapping) and not _int_stamp(r)]


@settings(max_examples=60)
@given(contract=contracts(invalid=True), raise_mode=st.booleans(), tuples=st.booleans())
def test_a_dict_of_lists_equals_the_list_of_its_rows(
    contract: ModelUsageAnalyticsInput, raise_mode: bool, tuples: bool
) -> None:
    records = _as_records(contract)
    columns: dict[str, Any] = columns_of(records)
    if tuples:
        columns = {name: tuple(values) for name, values in columns.items()}
    mode = "raise" if raise_mode else "skip"
    settings_ = contract.model_dump(exclude={"execution_data", "on_invalid"})

    def call(data: Any) -> Any:
        request = ModelUsageAnalyticsInput(**settings_, execution_data=data, on_invalid=mode)
        return lambda: REDUCER.execute_reduction_sync(request)

    if "timestamp" not in columns:  # (a dict without the column: its error, as before)
        if columns:
            with pytest.raises(UsageAnalyticsError, match="no 'timestamp' column"):
                call(columns)()
        return
    assert outcome(call(columns)) == outcome(call(records))


#: Pattern ids of every kind a record may hold, blank and missing ones among them.
IDS = st.sampled_from(["a", "b", " a ", "", "  ", None, 7, 8, np.int64(7), UUID(int=3), 1.5])


@settings(max_examples=40)
@given(contract=contracts(invalid=True), ids=st.data(), raise_mode=st.booleans())
def test_a_batch_of_a_dict_of_lists_equals_the_list_of_its_rows(
    contract: ModelUsageAnalyticsInput, ids: st.DataObject, raise_mode: bool
) -> None:
    records = [
        {**record, "pattern_id": ids.draw(IDS)}
        for record in _as_records(contract)
        if isinstance(record, dict)
    ]
    if not records:
        return
    settings_ = contract.model_dump(
        include={"time_window_start", "time_window_end", "time_window_type", "timezone"}
    )
    mode = "raise" if raise_mode else "skip"

    def call(data: Any) -> Any:
        request = ModelUsageAnalyticsBatchInput(**settings_, execution_data=data, on_invalid=mode)
        return lambda: _batch_parts(REDUCER.execute_batch_reduction_sync(request))

    assert outcome(call(columns_of(records))) == outcome(call(records))


class _Parts:
    """A batch output as comparable parts (its results' keys keep their types)."""

    def __init__(self, output: Any) -> None:
        self.output = output

    def model_dump(self, exclude: set[str]) -> Any:
        dumped = self.output.model_dump(exclude={"results", *exclude})
        results = {
            (type(key), key): result.model_dump(exclude=exclude)
            for key, result in self.output.results.items()
        }
        return dumped, results


def _batch_parts(output: Any) -> _Parts:
    return _Parts(output)


def _batch_call(data: Any, mode: str) -> Callable[[], _Parts]:
    """The batch call of `data` over START-END in `mode`, for `outcome`."""
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=data, on_invalid=mode
    )
    return lambda: _batch_parts(REDUCER.execute_batch_reduction_sync(request))


def _rows(n: int, zone: Any = UTC) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": (START + timedelta(hours=i)).astimezone(zone),
            "success": i % 4 != 0,
            "execution_time_ms": 10.0 + i,
            "quality_score": (i % 10) / 10,
            "agent": f"agent-{i % 3}",
            "file_path": None if i % 5 == 0 else f"src/f{i % 7}.py",
            "pattern_id": ["a", "b", 7][i % 3],
        }
        for i in range(n)
    ]


def test_streaming_states_take_a_dict_of_lists_as_its_rows() -> None:
    rows = _rows(150)
    one, other = UsageAccumulator(START, END), UsageAccumulator(START, END)
    one.update(rows)
    other.update(columns_of(rows))
    assert outcome(lambda: other.finalize("p")) == outcome(lambda: one.finalize("p"))
    batch, batch_other = BatchUsageAccumulator(START, END), BatchUsageAccumulator(START, END)
    batch.update(rows)
    batch_other.update(columns_of(rows))
    assert outcome(lambda: _Parts(batch_other.finalize())) == outcome(
        lambda: _Parts(batch.finalize())
    )
    window, bucket = timedelta(days=7), timedelta(hours=1)
    rolling, rolling_other = (
        RollingUsageAnalytics(window, bucket),
        RollingUsageAnalytics(window, bucket),
    )
    plain = [{k: v for k, v in row.items() if k != "pattern_id"} for row in rows]
    rolling.add(plain)
    rolling_other.add(columns_of(plain))
    assert outcome(lambda: rolling_other.snapshot(END)) == outcome(lambda: rolling.snapshot(END))


@pytest.mark.parametrize("zone", [UTC, ZoneInfo("UTC"), ZoneInfo("Europe/Paris")])
def test_times_in_any_zone_read_as_their_instants(zone: Any) -> None:
    # (ZoneInfo("UTC"), whose datetimes pyarrow's and pandas' conversions give, is read
    # from the datetime's struct, as `datetime.UTC` is; another zone through its utcoffset.)
    expected = outcome(lambda: REDUCER.execute_reduction_sync(_request(_rows(48))))
    rows = _rows(48, zone)
    assert outcome(lambda: REDUCER.execute_reduction_sync(_request(rows))) == expected
    assert outcome(lambda: REDUCER.execute_reduction_sync(_request(columns_of(rows)))) == expected


def _request(data: Any, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data, **options
    )


def test_the_core_reads_a_dict_of_lists_without_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_table(*_: Any) -> Any:
        raise AssertionError("converted to a table")

    monkeypatch.setattr(dict_columns, "columns_to_arrow", no_table)
    output = REDUCER.execute_reduction_sync(_request(columns_of(_rows(20))))
    assert output.usage_metrics.total_executions == 20


@pytest.mark.parametrize("kind", [int, np.int64])
def test_int_timestamps_make_a_dict_of_lists_a_table_of_epoch_microseconds(kind: type) -> None:
    rows = [{k: v for k, v in row.items() if k != "pattern_id"} for row in _rows(30)]
    micros = [kind(int(row["timestamp"].timestamp()) * 10**6) for row in rows]
    columns = columns_of(rows) | {"timestamp": micros}
    table = pa.table(columns_of(rows) | {"timestamp": pa.array(micros, pa.int64())})
    expected = outcome(lambda: REDUCER.execute_reduction_sync(_request(table)))
    assert expected["usage_metrics"]["total_executions"] == 30
    assert outcome(lambda: REDUCER.execute_reduction_sync(_request(columns))) == expected
    # A state's update likewise, once: the core's read into it ended at the first int.
    state, table_state = UsageAccumulator(START, END), UsageAccumulator(START, END)
    state.update(columns)
    table_state.update(table)
    assert outcome(lambda: state.finalize("p")) == outcome(lambda: table_state.finalize("p"))
    # An int after datetimes too: found where it is read, the whole dict then a table.
    mixed = columns_of(rows) | {"timestamp": [row["timestamp"] for row in rows[:-1]] + [micros[-1]]}
    with pytest.raises(UsageAnalyticsError, match="mixes values of the kinds datetime, int"):
        REDUCER.execute_reduction_sync(_request(mixed))


def test_other_dicts_of_columns_are_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    # A list subclass, a numpy array beside lists, columns of unequal lengths: as before,
    # each converted to a table (the same records' output, or the table's error).
    rows = _rows(10)
    expected = outcome(lambda: REDUCER.execute_reduction_sync(_request(rows)))
    converted: list[frozenset[str]] = []
    columns_to_arrow = dict_columns.columns_to_arrow

    def counted(columns: Any, wanted: frozenset[str]) -> Any:
        converted.append(frozenset(columns))
        return columns_to_arrow(columns, wanted)

    monkeypatch.setattr(dict_columns, "columns_to_arrow", counted)

    class Column(list):  # type: ignore[type-arg]
        pass

    subclassed = {name: Column(values) for name, values in columns_of(rows).items()}
    assert outcome(lambda: REDUCER.execute_reduction_sync(_request(subclassed))) == expected
    with_array = columns_of(rows) | {
        "execution_time_ms": np.array([r["execution_time_ms"] for r in rows])
    }
    assert outcome(lambda: REDUCER.execute_reduction_sync(_request(with_array))) == expected
    uneven = columns_of(rows) | {"agent": ["x"]}
    with pytest.raises(UsageAnalyticsError, match="columns have different lengths"):
        REDUCER.execute_reduction_sync(_request(uneven))
    assert converted == [frozenset(columns_of(rows))] * 3


def test_a_value_that_empties_the_columns_ends_the_reading_there() -> None:
    columns = columns_of(_rows(50))

    class Vandal:
        def __float__(self) -> float:
            for values in columns.values():
                values.clear()
            return 5.0

    columns["execution_time_ms"][3] = Vandal()
    output = REDUCER.execute_reduction_sync(_request(columns, on_invalid="skip"))
    # Rows 0-3 were read; the columns were empty after row 3's value was.
    assert output.data_quality.records_received == 4
    assert output.performance_metrics is not None
    assert output.performance_metrics.max_execution_time_ms == 12.0


def test_columns_changed_by_another_thread_during_a_long_read() -> None:
    columns = columns_of(_rows(200) * 1_000)
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            for values in columns.values():
                values.append(values[0])
                del values[-1]
            columns["timestamp"][len(columns["timestamp"]) // 2] = "garbage"

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        output = REDUCER.execute_reduction_sync(_request(columns, on_invalid="skip"))
    finally:
        stop.set()
        worker.join()
    quality = output.data_quality
    assert quality.records_received >= 200_000 - 1
    assert quality.records_received == (
        quality.records_in_window + quality.records_outside_window + quality.invalid_records
    )


# Run in a child: a regression is a crash, which the child's exit code tells.
_FINALIZER_FREES_THE_COLUMNS = """
import gc
from datetime import UTC, datetime
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
columns, ghosts = {}, []
class Bomb:
    def __init__(self):
        self.me = self  # cyclic garbage, freed only by a collection
    def __del__(self):
        for values in columns.values():
            values.clear()  # frees the row being read (the lists held its values alone)
        ghosts.extend(f"GHOST-{i}" for i in range(200))  # reuse their memory
class Arm:
    def __float__(self):
        Bomb()
        gc.set_threshold(1)  # the next tracked allocation collects
        return 1.0
ts = "2026-01-02T00:00:00Z"
columns["timestamp"] = [ts] * 5
columns["execution_time_ms"] = [Arm(), None, None, None, None]
# A plain row whose file path raises UnicodeEncodeError: an allocation, a collection.
columns["file_path"] = [None, "x/\\ud800.py", None, None, None]
columns["pattern_id"] = ["a", "real", "a", "a", "a"]
out = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(ModelUsageAnalyticsBatchInput(
    time_window_start=datetime(2026, 1, 1, tzinfo=UTC),
    time_window_end=datetime(2026, 1, 8, tzinfo=UTC),
    execution_data=columns,
    on_invalid="skip",
))
print(sorted((k, r.usage_metrics.total_executions) for k, r in out.results.items()))
"""


def test_a_finalizer_that_frees_the_row_being_read() -> None:
    done = run_python(_FINALIZER_FREES_THE_COLUMNS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('a', 4), ('real', 1)]"


def test_nan_in_a_list_is_an_invalid_value_as_in_a_record() -> None:
    # (A numpy array's NaN is missing, as in pandas; a list's is its record's bad value.)
    columns = columns_of(_rows(4)) | {"execution_time_ms": [1.0, math.nan, 2.0, 3.0]}
    output = REDUCER.execute_reduction_sync(_request(columns, on_invalid="skip"))
    sample = output.data_quality.error_samples[0]
    assert (sample.index, sample.field, sample.value) == (1, "execution_time_ms", "nan")


class _EnablingId(UUID):
    """A pattern id whose checks run Python code that enables the collector (a UUID's
    `bytes` is a Python property; another thread's `gc.enable()` could run there too)."""

    @property
    def bytes(self) -> bytes:
        gc.enable()
        return self.int.to_bytes(16, "big")


@pytest.mark.parametrize("form", ["records", "columns"])
def test_a_pattern_id_whose_code_enables_the_collector_leaves_it_paused(form: str) -> None:
    # The next record's plain values are borrowed: a collection while they were read
    # could free them (the record after such an id was read with the collector on).
    seen: list[bool] = []

    class Probe:
        def __float__(self) -> float:
            seen.append(gc.isenabled())
            return 1.0

    records = [
        {"timestamp": START + timedelta(hours=1), "pattern_id": _EnablingId(int=1)},
        {"timestamp": START + timedelta(hours=2), "pattern_id": "a"},
        {"timestamp": START + timedelta(hours=3), "pattern_id": "a", "execution_time_ms": Probe()},
    ]
    data = records if form == "records" else columns_of(records)
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=data
    )
    output = REDUCER.execute_batch_reduction_sync(request)
    assert output.data_quality.records_in_window == 3
    assert seen == [False]
    assert gc.isenabled()  # (restored when the reading ended)


# Run in a child: a regression is a crash, which the child's exit code tells.
_ID_ENABLES_THE_COLLECTOR = """
import gc, uuid
from datetime import UTC, datetime
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
for threshold in range(1, 13):
    columns, ghosts = {}, []
    class Bomb:
        def __init__(self):
            self.me = self  # cyclic garbage, freed only by a collection
        def __del__(self):
            for values in columns.values():
                values.clear()  # frees the row being read (the lists held its values alone)
            ghosts.extend(f"GHOST-{i}" for i in range(200))  # reuse their memory
    class Id(uuid.UUID):
        @property
        def bytes(self):
            Bomb()
            gc.set_threshold(threshold)  # a collection a few allocations on
            gc.enable()
            return self.int.to_bytes(16, "big")
    fresh = lambda text: "".join(list(text))  # (an object the lists alone hold)
    columns["timestamp"] = [fresh("2026-01-02T00:00:00Z") for _ in range(5)]
    columns["agent"] = [fresh("agent-x") for _ in range(5)]
    # A plain row whose file path raises UnicodeEncodeError: an allocation, a collection.
    columns["file_path"] = [None, fresh("x/\\ud800.py"), None, None, None]
    columns["pattern_id"] = [Id(int=5), fresh("real"), "a", "a", "a"]
    gc.disable()
    out = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(ModelUsageAnalyticsBatchInput(
        time_window_start=datetime(2026, 1, 1, tzinfo=UTC),
        time_window_end=datetime(2026, 1, 8, tzinfo=UTC),
        execution_data=columns,
        on_invalid="skip",
    ))
    print(sorted((str(k), r.usage_metrics.total_executions) for k, r in out.results.items()))
    gc.set_threshold(700)
    gc.collect()
"""


def test_a_pattern_id_that_enables_the_collector_before_a_row_that_collects() -> None:
    # Each threshold puts the collection elsewhere in the next row: with the collector
    # left enabled, its finalizer freed that row's values while they were borrowed (a
    # crash, or the id "real" counted as "199" or "GHOST-9": freed memory reused).
    done = run_python(_ID_ENABLES_THE_COLLECTOR)
    assert done.returncode == 0, done.stderr
    expected = "[('00000000-0000-0000-0000-000000000005', 1), ('a', 3), ('real', 1)]"
    assert done.stdout.split("\n")[:-1] == [expected] * 12


def _reads_no_ghost(script: str, form: str, n: int) -> None:
    """`script` (`_ghost_script`'s) of `n` records in `form` runs to its end, every record
    received and only the agents given counted."""
    done = run_python(script.replace("sys.argv[1]", repr(form)).replace("int(sys.argv[2])", str(n)))
    assert done.returncode == 0, done.stderr
    agents = [f"agent-{i}" for i in range(7)]
    assert done.stdout == f"{n} 7 {agents}\n"


def _ghost_script(field: str, rows: str) -> str:
    """A child's script that reads a dict of lists (form "columns") or its records (form
    "records", `sys.argv[1]`; `sys.argv[2]` records) of which a cache of the reader comes
    to hold the last reference to a `Name` (a str subclass) of the first row's `field`;
    `rows` makes the rows. Were the Name let go of in the middle of a plain row, its
    __del__ would free that row's borrowed values: a crash, or names of freed memory
    ('GHOST-...') among the output's."""
    return _GHOST_HEAD.replace("FIELD", field) + rows + _GHOST_TAIL


_GHOST_HEAD = """
import json, re, sys
from datetime import UTC, datetime, timedelta, timezone
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
form, n = sys.argv[1], int(sys.argv[2])
columns, records, ghosts = {}, [], []
class Name(str):
    def __del__(self):
        for values in columns.values():
            values.clear()  # frees the row being read (the lists held its values alone)
        records.clear()  # (or the record being read)
        ghosts.extend(f"GHOST-{i}" for i in range(2000))  # reuse their memory
class Drop:
    def __float__(self):
        # The first row's FIELD (its Name) is now held by a cache of the reader alone.
        if form == "columns":
            columns["FIELD"][0] = None
        else:
            records[0]["FIELD"] = None
        return 1.0
fresh = lambda text: "".join(list(text))  # (an object the lists alone hold)
"""

_GHOST_TAIL = """
columns["agent"] = [fresh(f"agent-{i % 7}") for i in range(n)]
columns["project"] = [fresh(f"project-{i % 5}") for i in range(n)]
if form == "records":
    records.extend(dict(zip(columns, row)) for row in zip(*columns.values()))
    columns.clear()
out = NodeUsageAnalyticsReducer().execute_reduction_sync(ModelUsageAnalyticsInput(
    pattern_id="p",
    time_window_start=datetime(2026, 1, 1, tzinfo=UTC),
    time_window_end=datetime(2026, 1, 8, tzinfo=UTC),
    execution_data=columns if form == "columns" else records,
    on_invalid="skip",
))
names = set(re.findall(r"GHOST-[0-9]+|agent-[0-9]+", json.dumps(out.model_dump(mode="json"))))
print(out.data_quality.records_received, out.usage_metrics.unique_users, sorted(names))
"""

# Run in a child: a regression is a crash, which the child's exit code tells.
_EVICTED_NAME_FREES_THE_ROW = _ghost_script(
    "context_type",
    """columns["timestamp"] = [fresh("2026-01-02T00:00:00Z") for _ in range(n)]
columns["execution_time_ms"] = [None, Drop()] + [None] * (n - 2)
# Plain rows' new names of many lengths (so at many addresses): one takes the Name's
# slot in the cache, which lets it go.
contexts = [fresh(f"c{i}" + "x" * (i % 40)) for i in range(n - 2)]
columns["context_type"] = [Name("odd"), None, *contexts]
""",
)


@pytest.mark.parametrize("form", ["records", "columns"])
def test_a_name_let_go_by_the_cache_frees_nothing_being_read(form: str) -> None:
    # The reader's cache of names holds a str subclass (an owned row's value) and lets it
    # go when a later name takes its slot: its __del__ then ran in the middle of a plain
    # row, whose values are borrowed, and freed them (seen: a crash, an agent 'GHOST-745').
    _reads_no_ghost(_EVICTED_NAME_FREES_THE_ROW, form, 3_000)


# Run in a child: a regression is a crash, which the child's exit code tells.
_EVICTED_ZONE_FREES_THE_ROW = _ghost_script(
    "timestamp",
    """odd_zone = timezone(timedelta(hours=1), Name("odd"))
columns["timestamp"] = [datetime(2026, 1, 2, tzinfo=odd_zone), fresh("2026-01-02T00:00:00Z")]
# Plain rows in another fixed zone: the first of them takes the cache's place.
columns["timestamp"] += [datetime(2026, 1, 2, tzinfo=timezone(timedelta(hours=2)))] * (n - 2)
del odd_zone
columns["execution_time_ms"] = [None, Drop()] + [None] * (n - 2)
""",
)


@pytest.mark.parametrize("form", ["records", "columns"])
def test_a_zone_let_go_by_the_cache_frees_nothing_being_read(form: str) -> None:
    # The reader remembers the last fixed `datetime.timezone` met, and lets it go when a
    # plain row's time is in another: a zone named by a str subclass then ran the name's
    # __del__ in the middle of that row, whose values are borrowed, and could free them
    # (seen: a crash, agents 'GHOST-7' and 'GHOST-9').
    _reads_no_ghost(_EVICTED_ZONE_FREES_THE_ROW, form, 50)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            IDS,
            st.integers(-2 * 86_400, 9 * 86_400),
            st.booleans(),
            st.one_of(st.floats(0, 1e4), st.just(math.nan)),
        ),
        min_size=1,
        max_size=25,
    ),
    raise_mode=st.booleans(),
)
def test_a_list_of_ids_beside_numpy_columns_equals_the_list_of_its_rows(
    rows: list[tuple[Any, int, bool, float]], raise_mode: bool
) -> None:
    # Users build such dicts ({"pattern_id": ids, "timestamp": array, ...}): a list of ids
    # of several kinds (ints and str) was refused ("it mixes values of the kinds int, str")
    # beside arrays, and read as a list of records when every column was a list.
    stamps = [START + timedelta(seconds=offset) for _, offset, _, _ in rows]
    columns: dict[str, Any] = {
        "pattern_id": [row[0] for row in rows],
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "success": np.array([row[2] for row in rows]),
        "execution_time_ms": np.array([row[3] for row in rows]),  # (NaN missing)
    }
    records = [
        {
            "pattern_id": pattern_id,
            "timestamp": stamp,
            "success": success,
            **({} if math.isnan(time) else {"execution_time_ms": time}),
        }
        for (pattern_id, _, success, time), stamp in zip(rows, stamps, strict=True)
    ]
    mode = "raise" if raise_mode else "skip"

    assert outcome(_batch_call(columns, mode)) == outcome(_batch_call(records, mode))
    # Epoch microseconds (a columnar form's) beside them: the same instants.
    micros = {**columns, "timestamp": columns["timestamp"].astype(np.int64)}
    assert outcome(_batch_call(micros, mode)) == outcome(_batch_call(records, mode))


#: A field's values of several kinds, good and bad, as a list beside arrays holds them.
#: (Bad ints among floats too: their float column showed -2 as "-2.0", where a record's
#: sample shows "-2".)
FIELD_VALUES: dict[str, Any] = {
    "success": st.sampled_from([True, False, None, 0, 1, 2, "yes", 0.5]),
    "timeout": st.sampled_from([True, None, 1, "no"]),
    "quality_score": st.sampled_from([0.5, 1, None, True, "0.5", math.nan, 2.5, 2, -1]),
    "execution_time_ms": st.sampled_from(
        [3.5, 7, None, -1.5, "x", np.float64(2.0), -2, np.int64(-3), np.float32(-0.5)]
    ),
    "context_type": st.sampled_from(["a", None, 5, "b", b"c"]),
    "agent": st.sampled_from(["x", None, 1.5, "y"]),
    "file_path": st.sampled_from(["a.py", None, 3, "b.rs"]),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 20), raise_mode=st.booleans())
def test_a_fields_list_of_several_kinds_beside_numpy_columns_equals_the_list_of_its_rows(
    data: st.DataObject, n: int, raise_mode: bool
) -> None:
    # A field's list of values of several kinds (flags True and 1, a name and a number)
    # beside numpy arrays was refused ("it mixes values of the kinds bool, int"), where
    # the same values as lists alone, or as records, were read (a bad one that record's
    # error). Timestamps too: datetimes and ISO text.
    field = data.draw(st.sampled_from([*FIELD_VALUES, "timestamp"]), label="field")
    offsets = data.draw(st.lists(st.integers(-86_400, 8 * 86_400), min_size=n, max_size=n))
    stamps = [START + timedelta(seconds=offset) for offset in offsets]
    if field == "timestamp":
        as_text = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
        values = [s.isoformat() if text else s for s, text in zip(stamps, as_text, strict=True)]
    else:
        values = data.draw(st.lists(FIELD_VALUES[field], min_size=n, max_size=n))
    columns: dict[str, Any] = {
        "pattern_id": np.arange(n) % 3,
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "execution_time_ms": np.arange(n, dtype=float),
        field: values,
    }
    records = [
        {"pattern_id": i % 3, "timestamp": stamp, "execution_time_ms": float(i), field: value}
        for i, (stamp, value) in enumerate(zip(stamps, values, strict=True))
    ]
    mode = "raise" if raise_mode else "skip"

    assert outcome(_batch_call(columns, mode)) == outcome(_batch_call(records, mode))


def test_a_flags_list_of_bools_and_ints_beside_arrays_is_read() -> None:
    stamps = np.array(["2026-01-06T00:00", "2026-01-06T01:00", "2026-01-06T02:00"], "M8[us]")
    data = {"pattern_id": np.array([1, 2, 1]), "timestamp": stamps, "success": [True, None, 1]}
    output = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=END, execution_data=data
        )
    )
    assert {key: r.success_metrics.success_count for key, r in output.results.items()} == {
        1: 2,
        2: 0,
    }


def test_a_list_of_ids_of_ints_and_str_beside_arrays_is_read() -> None:
    stamps = np.array(["2026-01-06T00:00", "2026-01-06T01:00", "2026-01-06T02:00"], "M8[us]")
    data = {"pattern_id": [1, "a", 1], "timestamp": stamps, "success": np.array([1, 0, 1], bool)}
    output = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START, time_window_end=END, execution_data=data
        )
    )
    assert {key: r.success_metrics.success_count for key, r in output.results.items()} == {
        1: 2,
        "a": 0,
    }
