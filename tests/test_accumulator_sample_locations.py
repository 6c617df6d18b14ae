"""Skipped records' samples kept by accumulators name their rows as the reducer does.

The one-call reducer names an invalid record of a pandas frame whose index is not 0 to
n - 1 by its index label too (`location`, README "index label"). An accumulator keeps
the first samples of all its updates, each `index` the record's position within the
update that brought it; its `location`, noted at the update, is kept through merges and
the state's bytes (format version 8), so the row is found however the state was built.
"""

from __future__ import annotations

import base64
import itertools
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
)
from usage_analytics.contracts import InvalidRecordSample

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=7)
WINDOW: dict[str, Any] = {"time_window_start": START, "time_window_end": END}
REDUCER = NodeUsageAnalyticsReducer()

# Written by the release before version 8 (`to_bytes()` of format version 7): a
# `UsageAccumulator` and a `BatchUsageAccumulator` (pattern "p") of 2026-01-01 to -08,
# skip mode, of four records of 2026-01-02, the second's execution time -1.0 and the
# fourth's success "x".
VERSION_7_ONE = base64.b64decode(
    "VUFTVAcAD6FjwtgEeyJ0aW1lX3dpbmRvd19zdGFydCI6IjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwidGlt"
    "ZV93aW5kb3dfZW5kIjoiMjAyNi0wMS0wOFQwMDowMDowMFoiLCJ0aW1lX3dpbmRvd190eXBlIjoid2Vl"
    "a2x5IiwiZ3JhbnVsYXJpdHkiOiJkZXRhaWxlZCIsImluY2x1ZGVfdHJlbmRzIjp0cnVlLCJpbmNsdWRl"
    "X3BlcmZvcm1hbmNlIjp0cnVlLCJpbmNsdWRlX2Rpc3RyaWJ1dGlvbiI6dHJ1ZSwiaW5jbHVkZV9wcmVk"
    "aWN0aW9ucyI6ZmFsc2UsImNvcnJlbGF0aW9uX2lkIjoiMDRiNDQ3N2MtNzUyOS00OTEzLWFlMGUtYjY1"
    "ZmMyOTljNGZiIiwib25faW52YWxpZCI6InNraXAiLCJ0aW1lem9uZSI6IlVUQyIsImJ1Y2tldF93aWR0"
    "aCI6bnVsbCwidHJlbmRfdGhyZXNob2xkcyI6eyJncm93aW5nX3ZlbG9jaXR5IjowLjUsImRlY2xpbmlu"
    "Z192ZWxvY2l0eSI6LTAuNSwiYWJhbmRvbmVkX3ZlbG9jaXR5IjotMi4wLCJhYmFuZG9uZWRfbWF4X2V4"
    "ZWN1dGlvbnMiOjUsImVtZXJnaW5nX21heF9leGVjdXRpb25zIjoxMCwibWluX3Rfc3RhdGlzdGljIjoy"
    "LjAsInJlY2VudF9mcmFjdGlvbiI6MC4yNX0sInJlbGF0aXZlX2FjY3VyYWN5IjowLjAxLCJleGFjdF9i"
    "dWRnZXQiOjEwMjR9gICC4ojSowaAgJ/wovWjBoDgrvegAQNVVEMBAQEAAAAAAAAAAOA/AAAAAAAA4L8A"
    "AAAAAAAAwAUKAAAAAAAAAEAAAAAAAADQP4AIexSuR+F6hD8EAAICARFleGVjdXRpb25fdGltZV9tcwQt"
    "MS4wDG11c3QgYmUgPj0gMAMHc3VjY2VzcwMneCcrbXVzdCBiZSBhIGJvb2wgKG9yIHRoZSBpbnQgMCBv"
    "ciAxKSwgZ290IHN0cgEHdW5rbm93bgACAgAAAAAAEAAAAAAAABRAAAAAAAAAFEAAAQEEAgHOvwICAgAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIAAAGAgL2/jNejBgEAAQIBAAECAQABAgAACACg92NcRwYA"
    "CACg92NcRwYA"
)
VERSION_7_BATCH = base64.b64decode(
    "VUFTVAcAylLgwtgEeyJ0aW1lX3dpbmRvd19zdGFydCI6IjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwidGlt"
    "ZV93aW5kb3dfZW5kIjoiMjAyNi0wMS0wOFQwMDowMDowMFoiLCJ0aW1lX3dpbmRvd190eXBlIjoid2Vl"
    "a2x5IiwiZ3JhbnVsYXJpdHkiOiJkZXRhaWxlZCIsImluY2x1ZGVfdHJlbmRzIjp0cnVlLCJpbmNsdWRl"
    "X3BlcmZvcm1hbmNlIjp0cnVlLCJpbmNsdWRlX2Rpc3RyaWJ1dGlvbiI6dHJ1ZSwiaW5jbHVkZV9wcmVk"
    "aWN0aW9ucyI6ZmFsc2UsImNvcnJlbGF0aW9uX2lkIjoiODM3YmViYWYtM2U3OS00OTNmLTk2MjgtNmNi"
    "YzQ1N2Y5YmNjIiwib25faW52YWxpZCI6InNraXAiLCJ0aW1lem9uZSI6IlVUQyIsImJ1Y2tldF93aWR0"
    "aCI6bnVsbCwidHJlbmRfdGhyZXNob2xkcyI6eyJncm93aW5nX3ZlbG9jaXR5IjowLjUsImRlY2xpbmlu"
    "Z192ZWxvY2l0eSI6LTAuNSwiYWJhbmRvbmVkX3ZlbG9jaXR5IjotMi4wLCJhYmFuZG9uZWRfbWF4X2V4"
    "ZWN1dGlvbnMiOjUsImVtZXJnaW5nX21heF9leGVjdXRpb25zIjoxMCwibWluX3Rfc3RhdGlzdGljIjoy"
    "LjAsInJlY2VudF9mcmFjdGlvbiI6MC4yNX0sInJlbGF0aXZlX2FjY3VyYWN5IjowLjAxLCJleGFjdF9i"
    "dWRnZXQiOjEwMjR9gICC4ojSowaAgJ/wovWjBoDgrvegAQNVVEMBAQEAAAAAAAAAAOA/AAAAAAAA4L8A"
    "AAAAAAAAwAUKAAAAAAAAAEAAAAAAAADQP4AIexSuR+F6hD8EAAICARFleGVjdXRpb25fdGltZV9tcwQt"
    "MS4wDG11c3QgYmUgPj0gMAMHc3VjY2VzcwMneCcrbXVzdCBiZSBhIGJvb2wgKG9yIHRoZSBpbnQgMCBv"
    "ciAxKSwgZ290IHN0cgEHdW5rbm93bgEBAAFwBAACAgERZXhlY3V0aW9uX3RpbWVfbXMELTEuMAxtdXN0"
    "IGJlID49IDADB3N1Y2Nlc3MDJ3gnK211c3QgYmUgYSBib29sIChvciB0aGUgaW50IDAgb3IgMSksIGdv"
    "dCBzdHICAgAAAAAAEAAAAAAAABRAAAAAAAAAFEAAAQEEAgHOvwICAgAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAIAAAGAgL2/jNejBgEAAQIBAAECAQABAgAACACg92NcRwYACACg92NcRwYA"
)


