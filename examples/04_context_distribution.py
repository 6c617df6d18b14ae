"""Example 4: context distribution -- who uses a pattern, where, and when.

Four weeks of executions by several teams across projects and file types. The
context distribution answers the design doc's team/project questions: top
agents, top projects, peak hours, busiest weekdays, file types.

Dictionaries keyed by name come ordered by count (most used first, ties by
name), hours and weekdays (0 = Monday) by key. Calendar fields are computed in
UTC unless the request names an IANA time zone, as the last section shows.

Run:  python examples/04_context_distribution.py
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import (
    ContextDistribution,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, 00:00 UTC
DAYS = 28
START = NOW - timedelta(days=DAYS)
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# (value, weight): who, where and what.
AGENTS = [
    ("team-platform", 40),
    ("team-payments", 25),
    ("team-search", 15),
    ("team-mobile", 10),
    ("team-data", 6),
    ("team-infra", 4),
]
PROJECTS = [("checkout", 45), ("storefront", 30), ("analytics", 15), ("tooling", 10)]
CONTEXTS = [("code_review", 50), ("debugging", 30), ("refactoring", 20)]
FILES = [
    ("src/payments/charge.py", 30),
    ("web/components/Cart.tsx", 20),
    ("web/pages/index.ts", 10),
    ("docs/runbook.md", 8),
    ("infra/main.tf", 7),
    ("Makefile", 5),  # no extension: counted as "unknown"
    (r"tools\release\bump.ps1", 5),  # Windows separators work too
]
# Work happens 08:00-17:59 UTC, busiest mid-morning and mid-afternoon.
HOUR_WEIGHTS = {8: 4, 9: 8, 10: 12, 11: 10, 12: 5, 13: 7, 14: 11, 15: 9, 16: 6, 17: 3}


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


def generate_executions(seed: int = 4, count: int = 600) -> list[dict[str, Any]]:
    """`count` executions over four weeks, mostly on weekdays in working hours."""
    rng = random.Random(seed)
    hours, hour_weights = list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values())
    records: list[dict[str, Any]] = []
    while len(records) < count:
        day = START + timedelta(days=rng.randrange(DAYS))
        if day.weekday() >= 5 and rng.random() < 0.85:
            continue  # weekends are quiet
        hour = rng.choices(hours, hour_weights)[0]
        records.append(
            {
                "timestamp": day + timedelta(hours=hour, seconds=rng.uniform(0, 3599)),
                "success": rng.random() < 0.9,
                "execution_time_ms": round(rng.uniform(50, 900), 1),
                "agent": _pick(rng, AGENTS),
                "project": _pick(rng, PROJECTS),
                "context_type": _pick(rng, CONTEXTS),
                "file_path": _pick(rng, FILES),
            }
        )
    return records


def top(counts: dict[Any, int], n: int) -> list[tuple[Any, int]]:
    return sorted(counts.items(), key=lambda item: item[1], reverse=True)[:n]


def print_report(dist: ContextDistribution, total: int) -> None:
    print("Top agents:")
    for agent, count in top(dist.by_agent, 5):
        print(f"  {agent:<14} {count:4d} executions ({count / total:.0%})")
    print("Projects:")
    for project, count in dist.by_project.items():  # already ordered by count
        print(f"  {project:<14} {count:4d}")
    print("Context types:")
    for context, count in dist.by_context_type.items():
        print(f"  {context:<14} {count:4d}")
    print("File types:")
    for extension, count in dist.by_file_type.items():
        print(f"  {extension:<14} {count:4d}")
    print("Peak hours (UTC):")
    for hour, count in top(dist.by_time_of_day, 3):
        print(f"  {hour:02d}:00 - {count} executions")
    print("By weekday:")
    for weekday, count in dist.by_day_of_week.items():
        print(f"  {WEEKDAYS[weekday]} {count:4d} {'#' * (count // 5)}")


def make_contract(records: list[dict[str, Any]], zone: str = "UTC") -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="payment-retry-helper",
        time_window_start=START,
        time_window_end=NOW,
        time_window_type=TimeWindowType.MONTHLY,
        include_trends=False,
        timezone=zone,
        execution_data=records,
    )


async def main() -> None:
    reducer = NodeUsageAnalyticsReducer()
    records = generate_executions()
    result = await reducer.execute_reduction(make_contract(records))
    dist = result.context_distribution
    assert dist is not None  # DETAILED granularity with include_distribution=True
    total = result.usage_metrics.total_executions
    print(f"{total} executions, {START:%Y-%m-%d} .. {NOW:%Y-%m-%d}")
    print()
    print_report(dist, total)

    # The same records seen from a team in New York: hours (and weekdays) move.
    local = await reducer.execute_reduction(make_contract(records, "America/New_York"))
    assert local.context_distribution is not None
    print()
    print("Peak hours (America/New_York):")
    for hour, count in top(local.context_distribution.by_time_of_day, 3):
        print(f"  {hour:02d}:00 - {count} executions")


if __name__ == "__main__":
    asyncio.run(main())
