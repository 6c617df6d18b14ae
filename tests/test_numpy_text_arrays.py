"""numpy text arrays (dtype `<U`, what `np.array(list_of_str)` gives) of a dict of columns,
coded by the core from their rows' bytes (`_core.fixed_text_codes`, `object_text`): the
same analytics and errors as the list of dicts of numpy's values (`tolist()`), whether an
array is coded or left to pyarrow's conversion (too many distinct strings, a lone
surrogate), and the codes themselves against their definition.

numpy pads a row with NULs and strips them when read back: "a\\0" cannot be held ("a"),
while "a\\0b" is, and is its own id (pyarrow's conversion cut it to "a").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import equivalence
import numpy as np
import pytest
from equivalence import assert_same, comparable
from hypothesis import given
from hypothesis import strategies as st
from other_threads import assert_changed_column_is_no_crash, run_while_other_threads_tick
from strategies import CATEGORIES, FILE_PATHS
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAnalyticsError,
)
from usage_analytics._core import fixed_text_codes

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
FIELDS = ("context_type", "agent", "project", "file_path")

#: Texts of one array: the shared pools, blank ones, text beyond the BMP, NULs within and
#: at the end (padding to numpy), and a long path.
TEXTS = st.one_of(
    st.sampled_from(CATEGORIES + FILE_PATHS[:4]),
    st.sampled_from(["", " ", "\t", "\U0001f600", "x\U00010348y", "a\x00b", "a\x00", "\x00z"]),
    st.sampled_from(["src/" + "deep/" * 9 + "file.py", "p-1", "p-2"]),
)


def outcome(data: Any) -> Any:
    contract = ModelUsageAnalyticsInput(
        pattern_id="texts", time_window_start=START, time_window_end=END, execution_data=data
    )
    try:
        return comparable(REDUCER.execute_reduction_sync(contract))
    except InvalidRecordError as error:
        return ("raised", error.index, error.field, error.value, error.reason)
    except UsageAnalyticsError as error:
        return ("refused", str(error))


def batch_outcome(data: Any, on_invalid: str = "raise") -> Any:
    return equivalence.batch_outcome(data, on_invalid, START, END)


def times_of(hours: list[int]) -> Any:
    naive = START.replace(tzinfo=None)
    return np.array([naive + timedelta(hours=hour) for hour in hours], dtype="datetime64[us]")


def records_of(columns: dict[str, Any], hours: list[int]) -> list[dict[str, Any]]:
    """The records of a dict of numpy text arrays: numpy's values (`tolist()`, trailing
    NULs stripped as numpy strips them)."""
    values = {name: array.tolist() for name, array in columns.items()}
    return [
        {"timestamp": START + timedelta(hours=hour)} | {n: v[i] for n, v in values.items()}
        for i, hour in enumerate(hours)
    ]


@st.composite
def text_arrays(draw: st.DrawFn) -> tuple[dict[str, Any], list[int]]:
    rows = draw(st.integers(1, 30))
    hours = draw(st.lists(st.integers(0, 7 * 24 - 1), min_size=rows, max_size=rows))
    names = draw(st.sets(st.sampled_from(FIELDS), min_size=1))
    columns = {
        name: np.array(draw(st.lists(TEXTS, min_size=rows, max_size=rows)))
        for name in sorted(names)
    }
    return columns, hours


@given(drawn=text_arrays())
def test_numpy_text_arrays_equal_the_list_of_dicts_of_their_values(
    drawn: tuple[dict[str, Any], list[int]],
) -> None:
    columns, hours = drawn
    expected = outcome(records_of(columns, hours))
    assert_same(outcome({"timestamp": times_of(hours)} | columns), expected)
    # (The same values as numpy arrays of str objects: the object arrays' coding.)
    objects = {name: array.astype(object) for name, array in columns.items()}
    assert_same(outcome({"timestamp": times_of(hours)} | objects), expected)


@given(drawn=text_arrays(), ids=st.lists(TEXTS, min_size=1, max_size=5))
def test_numpy_text_pattern_ids_equal_the_list_of_dicts_of_their_values(
    drawn: tuple[dict[str, Any], list[int]], ids: list[str]
) -> None:
    columns, hours = drawn
    columns["pattern_id"] = np.array([ids[i % len(ids)] for i in range(len(hours))])
    records = records_of(columns, hours)
    data = {"timestamp": times_of(hours)} | columns
    for on_invalid in ("raise", "skip"):  # (a blank id is an invalid record)
        assert_same(batch_outcome(data, on_invalid), batch_outcome(records, on_invalid))


@pytest.mark.parametrize("prefixes", [3, 1_500], ids=["coded", "past_the_limit"])
def test_ids_with_a_nul_within_are_their_own_as_in_a_list(prefixes: int) -> None:
    # pyarrow's conversion cut "p0\0a" and "p0\0b" to "p0": one pattern of both rows' runs.
    # Coded, or converted past the distinct strings coded (`arrow_of_numpy_text`), each
    # is its own pattern, as a list of the same str gives.
    ids = np.array([f"p{i}\x00{end}" for i in range(prefixes) for end in "ab"])
    hours = [i % 100 for i in range(len(ids))]
    data = {"timestamp": times_of(hours), "pattern_id": ids}
    expected = batch_outcome(records_of({"pattern_id": ids}, hours))
    assert len(expected[1]) == 2 * prefixes  # (the results, one per pattern)
    assert_same(batch_outcome(data), expected)


def test_an_agent_with_a_nul_within_is_its_own_past_the_limit() -> None:
    agents = np.array([f"agent-{i}\x00{'ab'[i % 2]}" for i in range(2_000)])
    hours = [i % 100 for i in range(len(agents))]
    data = {"timestamp": times_of(hours), "agent": agents}
    got = outcome(data)
    assert_same(got, outcome(records_of({"agent": agents}, hours)))


@pytest.mark.parametrize("field", ["agent", "file_path"])
def test_a_lone_surrogate_reads_as_in_an_array_of_the_same_str(field: str) -> None:
    # (Not coded: left to pyarrow's conversion, which refused it, and the checks after:
    # an agent's refused naming its row; a file path's extension read.)
    texts = np.array(["a.py", "b\ud800.rs", "a.py"])
    data = {"timestamp": times_of([1, 2, 3]), field: texts}
    got = outcome(data)
    assert got == outcome(data | {field: texts.astype(object)})
    if field == "agent":
        assert got[0] == "refused", got
        assert "row 1" in got[1], got


def test_a_text_array_of_the_other_byte_order_reads_as_the_native_one() -> None:
    agents = np.array(["a", "b\x00c", "a"])
    data = {"timestamp": times_of([1, 2, 3]), "agent": agents}
    assert_same(outcome(data | {"agent": agents.astype(">U3")}), outcome(data))


# --------------------------------------------------------------------------- the codes


def codes_of(values: Any, max_distinct: int = 100) -> tuple[list[int], list[str]] | None:
    found = fixed_text_codes(values, max_distinct)
    if found is None:
        return None
    codes, distinct = found
    return np.frombuffer(codes, dtype=np.int32).tolist(), distinct


def reference_codes(values: list[str]) -> tuple[list[int], list[str]]:
    """Each text's index among the distinct texts in first-seen order."""
    distinct: dict[str, int] = {}
    return [distinct.setdefault(value, len(distinct)) for value in values], list(distinct)