def frame(index: Any, times: list[float]) -> pd.DataFrame:
    """Records of pattern "p" inside the window, one a time (a negative one is invalid)."""
    return pd.DataFrame(
        {
            "pattern_id": ["p"] * len(times),
            "timestamp": pd.date_range(START, periods=len(times), freq="h"),
            "execution_time_ms": times,
        },
        index=index,
    )


def places(samples: list[InvalidRecordSample]) -> list[tuple[int, str | None]]:
    return [(sample.index, sample.location) for sample in samples]


def batch_samples(accumulator: BatchUsageAccumulator) -> list[tuple[int, str | None]]:
    return places(accumulator.finalize().data_quality.error_samples)


def one_call_samples(data: Any) -> list[InvalidRecordSample]:
    request = ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **WINDOW)
    return REDUCER.execute_batch_reduction_sync(request).data_quality.error_samples


LABELLED = frame(list("abcdef"), [1.0, -1.0, 2.0, 3.0, -2.0, 4.0])


def test_an_update_from_a_labelled_frame_keeps_its_rows_labels() -> None:
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    accumulator.update(LABELLED)
    expected = [(1, "index label 'b'"), (4, "index label 'e'")]
    assert batch_samples(accumulator) == expected == places(one_call_samples(LABELLED))
    single = UsageAccumulator(**WINDOW, on_invalid="skip")
    single.update(LABELLED.drop(columns="pattern_id"))
    assert places(single.finalize("p").data_quality.error_samples) == expected


