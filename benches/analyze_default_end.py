"""The cost of `analyze`'s default window ending at the source's newest record (of any
pattern, as the dashboard's does) rather than at its pattern's: `newest()` against
`newest(PATTERN)` of a SQLite source (best of ROUNDS calls each, in this process), then
the wall time of `analyze SOURCE --pattern PATTERN --format json` (one process each,
ROUNDS times, stdout to /dev/null) for each `python/` directory given, alternated so
that the machine's drift moves them alike.

    .venv/bin/python benches/analyze_default_end.py SOURCE PATTERN ROUNDS [PYTHONPATH ...]

(Tables: `benches/sqlite_one_of_many.py PATH` builds 1M records over 10,000 patterns,
`benches/sqlite_dashboard.py 2000000 0 PATH` 2M over 20 patterns.)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from usage_analytics.sources import SQLiteSource


async def best_newest(path: Path, pattern: str | None, rounds: int) -> float:
    """The best of `rounds` calls of `newest(pattern)`, in milliseconds."""
    times = []
    async with SQLiteSource(path) as source:
        for _ in range(rounds):
            began = time.perf_counter()
            await source.newest(pattern)
            times.append(time.perf_counter() - began)
    return min(times) * 1000


def command_wall(python_path: str, source: Path, pattern: str) -> float:
    """Wall seconds of one `analyze` process with `python_path` first on its path."""
    command = [sys.executable, "-m", "usage_analytics", "analyze", str(source), "--pattern"]
    command += [pattern, "--format", "json"]
    environment = {**os.environ, "PYTHONPATH": python_path}
    began = time.perf_counter()
    subprocess.run(command, env=environment, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def main() -> None:
    source, pattern, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    trees = sys.argv[4:]
    for wanted in (pattern, None):
        best = asyncio.run(best_newest(source, wanted, rounds))
        print(f"newest({wanted!r}): {best:.1f} ms")
    walls: dict[str, list[float]] = {tree: [] for tree in trees}
    for round_ in range(rounds):
        for tree in trees if round_ % 2 == 0 else list(reversed(trees)):
            walls[tree].append(command_wall(tree, source, pattern))
    for tree, seconds in walls.items():
        shown = ", ".join(f"{wall:.2f}" for wall in seconds)
        print(f"analyze with {tree}: {shown} s")


if __name__ == "__main__":
    main()
