"""Outputs of every entry point over many windows, dumped by one build and compared with
another's: a check that a change meant to keep every result's bits kept them.

    PYTHONPATH=/tmp/old-build .venv/bin/python benches/output_dump.py dump /tmp/old.pkl
    .venv/bin/python benches/output_dump.py dump /tmp/new.pkl
    .venv/bin/python benches/output_dump.py diff /tmp/old.pkl /tmp/new.pkl

`dump` runs, for each of twelve windows (every window type; partial last buckets; one,
two and three buckets; odd bucket widths; 2,160 hourly buckets, past the 1,024 that are
counted densely) at DETAILED and COMPREHENSIVE granularity: a
single call (200,000 records of one pattern), a batch (300,000 records over 200
patterns), a `BatchUsageAccumulator` of those records merged from two halves, and a
`UsageAccumulator`; then three snapshots of a `RollingUsageAnalytics`. It pickles every
output's `model_dump()` but for the fields that differ from run to run (computation
time, computed at, correlation id). `diff` prints how many cases differ and the first
differing field of the first few; floats are compared by their bits (0.0 is not -0.0;
NaN equals NaN). It exits with 1 if any case differs.
"""

from __future__ import annotations

import math
import pickle
import struct
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    UsageAccumulator,
)

VARYING = {"computation_time_ms", "computed_at", "correlation_id"}
START, END = data.WINDOW_START, data.WINDOW_END
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
#: (start, end, window type, bucket width or None)
WINDOWS = [
    (START, END, "custom", None),
    (START, END, "daily", None),
    (START, END, "monthly", None),
    (START, END, "quarterly", None),
    (START, START + 2 * DAY + 5 * HOUR, "custom", DAY),
    (START, START + 30 * HOUR, "custom", 13 * HOUR),
    (START, START + DAY, "custom", DAY),
    (START, START + 7 * DAY + timedelta(minutes=1), "weekly", None),
    (START, END, "custom", timedelta(minutes=137)),
    (START, END, "custom", timedelta(hours=2, minutes=7)),
    (START + 40 * DAY, START + 41 * DAY + 3 * HOUR, "custom", HOUR),
    (START, END, "custom", HOUR),
]


def dumped(output: Any) -> dict[str, Any]:
    result: dict[str, Any] = output.model_dump(exclude=VARYING)
    return result


def outputs() -> list[Any]:
    reducer = NodeUsageAnalyticsReducer()
    batch_table = data.many_patterns_table(300_000, 200)
    one_table = data.one_pattern_table(200_000, "dict")
    halves = (batch_table.slice(0, 150_000), batch_table.slice(150_000))
    cases: list[Any] = []
    for start, end, window_type, width in WINDOWS:
        for granularity in ("detailed", "comprehensive"):
            settings: dict[str, Any] = {
                "time_window_start": start,
                "time_window_end": end,
                "time_window_type": window_type,
                "granularity": granularity,
            }
            if width is not None:
                settings["bucket_width"] = width
            single = ModelUsageAnalyticsInput(pattern_id="p", execution_data=one_table, **settings)
            cases.append(dumped(reducer.execute_reduction_sync(single)))
            batch = ModelUsageAnalyticsBatchInput(execution_data=batch_table, **settings)
            results = reducer.execute_batch_reduction_sync(batch).results
            cases.append({key: dumped(value) for key, value in results.items()})
            first, second = BatchUsageAccumulator(**settings), BatchUsageAccumulator(**settings)
            first.update(halves[0])
            second.update(halves[1])
            merged = first.merge(second).finalize().results
            cases.append({key: dumped(value) for key, value in merged.items()})
            alone = UsageAccumulator(**settings)
            alone.update(one_table)
            cases.append(dumped(alone.finalize(pattern_id="p")))
    rolling = RollingUsageAnalytics(window=3 * DAY, bucket=HOUR)
    rolling.add(one_table)
    for hours in (-50, -25, 1):
        cases.append(dumped(rolling.snapshot(END + timedelta(hours=hours, minutes=7))))
    return cases


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(map(str, a.keys() ^ b.keys()))[:5]}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} against {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(a, float) and isinstance(b, float):
        same = struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    else:
        same = type(a) is type(b) and a == b
    return None if same else f"{path}: {a!r} against {b!r}"


def main() -> int:
    if sys.argv[1:2] == ["dump"] and len(sys.argv) == 3:
        cases = outputs()
        Path(sys.argv[2]).write_bytes(pickle.dumps(cases))
        print(f"{len(cases)} cases dumped to {sys.argv[2]}")
        return 0
    if sys.argv[1:2] == ["diff"] and len(sys.argv) == 4:
        old, new = (pickle.loads(Path(path).read_bytes()) for path in sys.argv[2:4])
        if len(old) != len(new):
            print(f"{len(old)} cases against {len(new)}")
            return 1
        differences = [d for a, b in zip(old, new, strict=True) if (d := first_difference(a, b))]
        print(f"{len(differences)} of {len(old)} cases differ")
        for difference in differences[:5]:
            print(" ", difference)
        return 1 if differences else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
