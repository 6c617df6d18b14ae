"""Example 6: comparing patterns -- several analyses at once, side by side.

One reducer is shared by all tasks (it holds no state) and the analyses run
concurrently with `asyncio.gather`, as a dashboard orchestrator would run them.
Large inputs are reduced on a worker thread, so the event loop keeps serving
other work meanwhile.

Run:  python examples/06_comparing_patterns.py
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DAYS = 14
START = NOW - timedelta(days=DAYS)


@dataclass(frozen=True)
class Profile:
    """How a simulated pattern behaves."""

    first_day_rate: float  # executions per day at the start of the window
    daily_change: float  # added to the rate every day
    success_rate: float
    median_ms: float


PROFILES = {
    "auth-token-refresh": Profile(180, 0.0, 0.995, 35),
    "search-suggestions": Profile(60, 6.0, 0.97, 120),
    "pdf-report": Profile(90, -5.5, 0.88, 1400),
    "bulk-import": Profile(25, 0.0, 0.72, 3200),
}


def generate_executions(name: str, seed: int = 6) -> list[dict[str, Any]]:
    """Daily counts from the pattern's profile; latencies log-normal around its median."""
    profile = PROFILES[name]
    rng = random.Random(f"{seed}-{name}")
    records = []
    for day in range(DAYS):
        mean = max(0.0, profile.first_day_rate + profile.daily_change * day)
        for _ in range(max(0, round(rng.gauss(mean, mean**0.5)))):
            records.append(
                {
                    "timestamp": START + timedelta(days=day, seconds=rng.uniform(0, 86_399)),
                    "success": rng.random() < profile.success_rate,
                    "execution_time_ms": round(profile.median_ms * rng.lognormvariate(0, 0.45), 1),
                    "agent": f"svc-{rng.randrange(5)}",
                }
            )
    return records


async def analyse(
    reducer: NodeUsageAnalyticsReducer, name: str, records: list[dict[str, Any]]
) -> ModelUsageAnalyticsOutput:
    contract = ModelUsageAnalyticsInput(
        pattern_id=name,
        time_window_start=START,
        time_window_end=NOW,
        time_window_type=TimeWindowType.CUSTOM,
        bucket_width=timedelta(days=1),  # CUSTOM would pick 6 h buckets for 14 days
        include_distribution=False,
        execution_data=records,
    )
    return await reducer.execute_reduction(contract)


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()  # one instance, shared by every task
    datasets = {name: generate_executions(name) for name in PROFILES}
    results = await asyncio.gather(
        *(analyse(reducer, name, records) for name, records in datasets.items())
    )

    header = f"{'pattern':<20} {'runs':>6} {'/day':>7} {'success':>8} {'p95 ms':>8} trend"
    print(header)
    print("-" * len(header))
    for result in results:
        perf, trend = result.performance_metrics, result.trend_analysis
        assert perf is not None
        assert trend is not None
        print(
            f"{result.pattern_id!s:<20} {result.usage_metrics.total_executions:>6} "
            f"{result.usage_metrics.executions_per_day:>7.1f} "
            f"{result.success_metrics.success_rate:>8.1%} "
            f"{perf.p95_execution_time_ms:>8.1f} "
            f"{trend.trend_type.value:<10} {trend.velocity:+.2f}/day/day"
        )

    print()
    busiest = max(results, key=lambda r: r.usage_metrics.total_executions)
    least_reliable = min(results, key=lambda r: r.success_metrics.success_rate)
    slowest = max(
        results,
        key=lambda r: r.performance_metrics.p95_execution_time_ms if r.performance_metrics else 0,
    )
    print(f"Busiest:        {busiest.pattern_id}")
    print(f"Least reliable: {least_reliable.pattern_id}")
    print(f"Slowest (p95):  {slowest.pattern_id}")


if __name__ == "__main__":
    asyncio.run(main())
