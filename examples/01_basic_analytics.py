"""Example 1: basic analytics -- how often a pattern runs, and how well.

A week of executions of one pattern (what a service would fetch from its database,
e.g. with `usage_analytics.sources.open_source`) goes into one `execute_reduction`
call; the output's usage and success metrics answer "is it used?" and "does it work?".

Run:  python examples/01_basic_analytics.py
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

# A fixed "now" keeps the output reproducible. In a service, use datetime.now(UTC).
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)

AGENTS = ["agent-alice", "agent-bob", "agent-carol", "agent-dave"]
CONTEXTS = ["debugging", "code_review", "refactoring"]


def generate_executions(seed: int = 1, count: int = 240) -> list[dict[str, Any]]:
    """`count` executions spread over the last week: ~92% succeed, latencies are
    log-normal around 200 ms, failures score lower and sometimes time out."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        success = rng.random() < 0.92
        records.append(
            {
                "execution_id": f"exec-{i:04d}",
                "timestamp": NOW - timedelta(seconds=rng.uniform(0, WINDOW.total_seconds())),
                "success": success,
                "execution_time_ms": round(rng.lognormvariate(5.3, 0.4), 1),
                "quality_score": round(
                    rng.uniform(0.75, 0.98) if success else rng.uniform(0.3, 0.6), 3
                ),
                "quality_gates_passed": success or rng.random() < 0.5,
                "timeout": not success and rng.random() < 0.3,
                "context_type": rng.choice(CONTEXTS),
                "agent": rng.choice(AGENTS),
            }
        )
    return records


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()
    records = generate_executions()

    contract = ModelUsageAnalyticsInput(
        pattern_id="code-review-assist",  # a UUID works too
        time_window_start=NOW - WINDOW,
        time_window_end=NOW,
        time_window_type=TimeWindowType.WEEKLY,
        granularity=AnalyticsGranularity.DETAILED,
        execution_data=records,
    )
    result = await reducer.execute_reduction(contract)

    usage = result.usage_metrics
    success = result.success_metrics
    print(f"Pattern {result.pattern_id}: {NOW - WINDOW:%Y-%m-%d} .. {NOW:%Y-%m-%d}")
    print()
    print("Usage")
    print(f"  Total executions:      {usage.total_executions}")
    print(f"  Executions per day:    {usage.executions_per_day:.2f}")
    print(f"  Executions per week:   {usage.executions_per_week:.2f}")
    print(f"  Unique contexts:       {usage.unique_contexts}")
    print(f"  Unique agents:         {usage.unique_users}")
    print(f"  Peak daily usage:      {usage.peak_daily_usage}")
    print(f"  Hours since last use:  {usage.time_since_last_use:.2f}")
    print()
    print("Success")
    print(f"  Successes:             {success.success_count}")
    print(f"  Failures:              {success.failure_count}")
    print(f"  Success rate:          {success.success_rate:.1%}")
    print(f"  Error rate:            {success.error_rate:.1%}")
    print(f"  Timeouts:              {success.timeout_count}")
    print(f"  Quality gate failures: {success.quality_gate_failures}")
    print(f"  Avg quality score:     {success.avg_quality_score:.3f}")
    print()
    print(f"Records received:        {result.total_data_points}")
    print(f"Analytics quality score: {result.analytics_quality_score:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
