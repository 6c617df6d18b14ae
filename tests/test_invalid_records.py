"""Every kind of bad input, in both modes.

raise (default): one `InvalidRecordError` (also a ValueError and a UsageAnalyticsError)
naming the first bad record's index, field, value repr and reason, and how many more are
bad. skip: the record is left out, counted, and sampled in `data_quality`.
Contract-level mistakes are pydantic validation errors (ValueErrors). Nothing crashes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel
from reference import MISSING, reference_analytics, short_repr
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
)

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
WHEN = START + timedelta(days=6)  # inside, and recent
REDUCER = NodeUsageAnalyticsReducer()


def contract(records: Any, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="bad-input",
        time_window_start=START,
        time_window_end=END,
        execution_data=records,
        **options,
    )


def skip(records: list[Any]) -> ModelUsageAnalyticsOutput:
    """Reduce in skip mode and check the reference agrees (counts and samples too)."""
    request = contract(records, on_invalid="skip")
    output = REDUCER.execute_reduction_sync(request)
    assert_matches_reference(output_as_dict(output), reference_analytics(request))
    return output


def good(**fields: Any) -> dict[str, Any]:
    return {"timestamp": WHEN, "success": True, **fields}


def expected_repr(record: Any, field: str) -> str:
    """The sample's value: repr() of the bad value, at most 80 characters (77 + "..."),
    "<missing>" for an absent, None or NaT timestamp."""
    if field == "record":
        return short_repr(record)
    value = record.get(field)
    missing = value is None or value is pd.NaT
    missing |= isinstance(value, np.datetime64) and np.isnat(value)
    return short_repr(MISSING if missing else value)


# (id, record, field, repr of the value)
BAD_RECORDS = [
    ("missing_timestamp", {"success": True}, "timestamp", "<missing>"),
    ("none_timestamp", {"timestamp": None}, "timestamp", "<missing>"),
    ("unparseable_timestamp", {"timestamp": "yesterday"}, "timestamp", "'yesterday'"),
    ("impossible_date", {"timestamp": "2026-02-30T10:00:00Z"}, "timestamp", None),
    ("int_timestamp", {"timestamp": 1_767_600_000}, "timestamp", "1767600000"),
    ("float_timestamp", {"timestamp": 1_767_600_000.5}, "timestamp", "1767600000.5"),
    # NaT is numpy's missing time, as a null in a datetime64 column
    ("nat_timestamp", {"timestamp": np.datetime64("NaT")}, "timestamp", "<missing>"),
    # and pandas' NaT (`DataFrame.to_dict("records")` of a missing time): its reason was
    # a TypeError reading its fields
    ("pandas_nat_timestamp", {"timestamp": pd.NaT}, "timestamp", "<missing>"),
    ("bytes_timestamp", {"timestamp": b"2026-01-05"}, "timestamp", "b'2026-01-05'"),
    ("nan_execution_time", good(execution_time_ms=math.nan), "execution_time_ms", "nan"),
    ("inf_execution_time", good(execution_time_ms=math.inf), "execution_time_ms", "inf"),
    ("minus_inf_execution_time", good(execution_time_ms=-math.inf), "execution_time_ms", "-inf"),
    ("negative_execution_time", good(execution_time_ms=-1.5), "execution_time_ms", "-1.5"),
    ("negative_int_execution_time", good(execution_time_ms=-1), "execution_time_ms", "-1"),
    ("bool_execution_time", good(execution_time_ms=True), "execution_time_ms", "True"),
    ("str_execution_time", good(execution_time_ms="12"), "execution_time_ms", "'12'"),
    ("int_too_big_for_float", good(execution_time_ms=10**400), "execution_time_ms", None),
    # numpy.bool_ is a bool (accepted as one by success/timeout/gates), so not a number
    ("numpy_bool_time", good(execution_time_ms=np.bool_(True)), "execution_time_ms", None),
    # a numpy complex is no number either, as Python's complex (its real part was read)
    (
        "numpy_complex_time",
        good(execution_time_ms=np.complex128(5 + 7j)),
        "execution_time_ms",
        None,
    ),
    ("complex_quality", good(quality_score=np.complex64(0.5)), "quality_score", None),
    (
        "numpy_nan_execution_time",
        good(execution_time_ms=np.float64("nan")),
        "execution_time_ms",
        None,
    ),
    ("quality_below_zero", good(quality_score=-0.1), "quality_score", "-0.1"),
    ("quality_above_one", good(quality_score=1.5), "quality_score", "1.5"),
    ("quality_nan", good(quality_score=math.nan), "quality_score", "nan"),
    ("bool_quality", good(quality_score=False), "quality_score", "False"),
    ("success_yes", good(success="yes"), "success", "'yes'"),
    ("success_two", good(success=2), "success", "2"),
    ("success_float", good(success=1.0), "success", "1.0"),
    ("gates_str", good(quality_gates_passed="true"), "quality_gates_passed", "'true'"),
    ("timeout_int", good(timeout=3), "timeout", "3"),
    ("context_type_int", good(context_type=5), "context_type", "5"),
    ("agent_bytes", good(agent=b"bob"), "agent", "b'bob'"),
    ("project_list", good(project=["p"]), "project", "['p']"),
    ("file_path_int", good(file_path=42), "file_path", "42"),
    ("record_int", 5, "record", "5"),
    ("record_list", [("timestamp", WHEN)], "record", None),
    ("record_none", None, "record", "None"),
    ("record_str", "timestamp=2026-01-05", "record", "'timestamp=2026-01-05'"),
    # the first failing field in the brief's order is the one reported
    ("timestamp_before_success", {"timestamp": "x", "success": "yes"}, "timestamp", "'x'"),
    ("success_before_time", good(success="no", execution_time_ms=-1), "success", "'no'"),
    ("score_before_context", good(context_type=1, quality_score=2.0), "quality_score", "2.0"),
    ("agent_before_file", good(agent=1, file_path=2), "agent", "1"),
]


@pytest.mark.parametrize(
    ("record", "field", "value"),
    [pytest.param(r, f, v, id=i) for i, r, f, v in BAD_RECORDS],
)
def test_raise_mode_names_index_field_value_reason(
    record: Any, field: str, value: str | None
) -> None:
    records = [good(), good(), record, good()]
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(contract(records))
    error = raised.value
    assert isinstance(error, ValueError)
    assert isinstance(error, UsageAnalyticsError)
    assert error.index == 2
    assert error.field == field
    assert error.value == expected_repr(record, field)
    if value is not None:
        assert error.value == value
    assert isinstance(error.reason, str)
    assert error.reason
    assert error.more == 0
    message = str(error)
    assert "record 2" in message
    assert field in message
    assert error.value in message
    assert error.reason in message
    assert "(and" not in message


@pytest.mark.parametrize(
    ("record", "field"),
    [pytest.param(r, f, id=i) for i, r, f, _ in BAD_RECORDS],
)
def test_skip_mode_leaves_out_counts_and_samples(record: Any, field: str) -> None:
    out = skip([good(), record, good(execution_time_ms=5.0)])
    assert out.usage_metrics.total_executions == 2
    quality = out.data_quality
    assert quality.records_received == 3
    assert quality.records_in_window == 2
    assert quality.invalid_records == 1
    assert quality.records_outside_window == 0
    assert out.total_data_points == 3
    [sample] = quality.error_samples
    assert sample.index == 1
    assert sample.field == field
    assert sample.value == expected_repr(record, field)
    assert sample.reason


async def test_async_raise_mode_raises_the_same_error() -> None:
    with pytest.raises(InvalidRecordError) as raised:
        await REDUCER.execute_reduction(contract([good(), {"timestamp": "nope"}]))
    assert (raised.value.index, raised.value.field) == (1, "timestamp")


def test_several_bad_records_give_more_count() -> None:
    records = [good(), 5, good(success="yes"), good(), {"timestamp": None}, good(quality_score=9)]
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(contract(records))
    error = raised.value
    assert (error.index, error.field, error.more) == (1, "record", 3)
    assert "(and 3 more invalid records)" in str(error)

    with pytest.raises(InvalidRecordError, match=r"\(and 1 more invalid record\)$"):
        REDUCER.execute_reduction_sync(contract([good(), 5, None]))


def test_skip_mode_keeps_the_first_five_samples_and_counts_all() -> None:
    records = [good()] + [{"timestamp": f"bad-{i}"} for i in range(8)] + [good()]
    out = skip(records)
    quality = out.data_quality
    assert quality.invalid_records == 8
    assert quality.records_in_window == 2
    assert quality.records_received == 10
    assert [s.index for s in quality.error_samples] == [1, 2, 3, 4, 5]
    assert [s.value for s in quality.error_samples] == [f"'bad-{i}'" for i in range(5)]


def test_skip_mode_counts_invalid_and_outside_separately() -> None:
    records = [
        good(),
        {"timestamp": START - timedelta(days=1)},  # valid, outside
        {"timestamp": START - timedelta(days=1), "success": "no"},  # invalid (not outside)
        {"timestamp": END + timedelta(seconds=1)},
    ]
    quality = skip(records).data_quality
    assert quality.records_received == 4
    assert quality.records_in_window == 1
    assert quality.records_outside_window == 2
    assert quality.invalid_records == 1


def test_all_records_invalid_in_skip_mode_is_the_empty_analytics() -> None:
    out = skip([None, 1, {"timestamp": "?"}])
    assert out.usage_metrics.total_executions == 0
    assert out.analytics_quality_score == 0.0
    assert out.data_quality.invalid_records == 3


# --------------------------------------------------------------------------- odd but valid


def test_huge_execution_times_do_not_crash() -> None:
    out = skip([good(execution_time_ms=1e308), good(execution_time_ms=1e308)])
    perf = out.performance_metrics
    assert perf is not None
    assert perf.sample_count == 2
    assert perf.min_execution_time_ms == perf.max_execution_time_ms == 1e308
    assert perf.p50_execution_time_ms == perf.p99_execution_time_ms == 1e308
    assert perf.avg_execution_time_ms == 1e308  # the sum passes the largest double
    assert perf.std_dev_ms == 0.0


def test_year_1_and_9999_timestamps_are_valid_and_outside() -> None:
    records = [
        {"timestamp": datetime(1, 1, 1)},
        {"timestamp": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))},  # before year 1
        {"timestamp": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
        {"timestamp": datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))},
        {"timestamp": "0001-01-01T00:00:00Z"},
        {"timestamp": "9999-12-31T23:59:59.999999Z"},
        {"timestamp": "9999-12-31"},
        good(),
    ]
    quality = skip(records).data_quality
    assert quality.invalid_records == 0
    assert quality.records_outside_window == 7
    assert quality.records_in_window == 1


def test_iso_strings_beyond_year_range_after_offset_are_valid_and_outside() -> None:
    records = [
        {"timestamp": "0001-01-01T00:00:00+05:00"},
        {"timestamp": "9999-12-31T23:00:00-05:00"},
        good(),
    ]
    quality = skip(records).data_quality
    assert quality.invalid_records == 0
    assert quality.records_outside_window == 2


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-10T10:00:00[America/New_York]",
        "2026-01-10T10:00[America/New_York]",
    ],
)
def test_timestamp_with_zone_annotation_is_not_misread_as_utc(text: str) -> None:
    # Not one of the accepted shapes: it must be reported invalid, or, if accepted, mean
    # 10:00 in New York (15:00 UTC); never be silently read as 10:00 UTC.
    out = skip([{"timestamp": text}])
    if out.data_quality.invalid_records == 0:
        assert out.usage_metrics.time_since_last_use == 24 + 9  # 15:00 UTC -> Mon 00:00
    else:
        assert out.data_quality.error_samples[0].field == "timestamp"


def test_ten_megabyte_strings() -> None:
    huge = "x" * 10_000_000
    out = skip([{"timestamp": huge}, good(context_type=huge, file_path=huge + ".py")])
    [sample] = out.data_quality.error_samples
    assert sample.field == "timestamp"
    assert sample.value == "'" + "x" * 76 + "..."
    assert out.context_distribution is not None
    assert out.context_distribution.by_context_type == {huge: 1}
    assert out.context_distribution.by_file_type == {"py": 1}


def test_value_repr_is_cut_to_80_characters_not_bytes() -> None:
    value = "é" * 200
    exactly_80 = "é" * 78  # its repr has 80 characters: kept whole
    samples = skip([{"timestamp": value}, {"timestamp": exactly_80}]).data_quality.error_samples
    assert samples[0].value == "'" + "é" * 76 + "..."
    assert samples[1].value == repr(exactly_80)
    assert len(samples[0].value) == len(samples[1].value) == 80


class RecordDict(dict):  # type: ignore[type-arg]
    pass


class RecordMapping(Mapping[str, Any]):
    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class Moment(datetime):
    pass


class Name(str):
    pass


def test_dict_subclass_custom_mapping_and_subclassed_values_are_records() -> None:
    records = [
        RecordDict(timestamp=WHEN, success=True, agent="a"),
        RecordMapping(timestamp=WHEN, success=False, agent="b", execution_time_ms=2.0),
        RecordMapping(timestamp=Moment(2026, 1, 11, 1, tzinfo=UTC), agent=Name("c")),
        {"timestamp": WHEN, "success": np.bool_(True), "execution_time_ms": np.float64(4.0)},
    ]
    out = skip(records)
    assert out.data_quality.invalid_records == 0
    assert out.usage_metrics.total_executions == 4
    assert out.usage_metrics.unique_users == 4  # a, b, c and "unknown"
    assert out.success_metrics.success_count == 2
    assert out.performance_metrics is not None
    assert out.performance_metrics.total_execution_time_ms == 6.0


class ExplodingMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("database cursor closed")

    def __iter__(self) -> Iterator[str]:
        return iter(["timestamp"])

    def __len__(self) -> int:
        return 1


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(ExplodingMapping(), id="mapping_getitem_raises"),
        pytest.param(good(success=BadRepr()), id="value_repr_raises"),
    ],
)
def test_hostile_objects_raise_python_errors_not_crashes(record: Any) -> None:
    # Either the user's own exception surfaces or the record is reported invalid; a
    # Rust panic (a BaseException) or a crash would fail this test.
    with pytest.raises((RuntimeError, InvalidRecordError)):
        REDUCER.execute_reduction_sync(contract([good(), record]))


# --------------------------------------------------------------------------- contracts


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"time_window_end": START}, "must be after", id="end_equals_start"),
        pytest.param(
            {"time_window_end": START - timedelta(hours=1)}, "must be after", id="end_before_start"
        ),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone|zone", id="unknown_timezone"),
        pytest.param({"timezone": ""}, "timezone|zone", id="empty_timezone"),
        pytest.param({"pattern_id": ""}, "pattern_id", id="empty_pattern_id"),
        pytest.param({"pattern_id": "   "}, "pattern_id", id="blank_pattern_id"),
        pytest.param({"pattern_id": 5}, "pattern_id", id="int_pattern_id"),
        pytest.param({"execution_data": {"timestamp": WHEN}}, "list", id="records_dict"),
        pytest.param({"execution_data": "records"}, "list", id="records_str"),
        pytest.param({"execution_data": 5}, "list", id="records_int"),
        pytest.param({"execution_data": iter([])}, "list", id="records_iterator"),
        pytest.param({"bucket_width": timedelta(0)}, "bucket_width", id="zero_bucket_width"),
        pytest.param(
            {"bucket_width": timedelta(hours=-1)}, "bucket_width", id="negative_bucket_width"
        ),
        pytest.param({"on_invalid": "ignore"}, "on_invalid", id="unknown_on_invalid"),
        pytest.param({"time_window_type": "fortnightly"}, "time_window_type", id="bad_type"),
    ],
)
def test_contract_validation_errors(options: dict[str, Any], match: str) -> None:
    fields: dict[str, Any] = {
        "pattern_id": "p",
        "time_window_start": START,
        "time_window_end": END,
        "execution_data": [],
        **options,
    }
    with pytest.raises(ValueError, match=match):
        ModelUsageAnalyticsInput(**fields)


def test_absurdly_small_bucket_width_is_an_error_not_a_crash() -> None:
    # 1 us buckets over a week would be 6e11 buckets: refused when the request is built
    # (a validation error, so a ValueError) instead of exhausting memory.
    with pytest.raises(ValueError, match="at most 1000000 are allowed"):
        contract([good()], bucket_width=timedelta(microseconds=1))


def test_window_type_whose_buckets_are_too_many_is_refused_when_built() -> None:
    # 5-minute buckets (the hourly type's) over 20 years: 2.1 million. Refused by the
    # contract, as an explicit width is, not by the reduction.
    with pytest.raises(ValueError, match="time_window_type 'hourly' over 7305 days") as error:
        ModelUsageAnalyticsInput(
            pattern_id="p",
            time_window_start=datetime(2000, 1, 1, tzinfo=UTC),
            time_window_end=datetime(2020, 1, 1, tzinfo=UTC),
            time_window_type="hourly",
        )
    assert "at most 1000000 are allowed; set a wider bucket_width" in str(error.value)
    ModelUsageAnalyticsInput(  # the same window with the custom type's own width: fine
        pattern_id="p",
        time_window_start=datetime(2000, 1, 1, tzinfo=UTC),
        time_window_end=datetime(2020, 1, 1, tzinfo=UTC),
        time_window_type="custom",
    )


def test_a_numpy_complex_is_refused_where_its_warning_is_not_an_error() -> None:
    # Its __float__ gives the real part with a ComplexWarning (an error under pytest's
    # filters, so the table above cannot tell): 5 + 7j was read as 5.0.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = skip([good(execution_time_ms=np.complex128(5 + 7j))])
    assert out.data_quality.invalid_records == 1
    assert out.data_quality.error_samples[0].reason == "must be a number, got complex128"


class _Refusing:
    """A number type whose own conversion fails."""

    def __float__(self) -> float:
        raise ValueError("no float for you")


class _Plain:
    """No conversion at all."""


def test_a_failed_conversion_names_what_it_raised() -> None:
    # The type's own `__float__` raised: that is the reason, not "got _Refusing".
    out = skip([good(execution_time_ms=_Refusing()), good(quality_score=_Plain())])
    reasons = [sample.reason for sample in out.data_quality.error_samples]
    assert reasons == [
        "must be a number: converting it to float raised ValueError: no float for you",
        "must be a number, got _Plain",
    ]


def test_a_number_type_python_refuses_is_named_by_its_type() -> None:
    # numpy's datetime64 and timedelta64 have a `__float__` that refuses them with a
    # TypeError about another type ("not 'datetime.date'"): their own type is the reason.
    # (A timedelta64 execution time is a duration, read as its milliseconds:
    # test_durations.py.)
    out = skip(
        [
            good(execution_time_ms=np.datetime64("2026-01-01")),
            good(quality_score=np.timedelta64(5, "s")),
        ]
    )
    reasons = [sample.reason for sample in out.data_quality.error_samples]
    assert reasons == ["must be a number, got datetime64", "must be a number, got timedelta64"]


class _Row(NamedTuple):
    timestamp: datetime
    success: bool


@dataclass
class _Execution:
    timestamp: datetime
    success: bool


class _Model(BaseModel):
    timestamp: datetime
    success: bool


@pytest.mark.parametrize(
    ("record", "remedy", "as_dict"),
    [
        pytest.param(
            _Model(timestamp=WHEN, success=True), ".model_dump()", _Model.model_dump, id="pydantic"
        ),
        pytest.param(_Execution(WHEN, True), "dataclasses.asdict()", asdict, id="dataclass"),
        pytest.param(_Row(WHEN, True), "._asdict()", _Row._asdict, id="named_tuple"),
    ],
)
def test_a_record_of_a_service_s_own_class_is_refused_saying_how_to_make_it_a_dict(
    record: Any, remedy: str, as_dict: Callable[[Any], dict[str, Any]]
) -> None:
    """A FastAPI service's likeliest mistake: its own objects as records. The reason names
    the object's class and how such an object becomes the dict a record is (the object's
    attributes are not asked: they could run its code); the dict so made is read."""
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(contract([good(), record]))
    error = raised.value
    assert (error.index, error.field) == (1, "record")
    assert f"got {type(record).__name__} " in error.reason
    assert remedy in error.reason
    output = REDUCER.execute_reduction_sync(contract([good(), as_dict(record)]))
    assert output.usage_metrics.total_executions == 2
