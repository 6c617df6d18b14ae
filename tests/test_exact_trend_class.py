"""The trend class is decided on exact values, as the reference's `classify_trend` on
Fractions: a velocity that rounds to a threshold is on the side its exact value is; the
slope's significance is the exact t-statistic's (the float fit's was 1e-5 off where the
rates are high and spread little: counts near 2^40 that differ by a few); and recent use
is an exact comparison (in doubles a span past 2^53 us and `recent_fraction * span` are
rounded: 0.3 * 10 is 3.0, where 0.3 is a hair below 3/10).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import (
    US_PER_DAY,
    US_PER_HOUR,
    classify_trend,
    rate_shape,
    recent_limit,
    reference_analytics,
)
from usage_analytics import (
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TrendAnalysis,
    TrendThresholds,
    UsageAccumulator,
)

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2020, 1, 1, tzinfo=UTC)
START_US = (START - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
NO_EMERGING = {"emerging_max_executions": 0}


def window(width: int, span: int, thresholds: TrendThresholds) -> dict[str, Any]:
    return {
        "time_window_start": START,
        "time_window_end": START + timedelta(microseconds=span),
        "time_window_type": "custom",
        "bucket_width": timedelta(microseconds=width),
        "trend_thresholds": thresholds,
    }


def records(counts: list[int], width: int) -> dict[str, Any]:
    """A column of timestamps: `counts[i]` at the start of bucket `i`."""
    starts = START_US + width * np.arange(len(counts), dtype=np.int64)
    return {"timestamp": np.repeat(starts, counts).astype("datetime64[us]")}


def trend_of(
    parts: list[tuple[list[int], int]], width: int, span: int, thresholds: TrendThresholds
) -> TrendAnalysis:
    """The trend of the sum of `parts`: each part's counts doubled its number of times
    (a state merged into itself: counts near 2^40 without the records)."""
    total = UsageAccumulator(**window(width, span, thresholds))
    for counts, doublings in parts:
        part = UsageAccumulator(**window(width, span, thresholds))
        part.update(records(counts, width))
        for _ in range(doublings):
            part.merge_in(part)
        total.merge_in(part)
    trend = total.finalize(pattern_id="p").trend_analysis
    assert trend is not None
    return trend


def expected_class(
    counts: list[int], width: int, span: int, thresholds: TrendThresholds
) -> tuple[str, bool]:
    """The reference's class and significance of `counts` (records at bucket starts)."""
    shape = rate_shape(counts, span, width, thresholds.min_t_statistic)
    latest = max((i for i, c in enumerate(counts) if c), default=None)
    recent = latest is not None and span - width * latest <= recent_limit(
        span, thresholds.recent_fraction
    )
    trend_type = classify_trend(
        shape.velocity,
        significant=shape.fit.significant,
        n_records=sum(counts),
        any_recent=recent,
        thresholds=thresholds,
    )
    return trend_type, shape.fit.significant


