"""usage_analytics.dask: per-partition states, tree-merged on worker processes, equal one
`execute_batch_reduction` over the same records.

The cluster is a real `distributed.LocalCluster` of two worker *processes*: every task
argument and result crosses a process boundary by pickle, so nothing unpicklable can hide
in the graph. It is started once for the module. Only `usage_analytics` functions and
pandas data travel to the workers (this module is not importable there).
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
import pickle
import re
import sys
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Literal

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from dask.dataframe import dispatch as dask_dispatch
from dask_cluster import cluster_client
from distributed import Client
from equivalence import assert_batch_equivalent
from hypothesis import given, settings
from hypothesis import strategies as st
from object_looks import counted_looks
from usage_analytics import (
    ColumnNameWarning,
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    NodeUsageAnalyticsReducer,
    TrendThresholds,
    UsageAnalyticsError,
)
from usage_analytics import dask as ua_dask
from usage_analytics.dask import accumulate, analyze
from usage_analytics.sources.base import FIELDS
from usage_analytics.streaming import BatchUsageAccumulator, StreamingSettings

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=30)
WINDOW: dict[str, Any] = {
    "time_window_start": START,
    "time_window_end": END,
    "time_window_type": "monthly",
    "granularity": "comprehensive",
    "include_predictions": True,
}
REDUCER = NodeUsageAnalyticsReducer()

# Tests on the synchronous or processes scheduler run while the module's cluster client is
# active: dask before 2025 warns of that ("Running on a single-machine scheduler when a
# distributed client is active"), which the suite's warnings-as-errors made a failure of
# every such test on the oldest dask the extra allows. The scheduler set wins; nothing to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Running on a single-machine scheduler when a distributed client:UserWarning"
)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with cluster_client() as client:
        yield client


# ------------------------------------------------------------------------ the records


def _frame(
    n: int,
    patterns: int,
    *,
    seed: int,
    int_ids: bool = False,
    invalid: int = 0,
    categorical: bool = False,
) -> pd.DataFrame:
    """`n` records over `patterns` patterns (a skewed mix: a few big patterns, many
    small), some outside the window, some without an execution time or a file path;
    `invalid` of them invalid (a score above 1 or a missing timestamp)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, patterns + 1)
    ids = rng.choice(patterns, size=n, p=weights / weights.sum())
    # Growing, declining and flat patterns, so the trend types differ.
    shape = ids % 3
    position = rng.random(n)
    position = np.where(shape == 1, rng.power(3.0, n), position)
    position = np.where(shape == 2, 1.0 - rng.power(3.0, n), position)
    span_us = (END - START) // timedelta(microseconds=1)
    offsets = (position * span_us * 1.1 - span_us * 0.05).astype(np.int64)
    start = np.datetime64(START.replace(tzinfo=None), "us")
    timestamps = start + offsets.astype("timedelta64[us]")
    times = rng.lognormal(4.0, 0.8, n)
    times[rng.random(n) < 0.05] = np.nan
    scores = rng.random(n)
    if invalid:
        bad = rng.choice(n, size=invalid, replace=False)
        scores[bad[::2]] = 1.5
        timestamps[bad[1::2]] = np.datetime64("NaT")
    frame = pd.DataFrame(
        {
            "pattern_id": ids if int_ids else np.array([f"pattern-{i}" for i in ids]),
            "timestamp": timestamps,
            "success": rng.random(n) < 0.9,
            "execution_time_ms": times,
            "quality_score": scores,
            "quality_gates_passed": rng.random(n) < 0.97,
            "timeout": rng.random(n) < 0.02,
            "context_type": rng.choice(["chat", "batch", "cli"], n),
            "agent": rng.choice([f"agent-{i}" for i in range(6)], n),
            "project": rng.choice(["alpha", "beta"], n),
            "file_path": rng.choice(np.array(["src/a.py", "b.rs", "Makefile", None]), n),
        }
    )
    if categorical:
        for column in ("context_type", "agent", "project"):
            frame[column] = frame[column].astype("category")
    return frame


def _expected(frame: pd.DataFrame, **options: Any) -> ModelUsageAnalyticsBatchOutput:
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=frame, **{**WINDOW, **options})
    )


def _dask_frame(frame: pd.DataFrame, npartitions: int) -> Any:
    return dd.from_pandas(frame, npartitions=npartitions, sort=True)


# ----------------------------------------------------------------------------- tests


def test_one_partition_str_ids_matches_reducer(client: Client) -> None:
    frame = _frame(3_000, 12, seed=1)
    correlation_id = uuid.uuid4()
    result = analyze(_dask_frame(frame, 1), correlation_id=correlation_id, **WINDOW)
    assert result.results, "no pattern analysed"
    assert result.correlation_id == correlation_id
    assert {r.correlation_id for r in result.results.values()} == {correlation_id}
    assert_batch_equivalent(result, _expected(frame))


def test_many_partitions_int_ids_deep_tree_matches_reducer(client: Client) -> None:
    frame = _frame(6_000, 25, seed=2, int_ids=True)
    ddf = _dask_frame(frame, 23)
    assert ddf.npartitions == 23
    # split_every=3 over 23 partitions: a merge tree three levels deep.
    result = analyze(ddf, split_every=3, **WINDOW)
    assert all(isinstance(key, int) for key in result.results)
    assert_batch_equivalent(result, _expected(frame))


def test_totals_over_a_merge_tree_are_the_one_calls_to_the_bit(client: Client) -> None:
    """The execution times' total is the exact sum rounded once (fsum), so partitions merged
    in a tree give the one call's number, not one a few ulps off (as the plain sum did)."""
    frame = _frame(6_000, 25, seed=7)
    ddf = _dask_frame(frame, 17)
    result = analyze(ddf, split_every=3, **WINDOW)
    expected = _expected(frame)
    assert result.results.keys() == expected.results.keys()
    for key, output in result.results.items():
        got, want = output.performance_metrics, expected.results[key].performance_metrics
        assert got is not None
        assert want is not None
        assert got.total_execution_time_ms == want.total_execution_time_ms, key
        stamps = frame["timestamp"].dt.tz_localize("UTC")
        in_window = (frame["pattern_id"] == key) & (stamps >= START) & (stamps <= END)
        times = frame.loc[in_window, "execution_time_ms"].dropna()
        assert got.sample_count == len(times), key
        assert got.total_execution_time_ms == math.fsum(times), key


def test_empty_partitions_are_neutral(client: Client) -> None:
    frame = _frame(4_000, 10, seed=3).sort_values("pattern_id", kind="stable")
    frame = frame.reset_index(drop=True)
    ddf = _dask_frame(frame, 16)
    # Partitions holding only the biggest pattern become empty.
    filtered = ddf[ddf.pattern_id != "pattern-0"]
    lengths = filtered.map_partitions(len).compute()
    assert (lengths == 0).sum() >= 2, f"expected empty partitions, got {list(lengths)}"
    empty = dd.from_pandas(frame.iloc[:0], npartitions=1)
    combined = dd.concat([empty, filtered, empty])
    result = analyze(combined, **WINDOW)
    assert_batch_equivalent(result, _expected(frame[frame.pattern_id != "pattern-0"]))


