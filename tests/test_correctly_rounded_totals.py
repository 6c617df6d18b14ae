"""`total_execution_time_ms` is the exact sum of the times rounded once (to nearest, ties
to even): `math.fsum`'s result, +inf where it passes the largest double (the reference's
`total`, tests/reference.py; the contract's `OverflowingFloat`). So the total of the same
records is the same number however they were fed: in one call or any split merged
through bytes, in the batch, the rolling monitor, in any order.

(It was the plain float sum of the blocks' sums, merged in turn: its last bits depended
on the order and the splits. `[1.0, 2**-53, 2**-53]` gave 1.0, fsum 1.0000000000000002.)

Past `exact_budget` no times are kept: the total is then the nearest double to count *
(mean + mean_low), correctly rounded unless the exact sum lies within a hair of a point
halfway between two doubles (see `Moments::rounded_sum`).
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reference import total
from test_correctly_rounded_means import (
    BASE,
    KEEP_ALL,
    REDUCER,
    START,
    merged_accumulators,
    records,
    split,
    times_lists,
)
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    RollingUsageAnalytics,
)

HALF_ULP = 2.0**-53

#: Sums whose plain additions round away a part (each tie to even) or that tie.
EXAMPLES = [
    [1.0, HALF_ULP, HALF_ULP],  # 1 + 2^-52 exactly; added in turn: 1.0
    [0.1] * 10,  # fsum 1.0; added in turn: 0.9999999999999999
    [1.0, HALF_ULP, 2.0**-140],  # just past a tie: up
    [1e16, 1.0, 1.0],  # 1e16 + 2 exactly; added in turn: 1e16
    [1.7976931348623157e308, 2.0**970],  # a tie past the largest double: inf
    [1.7976931348623157e308, 2.0**969],  # the largest double
    [0.0, 5e-324, 1e-323],
]


def total_of(output: Any) -> float:
    assert output.performance_metrics is not None
    result: float = output.performance_metrics.total_execution_time_ms
    return result


def one_call(rows: list[dict[str, Any]]) -> float:
    request = ModelUsageAnalyticsInput(pattern_id="p", execution_data=rows, **BASE)
    return total_of(REDUCER.execute_reduction_sync(request))


def same(got: float, want: float) -> bool:
    """Equal to the bit (0.0 and -0.0 apart, inf equal to inf)."""
    return math.copysign(1.0, got) == math.copysign(1.0, want) and (
        got == want or (math.isnan(got) and math.isnan(want))
    )


@settings(max_examples=120, deadline=None)
@given(times_lists, st.randoms(use_true_random=False))
@example(EXAMPLES[0], random.Random(0))
@example(EXAMPLES[1], random.Random(1))
@example(EXAMPLES[3], random.Random(2))
def test_a_total_is_fsum_in_one_call_and_over_any_split_in_any_order(
    times: list[float], rng: random.Random
) -> None:
    want = total(times)
    rows = records(times, [])
    assert same(one_call(rows), want)
    table = pa.Table.from_pylist(rows)
    arrow = ModelUsageAnalyticsInput(pattern_id="p", execution_data=table, **BASE)
    assert same(total_of(REDUCER.execute_reduction_sync(arrow)), want)
    # The records in another order, then split three ways, through bytes, merged.
    rng.shuffle(rows)
    assert same(one_call(rows), want)
    assert same(total_of(merged_accumulators(rows, rng, KEEP_ALL)), want)


def test_named_sums_that_plain_additions_round_otherwise() -> None:
    for times in EXAMPLES:
        want = total(times)
        for order in (times, times[::-1]):
            assert same(one_call(records(order, [])), want), (order, want)
    assert one_call(records(EXAMPLES[0], [])) == 1.0000000000000002
    assert one_call(records(EXAMPLES[4], [])) == math.inf


@settings(max_examples=60, deadline=None)
@given(times_lists, times_lists, st.randoms(use_true_random=False))
def test_batch_totals_are_each_patterns_fsum_and_its_single_calls(
    times: list[float], other: list[float], rng: random.Random
) -> None:
    rows = records(times, [], "a") + records(other, [], "b")
    rng.shuffle(rows)
    batch = ModelUsageAnalyticsBatchInput(execution_data=rows, **BASE)
    results = REDUCER.execute_batch_reduction_sync(batch).results
    assert same(total_of(results["a"]), total(times))
    assert same(total_of(results["b"]), total(other))
    assert same(total_of(results["a"]), one_call([r for r in rows if r["pattern_id"] == "a"]))
    accumulators = []
    for part in split(rows, rng):
        accumulator = BatchUsageAccumulator(**BASE, exact_budget=KEEP_ALL)
        accumulator.update(part)
        accumulators.append(BatchUsageAccumulator.from_bytes(accumulator.to_bytes()))
    rng.shuffle(accumulators)
    merged = accumulators[0].merge(accumulators[1]).merge(accumulators[2]).finalize().results
    assert same(total_of(merged["a"]), total(times))
    assert same(total_of(merged["b"]), total(other))


@settings(max_examples=40, deadline=None)
@given(times_lists, st.randoms(use_true_random=False))
@example(EXAMPLES[0], random.Random(0))
def test_a_rolling_monitors_total_is_fsum_however_the_records_came(
    times: list[float], rng: random.Random
) -> None:
    rows = records(times, [])
    rng.shuffle(rows)
    monitor = RollingUsageAnalytics(timedelta(days=1), timedelta(hours=1), exact_budget=KEEP_ALL)
    for part in split(rows, rng):
        monitor.add(part)
        monitor = RollingUsageAnalytics.from_bytes(monitor.to_bytes())
    now = START + timedelta(seconds=len(rows))
    assert same(total_of(monitor.snapshot(now)), total(times))


def near_a_halfway_point(values: list[float]) -> bool:
    """Whether the exact sum lies within 2^-80 of the values' size, times their count, of a
    point halfway between two doubles (where a summary's total may round either way)."""
    exact = sum(map(Fraction, values), Fraction(0))
    rounded = float(exact) if exact < Fraction(2) ** 1024 else math.inf
    if not math.isfinite(rounded):
        return False
    width = Fraction(max(values)) * len(values) * Fraction(1, 2**80)
    halfway = [
        (Fraction(rounded) + Fraction(math.nextafter(rounded, side))) / 2
        for side in (-math.inf, math.inf)
        if math.isfinite(math.nextafter(rounded, side))
    ]
    return any(abs(exact - point) <= width for point in halfway)


@settings(max_examples=80, deadline=None)
@given(times_lists, st.randoms(use_true_random=False))
@example(EXAMPLES[0], random.Random(0))
@example(EXAMPLES[1], random.Random(0))
def test_a_summarys_total_is_fsum_but_within_a_hair_of_halfway(
    times: list[float], rng: random.Random
) -> None:
    got = total_of(merged_accumulators(records(times, []), rng, budget=0))
    want = total(times)
    if not same(got, want):
        exact_mean = sum(map(Fraction, times), Fraction(0)) / len(times)
        if max(times) * len(times) >= 2.0**990:
            # Past the mean's bound: the scaled mean times the count, a few ulps (+inf
            # for a sum within them of the largest double's halfway point).
            assert abs(got - want) <= want * 4 * 2.0**-52 or min(got, want) > 1.79e308, (got, want)
        elif exact_mean < Fraction(2) ** -960:
            # Tiny means: their pair holds a few of the smallest doubles' rounding per value.
            assert abs(got - want) <= want * 2 * 2.0**-52 + len(times) * 2.0**-1070, (got, want)
        else:
            assert near_a_halfway_point(times), (got, want)
            assert got == math.nextafter(want, got)
