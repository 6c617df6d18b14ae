"""The batch reduction of a dict of numpy arrays whose pattern ids are a numpy array of
str objects (dtype object, as `Series.to_numpy()` gives), against the same ids as a
numpy str array (dtype `<U`): from `b80433f` the first was read as its rows, until
`c3acd99` (session 55).

    PYTHONPATH=<tree>/python .venv/bin/python benches/object_ids_beside_arrays.py [CALLS] [fields]

1,000,000 rows of 50 patterns over a week: the ids, datetime64 timestamps, a bool array
of successes and a float array of execution times. Prints each of CALLS (default 3)
calls of `execute_batch_reduction_sync`, in seconds. With `fields` (session 56), the four
text fields too (8 agents, 4 contexts, 3 projects, 200 file paths), in the ids' form.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import partial

import numpy as np
import usage_analytics
from timing import wall_seconds
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

ROWS = 1_000_000
START = datetime(2026, 1, 5, tzinfo=UTC)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(usage_analytics.__file__)
    rng = np.random.default_rng(0)
    columns = {
        "timestamp": np.datetime64(START.replace(tzinfo=None), "us")
        + rng.integers(0, 7 * 86_400, ROWS).astype("timedelta64[s]"),
        "success": rng.random(ROWS) < 0.9,
        "execution_time_ms": rng.uniform(0, 1000, ROWS),
    }
    texts = {"pattern_id": np.array([f"p{i % 50}" for i in range(ROWS)])}
    if len(sys.argv) > 2 and sys.argv[2] == "fields":
        texts["agent"] = np.array([f"agent-{i % 8}" for i in range(ROWS)])
        texts["context_type"] = np.array(["debugging", "review", "build", "docs"] * (ROWS // 4))
        texts["project"] = np.array([f"project-{i % 3}" for i in range(ROWS)])
        texts["file_path"] = np.array([f"src/module_{i % 200}/main.py" for i in range(ROWS)])
    reducer = NodeUsageAnalyticsReducer()
    objects = {name: array.astype(object) for name, array in texts.items()}
    for label, given in (("str objects", objects), ("a numpy str array", texts)):
        request = ModelUsageAnalyticsBatchInput(
            time_window_start=START,
            time_window_end=START + timedelta(days=7),
            execution_data={**given, **columns},
        )
        times = wall_seconds(partial(reducer.execute_batch_reduction_sync, request), calls)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(f"{'texts' if len(texts) > 1 else 'ids'} as {label}: {shown} s")


if __name__ == "__main__":
    main()
