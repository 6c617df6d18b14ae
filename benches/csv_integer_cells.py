"""Number cells of a CSV file whose text is an integer's: `typed_text`, the standard
library reader's conversion of a cell, and `FileSource.fetch_all` of a whole file with
pyarrow's reader and with the standard one (`arrow=False`).

    PYTHONPATH=<tree>/python .venv/bin/python benches/csv_integer_cells.py [RUNS]

A cell: the least of 15 runs of 200,000 calls of `typed_text("execution_time_ms", text)`,
in microseconds, for "12.375", "123" and "123.0". The file: 300,000 rows of four
patterns, one a second from 2026-01-05, `execution_time_ms` every other row an integer's
text ("123") and else a decimal's ("12.375"), `quality_score` decimals; RUNS (default 3)
runs of a fresh source each, three `fetch_all` calls of those four days a run (the first
reads the file, the others reuse it), in seconds.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import timeit
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import usage_analytics
from timing import timed_awaited
from usage_analytics.sources import ExecutionSource, FileSource
from usage_analytics.sources.base import typed_text

ROWS = 300_000
START = datetime(2026, 1, 5, tzinfo=UTC)


def cells() -> None:
    for text in ("12.375", "123", "123.0"):
        cell = partial(typed_text, "execution_time_ms", text)
        runs = timeit.repeat(cell, number=200_000, repeat=15)
        print(f'typed_text of "{text}": {min(runs) / 200_000 * 1e6:.2f} us a cell')


def write(path: Path) -> None:
    with path.open("w") as file:
        file.write("pattern_id,timestamp,success,execution_time_ms,quality_score\n")
        for i in range(ROWS):
            stamp = (START + timedelta(seconds=i)).isoformat()
            took = "123" if i % 2 else "12.375"
            file.write(f"p{i % 4},{stamp},{'true' if i % 9 else 'false'},{took},0.{i % 97}\n")


async def fetches(source: ExecutionSource) -> list[float]:
    """The times of 3 `fetch_all`s of the whole of `source` (`ROWS` records from `START`),
    closed after."""
    times = []
    for _ in range(3):
        took, groups = await timed_awaited(
            partial(source.fetch_all, START, START + timedelta(days=4))
        )
        times.append(took.wall)
    assert sum(group.count for group in groups) == ROWS
    await source.close()
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(usage_analytics.__file__)
    cells()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "records.csv"
        write(path)
        for arrow, reader in ((None, "pyarrow's reader"), (False, "the standard reader")):
            for _ in range(runs):
                shown = ", ".join(
                    f"{t:.2f}" for t in asyncio.run(fetches(FileSource(path, arrow=arrow)))
                )
                print(f"fetch_all of {ROWS:,} CSV rows, {reader}: {shown} s")


if __name__ == "__main__":
    main()