def test_all_partitions_empty_gives_no_patterns(client: Client) -> None:
    frame = _frame(100, 3, seed=4)
    ddf = _dask_frame(frame, 4)
    result = analyze(ddf[ddf.pattern_id == "no-such-pattern"], **WINDOW)
    assert result.results == {}
    assert result.data_quality.records_received == 0


def test_by_column_with_another_name_ignores_pattern_id_column(client: Client) -> None:
    frame = _frame(3_000, 8, seed=5)
    renamed = frame.rename(columns={"pattern_id": "endpoint"})
    renamed["pattern_id"] = "not-the-grouping-key"
    result = analyze(_dask_frame(renamed, 5), by="endpoint", **WINDOW)
    assert_batch_equivalent(result, _expected(frame))


def test_by_a_column_named_by_an_int() -> None:
    # The id column was taken by position: column 1 (the timestamps) for a column named 1.
    frame = _frame(300, 3, seed=25)
    named = frame.rename(columns={"pattern_id": 1})
    with dask.config.set(scheduler="synchronous"):
        result = analyze(dd.from_pandas(named, npartitions=2), by=1, **WINDOW)  # type: ignore[arg-type]
    assert_batch_equivalent(result, _expected(frame))
    # A bad id names the column as text, as the error's `field` is typed and as the skip
    # mode's samples name it ('1'; the raise said the int 1).
    named.loc[named.index[5], 1] = ""
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(dd.from_pandas(named, npartitions=2), by=1, **WINDOW)  # type: ignore[arg-type]
    assert raised.value.field == "1"
    with dask.config.set(scheduler="synchronous"):
        skipped = analyze(
            dd.from_pandas(named, npartitions=2),
            by=1,  # type: ignore[arg-type]
            **{**WINDOW, "on_invalid": "skip"},
        )
    assert [sample.field for sample in skipped.data_quality.error_samples] == ["1"]


def test_by_a_record_field_keeps_the_field(client: Client) -> None:
    frame = _frame(2_000, 4, seed=6).drop(columns="pattern_id")
    result = analyze(_dask_frame(frame, 4), by="agent", **WINDOW)
    expected = _expected(frame.assign(pattern_id=frame["agent"]))
    assert set(result.results) == {f"agent-{i}" for i in range(6)}
    # Each agent's unique_users is 1: the agent column is still read as the agent.
    assert {r.usage_metrics.unique_users for r in result.results.values()} == {1}
    assert_batch_equivalent(result, expected)


def test_categorical_columns_match_reducer(client: Client) -> None:
    frame = _frame(2_000, 6, seed=7, categorical=True)
    result = analyze(_dask_frame(frame, 6), **WINDOW)
    assert_batch_equivalent(
        result, _expected(frame.astype(dict.fromkeys(("context_type", "agent", "project"), str)))
    )


def test_beyond_exact_budget_percentiles_are_sketched_within_accuracy(client: Client) -> None:
    frame = _frame(8_000, 60, seed=8)
    result = analyze(_dask_frame(frame, 9), exact_budget=64, relative_accuracy=0.02, **WINDOW)
    methods = {
        r.performance_metrics.percentile_method  # type: ignore[union-attr]
        for r in result.results.values()
    }
    assert methods == {"exact", "sketch"}, "the data should give both kinds of pattern"
    assert_batch_equivalent(result, _expected(frame), exact_budget=64, relative_accuracy=0.02)


def test_exact_budget_zero_sketches_every_pattern(client: Client) -> None:
    frame = _frame(2_000, 5, seed=9)
    result = analyze(_dask_frame(frame, 3), exact_budget=0, **WINDOW)
    assert_batch_equivalent(result, _expected(frame), exact_budget=0)


def test_skip_mode_counts_invalid_records_with_indexes_within_partitions(
    client: Client,
) -> None:
    frame = _frame(3_000, 6, seed=10, invalid=40)
    ddf = _dask_frame(frame, 30)  # about one invalid record per partition
    result = analyze(ddf, on_invalid="skip", **WINDOW)
    expected = _expected(frame, on_invalid="skip")
    assert result.data_quality.invalid_records == 40
    # Each pattern counts its own (every id here is valid), through the workers' states.
    assert sum(r.data_quality.invalid_records for r in result.results.values()) == 40
    assert_batch_equivalent(result, expected, sample_indexes=False)
    # The samples: the first five invalid records in partition order (here the input's
    # order), indexed within their partition (divisions are partitions' first row numbers).
    divisions = list(ddf.divisions)
    rows = [s.index for s in expected.data_quality.error_samples]
    partitions = [int(np.searchsorted(divisions[1:-1], row, side="right")) for row in rows]
    samples = result.data_quality.error_samples
    assert [s.index for s in samples] == [
        row - divisions[p] for row, p in zip(rows, partitions, strict=True)
    ]
    assert any(p > 0 for p in partitions), "a sample should come from a later partition"
    assert [(s.field, s.value) for s in samples] == [
        (s.field, s.value) for s in expected.data_quality.error_samples
    ]
    # Each names its row's index label, here its row in the whole frame (where the one
    # call, of a default index, names none).
    assert [s.location for s in samples] == [f"index label {row}" for row in rows]
    assert {s.location for s in expected.data_quality.error_samples} == {None}


def test_skipped_samples_name_their_rows_label_as_one_call_does(client: Client) -> None:
    frame = _frame(2_000, 5, seed=12, invalid=30)
    frame.index = pd.Index([f"row-{i:05}" for i in range(len(frame))])
    ddf = _dask_frame(frame, 8)
    result = accumulate(ddf, on_invalid="skip", **WINDOW)
    expected = _expected(frame, on_invalid="skip").data_quality.error_samples
    assert all(s.location is not None for s in expected)
    # (`index`: the row's position within its partition.)
    starts = np.cumsum([0, *ddf.map_partitions(len).compute()])
    within = [
        s.index - starts[np.searchsorted(starts, s.index, side="right") - 1] for s in expected
    ]
    assert any(s.index != row for s, row in zip(expected, within, strict=True))
    for kept in (result, BatchUsageAccumulator.from_bytes(result.to_bytes())):
        samples = kept.finalize().data_quality.error_samples
        assert [(s.index, s.location, s.field, s.value) for s in samples] == [
            (row, s.location, s.field, s.value) for s, row in zip(expected, within, strict=True)
        ]
    # A pattern's own samples count among its records, which no label places, as one call's.
    patterns = result.finalize().results.values()
    assert {s.location for r in patterns for s in r.data_quality.error_samples} == {None}


