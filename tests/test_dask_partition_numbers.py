"""usage_analytics.dask: a row of a frame whose partitions each number their rows from 0
(`read_csv`, `read_parquet` without an index, `reset_index()`) is named with its
partition's number ("index label 17 of partition 2": `ddf.partitions[2].loc[17]`), in a
raised `InvalidRecordError` and in the samples; a frame whose labels place their rows
(`from_pandas`, a set index) keeps "index label N".

Files are real ones, read by Dask's own readers on a real `LocalCluster` of worker
processes (as in test_dask.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.local import get_sync
from dask_cluster import cluster_client
from distributed import Client
from equivalence import assert_batch_equivalent
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
)
from usage_analytics.dask import accumulate, analyze

START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW: dict[str, Any] = {
    "time_window_start": START,
    "time_window_end": START + timedelta(days=30),
}
FILES = 4
ROWS = 50

pytestmark = pytest.mark.filterwarnings(
    "ignore:Running on a single-machine scheduler when a distributed client:UserWarning"
)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with cluster_client() as client:
        yield client


def _records(rows: int, *, seed: int, extra_columns: int = 0) -> pd.DataFrame:
    """`rows` valid records (a RangeIndex from 0, as a file read gives), and
    `extra_columns` columns the analytics do not read."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "pattern_id": [f"pattern-{i % 3}" for i in range(rows)],
            "timestamp": pd.date_range("2026-01-02", periods=rows, freq="h"),
            "success": rng.random(rows) < 0.9,
            "execution_time_ms": rng.lognormal(4.0, 0.8, rows),
            "quality_score": rng.random(rows),
        }
    )
    return frame.assign(**{f"extra_{i}": i for i in range(extra_columns)})


def _files(directory: Path, suffix: str, bad: dict[int, int]) -> list[pd.DataFrame]:
    """`FILES` files of `ROWS` records in `directory`, written by pandas, with a quality
    score of 1.5 at row `bad[file]` of each file of `bad`. (Twenty columns the analytics
    do not read: Dask's tuning fuses Parquet files into fewer partitions when few of
    their columns are read.)"""
    frames = []
    for number in range(FILES):
        frame = _records(ROWS, seed=number, extra_columns=20)
        frame["run"] = 1000 + ROWS * number + np.arange(ROWS)
        if number in bad:
            frame.loc[bad[number], "quality_score"] = 1.5
        path = directory / f"part-{number}.{suffix}"
        if suffix == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        frames.append(frame)
    return frames


def _read(directory: Path, suffix: str) -> Any:
    if suffix == "csv":
        return dd.read_csv(str(directory / "*.csv"), parse_dates=["timestamp"])
    return dd.read_parquet(str(directory))


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_frame_read_from_files_names_the_partition_of_an_invalid_row(
    client: Client, tmp_path: Path, suffix: str
) -> None:
    _files(tmp_path, suffix, bad={2: 17})
    ddf = _read(tmp_path, suffix)
    assert ddf.npartitions == FILES
    assert not ddf.known_divisions  # (each partition numbers its rows from 0)
    with pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    error = raised.value
    assert (error.index, error.field, error.location) == (
        17,
        "quality_score",
        "index label 17 of partition 2",
    )
    assert "record 17 (index label 17 of partition 2): field 'quality_score'" in str(error)
    # The way the README gives to the row: it is the bad one.
    assert ddf.partitions[2].loc[17, "quality_score"].compute().tolist() == [1.5]
    assert ddf.partitions[2].compute().iloc[17]["quality_score"] == 1.5
    # Skipped, the sample names it so, kept in the state's bytes.
    state = accumulate(ddf, on_invalid="skip", **WINDOW)
    samples = state.finalize().data_quality.error_samples
    assert [(s.index, s.location) for s in samples] == [(17, "index label 17 of partition 2")]
    result = analyze(ddf, on_invalid="skip", **WINDOW)
    assert [s.location for s in result.data_quality.error_samples] == [
        "index label 17 of partition 2"
    ]


def test_samples_of_several_partitions_name_each_its_own(client: Client, tmp_path: Path) -> None:
    _files(tmp_path, "csv", bad={0: 3, 1: 3, 3: 40})
    result = analyze(_read(tmp_path, "csv"), on_invalid="skip", **WINDOW)
    assert [(s.index, s.location) for s in result.data_quality.error_samples] == [
        (3, "index label 3 of partition 0"),
        (3, "index label 3 of partition 1"),
        (40, "index label 40 of partition 3"),
    ]


