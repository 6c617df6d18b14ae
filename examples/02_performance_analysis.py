"""Example 2: performance analysis -- latency percentiles and health checks.

Three patterns with different latency profiles are reduced with only the
performance family switched on; each gets the percentile table and the health
checks of the replaced system's design doc:

- P95 < 500 ms: excellent; 500-1000 ms: needs attention; > 1000 ms: requires optimization
- P95 > 2 x P50: high variance, investigate outliers
- P99 > 1000 ms: critical

Percentiles are exact (numpy's default "linear" method) over the records that
carry an `execution_time_ms`.

Run:  python examples/02_performance_analysis.py
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    PerformanceMetrics,
    TimeWindowType,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=1)


def _latency_cache_lookup(rng: random.Random) -> float:
    """Fast and tight: log-normal around 40 ms."""
    return rng.lognormvariate(3.7, 0.3)


def _latency_search_api(rng: random.Random) -> float:
    """Usually ~250 ms, but one call in eight hits a cold shard (600-900 ms)."""
    if rng.random() < 0.125:
        return rng.uniform(600.0, 900.0)
    return max(50.0, rng.gauss(250.0, 40.0))


def _latency_report_export(rng: random.Random) -> float:
    """Slow everywhere: log-normal around 1.2 s."""
    return rng.lognormvariate(7.1, 0.35)


LATENCY_PROFILES = {
    "cache-lookup": _latency_cache_lookup,
    "search-api": _latency_search_api,
    "report-export": _latency_report_export,
}


def generate_executions(pattern: str, seed: int = 2, count: int = 400) -> list[dict[str, Any]]:
    """`count` executions of `pattern` over the last day, latencies from its profile."""
    rng = random.Random(f"{seed}-{pattern}")
    latency = LATENCY_PROFILES[pattern]
    return [
        {
            "timestamp": NOW - timedelta(seconds=rng.uniform(0, WINDOW.total_seconds())),
            "success": rng.random() < 0.97,
            "execution_time_ms": round(latency(rng), 2),
        }
        for _ in range(count)
    ]


def health_checks(perf: PerformanceMetrics) -> list[str]:
    """The design doc's performance checks, as printable verdicts."""
    verdicts = []
    if perf.p95_execution_time_ms < 500:
        verdicts.append("[OK]   P95 < 500 ms: excellent")
    elif perf.p95_execution_time_ms <= 1000:
        verdicts.append("[WARN] P95 500-1000 ms: needs attention")
    else:
        verdicts.append("[FAIL] P95 > 1000 ms: requires optimization")
    if perf.p95_execution_time_ms > 2 * perf.p50_execution_time_ms:
        verdicts.append("[WARN] P95 > 2 x P50: high variance, investigate outliers")
    if perf.p99_execution_time_ms > 1000:
        verdicts.append("[FAIL] P99 > 1 s: critical")
    return verdicts


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()
    for pattern in LATENCY_PROFILES:
        contract = ModelUsageAnalyticsInput(
            pattern_id=pattern,
            time_window_start=NOW - WINDOW,
            time_window_end=NOW,
            time_window_type=TimeWindowType.DAILY,
            include_trends=False,  # only what this example needs
            include_distribution=False,
            execution_data=generate_executions(pattern),
        )
        result = await reducer.execute_reduction(contract)
        perf = result.performance_metrics
        assert perf is not None  # include_performance defaults to True

        print(f"== {pattern} ({perf.sample_count} timed executions)")
        print(f"  avg    {perf.avg_execution_time_ms:9.2f} ms")
        print(f"  p50    {perf.p50_execution_time_ms:9.2f} ms")
        print(f"  p95    {perf.p95_execution_time_ms:9.2f} ms")
        print(f"  p99    {perf.p99_execution_time_ms:9.2f} ms")
        print(f"  min    {perf.min_execution_time_ms:9.2f} ms")
        print(f"  max    {perf.max_execution_time_ms:9.2f} ms")
        print(f"  std    {perf.std_dev_ms:9.2f} ms")
        print(f"  total  {perf.total_execution_time_ms / 1000:9.2f} s")
        for verdict in health_checks(perf):
            print(f"  {verdict}")
        print()


if __name__ == "__main__":
    asyncio.run(main())
