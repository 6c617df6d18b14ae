"""The batch API: many patterns in one call equal one call per pattern."""

from __future__ import annotations

import gc
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pydantic
import pytest
from equivalence import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    BatchUsageAccumulator,
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
    UsageTrendType,
)
from usage_analytics.collector import gc_paused, move_to_oldest_generation
from usage_analytics.ingest import reduce_any
from usage_analytics.output import batch_output, output_builder
from usage_analytics.reducer import core_options

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = {
    "time_window_start": NOW - timedelta(days=30),
    "time_window_end": NOW,
    "granularity": "comprehensive",
}
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id", "pattern_id"}
REDUCER = NodeUsageAnalyticsReducer()


#: More agents and projects than the core's dictionaries search by scanning (16): a
#: pattern's tallies outgrow it and are indexed part way through.
AGENTS = [f"agent-{i}" for i in range(40)]
PROJECTS = [f"project-{i}" for i in range(20)]


def _records(rng: random.Random, ids: list[Any], n: int) -> list[dict[str, Any]]:
    return [
        {
            "pattern_id": rng.choice(ids),
            "timestamp": NOW - timedelta(seconds=rng.randrange(40 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.random() * 300,
            "quality_score": rng.random(),
            "agent": rng.choice(AGENTS),
            "project": rng.choice(PROJECTS),
            "file_path": rng.choice(["x.py", "Makefile", None]),
        }
        for _ in range(n)
    ]


def _single(pattern_id: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in records if r["pattern_id"] == pattern_id]
    contract = ModelUsageAnalyticsInput(pattern_id=str(pattern_id), execution_data=mine, **WINDOW)
    return REDUCER.execute_reduction_sync(contract).model_dump(exclude=VOLATILE)


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 3_000), groups=st.integers(1, 12))
def test_batch_equals_one_call_per_pattern(seed: int, n: int, groups: int) -> None:
    rng = random.Random(seed)
    ids: list[Any] = [f"p{i}" for i in range(groups)] + [7, uuid.UUID(int=seed)]
    records = _records(rng, ids, n)
    batch = ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    out = REDUCER.execute_batch_reduction_sync(batch)
    assert set(out.results) == {r["pattern_id"] for r in records}
    assert out.data_quality.records_received == n
    for pattern_id, result in out.results.items():
        expected = _single(pattern_id, records)
        assert_close(result.model_dump(exclude=VOLATILE), expected, str(pattern_id))


@pytest.mark.parametrize(
    ("zone", "width"),
    [
        ("Asia/Kathmandu", None),  # +05:45: each UTC hour holds two local hours
        ("America/New_York", timedelta(minutes=50)),  # springs forward on 2026-03-08
        ("Australia/Lord_Howe", timedelta(days=1) / 7),  # 30 minutes back on 2026-04-05
    ],
)
def test_unsorted_batch_equals_one_call_per_pattern_across_clock_changes(
    zone: str, width: timedelta | None
) -> None:
    """A batch looks each unsorted row's calendar place up in a table of the window's
    hours (`RunTable`); a single call finds it by computing. A window off the hour, clock
    changes and buckets off the hour cut hours into several runs."""
    rng = random.Random(5)
    start = datetime(2026, 3, 1, 0, 20, tzinfo=UTC)
    span = 40 * 86_400
    window = {
        "time_window_start": start,
        "time_window_end": start + timedelta(seconds=span),
        "time_window_type": "custom",
        "granularity": "comprehensive",
        "timezone": zone,
        "bucket_width": width,
    }
    records = [
        {
            "pattern_id": rng.choice(["a", "b", "c"]),
            "timestamp": start + timedelta(microseconds=rng.randrange(span * 10**6)),
            "success": rng.random() < 0.9,
        }
        for _ in range(3_000)
    ]
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **window)
    )
    for pattern_id, result in out.results.items():
        mine = [r for r in records if r["pattern_id"] == pattern_id]
        single = ModelUsageAnalyticsInput(pattern_id=pattern_id, execution_data=mine, **window)
        expected = REDUCER.execute_reduction_sync(single).model_dump(exclude=VOLATILE)
        assert_close(result.model_dump(exclude=VOLATILE), expected, str(pattern_id))


