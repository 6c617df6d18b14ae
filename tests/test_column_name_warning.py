"""A column (or a list's first record's key) that looks like a record field spelled
otherwise (`Success`, `" success"`, `executionTimeMs`, `execution-time-ms`) is not read as
the field, as the design has it (fields by exact name, other keys ignored), and the
caller is told: `ColumnNameWarning`, once a call, naming the column, the field, what a
record without it counts as and the rename. A `Success` column made a 0% success rate
with no word. Nobody else is told: not exact names, not unrelated names, not another
spelling beside the exact name."""

from __future__ import annotations

import asyncio
import copy
import pickle
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from cli_runs import run
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    BatchUsageAccumulator,
    ColumnNameWarning,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    UsageAccumulator,
    UsageAnalyticsError,
)
from usage_analytics.dask import accumulate, analyze
from usage_analytics.ingest.spellings import loosely, names_spelled_otherwise

START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=1)
WINDOW: dict[str, Any] = {"time_window_start": START, "time_window_end": END}
REDUCER = NodeUsageAnalyticsReducer()
FIELDS = (
    "timestamp",
    "success",
    "execution_time_ms",
    "quality_score",
    "quality_gates_passed",
    "timeout",
    "context_type",
    "agent",
    "project",
    "file_path",
)

Columns = dict[str, list[Any]]


def _columns(success: str = "success", **more: list[Any]) -> Columns:
    """Three records' columns, their flag column named `success`."""
    return {
        "timestamp": [START + timedelta(hours=hour) for hour in range(3)],
        success: [True, True, False],
        **more,
    }


def _rows(columns: Columns) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


#: Every form of input, made of columns.
FORMS: dict[str, Callable[[Columns], Any]] = {
    "list of dicts": _rows,
    "tuple of dicts": lambda columns: tuple(_rows(columns)),
    "pandas Series of records": lambda columns: pd.Series(_rows(columns)),
    "dict of lists": lambda columns: columns,
    "dict of numpy arrays": lambda columns: {
        name: np.array(values) for name, values in columns.items()
    },
    "pandas": pd.DataFrame,
    "polars": pl.DataFrame,
    "pyarrow table": pa.table,
    "pyarrow batch": pa.record_batch,
    "pyarrow stream": lambda columns: pa.table(columns).to_reader(),
    "pyarrow struct array": lambda columns: pa.table(columns).to_struct_array(),
    "duckdb": lambda columns: duckdb.arrow(pa.table(columns)),
}


def _contract(data: Any) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="p", execution_data=data, time_window_type="daily", **WINDOW
    )


