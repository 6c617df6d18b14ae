"""The CLI's `dashboard` on a text file of RECORDS records over 50 patterns: CSV as
written (`plain`), with one row of empty cells in the middle (`blank`), with one
number padded by a space (`padded`), and with one number written "fast" (`invalid`: an
invalid record, left out, as every command runs with `--on-invalid skip`); JSON Lines
with flags as JSON booleans (`jsonl`) and as 0/1 (`jsonl01`). Wall time and peak RSS of
each command, one process each.

    .venv/bin/python benches/text_odd_cells.py [RECORDS] [ROUNDS]

A blank row, a number pyarrow's parser refuses, a cell that is no number, or flags
written 0/1 used to send the whole file to the standard-library reader (dicts, several
times the memory); they now stay on Arrow (a pattern with a cell that is no number as
Python values), so each format's files should cost about the same.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

HEADER = "pattern_id,timestamp,success,execution_time_ms,quality_score,agent,project\n"
KINDS = ("plain", "blank", "padded", "invalid", "jsonl", "jsonl01")


def write(path: Path, records: int, kind: str) -> None:
    if kind.startswith("jsonl"):
        write_jsonl(path, records, kind == "jsonl01")
        return
    draw = random.Random(1)
    with path.open("w", encoding="utf-8") as file:
        file.write(HEADER)
        for i in range(records):
            time_ms = f"{draw.uniform(1, 900):.3f}"
            if kind == "padded" and i == records // 2:
                time_ms = " " + time_ms
            if kind == "invalid" and i == records // 2:
                time_ms = "fast"
            file.write(
                f"p{i % 50},2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,"
                f"{'true' if i % 7 else 'false'},{time_ms},{draw.random():.3f},"
                f"agent{i % 13},proj{i % 5}\n"
            )
            if kind == "blank" and i == records // 2:
                file.write(",,,,,,\n")


def write_jsonl(path: Path, records: int, integer_flags: bool) -> None:
    draw = random.Random(1)
    spell = {True: "1", False: "0"} if integer_flags else {True: "true", False: "false"}
    with path.open("w", encoding="utf-8") as file:
        for i in range(records):
            file.write(
                f'{{"pattern_id": "p{i % 50}", '
                f'"timestamp": "2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", '
                f'"success": {spell[i % 7 != 0]}, "execution_time_ms": {draw.uniform(1, 900):.3f}, '
                f'"quality_score": {draw.random():.3f}, "agent": "agent{i % 13}", '
                f'"project": "proj{i % 5}"}}\n'
            )


def run(path: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `dashboard` command on `path`."""
    return measured(path)


def measured(
    path: Path | str, *options: str, stdin: Path | None = None, on_invalid: str = "skip"
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `dashboard PATH --format json --on-invalid skip`
    (or `on_invalid`) with `options`, in a process of its own, reading `stdin` where
    given."""
    command = [sys.executable, "-m", "usage_analytics", "dashboard", str(path), "--format", "json"]
    command += ["--on-invalid", on_invalid, *options]
    began = time.perf_counter()
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as given:
        process = subprocess.Popen(command, stdin=given, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_maxrss / 1024


def race(base: Path, names: list[str], rounds: int, *options: str) -> None:
    """Print `measured` of each of `names` in `base` (with `options`, records all valid),
    `rounds` times, as `race_runs` does."""
    race_runs(
        {name: partial(measured, base / name, *options, on_invalid="raise") for name in names},
        rounds,
    )


def race_runs(runs: Mapping[str, Callable[[], tuple[float, float]]], rounds: int) -> None:
    """Print the wall seconds and peak RSS (MB) that each of `runs` returns, named by its
    key, `rounds` times, in the order of `runs` and back again alternately, so that the
    machine's drift moves them alike."""
    names = list(runs)
    width = max(map(len, names))
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            wall, peak = runs[name]()
            print(f"{name:>{width}}: {wall:5.2f} s, peak RSS {peak:5.0f} MB")


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as folder:
        paths = {
            kind: Path(folder) / f"runs_{kind}.{'jsonl' if kind.startswith('jsonl') else 'csv'}"
            for kind in KINDS
        }
        for kind, path in paths.items():
            write(path, records, kind)
        sizes = ", ".join(
            f"{kind} {path.stat().st_size / 1e6:.0f} MB" for kind, path in paths.items()
        )
        print(f"{records:,} records: {sizes}")
        race_runs({kind: partial(run, path) for kind, path in paths.items()}, rounds)


if __name__ == "__main__":
    main()
