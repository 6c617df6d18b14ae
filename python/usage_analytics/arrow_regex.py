"""pyarrow's regular-expression match called only where a limit leaves RE2 its room.

`pyarrow.compute.match_substring_regex` compiles its pattern with RE2 at each call, and
RE2 allocates its program and its DFA's state cache with `new`: where an allocation fails
under an address-space limit (`RLIMIT_AS`), its `std::bad_alloc` goes through Arrow's
kernel, which does not catch it, and the process aborts (SIGABRT). (Seen: the command
over a directory of JSON Lines files at 44 and 64 MB of headroom, in
`sources.jsonl_column_case`'s search for keys of another case; CI's
`test_out_of_memory_directories[jsonl-flat]`.) RE2 bounds what one expression may take
(`max_mem`, 8 MB by default, which Arrow keeps); under a limit a match is not begun where
less than `ROOM_FOR_REGEX` is left: a `MemoryError` saying so instead, which the command
reports as out of memory. (The output, a column of flags, comes from pyarrow's pool, whose
failure is a `MemoryError` of its own.) Without a limit the kernel is called as it is.
"""

from __future__ import annotations

from typing import Any

from usage_analytics.address_space import room

__all__ = ["ROOM_FOR_REGEX", "match_regex"]

#: The room a match needs: twice RE2's own budget for an expression (its program and
#: the DFA's cache, 8 MB), for what RE2 does not count and malloc's margin.
ROOM_FOR_REGEX = 16 * 2**20


def match_regex(pc: Any, values: Any, pattern: str | bytes) -> Any:
    """`pc.match_substring_regex(values, pattern)` (`pc`: `pyarrow.compute`), or, under a
    limit leaving less than `ROOM_FOR_REGEX`, a `MemoryError` (see the module)."""
    left = room()
    if left is not None and left < ROOM_FOR_REGEX:
        raise MemoryError(
            f"out of memory matching a regular expression: {left / 2**20:.0f} MB of address "
            f"space left, and RE2 may take {ROOM_FOR_REGEX / 2**20:.0f} MB"
        )
    return pc.match_substring_regex(values, pattern)
