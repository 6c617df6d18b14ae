"""The CLI's `dashboard --on-invalid skip` (its read of the file and a batch reduction of
every pattern) on a JSON Lines file of RECORDS records over PATTERNS patterns: with
text pattern ids (`text_ids`), with one id in a hundred written as a JSON integer among
text ones (`mixed_ids`: a table exported from two systems), and with UUID text ids
among which one in a hundred is an integer (`uuids_and_ints`). Wall time and peak RSS of
each command, one process each, the kinds and the CODE directories in turn and back
again each round: each CODE is a directory put first on PYTHONPATH (a checkout's
`python/`; by default the installed package), to race code before and after a change.

    .venv/bin/python benches/jsonl_mixed_ids.py [RECORDS] [PATTERNS] [ROUNDS] [CODE ...]

pyarrow's JSON reader holds one JSON type per column: an integer id among text ones made
it refuse every piece of the file, which was then read by the standard-library reader, a
dict per record (`sources/jsonl_text_ids.py`).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import uuid
from pathlib import Path

from dataset_id_types import measured
from jsonl_values import record

#: Kinds of pattern ids, and how often one is written as an integer (0: never).
KINDS = {"text_ids": 0, "mixed_ids": 100, "uuids_and_ints": 100}


def pattern_id(kind: str, i: int, patterns: int) -> str | int:
    """The pattern id of record `i`: pattern `i % patterns`, as text or as an integer."""
    number = i % patterns
    every = KINDS[kind]
    if every and i % every == every // 2:
        return number
    if kind == "uuids_and_ints":
        return str(uuid.UUID(int=number + 1))
    return f"p{number}"


def write(path: Path, records: int, patterns: int, kind: str) -> None:
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        for i in range(records):
            file.write(json.dumps(record(i, draw, pattern_id(kind, i, patterns))) + "\n")


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    patterns = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    codes: list[str | None] = list(sys.argv[4:]) or [None]
    with tempfile.TemporaryDirectory() as folder:
        paths = {kind: Path(folder) / f"runs_{kind}.jsonl" for kind in KINDS}
        for kind, path in paths.items():
            write(path, records, patterns, kind)
        print(f"{records:,} records over {patterns:,} patterns")
        runs = [(kind, code) for kind in KINDS for code in codes]
        for round_ in range(rounds):
            for kind, code in runs if round_ % 2 == 0 else reversed(runs):
                result = measured(paths[kind], code)
                print(f"{kind:>14} {code or 'installed'}: {result}", flush=True)


if __name__ == "__main__":
    main()
