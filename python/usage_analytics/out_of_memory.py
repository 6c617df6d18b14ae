"""The system's "out of memory" told as an `OSError` raised as the `MemoryError` it is.

Under an address-space limit (`ulimit -v`, `RLIMIT_AS`, a container's limit) some
allocations fail as `OSError`, not `MemoryError`: pyarrow's `memory_map` of a record
file ("Memory mapping file failed: Cannot allocate memory", with no errno set),
Python's `mmap`, `os.fork` ("[Errno 12] Cannot allocate memory"). The sources caught
them as any `OSError` and said the file could not be read (`SourceUnavailableError`,
"cannot read: Memory mapping file failed: Cannot allocate memory"): a caller handling
`MemoryError` never saw one, and the command told of an unreadable file. Each such
`except OSError` asks `raise_if_out_of_memory` first.
"""

from __future__ import annotations

import errno
import os

__all__ = ["is_out_of_memory", "raise_if_out_of_memory"]


def is_out_of_memory(error: OSError) -> bool:
    """Whether `error` is the system's ENOMEM: by its errno, or, where the raiser set none
    (pyarrow's errors from a failed `mmap`), by the system's words for it in its text."""
    if error.errno is not None:
        return error.errno == errno.ENOMEM
    return os.strerror(errno.ENOMEM) in str(error)


def raise_if_out_of_memory(error: OSError, doing: str) -> None:
    """Raise a `MemoryError` saying what ran out of memory (`doing`: "reading runs.jsonl"),
    `error` its cause, where `error` is the system's ENOMEM; else return."""
    if is_out_of_memory(error):
        raise MemoryError(f"out of memory {doing}: {error.strerror or error}") from error
