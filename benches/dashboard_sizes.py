"""`usage-analytics dashboard` of a Parquet file of many patterns: the file, then the
three formats' peak resident set and wall time, one process each.

    .venv/bin/python benches/dashboard_sizes.py make PATH PATTERNS RECORDS [--invalid-last]
    .venv/bin/python benches/dashboard_sizes.py run PATH [--rounds N] [--pythonpath P ...]
        [--formats table,json,html] [--options '--on-invalid skip']

`make` writes RECORDS records over PATTERNS patterns (seeded, over the 30 days up to
2026-11-30): each pattern's success rate, latency and trend (records crowded to the
window's start or end) vary with its number, so every severity of finding occurs, and
one name in 50 needs escapes (a control character, wide and combining characters,
`<&">`, a tab, a right-to-left override); with --invalid-last, one more record, of a
negative execution time an hour after the newest, ends the window but for
`--on-invalid skip`, which then finds the newest valid one (`cli.valid_end`). `run`
runs `usage-analytics dashboard PATH --format F --output FILE` for each format under
`/usr/bin/time`, once per given `PYTHONPATH` (builds alternated within each round),
with --options' further options of the command (shell words) where given, and says
whether each build's outputs are the same bytes as the first's (the HTML with its
run-dependent ids and times masked).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

END = "2026-11-30T00:00:00+00:00"
_ODD = ["\x07bell", "wide-名前", "e\u0301combining", "<b>&amp;\"q'</b>", "tab\there", "\u202eRTL"]


def make(path: Path, patterns: int, records: int, invalid_last: bool = False) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(52)
    owner = rng.integers(0, patterns, records)
    # A pattern's shape: its records drawn towards the window's end (growing), its start
    # (declining) or evenly, by its number.
    shape = owner % 5
    u = rng.random(records)
    u = np.where(shape == 1, np.sqrt(u), np.where(shape == 2, u**2, u))
    span_us = 30 * 86_400 * 1_000_000
    end_us = int(np.datetime64(END[:19], "us").astype(np.int64))
    stamps = end_us - span_us + (u * (span_us - 1)).astype(np.int64)
    failing = (owner % 7) / 20  # 0 to 30% of runs fail
    success = rng.random(records) >= failing
    latency = rng.lognormal(np.log(50 + (owner % 13) * 300), 0.6)
    quality = np.round(rng.random(records), 3)
    names = np.array(
        [
            f"{_ODD[i // 50 % len(_ODD)]}-{i}" if i % 50 == 0 else f"pattern-{i:06d}"
            for i in range(patterns)
        ],
        dtype=object,
    )
    if invalid_last:
        owner = np.append(owner, 1)
        stamps = np.append(stamps, stamps.max() + 3_600_000_000)
        success = np.append(success, True)
        latency = np.append(latency, -1.0)
        quality = np.append(quality, 0.5)
    table = pa.table(
        {
            "pattern_id": pa.array(names[owner], pa.string()),
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "success": pa.array(success),
            "execution_time_ms": pa.array(latency),
            "quality_score": pa.array(quality),
        }
    )
    pq.write_table(table, path)


_MASKED = [
    re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+00:00| UTC)?"),
    re.compile(rb"<dt>Computed in</dt><dd>[^<]*</dd>"),
]


def _masked(data: bytes) -> bytes:
    for pattern in _MASKED:
        data = pattern.sub(b"#", data)
    return data


def run(
    path: str, rounds: int, pythonpaths: list[str], formats: list[str], options: list[str]
) -> None:
    out = Path(tempfile.mkdtemp(prefix="dashboard_sizes_"))
    first: dict[str, bytes] = {}
    for round_ in range(rounds):
        for build, pythonpath in enumerate(pythonpaths):
            for fmt in formats:
                target = out / f"{build}.{fmt}"
                env = {**os.environ, "PYTHONPATH": pythonpath, "COLUMNS": "120"}
                timed = subprocess.run(
                    ["/usr/bin/time", "-f", "%e s %U u %S s %M KB", sys.executable, "-m",
                     "usage_analytics", "dashboard", path, "--format", fmt, "--output",
                     str(target), *options],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                data = target.read_bytes()
                data = _masked(data) if fmt == "html" else data
                same = first.setdefault(fmt, data) == data
                load = os.getloadavg()[0]
                print(
                    f"round {round_} build {build} {fmt:5} {timed.stderr.strip().splitlines()[-1]}"
                    f"  load {load:.1f}  {'same' if same else 'DIFFERENT'}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    maker = commands.add_parser("make")
    maker.add_argument("path", type=Path)
    maker.add_argument("patterns", type=int)
    maker.add_argument("records", type=int)
    maker.add_argument("--invalid-last", action="store_true")
    runner = commands.add_parser("run")
    runner.add_argument("path")
    runner.add_argument("--rounds", type=int, default=1)
    runner.add_argument("--pythonpath", action="append", default=[])
    runner.add_argument("--formats", default="table,json,html")
    runner.add_argument("--options", default="", help="more options of the command")
    args = parser.parse_args()
    if args.command == "make":
        make(args.path, args.patterns, args.records, args.invalid_last)
    else:
        paths = args.pythonpath or [os.environ.get("PYTHONPATH", "")]
        run(args.path, args.rounds, paths, args.formats.split(","), shlex.split(args.options))


if __name__ == "__main__":
    main()
