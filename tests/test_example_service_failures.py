"""examples/service.py's answers for failures that are not the request's: memory running
short is a 503 with `Retry-After`, the library's own fault (`InternalError`), a missing
optional dependency and any other error are 500s, each with the `Problem` body the OpenAPI
schema lists. `POST /analytics` answered 422 to the library's internal errors (a
`UsageAnalyticsError`, as its refusals are), telling the client to fix a request that was
fine, and every endpoint answered a bare text/plain 500 to a `MemoryError`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from child import run_python
from example_scripts import EXAMPLES, load_script
from fastapi.testclient import TestClient
from source_cases import GROWING, NOW, demo_rows
from usage_analytics import InternalError, UsageAnalyticsError, _core
from usage_analytics.extras import missing_extra
from usage_analytics.sources.sqlite_table import write_executions_sync

TESTS = Path(__file__).resolve().parent

BODY = {
    "pattern_id": "p",
    "time_window_start": "2026-02-01T00:00:00Z",
    "time_window_end": "2026-03-01T00:00:00Z",
    "execution_data": [{"timestamp": "2026-02-02T00:00:00Z", "success": True}],
}

#: A request of each endpoint that reduces records.
REQUESTS = [
    ("POST", "/analytics", {"json": BODY}),
    ("GET", f"/patterns/{GROWING}/analytics", {"params": {"window": "7d"}}),
    ("GET", "/dashboard", {"params": {"window": "7d"}}),
]
IDS = ["records", "pattern", "dashboard"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "usage.sqlite"
    write_executions_sync(path, demo_rows())
    service = load_script("example_service", EXAMPLES / "service.py")
    app = service.create_app(path, now=lambda: NOW)
    # (An error no handler takes is raised again by Starlette for the server to log: the
    # test client would raise it rather than give the answer sent.)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def core_raising(monkeypatch: pytest.MonkeyPatch, error: Callable[[], BaseException]) -> None:
    """The core's reductions (of records and of Arrow data) raising `error()`."""

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise error()

    monkeypatch.setattr(_core, "reduce_records", failing)
    monkeypatch.setattr(_core, "reduce_arrow", failing)


def problem(response: Any, status: int) -> str:
    """The `detail` of a `Problem` answer of `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["detail"]
    assert isinstance(body["detail"], str)
    detail: str = body["detail"]
    return detail


INTERNAL = "internal error in usage-analytics (please report): a broken invariant"


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=IDS)
def test_an_internal_error_of_the_library_is_a_500_in_its_words(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    core_raising(monkeypatch, lambda: InternalError(INTERNAL))
    response = client.request(method, path, **options)
    assert problem(response, 500) == INTERNAL


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=IDS)
def test_a_missing_dependency_is_a_500_naming_it(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    core_raising(monkeypatch, lambda: missing_extra("reading the records", "arrow", "pyarrow"))
    response = client.request(method, path, **options)
    assert "needs pyarrow: pip install 'usage-analytics[arrow]'" in problem(response, 500)


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=IDS)
def test_memory_running_short_is_a_503_with_retry_after(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    words = "out of memory: the trend buckets (8,000,000 bytes)"
    core_raising(monkeypatch, lambda: MemoryError(words))
    response = client.request(method, path, **options)
    assert problem(response, 503) == words
    assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS, ids=IDS)
def test_any_other_error_is_a_500_problem_without_its_words(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    # (Starlette's own answer was text/plain "Internal Server Error".)
    core_raising(monkeypatch, lambda: RuntimeError("a secret of the server's"))
    response = client.request(method, path, **options)
    assert problem(response, 500) == "internal server error"


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS[1:], ids=IDS[1:])
def test_the_database_records_refused_is_a_500_not_a_422(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    # (The client sent no records: a refusal of the database's is the service's failure.)
    core_raising(monkeypatch, lambda: UsageAnalyticsError("columns have different lengths"))
    response = client.request(method, path, **options)
    assert problem(response, 500) == "columns have different lengths"


def test_a_refusal_of_the_body_stays_a_422(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    core_raising(monkeypatch, lambda: UsageAnalyticsError("columns have different lengths"))
    response = client.post("/analytics", json=BODY)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["msg"]) == (["body"], "columns have different lengths")


@pytest.mark.parametrize(
    ("path", "method"),
    [("/analytics", "post"), ("/patterns/{pattern_id}/analytics", "get"), ("/dashboard", "get")],
)
def test_the_schema_lists_the_500_and_the_503_with_retry_after(
    client: TestClient, path: str, method: str
) -> None:
    answers = client.get("/openapi.json").json()["paths"][path][method]["responses"]
    for status in ("500", "503"):
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
    assert answers["503"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


#: A child: the service over no database, a reduction that takes a worker thread (so that
#: the thread is there before the limit), then the address space capped at what it uses
#: plus HEADROOM MB, and a reduction whose 806,400 trend buckets need far more.
CHILD = """
import json, os, resource, sys
sys.path.insert(0, TESTS)
from example_scripts import EXAMPLES, load_script
from fastapi.testclient import TestClient

service = load_script("example_service", EXAMPLES / "service.py")
app = service.create_app(EXAMPLES / "no.sqlite")

def body(seconds):
    return {
        "pattern_id": "p",
        "time_window_start": "2026-02-01T00:00:00Z",
        "time_window_end": "2026-03-01T00:00:00Z",
        "granularity": "comprehensive",
        "bucket_width": seconds,
        "execution_data": {
            "timestamp": [f"2026-02-{1 + i % 28:02d}T{i % 24:02d}:00:00Z" for i in range(20_000)],
            "success": [i % 7 != 0 for i in range(20_000)],
        },
    }

with TestClient(app, raise_server_exceptions=False) as client:
    warm = client.post("/analytics", json=body(3600))
    assert warm.status_code == 200, warm.text
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (used + HEADROOM * 2**20, hard))
    response = client.post("/analytics", json=body(3))
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # (room to write the answer)
    text = response.text[:2000]  # (a 200 is a long time series)
    print(json.dumps([response.status_code, response.headers.get("retry-after"), text]))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
def test_a_reduction_short_of_memory_is_a_503_not_a_500() -> None:
    source = CHILD.replace("TESTS", repr(str(TESTS))).replace("HEADROOM", "64")
    done = run_python(source)
    assert done.returncode == 0, done.stderr[-3000:]
    status, retry_after, text = json.loads(done.stdout.strip().splitlines()[-1])
    assert (status, retry_after) == (503, "5"), text
    assert json.loads(text)["detail"].startswith("out of memory")
