"""usage_analytics.dask warns of integer timestamps that look like another unit read as
epoch microseconds (`TimestampUnitWarning`) as `execute_batch_reduction` does for the same
records and window: the same text, once a call, on the client. A warning raised in a task
on a worker process stays there, and one raised in each task on a local scheduler is one
a partition, of that partition's counts: the tasks carry what the hint needs back with
their states instead (`input_notes.UnitNote`).

The cluster is the Dask tests' (`dask_cluster`): two worker processes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask_cluster import cluster_client
from distributed import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    NodeUsageAnalyticsReducer,
    TimestampUnitWarning,
)
from usage_analytics.dask import accumulate, analyze

START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW: dict[str, Any] = {"time_window_start": START, "time_window_end": START + timedelta(days=1)}
REDUCER = NodeUsageAnalyticsReducer()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_END_OF_1970_US = 365 * 86_400 * 1_000_000
_A_YEAR = timedelta(days=365)

SECONDS = [int(START.timestamp()) + 3600 * i for i in range(9)]
#: Integer timestamps, as epoch microseconds, that each look like another unit before a
#: window of 2026: epoch seconds and milliseconds of 2026, and real microseconds of 1970
#: (a true positive too: they lie decades before the window, as milliseconds would).
STAMPS = {
    "seconds": SECONDS,
    "milliseconds": [second * 1_000 for second in SECONDS],
    "microseconds of 1970": [
        86_400_000_000 * day for day in (3, 40, 41, 90, 120, 200, 250, 300, 364)
    ],
}
#: Real microseconds of the last hours of 1970 (the last its last microsecond).
LATE_1970 = [_END_OF_1970_US - 3_600_000_000 * hours for hours in range(9, 0, -1)]
LATE_1970[-1] = _END_OF_1970_US - 1

# (Dask before 2025 warns of a local scheduler while a distributed client is active.)
pytestmark = pytest.mark.filterwarnings(
    "ignore:Running on a single-machine scheduler when a distributed client:UserWarning"
)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with cluster_client() as client:
        yield client


def _frame(stamps: list[int]) -> pd.DataFrame:
    n = len(stamps)
    return pd.DataFrame(
        {
            "pattern_id": [f"p{i % 3}" for i in range(n)],
            "timestamp": np.array(stamps, dtype=np.int64),
            "success": [i % 4 != 0 for i in range(n)],
            "quality_score": [1.5 if i == 4 else 0.5 for i in range(n)],  # (one invalid)
        }
    )


def _warned(call: Callable[[], object]) -> list[tuple[str, str]]:
    """The `TimestampUnitWarning`s of `call()`, each its message and the file it names
    (any other warning is an error, as in the whole suite)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        warnings.filterwarnings(
            "ignore", "Running on a single-machine scheduler when a distributed client"
        )
        warnings.simplefilter("always", TimestampUnitWarning)
        call()
    return [(str(warning.message), warning.filename) for warning in caught]


def _reducer_warned(frame: pd.DataFrame, **window: Any) -> list[tuple[str, str]]:
    request = ModelUsageAnalyticsBatchInput(
        execution_data=frame, on_invalid="skip", **(window or WINDOW)
    )
    return _warned(lambda: REDUCER.execute_batch_reduction_sync(request))


def _dask_warned(frame: pd.DataFrame, npartitions: int, **window: Any) -> list[tuple[str, str]]:
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=True)
    return _warned(lambda: analyze(ddf, on_invalid="skip", **(window or WINDOW)))


@pytest.mark.parametrize("unit", STAMPS)
def test_on_worker_processes_the_warning_is_the_batch_reducers(client: Client, unit: str) -> None:
    frame = _frame(STAMPS[unit])
    [expected] = _reducer_warned(frame)
    assert expected[0].startswith("8 of 9 records lie outside the window, all in 1970")
    assert _dask_warned(frame, 3) == [expected]  # (once, naming this file: the caller's)


