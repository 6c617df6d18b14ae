"""The CLI's `dashboard --format json` on RECORDS records over 1,000 patterns (the
`text_ids` records of `jsonl_values.py`) as one JSON Lines or CSV file and as a
directory of FILES files of the same records in order (`sources/text_dataset.py`),
plain and gzip-compressed, and as directories of JSON Lines files whose tables disagree
on a column's type (`sources/text_dataset_types.py`): `jsonl_int_flags`, every other
file's `success` written as 1 and 0 rather than true and false (a column of integers in
those files, of booleans in the others); `jsonl_new_flag`, a `timeout` of 0 from the
middle file on (integers there, a column of no value before). Wall time and peak RSS of
each command, one process each, the layouts alternated.

    .venv/bin/python benches/text_dataset.py [RECORDS] [FILES] [ROUNDS]
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonl_values import write
from text_odd_cells import race

LAYOUTS = [
    "one.jsonl",
    "one.jsonl.gz",
    "jsonl",
    "jsonl_gz",
    "one.csv",
    "one.csv.gz",
    "csv",
    "csv_gz",
    "jsonl_int_flags",
    "jsonl_new_flag",
]


def prepare(base: Path, records: int, files: int) -> None:
    """The layouts of the same records under `base` (run in a process of its own: a
    child's peak RSS counts its parent's at the fork)."""
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson

    write(base / "one.jsonl", records, 1_000, "text_ids")
    table = pajson.read_json(base / "one.jsonl")
    pacsv.write_csv(table, base / "one.csv")
    lines = (base / "one.jsonl").read_bytes().splitlines(keepends=True)
    size = -(-records // files)
    for part in range(files):
        name = f"2026-{part:04d}"  # (names sort as the records go)
        text = b"".join(lines[part * size : (part + 1) * size])
        save(base / "jsonl", f"{name}.jsonl", text)
        disagreeing(base, f"{name}.jsonl", text, part, files)
        pacsv.write_csv(table.slice(part * size, size), base / "part.csv")
        save(base / "csv", f"{name}.csv", (base / "part.csv").read_bytes())
    (base / "part.csv").unlink()
    for kind in ("jsonl", "csv"):
        one = base / f"one.{kind}"
        (base / f"one.{kind}.gz").write_bytes(gzip.compress(one.read_bytes(), 6))


def disagreeing(base: Path, name: str, text: bytes, part: int, files: int) -> None:
    """File `part` of `files` (`name`, holding `text`) as the directories of files whose
    tables disagree on a column's type have it (see the module)."""
    if part % 2:
        text_flags = text.replace(b'"success": true', b'"success": 1')
        text_flags = text_flags.replace(b'"success": false', b'"success": 0')
    else:
        text_flags = text
    new_flag = text.replace(b"}\n", b', "timeout": 0}\n') if part >= files // 2 else text
    for folder, data in (("jsonl_int_flags", text_flags), ("jsonl_new_flag", new_flag)):
        (base / folder).mkdir(exist_ok=True)
        (base / folder / name).write_bytes(data)


def save(directory: Path, name: str, data: bytes) -> None:
    """`data` as `name` in `directory`, and gzip-compressed in `directory`_gz."""
    compressed = directory.with_name(directory.name + "_gz")
    for folder in (directory, compressed):
        folder.mkdir(exist_ok=True)
    (directory / name).write_bytes(data)
    (compressed / f"{name}.gz").write_bytes(gzip.compress(data, 6))


def main() -> None:
    if sys.argv[1:2] == ["--prepare"]:
        prepare(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        command = [sys.executable, __file__, "--prepare", folder, str(records), str(files)]
        subprocess.run(command, check=True)
        print(f"{records:,} records; directories of {files} files")
        race(base, LAYOUTS, rounds, "--start", "2025-01-01")


if __name__ == "__main__":
    main()
