"""The command over record files under an address-space limit: out of memory is one line
and exit 1, never an abort, a traceback or a hang.

Each case runs `usage-analytics dashboard FILE --format json` in a child that imports the
command, then caps its address space (`RLIMIT_AS`) at what it uses plus a headroom.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from child import run_python
from record_files import RECORD_FILE_KINDS, write_record_files

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

CHILD = """
import os, resource, sys
import pyarrow, pyarrow.csv, pyarrow.json, pyarrow.parquet
from usage_analytics.cli import main

headroom_mb, path = HEADROOM, PATH
if headroom_mb:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + headroom_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = main(["dashboard", path, "--format", "json"])
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""

#: Headrooms (MB): each ended one kind of file or more in an abort or a traceback before.
HEADROOMS = [4, 16, 32, 48, 64, 96]
KINDS = list(RECORD_FILE_KINDS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_record_files(tmp_path_factory.mktemp("records"), 20_000)


def run_command(path: Path, headroom_mb: int) -> tuple[int, str, str]:
    source = CHILD.replace("HEADROOM", str(headroom_mb)).replace("PATH", repr(str(path)))
    done = run_python(source)  # (a hang is its TimeoutExpired)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_short_memory_is_one_line_and_exit_1_or_the_unlimited_report(
    files: dict[str, Path], kind: str
) -> None:
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_command(files[kind], h), [0, *HEADROOMS])
    assert expected[0] == 0, expected[2][-2000:]
    for headroom, (code, out, err) in zip(HEADROOMS, limited, strict=True):
        # (A signal is a negative code: SIGABRT -6; glibc's own abort exits 127.)
        assert code in (0, 1), (headroom, code, err[-2000:])
        if code == 0:
            assert out == expected[1], headroom
            continue
        assert out == "", headroom
        errors = [line for line in err.splitlines() if line.startswith("usage-analytics: ")]
        assert len(errors) == 1, (headroom, err[-2000:])
        assert errors[0].startswith("usage-analytics: error: out of memory"), (headroom, err)
        assert errors[0].endswith("or give the process more memory"), (headroom, err)
        # The command's error is its own, never the traceback of one it let through.
        assert 'Traceback (most recent call last):\n  File "<string>"' not in err, headroom