@st.composite
def _labelled_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """A frame of a few records, some invalid, of distinct labels in no order (ints or
    strings), and a number of partitions."""
    n = draw(st.integers(1, 12))
    frame = _frame(n, 2, seed=draw(st.integers(0, 99)))
    times = draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=n, max_size=n))
    frame["execution_time_ms"] = times
    if draw(st.booleans()):
        frame.index = pd.Index(draw(st.permutations([i * 3 + 5 for i in range(n)])))
    else:
        frame.index = pd.Index([f"r{i}" for i in draw(st.permutations(range(n)))])
    return frame, draw(st.integers(1, n))


@given(_labelled_frames())
@settings(max_examples=25, deadline=None)
def test_any_partitioning_gives_the_one_calls_samples_indexed_within_partitions(
    drawn: tuple[pd.DataFrame, int],
) -> None:
    frame, npartitions = drawn
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    with dask.config.set(scheduler="synchronous"):
        result = analyze(ddf, on_invalid="skip", **WINDOW)
        starts = np.cumsum([0, *ddf.map_partitions(len).compute()])
    # The model: the one call's samples, each index less its partition's first row.
    first_row = {
        row: start for start, end in itertools.pairwise(starts) for row in range(start, end)
    }
    expected = [
        (s.index - first_row[s.index], s.location, s.field)
        for s in _expected(frame, on_invalid="skip").data_quality.error_samples
    ]
    samples = result.data_quality.error_samples
    assert [(s.index, s.location, s.field) for s in samples] == expected


def test_a_worker_killed_mid_computation_gives_the_one_call_results(
    client: Client, tmp_path: Any
) -> None:
    # The task reading one partition kills its worker process the first time it runs:
    # the scheduler reruns it elsewhere, and the merged state is the one of every record,
    # each once (a lost or repeated partition would change the counts).
    frame = _frame(4_000, 10, seed=34)
    parts = [frame.iloc[start : start + 500] for start in range(0, 4_000, 500)]
    marker = str(tmp_path / "killed")

    def read(part: pd.DataFrame) -> pd.DataFrame:  # (local: pickled by value)
        import os

        if part.index[0] == 1_500:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:  # (the rerun)
                return part
            os._exit(1)
        return part

    result = analyze(dd.from_map(read, parts, meta=frame.iloc[:0]), **WINDOW)
    assert (tmp_path / "killed").exists(), "no worker was killed"
    assert_batch_equivalent(result, _expected(frame))


def test_raise_mode_raises_invalid_record_error_on_the_client(client: Client) -> None:
    frame = _frame(1_000, 4, seed=11)
    frame.loc[700, "quality_score"] = 1.5
    ddf = _dask_frame(frame, 4)  # rows 0-249, 250-499, 500-749, 750-999
    assert ddf.divisions[2:4] == (500, 750)
    with pytest.raises(InvalidRecordError) as raised:
        analyze(ddf, **WINDOW)
    assert type(raised.value) is InvalidRecordError
    assert raised.value.index == 200  # row 700 is row 200 of partition 2
    assert raised.value.field == "quality_score"
    assert raised.value.more == 0
    # Every partition has a record 200: the index label places it.
    assert raised.value.location == "index label 700"
    assert "record 200 (index label 700): field 'quality_score' = 1.5" in str(raised.value)


def test_raise_mode_on_the_processes_scheduler_keeps_the_error_type() -> None:
    # dask's multiprocessing scheduler pickles the exception with plain pickle.
    frame = _frame(400, 2, seed=16)
    frame.loc[[10, 350], "execution_time_ms"] = -1.0
    with (
        dask.config.set(scheduler="processes", num_workers=2),
        pytest.raises(InvalidRecordError) as raised,
    ):
        analyze(_dask_frame(frame, 2), **WINDOW)  # rows 0-199, 200-399
    assert (raised.value.index, raised.value.field, raised.value.location) in {
        (10, "execution_time_ms", "index label 10"),
        (150, "execution_time_ms", "index label 350"),
    }


@pytest.mark.parametrize(
    "by",
    [
        "success",
        "execution_time_ms",
        "timestamp",
        "waited",
        "category_of_bools",
        "category_of_times",
        "decimals",
        "bytes8",
    ],
)
def test_a_by_column_that_cannot_hold_ids_is_refused_on_the_client(by: str) -> None:
    # The tasks failed at compute time naming the column 'pattern_id'.
    frame = _frame(100, 2, seed=3)
    frame["waited"] = pd.Series(pd.to_timedelta(frame.index, unit="s")).astype(
        pd.ArrowDtype(pa.duration("us"))
    )
    # Fixed-width Arrow types: of 16 bytes but no UUIDs, and binary not of 16 bytes.
    decimals = pa.array([Decimal(i) for i in frame.index], pa.decimal128(20, 2))
    frame["decimals"] = pd.Series(pd.arrays.ArrowExtensionArray(decimals))
    eight = pa.array([i.to_bytes(8, "little") for i in frame.index], pa.binary(8))
    frame["bytes8"] = pd.Series(pd.arrays.ArrowExtensionArray(eight))
    for name in ("success", "timestamp"):
        frame[f"category_of_{name}"] = frame[name].astype("category")
    frame = frame.rename(
        columns={
            "category_of_success": "category_of_bools",
            "category_of_timestamp": "category_of_times",
        }
    )
    ddf = _dask_frame(frame, 2)
    with pytest.raises(UsageAnalyticsError, match=f"^cannot group by column '{by}' of dtype"):
        analyze(ddf, by=by, **WINDOW)
    if by.startswith("category_of"):  # (Dask takes no index of categories with a NaN)
        return
    # The same column as the index, which is read as the `by` column.
    indexed = dd.from_pandas(frame.set_index(by), npartitions=2, sort=False)
    with pytest.raises(UsageAnalyticsError, match=f"cannot group by column '{by}' of dtype"):
        analyze(indexed, by=by, **WINDOW)


@pytest.mark.parametrize("int_ids", [False, True], ids=["text", "ints"])
def test_categorical_ids_of_text_or_ints_are_taken(int_ids: bool) -> None:
    # Checked by their categories' dtype (those of bools or times are refused, above); a missing
    # id is its record's error, as in the reducer.
    frame = _frame(300, 3, seed=27, int_ids=int_ids)
    frame["pattern_id"] = frame["pattern_id"].astype("category")
    frame.loc[frame.index[::50], "pattern_id"] = None
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 3), on_invalid="skip", **WINDOW)
    assert len(result.results) == 3
    expected = _expected(frame, on_invalid="skip")
    assert_batch_equivalent(result, expected, sample_indexes=False)


