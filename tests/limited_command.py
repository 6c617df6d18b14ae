"""The command run in a child under an address-space limit, and what it may end in: the
unlimited run's report, or one line saying it ran out of memory and exit 1 (never an
abort, a traceback or a hang). Shared by the sweeps over record files
(`test_out_of_memory_files`) and directories of them (`test_out_of_memory_directories`).

The child imports the command, then caps its address space (`RLIMIT_AS`) at what it uses
plus a headroom, and runs `usage-analytics dashboard PATH --format json`; a hang is the
child's timeout (`run_python`'s `TimeoutExpired`). Linux only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from child import run_python

__all__ = ["HEADROOMS", "check_limited_runs"]

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


def run_command(path: Path, headroom_mb: int) -> tuple[int, str, str]:
    """The command's exit code, output and errors over `path`, under `headroom_mb` MB
    more than the child uses (0: no limit)."""
    source = CHILD.replace("HEADROOM", str(headroom_mb)).replace("PATH", repr(str(path)))
    done = run_python(source)  # (a hang is its TimeoutExpired)
    return done.returncode, done.stdout, done.stderr


def check_limited_runs(path: Path) -> None:
    """The command over `path` without a limit gives a report, and at each of `HEADROOMS`
    that report or one line saying it ran out of memory, with exit 1."""
    with ThreadPoolExecutor(2) as pool:
        expected, *limited = pool.map(lambda h: run_command(path, h), [0, *HEADROOMS])
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
