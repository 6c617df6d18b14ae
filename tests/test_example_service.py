"""examples/service.py, the FastAPI example, called through HTTP (FastAPI's TestClient):
the analytics of a pattern equal the library's on the window's records, a second request
is served from the SQLite store, the dashboard lists every pattern worst first, and bad
requests get clear 4xx answers."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

import pytest
from example_scripts import EXAMPLES, load_script
from fastapi.testclient import TestClient
from source_cases import (
    GROWING,
    NOW,
    PATTERN_IDS,
    comparable,
    demo_rows,
    in_window,
    records_of,
)
from usage_analytics import AnalyticsGranularity, TimeWindowType
from usage_analytics.demo import DEMO_PATTERNS
from usage_analytics.sources.sqlite_table import write_executions_sync
from usage_analytics.store import SQLiteAnalyticsStore

SERVICE = EXAMPLES / "service.py"


def load_service() -> ModuleType:
    return load_script("example_service", SERVICE)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "usage.sqlite"
    write_executions_sync(path, demo_rows())
    return path


@pytest.fixture
def client(database: Path) -> Iterator[TestClient]:
    service = load_service()
    with TestClient(service.create_app(database, now=lambda: NOW)) as test_client:
        yield test_client


def expected(pattern_id: str, days: int) -> dict[str, Any]:
    from source_cases import analyse

    start = NOW - timedelta(days=days)
    mine = in_window(records_of(demo_rows(), pattern_id), start, NOW)
    result = analyse(
        mine,
        pattern_id,
        start,
        NOW,
        time_window_type=TimeWindowType.WEEKLY if days == 7 else TimeWindowType.CUSTOM,
        granularity=AnalyticsGranularity.DETAILED,
        on_invalid="skip",
    )
    return comparable(result.to_dict())


def test_pattern_analytics_are_the_librarys_then_come_from_the_store(
    client: TestClient, database: Path
) -> None:
    first = client.get(f"/patterns/{GROWING}/analytics", params={"window": "7d"})
    assert first.status_code == 200
    assert first.headers["X-Analytics-From"] == "computed"
    assert comparable(first.json()) == expected(GROWING, 7)
    again = client.get(f"/patterns/{GROWING}/analytics?window=7d")
    assert again.headers["X-Analytics-From"] == "store"
    assert again.json() == first.json()  # the stored result, correlation id and all
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM pattern_analytics").fetchone() == (1,)


def test_window_and_end_are_honoured(client: TestClient) -> None:
    response = client.get(
        f"/patterns/{GROWING}/analytics", params={"window": "36h", "end": "2026-03-01T00:00Z"}
    )
    assert response.status_code == 200
    window = response.json()["time_window"]
    assert (window["start"], window["end"], window["type"]) == (
        "2026-02-27T12:00:00Z",
        "2026-03-01T00:00:00Z",
        "custom",
    )


@pytest.mark.parametrize("path", [f"/patterns/{GROWING}/analytics", "/dashboard"])
def test_an_end_of_a_date_alone_includes_that_day(client: TestClient, path: str) -> None:
    # (It was the day's first instant, leaving the day out, where the command's --end of
    # the same date includes it.)
    response = client.get(path, params={"window": "1d", "end": "2026-02-28"})
    assert response.status_code == 200
    body = response.json()
    window = body["time_window"] if "time_window" in body else body["window"]
    assert (window["start"], window["end"]) == ("2026-02-28T00:00:00Z", "2026-03-01T00:00:00Z")


def test_dashboard_lists_every_pattern_worst_first(client: TestClient) -> None:
    response = client.get("/dashboard", params={"window": "30d"})
    assert response.status_code == 200
    patterns = response.json()["patterns"]
    assert response.json()["records_without_pattern_id"] == 0
    assert sorted(p["pattern_id"] for p in patterns) == sorted(PATTERN_IDS)
    assert patterns[0]["pattern_id"] == str(DEMO_PATTERNS[2].pattern_id)  # ci-failure-triage
    by_id = {p["pattern_id"]: p for p in patterns}
    assert (
        by_id[GROWING]["total_executions"]
        == expected(GROWING, 30)["usage_metrics"]["total_executions"]
    )


def test_dashboard_writes_its_window_as_the_analytics_write_theirs(client: TestClient) -> None:
    # ("...Z", pydantic's form, as the command line's dashboard JSON writes it too: the
    # dashboard wrote "+00:00", so the two endpoints' texts of one window differed.)
    params = {"window": "36h", "end": "2026-03-01T00:00Z"}
    dashboard = client.get("/dashboard", params=params).json()["window"]
    analytics = client.get(f"/patterns/{GROWING}/analytics", params=params).json()["time_window"]
    assert dashboard == {"start": "2026-02-27T12:00:00Z", "end": "2026-03-01T00:00:00Z"}
    assert (dashboard["start"], dashboard["end"]) == (analytics["start"], analytics["end"])


@pytest.mark.parametrize("path", [f"/patterns/{GROWING}/analytics", "/dashboard"])
@pytest.mark.parametrize("end", ["2026", "1772323200"])
def test_an_end_of_a_number_is_a_422_not_read_as_epoch_seconds(
    client: TestClient, path: str, end: str
) -> None:
    # (FastAPI's datetime read a number as epoch seconds: the text "2026", a year, was
    # 2,026 seconds after the epoch, and a week of 1969 was analysed. `end` is ISO-8601,
    # as the library's window bounds take text.)
    response = client.get(path, params={"window": "7d", "end": end})
    assert response.status_code == 422
    assert f"got the text of a number, {end!r}" in response.text


@pytest.mark.parametrize(
    ("end", "instant"),
    [
        ("2026-03-01T13:45:00+13:45", "2026-03-01T00:00:00Z"),
        ("2026-02-28T12:00:00-12:00", "2026-03-01T00:00:00Z"),
        ("2026-03-01T05:30:00+0530", "2026-03-01T00:00:00Z"),
        ("2026-02-28T23:59:00-00:01", "2026-03-01T00:00:00Z"),
        ("2026-03-01t00:00:00z", "2026-03-01T00:00:00Z"),
        ("2026-03-01T00:00:00.999999999Z", "2026-03-01T00:00:00.999999Z"),
    ],
)
def test_an_end_of_any_offset_is_its_instant(client: TestClient, end: str, instant: str) -> None:
    for path in (f"/patterns/{GROWING}/analytics", "/dashboard"):
        body = client.get(path, params={"window": "1d", "end": end}).json()
        assert (body["time_window"] if "time_window" in body else body["window"])["end"] == instant


def test_an_offset_whose_plus_the_query_made_a_space_is_a_422_saying_so(
    client: TestClient,
) -> None:
    # ("+" unescaped in a query string is a space: pydantic said "unexpected extra
    # characters at the end of the input".)
    loc, message, value = refused(client.get("/dashboard?window=1d&end=2026-03-01T13:45:00+13:45"))
    assert (loc, value) == (["query", "end"], "2026-03-01T13:45:00 13:45")
    assert "a '+' in a URL's query string is a space; write it as %2B" in message


def test_dashboard_judges_the_patterns_off_the_event_loop(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The health rules of thousands of patterns held the loop for a fraction of a second.
    service = load_service()
    threads: list[bool] = []
    rows = service.dashboard_rows

    def judged(results: Any) -> Any:
        try:
            asyncio.get_running_loop()
            threads.append(True)  # (on the event loop's thread)
        except RuntimeError:
            threads.append(False)
        return rows(results)

    monkeypatch.setattr(service, "dashboard_rows", judged)
    with TestClient(service.create_app(database, now=lambda: NOW)) as client:
        response = client.get("/dashboard", params={"window": "30d"})
    assert response.status_code == 200
    assert len(response.json()["patterns"]) == len(PATTERN_IDS)
    assert threads == [False]


def refused(response: Any) -> tuple[list[str], str, Any]:
    """The one error of a 422, as FastAPI's own are (the OpenAPI schema's
    HTTPValidationError): where (`loc`), why (`msg`) and the value given (`input`)."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["type"] == "value_error"
    return error["loc"], error["msg"], error["input"]


