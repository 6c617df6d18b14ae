"""A `pattern_id` column of floats, in every columnar form: numpy and pandas hold int ids
with a missing one as floats (NaN missing), so a whole number is that int id, NaN a
missing id, and any other float (1.5, inf, beyond 64 bits) its record's error, as a
float id is in a list of records: skipped and counted in skip mode, named (row, field,
value, reason) in raise mode. The whole batch was refused ("has Arrow type Float64")."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics.streaming import BatchUsageAccumulator

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW: dict[str, Any] = {"time_window_start": NOW - timedelta(days=7), "time_window_end": NOW}
REDUCER = NodeUsageAnalyticsReducer()
VOLATILE = {"computation_time_ms", "computed_at", "correlation_id"}
REASON = "must be a whole number within 64 bits (a column of float ids is read as int ids)"

#: The forms a column of float ids comes in, from the ids and the timestamps.
FORMS: dict[str, Any] = {
    "dict of numpy": lambda ids, stamps: {"pattern_id": np.array(ids), "timestamp": stamps},
    "pyarrow": lambda ids, stamps: pa.table(
        {"pattern_id": pa.array(ids, pa.float64()), "timestamp": stamps}
    ),
    "pyarrow float32": lambda ids, stamps: pa.table(
        {"pattern_id": pa.array(ids, pa.float32()), "timestamp": stamps}
    ),
    "polars": lambda ids, stamps: pl.DataFrame(
        {"pattern_id": pl.Series(ids, dtype=pl.Float64), "timestamp": stamps}
    ),
    "pandas": lambda ids, stamps: pd.DataFrame({"pattern_id": ids, "timestamp": stamps}),
    "pandas categorical": lambda ids, stamps: pd.DataFrame(
        {"pattern_id": pd.Series(ids, dtype="category"), "timestamp": stamps}
    ),
    # Dictionary-encoded (a Parquet dictionary column read as one): the whole batch was
    # refused ("has Arrow type Dictionary(Int32, Float64)"). (polars has no categorical of
    # floats, and decodes such a dictionary: its frame is the "polars" form.)
    "pyarrow dictionary": lambda ids, stamps: pa.table(
        {"pattern_id": pa.array(ids, pa.float64()).dictionary_encode(), "timestamp": stamps}
    ),
    "pyarrow float32 dictionary": lambda ids, stamps: pa.table(
        {"pattern_id": pa.array(ids, pa.float32()).dictionary_encode(), "timestamp": stamps}
    ),
    "pandas arrow dictionary": lambda ids, stamps: pd.DataFrame(
        {
            "pattern_id": pd.arrays.ArrowExtensionArray(
                pa.array(ids, pa.float64()).dictionary_encode()
            ),
            "timestamp": stamps,
        }
    ),
}


def _stamps(n: int) -> np.ndarray:
    start = np.datetime64((NOW - timedelta(days=1)).replace(tzinfo=None), "us")
    return start + np.arange(n) * np.timedelta64(37, "m")


def _batch(data: Any, on_invalid: str = "skip") -> ModelUsageAnalyticsBatchOutput:
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid=on_invalid, **WINDOW)
    )


def _as_records(ids: list[float], stamps: np.ndarray) -> list[dict[str, Any]]:
    """The same records as a list: a whole float as its int, NaN a missing id, another
    float as it is (its record's error there too)."""
    records: list[dict[str, Any]] = []
    for value, stamp in zip(ids, stamps.tolist(), strict=True):
        record: dict[str, Any] = {"timestamp": stamp.replace(tzinfo=UTC)}
        if not math.isnan(value):
            whole = value.is_integer() and -(2.0**63) <= value < 2.0**63
            record["pattern_id"] = int(value) if whole else value
        records.append(record)
    return records


def _dumped(output: ModelUsageAnalyticsBatchOutput) -> dict[str, Any]:
    """The batch's results and data quality, each sample without its reason (a float's
    reason in a list of records is its type's: "got float")."""
    dumped = output.model_dump(exclude=VOLATILE)
    dumped["results"] = {
        key: result.model_dump(exclude=VOLATILE) for key, result in output.results.items()
    }
    for sample in dumped["data_quality"]["error_samples"]:
        del sample["reason"]
    return dumped


IDS = [7.0, 1.5, math.nan, 3.0, 7.0, math.inf, -0.0, 2.0**64, 3.0]


@pytest.mark.parametrize("form", FORMS)
def test_a_float_id_that_is_no_whole_number_is_its_records_error(form: str) -> None:
    stamps = _stamps(len(IDS))
    ids = list(IDS)
    if "float32" in form:
        ids[IDS.index(2.0**64)] = 2.5  # (2^64 is a float32: beyond i64 all the same)
    output = _batch(FORMS[form](ids, stamps))
    assert _dumped(output) == _dumped(_batch(_as_records(ids, stamps)))
    assert sorted(output.results) == [0, 3, 7]
    assert all(type(key) is int for key in output.results)
    quality = output.data_quality
    assert (quality.records_received, quality.invalid_records) == (9, 4)
    by_row = {sample.index: sample for sample in quality.error_samples}
    assert (by_row[1].field, by_row[1].value, by_row[1].reason) == ("pattern_id", "1.5", REASON)
    assert (by_row[2].value, by_row[2].reason) == ("<missing>", "required field is missing")
    assert (by_row[5].value, by_row[5].reason) == ("inf", REASON)


@pytest.mark.parametrize("form", FORMS)
def test_a_float_id_that_is_no_whole_number_raises_naming_its_row(form: str) -> None:
    ids = [3.0, 7.0, 7.25, 3.0]
    with pytest.raises(InvalidRecordError) as raised:
        _batch(FORMS[form](ids, _stamps(len(ids))), on_invalid="raise")
    error = raised.value
    assert (error.index, error.field, error.value, error.reason) == (
        2,
        "pattern_id",
        "7.25",
        REASON,
    )
    assert "record 2: field 'pattern_id' = 7.25: must be a whole number" in str(error)


def test_float_ids_beside_a_list_of_flags_of_several_kinds_are_read_as_ints() -> None:
    # A list of flags True and 1 beside the arrays makes the dict read as its rows, the
    # arrays' values as their columns read: the float ids as the ints they stand for (as
    # floats, each record's id was refused, "got float").
    stamps = _stamps(len(IDS))
    flags = [True, 1, None, 0, False, 1, True, 0, 1]
    given = {"pattern_id": np.array(IDS), "timestamp": stamps, "success": flags}
    typed = {**given, "success": np.array([bool(flag) for flag in flags])}
    output = _batch(given)
    assert sorted(output.results) == [0, 3, 7]
    assert all(type(key) is int for key in output.results)
    assert _dumped(output) == _dumped(_batch(typed))


def test_an_accumulator_skips_a_float_id_that_is_no_whole_number() -> None:
    ids = [3.0, 0.5, 3.0]
    accumulator = BatchUsageAccumulator(on_invalid="skip", **WINDOW)
    accumulator.update(FORMS["pyarrow"](ids, _stamps(3)))
    output = accumulator.finalize()
    assert list(output.results) == [3]
    assert output.data_quality.invalid_records == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-3, 3).map(float),
            st.sampled_from([0.5, -2.5, math.nan, math.inf, -math.inf, 2.0**63, -(2.0**63)]),
            st.floats(allow_nan=True),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_float_id_columns_read_as_the_records_they_stand_for(ids: list[float]) -> None:
    stamps = _stamps(len(ids))
    expected = _dumped(_batch(_as_records(ids, stamps)))
    for form in ("dict of numpy", "pyarrow", "pandas", "pyarrow dictionary"):
        assert _dumped(_batch(FORMS[form](ids, stamps))) == expected, form
