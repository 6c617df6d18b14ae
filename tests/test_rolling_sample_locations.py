"""Skipped records' samples kept by rolling monitors name their rows as the reducer does.

The one-call reducer names an invalid record of a pandas frame whose index is not 0 to
n - 1 by its index label too (`location`, README "index label"), and accumulators keep it
(`test_accumulator_sample_locations`). A rolling monitor (`RollingUsageAnalytics`,
`BatchRollingUsageAnalytics`) keeps the first samples of all its adds, each `index` the
record's position within the add that brought it; its `location`, noted at that add, is
kept through snapshots, a batch monitor's forgetting of the pattern, the monitor's bytes
(rolling format version 2, batch rolling version 2) and pickle. A pattern's own samples
name none, as in `execute_batch_reduction`.
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
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    UsageAnalyticsError,
)
from usage_analytics.batch_rolling import BatchRollingUsageAnalytics
from usage_analytics.contracts import InvalidRecordSample, ModelUsageAnalyticsBatchOutput

START = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
BUCKET = timedelta(minutes=5)
REDUCER = NodeUsageAnalyticsReducer()
Monitor = RollingUsageAnalytics | BatchRollingUsageAnalytics

# Written by the release before rolling version 2 (`to_bytes()` of rolling format 1 and
# batch rolling format 1): a `RollingUsageAnalytics` and a `BatchRollingUsageAnalytics`
# (pattern "p") of an hour's window of 5-minute buckets, skip mode, of four records a
# minute apart from 2026-01-01, the second's execution time -1.0 and the fourth's
# success "x".
VERSION_1_ONE = base64.b64decode(
    "VUFSVwEATufq5p0EeyJ3aW5kb3ciOiJQVDFIIiwiYnVja2V0IjoiUFQ1TSIsImdyYW51bGFyaXR5Ijoi"
    "ZGV0YWlsZWQiLCJpbmNsdWRlX3RyZW5kcyI6dHJ1ZSwiaW5jbHVkZV9wZXJmb3JtYW5jZSI6dHJ1ZSwi"
    "aW5jbHVkZV9kaXN0cmlidXRpb24iOnRydWUsImluY2x1ZGVfcHJlZGljdGlvbnMiOmZhbHNlLCJvbl9p"
    "bnZhbGlkIjoic2tpcCIsInRpbWV6b25lIjoiVVRDIiwidHJlbmRfdGhyZXNob2xkcyI6eyJncm93aW5n"
    "X3ZlbG9jaXR5IjowLjUsImRlY2xpbmluZ192ZWxvY2l0eSI6LTAuNSwiYWJhbmRvbmVkX3ZlbG9jaXR5"
    "IjotMi4wLCJhYmFuZG9uZWRfbWF4X2V4ZWN1dGlvbnMiOjUsImVtZXJnaW5nX21heF9leGVjdXRpb25z"
    "IjoxMCwibWluX3Rfc3RhdGlzdGljIjoyLjAsInJlY2VudF9mcmFjdGlvbiI6MC4yNX0sImNvcnJlbGF0"
    "aW9uX2lkIjoiZDVkOGY5MzctNWNmNy00MTM4LWFjNDMtYzYwOTIwZTk0MTczIiwicmVsYXRpdmVfYWNj"
    "dXJhY3kiOjAuMDEsImV4YWN0X2J1ZGdldCI6MTAyNCwibWF4X2Z1dHVyZSI6bnVsbCwicGF0dGVybl9p"
    "ZCI6InJvbGxpbmcifQCAjI2eAoCMjZ4CA1VUQwEBAQAAAAAAAAAA4D8AAAAAAADgvwAAAAAAAADABQoA"
    "AAAAAAAAQAAAAAAAANA/gAh7FK5H4XqEP4CMjZ4CDAGAi88FAgQAAgIBEWV4ZWN1dGlvbl90aW1lX21z"
    "BC0xLjAMbXVzdCBiZSA+PSAwAwdzdWNjZXNzAyd4JyttdXN0IGJlIGEgYm9vbCAob3IgdGhlIGludCAw"
    "IG9yIDEpLCBnb3Qgc3RyAQd1bmtub3duAYCLzwUCAgAAAAAAEAAAAAAAAPA/AAAAAAAAAEAAAAECAcy/"
    "AgICAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAYC4utSJ0qMGAQABAgEAAQIBAAECAAAIAEAg"
    "RkhHBgAIAE5HTUhHBgA="
)
VERSION_1_BATCH = base64.b64decode(
    "VUFSQgEA6z6N4oYEeyJ3aW5kb3ciOiJQVDFIIiwiYnVja2V0IjoiUFQ1TSIsImdyYW51bGFyaXR5Ijoi"
    "ZGV0YWlsZWQiLCJpbmNsdWRlX3RyZW5kcyI6dHJ1ZSwiaW5jbHVkZV9wZXJmb3JtYW5jZSI6dHJ1ZSwi"
    "aW5jbHVkZV9kaXN0cmlidXRpb24iOnRydWUsImluY2x1ZGVfcHJlZGljdGlvbnMiOmZhbHNlLCJvbl9p"
    "bnZhbGlkIjoic2tpcCIsInRpbWV6b25lIjoiVVRDIiwidHJlbmRfdGhyZXNob2xkcyI6eyJncm93aW5n"
    "X3ZlbG9jaXR5IjowLjUsImRlY2xpbmluZ192ZWxvY2l0eSI6LTAuNSwiYWJhbmRvbmVkX3ZlbG9jaXR5"
    "IjotMi4wLCJhYmFuZG9uZWRfbWF4X2V4ZWN1dGlvbnMiOjUsImVtZXJnaW5nX21heF9leGVjdXRpb25z"
    "IjoxMCwibWluX3Rfc3RhdGlzdGljIjoyLjAsInJlY2VudF9mcmFjdGlvbiI6MC4yNX0sImNvcnJlbGF0"
    "aW9uX2lkIjoiOTBlNmUzZjctZjY2Ni00ZjkwLTkzN2MtNWEyN2JhNDY0OTkyIiwicmVsYXRpdmVfYWNj"
    "dXJhY3kiOjAuMDEsImV4YWN0X2J1ZGdldCI6MTAyNCwibWF4X2Z1dHVyZSI6bnVsbH0EAAICARFleGVj"
    "dXRpb25fdGltZV9tcwQtMS4wDG11c3QgYmUgPj0gMAMHc3VjY2VzcwMneCcrbXVzdCBiZSBhIGJvb2wg"
    "KG9yIHRoZSBpbnQgMCBvciAxKSwgZ290IHN0cmFVQVJXAQCu9dVTAACAjI2eAoCMjZ4CA1VUQwEBAQAA"
    "AAAAAAAA4D8AAAAAAADgvwAAAAAAAADABQoAAAAAAAAAQAAAAAAAANA/gAh7FK5H4XqEP4CMjZ4CDAAA"
    "AAAAAAAAAQABcLgCVUFSVwEAoikI6AAAgIyNngKAjI2eAgNVVEMBAQEAAAAAAAAAAOA/AAAAAAAA4L8A"
    "AAAAAAAAwAUKAAAAAAAAAEAAAAAAAADQP4AIexSuR+F6hD+AjI2eAgwBgIvPBQIEAAICARFleGVjdXRp"
    "b25fdGltZV9tcwQtMS4wDG11c3QgYmUgPj0gMAMHc3VjY2VzcwMneCcrbXVzdCBiZSBhIGJvb2wgKG9y"
    "IHRoZSBpbnQgMCBvciAxKSwgZ290IHN0cgEHdW5rbm93bgGAi88FAgIAAAAAABAAAAAAAADwPwAAAAAA"
    "AABAAAABAgHMvwICAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAGAuLrUidKjBgEAAQIBAAEC"
    "AQABAgAACABAIEZIRwYACABOR01IRwYA"
)


def frame(index: Any, times: list[float]) -> pd.DataFrame:
    """Records of pattern "p" a minute apart from START, one a time (a negative one is
    invalid)."""
    return pd.DataFrame(
        {
            "pattern_id": ["p"] * len(times),
            "timestamp": pd.date_range(START, periods=len(times), freq="min"),
            "execution_time_ms": times,
        },
        index=index,
    )


def one_pattern(data: Any) -> Any:
    """`data` as a one-pattern monitor takes it (no pattern_id)."""
    if isinstance(data, pd.DataFrame):
        return data.drop(columns="pattern_id")
    if isinstance(data, pa.Table):
        return data.drop_columns("pattern_id")
    return [{k: v for k, v in r.items() if k != "pattern_id"} for r in data]


KINDS: list[type[Monitor]] = [RollingUsageAnalytics, BatchRollingUsageAnalytics]
#: Each test of both monitors, a new one of each kind (skip mode).
both_kinds = pytest.mark.parametrize("kind", KINDS, ids=["one pattern", "batch"])


def new(kind: type[Monitor]) -> Monitor:
    return kind(HOUR, BUCKET, on_invalid="skip")


def add(monitor: Monitor, data: Any) -> None:
    monitor.add(data if isinstance(monitor, BatchRollingUsageAnalytics) else one_pattern(data))


def places(samples: list[InvalidRecordSample]) -> list[tuple[int, str | None]]:
    return [(sample.index, sample.location) for sample in samples]


def samples(monitor: Monitor, now: datetime = START) -> list[tuple[int, str | None]]:
    return places(monitor.snapshot(now).data_quality.error_samples)


def one_call_samples(data: pd.DataFrame) -> list[InvalidRecordSample]:
    window: dict[str, Any] = {"time_window_start": START, "time_window_end": START + HOUR}
    request = ModelUsageAnalyticsBatchInput(execution_data=data, on_invalid="skip", **window)
    return REDUCER.execute_batch_reduction_sync(request).data_quality.error_samples


LABELLED = frame(list("abcdef"), [1.0, -1.0, 2.0, 3.0, -2.0, 4.0])
EXPECTED = [(1, "index label 'b'"), (4, "index label 'e'")]


@both_kinds
def test_an_add_of_a_labelled_frame_keeps_its_rows_labels(kind: type[Monitor]) -> None:
    monitor = new(kind)
    add(monitor, LABELLED)
    assert samples(monitor) == EXPECTED == places(one_call_samples(LABELLED))


def test_the_one_pattern_monitors_labels_are_the_one_pattern_reducers() -> None:
    monitor = RollingUsageAnalytics(HOUR, BUCKET, on_invalid="skip")
    monitor.add(one_pattern(LABELLED))
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        execution_data=one_pattern(LABELLED),
        on_invalid="skip",
        time_window_start=START,
        time_window_end=START + HOUR,
    )
    output = REDUCER.execute_reduction_sync(contract)
    assert samples(monitor) == places(output.data_quality.error_samples) == EXPECTED


def test_a_patterns_own_samples_name_no_label_as_in_one_call() -> None:
    monitor = BatchRollingUsageAnalytics(HOUR, BUCKET, on_invalid="skip")
    monitor.add(LABELLED)
    own = monitor.snapshot(START).results["p"].data_quality.error_samples
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
@both_kinds
def test_data_without_labels_keeps_samples_without_a_location(
    kind: type[Monitor], data: Any
) -> None:
    monitor = new(kind)
    add(monitor, data)
    assert samples(monitor) == [(1, None), (4, None)]


@both_kinds
def test_each_adds_samples_are_indexed_within_it_and_located_by_label(
    kind: type[Monitor],
) -> None:
    monitor = new(kind)
    add(monitor, LABELLED.iloc[:3])
    add(monitor, LABELLED.iloc[3:].to_dict("records"))
    add(monitor, LABELLED.iloc[3:])
    assert samples(monitor) == [(1, "index label 'b'"), (1, None), (1, "index label 'e'")]


@pytest.mark.parametrize("through", ["bytes", "pickle"])
@both_kinds
def test_locations_are_kept_through_snapshots_bytes_and_pickle(
    kind: type[Monitor], through: str
) -> None:
    monitor = new(kind)
    add(monitor, LABELLED)
    assert samples(monitor) == samples(monitor, START + HOUR) == EXPECTED
    data = monitor.to_bytes()
    copy = (
        pickle.loads(pickle.dumps(monitor))
        if through == "pickle"
        else type(monitor).from_bytes(data)
    )
    assert samples(copy) == EXPECTED
    assert copy.to_bytes() == data
    # Taken up again, the saved samples and the new add's (room for three more).
    add(copy, frame(list("vwxyz"), [-1.0, 1.0, -1.0, -1.0, -1.0]))
    more = [(0, "index label 'v'"), (2, "index label 'x'"), (3, "index label 'y'")]
    assert samples(copy) == EXPECTED + more


def test_a_forgotten_patterns_samples_keep_their_labels_in_the_monitors() -> None:
    monitor = BatchRollingUsageAnalytics(HOUR, BUCKET, on_invalid="skip")
    monitor.add(LABELLED)
    later = START + 3 * HOUR  # (the kept range moved past every bucket of "p")
    monitor.add([{"pattern_id": "q", "timestamp": later, "execution_time_ms": 1.0}])
    assert monitor.pattern_count == 1
    shown = monitor.snapshot(later)
    assert "p" not in shown.results
    assert places(shown.data_quality.error_samples) == EXPECTED
    assert samples(BatchRollingUsageAnalytics.from_bytes(monitor.to_bytes()), later) == EXPECTED


@both_kinds
def test_rows_are_located_only_for_the_samples_the_monitor_keeps(kind: type[Monitor]) -> None:
    monitor = new(kind)
    # (A monitor keeps the first five samples of all its adds: a row of an add that comes
    # after them is never looked up.)
    looked_up: list[int] = []

    def locate(index: int) -> str:
        looked_up.append(index)
        return f"row {index}"

    def add_located(times: list[float]) -> None:
        records = frame(range(len(times)), times).to_dict("records")
        if isinstance(monitor, RollingUsageAnalytics):
            records = one_pattern(records)
        monitor._core.add_records(records, None, locate)

    add_located([-1.0, -1.0, -1.0, 1.0, 1.0, 1.0])
    assert looked_up == [0, 1, 2]
    add_located([-1.0, -1.0, -1.0, -1.0, 1.0, 1.0])
    assert looked_up == [0, 1, 2, 0, 1]
    add_located([-1.0] * 6)
    assert looked_up == [0, 1, 2, 0, 1]
    kept = [(0, "row 0"), (1, "row 1"), (2, "row 2"), (0, "row 0"), (1, "row 1")]
    assert samples(monitor) == kept


@both_kinds
def test_a_refused_add_locates_nothing_and_its_error_names_the_label(kind: type[Monitor]) -> None:
    strict = kind(HOUR, BUCKET)  # (raise mode: an add of an invalid record is refused)
    looked_up: list[int] = []
    records = frame(range(2), [1.0, -1.0]).to_dict("records")
    if isinstance(strict, RollingUsageAnalytics):
        records = one_pattern(records)
    raw = strict._core.add_records(records, None, looked_up.append)
    assert (raw["invalid"], looked_up) == (1, [])
    with pytest.raises(UsageAnalyticsError, match="index label 'b'"):
        add(strict, LABELLED)
    assert strict.snapshot(START).data_quality.records_received == 0


@both_kinds
def test_a_monitor_that_names_no_location_is_stored_as_before(kind: type[Monitor]) -> None:
    monitor = new(kind)
    # (Its bytes are version 1's, stamped 1, so a release before 2 reads them: the
    # locations are stored, and the version raised, only where one is set.)
    add(monitor, LABELLED.to_dict("records"))
    data = monitor.to_bytes()
    assert data[4:6] == b"\x01\x00"
    labelled = new(kind)
    add(labelled, LABELLED)
    located = labelled.to_bytes()
    assert located[4:6] == b"\x02\x00"
    assert len(located) > len(data)


@pytest.mark.parametrize(
    ("cls", "saved"),
    [(RollingUsageAnalytics, VERSION_1_ONE), (BatchRollingUsageAnalytics, VERSION_1_BATCH)],
    ids=["one pattern", "batch"],
)
def test_version_1_monitors_still_load_their_samples_without_locations(
    cls: type[Monitor], saved: bytes
) -> None:
    assert saved[4:6] == b"\x01\x00"
    expected = [
        ("execution_time_ms", "-1.0", "must be >= 0", 1, None),
        ("success", "'x'", "must be a bool (or the int 0 or 1), got str", 3, None),
    ]
    monitor = cls.from_bytes(saved)
    shown = monitor.snapshot(START)
    pattern = shown.results["p"] if isinstance(shown, ModelUsageAnalyticsBatchOutput) else shown
    for output in (shown, pattern):
        got = output.data_quality.error_samples
        assert [(s.field, s.value, s.reason, s.index, s.location) for s in got] == expected
        assert output.data_quality.records_received == 4
    assert pattern.usage_metrics.total_executions == 2
    # Unchanged, saved again as it was; a labelled add after it: version 2.
    assert monitor.to_bytes() == saved
    add(monitor, LABELLED)
    again = cls.from_bytes(monitor.to_bytes())
    assert monitor.to_bytes()[4:6] == b"\x02\x00"
    assert samples(again) == [(1, None), (3, None), *EXPECTED]


@st.composite
def split_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    """A frame of distinct labels (strings or shuffled ints), some records invalid, and
    the positions where it is cut into adds."""
    n = draw(st.integers(1, 14))
    times = draw(st.lists(st.sampled_from([1.0, -1.0, 2.5]), min_size=n, max_size=n))
    if draw(st.booleans()):
        labels: list[Any] = [f"r{i}" for i in range(n)]
    else:
        labels = draw(st.permutations([i * 7 + 1 for i in range(n)]))
    cuts = sorted(draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=4)) - {n})
    return frame(labels, times), cuts


@settings(deadline=None)
@given(split_frames(), st.sampled_from(["one pattern", "batch"]), st.booleans())
def test_any_split_gives_the_one_calls_samples_indexed_within_their_adds(
    drawn: tuple[pd.DataFrame, list[int]], kind: str, saved_between: bool
) -> None:
    whole, cuts = drawn
    bounds = [0, *cuts, len(whole)]
    monitor = new(KINDS[kind == "batch"])
    for a, b in itertools.pairwise(bounds):
        add(monitor, whole.iloc[a:b])
        if saved_between:
            monitor = type(monitor).from_bytes(monitor.to_bytes())
    # The model: the one call's samples, each index less its add's first row.
    first_row = {
        row: start for start, end in itertools.pairwise(bounds) for row in range(start, end)
    }
    expected = [(s.index - first_row[s.index], s.location) for s in one_call_samples(whole)]
    assert samples(monitor) == expected
    assert all(location is not None for _, location in expected)