def test_a_patterns_own_samples_name_no_label_as_in_one_call() -> None:
    # (A pattern's samples count among its own records, which no label places.)
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    accumulator.update(LABELLED)
    own = accumulator.finalize().results["p"].data_quality.error_samples
    assert places(own) == [(1, None), (4, None)]


@pytest.mark.parametrize(
    "data",
    [
        LABELLED.reset_index(drop=True),
        LABELLED.to_dict("records"),
        pa.Table.from_pandas(LABELLED, preserve_index=False),
    ],
    ids=["default index", "list of records", "arrow"],
)
def test_data_without_labels_keeps_samples_without_a_location(data: Any) -> None:
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    accumulator.update(data)
    assert batch_samples(accumulator) == [(1, None), (4, None)]


def test_each_updates_samples_are_indexed_within_it_and_located_by_label() -> None:
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    accumulator.update(LABELLED.iloc[:3])
    accumulator.update(LABELLED.iloc[3:].to_dict("records"))
    accumulator.update(LABELLED.iloc[3:])
    assert batch_samples(accumulator) == [(1, "index label 'b'"), (1, None), (1, "index label 'e'")]


def test_a_slice_of_a_default_index_frame_names_its_rows_position_in_the_whole() -> None:
    # Its index runs from 3: not the default, so labelled, and the label is the row of
    # the whole frame (the first slice, 0 to 2, names none, as the whole frame's would).
    whole = LABELLED.reset_index(drop=True)
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    for start in (0, 3):
        accumulator.update(whole.iloc[start : start + 3])
    assert batch_samples(accumulator) == [(1, None), (1, "index label 4")]


def test_locations_are_kept_through_merges_bytes_and_pickle() -> None:
    first = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    first.update(LABELLED.iloc[:3])
    second = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    second.update(LABELLED.iloc[3:])
    expected = [(1, "index label 'b'"), (1, "index label 'e'")]
    assert batch_samples(first.merge(second)) == expected
    assert batch_samples(BatchUsageAccumulator.merge_many([first, second])) == expected
    states = [first.to_bytes(), second.to_bytes()]
    assert batch_samples(BatchUsageAccumulator.merge_bytes(states)) == expected
    assert batch_samples(BatchUsageAccumulator.from_bytes(states[1])) == expected[1:]
    assert batch_samples(pickle.loads(pickle.dumps(first))) == expected[:1]
    first.merge_in(second)
    assert batch_samples(first) == expected
    assert batch_samples(BatchUsageAccumulator.from_bytes(first.to_bytes())) == expected


def test_rows_are_located_only_for_the_samples_the_state_keeps() -> None:
    # (A state keeps the first five samples of all its updates: a row of an update that
    # comes after them is never looked up, a callable a Dask task makes per partition.)
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    looked_up: list[int] = []

    def locate(index: int) -> str:
        looked_up.append(index)
        return f"row {index}"

    accumulator._added(frame(list("abcdef"), [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0]), locate)
    assert looked_up == [0, 1, 2]
    accumulator._added(frame(list("abcdef"), [-1.0, -1.0, -1.0, -1.0, 1.0, 1.0]), locate)
    assert looked_up == [0, 1, 2, 0, 1]
    accumulator._added(frame(list("abcdef"), [-1.0] * 6), locate)
    assert looked_up == [0, 1, 2, 0, 1]
    kept = [(0, "row 0"), (1, "row 1"), (2, "row 2"), (0, "row 0"), (1, "row 1")]
    assert batch_samples(accumulator) == kept