def test_late_1970_before_a_window_of_1971_is_not_told_of_but_a_year_before_is(
    client: Client,
) -> None:
    # Hours before the window: real microseconds of a replay across the new year.
    frame = _frame(LATE_1970)
    window = {"time_window_start": datetime(1971, 1, 1, tzinfo=UTC), "time_window_end": START}
    assert _reducer_warned(frame, **window) == []
    assert _dask_warned(frame, 3, **window) == []
    # The twin: a window starting a year after the latest of them, to the microsecond.
    start = _EPOCH + timedelta(microseconds=LATE_1970[-1]) + _A_YEAR
    window = {"time_window_start": start, "time_window_end": start + timedelta(days=1)}
    [expected] = _reducer_warned(frame, **window)
    assert _dask_warned(frame, 3, **window) == [expected]


def test_a_partition_in_the_window_leaves_the_others_untold(client: Client) -> None:
    # The first partition's records are microseconds inside the window; the others'
    # seconds: some records lie in the window, so neither warns.
    in_window = [second * 1_000_000 for second in SECONDS[:3]]
    frame = _frame([*in_window, *SECONDS[3:]])
    assert _reducer_warned(frame) == []
    assert _dask_warned(frame, 3) == []
    assert _reducer_warned(_frame(SECONDS[3:])) != []  # (the seconds alone: told of)


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_a_local_scheduler_warns_once_a_call_not_once_a_partition(scheduler: str) -> None:
    frame = _frame(SECONDS)
    [expected] = _reducer_warned(frame)
    with dask.config.set(scheduler=scheduler):
        assert _dask_warned(frame, 4) == [expected]


def test_accumulate_warns_as_an_accumulators_update(client: Client) -> None:
    frame = _frame(STAMPS["milliseconds"])
    ddf = dd.from_pandas(frame, npartitions=3, sort=True)
    [(message, filename)] = _warned(lambda: accumulate(ddf, on_invalid="skip", **WINDOW))
    assert (message, filename) == _reducer_warned(frame)[0]
    assert "look like epoch milliseconds" in message


@settings(max_examples=25)
@given(
    stamps=st.lists(
        st.one_of(
            st.sampled_from([*SECONDS, *STAMPS["milliseconds"], *LATE_1970]),
            st.integers(0, _END_OF_1970_US - 1),
            st.integers(SECONDS[0] * 1_000_000, SECONDS[-1] * 1_000_000),  # (the window's)
            st.integers(-(10**9), 4_102_444_800_000_000),
        ),
        min_size=1,
        max_size=12,
    ),
    npartitions=st.integers(1, 5),
    start_us=st.sampled_from([_END_OF_1970_US, int(START.timestamp() * 1e6)]),
)
def test_any_partitioning_warns_as_the_batch_reducer(
    stamps: list[int], npartitions: int, start_us: int
) -> None:
    start = _EPOCH + timedelta(microseconds=start_us)
    window = {"time_window_start": start, "time_window_end": start + timedelta(days=1)}
    frame = _frame(stamps)
    with dask.config.set(scheduler="synchronous"):
        assert _dask_warned(frame, npartitions, **window) == _reducer_warned(frame, **window)


def test_partitions_of_integer_and_other_timestamps_are_not_told_of() -> None:
    # A partition of datetimes beside one of epoch seconds (a dtype not the frame's): the
    # records left out are not all integers of 1970, so nothing is said of them, though
    # the seconds' partition alone is told of. (One call over both has no equal.)
    seconds = pd.DataFrame({"pattern_id": "a", "timestamp": np.array(SECONDS, dtype=np.int64)})
    datetimes = seconds.assign(timestamp=pd.to_datetime(SECONDS, unit="us", utc=True))
    parts = {"seconds": seconds, "datetimes": datetimes}

    def part(name: str) -> pd.DataFrame:
        return parts[name]

    def frame(*names: str) -> Any:
        return dd.from_map(part, names, meta=seconds.iloc[:0], enforce_metadata=False)

    with dask.config.set(scheduler="synchronous"):
        assert _warned(lambda: analyze(frame("datetimes", "seconds"), **WINDOW)) == []
        [(message, _)] = _warned(lambda: analyze(frame("seconds"), **WINDOW))
    assert message.startswith("9 of 9 records lie outside the window, all in 1970")
