"""The async front: never blocks the loop on large input, concurrent calls are exact."""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _records(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {
            "timestamp": NOW - timedelta(seconds=rng.randrange(30 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.expovariate(1 / 120),
            "quality_score": rng.random(),
            "agent": f"agent-{rng.randrange(7)}",
            "context_type": rng.choice(["debugging", "testing"]),
            "file_path": rng.choice(["a.py", "b.rs", "Makefile"]),
        }
        for _ in range(n)
    ]


def _contract(records: list[dict[str, object]], pattern: str) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id=pattern,
        time_window_start=NOW - timedelta(days=30),
        time_window_end=NOW,
        execution_data=records,
    )


def _metrics(result: object) -> dict[str, object]:
    dumped = result.model_dump()  # type: ignore[attr-defined]
    return {k: v for k, v in dumped.items() if k not in {"computation_time_ms", "computed_at"}}


async def test_large_input_lets_the_event_loop_run() -> None:
    reducer = NodeUsageAnalyticsReducer()
    records = _records(300_000, seed=1)
    assert len(records) > reducer.INLINE_MAX_RECORDS
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let the ticker start
    before = ticks
    result = await reducer.execute_reduction(_contract(records, "big"))
    done.set()
    await ticking
    assert result.usage_metrics.total_executions == 300_000
    # A blocked loop would not tick at all while the records are read and reduced.
    assert ticks - before >= 3


async def test_concurrent_awaits_equal_sequential_results() -> None:
    reducer = NodeUsageAnalyticsReducer()
    inputs = [_contract(_records(n, seed=n), f"p{n}") for n in (10, 5_000, 20_000, 40_000)]
    sequential = [_metrics(reducer.execute_reduction_sync(c)) for c in inputs]
    concurrent = await asyncio.gather(*(reducer.execute_reduction(c) for c in inputs * 2))
    assert [_metrics(r) for r in concurrent] == sequential * 2


def test_one_reducer_shared_by_threads() -> None:
    reducer = NodeUsageAnalyticsReducer()
    contract = _contract(_records(20_000, seed=3), "shared")
    expected = _metrics(reducer.execute_reduction_sync(contract))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: reducer.execute_reduction_sync(contract), range(8)))
    assert all(_metrics(r) == expected for r in results)