def test_a_state_that_names_no_location_is_stored_as_before() -> None:
    # (Its bytes are version 7's, stamped 7, so a release before 8 reads them: the
    # locations are stored, and the version raised, only where one is set.)
    accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    accumulator.update(LABELLED.to_dict("records"))
    data = accumulator.to_bytes()
    assert data[4:6] == b"\x07\x00"
    labelled = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
    labelled.update(LABELLED)
    assert len(labelled.to_bytes()) > len(data)


def test_version_7_states_still_load_their_samples_without_locations() -> None:
    assert VERSION_7_ONE[4:6] == VERSION_7_BATCH[4:6] == b"\x07\x00"
    expected = [
        ("execution_time_ms", "-1.0", "must be >= 0", 1),
        ("success", "'x'", "must be a bool (or the int 0 or 1), got str", 3),
    ]
    one = UsageAccumulator.from_bytes(VERSION_7_ONE)
    batch = BatchUsageAccumulator.from_bytes(VERSION_7_BATCH)
    for output in (one.finalize("p"), batch.finalize(), batch.finalize().results["p"]):
        samples = output.data_quality.error_samples
        assert [(s.field, s.value, s.reason, s.index) for s in samples] == expected
        assert [s.location for s in samples] == [None, None]
        assert output.data_quality.records_received == 4
    # Merged with a state of version 8 and saved again: version 8, the new samples located.
    newer = BatchUsageAccumulator(**{**batch.settings.model_dump(), "execution_data": None})
    newer.update(LABELLED)
    merged = BatchUsageAccumulator.merge_bytes([VERSION_7_BATCH, newer.to_bytes()])
    again = BatchUsageAccumulator.from_bytes(merged.to_bytes())
    located = [(1, "index label 'b'"), (4, "index label 'e'")]
    assert batch_samples(again) == [(1, None), (3, None), *located]
    assert merged.to_bytes()[4:6] == b"\x08\x00"
    # The one-pattern state is read with the same settings and records as written.
    assert one.finalize("p").usage_metrics.total_executions == 2


def test_the_reducer_of_a_single_pattern_still_names_the_label() -> None:
    # (Its path names labels itself: unchanged by the accumulators'.)
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        execution_data=LABELLED.drop(columns="pattern_id"),
        on_invalid="skip",
        **WINDOW,
    )
    output = REDUCER.execute_reduction_sync(contract)
    assert places(output.data_quality.error_samples) == [
        (1, "index label 'b'"),
        (4, "index label 'e'"),
    ]


@st.composite
def split_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    """A frame of distinct labels (strings or shuffled ints), some records invalid, and
    the positions where it is cut into updates."""
    n = draw(st.integers(1, 14))
    times = draw(st.lists(st.sampled_from([1.0, -1.0, 2.5]), min_size=n, max_size=n))
    if draw(st.booleans()):
        labels: list[Any] = [f"r{i}" for i in range(n)]
    else:
        labels = draw(st.permutations([i * 7 + 1 for i in range(n)]))
    cuts = sorted(draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=4)) - {n})
    return frame(labels, times), cuts


@given(split_frames(), st.sampled_from(["update", "merge_many", "merge_bytes"]))
def test_any_split_gives_the_one_calls_samples_indexed_within_their_updates(
    drawn: tuple[pd.DataFrame, list[int]], how: str
) -> None:
    whole, cuts = drawn
    bounds = [0, *cuts, len(whole)]
    parts = [whole.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    accumulators = []
    for part in parts:
        accumulator = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
        accumulator.update(part)
        accumulators.append(accumulator)
    if how == "update":
        merged = BatchUsageAccumulator(**WINDOW, on_invalid="skip")
        for part in parts:
            merged.update(part)
    elif how == "merge_many":
        merged = BatchUsageAccumulator.merge_many(accumulators)
    else:
        merged = BatchUsageAccumulator.merge_bytes([a.to_bytes() for a in accumulators])
    # The model: the one call's samples, each index less its update's first row.
    first_row = {
        row: start for start, end in itertools.pairwise(bounds) for row in range(start, end)
    }
    expected = [(s.index - first_row[s.index], s.location) for s in one_call_samples(whole)]
    assert batch_samples(merged) == expected
    assert all(location is not None for _, location in expected)