@given(values=st.lists(TEXTS, max_size=60), step=st.sampled_from([1, 2, -1, -3]))
def test_codes_are_first_seen_indexes_of_numpys_values_in_any_view(
    values: list[str], step: int
) -> None:
    array = np.array(values, dtype=str)[::step]  # (a view with a stride)
    assert codes_of(array) == reference_codes(array.tolist())


def test_codes_of_too_many_distinct_texts_or_a_code_point_of_no_text_are_none() -> None:
    texts = np.array([f"name-{i}" for i in range(101)])
    assert codes_of(texts[:100]) == reference_codes(texts[:100].tolist())
    assert codes_of(texts) is None  # (one distinct text too many)
    assert codes_of(np.array(["a", "\ud800"])) is None
    past = np.frombuffer(np.array([0x61, 0x110000], dtype=np.uint32).tobytes(), dtype="=U1")
    assert codes_of(past) is None


@pytest.mark.parametrize(
    "values",
    [
        np.array(["a", "b"], dtype=object),
        np.array(["ab"]).astype(">U2" if np.little_endian else "<U2"),
        np.array([b"ab"]),
        np.zeros(3),
        np.array([["a"], ["b"]]),
        "ab",
    ],
)
def test_codes_of_anything_but_a_1d_native_text_array_are_a_type_error(values: Any) -> None:
    with pytest.raises(TypeError):
        fixed_text_codes(values, 100)


def test_other_threads_run_while_a_long_text_array_is_coded() -> None:
    column = np.array([f"agent-{i % 50}" for i in range(50)])[np.arange(8_000_000) % 50]
    found = run_while_other_threads_tick(lambda: fixed_text_codes(column, 100))
    assert found is not None
    assert found[1] == [f"agent-{i}" for i in range(50)]


def test_a_text_array_freed_by_another_thread_while_the_gil_is_let_go_is_no_crash() -> None:
    # The coding lets go of the GIL every 10 ms, and takes the array's buffer again after:
    # a resize that frees it meanwhile gives no codes, never a read of freed memory.
    assert_changed_column_is_no_crash(
        'np.array([f"agent-{i % 50}" for i in range(50)])[np.arange(8_000_000) % 50]',
        "column.resize(10, refcheck=False)",
        "fixed_text_codes",
    )


@pytest.mark.parametrize("field", ["agent", "file_path"])
def test_a_code_point_past_unicode_is_refused_naming_its_row(field: str) -> None:
    # (Only bytes made by hand hold one. It was named a lone surrogate, or, where numpy's
    # own `tolist()` of the array failed, a SystemError was passed on.)
    units = np.array([0x61, 0, 0x62, 0x110000], dtype=np.uint32)
    texts = np.frombuffer(units.tobytes(), dtype="=U2")
    got = outcome({"timestamp": times_of([1, 2]), field: texts})
    assert got[0] == "refused", got
    assert "row 1" in got[1], got
    assert "0x110000" in got[1], got
