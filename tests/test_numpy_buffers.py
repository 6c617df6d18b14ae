"""A plain numpy array of a dict of columns becomes the Arrow array that
`pa.array(column, from_pandas=True)` gave it, built from its buffers (`numpy_buffers`):
the same type, the same nulls (NaN in floats, NaT in times and durations, nothing else),
the same bytes in every valid slot (-0.0, infinities and NaN payloads kept; days past 32
bits wrapped as pyarrow wraps them), whatever the array's layout; a masked array's nulls
its masked rows (its NaN a value then, but under numpy's `nomask`). Arrays it does not
build (byte-swapped, longdouble, units Arrow lacks) are left to pyarrow. `numbers_of`
reads an Arrow array's numbers back as they are."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from usage_analytics.ingest.numpy_buffers import arrow_of_plain_numpy, numbers_of

INT64_MIN = -(2**63)  # (NaT in a datetime64 or timedelta64 array)

DTYPES = [
    "bool",
    *("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
    "float16",
    "float32",
    "float64",
    *(f"datetime64[{unit}]" for unit in ("D", "s", "ms", "us", "ns")),
    *(f"timedelta64[{unit}]" for unit in ("s", "ms", "us", "ns")),
]
LAYOUTS = ["contiguous", "strided", "reversed", "unaligned", "read-only", "memmap-like"]


def _bits_of(dtype: np.dtype[Any]) -> st.SearchStrategy[Any]:
    """Values of `dtype` from their bit patterns (any NaN payload, NaT, every int) or
    from the values most worth trying (NaN, +-inf, -0.0, NaT, the least and greatest)."""
    width = dtype.itemsize
    raw = np.dtype(f"u{width}") if dtype.kind != "b" else np.dtype("u1")
    patterns = hnp.arrays(raw, st.integers(0, 40), elements=hnp.from_dtype(raw))
    if dtype.kind == "f":
        special = [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5]
        chosen = st.lists(st.sampled_from(special), max_size=40)
        return st.one_of(
            patterns.map(lambda bits: bits.view(dtype)),
            chosen.map(lambda values: np.array(values, dtype=dtype)),
        )
    if dtype.kind in "mM":
        special_ints = [INT64_MIN, 2**63 - 1, -1, 0, 2**31, -(2**31) - 1, 86_400]
        chosen = st.lists(st.sampled_from(special_ints), max_size=40)
        return st.one_of(
            patterns.map(lambda bits: bits.view(dtype)),
            chosen.map(lambda values: np.array(values, dtype=np.int64).view(dtype)),
        )
    return patterns.map(lambda bits: bits.view(dtype))  # (bools: any byte, as numpy allows)


def _laid_out(values: Any, layout: str) -> Any:
    """`values` (a contiguous array) in another layout, the same values."""
    if layout == "strided":
        doubled = np.repeat(values, 2)
        return doubled[::2]
    if layout == "reversed":
        return values[::-1].copy()[::-1]
    if layout == "unaligned":
        room = np.zeros(values.nbytes + 1, dtype=np.uint8)[1:]
        unaligned = room.view(values.dtype)
        unaligned[...] = values
        return unaligned
    if layout == "read-only":
        values = values.copy()
        values.flags.writeable = False
        return values
    if layout == "memmap-like":  # (an ndarray subclass, as np.memmap is)
        return values.view(_Subclass)
    return values


class _Subclass(np.ndarray):
    pass


def _assert_same(ours: Any, theirs: Any) -> None:
    ours.validate(full=True)
    assert ours.type == theirs.type
    assert len(ours) == len(theirs)
    assert ours.null_count == theirs.null_count
    assert ours.is_null().to_pylist() == theirs.is_null().to_pylist()
    if not pa.types.is_floating(ours.type):  # (a NaN value, masked arrays': unequal to itself)
        assert ours.equals(theirs)
    if pa.types.is_boolean(ours.type):
        assert ours.to_pylist() == theirs.to_pylist()
        return
    # Bytes of each valid slot: `equals` holds -0.0 equal to 0.0.
    width = ours.type.bit_width // 8
    valid = ~np.array(ours.is_null().to_pylist(), dtype=bool)

    def slots(array: Any) -> Any:
        data = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        return data[array.offset * width : (array.offset + len(array)) * width].reshape(-1, width)

    assert np.array_equal(slots(ours)[valid], slots(theirs)[valid])


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_a_plain_array_becomes_what_pyarrow_gave_it(dtype: str, data: st.DataObject) -> None:
    values = data.draw(_bits_of(np.dtype(dtype)))
    column = _laid_out(values, data.draw(st.sampled_from(LAYOUTS)))
    ours = arrow_of_plain_numpy(pa, column)
    assert ours is not None
    _assert_same(ours, pa.array(column, from_pandas=True))


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_a_masked_array_becomes_what_pyarrow_gave_it(dtype: str, data: st.DataObject) -> None:
    values = _laid_out(data.draw(_bits_of(np.dtype(dtype))), data.draw(st.sampled_from(LAYOUTS)))
    masks = st.one_of(st.just(np.ma.nomask), hnp.arrays(bool, len(values)))
    column = np.ma.masked_array(values, mask=data.draw(masks))
    ours = arrow_of_plain_numpy(pa, column)
    assert ours is not None
    _assert_same(ours, pa.array(column, from_pandas=True))


def test_a_masked_arrays_nan_is_a_value_unless_it_has_no_mask() -> None:
    masked = np.ma.masked_array([np.nan, 1.0, 2.0], mask=[False, True, False])
    unmasked = np.ma.masked_array([np.nan, 1.0], mask=np.ma.nomask)
    masked_nat = np.ma.masked_array(np.array(["NaT", "2024-01-01"], "M8[s]"), mask=[False, True])
    for column, nulls in [(masked, [0, 1, 0]), (unmasked, [1, 0]), (masked_nat, [0, 1])]:
        array = arrow_of_plain_numpy(pa, column)
        assert array is not None
        assert array.is_null().to_pylist() == [bool(null) for null in nulls]


NUMBER_TYPES = [
    pa.int8(),
    pa.int32(),
    pa.int64(),
    pa.uint16(),
    pa.uint64(),
    pa.float32(),
    pa.float64(),
]


@pytest.mark.parametrize("kind", NUMBER_TYPES, ids=str)
@given(data=st.data())
def test_numbers_are_read_back_as_they_are(kind: Any, data: st.DataObject) -> None:
    dtype = np.dtype(kind.to_pandas_dtype())
    parts = data.draw(st.lists(hnp.arrays(dtype, st.integers(0, 20)), min_size=1, max_size=3))
    chunks = []
    for part in parts:
        nulls = data.draw(hnp.arrays(bool, len(part)))
        chunk = pa.array(part, mask=nulls, type=kind)
        cut = data.draw(st.integers(0, len(chunk)))
        chunks.append(chunk.slice(cut))  # (an offset into its buffers)
    array = chunks[0] if len(chunks) == 1 else pa.chunked_array(chunks, kind)
    values, nulls = numbers_of(pa, array)
    assert nulls.tolist() == array.is_null().to_pylist()
    expected = np.array([value for value in array.to_pylist() if value is not None], dtype)
    assert values.dtype == dtype
    np.testing.assert_array_equal(values[~nulls], expected)  # (NaN equal to NaN here)


def test_nan_and_nat_are_nulls_and_nothing_else_is() -> None:
    floats = arrow_of_plain_numpy(pa, np.array([1.0, np.nan, -0.0, np.inf]))
    times = arrow_of_plain_numpy(pa, np.array(["2024-01-01", "NaT"], dtype="datetime64[us]"))
    ints = arrow_of_plain_numpy(pa, np.array([INT64_MIN, 0], dtype=np.int64))
    assert floats is not None
    assert times is not None
    assert ints is not None
    assert floats.is_null().to_pylist() == [False, True, False, False]
    assert times.is_null().to_pylist() == [False, True]
    assert ints.null_count == 0


def test_a_contiguous_array_is_not_copied() -> None:
    for column in (np.arange(5.0), np.arange(5), np.arange(5).astype("datetime64[ms]")):
        array = arrow_of_plain_numpy(pa, column)
        assert array is not None
        assert array.buffers()[1].address == column.ctypes.data


@pytest.mark.parametrize(
    "column",
    [
        np.array([1.0, 2.0], dtype=">f8"),
        np.array([1.0, np.nan], dtype=np.longdouble),
        np.array([1, 2], dtype="datetime64[m]"),
        np.array([1, 2], dtype="datetime64[10ms]"),
        np.array([1, 2], dtype="timedelta64[D]"),
        np.array(["a", "b"]),
        np.array([1, "a"], dtype=object),
        np.array([1 + 2j]),
        np.zeros((2, 2)),
        [1.0, 2.0],
    ],
    ids=repr,
)
def test_other_columns_are_left_to_pyarrow(column: Any) -> None:
    assert arrow_of_plain_numpy(pa, column) is None
