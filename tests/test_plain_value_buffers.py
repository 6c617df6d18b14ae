"""Lists and numpy arrays of Python objects holding plain values become the Arrow arrays
pyarrow's conversion gave them, built from buffers (`ingest.list_buffers`), pandas not
imported: floats, ints, bools or str alone or with None among them, ints with floats
(floats), None alone (Arrow's null type); NaN a value in a list, missing in an array of
objects (`from_pandas`), as pyarrow reads them. The model is pyarrow's own conversion
(`pa.array`), for the same type, nulls and values; a column it refuses (an int past 2**53
beside floats, past 64 bits) is left to it. (That pandas stays unimported:
test_numpy_columns_without_pandas.py. Where pandas is imported already, a list holding None,
or ints and floats, is left to pyarrow's conversion, faster then:
`test_a_list_of_nones_is_left_to_pyarrow_once_pandas_is_imported`.)"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics.ingest import list_buffers
from usage_analytics.ingest.kinds import _value_types
from usage_analytics.ingest.list_buffers import arrow_of_plain_values


@pytest.fixture(autouse=True)
def _as_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists read as where pandas is not imported (this process has imported it)."""
    monkeypatch.setattr(list_buffers, "_pandas_imported", lambda: False)


#: Values of one kind each, mixed below: a column of one or two kinds and Nones.
KINDS = {
    "float": st.floats(),
    "int": st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**54), 2**54)),
    "bool": st.booleans(),
    "str": st.text(st.characters(blacklist_categories=["Cs"]), max_size=5),
    "big int": st.integers(2**63, 2**64),
}


@st.composite
def columns(draw: st.DrawFn) -> list[Any]:
    names = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=2, unique=True))
    value = st.one_of(*(KINDS[name] for name in names))
    return draw(st.lists(st.one_of(st.none(), value, value), max_size=20))


def _shown(values: list[Any]) -> list[Any]:
    """Values comparable with `==`: NaN as the text "nan"."""
    return ["nan" if isinstance(v, float) and math.isnan(v) else v for v in values]


def _outcome(column: Any, from_pandas: bool) -> tuple[Any, list[Any]] | None:
    try:
        array = pa.array(column, from_pandas=from_pandas)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    return array.type, _shown(array.to_pylist())


@given(values=columns(), as_objects=st.booleans())
def test_a_column_of_plain_values_is_what_pyarrow_gave_it(
    values: list[Any], as_objects: bool
) -> None:
    column: Any = np.array([*values, None], dtype=object)[:-1] if as_objects else values
    ours = arrow_of_plain_values(pa, column, _value_types(column), from_pandas=as_objects)
    theirs = _outcome(column, as_objects)
    if ours is None:  # (left to pyarrow: a kind the module does not read, or its refusal)
        kinds = {type(value) for value in values} - {type(None)}
        readable = kinds in ({float}, {int}, {bool}, {str}, {int, float}, set())
        big = any(type(v) is int and not -(2**63) <= v < 2**63 for v in values)
        past = kinds == {int, float} and any(type(v) is int and abs(v) > 2**53 for v in values)
        assert not readable or big or past
        return
    ours.validate(full=True)
    assert theirs is not None
    assert (ours.type, _shown(ours.to_pylist())) == theirs


@pytest.mark.parametrize(
    ("values", "as_objects", "nulls"),
    [
        ([1.0, float("nan"), None], False, 1),  # (a list's NaN is a value)
        ([1.0, float("nan"), None], True, 2),  # (an object array's is missing)
        ([1, 2.5, None], True, 1),
        ([None, None], False, 2),
        ([], False, 0),
        ([True, None, False], True, 1),
        (["a", None, "é"], False, 1),
    ],
    ids=repr,
)
def test_named_columns(values: list[Any], as_objects: bool, nulls: int) -> None:
    column: Any = np.array([*values, None], dtype=object)[:-1] if as_objects else values
    ours = arrow_of_plain_values(pa, column, _value_types(column), from_pandas=as_objects)
    assert ours is not None
    assert ours.null_count == nulls
    assert (ours.type, _shown(ours.to_pylist())) == _outcome(column, as_objects)


@pytest.mark.parametrize(
    "values",
    [[Decimal("1.5")], [np.float64(1.0)], [True, 1], [2**53 + 1, 0.5], [2**63, None], ["a", 1]],
    ids=repr,
)
def test_other_columns_are_left_to_pyarrow(values: list[Any]) -> None:
    assert arrow_of_plain_values(pa, values, _value_types(values), from_pandas=False) is None


def test_a_list_of_nones_is_left_to_pyarrow_once_pandas_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(list_buffers, "_pandas_imported", lambda: True)
    for values in ([1.0, None], [1, 2.5], ["a", None]):
        assert arrow_of_plain_values(pa, values, _value_types(values), from_pandas=False) is None
    objects = np.array([1.0, None], dtype=object)  # (an array of objects: read here)
    assert arrow_of_plain_values(pa, objects, _value_types(objects), from_pandas=True) is not None
