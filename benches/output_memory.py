"""What a batch's output models hold, per pattern: resident memory, traced bytes, and a
walk of the objects by kind.

    .venv/bin/python benches/output_memory.py PATTERNS [RECORDS_PER_PATTERN] [GRANULARITY]

Defaults: 10 records a pattern (`peers.data.many_patterns_table`: every record valid and
in its 90-day window, agents, contexts, projects and file types drawn from small pools),
DETAILED. One fresh interpreter per run: a warm-up batch, then the table, then the
`execute_batch_reduction_sync` call measured three ways:

- `rss`: VmRSS with the output held minus VmRSS once it is dropped (freed heap returned
  with `malloc_trim`), per output;
- `traced`: tracemalloc's bytes still allocated by the call while its output is held, per
  output (Python objects only: the core's own allocations are not traced; run in a
  second call, tracemalloc slows the call);
- `walk`: each object reachable from the outputs counted once, by sys.getsizeof, under
  the model type that holds it and its kind: the model itself, its field dict, its
  `__pydantic_fields_set__` (only if set: it may be made on first use), floats, ints,
  strings, datetimes, lists, dicts. Objects every output shares (the window's datetimes,
  the enums, the zone) are counted once, under `shared`.

Then the call's wall time and CPU time, all threads' (the steadier figure on a shared
machine), best and median of 3 calls, or of `ROUNDS` in the environment; the collector as
the caller leaves it. MB = 10^6 bytes, KB = 10^3.
"""

from __future__ import annotations

import ctypes
import gc
import os
import statistics
import sys
import tracemalloc
from collections import Counter
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import data
from timing import timed
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
from usage_analytics.contracts import AnalyticsGranularity

_SLOT = "__pydantic_fields_set__"


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _trimmed_rss() -> int:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return _rss_bytes()


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "singleton"
    for kind in (float, int, str, datetime, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return type(value).__name__


def walk(outputs: list[Any]) -> Counter[tuple[str, str]]:
    """Bytes by (owner model type, kind) of everything the outputs reach, each object
    counted once; what more than one output reaches is `shared`."""
    from pydantic import BaseModel

    reached_by: dict[int, int] = {}  # object id -> the output that first reached it
    sizes: Counter[tuple[str, str]] = Counter()
    held: list[Any] = []  # (ids stay valid while the objects live)

    def visit(value: Any, owner: str, output: int) -> None:
        key = id(value)
        if key in reached_by:
            if reached_by[key] != output and reached_by[key] >= 0:
                reached_by[key] = -1  # now known shared; its bytes move to `shared`
                sizes[(owner, _kind(value))] -= sys.getsizeof(value)
                sizes[("shared", _kind(value))] += sys.getsizeof(value)
            return
        reached_by[key] = output
        held.append(value)
        if isinstance(value, BaseModel):
            name = type(value).__name__
            sizes[(name, "model")] += sys.getsizeof(value)
            sizes[(name, "field dict")] += sys.getsizeof(value.__dict__)
            stored = _stored_fields_set(value)
            if stored is not None:
                sizes[(name, "fields_set")] += sys.getsizeof(stored)
            for item in value.__dict__.values():
                visit(item, name, output)
            return
        sizes[(owner, _kind(value))] += sys.getsizeof(value)
        if isinstance(value, dict):
            for key_item, item in value.items():
                visit(key_item, owner, output)
                visit(item, owner, output)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item, owner, output)

    for position, output in enumerate(outputs):
        visit(output, "ModelUsageAnalyticsOutput", position)
    return sizes


def _stored_fields_set(model: Any) -> Any:
    """The model's own fields set if it holds one, without making it (a lazy one is made
    on first read)."""
    from pydantic import BaseModel

    slot = BaseModel.__dict__[_SLOT]
    try:
        return slot.__get__(model, type(model))
    except AttributeError:
        return None


def main(patterns: int, per_pattern: int = 10, granularity: str = "detailed") -> None:
    reducer = NodeUsageAnalyticsReducer()
    window = {"time_window_start": data.WINDOW_START, "time_window_end": data.WINDOW_END}

    def request(table: Any) -> ModelUsageAnalyticsBatchInput:
        return ModelUsageAnalyticsBatchInput(
            execution_data=table, granularity=AnalyticsGranularity(granularity), **window
        )

    reducer.execute_batch_reduction_sync(request(data.many_patterns_table(1_000, 100)))
    table = data.many_patterns_table(patterns * per_pattern, patterns)
    data.clear_cache()
    contract = request(table)

    before = _trimmed_rss()
    output = reducer.execute_batch_reduction_sync(contract)
    held = _trimmed_rss()
    count = len(output.results)
    sizes = walk(list(output.results.values()))
    del output
    after = _trimmed_rss()

    tracemalloc.start()
    start_traced, _ = tracemalloc.get_traced_memory()
    output = reducer.execute_batch_reduction_sync(contract)
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del output

    print(
        f"{count:,} outputs, {per_pattern} records each, {granularity}, "
        f"python {sys.version.split()[0]}"
    )
    print(
        f"rss: {(held - after) / count:,.0f} bytes an output "
        f"(held {held / 1e6:,.0f} MB, after {after / 1e6:,.0f} MB, before {before / 1e6:,.0f} MB)"
    )
    print(f"traced: {(traced - start_traced) / count:,.0f} bytes an output")
    total = sum(sizes.values())
    print(f"walk: {total / count:,.0f} bytes an output (shared objects counted once, below)")
    for (owner, kind), size in sorted(sizes.items(), key=lambda item: -item[1]):
        if size:
            print(f"  {owner:28} {kind:12} {size / count:8,.1f}")

    times, cpu = [], []
    for _ in range(int(os.environ.get("ROUNDS", "3"))):
        took, output = timed(partial(reducer.execute_batch_reduction_sync, contract))
        times.append(took.wall)
        cpu.append(took.cpu)
        del output  # (freed outside the timing)
    print(
        f"execute_batch_reduction_sync: best {min(times) * 1000:,.0f} ms, "
        f"median {statistics.median(times) * 1000:,.0f} ms; CPU (all threads) best "
        f"{min(cpu) * 1000:,.0f} ms, median {statistics.median(cpu) * 1000:,.0f} ms"
    )


if __name__ == "__main__":
    argv = sys.argv[1:]
    main(int(argv[0]), int(argv[1]) if argv[1:] else 10, argv[2] if argv[2:] else "detailed")
