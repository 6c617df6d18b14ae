"""Example 3: trend detection -- growing, declining, stable, emerging, abandoned.

Five patterns with different 30-day histories are classified. With a MONTHLY
window the trend buckets are one day wide, so `velocity` is the slope of the
daily execution counts (executions/day, per day). The rules (defaults, all
configurable through `trend_thresholds`):

- ABANDONED: velocity <= -2 with < 5 executions, or no use in the last quarter
- EMERGING:  fewer than 10 executions
- GROWING / DECLINING: velocity > 0.5 / < -0.5, and the slope is significant
  (|t| >= 2: noise in a flat series is not a trend)
- STABLE: everything else

Run:  python examples/03_trend_detection.py
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    UsageTrendType,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DAYS = 30
START = NOW - timedelta(days=DAYS)

# Expected executions on day d (0 = first day of the window) for each pattern.
DAILY_SHAPES: dict[str, Callable[[int], float]] = {
    "growing": lambda d: 4 + 1.2 * d,  # +1.2 executions/day every day
    "declining": lambda d: 40 - 1.1 * d,  # -1.1 executions/day every day
    "stable": lambda d: 15.0,  # flat, only noise
    "emerging": lambda d: 2.0 if d >= DAYS - 3 else 0.0,  # a handful in the last days
    "abandoned": lambda d: 12.0 if d < 10 else 0.0,  # busy at first, then silence
}

ACTIONS = {
    UsageTrendType.GROWING: "invest in optimization and scaling",
    UsageTrendType.DECLINING: "investigate the reasons for the decline",
    UsageTrendType.STABLE: "keep as is",
    UsageTrendType.EMERGING: "watch: too new to call",
    UsageTrendType.ABANDONED: "mark for deprecation",
}


def generate_executions(shape: str, seed: int = 3) -> list[dict[str, Any]]:
    """Daily counts follow `DAILY_SHAPES[shape]` plus noise (sd = sqrt(mean), like
    Poisson counts); each execution falls at a random time of its day."""
    rng = random.Random(f"{seed}-{shape}")
    expected = DAILY_SHAPES[shape]
    agents = [f"dev-{i}" for i in range(6)]
    records = []
    for day in range(DAYS):
        mean = expected(day)
        count = max(0, round(rng.gauss(mean, mean**0.5))) if mean > 0 else 0
        for _ in range(count):
            offset = timedelta(days=day, seconds=rng.uniform(0, 86_399))
            records.append(
                {
                    "timestamp": START + offset,
                    "success": rng.random() < 0.95,
                    "execution_time_ms": round(rng.uniform(80, 400), 1),
                    "agent": rng.choice(agents),
                }
            )
    return records


async def analyse(reducer: NodeUsageAnalyticsReducer, shape: str) -> ModelUsageAnalyticsOutput:
    records = generate_executions(shape)
    contract = ModelUsageAnalyticsInput(
        pattern_id=f"pattern-{shape}",
        time_window_start=START,
        time_window_end=NOW,
        time_window_type=TimeWindowType.MONTHLY,
        include_performance=False,
        include_distribution=False,
        execution_data=records,
    )
    return await reducer.execute_reduction(contract)


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()
    print(f"Window: {START:%Y-%m-%d} .. {NOW:%Y-%m-%d} ({DAYS} daily buckets)")
    print()
    for shape in DAILY_SHAPES:
        result = await analyse(reducer, shape)
        trend = result.trend_analysis
        assert trend is not None  # include_trends defaults to True
        total = result.usage_metrics.total_executions
        print(
            f"pattern-{shape:<10} trend={trend.trend_type.value:<9} "
            f"executions={total:<4} velocity={trend.velocity:+7.3f}/day/day "
            f"significant={trend.velocity_significant}"
        )
        print(
            f"    acceleration={trend.acceleration:+.3f}  growth={trend.growth_percentage:+.1f}%  "
            f"retention={trend.retention_rate:.2f}  churn={trend.churn_rate:.2f}  "
            f"confidence={trend.confidence_score:.2f}"
        )
        print(f"    action: {ACTIONS[trend.trend_type]}")


if __name__ == "__main__":
    asyncio.run(main())
