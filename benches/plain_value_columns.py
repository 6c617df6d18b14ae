"""Lists and numpy arrays of Python objects of plain values (floats with None among them,
ints and floats, flags with None, text timestamps with None) converted to Arrow: from
buffers by numpy (`ingest.list_buffers.arrow_of_plain_values`, session 60) against
pyarrow's conversion (`pa.array`, which imports pandas; imported here once before
timing, so that its cost is not counted), raced in one run, 1,000,000 values each.

    PYTHONPATH=<tree>/python .venv/bin/python benches/plain_value_columns.py [CALLS]

Prints least and median of CALLS (default 5) conversions of each, in milliseconds, and
the ratio of the medians (pyarrow / ours: above 1, ours is faster).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
from timing import raced, wall_seconds
from usage_analytics.ingest import list_buffers
from usage_analytics.ingest.kinds import _value_types
from usage_analytics.ingest.list_buffers import arrow_of_plain_values

ROWS = 1_000_000


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rng = np.random.default_rng(7)
    floats = rng.random(ROWS).tolist()
    stamps = [f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z" for i in range(ROWS)]
    columns: dict[str, tuple[Any, bool]] = {
        "list of floats, None among them": (
            [None if i % 10 == 0 else v for i, v in enumerate(floats)],
            False,
        ),
        "list of ints and floats": ([i if i % 2 else v for i, v in enumerate(floats)], False),
        "object array of floats": (np.array(floats, dtype=object), True),
        "list of flags, None among them": (
            [None if i % 7 == 0 else i % 2 == 0 for i in range(ROWS)],
            False,
        ),
        "list of text timestamps, None among them": (
            [None if i % 9 == 0 else s for i, s in enumerate(stamps)],
            False,
        ),
    }
    import pandas  # noqa: F401  (pyarrow's conversion imports it: not timed)

    # (Ours as where pandas is not imported: where it is, lists holding None are left to
    # pyarrow, `list_buffers._pandas_imported`.)
    list_buffers._pandas_imported = lambda: False
    for label, (column, from_pandas) in columns.items():
        types = _value_types(column)
        ours = wall_seconds(
            partial(arrow_of_plain_values, pa, column, types, from_pandas=from_pandas), calls
        )
        theirs = wall_seconds(partial(pa.array, column, from_pandas=from_pandas), calls)
        print(raced(label, ("ours", ours), ("pyarrow", theirs)))


if __name__ == "__main__":
    main()
