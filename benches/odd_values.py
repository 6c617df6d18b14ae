"""The CLI's `dashboard --on-invalid skip` on a source of RECORDS records over PATTERNS
patterns, as written and with one value its column cannot hold: a CSV file with a number
written "fast", and a SQLite table (`dashboard_patterns.py`'s layout) with the text
'fast' in its REAL column; and the CSV file (without it) in a table of TEXT columns, as
`sqlite3`'s `.import` makes one (`sqlite_text`: every value text). Wall time and peak
RSS of each command, one process each.

    .venv/bin/python benches/odd_values.py [RECORDS] [PATTERNS] [ROUNDS]

Such a value used to make the whole file, or every pattern of the table, Python values
(a dict per record); now only its pattern's records are (`sources/odd_cells.py`), so a
source with one should cost about what it costs without. The core's SQLite reader gave up
on such a value (and on any text in a flag or number column), and the rows were read
through `sqlite3`; it now hands it back alone, and types flag and number text itself.
"""

from __future__ import annotations

import csv
import random
import sqlite3
import sys
import tempfile
from functools import partial
from pathlib import Path

from dashboard_patterns import make_sqlite
from text_odd_cells import measured, race_runs

KINDS = ("csv", "csv_odd", "sqlite", "sqlite_odd", "sqlite_text")


def write_csv(path: Path, records: int, patterns: int, odd: bool) -> None:
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        file.write("pattern_id,timestamp,success,execution_time_ms,quality_score,agent\n")
        for i in range(records):
            time_ms = "fast" if odd and i == records // 2 else f"{draw.uniform(1, 900):.3f}"
            file.write(
                f"p{i % patterns},2025-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,"
                f"{'true' if i % 7 else 'false'},{time_ms},{draw.random():.3f},agent{i % 13}\n"
            )


def write_sqlite(path: Path, records: int, patterns: int, odd: bool) -> None:
    make_sqlite(path, patterns, records)
    if odd:
        with sqlite3.connect(path) as connection:
            connection.execute(
                "UPDATE pattern_executions SET execution_time_ms = 'fast' WHERE rowid = ?",
                (records // 2,),
            )
        connection.close()


def write_sqlite_text(path: Path, records: int, patterns: int) -> None:
    """The CSV file's records (without the odd value) as `.import --csv` stores them: a
    table of TEXT columns, every value its cell's text (and no index)."""
    csv_path = path.with_suffix(".csv")
    write_csv(csv_path, records, patterns, odd=False)
    # (Row by row: rows held at once grew this process, whose peak the commands it starts
    # then reported as theirs, Linux counting the parent's at the fork.)
    with csv_path.open(newline="", encoding="utf-8") as stream:
        cells = csv.reader(stream)
        header = next(cells)
        columns = ", ".join(f'"{name}" TEXT' for name in header)
        with sqlite3.connect(path) as connection:
            connection.execute(f"CREATE TABLE pattern_executions ({columns})")
            marks = ", ".join("?" for _ in header)
            connection.executemany(f"INSERT INTO pattern_executions VALUES ({marks})", cells)
        connection.close()
    csv_path.unlink()


def run(path: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `dashboard` command on `path`."""
    return measured(path, "--start", "2025-01-01")


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    patterns = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for kind in KINDS:
            suffix = "csv" if kind.startswith("csv") else "sqlite"
            paths[kind] = Path(folder) / f"runs_{kind}.{suffix}"
            if kind == "sqlite_text":
                write_sqlite_text(paths[kind], records, patterns)
                continue
            write = write_csv if suffix == "csv" else write_sqlite
            write(paths[kind], records, patterns, kind.endswith("_odd"))
        print(f"{records:,} records over {patterns:,} patterns")
        race_runs({kind: partial(run, path) for kind, path in paths.items()}, rounds)


if __name__ == "__main__":
    main()
