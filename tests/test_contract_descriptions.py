"""The contracts' JSON schemas: what a form, an OpenAPI page or a client generator built
from them shows of each field whose name does not say it all (its description, its
default). (From helper-283's mutation pass: a dropped or changed description failed no
test.)"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from usage_analytics import (
    InvalidRecordSample,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    PerformanceMetrics,
    TrendAnalysis,
    UsageFrequencyMetrics,
)

ZONE = "IANA zone of the calendar fields, by the tz database bundled with the library"

DESCRIBED: list[tuple[type[pydantic.BaseModel], str, str]] = [
    (ModelUsageAnalyticsInput, "timezone", ZONE),
    (ModelUsageAnalyticsInput, "bucket_width", "Trend bucket width; default from the window"),
    (ModelUsageAnalyticsBatchInput, "timezone", ZONE),
    (ModelUsageAnalyticsOutput, "timezone", ZONE),
    (ModelUsageAnalyticsOutput, "total_data_points", "Records received, valid or not."),
    (ModelUsageAnalyticsBatchOutput, "data_quality", "Over the whole input."),
    (ModelUsageAnalyticsBatchOutput, "computation_time_ms", "From the call's start until"),
    (UsageFrequencyMetrics, "time_since_last_use", "Hours from the latest execution to"),
    (PerformanceMetrics, "percentile_method", "How p50/p95/p99 were computed."),
    (PerformanceMetrics, "percentile_relative_error", "Bound on the percentiles' relative"),
    (TrendAnalysis, "velocity", "OLS slope of bucket rates, executions/day per day."),
    (TrendAnalysis, "adoption_rate", "New agents in the second half per week."),
    (TrendAnalysis, "velocity_significant", "|t| of the OLS slope >= the threshold"),
    (InvalidRecordSample, "value", "repr() of the offending value, shortened."),
    (InvalidRecordSample, "location", "Where the record is when its index alone"),
]


def properties(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    properties: dict[str, Any] = model.model_json_schema()["properties"]
    return properties


@pytest.mark.parametrize(
    ("model", "name", "opening"),
    DESCRIBED,
    ids=[f"{model.__name__}.{name}" for model, name, _ in DESCRIBED],
)
def test_the_schema_describes_the_field(
    model: type[pydantic.BaseModel], name: str, opening: str
) -> None:
    assert properties(model)[name]["description"].startswith(opening)


def test_the_schema_gives_the_defaults_of_an_exact_percentile() -> None:
    # (An output of before the sketches, read back, has exact percentiles.)
    schema = properties(PerformanceMetrics)
    assert (
        schema["percentile_method"]["default"],
        schema["percentile_relative_error"]["default"],
    ) == (
        "exact",
        0.0,
    )
    assert "percentile_method" not in PerformanceMetrics.model_json_schema()["required"]


@pytest.mark.parametrize("mode", ["validation", "serialization"])
def test_a_float_that_can_overflow_is_a_number_or_a_non_finite_string(mode: Any) -> None:
    # (What JSON holds of it: a client generator makes its type of these two.)
    schema = PerformanceMetrics.model_json_schema(mode=mode)["properties"]
    for name in ("std_dev_ms", "total_execution_time_ms"):
        assert schema[name]["anyOf"] == [
            {"type": "number"},
            {"enum": ["Infinity", "-Infinity", "NaN"]},
        ]
