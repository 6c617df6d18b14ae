"""examples/service.py under load, in-process over ASGI (httpx's transport; no server):

1. `POST /analytics` of 100,000 records in one JSON body (13 MB): its wall time, and
   the time between answers of `GET /health` polled meanwhile: the event loop's stalls.
2. 50 requests of every endpoint (tests/test_example_service_concurrency.py's mix), at
   once and one by one: wall times, and `/health`'s answers meanwhile.
3. A client that disconnects 0.5 s into a reduction of 864,000 trend buckets: the CPU
   seconds the process spends until the request's call returns, with the service's
   `unless_gone` and without it (the peer: the request's task left to run, as ASGI
   servers leave it), against the whole request's.

    PYTHONPATH=python:tests .venv/bin/python benches/service_load.py
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from example_scripts import EXAMPLES, load_script
from source_cases import NOW, demo_rows
from test_example_service_concurrency import requests
from usage_analytics.sources.sqlite_table import write_executions_sync

SERVICE = load_script("example_service", EXAMPLES / "service.py")


def big_body(count: int) -> bytes:
    records = [
        {
            "timestamp": f"2026-03-0{1 + i % 2}T{i % 24:02d}:{i % 60:02d}:00Z",
            "success": i % 10 != 0,
            "execution_time_ms": (i * 7919) % 5000 / 10,
            "quality_score": (i % 100) / 100,
            "context": f"context-{i % 7}",
        }
        for i in range(count)
    ]
    document = {
        "pattern_id": "p",
        "time_window_start": "2026-02-28T00:00:00Z",
        "time_window_end": "2026-03-03T00:00:00Z",
        "execution_data": records,
    }
    return json.dumps(document).encode()


async def with_health(client: httpx.AsyncClient, work: Callable[[], Awaitable[Any]]) -> str:
    """`work()`'s wall time, and `/health` asked again 2 ms after each answer while it
    runs: the median and largest time between answers (a request's latency alone misses
    a stall of the loop that falls in the 2 ms wait)."""
    answered: list[float] = []
    done = asyncio.Event()

    async def poll() -> None:
        while not done.is_set():
            await client.get("/health")
            answered.append(time.perf_counter())
            await asyncio.sleep(0.002)

    poller = asyncio.ensure_future(poll())
    began = time.perf_counter()
    await work()
    wall = time.perf_counter() - began
    done.set()
    await poller
    gaps = sorted(after - before for before, after in itertools.pairwise([began, *answered]))
    return (
        f"{wall:6.2f} s; /health answered {len(gaps)} times, every "
        f"{statistics.median(gaps) * 1e3:5.1f} ms (median), at worst {gaps[-1] * 1e3:6.1f} ms"
    )


async def load(database: Path) -> None:
    transport = httpx.ASGITransport(app=SERVICE.create_app(database, now=lambda: NOW))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=600) as c:
        body = big_body(100_000)
        headers = {"content-type": "application/json"}

        async def post() -> None:
            response = await c.post("/analytics", content=body, headers=headers)
            assert response.status_code == 200, response.text

        for _ in range(3):
            shown = await with_health(c, post)
            print(f"POST of 100,000 records ({len(body) / 1e6:.1f} MB): {shown}")

        async def one(method: str, path: str, options: dict[str, Any]) -> None:
            response = await c.request(method, path, **options)
            assert response.status_code == 200, response.text

        async def together() -> None:
            await asyncio.gather(*(one(*request) for request in requests()))

        async def alone() -> None:
            for request in requests():
                await one(*request)

        await alone()  # (warm: imports, the store's tables; then the store serves the GETs)
        for _ in range(2):
            print(f"50 requests at once:   {await with_health(c, together)}")
            print(f"50 requests in turn:   {await with_health(c, alone)}")


def held_body() -> bytes:
    records = [
        {"timestamp": f"2026-03-01T{h:02d}:00:00Z", "success": True, "execution_time_ms": 5.0}
        for h in range(24)
    ]
    document = {
        "pattern_id": "p",
        "time_window_start": "2026-02-20T00:00:00Z",
        "time_window_end": "2026-03-02T00:00:00Z",
        "execution_data": records,
        "granularity": "comprehensive",
        "include_predictions": True,
        "bucket_width": "PT1S",
    }
    return json.dumps(document).encode()


async def cut(database: Path, leave_after: float | None) -> tuple[float, float]:
    """CPU and wall seconds from the client's leaving (or the start, for None) to the
    return of the request's call."""
    app = SERVICE.create_app(database, now=lambda: NOW)
    body = held_body()
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/analytics",
        "raw_path": b"/analytics",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    call = asyncio.ensure_future(app(scope, receive, send))
    if leave_after is not None:
        await asyncio.sleep(leave_after)
        gone.set()
    cpu, wall = time.process_time(), time.perf_counter()
    await call
    return time.process_time() - cpu, time.perf_counter() - wall


async def disconnects(database: Path) -> None:
    whole = await cut(database, None)
    print(f"whole request (864,000 buckets): {whole[0]:6.2f} CPU s, {whole[1]:6.2f} s")
    gone = await cut(database, 0.5)
    print(f"client gone at 0.5 s, unless_gone: {gone[0]:6.2f} CPU s after, {gone[1]:6.2f} s")
    service: Any = SERVICE  # (a module loaded from a path: its names are not known)
    kept = service.unless_gone

    async def left_running(request: Any, work: Awaitable[Any]) -> Any:
        return await work

    service.unless_gone = left_running
    try:
        peer = await cut(database, 0.5)
    finally:
        service.unless_gone = kept
    print(f"client gone at 0.5 s, left to run: {peer[0]:6.2f} CPU s after, {peer[1]:6.2f} s")
    print(f"CPU after the client left, left to run / unless_gone: {peer[0] / gone[0]:.0f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "usage.sqlite"
        write_executions_sync(database, demo_rows())
        asyncio.run(load(database))
        asyncio.run(disconnects(database))


if __name__ == "__main__":
    main()