def test_a_concat_of_parquet_reads_names_its_own_partitions(client: Client, tmp_path: Path) -> None:
    # The second frame's partition 2 is the whole's 6. (The untuned graph's readers are
    # not fused with the tasks here, each below the concat: optimized again, tuned, by a
    # collection's `compute`, they were fused and the graph lost their partitions.)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _files(tmp_path / "a", "parquet", bad={})
    _files(tmp_path / "b", "parquet", bad={2: 17})
    ddf = dd.concat([_read(tmp_path / "a", "parquet"), _read(tmp_path / "b", "parquet")])
    assert ddf.npartitions == 2 * FILES
    with pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert raised.value.location == "index label 17 of partition 6"
    assert ddf.partitions[6].loc[17, "quality_score"].compute().tolist() == [1.5]


def test_a_split_partition_names_its_number_too(tmp_path: Path) -> None:
    # `repartition` to more partitions splits each file's rows 0-49 into 0-24 and 25-49:
    # a label 30 is in every second partition, so the half from 25 (a RangeIndex, not
    # from 0) names its number too; it was named 'index label 30' alone, four rows.
    _files(tmp_path, "csv", bad={2: 30})
    ddf = _read(tmp_path, "csv").repartition(npartitions=2 * FILES)
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert (raised.value.index, raised.value.location) == (5, "index label 30 of partition 5")
    with dask.config.set(scheduler="synchronous"):
        assert ddf.partitions[5].loc[30, "quality_score"].compute().tolist() == [1.5]
        assert len(ddf.loc[30].compute()) == FILES  # (the label alone: a row of each file)


def test_a_filtered_partition_of_a_run_of_rows_names_its_number(tmp_path: Path) -> None:
    # A filter keeping rows 10-49 of each file: pandas keeps them a RangeIndex from 10.
    _files(tmp_path, "csv", bad={2: 17})
    read = _read(tmp_path, "csv")
    ddf = read[read.run % ROWS >= 10]
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert (raised.value.index, raised.value.location) == (7, "index label 17 of partition 2")


def test_a_reset_index_names_the_partition() -> None:
    frame = _records(300, seed=5)
    frame.loc[250, "quality_score"] = 1.5
    ddf = dd.from_pandas(frame, npartitions=3, sort=True).reset_index(drop=True)
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert raised.value.location == "index label 50 of partition 2"  # rows 200-299


def test_a_from_pandas_frame_keeps_its_labels_which_are_unique() -> None:
    # A global RangeIndex split: partition 2 holds labels 200 to 299.
    frame = _records(300, seed=6)
    frame.loc[250, "quality_score"] = 1.5
    ddf = dd.from_pandas(frame, npartitions=3, sort=True)
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert (raised.value.index, raised.value.location) == (50, "index label 250")


def test_a_set_index_keeps_its_labels(client: Client, tmp_path: Path) -> None:
    _files(tmp_path, "csv", bad={2: 17})
    # Run ids of the user's own, unique: 1000 + 50 * file + row.
    ddf = _read(tmp_path, "csv").set_index("run")
    assert ddf.known_divisions
    with pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert raised.value.location == f"index label {1000 + ROWS * 2 + 17}"


def test_unsorted_labels_of_unknown_divisions_keep_their_labels() -> None:
    # `from_pandas(sort=False)` of labels in no order: divisions unknown, an unnamed
    # integer index, but not a RangeIndex from 0 in any partition: its labels are unique.
    frame = _records(12, seed=7)
    frame.index = pd.Index([5 + 3 * i for i in (7, 2, 9, 0, 11, 4, 1, 10, 3, 8, 6, 5)])
    frame.loc[14, "quality_score"] = 1.5  # the eleventh row: partition 2
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    assert not ddf.known_divisions
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert raised.value.location == "index label 14"


def _same(part: pd.DataFrame) -> pd.DataFrame:
    return part


def test_a_column_a_partition_cannot_hold_names_its_number() -> None:
    # A partition unlike the frame's dtypes (bool ids among int ones), as in test_dask.py.
    parts = [_records(20, seed=i).assign(pattern_id=7) for i in range(3)]
    parts[1]["pattern_id"] = True
    ddf = dd.from_map(_same, parts, meta=parts[0].iloc[:0])
    with dask.config.set(scheduler="synchronous"), pytest.raises(UsageAnalyticsError) as raised:
        analyze(ddf, on_invalid="skip", **WINDOW)
    assert str(raised.value).endswith("(in partition 1 of index labels 0 to 19)")


@st.composite
def _numbered_parts(draw: st.DrawFn) -> list[list[bool]]:
    """Partitions (1 to 4) of 0 to 6 records each, each record invalid or not."""
    return draw(st.lists(st.lists(st.booleans(), max_size=6), min_size=1, max_size=4))


