"""Property tests on the edges: the core equals the pure-Python reference where the
general strategies seldom reach (see `edge_strategies`): records on bucket boundaries,
clock changes and local midnights, windows of one bucket, tied and extreme execution
times, scores of exactly 0 and 1, all failures; accumulators of such records split and
merged (empty states among them) equal one call; as an Arrow table they give the list's
output; a batch pattern whose records are all invalid (skip mode) is the reference's
single call over them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from edge_strategies import clock_changes, edge_contracts
from equivalence import assert_equivalent, assert_same, comparable
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import (
    bundled_zone,
    datetime_to_micros,
    micros_to_datetime,
    read_record,
    reference_analytics,
)
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
)

REDUCER = NodeUsageAnalyticsReducer()
#: The contract's settings an accumulator takes (all but the records and the id).
SETTINGS = (
    "time_window_start",
    "time_window_end",
    "time_window_type",
    "granularity",
    "include_predictions",
    "timezone",
    "bucket_width",
    "trend_thresholds",
)


@settings(max_examples=100, deadline=None)
@given(edge_contracts())
def test_edge_contracts_match_reference(contract: ModelUsageAnalyticsInput) -> None:
    expected = reference_analytics(contract)
    actual = output_as_dict(REDUCER.execute_reduction_sync(contract))
    assert_matches_reference(actual, expected)


#: The Arrow types of the edge records' fields (`edge_strategies.edge_contracts`).
ARROW_FIELDS = {
    "success": pa.bool_(),
    "execution_time_ms": pa.float64(),
    "quality_score": pa.float64(),
    "agent": pa.string(),
    "timeout": pa.bool_(),
    "quality_gates_passed": pa.bool_(),
}


def as_arrow_value(value: Any, kind: pa.DataType) -> Any:
    """A number as the float the list path reads it as (pyarrow refuses ints past 2^53 in
    a float64 column); other values as they are."""
    return float(value) if value is not None and kind == pa.float64() else value


@settings(max_examples=60, deadline=None)
@given(edge_contracts(), st.booleans())
def test_edge_records_as_an_arrow_table_equal_the_list(
    contract: ModelUsageAnalyticsInput, in_time_order: bool
) -> None:
    """The columnar path reads the same instants (on boundaries, clock changes) and the
    same extreme values as the list path: the outputs are equal bit for bit, the rows
    in time order (where the core finds each calendar run's end by a search) or not."""
    records = contract.execution_data
    if in_time_order:
        records = sorted(records, key=lambda r: read_record(r).timestamp_us)
        contract = contract.model_copy(update={"execution_data": records})
    columns = {
        "timestamp": pa.array(
            [read_record(r).timestamp_us for r in records], pa.timestamp("us", tz="UTC")
        ),
        **{
            name: pa.array([as_arrow_value(r.get(name), kind) for r in records], kind)
            for name, kind in ARROW_FIELDS.items()
        },
    }
    table = pa.table(columns)
    expected = comparable(REDUCER.execute_reduction_sync(contract))
    from_table = contract.model_copy(update={"execution_data": table})
    assert_same(comparable(REDUCER.execute_reduction_sync(from_table)), expected)


@settings(max_examples=40, deadline=None)
@given(edge_contracts(), st.data())
def test_edge_records_split_and_merged_with_empty_states_equal_one_call(
    contract: ModelUsageAnalyticsInput, data: st.DataObject
) -> None:
    """Parts (some empty, some never updated) merged in order equal one call; the merge
    of only empty states is the reference's empty analytics."""
    options: dict[str, Any] = {name: getattr(contract, name) for name in SETTINGS}
    options["exact_budget"] = 10**6  # (every time kept: percentiles exact, as one call's)
    records = contract.execution_data
    cuts = sorted(data.draw(st.lists(st.integers(0, len(records)), max_size=4), label="cuts"))
    bounds = [0, *cuts, len(records)]
    parts = [records[a:b] for a, b in itertools.pairwise(bounds)]
    accumulators = []
    for part in parts:
        accumulator = UsageAccumulator(**options)
        if part or data.draw(st.booleans(), label="update([])"):
            accumulator.update(part)
        accumulators.append(accumulator)
    empty = UsageAccumulator(**options)
    accumulators.insert(data.draw(st.integers(0, len(accumulators)), label="empty at"), empty)
    merged = UsageAccumulator.merge_many(accumulators)
    assert_equivalent(merged.finalize("edges"), REDUCER.execute_reduction_sync(contract))

    nothing = UsageAccumulator(**options).merge(UsageAccumulator(**options))
    no_records = contract.model_copy(update={"execution_data": []})
    assert_matches_reference(
        output_as_dict(nothing.finalize("edges")), reference_analytics(no_records)
    )


@settings(max_examples=40, deadline=None)
@given(edge_contracts(max_records=15), st.integers(1, 12), st.booleans())
def test_a_batch_pattern_with_only_invalid_records_is_its_single_call(
    contract: ModelUsageAnalyticsInput, bad_count: int, bad_first: bool
) -> None:
    """In skip mode a pattern whose every record is invalid has its own result: nothing
    in the window, its invalid records counted and sampled as a single call over them
    would; the other pattern is untouched by them."""
    good = [{**record, "pattern_id": "good"} for record in contract.execution_data]
    start = contract.time_window_start
    bad_values: Iterator[dict[str, Any]] = itertools.cycle(
        [
            {"timestamp": None},
            {"execution_time_ms": -1.0},
            {"quality_score": 1.5},
            {"timestamp": "not a time"},
            {"execution_time_ms": float("nan")},
        ]
    )
    bad = [{"pattern_id": "bad", "timestamp": start, **next(bad_values)} for _ in range(bad_count)]
    records = bad + good if bad_first else good + bad
    options = {name: getattr(contract, name) for name in SETTINGS}
    out = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=records, on_invalid="skip", **options)
    )
    assert set(out.results) == ({"bad", "good"} if good else {"bad"})
    for pattern_id, result in out.results.items():
        mine = [
            {k: v for k, v in r.items() if k != "pattern_id"}
            for r in records
            if r["pattern_id"] == pattern_id
        ]
        single = contract.model_copy(update={"execution_data": mine, "on_invalid": "skip"})
        assert_matches_reference(output_as_dict(result), reference_analytics(single))
    assert out.data_quality.invalid_records == bad_count


def test_clock_change_strategy_finds_the_changes() -> None:
    """The strategy's anchors are the zones' real changes (else the tests above would
    draw plain windows): London's spring change of 2026, Lord Howe's half hour."""
    london = datetime_to_micros(datetime(2026, 3, 29, 1, tzinfo=UTC))
    assert london in clock_changes("Europe/London")
    lord_howe = clock_changes("Australia/Lord_Howe")
    assert len(lord_howe) > 80
    zone = bundled_zone("Australia/Lord_Howe")
    before = micros_to_datetime(lord_howe[0] - 1).astimezone(zone).utcoffset()
    after = micros_to_datetime(lord_howe[0]).astimezone(zone).utcoffset()
    assert before is not None
    assert after is not None
    assert abs(after - before) == timedelta(minutes=30)