async def test_arrow_batch_equals_list_batch_and_keeps_id_types() -> None:
    rng = random.Random(1)
    records = _records(rng, ["checkout", "search", "billing"], 20_000)
    for r in records[::97]:
        r["timestamp"] = NOW - timedelta(days=35)  # outside the window
    table = pa.Table.from_pylist(records)
    from_list = await REDUCER.execute_batch_reduction(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    from_arrow = await REDUCER.execute_batch_reduction(
        ModelUsageAnalyticsBatchInput(execution_data=table, **WINDOW)
    )
    assert sorted(from_arrow.results) == sorted(from_list.results)
    for key, result in from_list.results.items():
        assert_close(
            from_arrow.results[key].model_dump(exclude=VOLATILE),
            result.model_dump(exclude=VOLATILE),
        )
        outside = sum(
            1
            for r in records
            if r["pattern_id"] == key and r["timestamp"] < NOW - timedelta(days=30)
        )
        assert result.data_quality.records_outside_window == outside
    ints = pa.table(
        {"pattern_id": [5, 5, 9], "timestamp": [NOW - timedelta(hours=h) for h in (1, 2, 3)]}
    )
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=ints, **WINDOW)
    )
    assert sorted(out.results) == [5, 9]
    assert out.results[5].pattern_id == "5"
    assert out.results[5].usage_metrics.total_executions == 2


def test_repr_of_a_large_batch_shows_its_first_patterns_and_how_many() -> None:
    # The whole repr of 20,000 patterns took seconds, and CPython 3.11's asyncio.run
    # makes one of the result it returns (an error message inside signal.getsignal).
    records = [{"pattern_id": f"p{i}", "timestamp": NOW - timedelta(hours=1)} for i in range(301)]
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    text = repr(out)
    assert "(results={'p0': ModelUsageAnalyticsOutput(pattern_id='p0'," in text
    assert "'p2': ModelUsageAnalyticsOutput(" in text
    assert "'p3'" not in text
    assert ", ... (301 in all)}, data_quality=DataQuality(" in text
    small = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records[:100], **WINDOW)
    )
    assert "'p99': ModelUsageAnalyticsOutput(" in repr(small)
    assert "(100 in all)}" not in repr(small)


def test_to_arrow_has_one_headline_row_per_pattern() -> None:
    records = _records(random.Random(2), ["a", "b"], 500)
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    table = out.to_arrow()
    assert table.num_rows == 2
    rows = {row["pattern_id"]: row for row in table.to_pylist()}
    for key in ("a", "b"):
        result = out.results[key]
        assert result.performance_metrics is not None
        assert result.trend_analysis is not None
        assert rows[key]["total_executions"] == result.usage_metrics.total_executions
        assert (
            rows[key]["p95_execution_time_ms"] == result.performance_metrics.p95_execution_time_ms
        )
        assert rows[key]["trend_type"] == result.trend_analysis.trend_type.value


@pytest.mark.parametrize("families_on", [True, False])
def test_to_arrow_columns_equal_each_outputs_headline(families_on: bool) -> None:
    records = _records(random.Random(3), ["a", 7, "c"], 300)
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            execution_data=records,
            include_performance=families_on,
            include_trends=families_on,
            **WINDOW,
        )
    )
    table = out.to_arrow()
    assert [str(field.type) for field in table.schema] == [
        "string",
        "int64",
        *["double"] * 9,
        "string",
        *["double"] * 3,
        "int64",
    ]
    rows = table.to_pylist()
    assert [row["pattern_id"] for row in rows] == [str(key) for key in out.results]
    for row, result in zip(rows, out.results.values(), strict=True):
        usage, success = result.usage_metrics, result.success_metrics
        perf, trend = result.performance_metrics, result.trend_analysis
        assert (perf is None, trend is None) == (not families_on, not families_on)
        expected = {
            "pattern_id": str(result.pattern_id),
            "total_executions": usage.total_executions,
            "executions_per_day": usage.executions_per_day,
            "success_rate": success.success_rate,
            "error_rate": success.error_rate,
            "avg_quality_score": success.avg_quality_score,
            **{
                key: None if perf is None else getattr(perf, key)
                for key in (
                    "p50_execution_time_ms",
                    "p95_execution_time_ms",
                    "p99_execution_time_ms",
                    "avg_execution_time_ms",
                    "std_dev_ms",
                )
            },
            "trend_type": None if trend is None else trend.trend_type.value,
            "velocity": None if trend is None else trend.velocity,
            "time_since_last_use": usage.time_since_last_use,
            "analytics_quality_score": result.analytics_quality_score,
            "sample_count": None if perf is None else perf.sample_count,
        }
        assert row == expected


