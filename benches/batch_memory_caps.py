"""The batch reduction under address-space limits: how each run ends.

    .venv/bin/python benches/batch_memory_caps.py FORM RECORDS PATTERNS ID_WIDTH HEADROOMS_MB [TREE]

Runs `execute_batch_reduction_sync` over RECORDS records of PATTERNS patterns (ids padded
to ID_WIDTH characters), as a pyarrow table (FORM `arrow`) or a list of dicts (`records`),
in a child per headroom: the child builds its input, caps its address space (`RLIMIT_AS`)
at what it uses plus the headroom, and reduces. Prints each run's exit status (SIGABRT
-6: "memory allocation of N bytes failed"), outcome and first stderr line. TREE is the
`python/` directory whose package the children import (default this checkout's). Unlike
the command (`memory_caps.py`), these children leave glibc's arenas per thread alone, so
that a batch's first call also maps two 64 MB arenas for rayon's workers where they fit.
"""

from __future__ import annotations

import sys

from tree_child import THIS_TREE, run_child

CHILD = """
import json, os, resource, sys
from datetime import UTC, datetime, timedelta
import numpy as np
import pyarrow as pa
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

form, n, patterns, width, headroom_mb = sys.argv[1], *map(int, sys.argv[2:6])
rng = np.random.default_rng(7)
start = datetime(2024, 1, 1, tzinfo=UTC)
offsets = np.sort(rng.integers(0, 30 * 86_400 * 10**6, n)).astype("timedelta64[us]")
table = pa.table({
    "pattern_id": [f"p{i}".ljust(width, "x") for i in rng.integers(0, patterns, n)],
    "timestamp": np.datetime64("2024-01-01", "us") + offsets,
    "success": rng.random(n) < 0.9,
    "execution_time_ms": rng.random(n) * 100,
    "agent": [f"agent-{i}" for i in rng.integers(0, 50, n)],
})
request = ModelUsageAnalyticsBatchInput(
    execution_data=table if form == "arrow" else table.to_pylist(),
    time_window_start=start,
    time_window_end=start + timedelta(days=30),
    time_window_type="monthly",
)
del table
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + headroom_mb * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    results = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(request).results
    print(json.dumps(["result", len(results)]))
except MemoryError as error:
    print(json.dumps(["MemoryError", str(error)[:90]]))
"""


def main() -> None:
    form, records, patterns, width, headrooms = sys.argv[1:6]
    tree = sys.argv[6] if len(sys.argv) > 6 else THIS_TREE
    for headroom in headrooms.split(","):
        arguments = [form, records, patterns, width, headroom]
        done = run_child(CHILD, arguments, tree=tree, timeout=300)
        outcome = (done.stdout.strip().splitlines() or [""])[-1]
        code = done.returncode
        error = (done.stderr.strip().splitlines() or [""])[0][:80]
        print(
            f"{form} {records} x {patterns} {headroom:>4} MB {code:>3} {outcome} {error}",
            flush=True,
        )


if __name__ == "__main__":
    main()