def _warned(call: Callable[[], Any]) -> tuple[list[str], Any]:
    """The `ColumnNameWarning` texts given by `call()`, and its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    others = [str(w.message) for w in caught if not issubclass(w.category, ColumnNameWarning)]
    assert not others
    return [str(w.message) for w in caught], result


#: The forms read as records, whose first record's keys are looked at.
RECORD_FORMS = ("list of dicts", "tuple of dicts", "pandas Series of records")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ["Success", " success", "SUCCESS", "success "])
def test_a_success_spelled_otherwise_is_told_of_in_every_form(form: str, name: str) -> None:
    data = FORMS[form](_columns(success=name))
    texts, output = _warned(lambda: REDUCER.execute_reduction_sync(_contract(data)))
    what, kind = ("the first record's key", "key") if form in RECORD_FORMS else ("column",) * 2
    assert texts == [
        f"{what} {name!r} is not read as the record field 'success', which is read by exact "
        f"name only: a record without 'success' counts as a failure. Rename the {kind}: "
        f"{{{name!r}: 'success'}}"
    ]
    # (Still not read: exact names are the rule, the warning says why.)
    assert output.success_metrics.success_count == 0
    assert output.success_metrics.failure_count == 3


@pytest.mark.parametrize("form", RECORD_FORMS)
def test_a_record_key_is_told_of_as_the_first_record_s(form: str) -> None:
    data = FORMS[form](_columns(success="Success"))
    texts, _ = _warned(lambda: REDUCER.execute_reduction_sync(_contract(data)))
    assert texts == [
        "the first record's key 'Success' is not read as the record field 'success', which "
        "is read by exact name only: a record without 'success' counts as a failure. Rename "
        "the key: {'Success': 'success'}"
    ]


@pytest.mark.parametrize(
    ("name", "field", "without"),
    [
        ("executionTimeMs", "execution_time_ms", "is not counted in performance"),
        ("ExecutionTimeMs", "execution_time_ms", "is not counted in performance"),
        ("execution-time-ms", "execution_time_ms", "is not counted in performance"),
        ("Execution Time Ms", "execution_time_ms", "is not counted in performance"),
        ("EXECUTION_TIME_MS", "execution_time_ms", "is not counted in performance"),
        ("qualityScore", "quality_score", "is not counted in the average quality score"),
        ("Quality_Gates_Passed", "quality_gates_passed", "counts as passing its quality gates"),
        ("Timeout", "timeout", "counts as no timeout"),
        ("contextType", "context_type", "counts as context 'unknown'"),
        ("AGENT", "agent", "counts as agent 'unknown'"),
        ("\tproject\n", "project", "counts as project 'unknown'"),
        ("file-path", "file_path", "is not counted in by_file_type"),
    ],
)
@pytest.mark.parametrize("form", ["pandas", "polars", "pyarrow table", "dict of lists"])
def test_each_field_spelled_otherwise_is_told_of(
    form: str, name: str, field: str, without: str
) -> None:
    values: list[Any] = ["a.py", "b", "c"]
    if field == "execution_time_ms":
        values = [1.0, 2.0, 3.0]
    if field in ("quality_gates_passed", "timeout"):
        values = [True, False, True]
    if field == "quality_score":
        values = [0.5, 0.25, 1.0]
    data = FORMS[form]({**_columns(), name: values})
    texts, _ = _warned(lambda: REDUCER.execute_reduction_sync(_contract(data)))
    assert texts == [
        f"column {name!r} is not read as the record field {field!r}, which is read by exact "
        f"name only: a record without {field!r} {without}. Rename the column: "
        f"{{{name!r}: {field!r}}}"
    ]


@pytest.mark.parametrize("form", ["pandas", "polars", "pyarrow table", "duckdb"])
def test_a_timestamp_spelled_otherwise_is_told_of_before_the_table_is_refused(form: str) -> None:
    columns = _columns()
    columns["Timestamp"] = columns.pop("timestamp")
    data = FORMS[form](columns)
    told = "'Timestamp' is not read as the record field"
    refused = pytest.raises(UsageAnalyticsError, match="no 'timestamp' column")
    with pytest.warns(ColumnNameWarning, match=told), refused:
        REDUCER.execute_reduction_sync(_contract(data))


def test_several_columns_are_told_of_in_one_warning() -> None:
    columns = _columns(success="Success", executionTimeMs=[1.0, 2.0, 3.0], SUCCESS=[1, 1, 1])
    texts, _ = _warned(lambda: REDUCER.execute_reduction_sync(_contract(pd.DataFrame(columns))))
    assert texts == [
        "columns 'Success', 'executionTimeMs' and 'SUCCESS' are not read as the record "
        "fields they look like, which are read by exact name only: a record without "
        "'success' counts as a failure and one without 'execution_time_ms' is not counted "
        "in performance. Rename one column for each field: {'Success': 'success', "
        "'executionTimeMs': 'execution_time_ms', 'SUCCESS': 'success'}"
    ]


@pytest.mark.parametrize("form", FORMS)
def test_exact_and_unrelated_names_are_not_told_of(form: str) -> None:
    # (Names near a field that no column gives exactly, `success` among them: only
    # another spelling of a field's whole name is told of.)
    columns = {
        "timestamp": _columns()["timestamp"],
        "succeeded": [1, 1, 1],
        "successes": [1, 1, 1],
        "is_success": [1, 1, 1],
        "status": ["ok", "ok", "no"],
        "exec_ms": [1.0, 2.0, 3.0],
        "execution_time": [1.0, 2.0, 3.0],
        "execution_time_ms_p50": [1.0, 2.0, 3.0],
        "agents": ["a", "b", "c"],
        "Pattern_Id": ["a", "a", "a"],  # (a single pattern's call reads no id)
        "timed_out": [True, False, True],
    }
    texts, output = _warned(lambda: REDUCER.execute_reduction_sync(_contract(FORMS[form](columns))))
    assert texts == []
    assert output.success_metrics.failure_count == 3


@pytest.mark.parametrize("form", FORMS)
def test_another_spelling_beside_the_exact_name_is_not_told_of(form: str) -> None:
    data = FORMS[form](
        _columns(
            Success=[False, False, False],
            executionTimeMs=[1.0, 2.0, 3.0],
            execution_time_ms=[4.0, 5.0, 6.0],
        )
    )
    texts, output = _warned(lambda: REDUCER.execute_reduction_sync(_contract(data)))
    assert texts == []
    assert output.success_metrics.success_count == 2


def test_only_the_first_record_s_keys_are_looked_at() -> None:
    # (The documented limit of the list path, whose keys are per record: a later
    # record's other spelling is not looked for.)
    rows = _rows(_columns())
    rows[1] = {"timestamp": rows[1]["timestamp"], "Success": True}
    texts, _ = _warned(lambda: REDUCER.execute_reduction_sync(_contract(rows)))
    assert texts == []


def test_the_async_reduction_warns_the_awaiting_code() -> None:
    data = pd.DataFrame(_columns(success="Success"))

    async def reduce() -> Any:
        return await REDUCER.execute_reduction(_contract(data))

    with pytest.warns(ColumnNameWarning, match="'Success'") as caught:
        asyncio.run(reduce())
    assert [record.filename for record in caught] == [__file__]


def test_the_sync_reduction_warns_the_caller() -> None:
    with pytest.warns(ColumnNameWarning) as caught:
        REDUCER.execute_reduction_sync(_contract(pl.DataFrame(_columns(success="Success"))))
    assert [record.filename for record in caught] == [__file__]


def _batch(data: Any) -> ModelUsageAnalyticsBatchInput:
    return ModelUsageAnalyticsBatchInput(execution_data=data, time_window_type="daily", **WINDOW)


@pytest.mark.parametrize("form", ["list of dicts", "pandas", "polars", "pyarrow table"])
def test_a_batch_is_told_of_its_fields(form: str) -> None:
    data = FORMS[form](_columns(success="Success", pattern_id=["a", "b", "a"]))
    for call in (
        lambda: REDUCER.execute_batch_reduction_sync(_batch(data)),
        lambda: asyncio.run(REDUCER.execute_batch_reduction(_batch(data))),
    ):
        texts, output = _warned(call)
        assert len(texts) == 1
        assert "'Success' is not read as the record field 'success'" in texts[0]
        assert output.results["a"].success_metrics.success_count == 0


def test_a_batch_is_told_of_its_pattern_id_spelled_otherwise() -> None:
    data = pd.DataFrame(_columns(patternId=["a", "b", "a"]))
    told = "'patternId' is not read as the record field"
    refused = pytest.raises(UsageAnalyticsError, match="no 'pattern_id' column")
    with pytest.warns(ColumnNameWarning, match=told), refused:
        REDUCER.execute_batch_reduction_sync(_batch(data))


@pytest.mark.parametrize("kind", [UsageAccumulator, BatchUsageAccumulator])
@pytest.mark.parametrize("form", ["list of dicts", "pandas", "pyarrow stream", "dict of lists"])
def test_an_accumulator_s_update_is_told_of_each_call(kind: type[Any], form: str) -> None:
    accumulator = kind(START, END, "daily")
    ids = {"pattern_id": ["a", "a", "a"]} if kind is BatchUsageAccumulator else {}
    for _ in range(2):
        data = FORMS[form](_columns(success="Success", **ids))
        with pytest.warns(ColumnNameWarning, match="'Success'") as caught:
            accumulator.update(data)
        assert [record.filename for record in caught] == [__file__]
    batch = kind is BatchUsageAccumulator
    output = accumulator.finalize().results["a"] if batch else accumulator.finalize("a")
    assert output.success_metrics.failure_count == 6


@pytest.mark.parametrize("form", ["list of dicts", "polars", "pyarrow stream", "duckdb"])
def test_a_rolling_add_is_told_of(form: str) -> None:
    rolling = RollingUsageAnalytics(timedelta(days=1), timedelta(hours=1))
    with pytest.warns(ColumnNameWarning, match="'executionTimeMs'") as caught:
        rolling.add(FORMS[form](_columns(executionTimeMs=[1.0, 2.0, 3.0])))
    assert [record.filename for record in caught] == [__file__]
    assert rolling.snapshot(START + timedelta(hours=3)).performance_metrics is not None


@pytest.fixture
def synchronous() -> Iterator[None]:
    with dask.config.set(scheduler="synchronous"):
        yield


def _dask_frame(success: str, by: str = "pattern_id") -> Any:
    columns = _columns(success=success, **{by: ["a", "b", "a"]})
    frame = pd.DataFrame({name: values * 3 for name, values in columns.items()})
    return dd.from_pandas(frame, npartitions=3)


@pytest.mark.usefixtures("synchronous")
@pytest.mark.parametrize("call", [analyze, accumulate])
def test_dask_tells_once_a_call_on_the_client(call: Callable[..., Any]) -> None:
    ddf = _dask_frame("Success")
    assert ddf.npartitions == 3
    with pytest.warns(ColumnNameWarning) as caught:
        call(ddf, **WINDOW)
    assert [str(record.message) for record in caught] == [
        "column 'Success' is not read as the record field 'success', which is read by exact "
        "name only: a record without 'success' counts as a failure. Rename the column: "
        "{'Success': 'success'}"
    ]
    assert [record.filename for record in caught] == [__file__]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickled_warning_keeps_its_message_and_renames(protocol: int) -> None:
    # (Dask and multiprocessing ship objects by pickle: the command's note reads
    # `renames` for its --column mapping.)
    renames = {"Success": "success", "executionTimeMs": "execution_time_ms"}
    warning = ColumnNameWarning("the note", renames)
    for shipped in (pickle.loads(pickle.dumps(warning, protocol)), copy.deepcopy(warning)):
        assert type(shipped) is ColumnNameWarning
        assert (str(shipped), shipped.args, shipped.renames) == ("the note", ("the note",), renames)
        assert shipped.renames is not warning.renames
    bare = pickle.loads(pickle.dumps(ColumnNameWarning("no renames"), protocol))
    assert (str(bare), bare.renames) == ("no renames", {})


@pytest.mark.usefixtures("synchronous")
def test_dask_tells_nothing_of_exact_names_nor_of_its_by_column() -> None:
    # (`by` is the caller's own name for the ids, whatever it looks like.)
    texts, batch = _warned(
        lambda: analyze(_dask_frame("success", by="Pattern_ID"), "Pattern_ID", **WINDOW)
    )
    assert texts == []
    assert batch.results["a"].success_metrics.success_count == 3


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    flips=st.lists(st.booleans(), min_size=20, max_size=20),
    separator=st.sampled_from(["_", "-", " ", ""]),
    padding=st.sampled_from(["", " ", "\t", " \n"]),
)
def test_every_spelling_of_a_field_is_told_of(
    field: str, flips: list[bool], separator: str, padding: str
) -> None:
    words = field.split("_")
    cased = "".join(
        char.upper() if flip else char
        for char, flip in zip(separator.join(words), flips * 2, strict=False)
    )
    name = f"{padding}{cased}{padding}"
    wanted = frozenset(FIELDS)
    found = names_spelled_otherwise(["timestamp", name] if field != "timestamp" else [name], wanted)
    assert found == ({} if name == field else {name: field})
    assert names_spelled_otherwise([field, name], wanted) == {}


def _loose(name: str) -> str:
    """The spec of `loosely`, another way: each character of the name without its
    surrounding whitespace, but `_`, `-` and spaces, ASCII letters in lower case."""
    return "".join(
        char.lower() if char.isascii() else char for char in name.strip() if char not in "_- "
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_a_name_is_told_of_only_where_it_loosely_is_a_field(name: str) -> None:
    found = names_spelled_otherwise([name], frozenset(FIELDS))
    expected = next((field for field in FIELDS if _loose(field) == _loose(name)), None)
    assert found == ({} if expected is None or name == expected else {name: expected})
    assert loosely(name) == _loose(name)


def test_the_command_notes_a_column_spelled_otherwise_with_its_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # (A CSV's other columns reach the library; a column of another case only is mapped
    # by the command already, `sources.column_case`, and not noted.)
    runs = tmp_path / "runs.csv"
    runs.write_text(
        "pattern_id,timestamp,SUCCESS,Execution Time Ms\n"
        "a,2026-01-01T00:00:00Z,true,5\n"
        "b,2026-01-01T01:00:00Z,false,7\n"
    )
    window = ["--start", "2026-01-01", "--end", "2026-01-02"]
    for command in (["analyze", "--pattern", "a"], ["dashboard"]):
        code, _, err = run(capsys, *command, str(runs), *window)
        assert code == 0
        notes = [line for line in err.splitlines() if "is not read as" in line]
        assert notes == [
            "usage-analytics: note: column 'Execution Time Ms' is not read as the record "
            "field 'execution_time_ms', which is read by exact name only: a record without "
            "'execution_time_ms' is not counted in performance. Rename the column: "
            "{'Execution Time Ms': 'execution_time_ms'}, or map it: "
            "--column 'execution_time_ms=Execution Time Ms'"
        ]