@pytest.mark.parametrize("kind", ["floats", "categories_of_floats", "index_of_floats"])
def test_int_ids_held_as_floats_for_a_missing_one_are_read_as_in_the_reducer(kind: str) -> None:
    # pandas stores int ids with a missing one as float64 (`read_csv` of a blank cell, as
    # `dd.read_csv` gives them), which the reducer reads as int ids, the missing id its
    # record's error: Dask refused the column on the client ("of dtype float64").
    frame = _frame(300, 3, seed=32, int_ids=True)
    ids = frame["pattern_id"].astype("float64")
    ids[frame.index % 50 == 0] = np.nan
    frame["pattern_id"] = ids.astype("category") if kind == "categories_of_floats" else ids
    expected = _expected(frame, on_invalid="skip")
    renamed = frame.rename(columns={"pattern_id": "team"})
    ddf = _dask_frame(renamed, 3)
    if kind == "index_of_floats":
        ddf = dd.from_pandas(renamed.set_index("team"), npartitions=3, sort=False)
    with dask.config.set(scheduler="synchronous"):
        result = analyze(ddf, by="team", on_invalid="skip", **WINDOW)
    assert sorted(result.results) == [0, 1, 2]
    assert all(type(key) is int for key in result.results)
    assert_batch_equivalent(result, expected, sample_indexes=False)


def test_ids_of_floats_not_whole_numbers_are_each_their_records_error() -> None:
    # As in the reducer: each such id is its record's error, skipped and counted in skip
    # mode (a task refused the whole partition, even in skip mode), named with its index
    # label and the user's column in raise mode.
    frame = _frame(300, 3, seed=33, int_ids=True)
    ids = frame["pattern_id"].astype("float64")
    ids[frame.index[[200, 201]]] = [1.5, np.nan]
    frame["pattern_id"] = ids
    expected = _expected(frame, on_invalid="skip")
    renamed = frame.rename(columns={"pattern_id": "team"})
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(renamed, 3), by="team", on_invalid="skip", **WINDOW)
    assert sorted(result.results) == [0, 1, 2]
    assert result.data_quality.invalid_records == expected.data_quality.invalid_records == 2
    assert_batch_equivalent(result, expected, sample_indexes=False)
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(_dask_frame(renamed, 3), by="team", **WINDOW)
    assert (raised.value.field, raised.value.value, raised.value.location) == (
        "team",
        "1.5",
        "index label 200",
    )
    assert raised.value.reason.startswith("must be a whole number within 64 bits")


@pytest.mark.parametrize("kind", ["float64", "float64_dictionary", "float32_dictionary"])
def test_ids_of_pyarrow_floats_plain_or_dictionary_are_read_as_in_the_reducer(kind: str) -> None:
    # pyarrow-backed float ids (`read_parquet(dtype_backend="pyarrow")` of a float or a
    # dictionary-encoded float column): refused on the client ("pattern ids are strings,
    # integers or UUIDs") where numpy's floats are taken. Read as the reducer reads them:
    # a whole number that int id, a null a missing id, 1.5 its record's error.
    frame = _frame(300, 3, seed=34, int_ids=True)
    ids = frame["pattern_id"].astype("float64").to_numpy().copy()
    ids[[7, 200]] = [np.nan, 1.5]
    arrow_ids = pa.array(ids, pa.float32() if kind.startswith("float32") else pa.float64())
    if kind.endswith("dictionary"):
        arrow_ids = arrow_ids.dictionary_encode()
    frame["pattern_id"] = pd.Series(pd.arrays.ArrowExtensionArray(arrow_ids))
    as_numpy = frame.assign(pattern_id=ids)
    expected = _expected(as_numpy, on_invalid="skip")
    assert expected.data_quality.invalid_records == 2
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=2, sort=True)
        assert ddf["pattern_id"].dtype == frame["pattern_id"].dtype
        result = analyze(ddf, on_invalid="skip", **WINDOW)
    assert sorted(result.results) == [0, 1, 2]
    assert all(type(key) is int for key in result.results)
    assert_batch_equivalent(result, expected, sample_indexes=False)
    assert_batch_equivalent(_expected(frame, on_invalid="skip"), expected)


@pytest.mark.parametrize(
    "kind", ["uuid", "bytes16", "dictionary", "null", "uint8", "int64", "large_string"]
)
def test_ids_of_pyarrow_uuid_dictionary_or_null_dtype_are_taken(kind: str) -> None:
    # What `read_parquet(dtype_backend="pyarrow")` gives a Parquet UUID or dictionary
    # column: refused on the client ("pattern ids are strings, integers or UUIDs"), where
    # the reducer given the pandas frame takes them. So are the other Arrow types of ids.
    frame = _frame(300, 3, seed=26)
    codes = frame["pattern_id"].str.removeprefix("pattern-").astype(int)
    storage = pa.array([uuid.UUID(int=int(c) + 1).bytes for c in codes], pa.binary(16))
    if kind == "uuid":
        ids = pa.ExtensionArray.from_storage(pa.uuid(), storage)
    elif kind == "bytes16":
        ids = storage
    elif kind == "dictionary":
        ids = pa.array(frame["pattern_id"].tolist()).dictionary_encode()
    elif kind == "null":  # (no id at all: each record is invalid)
        ids = pa.nulls(len(frame))
    elif kind in ("uint8", "int64"):
        ids = pa.array(codes, getattr(pa, kind)())
    else:  # (not string_view: pyarrow has no kernel to take its rows, as Dask sorting does)
        ids = pa.array(frame["pattern_id"].tolist(), pa.large_string())
    frame["pattern_id"] = pd.Series(pd.arrays.ArrowExtensionArray(ids))
    # (Dask's `convert-string` would make a large_string column its own text dtype.)
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=2, sort=True)
        assert ddf["pattern_id"].dtype == frame["pattern_id"].dtype
        result = analyze(ddf, on_invalid="skip", **WINDOW)
    assert len(result.results) == (0 if kind == "null" else 3)
    assert_batch_equivalent(result, _expected(frame, on_invalid="skip"), sample_indexes=False)


def test_a_column_a_partition_cannot_hold_names_the_partition() -> None:
    # A partition unlike the frame's dtypes (bool ids among int ones): the error named
    # the column alone, not which of the partitions holds it. (Its RangeIndex, 100 to 199,
    # of a frame of unknown divisions, names its number too: `_partition_of_labels`.)
    parts = [_frame(100, 2, seed=28, int_ids=True) for _ in range(3)]
    for i, part in enumerate(parts):
        part.index = part.index + 100 * i
    parts[1]["pattern_id"] = parts[1]["pattern_id"].astype(bool)
    ddf = dd.from_map(lambda part: part, parts, meta=parts[0].iloc[:0])
    with dask.config.set(scheduler="synchronous"), pytest.raises(UsageAnalyticsError) as raised:
        analyze(ddf, on_invalid="skip", **WINDOW)
    assert type(raised.value) is UsageAnalyticsError
    assert str(raised.value).startswith("invalid input: column 'pattern_id' has Arrow type")
    assert str(raised.value).endswith("(in partition 1 of index labels 100 to 199)")


