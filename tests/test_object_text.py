"""Text columns of Python objects (pandas' form for text before version 3; numpy arrays of
objects in a dict of columns) coded by the core before they are exported to Arrow
(`object_text`): the same analytics as the list of dicts holding the same values, whether
a column is coded or left to pyarrow's conversion (a column of other values, too many
distinct strings, a str that is not UTF-8), and the codes themselves against their
definition.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Any

import equivalence
import numpy as np
import pandas as pd
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
)
from usage_analytics._core import object_text_codes
from usage_analytics.object_text import TEXT_COLUMNS, object_text_as_categories

REDUCER = NodeUsageAnalyticsReducer()
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
FIELDS = ("context_type", "agent", "project", "file_path")


class Team(enum.StrEnum):
    """A str subclass whose text is its value (not its name)."""

    PLATFORM = "platform-team"
    SEARCH = "search"


class Shouting(str):
    """A str subclass whose `str()` differs from its text: the text is what counts."""

    def __str__(self) -> str:
        return self.upper()


#: Texts of one column: the shared pools, a long path (past the core's 32-byte packing),
#: a NUL, str subclasses, and the missing markers pyarrow reads as null.
TEXTS = st.one_of(
    st.sampled_from(CATEGORIES + FILE_PATHS[:4]),
    st.sampled_from(["a\x00", "src/" + "deep/" * 9 + "file.py", Team.PLATFORM, Shouting("b")]),
    st.sampled_from([None, float("nan"), np.float64("nan")]),
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def frame_and_records(
    columns: dict[str, list[Any]], times: list[datetime]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """A frame of object columns, and its records with None for each missing marker (as
    a record holds a missing text: a NaN there is no text, an invalid value)."""
    frame = pd.DataFrame(
        {"timestamp": pd.Series(times, dtype="datetime64[us, UTC]")}
        | {name: pd.Series(values, dtype=object) for name, values in columns.items()}
    )
    records = [
        {"timestamp": time}
        | {name: None if _missing(values[i]) else values[i] for name, values in columns.items()}
        for i, time in enumerate(times)
    ]
    return frame, records


def outcome(data: Any) -> Any:
    contract = ModelUsageAnalyticsInput(
        pattern_id="objects", time_window_start=START, time_window_end=END, execution_data=data
    )
    try:
        return comparable(REDUCER.execute_reduction_sync(contract))
    except InvalidRecordError as error:
        return ("raised", error.index, error.field, error.value, error.reason)


def batch_outcome(data: Any, on_invalid: str = "raise") -> Any:
    return equivalence.batch_outcome(data, on_invalid, START, END)


@st.composite
def object_columns(draw: st.DrawFn) -> tuple[dict[str, list[Any]], list[datetime]]:
    rows = draw(st.integers(0, 30))
    hours = draw(st.lists(st.integers(0, 7 * 24 - 1), min_size=rows, max_size=rows))
    names = draw(st.sets(st.sampled_from(FIELDS), min_size=1))
    columns = {name: draw(st.lists(TEXTS, min_size=rows, max_size=rows)) for name in sorted(names)}
    return columns, [START + timedelta(hours=hour) for hour in hours]


@given(drawn=object_columns())
def test_object_text_columns_equal_the_list_of_dicts(
    drawn: tuple[dict[str, list[Any]], list[datetime]],
) -> None:
    frame, records = frame_and_records(*drawn)
    expected = outcome(records)
    assert_same(outcome(frame), expected)
    # (In a dict of columns, as Arrow dictionary arrays: numpy arrays and pandas Series.)
    assert_same(outcome({name: frame[name].to_numpy() for name in frame.columns}), expected)
    assert_same(outcome(dict(frame.items())), expected)


@given(drawn=object_columns(), ids=st.lists(st.sampled_from(["p-1", "p-2", Team.SEARCH, ""])))
def test_object_text_pattern_ids_equal_the_list_of_dicts(
    drawn: tuple[dict[str, list[Any]], list[datetime]], ids: list[Any]
) -> None:
    columns, times = drawn
    columns["pattern_id"] = [ids[i % len(ids)] if ids else "p-1" for i in range(len(times))]
    frame, records = frame_and_records(columns, times)
    for on_invalid in ("raise", "skip"):  # (a blank id is an invalid record)
        assert_same(batch_outcome(frame, on_invalid), batch_outcome(records, on_invalid))


def test_a_frames_object_text_columns_are_coded_and_others_left_as_they_are() -> None:
    frame = pd.DataFrame(
        {
            "agent": pd.Series(["a", None, "b", "a", float("nan")], dtype=object),
            "project": pd.Series(["x", 1, "y", "x", "x"], dtype=object),  # (not all text)
            "context_type": pd.Series(["c", "d", "c", "c", "d"], dtype="string"),
            "file_path": pd.Series(["a.py"] * 5, dtype=object),  # (not wanted below)
            "note": pd.Series(["n"] * 5, dtype=object),  # (no record field)
        }
    )
    wanted = frozenset({"agent", "project", "context_type", "note"})
    coded = object_text_as_categories(frame, wanted)
    assert isinstance(coded["agent"].dtype, pd.CategoricalDtype)
    assert coded["agent"].tolist()[:4] == ["a", np.nan, "b", "a"]
    assert coded["agent"].isna().tolist() == [False, True, False, False, True]
    for unchanged in ("project", "context_type", "file_path", "note"):
        assert coded[unchanged].dtype == frame[unchanged].dtype, unchanged
    assert "note" not in TEXT_COLUMNS


def test_a_column_of_more_distinct_texts_than_a_sixteenth_of_its_rows_is_not_coded() -> None:
    rows = 3_000  # (past the 1,024 coded whatever the length, and past 3,000 / 16)
    paths = [f"src/module_{i}.py" for i in range(rows)]
    frame, records = frame_and_records(
        {"file_path": paths, "agent": ["a", "b"] * (rows // 2)},
        [START + timedelta(minutes=i) for i in range(rows)],
    )
    coded = object_text_as_categories(frame, frozenset({"file_path", "agent"}))
    assert coded["file_path"].dtype == object
    assert isinstance(coded["agent"].dtype, pd.CategoricalDtype)
    assert_same(outcome(frame), outcome(records))


def test_texts_with_a_lone_surrogate_are_left_to_the_records_path() -> None:
    agents = ["a", "bad\ud800", "a"]
    frame, records = frame_and_records({"agent": agents}, [START, START, START])
    assert object_text_codes(frame["agent"].to_numpy(), 100) is None
    assert_same(outcome(frame), outcome(records))


def test_a_number_among_texts_is_its_records_error_as_in_a_list() -> None:
    frame, records = frame_and_records({"agent": ["a", 5, "b"]}, [START] * 3)
    expected = outcome(records)
    assert expected[:3] == ("raised", 1, "agent")
    assert outcome(frame) == expected


# --------------------------------------------------------------------------- the codes


def codes_of(values: Any, max_distinct: int = 100) -> tuple[list[int], list[str]] | None:
    found = object_text_codes(values, max_distinct)
    if found is None:
        return None
    codes, distinct = found
    return np.frombuffer(codes, dtype=np.int32).tolist(), distinct


def reference_codes(values: list[Any]) -> tuple[list[int], list[str]]:
    """Each text's index among the distinct texts in first-seen order; -1 missing."""
    distinct: dict[str, int] = {}
    codes = []
    for value in values:
        if _missing(value):
            codes.append(-1)
        else:
            codes.append(distinct.setdefault(str.__str__(value), len(distinct)))
    return codes, list(distinct)


