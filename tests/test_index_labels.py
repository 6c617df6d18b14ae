"""An invalid record of a pandas frame is named by its position (`index`, the row: what
`df.iloc` takes) and, where the frame's index is not the default 0 to n - 1 (a label
index, a filtered frame, a MultiIndex), by its index label too (`location`, what
`df.loc` takes): in the raised error and in the samples of `data_quality`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from usage_analytics import (
    InvalidRecordError,
    InvalidRecordSample,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
)
from usage_analytics.html_report import render_html
from usage_analytics.report import render_report

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=1)
REDUCER = NodeUsageAnalyticsReducer()


def frame(index: Any = None, *, success: Any = (True, "x", True)) -> pd.DataFrame:
    """Three records, the second's success not a flag (an object column: read as its
    records) unless `success` says otherwise."""
    return pd.DataFrame(
        {
            "timestamp": pd.date_range(START, periods=3, freq="h"),
            "success": list(success),
            "execution_time_ms": [1.0, 2.0, 3.0],
        },
        index=index,
    )


def contract(data: Any, **options: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        **options,
    )


def raised(data: Any) -> InvalidRecordError:
    with pytest.raises(InvalidRecordError) as caught:
        REDUCER.execute_reduction_sync(contract(data))
    return caught.value


def samples(data: Any) -> list[InvalidRecordSample]:
    output = REDUCER.execute_reduction_sync(contract(data, on_invalid="skip"))
    return output.data_quality.error_samples


def test_a_label_index_names_the_records_label() -> None:
    error = raised(frame(index=["a", "b", "c"]))
    assert str(error) == (
        "record 1 (index label 'b'): field 'success' = 'x': must be a bool (or the int 0 or 1), "
        "got str"
    )
    assert (error.index, error.location) == (1, "index label 'b'")
    [sample] = samples(frame(index=["a", "b", "c"]))
    assert (sample.index, sample.location) == (1, "index label 'b'")


def test_a_label_index_of_an_arrow_read_frame_names_the_label() -> None:
    # (A frame of typed columns, read through Arrow rather than as its records.)
    data = frame(index=["a", "b", "c"], success=(True, True, True))
    data["execution_time_ms"] = [1.0, -2.0, 3.0]
    error = raised(data)
    assert str(error) == (
        "record 1 (index label 'b'): field 'execution_time_ms' = -2.0: must be >= 0"
    )


def test_a_filtered_frame_names_the_original_rows_label() -> None:
    data = pd.concat([frame(), frame()], ignore_index=True)  # labels 0 to 5
    data["execution_time_ms"] = [1.0, 2.0, 3.0, 4.0, -5.0, 6.0]
    data["success"] = True
    filtered = data[data["execution_time_ms"] != 2.0]  # labels 0, 2, 3, 4, 5
    error = raised(filtered)
    assert (error.index, error.location) == (3, "index label 4")
    assert str(error).startswith("record 3 (index label 4): ")
    assert filtered.loc[4, "execution_time_ms"] == -5.0  # (what the label is for)
    [sample] = samples(filtered)
    assert (sample.index, sample.location) == (3, "index label 4")


def test_a_multiindex_label_is_its_tuple() -> None:
    index = pd.MultiIndex.from_tuples([("x", 1), ("y", 2), ("z", 3)], names=["host", "run"])
    error = raised(frame(index=index))
    assert error.location == "index label ('y', 2)"
    assert str(error).startswith("record 1 (index label ('y', 2)): field 'success'")


def test_a_datetime_index_label_is_the_timestamp() -> None:
    data = frame(index=pd.date_range("2025-06-01", periods=3, freq="D"))
    assert raised(data).location == "index label Timestamp('2025-06-02 00:00:00')"


def test_a_long_label_is_cut_as_a_value_is() -> None:
    # A 1 MB label was a 1 MB error message, and a 1 MB location in each sample (and in
    # each accumulator's bytes).
    long = "y" * 1_000_000
    expected = f"index label {repr(long)[:80]}..."
    assert len(expected) == len("index label ") + 83
    error = raised(frame(index=["a", long, "c"]))
    assert error.location == expected
    assert str(error).startswith(f"record 1 ({expected}): field 'success'")
    [sample] = samples(frame(index=["a", long, "c"]))
    assert sample.location == expected
    # Up to 80 characters, whole.
    exact = "z" * 78  # (its repr: 80 characters, quotes and all)
    assert raised(frame(index=["a", exact, "c"])).location == f"index label {exact!r}"
    one_more = exact + "z"
    assert raised(frame(index=["a", one_more, "c"])).location == (
        f"index label {repr(one_more)[:80]}..."
    )


class _ReprRaises:
    """An index label whose repr fails (user code)."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_label_whose_repr_raises_is_named_by_its_type() -> None:
    # The repr's RuntimeError escaped the reducer: no InvalidRecordError, no record named.
    index = pd.Index(["a", _ReprRaises(), "c"], dtype=object)
    error = raised(frame(index=index))
    expected = "index label <_ReprRaises object: its repr raised RuntimeError>"
    assert error.location == expected
    assert str(error).startswith(f"record 1 ({expected}): field 'success'")
    [sample] = samples(frame(index=index))
    assert sample.location == expected