def test_a_raise_names_the_users_id_column_and_a_plain_index_label() -> None:
    frame = _frame(100, 2, seed=4).rename(columns={"pattern_id": "team"})
    # An int64 index, not a RangeIndex (whose labels are Python ints; `frame.index + 1000`
    # is still one): its labels are numpy's, np.int64(1003), which the error writes as 1003.
    frame.index = pd.Index(np.arange(1000, 1100, dtype=np.int64))
    frame.loc[1003, "team"] = " "
    with dask.config.set(scheduler="synchronous"), pytest.raises(InvalidRecordError) as raised:
        analyze(_dask_frame(frame, 2), by="team", **WINDOW)
    assert (raised.value.field, raised.value.location) == ("team", "index label 1003")
    assert str(raised.value).startswith("record 3 (index label 1003): field 'team' = ' '")
    # Skipped, its sample names the column too (it said 'pattern_id', a column the frame
    # may hold as another: here, one that is not the grouping key).
    frame["pattern_id"] = "not-the-grouping-key"
    frame.loc[1004, "quality_score"] = 1.5
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 2), by="team", on_invalid="skip", **WINDOW)
    samples = [(s.field, s.value) for s in result.data_quality.error_samples]
    assert samples == [("team", "' '"), ("quality_score", "1.5")]


@pytest.mark.parametrize("index", ["timestamp", "pattern_id", "team"])
def test_an_index_named_after_a_field_or_the_id_is_read_as_that_column(index: str) -> None:
    # A pandas frame given to the reducer reads such an index (pandas' Arrow export
    # makes it a column); the partitions lost it, and a frame indexed by its timestamps
    # (Dask's usual time partitioning) failed for want of a 'timestamp' column.
    frame = _frame(600, 5, seed=18).rename(columns={"pattern_id": "team"})
    by = "pattern_id" if index == "pattern_id" else "team"
    if index == "pattern_id":
        frame = frame.rename(columns={"team": "pattern_id"})
    indexed = frame.set_index(index)
    # (A column of the index's name would win: the index is then not read.)
    shadowed = indexed.assign(**{index: frame[index].to_numpy()})
    expected = _expected(frame.assign(pattern_id=frame[by]))
    with dask.config.set(scheduler="synchronous"):
        for data in (indexed, shadowed):
            ddf = dd.from_pandas(data, npartitions=3, sort=False)
            assert_batch_equivalent(analyze(ddf, by=by, **WINDOW), expected)


@pytest.mark.parametrize("by", ["pattern_id", "team"])
def test_a_value_arrow_cannot_hold_is_its_records_error_as_in_the_reducer(by: str) -> None:
    # A str among a column of bools: the partition's conversion to Arrow failed the
    # whole call even in skip mode, where the reducer skips that record. (Under Dask's
    # default `dataframe.convert-string`, such a column is text before it reaches us.)
    # Such a partition is read as records, their ids from the `by` column.
    frame = _frame(400, 3, seed=19)
    frame["success"] = frame["success"].astype(object)
    frame.loc[250, "success"] = "yes"
    given = frame.rename(columns={"pattern_id": by})
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        ddf = dd.from_pandas(given, npartitions=2, sort=True)  # rows 0-199, 200-399
        result = analyze(ddf, by=by, on_invalid="skip", **WINDOW)
        with pytest.raises(InvalidRecordError) as raised:
            analyze(ddf, by=by, **WINDOW)
    expected = _expected(frame, on_invalid="skip")
    assert result.data_quality.invalid_records == expected.data_quality.invalid_records == 1
    assert_batch_equivalent(result, expected, sample_indexes=False)
    assert (raised.value.index, raised.value.field, raised.value.value) == (50, "success", "'yes'")
    assert raised.value.location == "index label 250"


_NUMPY_NAT_AMONG_OBJECTS = r"""
from datetime import UTC, datetime, timedelta
import dask, dask.dataframe as dd, numpy as np, pandas as pd
from usage_analytics.dask import analyze

S = datetime(2026, 3, 20, tzinfo=UTC)
frame = pd.DataFrame({
    "pattern_id": ["a", "b", "b"],
    "timestamp": [S + timedelta(days=1)] * 3,
    "execution_time_ms": pd.Series([np.datetime64("NaT"), np.int64(5), np.int64(7)], dtype=object),
})
with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
    result = analyze(dd.from_pandas(frame, npartitions=1), time_window_start=S,
                     time_window_end=S + timedelta(days=7))
print({key: out.performance_metrics.sample_count for key, out in result.results.items()})
"""


def test_numpy_nat_among_a_partitions_objects_is_missing_not_a_crash() -> None:
    # A partition's objects went to pyarrow as they are (`read_as_records`, then
    # `Table.from_pandas`), whose inference crashes the process (a segmentation fault)
    # on a numpy datetime64 followed by a numpy int: NaT for a missing time, say. Such a
    # partition is read as the reducer reads the frame, the NaT missing.
    from child import run_python

    done = run_python(_NUMPY_NAT_AMONG_OBJECTS)
    assert (done.returncode, done.stdout) == (0, "{'a': 0, 'b': 2}\n"), done.stderr[-2000:]


def test_bools_dask_made_text_are_refused_on_the_client_saying_why() -> None:
    # Dask's default `dataframe.convert-string` makes a pandas column of bools and None
    # the text "True" and "False": every task failed naming its Arrow type alone.
    frame = _frame(100, 2, seed=23)
    frame["timeout"] = pd.Series([True, None, False, True] * 25, dtype=object)
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": True}):
        text = dd.from_pandas(frame, npartitions=2, sort=True)
        with pytest.raises(UsageAnalyticsError, match=r"column 'timeout' holds text .* 'boolean'"):
            analyze(text, on_invalid="skip", **WINDOW)
        flags = frame.assign(timeout=frame["timeout"].astype("boolean"))
        result = analyze(dd.from_pandas(flags, npartitions=2, sort=True), **WINDOW)
    assert_batch_equivalent(result, _expected(frame))