@pytest.mark.parametrize("path", [f"/patterns/{GROWING}/analytics", "/dashboard"])
@pytest.mark.parametrize("window", ["7", "seven days", "0d", "000d", "7y", "1234567d", "\u0667d"])
def test_malformed_window_is_a_422_naming_it(client: TestClient, path: str, window: str) -> None:
    # (Its `detail` was a string, where the OpenAPI schema's 422 is a list of errors.)
    loc, message, value = refused(client.get(path, params={"window": window}))
    assert loc == ["query", "window"]
    assert "window must be a number and a unit (m, h, d, w)" in message
    assert value == window


@pytest.mark.parametrize(("window", "days"), [("7d", 7), (" 2 w ", 14), ("0030d", 30)])
def test_a_window_is_a_number_and_a_unit(client: TestClient, window: str, days: int) -> None:
    response = client.get("/dashboard", params={"window": window, "end": "2026-03-01T00:00Z"})
    assert response.status_code == 200, response.text
    start = datetime.fromisoformat(response.json()["window"]["start"])
    assert start == datetime(2026, 3, 1, tzinfo=UTC) - timedelta(days=days)


@pytest.mark.parametrize(
    "params",
    [
        {"window": "999999w"},
        {"window": "7d", "end": "0001-01-02T00:00:00Z"},
        {"window": "1d", "end": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_a_window_beyond_the_datetime_range_is_a_422(
    client: TestClient, params: dict[str, str]
) -> None:
    # An OverflowError: a bare 500. (Then a 422 whose `detail` was a string.)
    for path in (f"/patterns/{GROWING}/analytics", "/dashboard"):
        loc, message, _ = refused(client.get(path, params=params))
        assert loc == ["query", "end" if "end" in params else "window"]
        assert f"a window of {params['window']!r} ending" in message
        assert "is out of range" in message


def test_a_result_stored_with_other_settings_is_not_served(
    client: TestClient, database: Path
) -> None:
    # The CLI stores results in the same table (`--tz`, other granularities): the service
    # served them as its own.
    from source_cases import analyse

    start = NOW - timedelta(days=7)
    mine = in_window(records_of(demo_rows(), GROWING), start, NOW)
    tokyo = analyse(mine, GROWING, start, NOW, timezone="Asia/Tokyo")
    asyncio.run(_save(database, tokyo))
    response = client.get(f"/patterns/{GROWING}/analytics", params={"window": "7d"})
    assert response.headers["X-Analytics-From"] == "computed"
    assert comparable(response.json()) == expected(GROWING, 7)


def test_its_own_result_is_served_though_another_was_stored_later(
    client: TestClient, database: Path
) -> None:
    # The store gave the newest result of the window whatever its zone, granularity and
    # window type: once the CLI stored another, the service computed its own result again.
    from source_cases import analyse

    first = client.get(f"/patterns/{GROWING}/analytics", params={"window": "7d"})
    assert first.headers["X-Analytics-From"] == "computed"
    start = NOW - timedelta(days=7)
    mine = in_window(records_of(demo_rows(), GROWING), start, NOW)
    for other in (
        analyse(mine, GROWING, start, NOW, timezone="Asia/Tokyo"),
        analyse(mine, GROWING, start, NOW, granularity=AnalyticsGranularity.COMPREHENSIVE),
        # (UTC and DETAILED, as the service's, of the CLI's --window-type custom)
        analyse(mine, GROWING, start, NOW, time_window_type=TimeWindowType.CUSTOM),
    ):
        asyncio.run(_save(database, other))
        again = client.get(f"/patterns/{GROWING}/analytics", params={"window": "7d"})
        assert again.headers["X-Analytics-From"] == "store"
        assert again.json() == first.json()


async def _save(database: Path, result: Any) -> None:
    async with SQLiteAnalyticsStore(database) as store:
        await store.save(result)


def test_unknown_pattern_is_a_404(client: TestClient) -> None:
    response = client.get("/patterns/checkout/analytics")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("no records with pattern_id 'checkout'")


def test_missing_database_is_a_503(tmp_path: Path) -> None:
    # A pattern's analytics asked the store first, which created an empty file: a 500
    # ("has no table 'pattern_executions'"), and every later call failed so.
    service = load_service()
    gone = tmp_path / "gone.sqlite"
    with TestClient(service.create_app(gone, now=lambda: NOW)) as client:
        for path in (f"/patterns/{GROWING}/analytics", "/dashboard"):
            response = client.get(path)
            assert response.status_code == 503
            assert "no such file" in response.json()["detail"]
    assert not gone.exists()


def _client_over(tmp_path: Path, extra: list[dict[str, Any]]) -> TestClient:
    """A client of the service over the demo rows and `extra` rows, an hour before NOW."""
    rows = demo_rows()
    last = rows[-1]
    path = tmp_path / "usage.sqlite"
    write_executions_sync(
        path, rows + [{**last, **row, "timestamp": NOW - timedelta(hours=1)} for row in extra]
    )
    return TestClient(load_service().create_app(path, now=lambda: NOW))


@pytest.mark.parametrize(
    "path", ["/patterns/team/checkout/analytics", "/patterns/team%2Fcheckout/analytics"]
)
def test_a_pattern_id_with_a_slash_is_reachable(tmp_path: Path, path: str) -> None:
    # The dashboard listed "team/checkout", but no URL reached it: a bare 404 "Not Found"
    # (the router decodes %2F before matching a path segment).
    with _client_over(tmp_path, [{"pattern_id": "team/checkout"}]) as client:
        listed = client.get("/dashboard").json()["patterns"]
        assert "team/checkout" in {p["pattern_id"] for p in listed}
        response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["pattern_id"] == "team/checkout"
    assert response.json()["usage_metrics"]["total_executions"] == 1


def test_a_padded_pattern_id_names_the_pattern(client: TestClient) -> None:
    # " <uuid>" fetched the pattern's records, but the result kept the padded text as its
    # id and was stored under the UUID: every later request was served that id.
    padded = client.get(f"/patterns/%20{GROWING}%20/analytics")
    assert padded.status_code == 200
    assert padded.json()["pattern_id"] == GROWING
    plain = client.get(f"/patterns/{GROWING}/analytics")
    assert plain.headers["X-Analytics-From"] == "store"
    assert plain.json() == padded.json()


@pytest.mark.parametrize("pattern", ["%20", "%20%09", ""])
def test_a_blank_pattern_id_is_a_422(tmp_path: Path, pattern: str) -> None:
    # Blank ids name no pattern (the dashboard counts their records apart), but asked for,
    # the source gave their records, and the contract's refusal of the id was a bare 500.
    # (Then a 422 whose `detail` was a string, not the OpenAPI schema's list of errors.)
    with _client_over(tmp_path, [{"pattern_id": "  "}]) as client:
        loc, message, value = refused(client.get(f"/patterns/{pattern}/analytics"))
    assert loc == ["path", "pattern_id"]
    assert message == "Value error, pattern_id must not be blank"
    assert value == unquote(pattern)


def test_the_docstrings_requests_answer_over_the_file_the_demo_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The first named a demo UUID, which `usage-analytics demo` no longer writes (its
    # records' ids are the patterns' names): a 404 for the first request a user made.
    from cli_runs import run

    database = tmp_path / "usage-analytics-demo.sqlite"
    assert run(capsys, "demo", "--db", str(database), "--now", "2026-03-03T14:00Z")[0] == 0
    service = load_service()
    requests = re.findall(r"curl 'localhost:8000(/[^']*)'", service.__doc__ or "")
    assert len(requests) == 2
    now = datetime(2026, 3, 3, 14, tzinfo=UTC)
    with TestClient(service.create_app(database, now=lambda: now)) as client:
        for request in requests:
            response = client.get(request)
            assert response.status_code == 200, (request, response.text)
