"""The cost of `analyze`'s default window ending at the source's newest record (of any
pattern, as the dashboard's does) rather than at its pattern's: `newest()` against
`newest(PATTERN)` of the source (best of ROUNDS calls each, in this process), then the
wall time of `analyze SOURCE --pattern PATTERN --format json --on-invalid MODE` (one
process each, ROUNDS times, stdout to /dev/null) for each `python/` directory given and
each mode, alternated so that the machine's drift moves them alike. Where PATTERN's
newest record is not the source's, both modes read the records at the source's newest
instant (`cli.valid_end`, `cli.invalid_end`).

    .venv/bin/python benches/analyze_default_end.py SOURCE PATTERN ROUNDS \\
        [--table NAME] [--modes raise,skip] [--fetches] [PYTHONPATH ...]

`--fetches` also times, in this process, `fetch_all` of that instant (its groups that
hold records kept, as the checks kept them) against `fetch_present` (best of ROUNDS).
SOURCE is a SQLite file or a postgresql:// URL. (Tables: `benches/sqlite_one_of_many.py
PATH` builds 1M records over 10,000 patterns, `benches/sqlite_dashboard.py 2000000 0
PATH` 2M over 20 patterns; `benches/postgres_one_of_many.py URL` the first's records in
PostgreSQL.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from functools import partial

from timing import repeated_awaited, walls
from usage_analytics.sources import ExecutionSource, open_source

TICK = timedelta(microseconds=1)


async def best_newest(source: ExecutionSource, pattern: str | None, rounds: int) -> float:
    """The best of `rounds` calls of `newest(pattern)`, in milliseconds."""
    return min(walls(await repeated_awaited(partial(source.newest, pattern), rounds))) * 1000


async def best_fetches(source: ExecutionSource, rounds: int) -> tuple[float, float, int]:
    """The best of `rounds` calls of `fetch_all` (kept: its groups with records) and of
    `fetch_present` of the source's newest instant, in milliseconds, and the groups."""
    end = await source.newest()
    assert end is not None
    every, present, groups = [], [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        kept = [group for group in await source.fetch_all(end - TICK, end) if group.count]
        middle = time.perf_counter()
        groups = len(await source.fetch_present(end - TICK, end))
        every.append(middle - began)
        present.append(time.perf_counter() - middle)
        assert len(kept) == groups
    return min(every) * 1000, min(present) * 1000, groups


async def in_process(args: argparse.Namespace) -> None:
    async with open_source(args.source, args.table) as source:
        for wanted in (args.pattern, None):
            best = await best_newest(source, wanted, args.rounds)
            print(f"newest({wanted!r}): {best:.1f} ms")
        if args.fetches:
            every, present, groups = await best_fetches(source, args.rounds)
            print(f"at the newest instant ({groups} groups): fetch_all {every:.1f} ms, ", end="")
            print(f"fetch_present {present:.1f} ms")


def command_wall(args: argparse.Namespace, python_path: str, mode: str) -> float:
    """Wall seconds of one `analyze` process with `python_path` first on its path."""
    command = [sys.executable, "-m", "usage_analytics", "analyze", args.source, "--pattern"]
    command += [args.pattern, "--format", "json", "--on-invalid", mode]
    command += [] if args.table is None else ["--table", args.table]
    environment = {**os.environ, "PYTHONPATH": python_path}
    began = time.perf_counter()
    subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("pattern")
    parser.add_argument("rounds", type=int)
    parser.add_argument("trees", nargs="*", help="python/ directories to race")
    parser.add_argument("--table")
    parser.add_argument("--modes", default="raise")
    parser.add_argument("--fetches", action="store_true")
    args = parser.parse_intermixed_args()
    asyncio.run(in_process(args))
    runs = [(tree, mode) for mode in args.modes.split(",") for tree in args.trees]
    walls: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    for round_ in range(args.rounds):
        for tree, mode in runs if round_ % 2 == 0 else list(reversed(runs)):
            walls[tree, mode].append(command_wall(args, tree, mode))
    for (tree, mode), seconds in walls.items():
        shown = ", ".join(f"{wall:.2f}" for wall in seconds)
        print(f"analyze --on-invalid {mode} with {tree}: {shown} s")


if __name__ == "__main__":
    main()