@pytest.mark.parametrize("granularity", ["summary", "detailed", "comprehensive"])
def test_batch_outputs_equal_validated_ones_and_name_their_pattern(granularity: str) -> None:
    # The outputs are assembled without validation (OutputAssembler, ModelFactory): each
    # must be exactly what validating its own dump gives, field sets included.
    key = uuid.UUID(int=99)
    records = _records(random.Random(4), ["text", 7, key], 400)
    records.append({"pattern_id": "text", "timestamp": "not a time"})
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            execution_data=records,
            include_predictions=True,
            on_invalid="skip",
            **{**WINDOW, "granularity": granularity},
        )
    )
    assert out.data_quality.invalid_records == 1
    assert out.data_quality.error_samples[0].index == 400
    assert {k: r.pattern_id for k, r in out.results.items()} == {
        "text": "text",
        7: "7",
        key: key,  # a UUID, as a single call's output has it
    }
    for result in out.results.values():
        validated = ModelUsageAnalyticsOutput.model_validate(result.model_dump())
        assert validated == result
        assert validated.model_fields_set == result.model_fields_set
        trend = result.trend_analysis
        assert trend is not None
        assert isinstance(trend.trend_type, UsageTrendType)
        assert (trend.time_series is not None) == (granularity == "comprehensive")


def test_missing_or_bad_pattern_ids_are_invalid_records() -> None:
    good = {"pattern_id": "a", "timestamp": NOW - timedelta(hours=1)}
    records = [
        good,
        {"timestamp": NOW},
        {"pattern_id": 1.5, "timestamp": NOW},
        {"pattern_id": True, "timestamp": NOW},
    ]
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
        )
    assert (raised.value.index, raised.value.field, raised.value.more) == (1, "pattern_id", 2)
    skipped = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, on_invalid="skip", **WINDOW)
    )
    assert list(skipped.results) == ["a"]
    assert skipped.data_quality.invalid_records == 3
    assert [s.reason for s in skipped.data_quality.error_samples][1].startswith(
        "must be a str, an int or a uuid.UUID"
    )


BLANK_IDS = ["a", "", "  ", "a", "\x1c\u3000", None]


@pytest.mark.parametrize("form", ["list", "arrow", "arrow_dictionary", "arrow_large"])
def test_blank_pattern_ids_are_invalid_records(form: str) -> None:
    # A single call refuses a blank pattern_id, and the sources leave such records
    # unattributed; a batch made "" and "  " patterns of their own.
    records = [
        {"pattern_id": pattern_id, "timestamp": NOW - timedelta(hours=1)}
        for pattern_id in BLANK_IDS
    ]
    data: Any = records
    if form != "list":
        ids = pa.array(BLANK_IDS, pa.large_string() if form == "arrow_large" else pa.string())
        if form == "arrow_dictionary":
            ids = ids.dictionary_encode()
        data = _table(ids)
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=data, **WINDOW)
        )
    error = raised.value
    assert (error.index, error.field, error.value, error.more) == (1, "pattern_id", "''", 3)
    assert error.reason == "must not be empty or blank"
    skipped = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
    )
    assert list(skipped.results) == ["a"]
    assert skipped.results["a"].usage_metrics.total_executions == 2
    samples = skipped.data_quality.error_samples
    assert [(s.index, s.value) for s in samples] == [
        (1, "''"),
        (2, "'  '"),
        (4, "'\\x1c\\u3000'"),  # (Python's repr, in every form)
        (5, "<missing>"),
    ]


def test_numpy_integer_pattern_ids_in_records_are_ints_as_in_a_column() -> None:
    # np.int64(1), a value of an int column, was refused ("must be a str, an int or a
    # uuid.UUID") while the same column in a dict of columns was read.
    ids = np.array([1, 2, 1], dtype=np.int64)
    records = [{"pattern_id": i, "timestamp": NOW - timedelta(hours=1)} for i in ids]
    columns = {"pattern_id": ids, "timestamp": [r["timestamp"] for r in records]}
    assert _batch_keys(records) == _batch_keys(columns) == ([1, 2], 0)
    assert _batch_keys([{"pattern_id": np.uint64(2**64 - 1), "timestamp": NOW}])[1] == 1


UUID_ID = uuid.UUID("1234abcd-0000-4000-8000-00000000abcd")


