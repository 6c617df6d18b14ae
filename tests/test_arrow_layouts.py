"""Arrow input against hostile layouts: every type a field is read from, columns at
offsets inside longer buffers, chunked with empty chunks or none, tables sliced, nulls in
every field, dictionaries of every key width with sliced, repeated or null values
(`tests/arrow_layouts.py` draws them).

Each table, read by the reducer, the batch reducer (its `pattern_id` column drawn the
same ways) or `UsageAccumulator.update`, either equals the list of dicts of its own
values (`as_py`, with columnar input's documented readings), errors included: the same
record index, field, value and reason in raise mode, the same samples in skip mode; or,
where a column is of a type its field is not read from (run-end encoded, a dictionary of
a dictionary, a struct, a list, binary text, float flags), is refused naming that column
and its type. Never a crash, another number, or an error naming another row.
"""

from __future__ import annotations

import itertools
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from arrow_layouts import (
    END,
    FLAG_FIELDS,
    NUMBER_FIELDS,
    START,
    TEXT_FIELDS,
    Column,
    concat,
    flag_columns,
    laid_out,
    number_columns,
    pattern_id_columns,
    text_columns,
    the_records,
    timestamp_columns,
)
from equivalence import assert_same, batch_outcome, comparable
from hypothesis import given
from hypothesis import strategies as st
from reference import datetime_to_micros
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

REDUCER = NodeUsageAnalyticsReducer()


@st.composite
def hostile_columns(draw: st.DrawFn, *, batch: bool = False) -> dict[str, Column]:
    """Drawn columns of every field (in any order; absent ones left out), at most one of
    a refused type; invalid values in some examples."""
    rows, invalid = draw(st.integers(0, 14)), draw(st.booleans())
    drawn: dict[str, Column | None] = {"timestamp": draw(timestamp_columns(rows, invalid))}
    if batch:
        drawn["pattern_id"] = draw(pattern_id_columns(rows, invalid))
    for field in FLAG_FIELDS:
        drawn[field] = draw(flag_columns(rows, invalid))
    for field in NUMBER_FIELDS:
        drawn[field] = draw(number_columns(field, rows, invalid))
    for field in TEXT_FIELDS:
        drawn[field] = draw(text_columns(rows))
    columns = {name: column for name, column in drawn.items() if column is not None}
    refused = [name for name, column in columns.items() if column.refused]
    for name in refused[1:]:  # (the first refused column named, whichever the core meets first)
        del columns[name]
    order = draw(st.permutations(list(columns)))
    return {name: columns[name] for name in order}


def refused_column(columns: dict[str, Column]) -> str | None:
    return next((name for name, column in columns.items() if column.refused), None)


# --------------------------------------------------------------------------- forms


def _with_empty_batches(table: pa.Table) -> pa.RecordBatchReader:
    batches = table.to_batches()
    if batches:  # (an empty slice of one: no type is built anew)
        empty = batches[0].slice(0, 0)
        batches = [empty, *(b for batch in batches for b in (batch, empty))]
    return pa.RecordBatchReader.from_batches(table.schema, batches)


def _combined(table: pa.Table) -> pa.Table:
    """`Table.combine_chunks`, but for a dictionary column holding a null, which pyarrow
    cannot unify: its keys combined (its chunks share one dictionary)."""
    columns = [
        concat(column.chunks) if column.num_chunks else column.combine_chunks()
        for column in table.columns
    ]
    return pa.table(dict(zip(table.column_names, columns, strict=True)))


def _polars(table: pa.Table) -> Any:
    return pl.from_arrow(table)


def _duckdb(table: pa.Table) -> Any:
    hostile = table  # noqa: F841 (read by name by DuckDB's replacement scan)
    return duckdb.sql("SELECT * FROM hostile")


#: Forms of one table; the last two only where that library takes its types.
FORMS = {
    "table": lambda table: table,
    "combined chunks": lambda table: _combined(table),
    "record batch": lambda table: _combined(table).to_batches()[0] if table.num_rows else table,
    "stream with empty batches": _with_empty_batches,
    "polars": _polars,
    "duckdb": _duckdb,
}


def _forms(table: pa.Table) -> list[str]:
    """The forms `table` can take: polars and DuckDB only where they take every column's
    type (not float16, decimal256, extension types, dictionaries of other values than
    text, or the types the core refuses), which is their business, not the core's."""
    forms = list(FORMS)[:4]
    if all(_libraries_take(field.type) for field in table.schema):
        forms.append("duckdb")
        if not any(_fixed_offset(field.type) for field in table.schema):
            forms.append("polars")  # (polars has no fixed-offset zones)
    return forms


def _fixed_offset(kind: pa.DataType) -> bool:
    return bool(pa.types.is_timestamp(kind) and kind.tz and kind.tz[0] in "+-")


