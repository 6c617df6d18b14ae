"""Text as Arrow arrays built from buffers, without pyarrow's conversion (which imports
pandas to ask whether its argument is a pandas object: 0.3 s and 49 MB for a caller who
never used pandas, and under a memory cap a `SystemError` from inside pyarrow).

- `arrow_of_fixed_text`: a numpy text array (dtype `U`, UTF-32 code points) as Arrow
  `string`, or a numpy bytes array (dtype `S`) as Arrow `binary`, plain or masked (a
  masked row is null). The text is numpy's value of each row: trailing NULs are numpy's
  padding, a NUL within a row is kept (`arrow_of_numpy_text` has why). Bytes are cut at
  their first NUL, as pyarrow cuts them, so that such a column is what it was.
- `arrow_of_str`: a list of str (a dictionary's distinct values) as Arrow `string`.

UTF-32 becomes UTF-8 a slice of rows at a time, with no Python step per row: ASCII by a
cast of each code point to its byte; other text through Python's codecs (decoded and
encoded in two C calls), each row's length summed from its code points' UTF-8 widths.
numpy's padding NULs are dropped by one mask (where no row holds a NUL within it, the
usual, all NULs are padding; else each row's text is found up to its last code point).
A code point that is no Unicode scalar value (a lone surrogate, one past U+10FFFF)
raises `UnicodeDecodeError`, as pyarrow's conversion of the array did.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["arrow_of_fixed_text", "arrow_of_str"]

#: Bytes of a numpy array converted in one step (a row at least). A row's UTF-8 takes at
#: most its UTF-32's bytes, so a slice's text stays below the 2 GiB that a `string`
#: array's 32-bit offsets address (a dtype of rows as wide is left to pyarrow), and the
#: passes' temporary arrays (a few bytes a code point) stay small beside the column.
_SLICE_BYTES = 1 << 26

_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def arrow_of_fixed_text(pa: Any, column: Any) -> Any | None:
    """A one-dimensional numpy array of dtype `U` or `S` in native byte order, plain or
    masked, as an Arrow `string` or `binary` array (a ChunkedArray where it took several
    slices); None for any other column."""
    import numpy as np

    if not isinstance(column, np.ndarray) or column.ndim != 1:
        return None
    dtype = column.dtype
    if dtype.kind not in "US" or not dtype.isnative or dtype.itemsize >= 2**31:
        return None
    values = np.ma.getdata(column)
    masked = isinstance(column, np.ma.MaskedArray) and column.mask is not np.ma.nomask
    hidden = np.ma.getmaskarray(column) if masked else None
    step = max(1, _SLICE_BYTES // max(dtype.itemsize, 1))
    kind = pa.string() if dtype.kind == "U" else pa.binary()
    convert = _utf8_slice if dtype.kind == "U" else _bytes_slice
    chunks = [  # (at least one: a slice of no rows where there are none)
        _array(pa, kind, *convert(values[start : start + step]), _slice(hidden, start, step))
        for start in range(0, max(len(values), 1), step)
    ]
    if len(chunks) == 1:
        return chunks[0]
    return pa.chunked_array(chunks, kind)


def arrow_of_str(pa: Any, strings: list[str], hidden: Any = None) -> Any:
    """A list of str as an Arrow `string` array, null where `hidden` (bools, or None for
    none; a hidden row's str is left empty by the caller), `UnicodeEncodeError` for a
    lone surrogate, as pyarrow's conversion."""
    import numpy as np

    if all(map(str.isascii, strings)):  # (a byte a character: one encoding of them all)
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        return _array(pa, pa.string(), "".join(strings).encode("ascii"), lengths, hidden)
    encoded = [text.encode("utf-8") for text in strings]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return _array(pa, pa.string(), b"".join(encoded), lengths, hidden)


def _slice(hidden: Any, start: int, step: int) -> Any:
    return None if hidden is None else hidden[start : start + step]


def _array(pa: Any, kind: Any, data: Any, lengths: Any, hidden: Any) -> Any:
    """An Arrow `kind` (string or binary) array of rows of `lengths` bytes laid end to end
    in `data` (less than 2 GiB: 32-bit offsets), null where `hidden` (bools, or None)."""
    import numpy as np

    from usage_analytics.ingest.numpy_buffers import validity_of_mask

    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:], dtype=np.int32)
    validity, null_count = validity_of_mask(pa, hidden)
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(kind, len(lengths), buffers, null_count)