@pytest.mark.parametrize(
    ("spelling", "is_uuid"),
    [
        (str(UUID_ID).upper(), True),
        ("{" + str(UUID_ID) + "}", True),
        ("URN:UUID:" + str(UUID_ID), True),
        (UUID_ID.hex, True),
        ("uuid:" + UUID_ID.hex, False),  # uuid.UUID reads these, no system writes them
        ("urn:" + UUID_ID.hex, False),
        ("{{" + str(UUID_ID) + "}}", False),
        (UUID_ID.hex[:16] + "-" + UUID_ID.hex[16:], False),
    ],
)
def test_a_uuid_spelling_is_one_pattern_in_a_batch_exactly_when_a_single_call_reads_it(
    spelling: str, is_uuid: bool
) -> None:
    # The batch read five of these as separate patterns, each with the UUID as its id,
    # while single calls read them all as the UUID (and "URN:UUID:" as text).
    records = [
        {"pattern_id": pattern_id, "timestamp": NOW - timedelta(hours=1)}
        for pattern_id in (UUID_ID, spelling)
    ]
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    single = ModelUsageAnalyticsInput(pattern_id=spelling, execution_data=records[1:], **WINDOW)
    assert (single.pattern_id == UUID_ID) is is_uuid
    assert list(out.results) == ([UUID_ID] if is_uuid else [UUID_ID, spelling])
    assert out.results[spelling if not is_uuid else UUID_ID].pattern_id == single.pattern_id


def test_arrow_batch_without_pattern_id_column_is_a_clear_error() -> None:
    # The columns listed, as for a missing 'timestamp': one named otherwise is seen at once.
    table = pa.table({"pattern": ["checkout"], "timestamp": [NOW]})
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=table, **WINDOW)
        )
    assert str(raised.value) == (
        "invalid input: the columnar input has no 'pattern_id' column (columns: pattern, timestamp)"
    )


_WITHOUT_IDS = {"pattern": ["checkout"], "timestamp": [NOW], "agent": ["a"]}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: pa.table(_WITHOUT_IDS), id="pyarrow"),
        pytest.param(lambda: pd.DataFrame(_WITHOUT_IDS), id="pandas"),
        pytest.param(lambda: pl.DataFrame(_WITHOUT_IDS), id="polars"),
        pytest.param(lambda: dict(_WITHOUT_IDS), id="dict_of_lists"),
        pytest.param(
            lambda: {name: np.array(values) for name, values in _WITHOUT_IDS.items()},
            id="dict_of_arrays",
        ),
    ],
)
@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_a_batch_without_pattern_id_lists_every_column_whatever_its_form(
    make: Any, on_invalid: str
) -> None:
    # A frame or dict, cut to the record columns before the core saw it, was listed as
    # "(columns: agent, timestamp)": the column of ids ("pattern") was not among them.
    expected = (
        "invalid input: the columnar input has no 'pattern_id' column "
        "(columns: pattern, timestamp, agent)"
    )
    with pytest.raises(UsageAnalyticsError) as raised:
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=make(), on_invalid=on_invalid, **WINDOW)
        )
    assert str(raised.value) == expected
    with pytest.raises(UsageAnalyticsError) as raised:
        BatchUsageAccumulator(NOW - timedelta(days=30), NOW).update(make())
    assert str(raised.value) == expected


def _batch_keys(data: Any) -> tuple[list[Any], int]:
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
    )
    return list(out.results), out.data_quality.invalid_records


def _table(ids: pa.Array) -> pa.Table:
    when = [NOW - timedelta(hours=h) for h in range(len(ids))]
    return pa.table({"pattern_id": ids, "timestamp": pa.array(when, pa.timestamp("us", "UTC"))})


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (pa.array([7, None, 9], pa.int64()), [7, 9]),
        (pa.array(["7", None, "9"]), ["7", "9"]),
        (pa.array(["7", None, "9"]).dictionary_encode(), ["7", "9"]),
    ],
)
def test_null_pattern_ids_in_arrow_name_no_pattern(ids: pa.Array, expected: list[Any]) -> None:
    """A null's slot holds a placeholder (0 for integers): the row is an invalid record,
    never a pattern of its own - as in the list path."""
    table = _table(ids)
    assert _batch_keys(table) == (expected, 1)
    assert _batch_keys(table.to_pylist()) == (expected, 1)


def test_unused_dictionary_ids_name_no_pattern_and_order_is_first_use() -> None:
    """Dictionary-encoded ids (a pandas categorical, a sliced table) give the ids rows
    use, in the order rows first use them, like a list of dicts."""
    ids = pa.DictionaryArray.from_arrays(
        pa.array([2, 0, 2], pa.int32()), pa.array(["first-in-dictionary", "b", "a", "unused"])
    )
    table = _table(ids)
    assert _batch_keys(table) == _batch_keys(table.to_pylist()) == (["a", "first-in-dictionary"], 0)
    assert _batch_keys(table.slice(1, 1)) == (["first-in-dictionary"], 0)


def _raise_while_paused() -> None:
    with gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("inside")


