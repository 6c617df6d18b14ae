"""What shortening the dashboard's UUID ids costs (`usage_analytics.short_ids`): the
table of N UUID-named patterns at 100 columns, where the ids are shortened, against the
same table with the shortening turned off (whole ids, the former table), and
`shortened_ids` alone.

    PYTHONPATH=python .venv/bin/python benches/short_ids.py [--rows N] [--rounds R]

Makes N rows (default 100,000) of random version-4 UUIDs (seeded: at 100,000, about one
pair is expected to share its first 8 characters, and none does with this seed, so the
ids take 8) and six kinds of findings
(`finding_fit.finding_kinds`), judges them once, then times in R interleaved
rounds (default 5) `render_dashboard(rows, width=100)` both ways and `shortened_ids` of
the names. Prints least / median seconds and the shortened table's median over the
former's.
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from finding_fit import finding_kinds
from timing import interleaved, least_median, median_ratio, walls
from usage_analytics import dashboard
from usage_analytics.dashboard import _finding, dashboard_rows, render_dashboard
from usage_analytics.short_ids import shortened_ids


def whole_ids_table(rows: list[dashboard.DashboardRow]) -> str:
    """The table at 100 columns with the ids whole, as before `short_ids`."""
    room = dashboard._WHOLE_IDS_ROOM
    dashboard._WHOLE_IDS_ROOM = -(10**9)  # (no finding column is ever below it)
    try:
        return render_dashboard(rows, width=100)
    finally:
        dashboard._WHOLE_IDS_ROOM = room


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kinds = finding_kinds()
    rng = random.Random(273)
    names = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(args.rows)]
    rows = dashboard_rows([(name, kinds[i % len(kinds)]) for i, name in enumerate(names)])
    for row in rows:  # (the messages written once, as the table's first read does)
        _finding(row, True, 100)
    length = shortened_ids(names)[1]
    assert "shortened to their first" in render_dashboard(rows, width=100)
    assert names[0] in whole_ids_table(rows)
    taken = interleaved(
        {
            "shortened": lambda: render_dashboard(rows, width=100),
            "whole": lambda: whole_ids_table(rows),
            "shortened_ids": lambda: shortened_ids(names),
        },
        args.rounds,
    )
    ours, theirs = walls(taken["shortened"]), walls(taken["whole"])
    print(
        f"{len(rows):,} UUID rows at 100 columns (ids of {length}): shortened "
        f"{least_median(ours, 's', 2)}, whole {least_median(theirs, 's', 2)}, "
        f"shortened / whole x{median_ratio(ours, theirs):.2f}; shortened_ids alone "
        f"{least_median(walls(taken['shortened_ids']), 's', 3)}"
    )


if __name__ == "__main__":
    main()
