"""A dict of columns whose number field is a list (every tenth value an int, the rest
floats, all good) beside numpy arrays: the check for a bad value its float column would
show otherwise (`ingest._bad_value_shown_otherwise`, where the tree has it), and
`ingest.columns_to_arrow` of the dict without its ids, the least of CALLS calls (default
15).

    PYTHONPATH=<tree>/python .venv/bin/python benches/number_list_beside_arrays.py [CALLS]

1,000,000 rows of 50 patterns: a numpy str array of ids (an array of str objects is
read as its rows since `b80433f`: BENCHMARKS.md, session 55), datetime64 timestamps, a
bool array of successes and the list of execution times. The check is timed on the
converted column, without and with one missing value (None: the check then unmarks the
column's nulls). For scale, the batch reduction of the dict (the least of 3) against
that of the same records as a list of dicts, which is what a column read as its rows
becomes (the dict's rows made first, not timed here: the list's figure is a floor for
that path).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
import usage_analytics
from timing import least_ms
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer, ingest

ROWS = 1_000_000
START = datetime(2026, 1, 5, tzinfo=UTC)
WANTED = frozenset({"pattern_id", "timestamp", "success", "execution_time_ms"})


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print(usage_analytics.__file__)
    rng = np.random.default_rng(0)
    times = [float(t) for t in rng.uniform(0, 1000, ROWS)]
    listed: list[float | int] = [int(t) if i % 10 == 0 else t for i, t in enumerate(times)]
    seconds = rng.integers(0, 7 * 86_400, ROWS)
    ids = np.array([f"p{i % 50}" for i in range(ROWS)])
    success = rng.random(ROWS) < 0.9
    columns = {
        "pattern_id": ids,
        "timestamp": np.datetime64(START.replace(tzinfo=None), "us")
        + seconds.astype("timedelta64[s]"),
        "success": success,
        "execution_time_ms": listed,
    }
    check = getattr(ingest, "_bad_value_shown_otherwise", None)
    if check is None:
        print("the check alone: not in this tree")
    else:
        with_missing = [*listed[:-1], None]
        for label, column in (("all present", listed), ("one missing", with_missing)):
            array = pa.array(column, pa.float64())
            spent = least_ms(partial(check, pa, "execution_time_ms", column, array), calls)
            print(f"the check alone, {ROWS:,} values, {label}: {spent:.2f} ms")
    # (Without the ids, whose conversion to Arrow text is most of a call's time.)
    times_alone = {name: column for name, column in columns.items() if name != "pattern_id"}
    spent = least_ms(partial(ingest.columns_to_arrow, times_alone, WANTED), calls)
    print(f"columns_to_arrow of {ROWS:,} rows, no ids: {spent:.1f} ms (least of {calls})")

    reducer = NodeUsageAnalyticsReducer()
    window = {"time_window_start": START, "time_window_end": START + timedelta(days=7)}
    rows = [
        {
            "pattern_id": p,
            "timestamp": START + timedelta(seconds=s),
            "success": ok,
            "execution_time_ms": t,
        }
        for p, s, ok, t in zip(
            ids.tolist(),
            seconds.tolist(),
            success.tolist(),
            listed,
            strict=True,
        )
    ]
    for label, data in (("the dict", columns), ("its rows as a list of dicts", rows)):
        request = ModelUsageAnalyticsBatchInput(**window, execution_data=data)
        spent = least_ms(partial(reducer.execute_batch_reduction_sync, request), 3)
        print(f"batch reduction of {label}: {spent / 1e3:.2f} s (least of 3)")


if __name__ == "__main__":
    main()
