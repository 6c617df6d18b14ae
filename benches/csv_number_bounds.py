"""Reading a CSV file of RECORDS records with pyarrow's reader (`read_csv_arrow`, what
`FileSource` uses), whose scores are a fifth exactly 1 ("1", "1.0") and a tenth 0, and
execution times a tenth 0 ("0", "0.0"): the cells whose float is on a bound, which
`sources.exact_numbers` looks at again (vectorized; none of them past it here). The least
of ROUNDS reads after one warm-up, in this process, wall time and CPU time (of all the
process's threads: the measure on a loaded machine); the file is written once, to DIR.

    PYTHONPATH=<tree>/python .venv/bin/python benches/csv_number_bounds.py DIR [RECORDS] [ROUNDS]

Run it with each tree first on PYTHONPATH, alternated, to compare them.
"""

from __future__ import annotations

import random
import sys
from functools import partial
from pathlib import Path

from timing import timed
from usage_analytics.extras import load_pyarrow
from usage_analytics.sources.arrow_text import read_csv_arrow
from usage_analytics.sources.base import TableSpec


def write(path: Path, records: int) -> None:
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        file.write("pattern_id,timestamp,success,execution_time_ms,quality_score,agent\n")
        for i in range(records):
            roll = draw.random()
            score = (
                ("1" if i % 2 else "1.0") if roll < 0.2 else "0" if roll < 0.3 else f"{roll:.3f}"
            )
            time_ms = ("0" if i % 2 else "0.0") if i % 10 == 0 else f"{draw.uniform(1, 900):.3f}"
            file.write(
                f"p{i % 50},2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,"
                f"{'true' if i % 7 else 'false'},{time_ms},{score},agent{i % 13}\n"
            )


def main() -> None:
    folder = Path(sys.argv[1])
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    path = folder / f"bounds_{records}.csv"
    if not path.exists():
        write(path, records)
    spec = TableSpec()
    pa = load_pyarrow()
    read_csv_arrow(pa, path, spec)  # (warm-up: imports, the page cache)
    times, cpu = [], []
    for _ in range(rounds):
        took, text = timed(partial(read_csv_arrow, pa, path, spec))
        times.append(took.wall)
        cpu.append(took.cpu)
        if text is None or text.odd:
            raise SystemExit("the file was not read as a table of good values")
    print(
        f"{records} rows: wall least {min(times) * 1000:.0f} ms, median "
        f"{sorted(times)[len(times) // 2] * 1000:.0f} ms; CPU least {min(cpu) * 1000:.0f} ms "
        f"(every thread's), of {rounds}"
    )


if __name__ == "__main__":
    main()