def _numbers_as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its number columns of Python objects, as pandas holds ints beside
    floats, or numbers beside None: every third execution time an int, some missing."""
    times = [
        None if t != t else int(t) if i % 3 == 0 else float(t)
        for i, t in enumerate(frame["execution_time_ms"])
    ]
    scores = [None if i % 7 == 0 else float(q) for i, q in enumerate(frame["quality_score"])]
    return frame.assign(
        execution_time_ms=pd.Series(times, dtype=object, index=frame.index),
        quality_score=pd.Series(scores, dtype=object, index=frame.index),
    )


@pytest.mark.parametrize("on_invalid", ["raise", "skip"])
def test_numbers_dask_made_text_are_refused_once_on_the_client_saying_why(
    client: Client, on_invalid: Literal["raise", "skip"]
) -> None:
    # Dask's default `dataframe.convert-string` makes a pandas column of Python numbers
    # the text "12" and "2.5": every record was refused "must be a number, got str" (in
    # skip mode, all of them counted invalid, the analytics empty).
    frame = _numbers_as_objects(_frame(400, 3, seed=25))
    with dask.config.set({"dataframe.convert-string": True}):
        text = _dask_frame(frame, 2)
        assert str(text["execution_time_ms"].dtype) in ("string", "str")
        with pytest.raises(UsageAnalyticsError) as raised:
            analyze(text, on_invalid=on_invalid, **WINDOW)
        assert type(raised.value) is UsageAnalyticsError  # (one error, of no record)
        message = str(raised.value)
        assert message.startswith("column 'execution_time_ms' holds text (dtype ")
        assert "not numbers" in message
        assert "Dask's 'dataframe.convert-string' setting made them text" in message
        assert "dask.config.set({'dataframe.convert-string': False})" in message
        # The fixes it names: a number dtype, then the setting (below) off.
        typed = frame.astype({"execution_time_ms": "float64", "quality_score": "float64"})
        result = analyze(_dask_frame(typed, 2), on_invalid=on_invalid, **WINDOW)
    assert_batch_equivalent(result, _expected(frame, on_invalid=on_invalid))
    assert result.data_quality.invalid_records == 0
    with dask.config.set({"dataframe.convert-string": False}):
        objects = _dask_frame(frame, 2)
        assert objects["execution_time_ms"].dtype == object
        result = analyze(objects, on_invalid=on_invalid, **WINDOW)
    assert_batch_equivalent(result, _expected(frame, on_invalid=on_invalid))


def test_a_number_column_of_text_alone_is_named_by_its_field(client: Client) -> None:
    # The scores alone made text (the execution times typed): the column named is theirs.
    frame = _numbers_as_objects(_frame(100, 2, seed=26))
    frame["execution_time_ms"] = frame["execution_time_ms"].astype("float64")
    with dask.config.set({"dataframe.convert-string": True}):
        ddf = _dask_frame(frame, 2)
        with pytest.raises(UsageAnalyticsError, match=r"^column 'quality_score' holds text "):
            analyze(ddf, **WINDOW)


def test_a_partition_of_number_objects_is_the_accumulators_state_of_it() -> None:
    # Its columns of objects, converted to Arrow a slice at a time by the checks, are
    # reused as the accumulator given the pandas frame reuses them; `Table.from_pandas`
    # converted them once more, into one chunk, and the state's float sums differed from
    # the accumulator's in their last bit.
    frame = _numbers_as_objects(_frame(40_000, 3, seed=27))  # (three slices of objects)
    settings = {**WINDOW, "correlation_id": uuid.UUID(int=1)}
    accumulator = BatchUsageAccumulator(**settings)
    accumulator.update(frame)
    state = ua_dask._partition_state(frame, settings, "pattern_id")
    assert state == accumulator.to_bytes()


def test_a_partitions_object_columns_are_each_looked_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Their kinds were inferred, and the types of their values found (a pass of `type`,
    # about 90 ms a million objects), twice each: for the numpy datetime64 check, then
    # again for the kinds check.
    looked = counted_looks(monkeypatch)
    frame = _numbers_as_objects(_frame(300, 3, seed=27))
    settings = {**WINDOW, "correlation_id": uuid.UUID(int=1)}
    ua_dask._partition_state(frame, settings, "pattern_id")
    # (execution_time_ms: ints and floats, a "mixed-integer-float" kind, looked at by both.)
    assert ("types", "execution_time_ms") in looked
    assert sorted(looked) == sorted(set(looked)), looked


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()], ids=str)
def test_flags_of_pyarrow_text_are_refused_on_the_client(kind: pa.DataType) -> None:
    # (pandas' ArrowDtype of text is not its StringDtype.) Every task failed naming the
    # column's Arrow type alone.
    frame = _frame(100, 2, seed=31)
    frame["timeout"] = frame["timeout"].astype(str).astype(pd.ArrowDtype(kind))
    with dask.config.set({"dataframe.convert-string": False}):  # (else pandas' StringDtype)
        ddf = dd.from_pandas(frame, npartitions=2, sort=True)
    assert ddf["timeout"].dtype == pd.ArrowDtype(kind)
    with pytest.raises(UsageAnalyticsError, match=r"^column 'timeout' holds text \(dtype "):
        analyze(ddf, **WINDOW)


@pytest.mark.parametrize(
    ("column", "convert_string"),
    [("execution_time_ms", False), ("quality_score", False), ("agent", False)],
)
def test_a_column_of_values_its_field_cannot_be_is_read_as_records_as_in_the_reducer(
    column: str, convert_string: bool
) -> None:
    # Text for a number (objects of str; made text by Dask's convert-string, refused on
    # the client: `test_numbers_dask_made_text_are_refused_once_on_the_client_saying_why`)
    # or ints for a name: every task failed naming the column's Arrow type, even in skip
    # mode, where the reducer given the pandas frame counts each record invalid.
    frame = _frame(400, 3, seed=24)
    values = frame[column].to_numpy()
    frame[column] = pd.Series(
        [str(v) for v in values] if column != "agent" else list(range(len(frame))), dtype=object
    )
    frame.loc[10, column] = None
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": convert_string}):
        ddf = dd.from_pandas(frame, npartitions=2, sort=True)  # rows 0-199, 200-399
        result = analyze(ddf, on_invalid="skip", **WINDOW)
        with pytest.raises(InvalidRecordError) as raised:
            analyze(ddf, **WINDOW)
    expected = _expected(frame, on_invalid="skip")
    assert expected.data_quality.invalid_records >= 399
    assert result.data_quality.invalid_records == expected.data_quality.invalid_records
    assert_batch_equivalent(result, expected, sample_indexes=False)
    assert raised.value.field == column


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("execution_time_ms", True),  # was read as 1 ms, silently
        ("success", 1.0),  # a float among flags: the whole call failed
        ("timestamp", np.datetime64("NaT")),  # a raw ArrowNotImplementedError
    ],
)
def test_objects_arrow_would_coerce_are_their_records_as_in_the_reducer(
    column: str, value: Any
) -> None:
    frame = _frame(400, 3, seed=23)
    frame[column] = frame[column].astype(object)
    frame.loc[250, column] = value
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        ddf = dd.from_pandas(frame, npartitions=2, sort=True)
        result = analyze(ddf, on_invalid="skip", **WINDOW)
    expected = _expected(frame, on_invalid="skip")
    assert result.data_quality.invalid_records == expected.data_quality.invalid_records == 1
    assert_batch_equivalent(result, expected, sample_indexes=False)


def test_the_merged_state_is_a_scalar_to_every_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    # Legacy dask.dataframe (`dataframe.query-planning` off, which the dask releases the
    # extra allows, 2024.8 to 2024.12, still offer) reads `reduction`'s meta through
    # `make_meta`: `b""` was an empty list of columns, the result a DataFrame computed as a
    # Series around the state, and every `analyze` failed ("from_bytes needs bytes, got
    # Series"). This dask's `make_meta` reads the meta the same way.
    metas: list[Any] = []
    reduction: Any = dd.DataFrame.reduction  # (both untyped)
    make_meta: Any = dask_dispatch.make_meta

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        metas.append(make_meta(kwargs["meta"]))
        return reduction(self, *args, **kwargs)

    monkeypatch.setattr(dd.DataFrame, "reduction", spy)
    frame = _frame(300, 3, seed=32)
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 3), **WINDOW)
    assert_batch_equivalent(result, _expected(frame))
    assert len(metas) == 1
    assert not isinstance(metas[0], pd.DataFrame | pd.Series | pd.Index), metas[0]


def test_invalid_record_error_pickles_with_its_attributes() -> None:
    error = InvalidRecordError(
        3, "success", "'yes'", "not a bool", more=2, location="index label 9"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is InvalidRecordError
    assert (copy.index, copy.field, copy.value, copy.reason, copy.more, copy.location) == (
        3,
        "success",
        "'yes'",
        "not a bool",
        2,
        "index label 9",
    )
    assert str(copy) == str(error)


def test_accumulate_state_merges_with_a_local_accumulator(client: Client) -> None:
    frame = _frame(3_000, 6, seed=12)
    earlier, later = frame.iloc[:2_000], frame.iloc[2_000:]
    state = accumulate(_dask_frame(earlier, 4), **WINDOW)
    local = BatchUsageAccumulator(**WINDOW)
    local.update(later.reset_index(drop=True))
    merged = BatchUsageAccumulator.from_bytes(state.to_bytes()).merge(local)
    assert_batch_equivalent(merged.finalize(), _expected(frame))


def test_settings_are_checked_on_the_client(client: Client) -> None:
    ddf = _dask_frame(_frame(100, 2, seed=13), 2)
    with pytest.raises(UsageAnalyticsError, match="no column 'endpoint'"):
        analyze(ddf, by="endpoint", **WINDOW)
    # An unnamed index is not a column named None: this failed computing, a bare KeyError.
    with pytest.raises(UsageAnalyticsError, match="no column None"):
        analyze(ddf, by=None, **WINDOW)  # type: ignore[arg-type]
    with pytest.raises(UsageAnalyticsError, match="split_every"):
        analyze(ddf, split_every=1, **WINDOW)
    with pytest.raises(ValueError, match="time_window_end"):
        analyze(ddf, **{**WINDOW, "time_window_end": START})
    with pytest.raises(TypeError, match=r"dask\.dataframe\.DataFrame"):
        analyze(_frame(10, 1, seed=14), **WINDOW)


@pytest.mark.parametrize(
    "bad",
    [{"time_window_end": START}, {"relative_accuracy": 0.0}, {"exact_budget": -1}],
    ids=lambda bad: next(iter(bad)),
)
def test_bad_settings_are_refused_before_any_partition_is_read(bad: dict[str, Any]) -> None:
    # Checked on the client: else each task raised the same error, after reading its
    # partition (a Parquet file, say) for nothing.
    frame = _frame(100, 2, seed=15)
    read: list[int] = []

    def partition(index: int) -> pd.DataFrame:
        read.append(index)
        return frame.iloc[index * 50 : (index + 1) * 50]

    ddf = dd.from_map(partition, [0, 1], meta=frame.iloc[:0])
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match=next(iter(bad))):
        analyze(ddf, **{**WINDOW, **bad})
    assert read == []
    with dask.config.set(scheduler="synchronous"):
        assert analyze(ddf, **WINDOW).results  # (the same frame, good settings: read)
    assert sorted(read) == [0, 1]


def test_every_column_name_read_twice_is_named() -> None:
    frame = _frame(50, 2, seed=34)
    twice = pd.concat([frame, frame[["agent", "project"]]], axis=1)
    with pytest.raises(UsageAnalyticsError) as raised:
        analyze(_dask_frame(twice, 2), **WINDOW)
    assert str(raised.value).startswith(
        "the dataframe has more than one column named 'agent', 'project': "
    )


def test_only_the_record_fields_and_the_id_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # So that a column store (Parquet) loads nothing else. Each partition's columns, as
    # the task gets them:
    seen: list[list[Any]] = []
    partition_state = ua_dask._noted_partition_state

    def recording(frame: pd.DataFrame, settings: dict[str, Any], by: str) -> Any:
        seen.append(list(frame.columns))
        return partition_state(frame, settings, by)

    monkeypatch.setattr(ua_dask, "_noted_partition_state", recording)
    frame = _frame(60, 2, seed=35).assign(extra=1, notes="x")
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 2), **WINDOW)
    assert_batch_equivalent(result, _expected(frame))
    read = ["pattern_id", *(name for name in frame.columns if name in FIELDS)]
    assert len(read) == 11
    assert seen == [read, read]
    # Indexed by its timestamps (as Dask partitions by time): the index comes along.
    seen.clear()
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame.set_index("timestamp"), 2), **WINDOW)
    assert_batch_equivalent(result, _expected(frame))
    read.remove("timestamp")
    assert seen == [read, read]


@pytest.mark.parametrize("split_every", [1, 0, -8, 2.5, 8.0, "8", True, None])
def test_a_split_every_not_an_integer_of_two_or_more_is_refused(split_every: Any) -> None:
    # (A float of two or more reached Dask, and True is a 1.)
    ddf = _dask_frame(_frame(10, 1, seed=30), 1)
    message = f"split_every must be an integer >= 2, got {split_every!r}"
    with pytest.raises(UsageAnalyticsError, match=f"^{re.escape(message)}$"):
        analyze(ddf, split_every=split_every, **WINDOW)


@pytest.mark.parametrize(
    ("repeated", "by"),
    [("agent", "pattern_id"), ("team", "team"), ("extra", "pattern_id")],
)
def test_a_column_name_read_twice_is_refused_on_the_client(repeated: str, by: str) -> None:
    # pyarrow refuses a partition of two columns of one name: every task failed with a bare
    # ValueError (a repeated `by` column: an AttributeError, on the client). An extra
    # column is read only when the frame has no timestamps (to be listed in that error).
    frame = _frame(100, 2, seed=33).rename(columns={"pattern_id": by}).assign(extra=1)
    twice = pd.concat([frame, frame[[repeated]]], axis=1)
    if repeated == "extra":
        twice = twice.rename(columns={"timestamp": "ts"})
    # (The reducer names the field repeated, the `by` column as the pattern_id it is
    # renamed to; an extra one is left out, its missing timestamps the error.)
    named = "pattern_id" if repeated == by else repeated
    refused = "no 'timestamp'" if repeated == "extra" else f"2 columns named '{named}'"
    with pytest.raises(UsageAnalyticsError, match=refused):
        _expected(twice.rename(columns={by: "pattern_id"}))  # (the reducer refuses it too)
    ddf = _dask_frame(twice, 2)
    with (
        dask.config.set(scheduler="synchronous"),
        pytest.raises(UsageAnalyticsError) as raised,
    ):
        analyze(ddf, by=by, **WINDOW)
    assert str(raised.value) == (
        f"the dataframe has more than one column named '{repeated}': each is read from one "
        "column; rename or drop the others"
    )
    # An extra column twice is left out, as the record fields alone are read.
    if repeated != "extra":
        with dask.config.set(scheduler="synchronous"):
            kept = analyze(
                _dask_frame(pd.concat([frame, frame[["extra"]]], axis=1), 2), by=by, **WINDOW
            )
        assert_batch_equivalent(kept, _expected(frame.rename(columns={by: "pattern_id"})))


def test_a_frame_without_timestamps_is_refused_listing_its_columns() -> None:
    # The error listed the record columns alone: not 'ts', the one holding the times.
    frame = _frame(100, 2, seed=27).rename(columns={"timestamp": "ts"})
    with pytest.raises(UsageAnalyticsError) as expected:
        _expected(frame)
    with dask.config.set(scheduler="synchronous"), pytest.raises(UsageAnalyticsError) as raised:
        analyze(_dask_frame(frame, 2), **WINDOW)
    assert "no 'timestamp' column" in str(raised.value)
    assert str(raised.value).startswith(str(expected.value))


@pytest.mark.parametrize("name", ["ts", None])
def test_times_in_an_index_of_another_name_are_pointed_to_as_the_reducer_does(
    name: str | None,
) -> None:
    # A frame indexed by its times under another name (or none) was refused listing its
    # columns alone, without the reducer's hint that the index holds them.
    frame = _frame(100, 2, seed=28).set_index("timestamp").rename_axis(name)
    with pytest.raises(UsageAnalyticsError) as expected:
        _expected(frame)
    assert "index" in str(expected.value)
    with dask.config.set(scheduler="synchronous"), pytest.raises(UsageAnalyticsError) as raised:
        analyze(_dask_frame(frame, 2), **WINDOW)
    held = "the frame's index" + ("" if name is None else f" {name!r}") + " holds datetimes"
    assert held in str(raised.value)
    assert "(DataFrame.rename_axis) to read them as the timestamps" in str(raised.value)


def test_synchronous_scheduler_matches_reducer() -> None:
    frame = _frame(2_000, 7, seed=15, int_ids=True)
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 5), split_every=2, **WINDOW)
    assert_batch_equivalent(result, _expected(frame))


SPLIT_FRAME = _frame(1_500, 8, seed=17, int_ids=True)
SPLIT_EXPECTED = _expected(SPLIT_FRAME)


@settings(max_examples=15, deadline=None)
@given(
    cuts=st.lists(st.integers(1, len(SPLIT_FRAME) - 2), max_size=15, unique=True),
    split_every=st.integers(2, 9),
    budget=st.sampled_from([0, 100, 1024]),
)
def test_any_partitioning_matches_reducer_on_the_synchronous_scheduler(
    cuts: list[int], split_every: int, budget: int
) -> None:
    divisions = [0, *sorted(cuts), len(SPLIT_FRAME) - 1]
    ddf = dd.from_pandas(SPLIT_FRAME, npartitions=1, sort=True).repartition(divisions=divisions)
    assert ddf.npartitions == len(cuts) + 1
    with dask.config.set(scheduler="synchronous"):
        result = analyze(ddf, split_every=split_every, exact_budget=budget, **WINDOW)
    assert_batch_equivalent(result, SPLIT_EXPECTED, exact_budget=budget)


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import dask.dataframe` raise ImportError (only
    # dask.dataframe: the module's cluster still runs and may import parts of dask).
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    message = "usage_analytics.dask needs dask: pip install 'usage-analytics[dask]'"
    with pytest.raises(UsageAnalyticsError, match=f"^{re.escape(message)}$"):
        analyze(object(), **WINDOW)


def test_flags_of_zero_one_and_nan_are_read_as_the_reducer_reads_them() -> None:
    # pandas stores 0/1 with a blank cell as float64 (`read_csv`), which the reducer reads
    # as nullable flags: every task of a Dask frame of the same partitions failed ("column
    # 'success' has Arrow type Float64"), the partition exported to Arrow as it was.
    frame = _frame(300, 3, seed=31)
    for name in ("success", "timeout"):
        flags = frame[name].astype("float64")
        flags[frame.index % 7 == 0] = np.nan
        frame[name] = flags
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 3), **WINDOW)
    assert_batch_equivalent(result, _expected(frame))


def test_analyze_defaults_to_the_accumulator_s_settings() -> None:
    # `analyze` spells out the accumulator's settings: their defaults must agree.
    parameters = inspect.signature(analyze).parameters
    fields = StreamingSettings.model_fields
    shared = [name for name in parameters if name in fields]
    assert len(shared) == 15
    for name in shared:
        default = parameters[name].default
        field = fields[name]
        if default is inspect.Parameter.empty:  # (the window's bounds)
            assert field.is_required(), name
        elif default is None and field.default_factory is not None:  # (the model fills it)
            continue
        else:
            assert default == field.default, name


@pytest.mark.parametrize("flags", [False, True], ids=["sections_off", "sections_on"])
def test_every_setting_reaches_the_tasks(flags: bool) -> None:
    frame = _frame(600, 3, seed=28)
    options: dict[str, Any] = {
        **WINDOW,
        "time_window_type": "custom",
        "granularity": "summary" if flags else "comprehensive",
        "include_trends": flags,
        "include_performance": flags,
        "include_distribution": flags,
        "include_predictions": not flags,
        "timezone": "Asia/Kolkata",
        "bucket_width": timedelta(hours=5),
        "trend_thresholds": TrendThresholds(growing_velocity=0.01, min_t_statistic=0.5),
        "correlation_id": uuid.UUID(int=77),
    }
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(frame, 3), **options, exact_budget=20, relative_accuracy=0.05)
    assert result.correlation_id == uuid.UUID(int=77)
    assert_batch_equivalent(
        result, _expected(frame, **options), exact_budget=20, relative_accuracy=0.05
    )


def test_computation_time_is_the_whole_call_in_milliseconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A clock read as `analyze` starts and as the state is finalized, 2.5 s apart.
    clock = iter([10.0, 12.5])
    monkeypatch.setattr(ua_dask, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    with dask.config.set(scheduler="synchronous"):
        result = analyze(_dask_frame(_frame(50, 2, seed=29), 2), **WINDOW)
    assert result.computation_time_ms == 2500.0


def test_a_column_spelled_otherwise_is_told_of_once_on_the_client_and_ships_whole(
    client: Client,
) -> None:
    # On worker processes as on a local scheduler (`test_column_name_warning`): one
    # warning, on the client, before any task runs; and the warning, sent to a worker and
    # back by pickle, keeps the renames the command's note maps.
    frame = _frame(60, 2, seed=31).rename(columns={"success": "Success"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyze(_dask_frame(frame, 4), **WINDOW)
    told = [record.message for record in caught if record.category is ColumnNameWarning]
    assert len(told) == 1
    assert isinstance(told[0], ColumnNameWarning)
    assert told[0].renames == {"Success": "success"}
    shipped = client.submit(copy.copy, told[0], pure=False).result()
    assert (str(shipped), shipped.renames) == (str(told[0]), {"Success": "success"})
