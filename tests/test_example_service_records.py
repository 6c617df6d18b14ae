"""examples/service.py's `POST /analytics`, the analytics of the records a request's body
holds (the library's input contract as JSON): the library's result, its refusals as 422s
naming the record, field, value and reason, and 422s that are JSON whatever the body held
(NaN and Infinity, which Python's JSON reader takes) and short whatever its size."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from example_scripts import EXAMPLES, load_script
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from source_cases import GROWING, NOW, comparable, demo_rows, in_window, records_of
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

START = NOW - timedelta(days=7)


def body(records: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return {
        "pattern_id": GROWING,
        "time_window_start": START.isoformat(),
        "time_window_end": NOW.isoformat(),
        "execution_data": records,
        **options,
    }


def wire(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's records as JSON holds them (timestamps as ISO-8601 text)."""
    return [{**record, "timestamp": record["timestamp"].isoformat()} for record in records]


@pytest.fixture(scope="module")
def client() -> Any:
    # (No database: this endpoint reads only its body.)
    service = load_script("example_service", EXAMPLES / "service.py")
    with TestClient(service.create_app(EXAMPLES / "no.sqlite", now=lambda: NOW)) as client:
        yield client


def post(client: TestClient, document: Any) -> Any:
    """POSTs `document` as Python's JSON writes it: NaN and Infinity as such."""
    text = json.dumps(document, allow_nan=True)
    return client.post("/analytics", content=text, headers={"content-type": "application/json"})


def test_the_analytics_are_the_librarys(client: TestClient) -> None:
    records = wire(in_window(records_of(demo_rows(), GROWING), START, NOW))
    response = post(client, body(records))
    assert response.status_code == 200, response.text
    contract = ModelUsageAnalyticsInput.model_validate(body(records))
    expected = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    assert comparable(response.json()) == comparable(expected.to_dict())
    assert response.json()["usage_metrics"]["total_executions"] == len(records)


def test_a_bad_record_is_a_422_naming_it_in_the_librarys_words(client: TestClient) -> None:
    records = [
        {"timestamp": "2026-03-01T00:00:00Z", "success": True},
        {"timestamp": "2026-03-01T01:00:00Z", "success": True, "quality_score": 1.5},
        {"timestamp": "yesterday", "success": True},
    ]
    response = post(client, body(records))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "invalid_record"
    assert error["loc"] == ["body", "execution_data", 1, "quality_score"]
    assert error["input"] == 1.5  # (the number sent: it was the library's repr, "1.5")
    assert error["msg"].startswith("record 1: field 'quality_score' = 1.5: ")
    assert error["msg"].endswith("(and 1 more invalid record)")
    skipped = post(client, body(records, on_invalid="skip"))
    assert skipped.status_code == 200
    assert skipped.json()["data_quality"]["invalid_records"] == 2


RECORD = {"timestamp": "2026-03-01T00:00:00Z", "success": True}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timestamp", "yesterday"),  # (was "'yesterday'", the repr in quotes)
        ("success", "maybe"),
        ("execution_time_ms", -1),  # (was "-1", text)
        ("execution_time_ms", "12 ms"),
        ("context_type", {"team": ["a", "b"]}),  # (was "{'team': ['a', 'b']}")
        ("context_type", ["a", 1, None]),
        ("quality_score", True),
    ],
)
def test_a_refused_records_input_is_the_json_value_sent(
    client: TestClient, field: str, value: Any
) -> None:
    response = post(client, body([RECORD, {**RECORD, field: value}]))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "execution_data", 1, field]
    assert error["input"] == value


def test_a_missing_field_has_no_input_as_fastapis_own_have_none(client: TestClient) -> None:
    # (It was the text "<missing>", as if the client had sent it.)
    [error] = post(client, body([{"success": True}])).json()["detail"]
    assert error["loc"] == ["body", "execution_data", 0, "timestamp"]
    assert "input" not in error
    assert "required field is missing" in error["msg"]


@pytest.mark.parametrize("record", [5, "a record", None, ["2026-03-01T00:00:00Z", True]])
def test_a_record_that_is_no_object_is_the_input_where_it_is(
    client: TestClient, record: Any
) -> None:
    # (`loc` ended in "record", a key the body has not; `input` was the repr, "5".)
    [error] = post(client, body([RECORD, record])).json()["detail"]
    assert error["loc"] == ["body", "execution_data", 1]
    assert error["input"] == record


