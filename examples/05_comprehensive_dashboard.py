"""Example 5: a comprehensive dashboard -- every metric family, the per-bucket
time series and a prediction.

COMPREHENSIVE granularity adds, on top of DETAILED, `trend_analysis.time_series`
(one bucket per trend bucket: here one per day of a 30-day MONTHLY window) and
`trend_analysis.predictions`: the straight trend line extended over the next
window of the same length (experimental, as in the replaced system: a line,
not a forecast model).

Run:  python examples/05_comprehensive_dashboard.py
"""

from __future__ import annotations

import asyncio
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DAYS = 30
START = NOW - timedelta(days=DAYS)


def generate_executions(seed: int = 5) -> list[dict[str, Any]]:
    """Adoption growing ~1.3 executions/day per day, with quieter weekends and new
    agents joining over the month."""
    rng = random.Random(seed)
    records = []
    for day in range(DAYS):
        date = START + timedelta(days=day)
        mean = (8 + 1.5 * day) * (0.5 if date.weekday() >= 5 else 1.0)
        count = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        team_size = 3 + day // 5  # one more agent every five days
        for _ in range(count):
            success = rng.random() < 0.94
            records.append(
                {
                    "timestamp": date + timedelta(seconds=rng.uniform(0, 86_399)),
                    "success": success,
                    "execution_time_ms": round(rng.lognormvariate(5.0, 0.5), 1),
                    "quality_score": round(rng.uniform(0.7, 1.0), 3),
                    "quality_gates_passed": success,
                    "context_type": rng.choice(["api", "batch", "ui"]),
                    "agent": f"agent-{rng.randrange(team_size):02d}",
                    "project": rng.choice(["core", "web"]),
                    "file_path": rng.choice(["app/handlers.py", "web/app.ts", "README.md"]),
                }
            )
    return records


def print_dashboard(result: ModelUsageAnalyticsOutput) -> None:
    usage, success = result.usage_metrics, result.success_metrics
    perf, trend, dist = (
        result.performance_metrics,
        result.trend_analysis,
        result.context_distribution,
    )
    assert perf is not None
    assert trend is not None
    assert dist is not None
    assert trend.time_series is not None
    assert trend.predictions is not None

    print(f"=== Dashboard: {result.pattern_id} ({result.granularity.value}) ===")
    print(f"Window:       {result.time_window_start:%Y-%m-%d} .. {result.time_window_end:%Y-%m-%d}")
    print(f"Executions:   {usage.total_executions} ({usage.executions_per_day:.1f}/day)")
    print(f"Agents:       {usage.unique_users}   contexts: {usage.unique_contexts}")
    print(
        f"Success rate: {success.success_rate:.1%}   avg quality: {success.avg_quality_score:.2f}"
    )
    print(
        f"Latency:      p50 {perf.p50_execution_time_ms:.1f} ms   "
        f"p95 {perf.p95_execution_time_ms:.1f} ms   p99 {perf.p99_execution_time_ms:.1f} ms"
    )
    print(
        f"Trend:        {trend.trend_type.value}, velocity {trend.velocity:+.2f}/day/day, "
        f"growth {trend.growth_percentage:+.1f}%"
    )
    print(
        f"Adoption:     retention {trend.retention_rate:.0%}, "
        f"adoption {trend.adoption_rate:.1f} new/week"
    )
    print(f"Top project:  {next(iter(dist.by_project))}")
    print()

    print(f"Time series ({trend.bucket_count} buckets of {trend.bucket_width_seconds / 3600:g} h):")
    peak = max(bucket.executions for bucket in trend.time_series) or 1
    for bucket in trend.time_series:
        bar = "#" * round(40 * bucket.executions / peak)
        print(f"  {bucket.start:%a %m-%d} {bucket.executions:4d} {bar}")
    print()

    prediction = trend.predictions
    print(
        f"Prediction (next {prediction.horizon_days:g} days): "
        f"{prediction.predicted_daily_rate:.1f}/day, "
        f"{prediction.predicted_executions:.0f} executions"
    )
    print(
        f"Quality:      analytics quality {result.analytics_quality_score:.2f}, "
        f"trend confidence {trend.confidence_score:.2f}, "
        f"computed in {result.computation_time_ms:.1f} ms"
    )


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()
    contract = ModelUsageAnalyticsInput(
        pattern_id="invoice-generator",
        time_window_start=START,
        time_window_end=NOW,
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.COMPREHENSIVE,
        execution_data=generate_executions(),
    )
    print_dashboard(await reducer.execute_reduction(contract))


if __name__ == "__main__":
    asyncio.run(main())