def _containers(obj: object, seen: set[int]) -> Iterator[object]:
    """`obj` and every model, dict, list and tuple reachable through its fields."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, pydantic.BaseModel):
        yield obj
        yield from _containers(obj.__dict__, seen)
    elif isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _containers(value, seen)
    elif isinstance(obj, list | tuple):
        yield obj
        for value in obj:
            yield from _containers(value, seen)


def test_a_batchs_outputs_are_left_out_of_the_cycle_collector() -> None:
    """The models, dicts, lists and tuples made for the outputs (time series and error
    samples included) hold no cycle: the collector does not list them (it walked about a
    dozen per pattern after each batch, and on each full collection while they were held)."""
    records = _records(random.Random(3), [f"p{i}" for i in range(1_000)], 5_000)
    records[5]["execution_time_ms"] = -1.0
    batch = ModelUsageAnalyticsBatchInput(execution_data=records, on_invalid="skip", **WINDOW)
    REDUCER.execute_batch_reduction_sync(batch)  # (first-call caches: not counted)
    gc.collect()
    listed_before = len(gc.get_objects())
    out = REDUCER.execute_batch_reduction_sync(batch)
    # (127,109 with the models listed, the other untracking kept: a mutant run.)
    assert len(gc.get_objects()) - listed_before < 200
    invalid = out.results[records[5]["pattern_id"]]
    assert invalid.data_quality.error_samples
    assert invalid.trend_analysis
    assert invalid.trend_analysis.time_series
    containers = list(_containers(out, set()))
    assert len(containers) > 100_000
    # Only the batch's own `results`, a plain dict made in Python, is listed.
    assert [c for c in containers if gc.is_tracked(c)] == [out.results]


def test_the_cores_results_are_left_out_of_the_cycle_collector() -> None:
    """The core's per-pattern pairs and results (which hold no cycle) are not listed
    either: the collection after the outputs' pause would walk them all."""
    records = _records(random.Random(4), [f"p{i}" for i in range(200)], 2_000)
    records[7]["execution_time_ms"] = -1.0
    batch = ModelUsageAnalyticsBatchInput(execution_data=records, on_invalid="skip", **WINDOW)
    was = gc.isenabled()
    # (Paused throughout: a young collection would take out by itself the tuples holding
    # only untracked objects, hiding a pair the core left listed.)
    gc.disable()
    try:
        raw = reduce_any(batch.execution_data, core_options(batch, by_pattern=True), None)
        groups = list(raw.pop("groups"))
        assert len(groups) == 200
        build = output_builder(batch, datetime.now(UTC))
        outputs = [build.output(p, result, 0.0) for p, result in groups]
        assert any(output.data_quality.error_samples for output in outputs)
        made_here = [raw, groups]
        containers = list(_containers(made_here, set()))
        assert len(containers) > 200
        # Only the whole input's dict and the lists made here are listed.
        assert [c for c in containers if gc.is_tracked(c)] == [made_here, raw, groups]
        assert not any(gc.is_tracked(result) for _, result in groups)
        assert not gc.is_tracked(raw["result"])
    finally:
        if was:
            gc.enable()


def _core_groups(records: list[dict[str, Any]]) -> Any:
    """The core's `groups` of a batch over `records`: its `GroupResults` iterator."""
    batch = ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    return reduce_any(batch.execution_data, core_options(batch, by_pattern=True), None)["groups"]


def test_the_cores_patterns_come_once_each_in_first_seen_order_as_they_are_finalized() -> None:
    """The core finalizes a batch's patterns in chunks (256 each) while the first ones are
    read: every pattern comes once, with its own counts, in the order its id first
    appears; read to the end, the iterator stays at its end."""
    records = _records(random.Random(6), [f"p{i}" for i in range(900)], 4_000)
    first_seen = list(dict.fromkeys(r["pattern_id"] for r in records))
    counts = {p: sum(r["pattern_id"] == p for r in records) for p in first_seen}
    assert len(first_seen) > 3 * 256
    groups = _core_groups(records)
    read: list[tuple[Any, int]] = []
    build = output_builder(ModelUsageAnalyticsBatchInput(execution_data=[], **WINDOW), NOW)
    for pattern_id, result in groups:
        read.append((pattern_id, build.output(pattern_id, result, 0.0).total_data_points))
        assert groups.__length_hint__() == len(first_seen) - len(read)
    assert read == [(p, counts[p]) for p in first_seen]
    assert next(groups, None) is None


