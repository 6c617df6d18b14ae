"""examples/service.py under concurrent requests and clients that leave: 50 requests at
once answer as the same requests one by one, the event loop answers `/health` while
reductions are awaited, and a client that disconnects has its reduction cancelled rather
than left burning a core for nobody. (The latencies are measured, not asserted, by
benches/service_load.py.)"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from example_scripts import EXAMPLES, load_script
from source_cases import GROWING, NOW, PATTERN_IDS, comparable, demo_rows
from usage_analytics import NodeUsageAnalyticsReducer
from usage_analytics.sources.sqlite_table import write_executions_sync


def app_over(database: Path) -> Any:
    return load_script("example_service", EXAMPLES / "service.py").create_app(
        database, now=lambda: NOW
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "usage.sqlite"
    write_executions_sync(path, demo_rows())
    return path


def requests() -> list[tuple[str, str, dict[str, Any]]]:
    """50 requests: every endpoint, windows of 1 to 30 days, records of 1 to 16 days."""
    made: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(50):
        end = (NOW - timedelta(hours=7 * i)).isoformat()
        if i % 5 == 0:
            made.append(("GET", "/dashboard", {"params": {"window": f"{1 + i % 30}d", "end": end}}))
        elif i % 5 in (1, 2):
            pattern = PATTERN_IDS[i % len(PATTERN_IDS)]
            params = {"window": f"{1 + i % 30}d", "end": end}
            made.append(("GET", f"/patterns/{pattern}/analytics", {"params": params}))
        else:
            records = [
                {"timestamp": (NOW - timedelta(hours=h)).isoformat(), "success": h % (2 + i) != 0}
                for h in range(24 * (1 + i % 16))
            ]
            document = {
                "pattern_id": f"posted-{i}",
                "time_window_start": (NOW - timedelta(days=20)).isoformat(),
                "time_window_end": NOW.isoformat(),
                "execution_data": records,
            }
            made.append(("POST", "/analytics", {"json": document}))
    return made


async def answers(app: Any, concurrently: bool) -> list[Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def one(method: str, path: str, options: dict[str, Any]) -> Any:
            response = await client.request(method, path, **options)
            assert response.status_code == 200, response.text
            document = response.json()
            return document if path == "/dashboard" else comparable(document)

        if concurrently:
            return await asyncio.gather(*(one(*request) for request in requests()))
        return [await one(*request) for request in requests()]


async def test_fifty_concurrent_requests_answer_as_one_by_one(
    database: Path, tmp_path: Path
) -> None:
    # (Two copies of the database: the second run would be served the first's results.)
    other = tmp_path / "other.sqlite"
    shutil.copy(database, other)
    together = await answers(app_over(database), concurrently=True)
    alone = await answers(app_over(other), concurrently=False)
    assert together == alone
    assert any(GROWING in json.dumps(document) for document in together)


def held_reductions(
    monkeypatch: pytest.MonkeyPatch, expected: int = 1
) -> tuple[asyncio.Event, list[str]]:
    """Every reduction made to wait (until cancelled) once it has begun: `begun` is set
    when `expected` have; `outcomes` says how each ended."""
    begun, outcomes, count = asyncio.Event(), [], [0]

    async def held(self: NodeUsageAnalyticsReducer, contract: Any) -> Any:
        count[0] += 1
        if count[0] >= expected:
            begun.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcomes.append("cancelled")
            raise

    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_reduction", held)
    return begun, outcomes


async def test_health_is_answered_while_fifty_reductions_are_awaited(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun, _ = held_reductions(monkeypatch)
    transport = httpx.ASGITransport(app=app_over(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        pending = [
            asyncio.ensure_future(client.request(method, path, **options))
            for method, path, options in requests()
        ]
        await asyncio.wait_for(begun.wait(), 10)
        health = await asyncio.wait_for(client.get("/health"), 10)
        assert health.json() == {"status": "ok"}
        assert not any(request.done() for request in pending)
        for request in pending:
            request.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def asgi_scope(method: str, path: str, query: bytes) -> dict[str, Any]:
    """An HTTP request's ASGI scope."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", f"/patterns/{GROWING}/analytics", b"window=7d", b""),
        ("GET", "/dashboard", b"window=30d", b""),
        (
            "POST",
            "/analytics",
            b"",
            json.dumps(
                {
                    "pattern_id": "p",
                    "time_window_start": "2026-02-01T00:00:00Z",
                    "time_window_end": "2026-03-01T00:00:00Z",
                    "execution_data": [{"timestamp": "2026-02-02T00:00:00Z", "success": True}],
                }
            ).encode(),
        ),
    ],
    ids=["pattern", "dashboard", "records"],
)
async def test_a_client_that_disconnects_has_its_reductions_cancelled(
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    query: bytes,
    body: bytes,
) -> None:
    # ASGI servers do not cancel a request's task when its client goes: a reduction of a
    # million trend buckets went on for its whole length (seconds of a core), for nobody.
    expected = len(PATTERN_IDS) if path == "/dashboard" else 1
    begun, outcomes = held_reductions(monkeypatch, expected)
    scope = asgi_scope(method, path, query)
    # (The body, then, once `gone` is set, the client's disconnect, as uvicorn tells an
    # app of a closed connection.)
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    gone = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    call = asyncio.ensure_future(app_over(database)(scope, receive, send))
    await asyncio.wait_for(begun.wait(), 10)
    gone.set()
    await asyncio.wait_for(call, 10)
    assert outcomes == ["cancelled"] * expected
    assert sent[0]["status"] == 499
