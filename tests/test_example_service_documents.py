"""examples/service.py's 200s have schemas in its OpenAPI document (they had none:
clients generated from it knew nothing of the analytics), and what it writes keeps them:
`to_dict()` of any result, the dashboard, and numbers past the largest double, which
`to_dict()` writes as null where the library's models' own JSON writes "Infinity"."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from example_scripts import EXAMPLES, load_script
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from source_cases import GROWING, NOW, demo_rows
from strategies import contracts
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.sources.sqlite_table import write_executions_sync

SERVICE: Any = load_script("example_service", EXAMPLES / "service.py")
OPENAPI: dict[str, Any] = SERVICE.create_app(EXAMPLES / "no.sqlite").openapi()
ANALYTICS = "#/components/schemas/AnalyticsDocument"
DASHBOARD = "#/components/schemas/DashboardDocument"


@functools.cache
def validator(ref: str) -> Any:
    schema = {"$ref": ref, "components": OPENAPI["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def violations(document: Any, ref: str) -> list[str]:
    """How `document` breaks the OpenAPI document's schema `ref` (none: it keeps it)."""
    errors = validator(ref).iter_errors(document)
    return [f"{list(error.instance_path)}: {error.message}" for error in errors]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("documents") / "usage.sqlite"
    write_executions_sync(path, demo_rows())
    with TestClient(SERVICE.create_app(path, now=lambda: NOW)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "method", "ref"),
    [
        ("/analytics", "post", ANALYTICS),
        ("/patterns/{pattern_id}/analytics", "get", ANALYTICS),
        ("/dashboard", "get", DASHBOARD),
    ],
)
def test_every_200_has_its_schema(path: str, method: str, ref: str) -> None:
    answer = OPENAPI["paths"][path][method]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": ref}


def test_the_analytics_schema_names_the_librarys_models() -> None:
    properties = OPENAPI["components"]["schemas"]["AnalyticsDocument"]["properties"]
    assert properties["usage_metrics"] == {"$ref": "#/components/schemas/UsageFrequencyMetrics"}
    assert {"$ref": "#/components/schemas/PerformanceMetrics"} in properties["performance_metrics"][
        "anyOf"
    ]


def test_a_number_past_the_largest_double_is_null_in_the_schema_as_written() -> None:
    total = OPENAPI["components"]["schemas"]["PerformanceMetrics"]["properties"][
        "total_execution_time_ms"
    ]
    assert total["anyOf"] == [{"type": "number"}, {"type": "null"}]


# (Few records: drawing them is most of the time; the options and windows are what vary
# the document's shape.)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contracts(invalid=True, max_records=15))
def test_to_dict_of_any_result_keeps_the_schema(contract: ModelUsageAnalyticsInput) -> None:
    output = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    assert violations(output.to_dict(), ANALYTICS) == []


def test_the_answers_keep_their_schemas(client: TestClient) -> None:
    pattern = client.get(f"/patterns/{GROWING}/analytics", params={"window": "30d"})
    assert pattern.status_code == 200
    assert violations(pattern.json(), ANALYTICS) == []
    dashboard = client.get("/dashboard", params={"window": "30d"})
    assert dashboard.status_code == 200
    assert dashboard.json()["patterns"][0]["worst_finding"] is not None
    assert violations(dashboard.json(), DASHBOARD) == []


def test_a_sum_past_the_largest_double_is_null_and_keeps_the_schema(client: TestClient) -> None:
    # (The library's models' own JSON writes "Infinity", which their schema states; the
    # service writes `to_dict()`, null.)
    records = [
        {"timestamp": "2026-02-02T00:00:00Z", "success": True, "execution_time_ms": 1.5e308},
        {"timestamp": "2026-02-02T01:00:00Z", "success": True, "execution_time_ms": 1.5e308},
    ]
    body = {
        "pattern_id": "p",
        "time_window_start": "2026-02-01T00:00:00Z",
        "time_window_end": "2026-03-01T00:00:00Z",
        "execution_data": records,
    }
    response = client.post("/analytics", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["performance_metrics"]["total_execution_time_ms"] is None
    assert violations(response.json(), ANALYTICS) == []
