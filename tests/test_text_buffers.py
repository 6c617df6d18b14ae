"""Text and bytes arrays, and lists of numbers, become the Arrow arrays pyarrow's
conversion gave them, built from buffers (`text_buffers`, `list_buffers`), pandas not
imported: a numpy `U` array (plain or masked) is Arrow text of numpy's values (trailing
NULs its padding, a NUL within a row kept, where pyarrow cut the row there: otherwise
what `pa.array(column, from_pandas=True)` gives), an `S` array Arrow binary cut at the
first NUL as pyarrow cuts it, a list of str what `pa.array(list, pa.string())` gives, a
list of floats, ints or bools what `pa.array(list)` gives (NaN a value, as there; more
kinds in test_plain_value_buffers.py)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from usage_analytics.ingest import text_buffers
from usage_analytics.ingest.list_buffers import arrow_of_number_list
from usage_analytics.ingest.text_buffers import arrow_of_fixed_text, arrow_of_str
from usage_analytics.object_text import object_text_as_dictionary

#: Text of any Unicode scalar values (NUL, non-BMP among them), no surrogates.
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=8)


def _built(column: Any) -> Any:
    """`arrow_of_fixed_text(pa, column)`, which must have built it."""
    array = arrow_of_fixed_text(pa, column)
    assert array is not None
    return array


def _whole(array: Any) -> Any:
    """`array` as one Array (a ChunkedArray's chunks combined)."""
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _numpy_values(column: Any) -> list[Any]:
    """The pure-Python model: numpy's value of each row (`tolist()`), None where masked."""
    values = np.ma.getdata(column).tolist()
    hidden = np.ma.getmaskarray(column).tolist()
    return [None if out else value for value, out in zip(values, hidden, strict=True)]


def _masked(data: st.DataObject, values: Any) -> Any:
    mask = data.draw(st.one_of(st.none(), st.just(np.ma.nomask), hnp.arrays(bool, len(values))))
    return values if mask is None else np.ma.masked_array(values, mask=mask)


@given(data=st.data(), slice_bytes=st.sampled_from([1 << 26, 64, 7]))
def test_a_text_array_is_numpys_text(data: st.DataObject, slice_bytes: int) -> None:
    strings = data.draw(st.lists(TEXT, max_size=30))
    width = data.draw(st.integers(0, 3))  # (wider than its longest text: padded)
    dtype = f"<U{max([len(s) for s in strings] + [0]) + width}"
    column = _masked(data, np.array(strings, dtype=dtype))
    with mock.patch.object(text_buffers, "_SLICE_BYTES", slice_bytes):
        ours = arrow_of_fixed_text(pa, column)
    assert ours is not None
    ours = _whole(ours)
    ours.validate(full=True)
    assert ours.type == pa.string()
    assert ours.to_pylist() == _numpy_values(column)
    if not any("\0" in value for value in np.ma.getdata(column).tolist()):
        assert ours.equals(pa.array(column, from_pandas=True))


@given(data=st.data(), slice_bytes=st.sampled_from([1 << 26, 5]))
def test_a_bytes_array_is_what_pyarrow_gave_it(data: st.DataObject, slice_bytes: int) -> None:
    values = data.draw(st.lists(st.binary(max_size=6), max_size=30))
    column = _masked(data, np.array(values, dtype=f"S{data.draw(st.integers(1, 8))}"))
    with mock.patch.object(text_buffers, "_SLICE_BYTES", slice_bytes):
        ours = arrow_of_fixed_text(pa, column)
    assert ours is not None
    ours = _whole(ours)
    ours.validate(full=True)
    assert ours.equals(pa.array(column, from_pandas=True))


@pytest.mark.parametrize("other", ["ascii", "é", "\U0001f600"])
def test_nuls_within_a_row_are_kept_and_trailing_ones_are_padding(other: str) -> None:
    column = np.array(["a\0b", "a\0", "\0", "", f"{other}\0\0z", other])
    assert _built(column).to_pylist() == ["a\0b", "a", "", "", f"{other}\0\0z", other]


def test_bytes_are_cut_at_their_first_nul_as_pyarrow_cuts_them() -> None:
    column = np.array([b"a\0b", b"ab", b"\0c", b""])
    assert _built(column).to_pylist() == [b"a", b"ab", b"", b""]


@pytest.mark.parametrize("point", [0xD800, 0xDFFF, 0x110000], ids=hex)
def test_a_code_point_that_is_no_scalar_value_is_refused(point: int) -> None:
    column = np.array([0x61, point], dtype=np.uint32).view("<U2")
    with pytest.raises(UnicodeDecodeError):
        arrow_of_fixed_text(pa, column)


def test_strided_and_empty_text_arrays() -> None:
    column = np.array(["ab", "c", "dé", "f"])[::2]
    assert _built(column).to_pylist() == ["ab", "dé"]
    assert _built(np.array([], dtype="U3")).to_pylist() == []
    assert _built(np.array([], dtype="S")).type == pa.binary()


@pytest.mark.parametrize(
    "column", [np.array(["a"], dtype=">U1"), np.array([1.0]), np.array([["a"]]), ["a"]], ids=repr
)
def test_other_columns_are_left_to_pyarrow(column: Any) -> None:
    assert arrow_of_fixed_text(pa, column) is None


@given(st.lists(TEXT, max_size=30))
def test_a_list_of_str_is_what_pyarrow_gave_it(strings: list[str]) -> None:
    ours = arrow_of_str(pa, strings)
    ours.validate(full=True)
    assert ours.equals(pa.array(strings, pa.string()))


NUMBER_LISTS = st.one_of(
    st.lists(st.floats(), max_size=30),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30),
    st.lists(st.booleans(), max_size=30),
)