def test_patterns_at_the_edges_of_the_cores_chunks_equal_single_calls() -> None:
    """The patterns on both sides of each chunk the core finalizes (256 patterns) get their
    own results, execution times included, as single calls over their records do; each
    pattern's computation time runs until its result was read, the batch's until the last."""
    records = _records(random.Random(8), [f"p{i}" for i in range(800)], 8_000)
    first_seen = list(dict.fromkeys(r["pattern_id"] for r in records))
    assert len(first_seen) > 3 * 256
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    assert list(out.results) == first_seen
    for i in [0, 1, 254, 255, 256, 257, 511, 512, 767, 768, len(first_seen) - 1]:
        pattern_id = first_seen[i]
        result = out.results[pattern_id].model_dump(exclude=VOLATILE)
        assert_close(result, _single(pattern_id, records), pattern_id)
    times = [result.computation_time_ms for result in out.results.values()]
    assert times[0] > 0
    assert times == sorted(times)
    assert times[-1] <= out.computation_time_ms


def test_the_cores_patterns_may_be_left_unread_or_read_on_other_threads() -> None:
    """An iterator dropped part way stops its finalizing without holding up later calls,
    and batches read on several threads at once each get their own patterns."""
    records = _records(random.Random(7), [f"p{i}" for i in range(1_000)], 4_000)

    def usage(groups: Any) -> list[tuple[Any, Any]]:
        build = output_builder(ModelUsageAnalyticsBatchInput(execution_data=[], **WINDOW), NOW)
        return [(p, build.output(p, result, 0.0).usage_metrics) for p, result in groups]

    expected = usage(_core_groups(records))
    left = _core_groups(records)
    next(left)
    del left
    with ThreadPoolExecutor(3) as pool:
        reads = pool.map(lambda _: usage(_core_groups(records)), range(6))
        assert all(read == expected for read in reads)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_batch_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    """The outputs are built with the collector paused (`gc_paused`); it is on again
    afterwards only if it was on before - also when the call raises."""
    records = _records(random.Random(5), ["a", "b", "c"], 300)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        out = REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
        )
        assert gc.isenabled() is enabled
        assert len(out.results) == 3
        with pytest.raises(InvalidRecordError):
            REDUCER.execute_batch_reduction_sync(
                ModelUsageAnalyticsBatchInput(execution_data=[{"timestamp": NOW}], **WINDOW)
            )
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError):
            _raise_while_paused()
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_objects_moved_to_the_oldest_generation_are_not_walked_and_still_collectable() -> None:
    """`move_to_oldest_generation` (the dashboard's rows, before its pause ends): what the
    pause made is in the oldest generation, no collection ran to put it there, nothing
    stays frozen, and a cycle among them is still found by a full collection."""
    collections: list[str] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        collections.append(phase)

    with gc_paused():
        made = [[i] for i in range(1_000)]  # (lists: always tracked)
        cycle: list[Any] = []
        cycle.append(cycle)
        gc.callbacks.append(record)
        try:
            move_to_oldest_generation()
        finally:
            gc.callbacks.remove(record)
    assert collections == []
    assert gc.get_freeze_count() == 0
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(row) in oldest for row in made)
    assert id(cycle) in oldest
    del cycle
    assert gc.collect() >= 1


def test_unsigned_ids_beyond_i64_are_invalid_records_as_in_a_list() -> None:
    # They were read as i64::MAX: three patterns merged under an id none of them has.
    ids = [5, 2**64 - 1, 2**63, 2**63 - 1]
    stamps = [NOW - timedelta(hours=h + 1) for h in range(4)]
    unsigned = pa.array(ids, pa.uint64())
    table = pa.table({"pattern_id": unsigned, "timestamp": stamps})
    # (A pandas categorical of such ids: the error said the id was missing.)
    dictionary = pa.table({"pattern_id": unsigned.dictionary_encode(), "timestamp": stamps})
    records = [{"pattern_id": i, "timestamp": t} for i, t in zip(ids, stamps, strict=True)]
    errors = []
    for data in (table, dictionary, records):
        with pytest.raises(InvalidRecordError) as raised:
            REDUCER.execute_batch_reduction_sync(
                ModelUsageAnalyticsBatchInput(execution_data=data, **WINDOW)
            )
        errors.append(str(raised.value))
        skipped = REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
        )
        assert list(skipped.results) == [5, 2**63 - 1]
        assert [r.usage_metrics.total_executions for r in skipped.results.values()] == [1, 1]
        assert skipped.data_quality.invalid_records == 2
    assert errors[0] == errors[1] == errors[2]
    assert errors[0] == (
        "record 1: field 'pattern_id' = 18446744073709551615: is too large an int "
        "(and 1 more invalid record)"
    )