@st.composite
def windows(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """(bucket width, span, one count per bucket): a few buckets of one microsecond to a
    day, the last absorbing a remainder, random small counts."""
    width = draw(st.sampled_from([1, 3, 7, 1_000, 3 * US_PER_HOUR + 1, US_PER_DAY]))
    buckets = draw(st.integers(2, 40))
    extra = draw(st.sampled_from([0, 1, width // 2, width - 1])) % width
    counts = draw(st.lists(st.integers(0, 3), min_size=buckets, max_size=buckets))
    return width, buckets * width + extra, counts


@settings(max_examples=150, deadline=None)
@given(windows(), st.sampled_from([0, 30]), st.sampled_from([-1, 0, 1]), st.booleans())
def test_a_velocity_at_a_threshold_is_classed_by_its_exact_value(
    case: tuple[int, int, list[int]], doublings: int, ulps: int, velocity_abandons: bool
) -> None:
    width, span, counts = case
    scaled = [c << doublings for c in counts]
    velocity = rate_shape(scaled, span, width, 0.0).velocity
    # Every velocity threshold the rounded velocity, or a double beside it.
    threshold = float(velocity)
    for _ in range(abs(ulps)):
        threshold = math.nextafter(threshold, math.copysign(math.inf, ulps))
    thresholds = TrendThresholds(
        growing_velocity=threshold,
        declining_velocity=threshold,
        abandoned_velocity=threshold,
        abandoned_max_executions=2**64 - 1 if velocity_abandons else 0,
        min_t_statistic=0.0,
        recent_fraction=1.0,
        **NO_EMERGING,
    )
    trend = trend_of([(counts, doublings)], width, span, thresholds)
    assert trend.velocity == threshold or ulps != 0 or velocity == 0
    expected = expected_class(scaled, width, span, thresholds)
    assert (trend.trend_type.value, trend.velocity_significant) == expected, (velocity, threshold)


def exact_t_squared(counts: list[int], span: int, width: int) -> Fraction | None:
    """The slope's t² over the bucket rates, exactly (None for a perfect fit)."""
    shape = rate_shape(counts, span, width, 0.0)
    points = list(zip(shape.midpoints, shape.rates, strict=True))
    mean_x = sum(shape.midpoints, Fraction(0)) / len(points)
    sxx = sum(((x - mean_x) ** 2 for x, _ in points), Fraction(0))
    slope, intercept = shape.fit.slope, shape.fit.intercept
    rss = sum(((y - intercept - slope * x) ** 2 for x, y in points), Fraction(0))
    return None if rss == 0 else slope * slope * sxx * (len(points) - 2) / rss


@settings(max_examples=60, deadline=None)
@given(
    windows().filter(lambda case: len(case[2]) >= 3),
    st.integers(30, 42),
    st.sampled_from([-1e-4, -1e-5, -3e-6, -1e-9, 0.0, 1e-9, 3e-6, 1e-5, 1e-4]),
)
def test_significance_is_the_exact_t_statistics(
    case: tuple[int, int, list[int]], doublings: int, relative: float
) -> None:
    width, span, noise = case
    # One record a bucket doubled to 2^doublings, plus a few: a high rate that varies little.
    base = [1] * len(noise)
    counts = [(1 << doublings) + c for c in noise]
    t_squared = exact_t_squared(counts, span, width)
    if t_squared is None:
        return  # (a perfect fit: significant at any threshold)
    min_t = math.sqrt(t_squared) * (1 + relative)
    thresholds = TrendThresholds(
        growing_velocity=0.0,
        declining_velocity=0.0,
        min_t_statistic=min_t,
        recent_fraction=1.0,
        **NO_EMERGING,
    )
    trend = trend_of([(base, doublings), (noise, 0)], width, span, thresholds)
    expected = expected_class(counts, width, span, thresholds)
    assert (trend.trend_type.value, trend.velocity_significant) == expected, min_t


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([10, 1_000, 10**15, 2**58 + 1, 2**58 + 3]),
    st.sampled_from([0.3, 0.1, 0.7, 0.25, 1 / 3, 0.9999999999999999]),
    st.sampled_from([-1, 0, 1]),
)
def test_recent_use_is_decided_exactly(span: int, fraction: float, step: int) -> None:
    # One bucket; one record `step` us past the last instant that is recent use.
    start = datetime(1, 1, 2, tzinfo=UTC)
    distance = recent_limit(span, fraction) + step
    instant = start + timedelta(microseconds=span - distance)
    thresholds = TrendThresholds(recent_fraction=fraction, abandoned_max_executions=0)
    request = ModelUsageAnalyticsInput(
        pattern_id="p",
        execution_data=[{"timestamp": instant}],
        time_window_start=start,
        time_window_end=start + timedelta(microseconds=span),
        time_window_type="custom",
        bucket_width=timedelta(microseconds=span),
        trend_thresholds=thresholds,
    )
    trend = REDUCER.execute_reduction_sync(request).trend_analysis
    assert trend is not None
    expected = reference_analytics(request)["trend_analysis"]["trend_type"]
    assert trend.trend_type.value == expected == ("emerging" if step <= 0 else "abandoned")
