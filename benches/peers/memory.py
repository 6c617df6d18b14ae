"""Peak memory added by one reduction, measured in a fresh interpreter per contender.

    python -m peers.memory CONTENDER N ENCODING     (run from benches/, or with it on the path)

prints one JSON line. The child imports the contender's libraries and runs it once on 1,000
records (so library loading and one-time setup are not counted), then generates the N-record
table (`peers.data`), drops the generator's numpy cache, returns freed heap to the OS
(`malloc_trim`, pyarrow's `release_unused`; the memory our core's own allocator, jemalloc,
kept from the warm-up call is not returned but reused), resets the RSS high-water mark (`echo 5 >
/proc/self/clear_refs`) and reads VmHWM (now the RSS); then it runs the reduction once and
reads VmHWM again. added = the difference, i.e. the resident memory the reduction needed at
its peak on top of the input table. Where clear_refs is refused it falls back to
`getrusage(RUSAGE_SELF).ru_maxrss` before and after (an underestimate when generating the
data peaked higher) and says so in `method`.

`measure` runs the child from the benchmarks, importing the same `usage_analytics` as the
parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONTENDERS = ("usage_analytics", "duckdb", "numpy", "polars")
BATCH_CONTENDERS = ("usage_analytics_batch", "duckdb_group_by", "polars_group_by")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_high_water_mark() -> bool:
    """Reset VmHWM to the current RSS; False if the kernel refuses (or ignores) it."""
    high = _status_kb("VmHWM")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") < high or high == _status_kb("VmRSS")


def _release_free_memory() -> None:
    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reduction(contender: str) -> Callable[[Any], Any]:
    """The call measured: the table in, the analytics out (as in the timing benchmarks)."""
    from usage_analytics import (
        ModelUsageAnalyticsBatchInput,
        ModelUsageAnalyticsInput,
        NodeUsageAnalyticsReducer,
        TimeWindowType,
    )

    from peers import duckdb_peer, grouped, numpy_peer, polars_peer
    from peers.data import WINDOW_END, WINDOW_START
    from peers.finish import finish

    reducer = NodeUsageAnalyticsReducer()
    window = {
        "time_window_start": WINDOW_START,
        "time_window_end": WINDOW_END,
        "time_window_type": TimeWindowType.CUSTOM,
    }
    calls: dict[str, Callable[[Any], Any]] = {
        "usage_analytics": lambda table: reducer.execute_reduction_sync(
            ModelUsageAnalyticsInput(pattern_id="bench", execution_data=table, **window)
        ),
        "duckdb": lambda table: finish(duckdb_peer.aggregates(table)),
        "numpy": lambda table: finish(numpy_peer.aggregates(table)),
        "polars": lambda table: finish(polars_peer.aggregates(table)),
        "usage_analytics_batch": lambda table: reducer.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(execution_data=table, **window)
        ),
        "duckdb_group_by": grouped.duckdb_group_by,
        "polars_group_by": grouped.polars_group_by,
    }
    return calls[contender]


def _table(n: int, encoding: str) -> Any:
    from peers import data

    if encoding == "patterns":
        table = data.many_patterns_table(n, patterns=min(data.PATTERNS, max(1, n // 100)))
    else:
        table = data.one_pattern_table(n, encoding)
    data.clear_cache()
    return table


def probe(contender: str, n: int, encoding: str) -> dict[str, Any]:
    """Run in the child: see the module docs."""
    reduce = _reduction(contender)
    reduce(_table(1_000, encoding))  # imports and one-time setup, not counted
    table = _table(n, encoding)
    _release_free_memory()
    method = "clear_refs" if _reset_high_water_mark() else "ru_maxrss"
    # VmHWM just after the reset: the RSS then, plus anything a library's background
    # thread touched since (DuckDB's, rayon's), which the reduction is not charged for.
    before_kb = _status_kb("VmHWM") if method == "clear_refs" else _status_kb("VmRSS")
    max_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = reduce(table)
    hwm_kb = _status_kb("VmHWM")
    max_after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del result
    if method == "clear_refs":
        added_kb = hwm_kb - before_kb
    else:
        added_kb = max_after_kb - max(max_before_kb, before_kb)
    return {
        "contender": contender,
        "records": n,
        "encoding": encoding,
        "method": method,
        "rss_before_bytes": before_kb * 1024,
        "peak_bytes": hwm_kb * 1024,
        "added_bytes": added_kb * 1024,
        "table_bytes": table.nbytes,
    }


def measure(contender: str, n: int, encoding: str) -> dict[str, Any]:
    """`probe` in a fresh interpreter that imports the same `usage_analytics` as this one."""
    import usage_analytics

    benches = Path(__file__).resolve().parent.parent
    package_root = Path(usage_analytics.__file__ or "").resolve().parent.parent
    path = [str(benches), str(package_root), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    done = subprocess.run(
        [sys.executable, "-m", "peers.memory", contender, str(n), encoding],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {contender} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    name, size, kind = sys.argv[1:4]
    print(json.dumps(probe(name, int(size), kind)))