def test_to_arrow_leaves_out_the_times_of_a_pattern_without_any() -> None:
    # The model holds zeros there (0 ms would read as a latency); the store and the
    # dashboard write nulls, and so does the table, with each pattern's sample count.
    records = [
        {"pattern_id": "timed", "timestamp": NOW - timedelta(hours=1), "execution_time_ms": 5.0},
        {"pattern_id": "untimed", "timestamp": NOW - timedelta(hours=1)},
    ]
    output = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    untimed = output.results["untimed"].performance_metrics
    assert untimed is not None
    assert untimed.sample_count == 0
    assert untimed.p95_execution_time_ms == 0.0
    rows = {row["pattern_id"]: row for row in output.to_arrow().to_pylist()}
    assert rows["timed"]["sample_count"] == 1
    assert rows["timed"]["p95_execution_time_ms"] == 5.0
    assert rows["untimed"]["sample_count"] == 0
    times = ("p50", "p95", "p99", "avg")
    assert [rows["untimed"][f"{key}_execution_time_ms"] for key in times] == [None] * 4
    assert rows["untimed"]["std_dev_ms"] is None


def test_an_id_given_in_two_forms_is_one_pattern_keyed_by_the_first() -> None:
    # A UUID and its text (a single call's contract reads both as the UUID), an int and its
    # text (an output writes the int as its text): one pattern each, not two results
    # with one output id.
    uid = uuid.UUID(int=1)
    stamps = [NOW - timedelta(hours=h + 1) for h in range(6)]
    ids = [uid, str(uid).upper(), 7, "7", "{" + str(uid) + "}", "07"]
    records = [{"pattern_id": i, "timestamp": t} for i, t in zip(ids, stamps, strict=True)]
    output = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, **WINDOW)
    )
    assert list(output.results) == [uid, 7, "07"]
    counts = [r.usage_metrics.total_executions for r in output.results.values()]
    assert counts == [3, 2, 1]
    assert output.to_arrow().column("pattern_id").to_pylist() == [str(uid), "7", "07"]
    texts_first = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records[::-1], **WINDOW)
    )
    assert list(texts_first.results) == ["07", "{" + str(uid) + "}", "7"]
    # The table names a pattern by its result's id, a UUID in its canonical form (as the
    # store and the dashboard do), not by the key's spelling.
    assert texts_first.to_arrow().column("pattern_id").to_pylist() == ["07", str(uid), "7"]


def test_dictionary_encoded_int_ids_equal_plain_int_ids() -> None:
    # A pandas categorical of int ids arrives as dictionary<int8, int64>: refused before.
    import pandas as pd

    stamps = [NOW - timedelta(hours=h + 1) for h in range(5)]
    ids = [7, 3, 7, None, 2**63 - 1]
    plain = pa.table({"pattern_id": pa.array(ids, pa.int64()), "timestamp": stamps})
    frame = pd.DataFrame({"pattern_id": pd.Categorical(ids), "timestamp": stamps})
    encoded = pa.table(
        {
            "pattern_id": pa.array(ids, pa.int64()).dictionary_encode(),
            "timestamp": stamps,
        }
    )
    expected = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=plain, on_invalid="skip", **WINDOW)
    )
    assert list(expected.results) == [7, 3, 2**63 - 1]
    for data in (frame, encoded):
        got = REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
        )
        assert list(got.results) == list(expected.results)
        for key, result in expected.results.items():
            assert got.results[key].model_dump(exclude=VOLATILE) == result.model_dump(
                exclude=VOLATILE
            )
        assert got.data_quality.invalid_records == expected.data_quality.invalid_records == 1


def _batch_dump(data: Any) -> tuple[dict[Any, Any], Any]:
    """Each pattern's output (its volatile fields left out) and the batch's data quality."""
    got = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
    )
    results = {key: result.model_dump(exclude=VOLATILE) for key, result in got.results.items()}
    return results, got.data_quality.model_dump()


