"""A child Python process that imports a chosen tree's package: for the benches that race
two builds (or run one under an address-space cap) in processes of their own.

A tree is a `python/` directory whose `usage_analytics` the child imports (its
`PYTHONPATH`); `THIS_TREE` is this checkout's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

THIS_TREE = str(Path(__file__).resolve().parents[1] / "python")


def run_child(
    source: str, arguments: list[str], *, tree: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -c source *arguments` importing `tree`'s package, its output and errors
    kept as text, whatever its exit status (`subprocess.TimeoutExpired` after `timeout`
    seconds: the caller says what a hang means for it)."""
    return subprocess.run(
        [sys.executable, "-c", source, *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": tree},
        check=False,
    )
