"""pyarrow's Unicode lookup tables made at once under an address-space limit, while there
is room for them.

pyarrow builds the tables its UTF-8 kernels (`utf8_trim_whitespace`, `utf8_upper`, ...)
look code points up in on their first call, once per process (`std::call_once`, about
0.6 MB), with `new`: where that allocation fails, its `std::bad_alloc` goes through
`pthread_once`, which nothing catches, and the process aborts (SIGABRT). The command met
them late, after a read had taken the room: the newest timestamp of a Parquet dataset
(`sources.arrow.newest_micros`, trimming the texts) aborted it at 64 and 72 MB of
headroom, 3 runs in 18 (helper-245's sweep, `test_out_of_memory_directories`). Made when
pyarrow is loaded (`extras.load_pyarrow`), before any read, they cost what they would
have cost at the first text kernel's call, and a later call allocates no table.

Best effort: where the limit leaves less than `_ROOM_FOR_TABLES`, or the call's own
allocations fail (pyarrow's pool, mimalloc, may have no room for a new thread's heap),
the tables are left to their first call, and tried again at the next load. (Refusing
there instead, a `MemoryError`, failed loads that succeeded before at 24 and 48 MB of
headroom, `test_address_space`: the read after them may still fit, and pyarrow's own
allocations, failing, are `MemoryError`s.) Without a limit nothing is done here.
"""

from __future__ import annotations

import threading
from typing import Any

from usage_analytics.address_space import room

__all__ = ["make_lookup_tables"]

#: The room below which the tables are not made (twice their size, and malloc's margin).
_ROOM_FOR_TABLES = 2 * 2**20
_made = False
_making = threading.Lock()


def make_lookup_tables(pa: Any) -> None:
    """Under an address-space limit, pyarrow's Unicode lookup tables made (see the
    module), once per process, where there is room for them."""
    global _made
    if _made:
        return
    left = room()
    if left is None or left < _ROOM_FOR_TABLES:
        return
    with _making:
        if _made:
            return
        # (A text "a" on Python's buffers, none from pyarrow's pool; an empty array's
        # call skips the kernel, and the tables.)
        offsets = pa.py_buffer((0).to_bytes(4, "little") + (1).to_bytes(4, "little"))
        text = pa.StringArray.from_buffers(1, offsets, pa.py_buffer(b"a"))
        try:
            pa.compute.utf8_trim_whitespace(text)
        except MemoryError:  # (the kernel's output, from the pool: see the module)
            return
        _made = True
