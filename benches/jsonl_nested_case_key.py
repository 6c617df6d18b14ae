"""What a JSON Lines file pays for a nested key that names a record field but for case
(`sources/jsonl_column_case.py`): the gappy file of `jsonl_case_search.py` (RECORDS
records, `agent` missing in one line of ten), raced against copies of it whose every
thousandth line also holds such a key: nested (`"meta": {"Agent": "x"}`, no key of
the record: the same records), or at the top level holding an object (`"Agent":
{"name": "x"}` in a line without `agent`: the field's value, which the core refuses).
Times, in one process, the whole read (`FileSource.fetch_all`) of each, least of
REPEATS, alternated, wall and CPU (all threads); prints which reader read each (pyarrow's
table or the standard reader's records) and the ratio to the plain file.

    .venv/bin/python benches/jsonl_nested_case_key.py [RECORDS] [REPEATS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # (as the sources import it)
from jsonl_case_search import write_gappy
from timing import least_each, repeated
from usage_analytics.sources import FileSource

#: Each copy's change to every thousandth line (one without `agent`: lines 0, 1000, ...).
VARIANTS: dict[str, Callable[[str], str]] = {
    "plain": lambda line: line,
    "nested key": lambda line: line.replace(
        '{"pattern_id"', '{"meta": {"Agent": "x"}, "pattern_id"'
    ),
    "top-level object": lambda line: line.replace(
        '{"pattern_id"', '{"Agent": {"name": "x"}, "pattern_id"'
    ),
}


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.jsonl"
        write_gappy(plain, records)
        lines = plain.read_text(encoding="utf-8").splitlines(keepends=True)
        paths = {}
        for name, change in VARIANTS.items():
            path = Path(folder) / f"{name.replace(' ', '-')}.jsonl"
            path.write_text(
                "".join(
                    change(line) if index % 1000 == 0 else line for index, line in enumerate(lines)
                ),
                encoding="utf-8",
            )
            paths[name] = path
        del lines
        size = plain.stat().st_size / 1e6
        print(f"{records:,} records (gappy), {size:.0f} MB")

        def whole(path: Path) -> Callable[[], object]:
            def run() -> object:
                return asyncio.run(FileSource(path).fetch_all(datetime.min, datetime.max))

            return run

        for name, path in paths.items():
            fetched = whole(path)()
            assert isinstance(fetched, list)
            kind = "pyarrow" if isinstance(fetched[0].data, pa.Table) else "standard"
            print(f"{name}: read by the {kind} reader")
        best: dict[str, tuple[float, float]] = {}
        for _ in range(2):
            for name, path in paths.items():
                took = least_each(repeated(whole(path), repeats))
                wall, cpu = took.wall, took.cpu
                if name not in best or cpu < best[name][1]:
                    best[name] = (min(wall, best.get(name, (wall, cpu))[0]), cpu)
        for name, (wall, cpu) in best.items():
            ratio = cpu / best["plain"][1]
            print(f"{name}: {wall:.3f} s wall, {cpu:.3f} s CPU ({ratio:.2f}x the plain file's CPU)")


if __name__ == "__main__":
    main()
