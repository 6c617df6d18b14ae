"""What a JSON Lines file pays for the note of keys spelled otherwise
(`sources/jsonl_key_spellings.py`): a file of RECORDS records (`jsonl_good_numbers.py`'s,
which lack optional fields: their columns are read without a value) is searched once more,
by RE2, for a key spelling one of those fields otherwise. Times, in one process, the whole
read of the file (`FileSource.fetch_all`, which includes the search), the search alone
(`spelled_keys_of_file` on the table pyarrow read), and, raced beside it, the search for
keys of another case that such files already paid for (`other_case_keys`), least of
REPEATS each, alternated, wall and CPU (all threads); the search's share of the read.

    PYTHONPATH=python .venv/bin/python benches/jsonl_key_spellings.py [RECORDS] [REPEATS]
"""

from __future__ import annotations

import asyncio
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
from usage_analytics.sources.jsonl_key_spellings import spelled_keys_of_file


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.jsonl"
        write(path, records)
        read = read_jsonl_arrow(pa, path, TableSpec())
        assert read is not None
        table = read.table

        def whole() -> object:
            return asyncio.run(FileSource(path).fetch_all(datetime.min, datetime.max))

        def spellings() -> object:
            assert spelled_keys_of_file(pa, path, table, TableSpec()) == {}
            return None

        def cases() -> object:
            assert not other_case_keys(pa, path, table, TableSpec())
            return None

        size = path.stat().st_size / 1e6
        print(f"{records:,} records, {size:.0f} MB")
        runs = (("whole read", whole), ("spellings search", spellings), ("case search", cases))
        least_of: dict[str, float] = {}
        for name, run in runs * 2:
            took = least_each(repeated(run, repeats))
            wall, cpu = took.wall, took.cpu
            least_of[name] = min(wall, least_of.get(name, wall))
            print(f"{name}: {wall:.3f} s wall, {cpu:.3f} s CPU")
        share = least_of["spellings search"] / least_of["whole read"]
        against = least_of["spellings search"] / least_of["case search"]
        print(f"spellings search: {share:.1%} of the whole read, {against:.2f}x the case search")


if __name__ == "__main__":
    main()
