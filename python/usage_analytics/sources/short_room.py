"""pyarrow's readers without pyarrow's threads where an address-space limit is set.

pyarrow's thread pools start their threads lazily, when a read first gives them work. A
thread that does not fit in an address-space limit (`RLIMIT_AS`: its stack alone is 8 MB)
fails to start, and pyarrow 26 then loses the task queued for it: the read waits for it
for ever. (Seen: `read_table` of a 4.6 MB Parquet file waiting in
`AsyncScanner::ToTable` at 64, 96, 128 and 200 MB of headroom, with no worker thread
left; a CSV read hung over 11 minutes at 96 MB.) No timeout can end such a wait (the
thread that waits is pyarrow's caller), so under a limit the readers are chosen not to
start a thread at all:

- Parquet: `ParquetFile.read(use_threads=False)`, without pre-buffering (which reads
  ahead on the I/O pool): no thread is started (`read_parquet_threadless`), a file on its
  own or each file of a directory (`parquet_dataset`, whose threaded reads aborted or
  hung as `read_table` did).
- JSON Lines: `read_json` with `use_threads=False`: none.
- CSV: pyarrow's reader starts I/O threads to read ahead whatever `use_threads` says.
  It is used only where the room left holds those threads' stacks twice over and the
  file `_CSV_TIMES` times, when it starts them (at once, at the read's start); else the
  standard-library reader reads the file (slower, in Python, and threadless).

The standard reader holds a record as Python objects, many times its text: where the room
left is less than `_PYTHON_TIMES` times the file, it is not begun (a `MemoryError` at
once): begun, near the limit it spent minutes failing allocations one by one (a 14 MB CSV
file at 32 MB of headroom) before the `MemoryError`.

Without a limit the readers are what they were. (The threads' stacks are what the limit
counts: the system's own memory running out is the OOM killer's, which no reader sees.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from usage_analytics.address_space import room

__all__ = [
    "ARROW_THREAD_NOT_STARTED",
    "arrow_threads_allowed",
    "check_room_for_python_reading",
    "csv_reader_fits",
    "read_parquet_threadless",
]

#: pyarrow's words for a pool thread that could not start (`ThreadPool`).
ARROW_THREAD_NOT_STARTED = "Failed to launch worker thread"
#: The room a CSV file's read by pyarrow asks, in times the file's size (its text, the
#: blocks parsed from it and the typed columns, at once).
_CSV_TIMES = 4
#: A thread's stack where the system sets none (glibc's default is then 2 MB; taken high).
_DEFAULT_STACK = 8 * 2**20


def arrow_threads_allowed() -> bool:
    """Whether pyarrow's readers may use its threads: where no address-space limit is set."""
    return room() is None


def read_parquet_threadless(pq: Any, file: Path, **options: Any) -> Any:
    """The table of the Parquet `file` read without starting a thread (see the module);
    `options` are `ParquetFile`'s."""
    with pq.ParquetFile(file, pre_buffer=False, **options) as parquet:
        return parquet.read(use_threads=False)


def csv_reader_fits(pa: Any, path: Path) -> bool:
    """Whether pyarrow's CSV reader, which starts threads, may read `path` (see the module)."""
    left = room()
    if left is None:
        return True
    import resource  # (not on Windows, where `room` is None)

    stack, _ = resource.getrlimit(resource.RLIMIT_STACK)
    if stack == resource.RLIM_INFINITY or stack <= 0:
        stack = _DEFAULT_STACK
    threads = 2 * int(pa.io_thread_count()) * stack
    return left >= threads + _CSV_TIMES * path.stat().st_size


#: The room the standard reader surely needs, in times the file's size (a record's dict
#: and values are several times its text: this is a floor, never a refusal of a file
#: that would fit).
_PYTHON_TIMES = 2


def check_room_for_python_reading(path: Path, doing: str) -> None:
    """Under an address-space limit, `MemoryError` where the room left is less than
    `_PYTHON_TIMES` times `path`'s size (see the module); else nothing."""
    left = room()
    if left is None:
        return
    need = _PYTHON_TIMES * path.stat().st_size
    if left < need:
        raise MemoryError(
            f"out of memory {doing}: {left / 2**20:.0f} MB of address space left, and "
            f"reading the file in Python takes more than {need / 2**20:.0f} MB"
        )
