"""What a 200's `response_model` costs examples/service.py: a pattern's analytics written
as the service writes them (a `JSONResponse` of `to_dict()`, the model only documenting
the schema) against FastAPI validating `to_dict()` through the `AnalyticsDocument`
response model and writing the model (FastAPI's way when an endpoint returns data), for
outputs of 1 to 100,000 trend buckets; the reduction's own time beside them. In-process
over ASGI (httpx's transport), the two routes in one app and raced in turns.

    PYTHONPATH=python:tests .venv/bin/python benches/service_response_model.py
"""

from __future__ import annotations

import asyncio
import statistics
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from example_scripts import EXAMPLES, load_script
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from timing import timed, timed_awaited
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)

SERVICE: Any = load_script("example_service", EXAMPLES / "service.py")
START = datetime(2026, 1, 1, tzinfo=UTC)
ROUNDS = 5


def result(buckets: int) -> tuple[ModelUsageAnalyticsOutput, float]:
    """A COMPREHENSIVE result of `buckets` trend buckets of a minute, and the reduction's
    seconds (the best of three)."""
    records = [
        {"timestamp": START + timedelta(minutes=i * 7 % buckets), "success": i % 9 != 0}
        for i in range(20_000)
    ]
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=START + timedelta(minutes=buckets),
        granularity=AnalyticsGranularity.COMPREHENSIVE,
        bucket_width=timedelta(minutes=1),
        execution_data=records,
    )
    reducer, seconds = NodeUsageAnalyticsReducer(), []
    for _ in range(3):
        took, output = timed(partial(reducer.execute_reduction_sync, contract))
        seconds.append(took.wall)
    return output, min(seconds)


def app_of(output: ModelUsageAnalyticsOutput) -> FastAPI:
    app = FastAPI()

    @app.get("/written", response_model=SERVICE.AnalyticsDocument)
    async def written() -> Any:
        return JSONResponse(output.to_dict())  # (the service's way)

    @app.get("/validated", response_model=SERVICE.AnalyticsDocument)
    async def validated() -> Any:
        return output.to_dict()

    return app


async def race(app: FastAPI) -> dict[str, float]:
    """Each route's median seconds over `ROUNDS` turns, the two asked in turn."""
    seconds: dict[str, list[float]] = {"/written": [], "/validated": []}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        bodies = {path: (await client.get(path)).json() for path in seconds}
        assert bodies["/written"] == bodies["/validated"]  # (the same answer)
        for _ in range(ROUNDS):
            for path, times in seconds.items():
                took, response = await timed_awaited(partial(client.get, path))
                times.append(took.wall)
                assert response.status_code == 200
    return {path: statistics.median(times) for path, times in seconds.items()}


def main() -> None:
    print("| trend buckets | reduction | to_dict() written | validated by response_model | ratio |")
    print("|---|---|---|---|---|")
    for buckets in (1, 1_000, 10_000, 100_000):
        output, reduced = result(buckets)
        times = asyncio.run(race(app_of(output)))
        written, validated = times["/written"], times["/validated"]
        print(
            f"| {buckets:,} | {reduced * 1000:.1f} ms | {written * 1000:.1f} ms "
            f"| {validated * 1000:.1f} ms | {validated / written:.1f}x |"
        )


if __name__ == "__main__":
    main()