@given(_numbered_parts())
@settings(max_examples=30, deadline=None)
def test_samples_of_partitions_numbered_from_zero_name_row_and_partition(
    parts: list[list[bool]],
) -> None:
    frames = []
    for number, invalid in enumerate(parts):
        frame = _records(len(invalid), seed=number)
        frame.loc[np.array(invalid, dtype=bool), "quality_score"] = 1.5
        frames.append(frame)
    ddf = dd.from_map(_same, frames, meta=frames[0].iloc[:0])
    with dask.config.set(scheduler="synchronous"):
        result = analyze(ddf, on_invalid="skip", **WINDOW)
    # The model: the first five invalid records in partition order, each its position in
    # its partition, named with the partition's number where there are several.
    several = len(parts) > 1
    expected = [
        (row, f"index label {row} of partition {number}" if several else f"index label {row}")
        for number, invalid in enumerate(parts)
        for row, bad in enumerate(invalid)
        if bad
    ][:5]
    samples = result.data_quality.error_samples
    assert [(s.index, s.location) for s in samples] == expected
    assert result.data_quality.invalid_records == sum(map(sum, parts))


# (Dask's Parquet reader calls `reset_index(inplace=True)`, which this pandas deprecates:
# read here in the test's own threads, not in a worker, its warning reaches the filter.)
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")
def test_concurrent_calls_leave_dask_tuning_as_it_was(tmp_path: Path) -> None:
    # A service analyzing two frames at once, in two threads. `dask.config` is one
    # process-wide dict: each call's `dask.config.set` around its whole compute saved the
    # value it found (the first call's False, for the second) and restored it on leaving,
    # so when the second call left last Dask's tuning stayed off for every later
    # computation of the process (and a call whose graph was optimized after another's
    # left had it back on: its Parquet files fused, its partition numbers wrong).
    # Both calls meet inside their first computes here, the first leaving first. (Each
    # computes twice: its fused graph's error is dropped for the untuned graph's.)
    _files(tmp_path, "parquet", bad={2: 17})
    arrived: list[str] = []
    both_in = threading.Barrier(2, timeout=60)
    first_left = threading.Event()

    def get(graph: Any, keys: Any, **kwargs: Any) -> Any:
        name = threading.current_thread().name
        if name not in arrived:
            arrived.append(name)
            both_in.wait()
            if arrived[0] != name:
                assert first_left.wait(timeout=60)
        return get_sync(graph, keys, **kwargs)

    locations: dict[str, str | None] = {}

    def call(name: str) -> None:
        try:
            analyze(_read(tmp_path, "parquet"), **WINDOW)
        except InvalidRecordError as error:
            locations[name] = error.location

    threads = [threading.Thread(target=call, args=(name,), name=name) for name in "AB"]
    assert dask.config.get("optimization.tune.active")
    with dask.config.set(scheduler=get):
        threads[0].start()
        while not arrived:  # (the first call is in its compute before the second starts)
            time.sleep(0.01)
        threads[1].start()
        threads[0].join(timeout=60)
        first_left.set()
        threads[1].join(timeout=60)
    assert arrived == ["A", "B"]
    tuned = dask.config.get("optimization.tune.active")
    dask.config.set({"optimization.tune.active": True})  # (for the later tests, if not)
    assert tuned is True
    assert locations == dict.fromkeys("AB", "index label 17 of partition 2")


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=7),
    st.integers(min_value=2, max_value=4),
    st.booleans(),
)
@settings(max_examples=25, deadline=None)
def test_the_numbered_graph_gives_the_reducers_analytics(
    sizes: list[int], split_every: int, accumulated: bool
) -> None:
    # Partitions numbered from 0 go through `map_partitions` and the tree merge: every
    # partition's records are counted once, as one `execute_batch_reduction` of them all
    # counts them (the samples' indexes are positions in a partition there, apart).
    frames = []
    for number, size in enumerate(sizes):
        frame = _records(size, seed=number)
        frame.loc[frame.index % 7 == 3, "quality_score"] = 1.5  # a few invalid
        frames.append(frame)
    ddf = dd.from_map(_same, frames, meta=frames[0].iloc[:0])
    with dask.config.set(scheduler="synchronous"):
        if accumulated:
            state = accumulate(ddf, on_invalid="skip", split_every=split_every, **WINDOW)
            result = state.finalize()
        else:
            result = analyze(ddf, on_invalid="skip", split_every=split_every, **WINDOW)
    whole = pd.concat(frames, ignore_index=True)
    expected = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=whole, on_invalid="skip", **WINDOW)
    )
    assert_batch_equivalent(result, expected, sample_indexes=False)
