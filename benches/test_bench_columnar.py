"""Columnar input (a pyarrow Table): usage_analytics vs the same analytics in polars, DuckDB
and numpy; many patterns vs polars group_by and DuckDB GROUP BY; peak memory.

    .venv/bin/pytest benches/test_bench_columnar.py --benchmark-only

Groups (see `peers/` for the data and each peer, BENCHMARKS.md for the results):
- `columnar-{1M,10M}-{dict,plain}`: one pattern, all five families, from a table with
  dictionary-encoded or plain strings. usage_analytics: contract construction +
  `execute_reduction_sync` (the whole call, pydantic output). polars, duckdb, numpy: the
  table in, the same numbers out (`peers.finish`). Each peer's numbers are checked against
  ours (integers and distributions exactly, floats within 1e-9 relative) before it is timed.
- `patterns-10M`: 10M records over 10,000 patterns. usage_analytics: `execute_batch_reduction_sync`
  (all five families per pattern); polars and duckdb: count, success rate, p50/p95/p99, mean
  and std per pattern (checked against ours for every pattern first).
- `memory-10M-*`: peak memory added by one reduction, each in a fresh interpreter
  (`peers.memory`); the benchmark's time is the child's whole run and means nothing, the
  memory is in `extra_info` and in the summary.
Within a group the contenders run one after another, so load drift moves them alike. Ratios
and target verdicts are printed at the end of the run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import pytest
from peers import data, duckdb_peer, grouped, memory, numpy_peer, polars_peer
from peers.finish import disagreements, finish, ours_flat
from peers.report import MEMORY, keep_time
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

SIZES = {"1M": 1_000_000, "10M": 10_000_000}
#: Timed rounds per contender (after one checked, untimed call).
ROUNDS = {1_000_000: 10, 10_000_000: 5}
CONTENDERS = ["usage_analytics", "polars", "duckdb", "numpy"]
BATCH_CONTENDERS = ["usage_analytics_batch", "polars", "duckdb"]
PATTERN_RECORDS = 10_000_000
MEMORY_RECORDS = 10_000_000
MEMORY_RUNS = [
    *((encoding, c) for encoding in data.ENCODINGS for c in memory.CONTENDERS),
    *(("patterns", c) for c in memory.BATCH_CONTENDERS),
]

WINDOW = {
    "time_window_start": data.WINDOW_START,
    "time_window_end": data.WINDOW_END,
    "time_window_type": TimeWindowType.CUSTOM,
}
PEERS: dict[str, Callable[[Any], Any]] = {
    "polars": polars_peer.aggregates,
    "duckdb": duckdb_peer.aggregates,
    "numpy": numpy_peer.aggregates,
}
REDUCER = NodeUsageAnalyticsReducer()


def _label(n: int) -> str:
    return next(label for label, size in SIZES.items() if size == n)


one_pattern_table = functools.cache(data.one_pattern_table)
many_patterns_table = functools.cache(data.many_patterns_table)


def _ours(table: Any) -> Any:
    return REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(pattern_id="bench-pattern", execution_data=table, **WINDOW)
    )


@functools.cache
def _ours_flat(n: int, encoding: str) -> dict[str, Any]:
    """Our numbers for the table, the yardstick of the peers' checks."""
    output = _ours(one_pattern_table(n, encoding))
    assert output.data_quality.records_in_window == n
    assert output.data_quality.invalid_records == 0
    return ours_flat(output)


@pytest.mark.parametrize("contender", CONTENDERS)
@pytest.mark.parametrize("encoding", data.ENCODINGS)
@pytest.mark.parametrize("n", list(SIZES.values()), ids=list(SIZES))
def test_one_pattern(benchmark: Any, n: int, encoding: str, contender: str) -> None:
    table = one_pattern_table(n, encoding)
    expected = _ours_flat(n, encoding)
    if contender == "usage_analytics":
        contract = ModelUsageAnalyticsInput(pattern_id="p", execution_data=table, **WINDOW)
        assert contract.execution_data is table  # passed through, never copied

        def call() -> Any:
            return _ours(table)

        assert ours_flat(call()) == expected  # deterministic
    else:
        peer = PEERS[contender]

        def call() -> Any:
            return finish(peer(table))

        assert disagreements(expected, call()) == []
    group = f"columnar-{_label(n)}-{encoding}"
    benchmark.group = group
    benchmark.pedantic(call, rounds=ROUNDS[n], iterations=1)
    keep_time(f"{_label(n)}-{encoding}", contender, n, benchmark)


@functools.cache
def _ours_headline() -> grouped.Headline:
    return grouped.ours_headline(_ours_batch(many_patterns_table(PATTERN_RECORDS)))


def _ours_batch(table: Any) -> Any:
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=table, **WINDOW)
    )


def _same_headlines(ours: grouped.Headline, theirs: grouped.Headline) -> list[str]:
    if ours.keys() != theirs.keys():
        return [f"patterns differ: {len(ours)} ours, {len(theirs)} theirs"]
    return [
        f"{pattern}: ours {mine}, theirs {theirs[pattern]}"
        for pattern, mine in ours.items()
        if not all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
            for a, b in zip(mine, theirs[pattern], strict=True)
        )
    ]


@pytest.mark.parametrize("contender", BATCH_CONTENDERS)
def test_many_patterns(benchmark: Any, contender: str) -> None:
    table = many_patterns_table(PATTERN_RECORDS)
    expected = _ours_headline()
    assert len(expected) == data.PATTERNS
    call: Callable[[], Any]
    headline: Callable[[Any], grouped.Headline]
    if contender == "usage_analytics_batch":

        def call() -> Any:
            return _ours_batch(table)

        headline = grouped.ours_headline
    elif contender == "polars":

        def call() -> Any:
            return grouped.polars_group_by(table)

        headline = grouped.polars_headline
    else:

        def call() -> Any:
            return grouped.duckdb_group_by(table)

        headline = grouped.duckdb_headline
    assert _same_headlines(expected, headline(call())) == []
    benchmark.group = "patterns-10M"
    benchmark.pedantic(call, rounds=ROUNDS[PATTERN_RECORDS], iterations=1)
    keep_time("patterns-10M", contender, PATTERN_RECORDS, benchmark)


@pytest.mark.parametrize(("workload", "contender"), MEMORY_RUNS)
def test_peak_memory(benchmark: Any, workload: str, contender: str) -> None:
    def probe() -> dict[str, Any]:
        return memory.measure(contender, MEMORY_RECORDS, workload)

    benchmark.group = f"memory-10M-{workload}"
    result = benchmark.pedantic(probe, rounds=1, iterations=1)
    assert result["records"] == MEMORY_RECORDS
    assert result["added_bytes"] > 0
    benchmark.extra_info.update(result)
    MEMORY[f"10M-{workload}", contender] = result