def _utf8_slice(values: Any) -> tuple[Any, Any]:
    """The UTF-8 bytes of a `U` array's rows, end to end, and each row's length in bytes."""
    import numpy as np

    rows, width = len(values), values.dtype.itemsize // 4
    if not rows or not width:
        return b"", np.zeros(rows, dtype=np.int64)
    units = np.ascontiguousarray(values).view(np.uint32).reshape(rows, width)
    if int(units.max()) < 0x80:  # (ASCII: a byte a code point, no codec needed)
        ascii_bytes = units.astype(np.uint8)  # (masks over bytes: 4 times cheaper)
        present = ascii_bytes != 0
        if not _nul_within(present):  # (every NUL numpy's padding: the usual)
            return ascii_bytes[present], _row_sums(present)
    present = units != 0
    padding_alone = not _nul_within(present)
    # (Strict: a surrogate or a code point past U+10FFFF raises, as pyarrow's decoding.)
    encoded = np.frombuffer(units.tobytes().decode(_UTF32).encode("utf-8"), dtype=np.uint8)
    widths = present.view(np.uint8).copy()  # (each code point's UTF-8 bytes, a NUL's 0)
    for bound in (0x80, 0x800, 0x10000):
        widths += units >= bound
    if padding_alone:  # (in UTF-8 a NUL alone is a zero byte: the padding goes at once)
        return encoded[encoded != 0], _row_sums(widths)
    taken = _kept_cells(present)
    widths[~present] = 1  # (a NUL's byte, kept within a row)
    kept = np.repeat(taken.ravel(), widths.ravel())  # (each code point's bytes, kept or not)
    return encoded[kept], np.where(taken, widths, 0).sum(axis=1, dtype=np.int64)


def _bytes_slice(values: Any) -> tuple[Any, Any]:
    """The bytes of an `S` array's rows up to each row's first NUL, end to end, and each
    row's length: pyarrow's reading of such an array (C strings padded to the width)."""
    import numpy as np

    rows, width = len(values), values.dtype.itemsize
    if not rows or not width:
        return b"", np.zeros(rows, dtype=np.int64)
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(rows, width)
    present = raw != 0
    if _nul_within(present):
        present = np.logical_and.accumulate(present, axis=1)  # (before the first NUL)
    return raw[present], _row_sums(present)


def _row_sums(cells: Any) -> Any:
    """The sum of each row of a 2-D array of bools or bytes (a sum of bytes viewed as
    such: faster than `count_nonzero` along an axis)."""
    import numpy as np

    return cells.view(np.uint8).sum(axis=1, dtype=np.int64)


def _nul_within(present: Any) -> bool:
    """Whether a row holds a NUL before a code point (or byte) that is not: a NUL within
    it, not numpy's padding (`present`: the cells that are not NUL, a row a line)."""
    import numpy as np

    return bool(np.any(present[:, 1:] > present[:, :-1]))


def _kept_cells(present: Any) -> Any:
    """The code points of each row that are its text (bools, from those that are not NUL):
    all but the trailing NULs (numpy's padding; numpy's value of "a\\0b\\0" is "a\\0b")."""
    import numpy as np

    rows, width = present.shape
    # (The last code point that is not NUL: the first such from the end. Where a row has
    # none, argmax finds its first, a NUL: no text.)
    last = width - 1 - np.argmax(present[:, ::-1], axis=1)
    counts = np.where(present[np.arange(rows), last], last + 1, 0)
    return np.arange(width) < counts[:, None]
