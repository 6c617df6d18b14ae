"""The trend's velocity, acceleration and growth percentage are the doubles nearest their
exact values (the reference's Fractions, rounded once), bit for bit, on the shapes where
float sums cancel: one-microsecond buckets, 17,000 buckets, symmetric (exactly
cancelling) and nearly symmetric counts, a last bucket that absorbs a remainder, and counts
up to 2^53 (a state merged into itself up to forty times). Merged states give one call's bits.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, rate_shape
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TrendAnalysis,
    UsageAccumulator,
)

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2020, 1, 1, tzinfo=UTC)
START_US = (START - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
FIGURES = ("velocity", "acceleration", "growth_percentage")


@st.composite
def bucket_counts(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """(bucket width, window span, one count per bucket), both in microseconds."""
    width = draw(st.sampled_from([1, 2, 7, 1_000, US_PER_MINUTE, US_PER_HOUR, US_PER_DAY]))
    buckets = draw(st.sampled_from([2, 3, 4, 5, 17, 1_024, 1_025, 17_000]))
    # (The last bucket absorbs a remainder below the width.)
    extra = draw(st.sampled_from([0, 1, width // 2, width - 1])) % width
    span = buckets * width + extra
    profile = draw(st.sampled_from(["symmetric", "nudged", "random", "ends"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if profile == "ends":  # (records in a few buckets only: sparse counts past 1,024)
        counts = np.zeros(buckets, dtype=np.int64)
        counts[[0, buckets // 2, buckets - 1]] = rng.integers(0, 4, 3)
    else:
        half = rng.integers(0, 3, buckets // 2)
        middle = rng.integers(0, 3, buckets % 2)
        counts = np.concatenate([half, middle, half[::-1]])
        if profile == "nudged":
            counts[rng.integers(0, buckets)] += 1
        elif profile == "random":
            counts = rng.integers(0, 3, buckets)
    return width, span, [int(c) for c in counts]


def records(counts: list[int], width: int) -> dict[str, Any]:
    """A column of timestamps: `counts[i]` at the start of bucket `i`."""
    starts = START_US + width * np.arange(len(counts), dtype=np.int64)
    instants = np.repeat(starts, counts)
    return {"timestamp": instants.astype("datetime64[us]")}


def window(width: int, span: int) -> dict[str, Any]:
    return {
        "time_window_start": START,
        "time_window_end": START + timedelta(microseconds=span),
        "time_window_type": "custom",
        "bucket_width": timedelta(microseconds=width),
    }


def one_call(counts: list[int], width: int, span: int) -> ModelUsageAnalyticsOutput:
    data = records(counts, width)
    request = ModelUsageAnalyticsInput(pattern_id="p", execution_data=data, **window(width, span))
    return REDUCER.execute_reduction_sync(request)


def figures(trend: TrendAnalysis | None) -> tuple[float, ...]:
    assert trend is not None
    return tuple(getattr(trend, name) for name in FIGURES)


def bits(values: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    """Each value with its sign (0.0 and -0.0 told apart)."""
    return tuple((v, math.copysign(1.0, v)) for v in values)


def exact(counts: list[int], width: int, span: int) -> tuple[float, ...]:
    shape = rate_shape(counts, span, width, 2.0)
    return tuple(float(f) for f in (shape.velocity, shape.acceleration, shape.growth))


@settings(max_examples=40, deadline=None)
@given(bucket_counts(), st.sampled_from([0, 1, 40]))
def test_trend_figures_are_the_exact_values_rounded_once(
    case: tuple[int, int, list[int]], doublings: int
) -> None:
    width, span, counts = case
    # (A state holds at most 2^53 records.)
    doublings = min(doublings, 53 - sum(counts).bit_length())
    accumulator = UsageAccumulator(**window(width, span))
    accumulator.update(records(counts, width))
    for _ in range(doublings):  # (every count doubled: huge counts without the records)
        accumulator.merge_in(accumulator)
    actual = figures(accumulator.finalize(pattern_id="p").trend_analysis)
    expected = exact([c << doublings for c in counts], width, span)
    assert bits(actual) == bits(expected), (actual, expected)


@settings(max_examples=15, deadline=None)
@given(bucket_counts())
def test_merged_parts_give_the_bits_of_one_call(case: tuple[int, int, list[int]]) -> None:
    width, span, counts = case
    one = one_call(counts, width, span)
    # Three parts of the records, each bucket's split among them.
    column = records(counts, width)["timestamp"]
    parts = [UsageAccumulator(**window(width, span)) for _ in range(3)]
    for i, part in enumerate(parts):
        part.update({"timestamp": column[i::3]})
    restored = [UsageAccumulator.from_bytes(part.to_bytes()) for part in parts]
    merged = UsageAccumulator.merge_many(restored)
    assert bits(figures(merged.finalize(pattern_id="p").trend_analysis)) == bits(
        figures(one.trend_analysis)
    )


def test_seventeen_thousand_symmetric_microsecond_buckets_have_velocity_zero() -> None:
    # helper-173's shape: the floats' slope of this exactly flat trend was -310 a day a day.
    rng = np.random.default_rng(1)
    half = rng.integers(0, 3, 8_500)
    counts = [int(c) for c in np.concatenate([half, half[::-1]])]
    output = one_call(counts, 1, 17_000)
    expected = exact(counts, 1, 17_000)
    assert expected[0] == 0.0
    assert bits(figures(output.trend_analysis)) == bits(expected)
