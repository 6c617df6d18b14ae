"""`fetch_present` and `fetch_all` of a source's newest instant (what `analyze`'s
default-end check reads), raced between `python/` trees: each round runs one process per
tree (alternating their order), which prints its best of CALLS calls of each, in ms;
then each tree's median of those bests, and their ratios to the first tree's.

    .venv/bin/python benches/fetch_present_trees.py SOURCE ROUNDS CALLS TREE [TREE ...]

SOURCE is a SQLite file or a postgresql:// URL: `benches/sqlite_one_of_many.py PATH`
builds the library's SQLite layout of 1M records over 10,000 patterns,
`benches/postgres_one_of_many.py URL` the same in PostgreSQL (ANALYZEd). (The trees each
need their built `_core`.)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
from datetime import timedelta
from functools import partial

from timing import repeated_awaited, walls

TICK = timedelta(microseconds=1)


async def bests(source_path: str, calls: int) -> dict[str, float]:
    """In a tree's process: the best of `calls` of each fetch, in ms."""
    from usage_analytics.sources import open_source

    async with open_source(source_path) as source:
        end = await source.newest()
        assert end is not None
        times: dict[str, list[float]] = {"fetch_present": [], "fetch_all": []}
        for _ in range(calls):
            for name in times:
                fetch = partial(getattr(source, name), end - TICK, end)
                times[name] += walls(await repeated_awaited(fetch, 1))
        return {name: min(taken) * 1000 for name, taken in times.items()}


def in_tree(tree: str, source_path: str, calls: int) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": tree}
    command = [sys.executable, __file__, "--child", source_path, str(calls)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    measured: dict[str, float] = json.loads(done.stdout)
    return measured


def main() -> None:
    if sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(bests(sys.argv[2], int(sys.argv[3])))))
        return
    source_path, trees = sys.argv[1], sys.argv[4:]
    rounds, calls = int(sys.argv[2]), int(sys.argv[3])
    found: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    for round_ in range(rounds):
        for tree in trees if round_ % 2 == 0 else list(reversed(trees)):
            found[tree].append(in_tree(tree, source_path, calls))
    first = trees[0]
    for name in ("fetch_present", "fetch_all"):
        medians = {tree: statistics.median(run[name] for run in found[tree]) for tree in trees}
        for tree in trees:
            each = ", ".join(f"{run[name]:.0f}" for run in found[tree])
            ratio = medians[tree] / medians[first]
            print(f"{name} {tree}: median {medians[tree]:.0f} ms ({each}), x{ratio:.2f}")


if __name__ == "__main__":
    main()
