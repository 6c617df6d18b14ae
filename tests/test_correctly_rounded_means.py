"""Every mean the core reports is the exact mean of the values rounded once (to nearest,
ties to even): `float(Fraction(sum) / n)`, the reference's definition (tests/reference.py).

Not `math.fsum(x) / n` (which `statistics.fmean` computes): that rounds the sum, then the
quotient, and lands a double off now and then (five quality scores below, or [0, 0, 5]
where the core itself once did); numpy's `mean` (pairwise sums) is further off still. The
exact rational is the one answer that depends on the values alone.

Paths: one call (records and Arrow), accumulators over any split, serialized and merged,
the batch and its accumulators. Past `exact_budget` an accumulator keeps no times, only
their moments: its mean is the nearest double to an estimate good to 2^-86 of the values'
size, so it may fall on the other side of a halfway point within that distance (a tie, or
nearly one); see `Moments::rounded_mean`.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
)

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
BASE: dict[str, Any] = {"time_window_start": START, "time_window_end": END}
REDUCER = NodeUsageAnalyticsReducer()
#: Large enough that accumulators keep every time exactly.
KEEP_ALL = 1_000_000

#: Times at the edges: zeros, subnormals, the smallest normal, values whose sums round,
#: huge ones whose sum passes the largest double.
EDGE_TIMES = [
    0.0,
    5.0,
    5e-324,
    1e-310,
    2.2250738585072014e-308,
    1e-300,
    0.1,
    1.0,
    1.0 + 2**-52,
    3.0,
    1e9,
    1e9 + 2**-20,
    2.0**53 + 2,
    1e300,
    1.7e308,
]
EDGE_SCORES = [0.0, 1.0, 1.0 - 2**-53, 0.1, 0.35, 0.123456789, 2.0**-64, 5e-324, 1e-17]


def exact_mean(values: list[float]) -> float:
    return float(sum(map(Fraction, values)) / len(values)) if values else 0.0


def magnitudes(scale: st.SearchStrategy[float]) -> st.SearchStrategy[list[float]]:
    """Lists of n = 1, 2, 3, up to 60, or up to thousands from a few distinct values."""
    return st.one_of(
        st.lists(scale, min_size=1, max_size=3),
        st.lists(scale, min_size=1, max_size=60),
        st.tuples(st.lists(scale, min_size=1, max_size=4), st.integers(1, 2000)).map(
            lambda drawn: [v for v in drawn[0] for _ in range(drawn[1])]
        ),
    )


times_lists = magnitudes(
    st.one_of(
        st.sampled_from(EDGE_TIMES),
        st.floats(0, 1e6),
        st.floats(0, 1e-300),
        st.floats(0, 1.7e308),
        st.integers(0, 2**53).map(float),
    )
)
score_lists = magnitudes(st.one_of(st.sampled_from(EDGE_SCORES), st.floats(0, 1)))


def records(times: list[float], scores: list[float], pattern: str = "p") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(max(len(times), len(scores))):
        row: dict[str, Any] = {"timestamp": START + timedelta(seconds=i), "pattern_id": pattern}
        if i < len(times):
            row["execution_time_ms"] = times[i]
        if i < len(scores):
            row["quality_score"] = scores[i]
        rows.append(row)
    return rows


def means(output: Any) -> tuple[float, float]:
    assert output.performance_metrics is not None
    return (
        output.performance_metrics.avg_execution_time_ms,
        output.success_metrics.avg_quality_score,
    )


def split(rows: list[dict[str, Any]], rng: random.Random, parts: int = 3) -> list[list[Any]]:
    out: list[list[Any]] = [[] for _ in range(parts)]
    for row in rows:
        out[rng.randrange(parts)].append(row)
    return out


def merged_accumulators(rows: list[dict[str, Any]], rng: random.Random, budget: int) -> Any:
    accumulators = []
    for part in split(rows, rng):
        accumulator = UsageAccumulator(**BASE, exact_budget=budget)
        accumulator.update(part)
        accumulators.append(UsageAccumulator.from_bytes(accumulator.to_bytes()))
    rng.shuffle(accumulators)
    return accumulators[0].merge(accumulators[1]).merge(accumulators[2]).finalize("p")


@settings(max_examples=120, deadline=None)
@given(times_lists, score_lists, st.randoms(use_true_random=False))
@example([0.0, 0.0, 5.0], [0.1, 0.35, 0.35, 0.1, 0.123456789], random.Random(0))
def test_means_are_the_exact_means_rounded_once(
    times: list[float], scores: list[float], rng: random.Random
) -> None:
    want = (exact_mean(times), exact_mean(scores))
    rows = records(times, scores)
    single = ModelUsageAnalyticsInput(pattern_id="p", execution_data=rows, **BASE)
    assert means(REDUCER.execute_reduction_sync(single)) == want
    table = pa.Table.from_pylist(rows)
    arrow = ModelUsageAnalyticsInput(pattern_id="p", execution_data=table, **BASE)
    assert means(REDUCER.execute_reduction_sync(arrow)) == want
    assert means(merged_accumulators(rows, rng, KEEP_ALL)) == want


@settings(max_examples=60, deadline=None)
@given(times_lists, score_lists, times_lists, st.randoms(use_true_random=False))
def test_batch_means_are_each_patterns_exact_means(
    times: list[float], scores: list[float], other: list[float], rng: random.Random
) -> None:
    rows = records(times, scores, "a") + records(other, [], "b")
    rng.shuffle(rows)
    batch = ModelUsageAnalyticsBatchInput(execution_data=rows, **BASE)
    results = REDUCER.execute_batch_reduction_sync(batch).results
    assert means(results["a"]) == (exact_mean(times), exact_mean(scores))
    assert means(results["b"])[0] == exact_mean(other)
    accumulators = []
    for part in split(rows, rng):
        accumulator = BatchUsageAccumulator(**BASE, exact_budget=KEEP_ALL)
        accumulator.update(part)
        accumulators.append(BatchUsageAccumulator.from_bytes(accumulator.to_bytes()))
    merged = accumulators[0].merge(accumulators[1]).merge(accumulators[2]).finalize().results
    assert means(merged["a"]) == (exact_mean(times), exact_mean(scores))
    assert means(merged["b"])[0] == exact_mean(other)


def near_a_halfway_point(values: list[float]) -> bool:
    """Whether the exact mean lies within 2^-80 of the values' size of a point halfway
    between two doubles (where a summary's mean may round either way)."""
    mean = sum(map(Fraction, values), Fraction(0)) / len(values)
    rounded = float(mean)
    scale = Fraction(max(values)) * Fraction(1, 2**80)
    halfway = [
        (Fraction(rounded) + Fraction(math.nextafter(rounded, side))) / 2
        for side in (-math.inf, math.inf)
        if math.isfinite(math.nextafter(rounded, side))
    ]
    return any(abs(mean - point) <= scale for point in halfway)


@settings(max_examples=80, deadline=None)
@given(times_lists, st.randoms(use_true_random=False))
@example([1.0, 1.0 + 2**-52], random.Random(0))  # a tie
def test_a_summarys_mean_is_rounded_once_but_within_a_hair_of_halfway(
    times: list[float], rng: random.Random
) -> None:
    got = means(merged_accumulators(records(times, []), rng, budget=0))[0]
    want = exact_mean(times)
    if got != want:
        if max(times) > 2.0**900:
            # Sums past the largest double take the older, scaled path: a few ulps.
            assert abs(got - want) <= want * 4 * 2.0**-52, (got, want)
        else:
            assert near_a_halfway_point(times), (got, want)
            assert got == math.nextafter(want, got)