@given(NUMBER_LISTS)
def test_a_list_of_numbers_of_one_type_is_what_pyarrow_gave_it(values: list[Any]) -> None:
    ours = arrow_of_number_list(pa, values, {type(value) for value in values})
    theirs = pa.array(values)
    assert ours is not None
    if not values:  # (no type: pyarrow's null array)
        assert ours.type == theirs.type == pa.null()
        return
    ours.validate(full=True)
    assert ours.type == theirs.type
    assert ours.null_count == theirs.null_count == 0
    if pa.types.is_floating(ours.type):  # (bits: NaN and -0.0 as given)
        assert np.array(ours.buffers()[1]).tobytes() == np.array(values, float).tobytes()
    else:
        assert ours.to_pylist() == theirs.to_pylist()


@pytest.mark.parametrize(
    "values",
    [[2**63], [-(2**63) - 1], [np.float64(1.0)], [True, 1], [2**53 + 1, 0.5], ["a", 1]],
    ids=repr,
)
def test_other_lists_are_left_to_pyarrow(values: list[Any]) -> None:
    assert arrow_of_number_list(pa, values, {type(value) for value in values}) is None


@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "é", "\U0001f600"])), max_size=40))
def test_a_text_fields_list_is_coded_as_its_values(values: list[str | None]) -> None:
    coded = object_text_as_dictionary(pa, "agent", values)
    if all(value is None for value in values):
        assert coded is None  # (no text: pyarrow's null type, as it was)
        return
    assert coded is not None
    coded.validate(full=True)
    assert coded.to_pylist() == pa.array(values, pa.string()).to_pylist()


def test_a_lists_nan_is_no_missing_text_and_is_left_to_pyarrow() -> None:
    # (pyarrow reads a list as it is: NaN is a float beside text, which the list's
    # records judge; an object array's NaN is pandas' marker, missing.)
    assert object_text_as_dictionary(pa, "agent", ["a", float("nan")]) is None
    assert object_text_as_dictionary(pa, "agent", ("a", None)) is not None
    assert object_text_as_dictionary(pa, "success", ["a", "b"]) is None  # (no text field)