def test_a_pandas_categorical_of_uuid_ids_equals_its_uuid_objects() -> None:
    # pandas exports a categorical of `uuid.UUID`s as dictionary<int8, arrow.uuid>, which
    # the core imports as a dictionary of 16-byte binaries: the whole batch was refused
    # ("has Arrow type Dictionary(Int8, FixedSizeBinary(16))") where the same column of
    # objects, or a plain Arrow UUID column, gives each UUID's pattern.
    import pandas as pd

    first, second = uuid.UUID(int=5), uuid.UUID(int=2**128 - 1)
    ids = [second, first, None, second, first]
    stamps = [NOW - timedelta(hours=h + 1) for h in range(len(ids))]
    objects = pd.DataFrame({"pattern_id": pd.Series(ids, dtype=object), "timestamp": stamps})
    categorical = objects.astype({"pattern_id": "category"})
    assert str(pa.Table.from_pandas(categorical).schema.field("pattern_id").type) == (
        "dictionary<values=extension<arrow.uuid>, indices=int8, ordered=0>"
    )
    records = [{"pattern_id": i, "timestamp": t} for i, t in zip(ids, stamps, strict=True)]
    expected = _batch_dump(records)
    assert list(expected[0]) == [second, first]
    assert expected[1]["invalid_records"] == 1
    assert _batch_dump(objects) == expected
    assert _batch_dump(categorical) == expected
    assert _batch_dump(categorical.iloc[3:]) == _batch_dump(records[3:])


@pytest.mark.parametrize("form", ["dictionary_encode", "pandas_categorical"])
def test_dictionary_encoded_ids_all_missing_are_records_without_a_pattern(form: str) -> None:
    # A dictionary of Arrow's `null` type (every id missing, dictionary-encoded) was
    # refused ("has Arrow type Dictionary(Int32, Null)") where a plain column of nulls,
    # and every record field's dictionary of nulls, reads as missing values.
    import pandas as pd

    stamps = [NOW - timedelta(hours=h + 1) for h in range(3)]
    nulls = pa.array([None] * 3)
    if form == "dictionary_encode":
        data: Any = pa.table({"pattern_id": nulls.dictionary_encode(), "timestamp": stamps})
    else:
        data = pd.DataFrame(
            {"pattern_id": pd.Categorical([None] * 3, categories=[]), "timestamp": stamps}
        )
    expected = _batch_dump(pa.table({"pattern_id": nulls, "timestamp": stamps}))
    assert expected == _batch_dump([{"pattern_id": None, "timestamp": t} for t in stamps])
    assert expected[0] == {}
    assert expected[1]["invalid_records"] == 3
    assert _batch_dump(data) == expected


@pytest.mark.parametrize(
    "ids",
    [
        [7, None, 3, 7],  # (float64 in pandas: ints with a missing one)
        np.array([7, np.nan, 3, 7], dtype="float32"),
        "categorical",
        [None, None, None, None],  # (float64 of NaN)
        "categorical of none",
    ],
)
def test_pandas_float_ids_of_whole_numbers_or_nan_are_int_ids(ids: Any) -> None:
    # pandas stores int ids with a missing one as float64: the whole batch was refused
    # ("has Arrow type Float64") where the records give each int id's pattern.
    import pandas as pd

    values: list[Any] = [7, None, 3, 7]
    if isinstance(ids, str):
        if ids == "categorical of none":
            values = [None] * 4
        floats = [None if v is None else float(v) for v in values]
        column: Any = pd.Series(
            pd.Categorical(
                floats, categories=pd.Index([3.0, 7.0][: len(set(floats) - {None})], dtype=float)
            )
        )
        assert column.cat.categories.dtype.kind == "f"
    else:
        column = ids
        values = [None if v is None or v != v else int(v) for v in ids]
    stamps = [NOW - timedelta(hours=h + 1) for h in range(4)]
    frame = pd.DataFrame({"pattern_id": column, "timestamp": stamps})
    records = [{"pattern_id": i, "timestamp": t} for i, t in zip(values, stamps, strict=True)]
    assert _batch_dump(frame) == _batch_dump(records)
    # A float that is no whole number is its record's error (the batch was refused).
    results, quality = _batch_dump(frame.assign(pattern_id=[7.5, None, 3, 7]))
    assert sorted(results) == [3, 7]
    assert quality["invalid_records"] == 2
    assert quality["error_samples"][0]["value"] == "7.5"


def test_computation_times_run_from_the_calls_start_in_milliseconds() -> None:
    # (From a mutation audit: the times were only checked to be ordered and positive.)
    batch = ModelUsageAnalyticsBatchInput(
        execution_data=[{"pattern_id": p, "timestamp": NOW - timedelta(hours=1)} for p in "ab"],
        **WINDOW,
    )
    raw = reduce_any(batch.execution_data, core_options(batch, by_pattern=True), None)
    before = time.perf_counter()
    out = batch_output(batch, raw, started=before - 10.0, computed_at=NOW)  # 10 s ago
    most = (time.perf_counter() - before + 10.0) * 1000.0
    times = [result.computation_time_ms for result in out.results.values()]
    assert 10_000.0 <= times[0] <= times[1] <= out.computation_time_ms <= most
