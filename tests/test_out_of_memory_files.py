"""The command over record files under an address-space limit: out of memory is one line
and exit 1, never an abort, a traceback or a hang.

Each case runs `usage-analytics dashboard FILE --format json` in a child under an
address-space limit (`limited_command`).
Before (helper-224's sweep, reproduced here on 20,000 records): at 16-48 MB every kind
of file aborted the child (SIGABRT, `std::bad_alloc` from `arrow::compute::Initialize`,
`import pyarrow.compute` on the worker thread that reads, whose malloc arena did not fit:
`address_space`); at 64 MB a CSV file ended it with glibc's "cannot allocate memory for
thread-local data: ABORT" (exit 127); at 4 MB, and at 64-96 MB for Parquet, the command
ended in a traceback of `RuntimeError: can't start new thread` (the worker thread, or
asyncio's thread waiting for it, which replaced the read's error). A Parquet read could
also wait for ever for a pyarrow thread that never started (`sources.short_room`): the
child's timeout (`run_python`) fails such a case. Linux only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from limited_command import check_limited_runs
from record_files import RECORD_FILE_KINDS, write_record_files

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

KINDS = list(RECORD_FILE_KINDS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_record_files(tmp_path_factory.mktemp("records"), 20_000)


@pytest.mark.parametrize("kind", KINDS)
def test_short_memory_is_one_line_and_exit_1_or_the_unlimited_report(
    files: dict[str, Path], kind: str
) -> None:
    check_limited_runs(files[kind])
