"""`_core.OutputModels`: the core builds the output models from its results."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest
from usage_analytics import (
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
    output,
)
from usage_analytics._core import OutputModels
from usage_analytics.ingest import reduce_any
from usage_analytics.reducer import core_options

NOW = datetime(2026, 3, 1, tzinfo=UTC)
REDUCER = NodeUsageAnalyticsReducer()


def _records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {
            "timestamp": NOW - timedelta(hours=7 * i + 1),
            "success": i % 5 != 0,
            "execution_time_ms": 10.0 + i,
            "quality_score": (i % 10) / 10,
            "context_type": ["api", "cli"][i % 2],
            "agent": f"agent-{i % 3}",
            "project": "billing",
            "file_path": f"src/m{i % 4}.py",
        }
        for i in range(90)
    ]
    records.append({"timestamp": NOW, "success": True, "execution_time_ms": -1.0})
    return records


def _request(**settings: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        execution_data=_records(),
        time_window_start=NOW - timedelta(days=30),
        time_window_end=NOW,
        granularity="comprehensive",
        include_predictions=True,
        on_invalid="skip",
        **settings,
    )


def _models(out: pydantic.BaseModel) -> list[pydantic.BaseModel]:
    """`out` and every model among its fields, at any depth."""
    found = [out]
    for value in out.__dict__.values():
        values = value if isinstance(value, list) else [value]
        found += [m for v in values if isinstance(v, pydantic.BaseModel) for m in _models(v)]
    return found


def test_every_model_of_an_output_is_what_validation_makes_of_its_dump() -> None:
    """Each model the core builds, time series, prediction and error samples included,
    equals the model pydantic validates from its dump, value by value and type by type
    (an int where a float belongs, or a trend class's text for its member, would compare
    equal), was built from exactly its fields (a misspelt key would have the factory fill
    in the field's default), holds them in the class's order (as `repr` and iteration
    show them), and is out of the cyclic collector's lists."""
    out = REDUCER.execute_reduction_sync(_request())
    assert out.trend_analysis
    assert out.trend_analysis.time_series
    assert out.trend_analysis.predictions
    assert out.data_quality.error_samples
    models = _models(out)
    assert len(models) > 40
    for model in models:
        cls = type(model)
        validated = cls.model_validate(model.model_dump())
        assert validated == model
        for name in cls.model_fields:
            value, expected = getattr(model, name), getattr(validated, name)
            assert type(value) is type(expected), (cls.__name__, name, value)
        assert model.model_fields_set == set(cls.model_fields), cls.__name__
        assert list(model.__dict__) == list(cls.model_fields)
        assert not gc.is_tracked(model), cls.__name__
    assert ModelUsageAnalyticsOutput.model_validate_json(out.model_dump_json()) == out


def test_families_not_asked_for_are_none() -> None:
    out = REDUCER.execute_reduction_sync(
        _request(include_trends=False, include_performance=False, include_distribution=False)
    )
    assert out.trend_analysis is None
    assert out.performance_metrics is None
    assert out.context_distribution is None
    assert out.usage_metrics.total_executions == 90


def test_a_result_without_analytics_has_no_output() -> None:
    """Records invalid in raise mode leave the core's result without analytics: the
    reducer raises first, and a builder asked anyway refuses rather than make one up."""
    request = _request().model_copy(update={"on_invalid": "raise"})
    raw = reduce_any(request.execution_data, core_options(request, by_pattern=False), None)
    builder = output.output_builder(request, NOW)
    with pytest.raises(UsageAnalyticsError, match="without analytics"):
        builder.output("p", raw["result"], 1.0)
    assert builder.data_quality(raw["result"]).invalid_records == 1


def test_missing_settings_are_type_errors() -> None:
    with pytest.raises(TypeError, match="shared fields lack time_window_end"):
        output._MODELS.builder({"time_window_start": NOW})
    names = ["output", "data_quality", "error_sample", "usage", "success", "performance"]
    names += ["trend", "prediction", "distribution"]
    factories = dict(zip(names, output._MODELS.factories, strict=True))
    with pytest.raises(TypeError, match="trend_types lacks"):
        OutputModels(**factories, trend_types={"growing": "GROWING"}, time_series=list)