def test_a_default_index_names_no_label() -> None:
    error = raised(frame())
    assert str(error) == (
        "record 1: field 'success' = 'x': must be a bool (or the int 0 or 1), got str"
    )
    assert error.location is None
    [sample] = samples(frame())
    assert sample.location is None
    # Left out of the output's dumps where None: the JSON is as before.
    output = REDUCER.execute_reduction_sync(contract(frame(), on_invalid="skip"))
    assert output.to_dict()["data_quality"]["error_samples"] == [
        {
            "index": 1,
            "field": "success",
            "value": "'x'",
            "reason": "must be a bool (or the int 0 or 1), got str",
        }
    ]


def test_a_range_index_not_from_zero_names_the_label() -> None:
    data = frame(index=pd.RangeIndex(10, 13))
    assert raised(data).location == "index label 11"


def test_a_label_is_in_the_samples_dump_and_json() -> None:
    output = REDUCER.execute_reduction_sync(
        contract(frame(index=["a", "b", "c"]), on_invalid="skip")
    )
    [sample] = json.loads(output.to_json())["data_quality"]["error_samples"]
    assert sample == {
        "index": 1,
        "field": "success",
        "value": "'x'",
        "reason": "must be a bool (or the int 0 or 1), got str",
        "location": "index label 'b'",
    }


def test_the_reports_name_the_label() -> None:
    output = REDUCER.execute_reduction_sync(
        contract(frame(index=["a", "b", "c"]), on_invalid="skip")
    )
    line = "record 1 (index label 'b'): success = 'x': must be a bool (or the int 0 or 1),"
    assert line in render_report(output, width=100)
    assert "<td>record 1 (index label &#x27;b&#x27;)</td>" in render_html(output)
    plain = REDUCER.execute_reduction_sync(contract(frame(), on_invalid="skip"))
    assert "record 1: success = 'x'" in render_report(plain, width=100)


def test_a_list_of_records_names_no_label() -> None:
    records = frame(index=["a", "b", "c"]).to_dict("records")
    assert raised(records).location is None
    [sample] = samples(records)
    assert (sample.index, sample.location) == (1, None)


def _batch_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pattern_id": ["a", "b", "a", "b"],
            "timestamp": pd.date_range(START, periods=4, freq="h"),
            "execution_time_ms": [1.0, 2.0, 3.0, -4.0],
        },
        index=["w", "x", "y", "z"],
    )


def test_a_batch_names_the_label_of_the_input_row() -> None:
    request = ModelUsageAnalyticsBatchInput(
        time_window_start=START, time_window_end=END, execution_data=_batch_frame()
    )
    with pytest.raises(InvalidRecordError) as caught:
        REDUCER.execute_batch_reduction_sync(request)
    assert str(caught.value) == (
        "record 3 (index label 'z'): field 'execution_time_ms' = -4.0: must be >= 0"
    )

    async def run() -> None:
        with pytest.raises(InvalidRecordError, match=r"^record 3 \(index label 'z'\)"):
            await REDUCER.execute_batch_reduction(request)

    asyncio.run(run())
    skipped = REDUCER.execute_batch_reduction_sync(
        request.model_copy(update={"on_invalid": "skip"})
    )
    [sample] = skipped.data_quality.error_samples  # (the whole input's: rows of it)
    assert (sample.index, sample.location) == (3, "index label 'z'")
    # A pattern's samples count among its own records, which no label places.
    [own] = skipped.results["b"].data_quality.error_samples
    assert (own.index, own.location) == (1, None)


def test_an_async_reduction_names_the_label() -> None:
    async def run() -> None:
        with pytest.raises(InvalidRecordError, match=r"^record 1 \(index label 'b'\)"):
            await REDUCER.execute_reduction(contract(frame(index=["a", "b", "c"])))

    asyncio.run(run())


def test_an_accumulators_update_names_the_label() -> None:
    accumulator = UsageAccumulator(START, END)
    with pytest.raises(InvalidRecordError, match=r"^record 1 \(index label 'b'\)"):
        accumulator.update(frame(index=["a", "b", "c"]))


def test_a_sample_with_a_location_pickles_and_reloads() -> None:
    sample = InvalidRecordSample(index=1, field="f", value="1", reason="r", location="x")
    assert InvalidRecordSample.model_validate_json(sample.model_dump_json()) == sample
    plain = InvalidRecordSample(index=1, field="f", value="1", reason="r")
    assert "location" not in plain.model_dump()
