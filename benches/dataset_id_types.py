"""The CLI's `dashboard --format json` on a directory of FILES files of RECORDS records
over 1,000 patterns (the `text_ids` records of `jsonl_values.py`, ids written as their
digits: "17"), JSON Lines and Parquet, whose files write the pattern ids as one type
(`*_text_ids`: text in every file, the common case) or two (`*_mixed_ids`: integers in
every other file, text in the others; `sources/text_dataset_types.py`,
`sources/parquet_dataset.py`). Wall time and peak RSS of each command, one process
each, the layouts and the CODE directories alternated: each CODE is a directory put
first on PYTHONPATH (the package's `python/` of a checkout; by default the installed
package), so that code before and after a change is raced on the same files.

    .venv/bin/python benches/dataset_id_types.py [RECORDS] [FILES] [ROUNDS] [CODE ...]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jsonl_values import write

LAYOUTS = ["jsonl_text_ids", "jsonl_mixed_ids", "parquet_text_ids", "parquet_mixed_ids"]


def prepare(base: Path, records: int, files: int) -> None:
    """The layouts of the same records under `base`."""
    import pyarrow as pa
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    write(base / "one.jsonl", records, 1_000, "text_ids")
    text = re.sub(
        rb'"pattern_id": "p(\d+)"', rb'"pattern_id": "\1"', (base / "one.jsonl").read_bytes()
    )
    (base / "one.jsonl").unlink()
    lines = text.splitlines(keepends=True)
    size = -(-records // files)
    for part in range(files):
        name = f"2026-{part:04d}"  # (names sort as the records go)
        chunk = b"".join(lines[part * size : (part + 1) * size])
        # (Odd files: the ids as JSON integers, 17 rather than "17".)
        mixed = (
            re.sub(rb'"pattern_id": "(\d+)"', rb'"pattern_id": \1', chunk) if part % 2 else chunk
        )
        for folder, data in (("jsonl_text_ids", chunk), ("jsonl_mixed_ids", mixed)):
            (base / folder).mkdir(exist_ok=True)
            (base / folder / f"{name}.jsonl").write_bytes(data)
        table = pajson.read_json(base / "jsonl_text_ids" / f"{name}.jsonl")
        ids = table.column("pattern_id")
        as_ints = table.set_column(0, "pattern_id", ids.cast(pa.int64())) if part % 2 else table
        for folder, data in (("parquet_text_ids", table), ("parquet_mixed_ids", as_ints)):
            (base / folder).mkdir(exist_ok=True)
            pq.write_table(data, base / folder / f"{name}.parquet")


def measured(path: Path, code: str | None) -> str:
    """Wall seconds and peak RSS of the dashboard of `path` by the package in `code`, or
    the error it ended with."""
    command = [sys.executable, "-m", "usage_analytics", "dashboard", str(path), "--format"]
    command += ["json", "--start", "2025-01-01"]
    environment = dict(os.environ)
    if code is not None:
        environment["PYTHONPATH"] = code
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    assert process.stderr is not None
    error = process.stderr.read().decode().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        return f"failed: {error[:100]}"
    return f"{wall:5.2f} s, peak RSS {usage.ru_maxrss / 1024:5.0f} MB"


def main() -> None:
    if sys.argv[1:2] == ["--prepare"]:
        prepare(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    codes: list[str | None] = list(sys.argv[4:]) or [None]
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        # (In a process of its own: a child's peak RSS counts its parent's at the fork.)
        command = [sys.executable, __file__, "--prepare", folder, str(records), str(files)]
        subprocess.run(command, check=True)
        print(f"{records:,} records; directories of {files} files")
        runs = [(layout, code) for layout in LAYOUTS for code in codes]
        for round_ in range(rounds):
            for layout, code in runs if round_ % 2 == 0 else reversed(runs):
                result = measured(base / layout, code)
                print(f"{layout:>17} {code or 'installed'}: {result}", flush=True)


if __name__ == "__main__":
    main()
