"""The dashboard's worst finding fit to its column: whole words (`finding_fit`) against
the former cut at the column's edge, and `whole_words_ascii` against the word loop.

    PYTHONPATH=python .venv/bin/python benches/finding_fit.py [--rows N] [--rounds R]

Makes N rows (default 60,000) of six kinds of findings (`tests/test_health.py`'s
results: five unhealthy, one healthy), judges them once, then times in R interleaved
rounds (default 7) the finding of every row at each width of its column (16, 21, 30 and
100 columns) two ways: this tree's `dashboard._finding`, and the former one, the headline
cut by `text_width.cut` at the column's edge (a value cut too). Then the cut of each
headline too long for 16 columns by `whole_words_ascii` against `whole_words` (the
plain loop, which it must equal: checked first). Prints least / median µs a row and the
former's median over this tree's.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_health import make_result
from timing import interleaved, least_median, median_ratio, walls
from usage_analytics import ModelUsageAnalyticsOutput, UsageTrendType
from usage_analytics.dashboard import _MARKS, DashboardRow, _finding, dashboard_rows
from usage_analytics.finding_fit import headline_parts, whole_words, whole_words_ascii
from usage_analytics.health import shown_finding
from usage_analytics.report import printable
from usage_analytics.text_width import cut


def former_finding(row: DashboardRow, width: int) -> str:
    """The dashboard's finding before `finding_fit`: cut at the column's edge."""
    findings = row.findings
    if not findings:
        return "healthy"
    severity, message = shown_finding(findings, 0)
    more = len(findings) - 1
    suffix = f" (+{more})" if more else ""
    text = f"{_MARKS[severity][0]} {''.join(headline_parts(message))}"
    return cut(printable(text), width - len(suffix)) + suffix


def finding_kinds() -> list[ModelUsageAnalyticsOutput]:
    """Results of six kinds of findings: five unhealthy (latency, unused with failed gates,
    quality, declining, success), one healthy."""
    return [
        make_result(p50=900.0, p95=5_000.0, p99=6_400.0),
        make_result(hours_since_last_use=500.0, gate_failures=3),
        make_result(quality=0.5, p50=10.0, p95=50.0, p99=60.0),
        make_result(trend_type=UsageTrendType.DECLINING, velocity=-1.0),
        make_result(success_rate=0.5),
        make_result(),
    ]


def finding_calls(rows: list[DashboardRow], width: int) -> dict[str, Callable[[], object]]:
    """The finding of every row at `width`, this tree's and the former."""
    return {
        "whole words": lambda: [_finding(row, True, width) for row in rows],
        "former cut": lambda: [former_finding(row, width) for row in rows],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    kinds = finding_kinds()
    items = [(str(uuid.UUID(int=i)), kinds[i % len(kinds)]) for i in range(args.rows)]
    rows = dashboard_rows(items)
    for row in rows:  # (the messages written once, as the table's first read does)
        _finding(row, True, 100)
    per_row = 1 / len(rows)
    for width in (16, 21, 30, 100):
        taken = interleaved(finding_calls(rows, width), args.rounds)
        ours, theirs = walls(taken["whole words"]), walls(taken["former cut"])
        print(
            f"column of {width}: whole words "
            f"{least_median([s * per_row for s in ours], 'us', 2)} a row, former cut "
            f"{least_median([s * per_row for s in theirs], 'us', 2)}, "
            f"x{median_ratio(theirs, ours):.2f}"
        )
    mains = [headline_parts(shown_finding(row.findings, 0)[1])[0] for row in rows if row.findings]
    mains = [main for main in mains if len(main) > 12]
    assert [whole_words_ascii(main, 11) for main in mains] == [
        whole_words(main, 11) for main in mains
    ]
    taken = interleaved(
        {
            "ascii": lambda: [whole_words_ascii(main, 11) for main in mains],
            "loop": lambda: [whole_words(main, 11) for main in mains],
        },
        args.rounds,
    )
    ours, theirs = walls(taken["ascii"]), walls(taken["loop"])
    per_cut = 1 / len(mains)
    print(
        f"{len(mains):,} headlines cut to 11 columns: whole_words_ascii "
        f"{least_median([s * per_cut for s in ours], 'us', 2)} each, whole_words "
        f"{least_median([s * per_cut for s in theirs], 'us', 2)}, "
        f"x{median_ratio(theirs, ours):.2f}"
    )


if __name__ == "__main__":
    main()
