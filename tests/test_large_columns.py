"""Columns long enough for the core's large-input kernels: percentiles narrowed by a radix
histogram (from 65,536 execution times on) and moments reduced block by block on all cores.
Checked against sorting in pure Python (`reference.percentile`) and math.fsum."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from equivalence import close, differences
from reference import percentile
from usage_analytics import InvalidRecordError, ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
ROWS = 150_001

Draw = Callable[[np.random.Generator, int], Any]
COLUMNS: dict[str, Draw] = {
    "lognormal": lambda rng, n: rng.lognormal(4.5, 0.8, n),
    # Wide bins: each distinct value is a large share of its radix bin.
    "few_distinct_values": lambda rng, n: rng.integers(0, 40, n).astype(np.float64) * 2.5,
    # One radix bin holds everything: the kernel falls back to selecting in the column.
    "near_equal_values": lambda rng, n: 100.0 + rng.integers(0, 1000, n) * 1e-9,
    # Zeros (a bin of their own), subnormals and values across 600 octaves.
    "zeros_subnormals_and_huge": lambda rng, n: rng.choice(
        np.array([0.0, 5e-324, 1e-310, 1e-3, 1.0, 1e100, 1e150]), n
    ),
    # Half the rows have no execution time: the kept times are fewer than the rows.
    "mostly_missing": lambda rng, n: np.where(
        rng.random(n) < 0.3, rng.exponential(50.0, n), np.nan
    ),
}


@pytest.mark.parametrize("column", list(COLUMNS))
def test_large_column_percentiles_and_moments(column: str) -> None:
    rng = np.random.default_rng(7)
    times = COLUMNS[column](rng, ROWS)
    stamps = np.datetime64(START.replace(tzinfo=None), "us") + rng.integers(
        0, 7 * 86_400_000_000, ROWS
    ).astype("timedelta64[us]")
    output = REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="large",
            time_window_start=START,
            time_window_end=START + timedelta(days=7),
            execution_data={"timestamp": stamps, "execution_time_ms": times},
        )
    )
    performance = output.performance_metrics
    assert performance is not None
    kept = sorted(float(t) for t in times if not math.isnan(t))
    assert performance.sample_count == len(kept)
    problems: list[str] = []
    for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        problems += differences(
            getattr(performance, f"{name}_execution_time_ms"), percentile(kept, q), name
        )
    problems += differences(performance.min_execution_time_ms, kept[0], "min")
    problems += differences(performance.max_execution_time_ms, kept[-1], "max")
    total = math.fsum(kept)
    mean = total / len(kept)
    std = math.sqrt(math.fsum((t - mean) * (t - mean) for t in kept) / (len(kept) - 1))
    problems += close(performance.total_execution_time_ms, total, "total")
    problems += close(performance.avg_execution_time_ms, mean, "mean")
    problems += close(performance.std_dev_ms, std, "std", abs_tol=1e-12 + 4e-15 * kept[-1])
    assert problems == []


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_bad_times_inside_a_long_valid_column_are_found(on_invalid: str) -> None:
    # Valid values are checked a block at a time: a bad one must still be caught by row.
    times = np.full(ROWS, 5.0)
    times[1000] = -0.0  # valid: counts as 0.0
    times[70_001] = np.inf
    times[140_000] = -1.0
    stamps = np.full(ROWS, np.datetime64(START.replace(tzinfo=None), "us"))
    request = ModelUsageAnalyticsInput(
        pattern_id="large",
        time_window_start=START,
        time_window_end=START + timedelta(days=7),
        execution_data={"timestamp": stamps, "execution_time_ms": times},
        on_invalid=on_invalid,
    )
    if on_invalid == "raise":
        with pytest.raises(InvalidRecordError) as raised:
            REDUCER.execute_reduction_sync(request)
        assert (raised.value.index, raised.value.field) == (70_001, "execution_time_ms")
        return
    output = REDUCER.execute_reduction_sync(request)
    assert [s.index for s in output.data_quality.error_samples] == [70_001, 140_000]
    performance = output.performance_metrics
    assert performance is not None
    assert performance.sample_count == ROWS - 2
    assert math.copysign(1.0, performance.min_execution_time_ms) == 1.0
    assert performance.min_execution_time_ms == 0.0


def _times_request(execution_data: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="large",
        time_window_start=START,
        time_window_end=START + timedelta(days=7),
        execution_data=execution_data,
    )


def _stamps(rng: np.random.Generator, n: int) -> Any:
    return np.datetime64(START.replace(tzinfo=None), "us") + rng.integers(
        0, 7 * 86_400_000_000, n
    ).astype("timedelta64[us]")


def test_negative_zero_times_in_an_all_valid_column_count_as_zero() -> None:
    # An all-valid float64 column's times are held as the column's own buffer, except
    # where the copy differs: -0.0 is read as 0.0.
    rng = np.random.default_rng(3)
    times = rng.lognormal(4.5, 0.8, ROWS)
    times[: ROWS * 2 // 3] = -0.0
    output = REDUCER.execute_reduction_sync(
        _times_request({"timestamp": _stamps(rng, ROWS), "execution_time_ms": times})
    )
    performance = output.performance_metrics
    assert performance is not None
    for value in (performance.min_execution_time_ms, performance.p50_execution_time_ms):
        assert value == 0.0
        assert math.copysign(1.0, value) == 1.0


def test_a_sliced_table_reads_its_own_rows_times() -> None:
    pa = pytest.importorskip("pyarrow")
    rng = np.random.default_rng(5)
    n, offset = ROWS + 50_000, 50_000
    times, stamps = rng.lognormal(4.5, 0.8, n), _stamps(rng, n)
    times[:offset] = 1e6  # rows sliced away: they must not count
    table = pa.table(
        {
            "timestamp": pa.array(stamps).cast(pa.timestamp("us", "UTC")),
            "execution_time_ms": times,
        }
    )
    sliced = REDUCER.execute_reduction_sync(_times_request(table.slice(offset)))
    expected = REDUCER.execute_reduction_sync(
        _times_request(
            {"timestamp": stamps[offset:].copy(), "execution_time_ms": times[offset:].copy()}
        )
    )
    assert sliced.performance_metrics is not None
    assert sliced.performance_metrics == expected.performance_metrics
    assert sliced.performance_metrics.max_execution_time_ms < 1e6
