"""The CLI's `dashboard --format json` on a JSON Lines file of RECORDS records over 1,000
patterns, plain and compressed (gzip, zstd, xz, bz2), and the plain file sent to standard
input: wall time and peak RSS of each command, one process each, the kinds alternated.

    .venv/bin/python benches/compressed_files.py [RECORDS] [ROUNDS]

A compressed file is decompressed into a temporary file before it is read, and standard
input copied into one (`sources/spool.py`): what that costs beside the plain file's read.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pyarrow as pa
from jsonl_values import write
from text_odd_cells import measured, race_runs

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gz": lambda data: gzip.compress(data, 6),
    "zst": lambda data: pa.compress(data, "zstd", asbytes=True),
    "xz": lambda data: lzma.compress(data, preset=1),
    "bz2": lambda data: bz2.compress(data, 9),
}


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "runs.jsonl"
        write(plain, records, 1_000, "text_ids")
        data = plain.read_bytes()
        sources = {"plain": (str(plain), None), "stdin": ("-", plain)}
        for suffix, compress in COMPRESS.items():
            path = plain.with_name(f"runs.jsonl.{suffix}")
            path.write_bytes(compress(data))
            sources[suffix] = (str(path), None)
        del data  # (a child's peak RSS counts its parent's at the fork)
        sizes = ", ".join(
            f"{name} {Path(s).stat().st_size / 1e6:.0f} MB"
            for name, (s, _) in sources.items()
            if s != "-"
        )
        print(f"{records:,} records: {sizes}")
        runs = {
            name: partial(measured, source, stdin=stdin, on_invalid="raise")
            for name, (source, stdin) in sources.items()
        }
        race_runs(runs, rounds)


if __name__ == "__main__":
    main()
