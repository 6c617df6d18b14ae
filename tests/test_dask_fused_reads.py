"""usage_analytics.dask: a Parquet read of few columns, which Dask's tuning fuses into
fewer partitions, keeps its fusion where no row needs naming: the tuned graph is
computed, and only where its tasks refused a record (or it failed) is the frame computed
again without tuning, one file a partition, for locations "index label 17 of partition
2" that `ddf.partitions[2].loc[17]` finds.

Which graphs ran is seen without timing: the synchronous scheduler behind a counter, and
each computation's partition states noted with their sizes (a fused partition holds two
files' rows here).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dask.local import get_sync
from distributed import Client, LocalCluster
from distributed.client import FutureCancelledError
from equivalence import VOLATILE, assert_batch_equivalent
from hypothesis import given, settings
from hypothesis import strategies as st
from test_dask_partition_numbers import FILES, ROWS, WINDOW, _files, _read, _records
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics import dask as ua_dask
from usage_analytics.dask import accumulate, analyze

READ = ["pattern_id", "timestamp", "success", "execution_time_ms", "quality_score"]
NUMBERED = ua_dask._numbered_partition_state
# (Dask's Parquet reader calls `reset_index(inplace=True)`, which this pandas deprecates;
# read in the test's own thread by the synchronous scheduler, its warning reaches the filter.)
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")


class _Computations:
    """Each computation of a graph (`get`, the synchronous scheduler's), and the number of
    rows of each partition state it made (`_numbered_partition_state`, patched)."""

    def __init__(self) -> None:
        self.reads: list[list[int]] = []
        self.fail_fused = False

    def get(self, graph: Any, keys: Any, **kwargs: Any) -> Any:
        self.reads.append([])
        return get_sync(graph, keys, **kwargs)

    def state(
        self, frame: pd.DataFrame, settings: dict[str, Any], by: str, partition_info: Any = None
    ) -> Any:
        self.reads[-1].append(len(frame))
        if self.fail_fused and len(frame) > ROWS:
            raise MemoryError("a fused partition is larger")
        return NUMBERED(frame, settings, by, partition_info)


@contextmanager
def _counted() -> Iterator[_Computations]:
    computations = _Computations()
    with (
        mock.patch.object(ua_dask, "_numbered_partition_state", computations.state),
        dask.config.set(scheduler=computations.get),
    ):
        yield computations


def _untuned(call: Any) -> Any:
    """`call()` with Dask's tuning off for the whole call: the one graph computed is the
    untuned one, one file a partition (the way every such frame was computed before)."""
    with dask.config.set({"scheduler": "synchronous", "optimization.tune.active": False}):
        return call()


def _comparable(batch: ModelUsageAnalyticsBatchOutput) -> dict[str, Any]:
    """`batch`'s dump without what differs between two calls (times, ids), and without
    its standard deviations (compared apart: `_deviations`)."""
    dumped = batch.model_dump(exclude=set(VOLATILE))
    for result in dumped["results"].values():
        for key in VOLATILE:
            result.pop(key, None)
        result["performance_metrics"].pop("std_dev_ms")
    return dumped


def _deviations(batch: ModelUsageAnalyticsBatchOutput) -> dict[Any, float]:
    return {
        key: r.performance_metrics.std_dev_ms
        for key, r in batch.results.items()
        if r.performance_metrics is not None
    }


def test_a_parquet_read_of_few_columns_is_fused_by_dask_s_tuning(tmp_path: Path) -> None:
    # The premise of this module: 20 columns the analytics do not read, so Dask's tuning
    # fuses the reader's files, two a partition, when a task reads the frame's few columns.
    _files(tmp_path, "parquet", bad={})
    projected = _read(tmp_path, "parquet")[READ].map_partitions(lambda part: part)
    assert projected.npartitions == FILES
    assert projected.optimize().npartitions == FILES // 2
    with dask.config.set({"optimization.tune.active": False}):
        assert projected.optimize().npartitions == FILES


@pytest.mark.parametrize("mode", ["raise", "skip"])
def test_a_valid_fused_read_is_computed_once_fused_and_gives_the_untuned_result(
    tmp_path: Path, mode: Literal["raise", "skip"]
) -> None:
    # Every file read one a partition cost 1.4x to 1.76x (BENCHMARKS.md helper-284/285).
    _files(tmp_path, "parquet", bad={})
    ddf = _read(tmp_path, "parquet")
    # (A window of the files' first 36 hours: records outside it are counted, not named.)
    window = {**WINDOW, "time_window_end": WINDOW["time_window_start"] + timedelta(hours=36)}
    with _counted() as computations:
        result = analyze(ddf, on_invalid=mode, **window)
    assert computations.reads == [[2 * ROWS, 2 * ROWS]]  # (one graph: the fused one)
    expected = _untuned(lambda: analyze(ddf, on_invalid=mode, **window))
    assert result.data_quality.records_outside_window > 0  # (not invalid: not named)
    assert _comparable(result) == _comparable(expected)
    # (A standard deviation merges partitions' moments: fused, to its last bits only.)
    assert len(_deviations(expected)) == 3  # (pattern-0 to 2)
    assert _deviations(result) == pytest.approx(_deviations(expected), rel=1e-13)
    with _counted() as computations:
        state = accumulate(ddf, on_invalid=mode, **window)
    assert computations.reads == [[2 * ROWS, 2 * ROWS]]
    assert _comparable(state.finalize()) == _comparable(expected)


def test_an_invalid_record_of_a_fused_read_is_named_by_the_untuned_graph(tmp_path: Path) -> None:
    _files(tmp_path, "parquet", bad={2: 17})
    ddf = _read(tmp_path, "parquet")
    with _counted() as computations, pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    # The fused graph failed (its task's error names a fused partition: dropped), then
    # the untuned one ran (until a partition failed: the scheduler's order), whose error
    # is the answer, as before.
    fused, untuned = computations.reads
    assert 2 * ROWS in fused
    assert set(untuned) == {ROWS}
    error = raised.value
    assert (error.index, error.field, error.location) == (
        17,
        "quality_score",
        "index label 17 of partition 2",
    )
    assert "record 17 (index label 17 of partition 2): field 'quality_score'" in str(error)
    with dask.config.set(scheduler="synchronous"):
        assert ddf.partitions[2].loc[17, "quality_score"].compute().tolist() == [1.5]


@pytest.mark.parametrize("accumulated", [False, True])
def test_skipped_records_of_a_fused_read_are_named_by_the_untuned_graph(
    tmp_path: Path, accumulated: bool
) -> None:
    _files(tmp_path, "parquet", bad={1: 3, 3: 40})

    def call() -> ModelUsageAnalyticsBatchOutput:
        ddf = _read(tmp_path, "parquet")
        if accumulated:
            return accumulate(ddf, on_invalid="skip", **WINDOW).finalize()
        return analyze(ddf, on_invalid="skip", **WINDOW)

    with _counted() as computations:
        result = call()
    assert computations.reads == [[2 * ROWS, 2 * ROWS], [ROWS] * FILES]
    assert [(s.index, s.location) for s in result.data_quality.error_samples] == [
        (3, "index label 3 of partition 1"),
        (40, "index label 40 of partition 3"),
    ]
    # The untuned graph's result itself, to the last bit: the fused one is dropped.
    expected = _untuned(call)
    assert _comparable(result) == _comparable(expected)
    assert _deviations(result) == _deviations(expected)


def test_a_read_tuning_leaves_as_it_is_is_computed_once_even_where_a_record_is_invalid(
    tmp_path: Path,
) -> None:
    # CSV files are not fused: the tuned graph is the untuned one, computed once.
    _files(tmp_path, "csv", bad={2: 17})
    with _counted() as computations, pytest.raises(InvalidRecordError) as raised:
        analyze(_read(tmp_path, "csv"), **WINDOW)
    (read,) = computations.reads  # (until partition 2 failed)
    assert set(read) == {ROWS}
    assert raised.value.location == "index label 17 of partition 2"


def test_a_concat_of_fused_reads_names_its_own_partitions(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _files(tmp_path / "a", "parquet", bad={})
    _files(tmp_path / "b", "parquet", bad={2: 17})
    ddf = dd.concat([_read(tmp_path / "a", "parquet"), _read(tmp_path / "b", "parquet")])
    with _counted() as computations:
        result = analyze(ddf, on_invalid="skip", **WINDOW)
    assert computations.reads == [[2 * ROWS] * FILES, [ROWS] * 2 * FILES]
    assert [s.location for s in result.data_quality.error_samples] == [
        "index label 17 of partition 6"
    ]
    with _counted() as computations:  # (valid: fused, once)
        analyze(_read(tmp_path / "a", "parquet"), **WINDOW)
    assert computations.reads == [[2 * ROWS, 2 * ROWS]]


def test_a_frame_the_user_fused_is_computed_once_as_it_is(tmp_path: Path) -> None:
    # Optimized by the user, its files already fused two a partition: tuning changes
    # nothing more, so its one graph is computed, numbered as the user's frame is. Its
    # partitions' labels run 0-49 twice (no RangeIndex): named by label alone, as before.
    _files(tmp_path, "parquet", bad={2: 17})
    ddf = _read(tmp_path, "parquet")[READ].map_partitions(lambda part: part).optimize()
    assert ddf.npartitions == FILES // 2
    with _counted() as computations, pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    (read,) = computations.reads  # (until the partition of file 2 failed)
    assert set(read) == {2 * ROWS}
    assert raised.value.location == "index label 17"


def test_a_failure_of_the_fused_graph_alone_is_the_untuned_graph_s_to_decide(
    tmp_path: Path,
) -> None:
    # Any error of the fused graph (a fused partition is larger: memory, say) is dropped
    # and the untuned graph computed, whose outcome, here a result, is the answer.
    _files(tmp_path, "parquet", bad={})
    ddf = _read(tmp_path, "parquet")
    with _counted() as computations:
        computations.fail_fused = True
        result = analyze(ddf, **WINDOW)
    fused, untuned = computations.reads
    assert fused[-1] == 2 * ROWS
    assert untuned == [ROWS] * FILES
    assert _comparable(result) == _comparable(_untuned(lambda: analyze(ddf, **WINDOW)))


def test_a_cancelled_fused_computation_is_raised_not_computed_again(tmp_path: Path) -> None:
    # A cancellation is the caller's, not a failure of the fused graph: `distributed`
    # raises it where the client is closed mid-computation. It was the untuned graph's
    # cue to compute the whole frame again, on whatever scheduler was left.
    _files(tmp_path, "parquet", bad={})
    ddf = _read(tmp_path, "parquet")
    cancelled = FutureCancelledError("customreduction-tree-0", "client-closed")

    def get(graph: Any, keys: Any, **kwargs: Any) -> Any:
        computations.reads.append([])
        raise cancelled

    computations = _Computations()
    with (
        mock.patch.object(ua_dask, "_numbered_partition_state", computations.state),
        dask.config.set(scheduler=get),
        pytest.raises(CancelledError) as raised,
    ):
        analyze(ddf, **WINDOW)
    assert raised.value is cancelled
    assert computations.reads == [[]]  # (the fused graph only, never the untuned one)


# Set by `_blocking_state` when a task starts; it then waits for `_RELEASED`. (Module
# globals: the in-process workers below run the very function, by reference.)
_STARTED = threading.Event()
_RELEASED = threading.Event()


def _blocking_state(
    frame: pd.DataFrame, settings: dict[str, Any], by: str, partition_info: Any = None
) -> Any:
    _STARTED.set()
    _RELEASED.wait(timeout=30)
    return NUMBERED(frame, settings, by, partition_info)


@pytest.mark.parametrize("entered", [False, True])
def test_a_client_closed_during_a_fused_read_ends_the_call(tmp_path: Path, entered: bool) -> None:
    # The service's shutdown: its client closed while `analyze` computes the fused graph.
    # The call computed the frame again, untuned: on the closed client where it was
    # entered (`with Client(...)`: ClosedClientError, not the cancellation), else on the
    # local threads of the client's process, which gave a result. (Workers in this
    # process: the events are shared with the task.)
    _files(tmp_path, "parquet", bad={})
    ddf = _read(tmp_path, "parquet")
    _STARTED.clear()
    _RELEASED.clear()
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.CRITICAL,
    ) as cluster:
        client = Client(cluster)

        def close_when_started() -> None:
            _STARTED.wait(timeout=30)
            client.close()
            _RELEASED.set()

        closer = threading.Thread(target=close_when_started)
        with (
            client if entered else nullcontext(),
            mock.patch.object(ua_dask, "_numbered_partition_state", _blocking_state),
        ):
            closer.start()
            try:
                with pytest.raises(CancelledError):
                    analyze(ddf, **WINDOW)
            finally:
                _RELEASED.set()
                closer.join()
                client.close()


SCHEMA = pa.Schema.from_pandas(_records(1, seed=0, extra_columns=20), preserve_index=False)


def _write(directory: Path, files: list[pd.DataFrame]) -> None:
    """Each frame a Parquet file of one schema (an empty frame's strings are none)."""
    for number, frame in enumerate(files):
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
        pq.write_table(table, directory / f"part-{number}.parquet")


def test_a_read_of_two_files_fused_into_one_partition_is_reduced(tmp_path: Path) -> None:
    # Dask reduces the chunk's meta, an empty Series, where the frame is one partition:
    # `_the_state` raised IndexError there, so tuning two files into one failed.
    frames = [_records(ROWS, seed=number, extra_columns=20) for number in range(2)]
    _write(tmp_path, frames)
    with _counted() as computations:
        result = analyze(_read(tmp_path, "parquet"), **WINDOW)
    assert computations.reads == [[2 * ROWS]]
    expected = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=pd.concat(frames, ignore_index=True), **WINDOW)
    )
    assert_batch_equivalent(result, expected)


