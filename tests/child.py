"""Python source run in a child interpreter: for what could crash the process (a crash is
then the child's exit code, not the end of the test run) or needs a fresh one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Child source that takes all but a few pages of the address space its limit leaves
#: (anonymous maps, halving their size), held in `held`; the child imports `mmap`.
TAKE_THE_ROOM = """
held, size = [], 32 * 2**20
while size >= mmap.PAGESIZE:
    try:
        held.append(mmap.mmap(-1, size))
    except OSError:
        size //= 2
"""


def run_python(source: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -c source` (the interpreter running the tests), its output as text."""
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
