"""Windows of many trend buckets: past 1,024 (the core's `DENSE_BUCKETS`) a pattern counts
only the buckets its records fall in, in memory and in serialized state. The analytics are
those of every bucket: checked against the reference on both sides of the boundary, a batch
against single calls, and merged, serialized states against one call.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from equivalence import assert_equivalent
from reference import reference_analytics
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import (
    AnalyticsGranularity,
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 3, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
#: 30 days of one-minute buckets.
WINDOW: dict[str, Any] = {
    "time_window_start": START,
    "time_window_end": START + timedelta(days=30),
    "time_window_type": "custom",
    "bucket_width": MINUTE,
    "granularity": AnalyticsGranularity.COMPREHENSIVE,
    "timezone": "Europe/Berlin",  # (a DST change on 2026-03-29: buckets stay UTC minutes)
}
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id", "pattern_id"}


def records(n: int, seed: int, pattern_ids: list[Any] | None = None) -> list[dict[str, Any]]:
    """`n` records at random instants of the window (some sharing a minute), more of them
    late in it (a growing trend), with every field the analytics read."""
    rng = random.Random(seed)
    span = int((WINDOW["time_window_end"] - START).total_seconds())
    out = []
    for _ in range(n):
        record: dict[str, Any] = {
            "timestamp": START + timedelta(seconds=int(span * rng.random() ** 0.6)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.lognormvariate(4, 1),
            "quality_score": rng.random(),
            "agent": rng.choice(["a", "b", "c"]),
            "context_type": rng.choice(["api", "cli"]),
        }
        if pattern_ids is not None:
            record["pattern_id"] = rng.choice(pattern_ids)
        out.append(record)
    return out


def single(data: Any, **window: Any) -> Any:
    return REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(pattern_id="p", execution_data=data, **{**WINDOW, **window})
    )


@pytest.mark.parametrize("buckets", [1_024, 1_025, 10_000])
def test_windows_either_side_of_the_dense_limit_match_the_reference(buckets: int) -> None:
    window = {"time_window_end": START + buckets * MINUTE}
    data = [r for r in records(600, seed=buckets) if r["timestamp"] <= window["time_window_end"]]
    request = ModelUsageAnalyticsInput(pattern_id="p", execution_data=data, **{**WINDOW, **window})
    output = REDUCER.execute_reduction_sync(request)
    assert output.trend_analysis is not None
    assert output.trend_analysis.bucket_count == buckets
    assert output.trend_analysis.time_series is not None
    assert len(output.trend_analysis.time_series) == buckets
    assert_matches_reference(output_as_dict(output), reference_analytics(request))


def test_a_batch_over_many_buckets_equals_single_calls_per_pattern() -> None:
    data = records(2_000, seed=7, pattern_ids=["x", "y", 3])
    batch = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, **WINDOW)
    )
    assert len(batch.results) == 3
    for pattern_id, result in batch.results.items():
        own = [r for r in data if r["pattern_id"] == pattern_id]
        expected = single(own).model_dump(exclude=VOLATILE)
        assert result.model_dump(exclude=VOLATILE) == expected, pattern_id


def test_merged_serialized_states_over_many_buckets_equal_one_call() -> None:
    data = records(1_000, seed=11)
    options = {k: v for k, v in WINDOW.items() if k != "granularity"}
    parts = [UsageAccumulator(**options) for _ in range(3)]
    for i, part in enumerate(parts):
        part.update(data[i::3])
    restored = [UsageAccumulator.from_bytes(part.to_bytes()) for part in parts]
    merged = restored[0].merge(restored[1]).merge(restored[2])
    expected = single(data, granularity=AnalyticsGranularity.DETAILED)
    assert_equivalent(merged.finalize(pattern_id="p"), expected)


def test_a_state_stores_only_its_occupied_buckets() -> None:
    # 43,200 buckets stored one by one took at least a byte each.
    options = {k: v for k, v in WINDOW.items() if k != "granularity"}
    accumulator = UsageAccumulator(**options)
    accumulator.update(records(200, seed=3))
    assert len(accumulator.to_bytes()) < 16_000


def test_a_comprehensive_batch_refuses_more_series_points_than_one_pattern_may_have() -> None:
    # 24 patterns x 43,200 buckets: a time series point each (about 600 bytes of output
    # apiece, records or not), past the 1,000,000 one pattern may have. 50 patterns of one
    # record each took 1.3 GB before; now a clear error, before any series is built.
    data = [{**record, "pattern_id": i % 24} for i, record in enumerate(records(48, seed=5))]
    expected = "24 patterns x 43200 buckets = 1036800 points, more than the 1000000 allowed"
    with pytest.raises(UsageAnalyticsError, match=expected):
        REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=data, **WINDOW)
        )
    state = BatchUsageAccumulator(**WINDOW)
    state.update(data)
    with pytest.raises(UsageAnalyticsError, match=expected):
        state.finalize()
    # Without time series (DETAILED), the same batch is analysed.
    detailed = {**WINDOW, "granularity": AnalyticsGranularity.DETAILED}
    batch = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, **detailed)
    )
    assert len(batch.results) == 24
