"""The CLI's `dashboard --on-invalid skip` on a JSON Lines file of RECORDS records over
PATTERNS patterns: with text pattern ids, with integer ones (as SQLite's ids are
exported), and with execution times written as the string "fast" once, in one line of
every 1,000, and in every line. Wall time and peak RSS of each command, one process each.

    .venv/bin/python benches/jsonl_values.py [RECORDS] [PATTERNS] [ROUNDS]

pyarrow's JSON reader holds one JSON type per column: any of these but the first sent the
whole file to the standard-library reader, a dict per record. Now the integer ids are
read as integers, and a value of another type is decoded with its piece of the file
alone (`sources/arrow_jsonl.py`). Run it with `PYTHONPATH` set to another checkout's
`python/` to time that one (the commands inherit it).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from functools import partial
from pathlib import Path

from text_odd_cells import measured, race_runs

#: Kinds, and how often a line's execution time is "fast" (0: never; 1: every line).
KINDS = {"text_ids": 0, "integer_ids": 0, "one_odd": -1, "odd_per_1000": 1000, "odd_all": 1}


def write(path: Path, records: int, patterns: int, kind: str) -> None:
    draw = random.Random(1)
    every = KINDS[kind]
    with path.open("w", encoding="utf-8") as file:
        for i in range(records):
            odd = i == records // 2 if every == -1 else every > 0 and i % every == every // 2
            pattern_id = i % patterns if kind == "integer_ids" else f"p{i % patterns}"
            file.write(json.dumps(record(i, draw, pattern_id, odd=odd)) + "\n")


def record(
    i: int, draw: random.Random, pattern_id: object, *, odd: bool = False
) -> dict[str, object]:
    """Record `i` of the benches' JSON Lines files, its execution time "fast" if `odd`."""
    return {
        "pattern_id": pattern_id,
        "timestamp": f"2025-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "success": bool(i % 7),
        "execution_time_ms": "fast" if odd else round(draw.uniform(1, 900), 3),
        "quality_score": round(draw.random(), 3),
        "agent": f"agent{i % 13}",
    }


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    patterns = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with tempfile.TemporaryDirectory() as folder:
        paths = {kind: Path(folder) / f"runs_{kind}.jsonl" for kind in KINDS}
        for kind, path in paths.items():
            write(path, records, patterns, kind)
        print(f"{records:,} records over {patterns:,} patterns")
        race_runs(
            {
                kind: partial(measured, path, "--start", "2025-01-01", "--end", "2025-03-31")
                for kind, path in paths.items()
            },
            rounds,
        )


if __name__ == "__main__":
    main()
