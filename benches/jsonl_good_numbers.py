"""The read of a JSON Lines file of RECORDS good records (every number valid), by pyarrow's
reader (`read_jsonl_arrow`) and by the standard one (`read_jsonl`), each CODE directory
in turn: what a good file pays for bad numbers shown as written (`sources/jsonl_written.py`:
a vectorized check of the numbers on pyarrow's path, two look-ups and comparisons a
record on the standard one). Each read in a process of its own, least of REPEATS reads,
wall and CPU (all threads); the CODE directories alternated, the order reversed each
round. Each CODE is a directory put first on PYTHONPATH (a checkout's `python/`).

    .venv/bin/python benches/jsonl_good_numbers.py [RECORDS] [REPEATS] [ROUNDS] [CODE ...]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import least_each, repeated

READERS = ("arrow", "standard")


def write(path: Path, records: int) -> None:
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        for i in range(records):
            file.write(
                f'{{"pattern_id": "p{i % 1000}", '
                f'"timestamp": "2025-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", '
                f'"success": true, "execution_time_ms": {draw.uniform(0, 900):.3f}, '
                f'"quality_score": {draw.random():.3f}, "agent": "agent{i % 13}"}}\n'
            )


def read_times(path: str, reader: str, repeats: int) -> None:
    """Print the least wall and CPU seconds of `repeats` reads of `path` by `reader`."""
    import pyarrow as pa
    import pyarrow.compute  # (as the sources import it)
    from usage_analytics.sources.arrow_jsonl import read_jsonl_arrow
    from usage_analytics.sources.base import TableSpec
    from usage_analytics.sources.records import read_jsonl

    def read() -> None:
        if reader == "arrow":
            assert read_jsonl_arrow(pa, Path(path), TableSpec()) is not None
        else:
            read_jsonl(Path(path))

    least = least_each(repeated(read, repeats))
    print(f"{least.wall:.3f} s wall, {least.cpu:.3f} s CPU")


def main() -> None:
    if sys.argv[1:2] == ["--time"]:
        read_times(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    codes: list[str | None] = list(sys.argv[4:]) or [None]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "good.jsonl"
        write(path, records)
        print(f"{records:,} good records, {path.stat().st_size / 1e6:.0f} MB")
        runs = [(reader, code) for reader in READERS for code in codes]
        for round_ in range(rounds):
            for reader, code in runs if round_ % 2 == 0 else reversed(runs):
                environment = dict(os.environ)
                if code is not None:
                    environment["PYTHONPATH"] = code
                command = [sys.executable, __file__, "--time", str(path), reader, str(repeats)]
                result = subprocess.run(
                    command, env=environment, capture_output=True, text=True, check=True
                )
                print(f"{reader:>8} {code or 'installed'}: {result.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