def _libraries_take(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return bool(
            pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
        )
    refused = (pa.types.is_run_end_encoded, pa.types.is_nested, pa.types.is_binary)
    odd = (pa.types.is_float16, pa.types.is_decimal256, pa.types.is_large_binary)
    return not isinstance(kind, pa.ExtensionType) and not any(is_(kind) for is_ in refused + odd)


# --------------------------------------------------------------------------- outcomes


def outcome(data: Any, mode: str) -> Any:
    try:
        return comparable(REDUCER.execute_reduction_sync(_request(data, mode)))
    except InvalidRecordError as error:
        return ("raised", str(error), error.index, error.field, error.value, error.reason)


def assert_refused(call: Any, column: str) -> None:
    """`call` raises the core's refusal of `column`'s type, as no InvalidRecordError."""
    with pytest.raises(UsageAnalyticsError, match=f"column '{column}' has Arrow type") as raised:
        call()
    assert not isinstance(raised.value, InvalidRecordError)


# --------------------------------------------------------------------------- properties


@given(columns=hostile_columns(), mode=st.sampled_from(["raise", "skip"]), data=st.data())
def test_a_hostile_layout_equals_its_records_or_is_refused_naming_its_column(
    columns: dict[str, Column], mode: str, data: st.DataObject
) -> None:
    table = data.draw(laid_out(columns))
    form = data.draw(st.sampled_from(_forms(table)), label="form")
    given_data = FORMS[form](table)
    refused = refused_column(columns)
    if refused is not None:
        assert_refused(lambda: outcome(given_data, mode), refused)
        return
    assert_same(outcome(given_data, mode), outcome(the_records(table), mode))


@given(columns=hostile_columns(batch=True), mode=st.sampled_from(["raise", "skip"]), data=st.data())
def test_a_hostile_batch_equals_its_records_or_is_refused_naming_its_column(
    columns: dict[str, Column], mode: str, data: st.DataObject
) -> None:
    table = data.draw(laid_out(columns))
    form = data.draw(st.sampled_from(_forms(table)), label="form")
    actual = batch_outcome(FORMS[form](table), mode, START, END)
    refused = refused_column(columns)
    if refused is not None:
        assert actual[0] == "refused"
        assert f"column '{refused}' has Arrow type" in actual[1]
        return
    assert_same(actual, batch_outcome(the_records(table), mode, START, END))


def _accumulated(parts: list[Any], mode: str) -> Any:
    accumulator = UsageAccumulator(START, END, on_invalid=mode)
    for part in parts:
        try:
            accumulator.update(part)
        except InvalidRecordError as error:  # (nothing of that part added)
            return ("raised", str(error), error.index, error.field, error.value, error.reason)
    return comparable(accumulator.finalize("hostile"))


@given(columns=hostile_columns(), mode=st.sampled_from(["raise", "skip"]), data=st.data())
def test_updates_with_hostile_layouts_equal_updates_with_their_records(
    columns: dict[str, Column], mode: str, data: st.DataObject
) -> None:
    """The table updated in slices of its own (each a hostile layout still) equals the
    same slices' records updated alike; a refused column leaves the state as it was."""
    table = data.draw(laid_out(columns))
    cuts = sorted(data.draw(st.lists(st.integers(0, table.num_rows), max_size=3), label="cuts"))
    bounds = [0, *cuts, table.num_rows]
    parts = [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    refused = refused_column(columns)
    if refused is not None:
        accumulator = UsageAccumulator(START, END, on_invalid=mode)
        before = comparable(accumulator.finalize("hostile"))
        assert_refused(lambda: accumulator.update(table), refused)
        assert_same(comparable(accumulator.finalize("hostile")), before)
        return
    expected = _accumulated([the_records(part) for part in parts], mode)
    assert_same(_accumulated(parts, mode), expected)


# --------------------------------------------------------------------------- named cases

DAY_MS = 86_400_000
PART_OF_A_DAY = "is not a whole day (a date64 holds days as multiples of 86400000 milliseconds)"


@pytest.mark.parametrize("form", ["table", "stream with empty batches"])
def test_a_date64_of_part_of_a_day_is_an_invalid_record_naming_it(form: str) -> None:
    """A date64 holds whole days (the Arrow spec). One that does not was read as the
    instant of its milliseconds, where its `as_py` is the date (floored; pyarrow's display
    and DuckDB truncate it): 12:00 read as noon, and -1 as 1969-12-31T23:59:59.999.
    Libraries disagree on it, so it is an invalid record, not a time guessed."""
    first_day = datetime_to_micros(START) // 1000 + DAY_MS
    days = [first_day, first_day + DAY_MS // 2, None, first_day + 2 * DAY_MS, first_day - 1]
    table = pa.table({"timestamp": pa.array(days, pa.date64()), "execution_time_ms": [1.0] * 5})
    with pytest.raises(InvalidRecordError) as raised:
        REDUCER.execute_reduction_sync(_request(FORMS[form](table), "raise"))
    parts = (raised.value.index, raised.value.field, raised.value.value, raised.value.reason)
    assert parts == (1, "timestamp", f"{first_day + DAY_MS // 2} (Date64)", PART_OF_A_DAY)
    output = REDUCER.execute_reduction_sync(_request(FORMS[form](table), "skip"))
    samples = [(s.index, s.value, s.reason) for s in output.data_quality.error_samples]
    assert samples == [
        (1, f"{first_day + DAY_MS // 2} (Date64)", PART_OF_A_DAY),
        (2, "<missing>", "required field is missing"),
        (4, f"{first_day - 1} (Date64)", PART_OF_A_DAY),
    ]
    # (Else as the same records with those timestamps missing, but for the reasons.)
    records = the_records(table)
    records[1]["timestamp"] = records[4]["timestamp"] = None
    expected = outcome(records, "skip")
    actual = comparable(output)
    for reduced in (actual, expected):
        del reduced["data_quality"]["error_samples"]
    assert_same(actual, expected)


def _request(data: Any, mode: str) -> ModelUsageAnalyticsInput:
    return ModelUsageAnalyticsInput(
        pattern_id="hostile",
        time_window_start=START,
        time_window_end=END,
        execution_data=data,
        on_invalid=mode,
    )
