"""The analytics with numpy, from the pyarrow Table.

Numeric columns are viewed without copying (`to_numpy` of a chunk without nulls); the bool
columns are unpacked from Arrow's bitmaps (one byte per record). Strings: dictionary
indices are counted with `np.bincount`; numpy has no string hashing, so plain strings are
dictionary-encoded by `pyarrow.compute` first (the one step not done by numpy).
Percentiles: one `np.percentile(..., method="linear")` call (introselect on a copy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from peers.data import START_US, STRING_COLUMNS
from peers.finish import HOUR_US, WINDOW_HOURS, WINDOW_US, Aggregates


def _single(column: Any) -> Any:
    """The column as one Arrow array (our tables have one chunk: no copy)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _codes(column: Any) -> tuple[Any, list[str]]:
    """Dictionary indices (int32, no copy) and the dictionary's values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = _single(column)
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    return array.indices.to_numpy(), array.dictionary.to_pylist()


def aggregates(table: Any) -> Aggregates:
    ts = _single(table.column("timestamp")).to_numpy().view(np.int64)
    success = _single(table.column("success")).to_numpy(zero_copy_only=False)
    gates = _single(table.column("quality_gates_passed")).to_numpy(zero_copy_only=False)
    timeout = _single(table.column("timeout")).to_numpy(zero_copy_only=False)
    quality = _single(table.column("quality_score")).to_numpy()
    times = _single(table.column("execution_time_ms")).to_numpy()
    n = len(ts)

    hour = (ts - START_US) // HOUR_US
    hourly = np.bincount(hour, minlength=WINDOW_HOURS)
    categories = {}
    agents_first: set[str] = set()
    agents_second: set[str] = set()
    for name in STRING_COLUMNS:
        codes, values = _codes(table.column(name))
        counts = np.bincount(codes, minlength=len(values))
        categories[name] = {values[i]: int(c) for i, c in enumerate(counts) if c}
        if name == "agent":
            first = 2 * (ts - START_US) < WINDOW_US
            in_first = np.bincount(codes[first], minlength=len(values))
            agents_first = {values[i] for i, c in enumerate(in_first) if c}
            agents_second = {values[i] for i, c in enumerate(counts - in_first) if c}
    p50, p95, p99 = np.percentile(times, [50, 95, 99], method="linear")
    return Aggregates(
        count=n,
        successes=int(np.count_nonzero(success)),
        timeouts=int(np.count_nonzero(timeout)),
        gate_failures=n - int(np.count_nonzero(gates)),
        quality_mean=float(quality.mean()),
        time_count=len(times),
        time_mean=float(times.mean()),
        time_p50=float(p50),
        time_p95=float(p95),
        time_p99=float(p99),
        time_min=float(times.min()),
        time_max=float(times.max()),
        time_std=float(times.std(ddof=1)),
        time_total=float(times.sum()),
        max_timestamp_us=int(ts.max()),
        hourly=hourly,
        categories=categories,
        agents_first_half=agents_first,
        agents_second_half=agents_second,
    )