def _old_the_state(states: pd.Series) -> Any:
    return states.iloc[0]


def test_a_graph_dask_cannot_tune_is_computed_untuned(tmp_path: Path) -> None:
    # Tuning fails (as it did on the old `_the_state`) where the untuned graph does not:
    # the untuned graph is computed, once, as before.
    frames = [_records(ROWS, seed=number, extra_columns=20) for number in range(2)]
    frames[1].loc[17, "quality_score"] = 1.5
    _write(tmp_path, frames)
    with (
        mock.patch.object(ua_dask, "_the_state", _old_the_state),
        _counted() as computations,
    ):
        result = analyze(_read(tmp_path, "parquet"), on_invalid="skip", **WINDOW)
    assert computations.reads == [[ROWS, ROWS]]
    assert [s.location for s in result.data_quality.error_samples] == [
        "index label 17 of partition 1"
    ]


@given(st.lists(st.lists(st.booleans(), max_size=6), min_size=2, max_size=5))
@settings(max_examples=20, deadline=None)
def test_a_fused_read_s_samples_and_analytics_are_the_untuned_graph_s(
    files: list[list[bool]],
) -> None:
    # Files of 0 to 6 records, each invalid or not, read fused. The model: the first five
    # invalid records in file order, each named by its row and file (one file a
    # partition); computed fused once where none is invalid, else twice; and the
    # analytics of every record, as one `execute_batch_reduction` gives them.
    frames = []
    with tempfile.TemporaryDirectory() as directory:
        for number, invalid in enumerate(files):
            frame = _records(len(invalid), seed=number, extra_columns=20)
            frame.loc[np.array(invalid, dtype=bool), "quality_score"] = 1.5
            frames.append(frame)
        _write(Path(directory), frames)
        with _counted() as computations:
            result = analyze(_read(Path(directory), "parquet"), on_invalid="skip", **WINDOW)
    expected_samples = [
        (row, f"index label {row} of partition {number}")
        for number, invalid in enumerate(files)
        for row, bad in enumerate(invalid)
        if bad
    ][:5]
    samples = result.data_quality.error_samples
    assert [(s.index, s.location) for s in samples] == expected_samples
    assert len(computations.reads[0]) < len(files)  # (fused)
    assert len(computations.reads) == (2 if any(map(any, files)) else 1)
    whole = pd.concat(frames, ignore_index=True)
    expected = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=whole, on_invalid="skip", **WINDOW)
    )
    assert_batch_equivalent(result, expected, sample_indexes=False)
