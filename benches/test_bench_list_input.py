"""List-of-dicts input, end to end: usage_analytics vs the C read floor vs pure Python.

    .venv/bin/pytest benches/ --benchmark-only

One group per size and memory layout (see `records` in conftest.py). Contenders:
- usage_analytics: contract construction + `execute_reduction_sync` (the whole call);
  at 1k also `await execute_reduction` on a running loop (`usage_analytics_await`).
- floor: C loop doing `PyDict_GetItem` of the ten fields per record, nothing else.
- floor_typed: the floor plus one load of each value's type (touches every value object).
- floor_prefetch: the floor with the two-stage software prefetch our reader also uses.
- pure_python: `reference_analytics` from tests/reference.py on the same contract.
The ratios (ours / floor, pure Python / ours) are printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from usage_analytics import NodeUsageAnalyticsReducer

SIZES = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000}
LAYOUTS = ["fresh", "scattered"]
#: Rounds of the pure-Python reference: one at 1M, where a round takes many seconds.
REFERENCE_ROUNDS = {1_000: 20, 100_000: 3, 1_000_000: 1}

Records = list[dict[str, Any]]
RecordsFor = Callable[[int, str], Records]
KeepMedian = Callable[[str, str, int, Any], None]

by_size = pytest.mark.parametrize("n", list(SIZES.values()), ids=list(SIZES))
by_layout = pytest.mark.parametrize("layout", LAYOUTS)


def _group(n: int, layout: str) -> str:
    label = next(label for label, size in SIZES.items() if size == n)
    return f"{label}-{layout}"


def _check_output(output: Any, n: int) -> None:
    assert output.total_data_points == n
    assert output.usage_metrics.total_executions == n
    assert output.data_quality.invalid_records == 0


@by_layout
@by_size
def test_usage_analytics(
    benchmark: Any,
    records_for: RecordsFor,
    contract_for: Callable[[Records], Any],
    keep_median: KeepMedian,
    n: int,
    layout: str,
) -> None:
    data = records_for(n, layout)
    reducer = NodeUsageAnalyticsReducer()
    assert contract_for(data).execution_data is data  # passed through, never copied

    def call() -> Any:
        return reducer.execute_reduction_sync(contract_for(data))

    benchmark.group = _group(n, layout)
    _check_output(benchmark(call), n)
    keep_median(_group(n, layout), "usage_analytics", n, benchmark)


@by_layout
def test_usage_analytics_await_1k(
    benchmark: Any,
    records_for: RecordsFor,
    contract_for: Callable[[Records], Any],
    keep_median: KeepMedian,
    event_loop_once: Any,
    layout: str,
) -> None:
    n = SIZES["1k"]
    data = records_for(n, layout)
    reducer = NodeUsageAnalyticsReducer()

    async def call() -> Any:
        return await reducer.execute_reduction(contract_for(data))

    benchmark.group = _group(n, layout)
    _check_output(benchmark(lambda: event_loop_once.run_until_complete(call())), n)
    keep_median(_group(n, layout), "usage_analytics_await", n, benchmark)


@by_layout
@by_size
def test_floor(
    benchmark: Any,
    records_for: RecordsFor,
    floor: ModuleType,
    keep_median: KeepMedian,
    n: int,
    layout: str,
) -> None:
    data = records_for(n, layout)
    benchmark.group = _group(n, layout)
    assert benchmark(floor.read_fields, data) == 10 * n
    keep_median(_group(n, layout), "floor", n, benchmark)


@by_layout
@by_size
def test_floor_typed(
    benchmark: Any,
    records_for: RecordsFor,
    floor: ModuleType,
    keep_median: KeepMedian,
    n: int,
    layout: str,
) -> None:
    data = records_for(n, layout)
    benchmark.group = _group(n, layout)
    assert benchmark(floor.read_fields_typed, data) != 0
    keep_median(_group(n, layout), "floor_typed", n, benchmark)


@by_layout
@by_size
def test_floor_prefetch(
    benchmark: Any,
    records_for: RecordsFor,
    floor: ModuleType,
    keep_median: KeepMedian,
    n: int,
    layout: str,
) -> None:
    data = records_for(n, layout)
    benchmark.group = _group(n, layout)
    assert benchmark(floor.read_fields_prefetch, data) == 10 * n
    keep_median(_group(n, layout), "floor_prefetch", n, benchmark)


@by_layout
@by_size
def test_pure_python(
    benchmark: Any,
    records_for: RecordsFor,
    contract_for: Callable[[Records], Any],
    reference: Callable[[Any], dict[str, Any]],
    keep_median: KeepMedian,
    n: int,
    layout: str,
) -> None:
    data = records_for(n, layout)
    benchmark.group = _group(n, layout)
    result = benchmark.pedantic(
        lambda: reference(contract_for(data)), rounds=REFERENCE_ROUNDS[n], iterations=1
    )
    assert result["usage_metrics"]["total_executions"] == n
    assert result["total_data_points"] == n
    keep_median(_group(n, layout), "pure_python", n, benchmark)
