"""The columnar benchmarks' summary: medians, ratios against the peers, target verdicts,
and peak memory, printed at the end of the run (conftest.py's `pytest_terminal_summary`).
"""

from __future__ import annotations

import os
from typing import Any

OURS = "usage_analytics"
#: The issue's targets: ours / the faster of duckdb and polars, per group.
TIME_TARGETS = {"10M-dict": 0.1, "10M-plain": 0.25, "patterns-10M": 0.25}
TARGET_PEERS = ("duckdb", "polars")
#: Peak memory added by a 10M-record one-pattern reduction (MB = 10^6 bytes).
MEMORY_TARGET_BYTES = 100e6
MEMORY_TARGET_WORKLOADS = ("10M-dict", "10M-plain")

#: (group, contender) -> (records, median seconds, rounds), filled in by the benchmarks.
TIMES: dict[tuple[str, str], tuple[int, float, int]] = {}
#: (workload, contender) -> the probe's result (`peers.memory.probe`).
MEMORY: dict[tuple[str, str], dict[str, Any]] = {}
#: Load average when the first columnar benchmark started.
LOAD_AT_START: list[tuple[float, float, float]] = []


def keep_time(group: str, contender: str, n: int, benchmark: Any) -> None:
    if not LOAD_AT_START:
        LOAD_AT_START.append(os.getloadavg())
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        TIMES[group, contender] = (n, stats.stats.median, stats.stats.rounds)


def _duration(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 1.0 else f"{seconds * 1e3:.1f} ms"


def _contenders(group: str) -> list[str]:
    return [contender for g, contender in TIMES if g == group]


def time_lines() -> list[str]:
    groups = list(dict.fromkeys(group for group, _ in TIMES))
    peers = list(dict.fromkeys(c for _, c in TIMES if not c.startswith(OURS)))
    if not groups:
        return []
    lines = [
        "| group | " + " | ".join([OURS, *peers]) + " | fastest peer | ours / fastest peer "
        "| ours / faster of duckdb, polars | target |",
        "|---|" + "---:|" * (1 + len(peers)) + "---|---:|---:|---|",
    ]
    for group in groups:
        ours_key = next((c for c in _contenders(group) if c.startswith(OURS)), None)
        ours = TIMES.get((group, ours_key or OURS))
        cells = [
            "-" if (group, c) not in TIMES else _duration(TIMES[group, c][1])
            for c in [ours_key or OURS, *peers]
        ]
        timed = {c: TIMES[group, c][1] for c in peers if (group, c) in TIMES}
        fastest = min(timed, key=timed.__getitem__) if timed else None
        target_peers = {c: t for c, t in timed.items() if c in TARGET_PEERS}
        ratio_all = None if ours is None or fastest is None else ours[1] / timed[fastest]
        ratio_target = (
            None if ours is None or not target_peers else ours[1] / min(target_peers.values())
        )
        verdict = "-"
        target = TIME_TARGETS.get(group)
        if target is not None and ratio_target is not None:
            if ratio_target <= target:
                verdict = f"<= {target}x: met"
            else:
                verdict = f"<= {target}x: missed by {ratio_target / target:.1f}x"
        lines.append(
            f"| {group} | "
            + " | ".join(cells)
            + f" | {fastest or '-'} | {'-' if ratio_all is None else f'{ratio_all:.2f}x'} "
            f"| {'-' if ratio_target is None else f'{ratio_target:.2f}x'} | {verdict} |"
        )
    return lines


def memory_lines() -> list[str]:
    workloads = list(dict.fromkeys(w for w, _ in MEMORY))
    contenders = list(dict.fromkeys(c for _, c in MEMORY))
    if not workloads:
        return []
    lines = [
        "| workload | table | " + " | ".join(contenders) + " | target (ours <= 100 MB) |",
        "|---|---:|" + "---:|" * len(contenders) + "---|",
    ]
    for workload in workloads:
        cells = []
        table_bytes = 0
        verdict = "-"
        for contender in contenders:
            probe = MEMORY.get((workload, contender))
            if probe is None:
                cells.append("-")
                continue
            table_bytes = probe["table_bytes"]
            added = probe["added_bytes"]
            note = "" if probe["method"] == "clear_refs" else " (ru_maxrss)"
            cells.append(f"{added / 1e6:.0f} MB{note}")
            if contender == OURS and workload in MEMORY_TARGET_WORKLOADS:
                met = added <= MEMORY_TARGET_BYTES
                verdict = "met" if met else f"missed by {added / MEMORY_TARGET_BYTES:.2f}x"
        lines.append(
            f"| {workload} | {table_bytes / 1e6:.0f} MB | " + " | ".join(cells) + f" | {verdict} |"
        )
    return lines


def summary(terminalreporter: Any) -> None:
    lines = time_lines()
    if lines:
        load = ", ".join(f"{x:.2f}" for x in LOAD_AT_START[0]) if LOAD_AT_START else "?"
        terminalreporter.write_sep(
            "=",
            "columnar input: usage_analytics vs polars, duckdb, numpy (medians; targets vs "
            "the faster of duckdb and polars)",
        )
        terminalreporter.write_line(
            f"load average at the first columnar benchmark: {load}; "
            f"at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        for line in lines:
            terminalreporter.write_line(line)
    lines = memory_lines()
    if lines:
        terminalreporter.write_sep(
            "=", "columnar input: peak memory added by one reduction (fresh process each)"
        )
        for line in lines:
            terminalreporter.write_line(line)