def test_a_refused_value_of_columns_is_named_by_its_column_then_row(client: TestClient) -> None:
    # A dict of columns: the value's path is `[field][row]` (it was `[row][field]`, a path
    # the body does not have).
    columns = {"timestamp": ["2026-03-01T00:00:00Z", "1 March"], "success": [True, True]}
    [error] = post(client, body(columns)).json()["detail"]  # type: ignore[arg-type]
    assert error["loc"] == ["body", "execution_data", "timestamp", 1]
    assert error["input"] == "1 March"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["timestamp", "success", "execution_time_ms", "quality_score", "agent"]),
    json_values,
)
def test_whatever_value_is_refused_the_422_gives_it_back_as_sent(
    client: TestClient, field: str, value: Any
) -> None:
    response = post(client, body([{**RECORD, field: value}]))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "execution_data", 0, field]
        assert error["input"] == value


def test_a_refusal_of_the_library_is_a_422_in_its_words(client: TestClient) -> None:
    # (Columns of different lengths pass the contract, and the core refuses them.)
    columns = {"timestamp": ["2026-03-01T00:00:00Z"], "success": [True, False]}
    response = post(client, body(columns))  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert "columns have different lengths" in error["msg"]
    assert "input" not in error  # (it was null: no value the client sent)


NON_FINITE = [float("nan"), float("inf"), float("-inf")]
SHOWN = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


@pytest.mark.parametrize("value", NON_FINITE, ids=str)
@pytest.mark.parametrize(
    ("place", "loc"),
    [
        ({"trend_thresholds": {"growing_velocity": None}}, ["body", "trend_thresholds"]),
        ({"trend_thresholds": {"recent_fraction": None}}, ["body", "trend_thresholds"]),
        ({"time_window_start": None}, ["body", "time_window_start"]),
        ({"execution_data": None}, ["body", "execution_data"]),
        ({"pattern_id": None}, ["body", "pattern_id"]),
    ],
    ids=["threshold", "fraction", "start", "data", "pattern_id"],
)
def test_nan_and_infinity_in_the_body_are_a_422_naming_them(
    client: TestClient, value: float, place: dict[str, Any], loc: list[str]
) -> None:
    # FastAPI wrote them back in the 422's `input` with a JSON writer that refuses them:
    # a bare 500 "Internal Server Error".
    document = body([])
    for key, where in place.items():
        document[key] = dict.fromkeys(where, value) if isinstance(where, dict) else value
    response = post(client, document)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][: len(loc)] == loc
    shown = json.dumps(error["input"])
    assert SHOWN[str(value)] in shown


@pytest.mark.parametrize("value", NON_FINITE, ids=str)
def test_a_record_of_nan_or_infinity_is_refused_naming_it(client: TestClient, value: float) -> None:
    records = [{"timestamp": "2026-03-01T00:00:00Z", "success": True, "execution_time_ms": value}]
    [error] = post(client, body(records)).json()["detail"]
    assert error["loc"] == ["body", "execution_data", 0, "execution_time_ms"]
    assert error["input"] == SHOWN[str(value)]  # (as every 422 writes them; was "nan")


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=8,
    )
)
def test_any_json_value_anywhere_is_an_answer_never_a_500(client: TestClient, value: Any) -> None:
    for key in ("execution_data", "pattern_id", "time_window_end", "trend_thresholds"):
        response = post(client, {**body([]), key: value})
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            for error in response.json()["detail"]:
                assert error["loc"][0] == "body"
                assert error["msg"]


def test_a_body_not_utf8_is_the_400_the_schema_states(client: TestClient) -> None:
    # (Undocumented: the schema listed 200 and 422 alone.)
    response = client.post(
        "/analytics", content=b"\\\x04\xff'", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}
    answers = client.get("/openapi.json").json()["paths"]["/analytics"]["post"]["responses"]
    assert answers["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }


def test_a_huge_body_without_a_field_is_a_short_422(client: TestClient) -> None:
    # A missing field's `input` was the object lacking it: the whole body, 100,000 records
    # (14 MB) written back.
    records = [{"timestamp": "2026-03-01T00:00:00Z", "success": True}] * 100_000
    document = body(records)
    del document["pattern_id"]
    response = post(client, document)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "missing", "loc": ["body", "pattern_id"], "msg": "Field required"}
    ]


def test_a_long_list_refused_is_shown_by_its_first_items(client: TestClient) -> None:
    response = post(client, body([], pattern_id=list(range(10_000))))
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "pattern_id"]
    assert error["input"] == [0, 1, 2, "... (10,000 in all)"]


def test_a_huge_body_is_analysed(client: TestClient) -> None:
    records = [
        {"timestamp": f"2026-03-0{1 + i % 2}T{i % 24:02d}:00:00Z", "success": i % 10 != 0}
        for i in range(100_000)
    ]
    response = post(client, body(records))
    assert response.status_code == 200
    metrics = response.json()["success_metrics"]
    assert (metrics["success_count"], metrics["failure_count"]) == (90_000, 10_000)
