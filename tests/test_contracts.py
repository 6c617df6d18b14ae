"""Contract behaviour: input normalisation and defaults, the output's dict/JSON shape, and
the record list passed through untouched."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pydantic
import pytest
from fastapi.encoders import jsonable_encoder
from usage_analytics import (
    AnalyticsGranularity,
    HealthFinding,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    PerformanceMetrics,
    TimeWindowType,
    TrendThresholds,
    UsageAccumulator,
)
from usage_analytics.contracts import (
    MAX_BUCKET_WIDTH,
    MAX_TREND_BUCKETS,
    ONE_MICROSECOND,
    REPR_ITEMS,
    UsagePrediction,
    UsageTimeBucket,
    json_safe,
    uuid_spelled,
)
from zones import NoOffset

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
REDUCER = NodeUsageAnalyticsReducer()


def make(**options: Any) -> ModelUsageAnalyticsInput:
    options.setdefault("pattern_id", "p")
    options.setdefault("time_window_start", START)
    options.setdefault("time_window_end", END)
    return ModelUsageAnalyticsInput(**options)


def records(n: int = 30) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": START + timedelta(hours=5 * i + 1),
            "success": i % 3 != 0,
            "execution_time_ms": 10.0 + i,
            "quality_score": 0.8,
            "context_type": "debugging",
            "agent": f"agent-{i % 4}",
            "project": "shop",
            "file_path": "src/app.py",
        }
        for i in range(n)
    ]


# --------------------------------------------------------------------------- input


def test_uuid_shaped_str_pattern_id_becomes_uuid() -> None:
    text = "12345678-1234-5678-1234-567812345678"
    assert make(pattern_id=text).pattern_id == UUID(text)
    assert isinstance(make(pattern_id=text).pattern_id, UUID)
    assert make(pattern_id=text.upper()).pattern_id == UUID(text)


def test_other_str_pattern_id_is_kept_and_uuid_stays_uuid() -> None:
    assert make(pattern_id="checkout-endpoint").pattern_id == "checkout-endpoint"
    assert make(pattern_id="1234").pattern_id == "1234"
    ident = uuid4()
    assert make(pattern_id=ident).pattern_id is ident


def test_a_pattern_id_with_a_lone_surrogate_is_refused() -> None:
    # It was accepted, and no output of it could be written as JSON (nor stored): a record's
    # pattern_id with one is an invalid record of the batch already.
    with pytest.raises(
        pydantic.ValidationError, match=r"lone surrogate \('\\udc80'\) at position 2"
    ):
        make(pattern_id="ab\udc80")
    with pytest.raises(ValueError, match="lone surrogate"):
        UsageAccumulator(START, END).finalize("\ud800")


@pytest.mark.parametrize("value", [b"", b"  ", b"checkout", bytes(16), bytearray(b"p")])
def test_a_pattern_id_of_bytes_is_refused(value: Any) -> None:
    # pydantic read bytes as text, an empty or blank id too (past the check of a str), and
    # 16 of them as a UUID; `UsageAccumulator.finalize` refuses them, as the contract.
    message = f"pattern_id must be a UUID or a str, got {type(value).__name__}"
    with pytest.raises(pydantic.ValidationError, match=message):
        make(pattern_id=value)
    with pytest.raises(TypeError, match=message):
        UsageAccumulator(START, END).finalize(value)


@pytest.mark.parametrize("value", [None, 7, 1.5, ["checkout"]])
def test_a_pattern_id_of_another_type_is_one_error_naming_its_type(value: Any) -> None:
    # pydantic's error of the `UUID | str` union was two, one of them "UUID input should be
    # a string, bytes or UUID object" where the id was only not set (None).
    with pytest.raises(pydantic.ValidationError) as raised:
        make(pattern_id=value)
    (error,) = raised.value.errors()
    assert error["loc"] == ("pattern_id",)
    assert error["msg"] == (
        f"Value error, pattern_id must be a UUID or a str, got {type(value).__name__}"
    )


def test_window_datetimes_become_utc_naive_ones_read_as_utc() -> None:
    naive = make(time_window_start=datetime(2026, 1, 5), time_window_end=datetime(2026, 1, 12))
    assert naive.time_window_start == START
    assert naive.time_window_start.tzinfo is UTC
    assert naive.time_window_end.utcoffset() == timedelta(0)

    plus_two = timezone(timedelta(hours=2))
    aware = make(time_window_start=START.astimezone(plus_two))
    assert aware.time_window_start == START  # the same instant
    assert aware.time_window_start.tzinfo is UTC


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time 5:30 ahead of UTC (CI machines run in UTC, where reading
    a time as local or as UTC cannot differ)."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_not_utc")
def test_a_bound_whose_zone_names_no_offset_is_utc_as_a_naive_one() -> None:
    # astimezone() read it as the machine's local time: a window that moved with TZ.
    assert datetime(2026, 1, 5, tzinfo=NoOffset()).astimezone(UTC) != START  # (local time)
    contract = make(time_window_start=datetime(2026, 1, 5, tzinfo=NoOffset()))
    assert contract.time_window_start == START


@pytest.mark.parametrize(
    "start",
    [
        # Monrovia's local mean time, -00:44:30: JSON writes offsets in whole minutes.
        datetime(1971, 6, 1, tzinfo=ZoneInfo("Africa/Monrovia")),
        datetime(1971, 6, 1, tzinfo=timezone(timedelta(seconds=1))),
        # The second 01:30 of New York's fold, and 02:30 of its gap, which Python calls
        # unequal to any time of another zone, UTC included.
        datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
        datetime(2025, 3, 9, 2, 30, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_window_bounds_of_any_offset_survive_json(start: datetime) -> None:
    # The bounds were echoed in the caller's zone: an offset of seconds came back from
    # JSON as another instant, and bounds in a fold or gap unequal to themselves.
    out = REDUCER.execute_reduction_sync(
        make(time_window_start=start, time_window_end=start + timedelta(days=1))
    )
    assert out.time_window_start.timestamp() == start.timestamp()
    for again in (
        ModelUsageAnalyticsOutput.model_validate_json(out.model_dump_json()),
        ModelUsageAnalyticsOutput.model_validate(out.model_dump(mode="json")),
    ):
        assert again == out
        assert again.time_window_start.timestamp() == start.timestamp()
    assert datetime.fromisoformat(out.to_dict()["time_window"]["start"]) == out.time_window_start


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), datetime(2, 1, 1, tzinfo=UTC)),
        (
            datetime(9999, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5))),
        ),
    ],
)
def test_a_window_end_beyond_the_utc_datetime_range_is_refused(
    start: datetime, end: datetime
) -> None:
    # Accepted, it made COMPREHENSIVE outputs fail with a raw OverflowError when their
    # first or last bucket was written as a UTC datetime.
    with pytest.raises(pydantic.ValidationError, match="outside the years 1 to 9999 in UTC"):
        make(time_window_start=start, time_window_end=end)


def test_a_pandas_timestamp_bound_is_the_instant_analysed() -> None:
    # Its nanoseconds stayed in the output, which then equalled neither its own JSON
    # round trip nor the result a store read back; NaT (an empty column's min) escaped
    # validation as a raw TypeError.
    import pandas as pd

    start = pd.Timestamp("2026-01-05 00:00:00.000000999", tz="UTC")
    contract = make(time_window_start=start)
    assert type(contract.time_window_start) is datetime
    assert contract.time_window_start == START
    output = REDUCER.execute_reduction_sync(make(time_window_start=start, execution_data=[]))
    assert ModelUsageAnalyticsOutput.model_validate_json(output.model_dump_json()) == output
    for bound in ("time_window_start", "time_window_end"):
        with pytest.raises(pydantic.ValidationError, match="not a time"):
            make(**{bound: pd.NaT})


def test_defaults() -> None:
    contract = make()
    assert contract.time_window_type is TimeWindowType.WEEKLY
    assert contract.granularity is AnalyticsGranularity.DETAILED
    assert contract.include_trends is True
    assert contract.include_performance is True
    assert contract.include_distribution is True
    assert contract.include_predictions is False
    assert contract.execution_data == []
    assert contract.on_invalid == "raise"
    assert contract.timezone == "UTC"
    assert contract.bucket_width is None
    assert isinstance(contract.correlation_id, UUID)
    assert make().correlation_id != contract.correlation_id
    thresholds = contract.trend_thresholds
    assert (thresholds.growing_velocity, thresholds.declining_velocity) == (0.5, -0.5)
    assert thresholds.abandoned_velocity == -2.0
    assert thresholds.abandoned_max_executions == 5
    assert thresholds.emerging_max_executions == 10
    assert thresholds.min_t_statistic == 2.0
    assert thresholds.recent_fraction == 0.25


def test_enum_values_by_str() -> None:
    contract = make(time_window_type="monthly", granularity="comprehensive")
    assert contract.time_window_type is TimeWindowType.MONTHLY
    assert contract.granularity is AnalyticsGranularity.COMPREHENSIVE


def test_execution_data_is_neither_copied_nor_validated() -> None:
    data = records(5)
    assert make(execution_data=data).execution_data is data
    as_tuple = tuple(data)
    assert make(execution_data=as_tuple).execution_data is as_tuple
    junk: list[Any] = [5, None, "x"]
    assert make(execution_data=junk).execution_data is junk  # only the reducer complains
    assert make(execution_data=None).execution_data == []


def test_time_zone_names_in_any_case_are_spelled_as_the_tzdb_does() -> None:
    # The zone lookup ignores case, and the output echoed "europe/berlin", which
    # zoneinfo.ZoneInfo refuses; two spellings were two settings to a merge.
    out = REDUCER.execute_reduction_sync(make(timezone="europe/BERLIN", execution_data=records(3)))
    assert out.timezone == "Europe/Berlin"
    assert ZoneInfo(out.timezone).key == "Europe/Berlin"
    assert make(timezone="etc/utc").timezone == "Etc/UTC"
    assert make(timezone="Asia/Calcutta").timezone == "Asia/Calcutta"  # a link stays itself
    end = START + timedelta(days=7)
    lower = UsageAccumulator(START, end, timezone="europe/berlin")
    lower.update(records(3))
    upper = UsageAccumulator(START, end, timezone="Europe/Berlin")
    merged = lower.merge(upper).finalize(pattern_id="p")
    assert merged.timezone == "Europe/Berlin"
    assert merged.usage_metrics.total_executions == 3


@pytest.mark.parametrize("name", ["Etc/Unknown", "etc/UNKNOWN"])
def test_the_cldr_marker_of_an_unknown_zone_is_no_time_zone(name: str) -> None:
    # CLDR's (ICU's, Java's) name for "the zone could not be determined" is no IANA zone
    # (zoneinfo refuses it); the tz library's lookup took it as UTC, so a caller whose
    # zone was unknown got UTC's hours and days, labelled "Etc/Unknown".
    with pytest.raises(ValueError, match="unknown time zone"):
        make(timezone=name)
    with pytest.raises(ValueError, match="unknown time zone"):
        UsageAccumulator(START, START + timedelta(days=7), timezone=name)


def test_contract_is_frozen_and_forbids_unknown_fields() -> None:
    contract = make()
    with pytest.raises(pydantic.ValidationError):
        contract.timezone = "Europe/Berlin"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="extra"):
        make(windw="typo")


@pytest.mark.parametrize(
    "options",
    [
        {"recent_fraction": 0.0},
        {"recent_fraction": 1.5},
        {"growing_velocity": math.inf},
        {"declining_velocity": math.nan},
        {"min_t_statistic": -1.0},
        {"emerging_max_executions": -1},
        {"abandoned_max_executions": 2**64},
        {"emerging_max_executions": 2**64},
        {"declining_velocity": 1.0},  # above the default growing_velocity, 0.5
    ],
)
def test_invalid_thresholds_are_rejected(options: dict[str, Any]) -> None:
    [name] = options
    with pytest.raises(ValueError, match=name):
        TrendThresholds(**options)


def test_the_largest_counts_the_core_holds_are_accepted() -> None:
    thresholds = TrendThresholds(abandoned_max_executions=2**64 - 1, abandoned_velocity=1e9)
    out = REDUCER.execute_reduction_sync(
        make(trend_thresholds=thresholds, execution_data=records())
    )
    assert out.trend_analysis is not None
    assert out.trend_analysis.trend_type.value == "abandoned"  # any velocity, n < 2**64 - 1


# --------------------------------------------------------------------------- output


def test_output_echoes_the_request() -> None:
    ident = uuid4()
    correlation = uuid4()
    contract = make(
        pattern_id=ident,
        correlation_id=correlation,
        time_window_type=TimeWindowType.DAILY,
        granularity=AnalyticsGranularity.SUMMARY,
        execution_data=records(),
    )
    before = datetime.now(UTC)
    out = REDUCER.execute_reduction_sync(contract)
    after = datetime.now(UTC)
    assert isinstance(out, ModelUsageAnalyticsOutput)
    assert out.pattern_id == ident
    assert out.correlation_id == correlation
    assert (out.time_window_start, out.time_window_end) == (START, END)
    assert out.time_window_type is TimeWindowType.DAILY
    assert out.granularity is AnalyticsGranularity.SUMMARY
    assert out.total_data_points == 30
    assert out.computation_time_ms >= 0.0
    assert before <= out.computed_at <= after
    assert out.computed_at.utcoffset() == timedelta(0)
    assert out.timezone == "UTC"
    with pytest.raises(pydantic.ValidationError):
        out.total_data_points = 0  # type: ignore[misc]


@pytest.mark.parametrize("granularity", list(AnalyticsGranularity))
def test_outputs_built_without_validation_equal_validated_ones(
    granularity: AnalyticsGranularity,
) -> None:
    # The core assembles the outputs without validation (OutputModels, ModelFactory):
    # they must be exactly what validating their own dump gives, field sets included.
    bad = [*records(), {"timestamp": "not a time"}]
    contract = make(
        granularity=granularity,
        include_predictions=True,
        on_invalid="skip",
        execution_data=bad,
    )
    out = REDUCER.execute_reduction_sync(contract)
    for validated in (
        ModelUsageAnalyticsOutput.model_validate(out.model_dump()),
        ModelUsageAnalyticsOutput.model_validate_json(out.model_dump_json()),
    ):
        assert validated == out
        assert validated.model_fields_set == out.model_fields_set
        assert validated.usage_metrics.model_fields_set == out.usage_metrics.model_fields_set
    assert out.data_quality.invalid_records == 1
    changed = out.model_copy(update={"computation_time_ms": 1.5})
    assert changed.computation_time_ms == 1.5
    assert changed.usage_metrics == out.usage_metrics


def test_a_request_changed_by_model_copy_is_read_by_its_values() -> None:
    # model_copy(update=...) does not validate: a plain "comprehensive" left the time
    # series out (compared by identity with the enum) and was echoed as a str.
    contract = make(execution_data=records()).model_copy(
        update={"granularity": "comprehensive", "time_window_type": "daily"}
    )
    out = REDUCER.execute_reduction_sync(contract)
    assert out.granularity is AnalyticsGranularity.COMPREHENSIVE
    assert out.time_window_type is TimeWindowType.DAILY
    assert out.trend_analysis is not None
    assert out.trend_analysis.time_series
    assert out == REDUCER.execute_reduction_sync(
        make(
            execution_data=records(),
            granularity=AnalyticsGranularity.COMPREHENSIVE,
            time_window_type=TimeWindowType.DAILY,
            correlation_id=contract.correlation_id,
        )
    ).model_copy(
        update={"computation_time_ms": out.computation_time_ms, "computed_at": out.computed_at}
    )


def test_an_infinite_total_and_a_uuid_id_survive_a_json_round_trip() -> None:
    # model_dump_json wrote the infinite total as null, which did not read back; a UUID
    # pattern id came back as its text.
    ident = uuid4()
    huge = [{"timestamp": START + timedelta(hours=h), "execution_time_ms": 1e308} for h in (1, 2)]
    out = REDUCER.execute_reduction_sync(make(pattern_id=ident, execution_data=huge))
    assert out.performance_metrics is not None
    assert out.performance_metrics.total_execution_time_ms == math.inf
    text = out.model_dump_json()
    assert json.loads(text)["performance_metrics"]["total_execution_time_ms"] == "Infinity"
    # to_dict() is JSON-ready (a web framework's strict encoder refused the inf: HTTP 500).
    document = out.to_dict()
    assert document["performance_metrics"]["total_execution_time_ms"] is None
    assert json.loads(json.dumps(document, allow_nan=False)) == document
    for again in (
        ModelUsageAnalyticsOutput.model_validate_json(text),
        ModelUsageAnalyticsOutput.model_validate(out.model_dump(mode="json")),
        ModelUsageAnalyticsOutput.model_validate(json.loads(text)),
    ):
        assert again == out
        assert isinstance(again.pattern_id, UUID)


def test_an_infinite_total_is_one_json_value_whatever_the_encoder() -> None:
    # model_dump(mode="json") held the float inf, which FastAPI's jsonable_encoder and
    # JSONResponse refuse (HTTP 500), while model_dump_json wrote "Infinity"; the schema
    # said only "number".
    huge = [
        {"timestamp": START + timedelta(hours=h), "execution_time_ms": time}
        for h, time in ((1, 1e308), (2, 1e308), (3, 0.0))
    ]
    out = REDUCER.execute_reduction_sync(make(execution_data=huge))
    dumped = out.model_dump(mode="json")["performance_metrics"]
    assert (dumped["total_execution_time_ms"], dumped["std_dev_ms"]) == ("Infinity", "Infinity")
    encoded = json.dumps(jsonable_encoder(out), allow_nan=False)
    assert json.loads(encoded) == json.loads(out.model_dump_json())
    for mode in ("validation", "serialization"):
        schema = PerformanceMetrics.model_json_schema(mode=mode)["properties"]
        for name in ("total_execution_time_ms", "std_dev_ms"):
            assert {"enum": ["Infinity", "-Infinity", "NaN"]} in schema[name]["anyOf"]
    finding = HealthFinding(
        severity="warning", code="c", message="m", value=math.inf, threshold=1.0
    )
    assert finding.model_dump(mode="json")["value"] == "Infinity"
    assert HealthFinding.model_validate(finding.model_dump(mode="json")) == finding
    # A caller's own context, of any type, is not ours to read.
    for context in ("tenant-1", ["a"], {"non_finite": "keep"}):
        assert finding.model_dump(mode="json", context=context)["value"] == "Infinity"


def test_str_pattern_id_is_kept_in_the_output() -> None:
    out = REDUCER.execute_reduction_sync(make(pattern_id="checkout-endpoint"))
    assert out.pattern_id == "checkout-endpoint"
    assert out.to_dict()["pattern_id"] == "checkout-endpoint"


@pytest.mark.parametrize("granularity", list(AnalyticsGranularity))
def test_to_dict_and_to_json_shape(granularity: AnalyticsGranularity) -> None:
    ident = uuid4()
    contract = make(
        pattern_id=ident,
        granularity=granularity,
        include_predictions=True,
        execution_data=[*records(), {"timestamp": "bad"}],
        on_invalid="skip",
        timezone="Asia/Kolkata",
    )
    out = REDUCER.execute_reduction_sync(contract)
    data = out.to_dict()
    assert list(data) == [
        "pattern_id",
        "correlation_id",
        "time_window",
        "usage_metrics",
        "success_metrics",
        "performance_metrics",
        "trend_analysis",
        "context_distribution",
        "summary",
        "data_quality",
    ]
    assert data["pattern_id"] == str(ident)
    assert data["correlation_id"] == str(contract.correlation_id)
    assert data["time_window"] == {
        "start": START.isoformat().replace("+00:00", "Z"),
        "end": END.isoformat().replace("+00:00", "Z"),
        "type": "weekly",
        "granularity": granularity.value,
        "timezone": "Asia/Kolkata",
    }
    assert data["usage_metrics"]["total_executions"] == 30
    assert set(data["success_metrics"]) == {
        "success_count",
        "failure_count",
        "success_rate",
        "error_rate",
        "timeout_count",
        "quality_gate_failures",
        "avg_quality_score",
    }
    assert data["performance_metrics"]["sample_count"] == 30
    assert data["trend_analysis"]["trend_type"] == out.trend_analysis.trend_type.value  # type: ignore[union-attr]
    assert data["trend_analysis"]["predictions"] is not None
    if granularity is AnalyticsGranularity.SUMMARY:
        assert data["context_distribution"] is None
    else:
        assert data["context_distribution"]["by_project"] == {"shop": 30}
    if granularity is AnalyticsGranularity.COMPREHENSIVE:
        assert len(data["trend_analysis"]["time_series"]) == 28
    else:
        assert data["trend_analysis"]["time_series"] is None
    assert data["summary"]["total_data_points"] == 31
    assert data["summary"]["analytics_quality_score"] == out.analytics_quality_score
    assert data["summary"]["computation_time_ms"] == out.computation_time_ms
    assert isinstance(data["summary"]["computed_at"], str)
    assert data["data_quality"]["invalid_records"] == 1
    assert data["data_quality"]["error_samples"] == [
        {
            "index": 30,
            "field": "timestamp",
            "value": "'bad'",
            "reason": out.data_quality.error_samples[0].reason,
        }
    ]

    text = out.to_json()
    assert json.loads(text) == json.loads(json.dumps(data))
    assert json.loads(out.to_json(indent=2)) == json.loads(text)


def test_to_dict_with_families_off_has_nulls() -> None:
    out = REDUCER.execute_reduction_sync(
        make(include_trends=False, include_performance=False, include_distribution=False)
    )
    data = json.loads(out.to_json())
    assert data["performance_metrics"] is None
    assert data["trend_analysis"] is None
    assert data["context_distribution"] is None
    assert data["usage_metrics"]["time_since_last_use"] is None


def test_a_bucket_width_beyond_ten_thousand_years_is_rejected() -> None:
    # It would not fit the core's microsecond integers.
    with pytest.raises(pydantic.ValidationError, match="bucket_width must be at most"):
        make(bucket_width=timedelta(days=999_999_999))


def test_a_window_error_names_its_field_and_not_the_whole_request() -> None:
    # A model-level error carries the whole input, and FastAPI's 422 echoes it: a request
    # of 10,000 records with its window the wrong way round answered with a megabyte.
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.post("/analytics")
    async def analytics(request: ModelUsageAnalyticsInput) -> dict[str, int]:
        return {"records": len(request.execution_data)}

    records = [{"timestamp": (START + timedelta(minutes=i)).isoformat()} for i in range(10_000)]
    body = {
        "pattern_id": "p",
        "time_window_start": END.isoformat(),
        "time_window_end": START.isoformat(),
        "execution_data": records,
    }
    with TestClient(app) as client:
        reversed_window = client.post("/analytics", json=body)
        hourly_over_years = client.post(
            "/analytics",
            json={
                **body,
                "time_window_start": "2000-01-01T00:00:00Z",
                "time_window_end": "2020-01-01T00:00:00Z",
                "time_window_type": "hourly",
            },
        )
        fine = client.post(
            "/analytics",
            json={
                **body,
                "time_window_start": START.isoformat(),
                "time_window_end": END.isoformat(),
            },
        )
    assert fine.json() == {"records": 10_000}
    assert reversed_window.status_code == hourly_over_years.status_code == 422
    [error] = reversed_window.json()["detail"]
    assert error["loc"] == ["body", "time_window_end"]
    assert "must be after time_window_start" in error["msg"]
    [error] = hourly_over_years.json()["detail"]
    assert error["loc"] == ["body", "bucket_width"]  # (the default width, for the window type)
    assert "time_window_type 'hourly' over 7305 days" in error["msg"]
    assert len(reversed_window.content) < 1_000
    assert len(hourly_over_years.content) < 1_000


LATER = START + timedelta(days=1)


@pytest.mark.usefixtures("local_time_not_utc")
@pytest.mark.parametrize(
    "bound",
    [
        LATER.replace(tzinfo=None),
        LATER.replace(tzinfo=NoOffset()),  # naive in Python's terms: UTC too
        LATER.astimezone(timezone(timedelta(hours=2))),  # the same instant, not 2 h off
    ],
    ids=["naive", "no-offset", "plus-two"],
)
def test_a_bound_set_by_model_copy_is_read_as_validation_reads_it(bound: datetime) -> None:
    # pydantic's `model_copy(update=...)` does not validate: a naive bound reached the
    # reducer as it was, and raised "can't subtract offset-naive and offset-aware".
    records = [{"timestamp": START + timedelta(hours=1)}, {"timestamp": END - timedelta(hours=1)}]
    request = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=records
    )
    copied = request.model_copy(update={"time_window_start": bound})
    validated = request.model_copy(update={"time_window_start": LATER})
    got, expected = (REDUCER.execute_reduction_sync(r).to_dict() for r in (copied, validated))
    for part in ("time_window", "usage_metrics", "trend_analysis", "data_quality"):
        assert got[part] == expected[part], part
    assert got["usage_metrics"]["total_executions"] == 1


# ------------------------------------------------------- from a mutation audit of contracts.py


def test_a_window_whose_end_is_its_start_is_refused() -> None:
    # DESIGN.md: end > start or a validation error (an instant is no window).
    with pytest.raises(pydantic.ValidationError, match="must be after time_window_start"):
        make(time_window_end=START)
    assert make(time_window_end=START + ONE_MICROSECOND).time_window_end == START + ONE_MICROSECOND


def test_a_bucket_width_below_a_microsecond_is_refused_by_its_own_message() -> None:
    for width, shown in ((timedelta(0), "0:00:00"), (-ONE_MICROSECOND, "-1 day, 23:59:59.999999")):
        with pytest.raises(pydantic.ValidationError) as raised:
            make(bucket_width=width)
        [error] = raised.value.errors()
        assert error["loc"] == ("bucket_width",)
        assert error["msg"] == f"Value error, bucket_width must be positive, got {shown}"
    assert make(bucket_width=ONE_MICROSECOND, time_window_end=START + timedelta(seconds=1))


def test_the_widest_bucket_is_accepted_and_one_microsecond_more_refused() -> None:
    whole = {"time_window_start": datetime(1, 1, 1), "time_window_end": datetime.max}
    assert make(bucket_width=MAX_BUCKET_WIDTH, **whole).bucket_width == MAX_BUCKET_WIDTH
    with pytest.raises(pydantic.ValidationError) as raised:
        make(bucket_width=MAX_BUCKET_WIDTH + ONE_MICROSECOND, **whole)
    assert raised.value.errors()[0]["msg"] == (
        "Value error, bucket_width must be at most 3652500 days, 0:00:00, "
        "got 3652500 days, 0:00:00.000001"
    )


def test_max_trend_buckets_is_the_cores_cap() -> None:
    # One-second buckets: exactly the cap is accepted (with a remainder the last bucket
    # absorbs), one bucket more is refused, naming the width given.
    second = timedelta(seconds=1)
    for end in (START + MAX_TREND_BUCKETS * second, START + (MAX_TREND_BUCKETS + 0.999) * second):
        assert make(bucket_width=second, time_window_end=end).bucket_width == second
    with pytest.raises(pydantic.ValidationError) as raised:
        make(bucket_width=second, time_window_end=START + (MAX_TREND_BUCKETS + 1) * second)
    assert raised.value.errors()[0]["msg"] == (
        "Value error, bucket_width 0:00:01 over 11 days, 13:46:41: invalid option: bucket "
        "width 1000000 us cuts the window into 1000001 buckets; at most 1000000 are allowed"
    )


@pytest.mark.parametrize("name", ["abandoned_max_executions", "emerging_max_executions"])
def test_the_count_thresholds_hold_exactly_the_cores_unsigned_counts(name: str) -> None:
    for value in (0, 2**64 - 1):
        assert getattr(TrendThresholds(**{name: value}), name) == value
    for value in (-1, 2**64):
        with pytest.raises(pydantic.ValidationError, match=name):
            TrendThresholds(**{name: value})


def test_equal_growing_and_declining_velocities_are_accepted() -> None:
    # "must not be above": equal thresholds leave no velocity STABLE, but cross nothing.
    thresholds = TrendThresholds(growing_velocity=0.0, declining_velocity=0.0)
    assert (thresholds.growing_velocity, thresholds.declining_velocity) == (0.0, 0.0)


def test_a_pandas_timestamp_bound_in_a_fold_is_the_instant_it_names() -> None:
    import pandas as pd

    new_york = ZoneInfo("America/New_York")
    second = pd.Timestamp(datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=new_york))
    first = pd.Timestamp(datetime(2025, 11, 2, 1, 30, tzinfo=new_york))
    end = datetime(2025, 11, 3, tzinfo=UTC)
    assert make(time_window_start=second, time_window_end=end).time_window_start == datetime(
        2025, 11, 2, 6, 30, tzinfo=UTC
    )
    assert make(time_window_start=first, time_window_end=end).time_window_start == datetime(
        2025, 11, 2, 5, 30, tzinfo=UTC
    )


def test_the_request_repr_leaves_its_records_out() -> None:
    # (A request's repr, in a log line or a traceback, would print every record.)
    text = repr(make(execution_data=records()))
    assert "execution_data" not in text
    assert "debugging" not in text
    assert text.startswith("ModelUsageAnalyticsInput(time_window_start=datetime.datetime(2026")


def test_only_the_spellings_of_a_uuid_are_one() -> None:
    ident = UUID("12345678-1234-5678-1234-567812345678")
    for text in (ident.hex, str(ident).upper(), f"{{{ident}}}", f"URN:UUID:{ident}"):
        assert uuid_spelled(text) == ident
    for text in ("", "p", ident.hex[:31], f"uuid:{ident}", f"{{{{{ident}}}}}", f"{ident}}}"):
        assert uuid_spelled(text) is None


def test_json_safe_replaces_every_non_finite_float_in_dicts_and_lists() -> None:
    value = {"a": [1.0, math.inf, {"b": -math.inf, "c": (math.nan,)}], "d": math.nan, "e": 2}
    assert json_safe(value) == {"a": [1.0, None, {"b": None, "c": (math.nan,)}], "d": None, "e": 2}
    assert json_safe(math.inf) is None
    assert json_safe([[math.nan]]) == [[None]]
    assert json_safe("Infinity") == "Infinity"


def test_every_non_finite_float_is_its_string_in_json_and_reads_back() -> None:
    # (The core's totals and stds pass the largest double only upwards; the serializer
    # writes each non-finite value as pydantic reads it back.)
    times = {f"{k}_execution_time_ms": 0.0 for k in ("avg", "p50", "p95", "p99", "min", "max")}
    metrics = PerformanceMetrics(
        **times,
        std_dev_ms=math.nan,
        total_execution_time_ms=-math.inf,
        sample_count=2,
    )
    dumped = metrics.model_dump(mode="json")
    assert (dumped["std_dev_ms"], dumped["total_execution_time_ms"]) == ("NaN", "-Infinity")
    back = PerformanceMetrics.model_validate_json(metrics.model_dump_json())
    assert math.isnan(back.std_dev_ms)
    assert back.total_execution_time_ms == -math.inf


def test_a_non_finite_float_in_any_output_field_reads_back_from_json() -> None:
    # (The models' `ser_json_inf_nan="strings"`: left to pydantic's default, a field not
    # marked as one that can overflow wrote null, which does not read back into a float.
    # helper-289's mutation pass: the setting dropped failed no test.)
    bucket = UsageTimeBucket(start=START, end=END, executions=1, rate_per_day=math.inf)
    text = bucket.model_dump_json()
    assert '"rate_per_day":"Infinity"' in text
    assert UsageTimeBucket.model_validate_json(text) == bucket
    prediction = UsagePrediction(
        horizon_days=7.0, predicted_daily_rate=math.nan, predicted_executions=-math.inf
    )
    back = UsagePrediction.model_validate_json(prediction.model_dump_json())
    assert math.isnan(back.predicted_daily_rate)
    assert back.predicted_executions == -math.inf


def test_output_models_refuse_unknown_fields_and_the_batch_output_is_frozen() -> None:
    out = REDUCER.execute_reduction_sync(make(execution_data=records()))
    with pytest.raises(pydantic.ValidationError, match="extra"):
        ModelUsageAnalyticsOutput.model_validate({**out.model_dump(), "typo": 1})
    batch = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=END,
            execution_data=[{**r, "pattern_id": "p"} for r in records()],
        )
    )
    with pytest.raises(pydantic.ValidationError, match="extra"):
        ModelUsageAnalyticsBatchOutput.model_validate({**batch.model_dump(), "typo": 1})
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        batch.computation_time_ms = 0.0  # type: ignore[misc]


def test_an_output_document_without_a_time_zone_reads_as_utc() -> None:
    # (Documents written before outputs carried their calendar's zone.)
    out = REDUCER.execute_reduction_sync(make(execution_data=records(), timezone="Asia/Kolkata"))
    document = out.model_dump(mode="json")
    del document["timezone"]
    assert ModelUsageAnalyticsOutput.model_validate(document).timezone == "UTC"


def test_a_long_field_is_shown_by_its_first_items_and_how_many() -> None:
    def series_of(buckets: int) -> str:
        width = timedelta(hours=1)
        out = REDUCER.execute_reduction_sync(
            make(
                execution_data=records(),
                granularity=AnalyticsGranularity.COMPREHENSIVE,
                bucket_width=width,
                time_window_end=START + buckets * width,
            )
        )
        assert out.trend_analysis is not None
        assert len(out.trend_analysis.time_series or ()) == buckets
        return repr(out.trend_analysis)

    utc = "tzinfo=datetime.timezone.utc"
    bucket = (
        f"UsageTimeBucket(start=datetime.datetime(2026, 1, 5, {{h}}, 0, {utc}), "
        f"end=datetime.datetime(2026, 1, 5, {{n}}, 0, {utc}), "
        "executions={c}, rate_per_day={r})"
    )
    first = ", ".join(
        bucket.format(h=h, n=h + 1, c=c, r=24.0 * c) for h, c in ((0, 0), (1, 1), (2, 0))
    )
    assert f"time_series=[{first}, ... (101 in all)], predictions=" in series_of(REPR_ITEMS + 1)
    shown = series_of(REPR_ITEMS)
    assert "in all" not in shown
    assert shown.count("UsageTimeBucket(") == REPR_ITEMS


# --------------------------------------------- from helper-283's mutation pass of contracts.py


@pytest.mark.parametrize("value", ["", " ", "\t\n"], ids=repr)
def test_a_blank_pattern_id_is_refused_by_its_own_message(value: str) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        make(pattern_id=value)
    [error] = raised.value.errors()
    assert error["loc"] == ("pattern_id",)
    assert error["msg"] == "Value error, pattern_id must not be empty"


def test_a_t_statistic_threshold_of_zero_is_accepted() -> None:
    # (Its bound is `ge=0`: 0 calls every slope significant; only a negative one is refused.)
    assert TrendThresholds(min_t_statistic=0.0).min_t_statistic == 0.0
    with pytest.raises(pydantic.ValidationError, match="min_t_statistic"):
        TrendThresholds(min_t_statistic=-1e-9)


def test_a_python_dump_keeps_a_non_finite_total_a_float() -> None:
    # The strings are JSON's (`when_used="json"`): `model_dump()` is Python's, whose
    # callers compute with the values (pandas, a sum), as with any other float field.
    times = {f"{k}_execution_time_ms": 0.0 for k in ("avg", "p50", "p95", "p99", "min", "max")}
    metrics = PerformanceMetrics(
        **times, std_dev_ms=math.nan, total_execution_time_ms=math.inf, sample_count=2
    )
    dumped = metrics.model_dump()
    assert dumped["total_execution_time_ms"] == math.inf
    assert math.isnan(dumped["std_dev_ms"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("growing_velocity", math.inf),
        ("declining_velocity", math.nan),
        ("abandoned_velocity", -math.inf),
        ("min_t_statistic", math.inf),  # (past its bound `ge=0`: the finite check's)
    ],
)
def test_a_non_finite_threshold_is_refused_naming_it_and_its_value(name: str, value: float) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        TrendThresholds(**{name: value})
    [error] = raised.value.errors()
    assert error["msg"] == f"Value error, {name} must be finite, got {value!r}"


BEFORE_UTC_YEAR_ONE = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
REFUSALS: dict[str, tuple[dict[str, Any], tuple[str, ...], str]] = {
    "end-not-after-start": (
        {"time_window_start": END, "time_window_end": START},
        ("time_window_end",),
        "Value error, time_window_end (2026-01-05T00:00:00+00:00) must be after "
        "time_window_start (2026-01-12T00:00:00+00:00)",
    ),
    "bound-before-utc-year-one": (
        {"time_window_start": BEFORE_UTC_YEAR_ONE},
        ("time_window_start",),
        "Value error, 0001-01-01T00:00:00+05:00 is outside the years 1 to 9999 in UTC",
    ),
    "id-with-a-lone-surrogate": (
        {"pattern_id": "ab\udc80"},
        ("pattern_id",),
        "Value error, pattern_id must be Unicode text: it holds a lone surrogate ('\\udc80') "
        "at position 2",
    ),
    "window-type-of-too-many-buckets": (
        {
            "time_window_start": datetime(2000, 1, 1, tzinfo=UTC),
            "time_window_end": datetime(2020, 1, 1, tzinfo=UTC),
            "time_window_type": "hourly",
        },
        ("bucket_width",),
        "Value error, time_window_type 'hourly' over 7305 days, 0:00:00: invalid option: "
        "bucket width 300000000 us cuts the window into 2103840 buckets; at most 1000000 "
        "are allowed; set a wider bucket_width or another time_window_type",
    ),
    # A field refused by pydantic is its one error: the checks of the window and its
    # buckets, which read it, leave it to that error.
    "unknown-window-type": (
        {"time_window_type": "fortnightly"},
        ("time_window_type",),
        "Input should be 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', "
        "'all_time' or 'custom'",
    ),
    "start-no-time": (
        {"time_window_start": "soon"},
        ("time_window_start",),
        "Input should be a valid datetime or date, input is too short",
    ),
    "end-no-time": (
        {"time_window_end": "later"},
        ("time_window_end",),
        "Input should be a valid datetime or date, input is too short",
    ),
}


@pytest.mark.parametrize(("options", "loc", "message"), REFUSALS.values(), ids=REFUSALS)
def test_a_refused_request_is_one_error_of_its_field_in_these_words(
    options: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        make(**options)
    [error] = raised.value.errors()
    assert (error["loc"], error["msg"]) == (loc, message)


def test_a_nat_bound_is_refused_in_these_words() -> None:
    import pandas as pd

    with pytest.raises(pydantic.ValidationError) as raised:
        make(time_window_end=pd.NaT)
    [error] = raised.value.errors()
    assert error["msg"] == "Value error, not a time (NaT): a window bound must be an instant"


def test_crossed_velocity_thresholds_are_refused_naming_both() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        TrendThresholds(declining_velocity=1.0)
    [error] = raised.value.errors()
    assert error["msg"] == (
        "Value error, declining_velocity (1.0) must not be above growing_velocity (0.5)"
    )
