"""What a JSON Lines file pays for keys matched regardless of case
(`sources/jsonl_column_case.py`): a file of RECORDS records (`jsonl_good_numbers.py`'s)
that lack optional fields (no `file_path`, `project`, ...) has their columns read with
no value, so its bytes are searched once for those fields' names quoted in another case.
Times, in one process, the whole read of the file (`FileSource.fetch_all`, which
includes the search) and the search alone (`other_case_keys` on the table pyarrow
read), least of REPEATS each, alternated, wall and CPU (all threads).

    .venv/bin/python benches/jsonl_case_search.py [RECORDS] [REPEATS]
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # (as the sources import it)
from jsonl_good_numbers import write  # (records without file_path, project, ...)
from timing import least_each, repeated
from usage_analytics.sources import FileSource
from usage_analytics.sources.arrow_jsonl import read_jsonl_arrow
from usage_analytics.sources.base import TableSpec
from usage_analytics.sources.jsonl_column_case import other_case_keys


def write_gappy(path: Path, records: int) -> None:
    """RECORDS records holding every field, but `agent` in one line of ten."""
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        for i in range(records):
            agent = "" if i % 10 == 0 else f'"agent": "agent{i % 13}", '
            file.write(
                f'{{"pattern_id": "p{i % 1000}", '
                f'"timestamp": "2025-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", '
                f'"success": true, "execution_time_ms": {draw.uniform(0, 900):.3f}, '
                f'"quality_score": {draw.random():.3f}, {agent}"timeout": false, '
                f'"quality_gates_passed": true, "context_type": "c{i % 5}", '
                f'"project": "x", "file_path": "src/m{i % 7}.py"}}\n'
            )


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    gappy = sys.argv[3:4] == ["gappy"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.jsonl"
        (write_gappy if gappy else write)(path, records)
        read = read_jsonl_arrow(pa, path, TableSpec())
        assert read is not None
        table = read.table

        def whole() -> object:
            return asyncio.run(FileSource(path).fetch_all(datetime.min, datetime.max))

        def search() -> object:
            assert not other_case_keys(pa, path, table, TableSpec())
            return None

        size = path.stat().st_size / 1e6
        print(f"{records:,} records{' (gappy)' if gappy else ''}, {size:.0f} MB")
        for name, run in (("whole read", whole), ("search alone", search)) * 2:
            took = least_each(repeated(run, repeats))
            wall, cpu = took.wall, took.cpu
            print(f"{name}: {wall:.3f} s wall, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
