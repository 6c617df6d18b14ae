"""Invalid records in a batch (skip mode): each pattern's result counts and describes its
own, exactly as a single call over that pattern's records does; records whose pattern id
is itself bad belong to no pattern and are counted only for the whole input."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from equivalence import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.streaming import BatchUsageAccumulator

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW: dict[str, Any] = {
    "time_window_start": NOW - timedelta(days=30),
    "time_window_end": NOW,
    "granularity": "comprehensive",
}
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id", "pattern_id"}
REDUCER = NodeUsageAnalyticsReducer()
#: (field, value) making a record invalid, in a form both a list and an Arrow column hold.
BAD_VALUES = [
    ("timestamp", None),
    ("execution_time_ms", -1.0),
    ("quality_score", 1.5),
    ("execution_time_ms", float("nan")),
]
#: Only a list holds these.
LIST_ONLY_BAD_VALUES = [("timestamp", "not a time"), ("success", "yes")]
MISSING = object()


def _records(rng: random.Random, ids: list[Any], n: int, bad_share: float) -> list[dict[str, Any]]:
    """`n` records over `ids` (None: a bad id), about `bad_share` of them with a bad value,
    some outside the window; every field present (an Arrow table has every column)."""
    records = []
    for _ in range(n):
        record = {
            "pattern_id": rng.choice(ids),
            "timestamp": NOW - timedelta(seconds=rng.randrange(40 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.random() * 300,
            "quality_score": rng.random(),
            "agent": rng.choice(["a", "b", "c"]),
        }
        if rng.random() < bad_share:
            field, value = rng.choice(BAD_VALUES)
            record[field] = value
        records.append(record)
    return records


def _batch(data: Any) -> ModelUsageAnalyticsBatchOutput:
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
    )


def _single(pattern_id: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [r for r in records if r.get("pattern_id", MISSING) == pattern_id]
    contract = ModelUsageAnalyticsInput(
        pattern_id=str(pattern_id), execution_data=mine, on_invalid="skip", **WINDOW
    )
    return REDUCER.execute_reduction_sync(contract).model_dump(exclude=VOLATILE)


def _names_a_pattern(pattern_id: Any) -> bool:
    """An id that is there and not blank (a blank text, as a single call refuses it)."""
    return pattern_id is not None and not (isinstance(pattern_id, str) and not pattern_id.strip())


def _assert_single_calls(
    out: ModelUsageAnalyticsBatchOutput, records: list[dict[str, Any]]
) -> None:
    """Each result equals its pattern's single call, the patterns are those with a valid
    id, and the whole input's counts are the patterns' plus the records of no pattern."""
    with_id = [r for r in records if _names_a_pattern(r.get("pattern_id"))]
    assert list(out.results) == list(dict.fromkeys(r["pattern_id"] for r in with_id))
    for pattern_id, result in out.results.items():
        expected = _single(pattern_id, records)
        assert_close(result.model_dump(exclude=VOLATILE), expected, str(pattern_id))
    quality = out.data_quality
    assert quality.records_received == len(records)
    per_pattern = sum(r.data_quality.invalid_records for r in out.results.values())
    assert quality.invalid_records == per_pattern + len(records) - len(with_id)


#: The inputs of the property tests: a seed, how many records over how many patterns, and
#: the share of them made invalid.
INPUTS = {
    "seed": st.integers(0, 10_000),
    "n": st.integers(0, 1_500),
    "groups": st.integers(1, 8),
    "bad_share": st.sampled_from([0.0, 0.02, 0.3, 1.0]),
}


@settings(max_examples=30, deadline=None)
@given(**INPUTS)
def test_list_batch_counts_each_patterns_invalid_records_as_a_single_call(
    seed: int, n: int, groups: int, bad_share: float
) -> None:
    rng = random.Random(seed)
    ids: list[Any] = [f"p{i}" for i in range(groups)] + [7, uuid.UUID(int=seed), None, "", " "]
    records = _records(rng, ids, n, bad_share)
    for record in rng.sample(records, min(len(records), 20)):
        if rng.random() < bad_share:
            field, value = rng.choice(LIST_ONLY_BAD_VALUES)
            record[field] = value
        if rng.random() < 0.1:
            del record["pattern_id"]  # a missing id: no pattern
    _assert_single_calls(_batch(records), records)


@settings(max_examples=30, deadline=None)
@given(**INPUTS, encoded=st.booleans())
def test_arrow_batch_counts_each_patterns_invalid_records_as_a_single_call(
    seed: int, n: int, groups: int, bad_share: float, encoded: bool
) -> None:
    rng = random.Random(seed)
    ids: list[Any] = [f"p{i}" for i in range(groups)] + [None, "", "\t"]
    records = _records(rng, ids, n, bad_share)
    table = pa.Table.from_pylist(
        records,
        schema=pa.schema(
            [
                ("pattern_id", pa.string()),
                ("timestamp", pa.timestamp("us", "UTC")),
                ("success", pa.bool_()),
                ("execution_time_ms", pa.float64()),
                ("quality_score", pa.float64()),
                ("agent", pa.string()),
            ]
        ),
    )
    if encoded:
        table = table.set_column(0, "pattern_id", table.column(0).dictionary_encode())
    out = _batch(table)
    _assert_single_calls(out, records)
    assert_close(
        {k: r.model_dump(exclude=VOLATILE) for k, r in out.results.items()},
        {k: r.model_dump(exclude=VOLATILE) for k, r in _batch(records).results.items()},
    )


def test_a_pattern_whose_records_are_all_invalid_has_a_result_counting_them() -> None:
    # The list reader read the id only after the other fields: such a pattern had no
    # result, while the Arrow reader gave it one counting nothing.
    when = NOW - timedelta(hours=1)
    records: list[dict[str, Any]] = [
        {"pattern_id": "ok", "timestamp": when},
        {"pattern_id": "broken", "timestamp": when, "execution_time_ms": -5.0},
        {"pattern_id": "broken", "timestamp": "yesterday"},
        {"pattern_id": "ok", "timestamp": when - timedelta(days=60)},
        {"pattern_id": "ok", "timestamp": when, "quality_score": 2.0},
    ]
    table = pa.Table.from_pylist(
        [r for r in records if r["timestamp"] != "yesterday"],
        schema=pa.schema(
            [
                ("pattern_id", pa.string()),
                ("timestamp", pa.timestamp("us", "UTC")),
                ("execution_time_ms", pa.float64()),
                ("quality_score", pa.float64()),
            ]
        ),
    )
    for data, broken_invalid in ((records, 2), (table, 1)):
        out = _batch(data)
        assert list(out.results) == ["ok", "broken"]
        broken = out.results["broken"]
        assert broken.usage_metrics.total_executions == 0
        assert broken.data_quality.records_received == broken_invalid
        assert broken.data_quality.invalid_records == broken_invalid
        assert broken.total_data_points == broken_invalid
        first = broken.data_quality.error_samples[0]
        assert (first.index, first.field) == (0, "execution_time_ms")
        ok = out.results["ok"].data_quality
        assert (ok.records_received, ok.records_outside_window, ok.invalid_records) == (3, 1, 1)
        # Indexed among the pattern's own records: the third "ok" record.
        assert [(s.index, s.field) for s in ok.error_samples] == [(2, "quality_score")]


def test_each_pattern_describes_its_first_five_invalid_records() -> None:
    when = NOW - timedelta(hours=1)
    records = [
        {"pattern_id": "a" if i % 3 else "b", "timestamp": when, "execution_time_ms": -float(i)}
        for i in range(1, 40)
    ]
    for data in (records, pa.Table.from_pylist(records)):
        out = _batch(data)
        for key, every in (("a", 26), ("b", 13)):
            quality = out.results[key].data_quality
            assert quality.invalid_records == every
            assert [s.index for s in quality.error_samples] == [0, 1, 2, 3, 4]
            values = [float(s.value) for s in quality.error_samples]
            mine = [r["execution_time_ms"] for r in records if r["pattern_id"] == key]
            assert values == mine[:5]
        assert [s.index for s in out.data_quality.error_samples] == [0, 1, 2, 3, 4]


def test_per_pattern_counts_survive_bytes_and_merges() -> None:
    """A batch accumulator keeps each pattern's counts through to_bytes and merge: the
    merged state's counts equal one batch call's over all the records (sample indexes
    are within each update, as for the whole input's)."""
    rng = random.Random(11)
    records = _records(rng, ["a", "b", "c", None], 3_000, 0.1)
    halves = []
    for part in (records[:1_700], records[1_700:]):
        acc = BatchUsageAccumulator(
            WINDOW["time_window_start"], WINDOW["time_window_end"], on_invalid="skip"
        )
        acc.update(part)
        halves.append(BatchUsageAccumulator.from_bytes(acc.to_bytes()))
    merged = halves[0].merge(halves[1]).finalize()
    whole = _batch(records)
    assert list(merged.results) == list(whole.results)
    for key in ("a", "b", "c"):
        got = merged.results[key].data_quality
        expected = whole.results[key].data_quality
        assert (got.records_received, got.invalid_records, got.records_outside_window) == (
            expected.records_received,
            expected.invalid_records,
            expected.records_outside_window,
        )
        assert got.invalid_records > 0
