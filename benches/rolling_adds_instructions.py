"""Instructions of one `RollingUsageAnalytics.add` of 1,000 records with int64 epoch
microseconds, counted by callgrind over the whole process (Python's share included), for
a monitor's usual 1 h window of 1 min buckets and for a 30-year window of day buckets,
whose kept buckets (two windows behind the newest) reach back into 1970: there `add` looks
over the int64 column for the unit warning (`input_notes.filed_unit_hint`).

    PYTHONPATH=<tree>/python .venv/bin/python benches/rolling_adds_instructions.py

runs this script under `valgrind --tool=callgrind` (PYTHONHASHSEED=0, RAYON_NUM_THREADS=1)
with 300 and with 1,500 adds after a first one, for each window, and prints the
difference of the two totals over the 1,200 adds between them: the process's start,
imports and tables (always the 1,501 of the longer run) cancel out. Instruction counts
are repeatable whatever else the machine does, where times on a shared machine are not
(`benches/rolling_adds.py` times the adds). About 8 minutes a tree here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

SIZE = 1_000
FEWER, MORE = 300, 1_500
WINDOWS = {
    "1 h window of 1 min buckets": (timedelta(hours=1), timedelta(minutes=1)),
    "30 y window of day buckets": (timedelta(days=30 * 365), timedelta(days=1)),
}


def adds(window: str, count: int) -> None:
    """The measured process: one add, then `count` more (tables made for `MORE`)."""
    import numpy as np
    import pyarrow as pa
    from usage_analytics import RollingUsageAnalytics

    start = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp() * 1_000_000)
    tables = [
        pa.table(
            {
                "timestamp": pa.array(
                    start + (i * SIZE + np.arange(SIZE, dtype=np.int64)) * 1_000_000, pa.int64()
                ),
                "success": np.ones(SIZE, bool),
            }
        )
        for i in range(MORE + 1)
    ]
    monitor = RollingUsageAnalytics(*WINDOWS[window])
    for table in tables[: count + 1]:
        monitor.add(table)


def instructions(window: str, count: int, directory: str) -> int:
    """The whole process's instructions under callgrind."""
    out = Path(directory) / f"cg.{count}.out"
    environment = {**os.environ, "PYTHONHASHSEED": "0", "RAYON_NUM_THREADS": "1"}
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--adds",
            window,
            str(count),
        ],
        check=True,
        env=environment,
        capture_output=True,
    )
    totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    assert totals is not None, f"no total in {out}"
    return int(totals.group(1))


def main() -> None:
    import usage_analytics

    print(usage_analytics.__file__)
    with tempfile.TemporaryDirectory() as directory:
        for window in WINDOWS:
            fewer = instructions(window, FEWER, directory)
            more = instructions(window, MORE, directory)
            each = (more - fewer) / (MORE - FEWER)
            print(
                f"{window}: {each:,.0f} instructions an add "
                f"({fewer:,} with {FEWER:,} adds, {more:,} with {MORE:,})"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--adds"]:
        adds(sys.argv[2], int(sys.argv[3]))
    else:
        main()