@given(values=st.lists(TEXTS, max_size=60), step=st.sampled_from([1, 2, -1, -3]))
def test_codes_are_first_seen_indexes_of_texts_in_any_view(values: list[Any], step: int) -> None:
    array = np.array(values, dtype=object)[::step]  # (a view with a stride)
    codes, distinct = reference_codes(list(array))
    found = codes_of(array)
    assert found == (codes, distinct)
    assert found is None or all(type(text) is str for text in found[1])


def test_codes_of_many_objects_of_one_text_and_past_the_recent_slots() -> None:
    # Equal texts in distinct objects are one code; 20,000 objects pass through the cache
    # of recent objects, its 4,096 slots, nearly five times.
    texts = [f"name-{i % 5_000}" for i in range(20_000)]
    fresh = np.array(["".join(["name-", str(i % 5_000)]) for i in range(20_000)], dtype=object)
    assert codes_of(fresh, 5_000) == reference_codes(texts)
    assert codes_of(fresh, 4_999) is None  # (one distinct text too many)


@pytest.mark.parametrize(
    "values",
    [["a", 1], ["a", 1.5], ["a", pd.NA], ["a", b"bytes"], ["a", pd.NaT], ["a", np.str_("x")]],
)
def test_a_value_that_is_no_text_or_none_or_nan_gives_no_codes(values: list[Any]) -> None:
    expected = reference_codes(values) if isinstance(values[1], str) else None
    assert codes_of(np.array(values, dtype=object)) == expected


@pytest.mark.parametrize(
    "values",
    [np.array(["a", "b"]), np.zeros(3), np.array([["a"], ["b"]], dtype=object), b"ab", "ab"],
)
def test_codes_of_anything_but_a_1d_array_of_objects_are_a_type_error(values: Any) -> None:
    with pytest.raises(TypeError):
        object_text_codes(values, 100)


def test_other_threads_run_while_a_long_column_is_coded() -> None:
    # 3M new str objects take tens of ms to code; a thread spinning meanwhile gets the GIL
    # only where the call lets go of it.
    column = np.array(["".join(("agent-", str(i % 50))) for i in range(3_000_000)], dtype=object)
    found = run_while_other_threads_tick(lambda: object_text_codes(column, 100))
    assert found is not None
    assert found[1] == [f"agent-{i}" for i in range(50)]


def test_a_masked_array_of_objects_keeps_its_mask() -> None:
    agents = np.ma.masked_array(np.array(["a", "b", "c"], dtype=object), mask=[False, True, False])
    data = {"timestamp": [START] * 3, "agent": agents}
    records = [{"timestamp": START, "agent": agent} for agent in ("a", None, "c")]
    assert_same(outcome(data), outcome(records))


def test_a_frames_pattern_ids_all_missing_are_invalid_records_as_in_a_list() -> None:
    # (No text to code: a Categorical without categories exported as dictionary<null>.)
    frame, records = frame_and_records({"pattern_id": [None, float("nan")]}, [START, START])
    for on_invalid in ("raise", "skip"):
        assert_same(batch_outcome(frame, on_invalid), batch_outcome(records, on_invalid))


@pytest.mark.parametrize(
    "change",
    [
        "column.resize(10, refcheck=False)",  # (frees the buffer whatever views are open)
        "column.__setstate__(np.array([None] * 5, dtype=object).__reduce__()[2])",
    ],
)
def test_an_array_changed_by_another_thread_while_the_gil_is_let_go_is_no_crash(
    change: str,
) -> None:
    # The coding lets go of the GIL every 10 ms; a thread that frees the array's buffer
    # meanwhile left it reading freed memory (a segmentation fault). It now takes the
    # array's buffer again, and gives no codes where it changed.
    assert_changed_column_is_no_crash(
        'np.array(["".join(("agent-", str(i % 50))) for i in range(3_000_000)], dtype=object)',
        change,
        "object_text_codes",
    )
